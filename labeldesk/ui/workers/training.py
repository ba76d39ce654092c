"""The training worker: trains a segmentation model and ranks images, in its own QThread.

Run it with a :class:`~labeldesk.ui.workers.base.WorkerHost`::

    host = WorkerHost(TrainingWorker(), name="labeldesk-training")
    host.worker.event.connect(on_event)        # (request id, TrainEvent) per note/step/validation
    rid = host.submit("train", TrainJob(folder, classes, out), key="train",
                      on_progress=..., on_result=on_outcome, on_error=show_message)
    host.cancel(rid)                           # Cancel: stops within one step, nothing saved
    host.worker.finish_early(rid)              # Stop & Save: stops within one step, saves
    host.submit("rank", model_path, paths, classes, key="rank", on_result=on_ranking)

Torch is imported in the worker thread, on the first job, never at import of this module.
A job whose config says ``{"arch": {"arch": "forest"}}`` fits the pixel classifier instead
(:mod:`labeldesk.models.seg.forest_train`; seconds, no torch) and saves ``.npz`` + ``.json``.
The job yields a :class:`~labeldesk.core.jobs.Progress` after every step, so the host's cancel check runs between
steps; the same check is passed to the training loop, which also looks at it between the
held-out images of a validation. Stop & Save is the loop's ``finish``: it stops before the
next step and validates once more when steps were taken since the last validation. Errors (too few labeled images, a single class, a model whose
classes do not match...) come back as the host's ``failed`` message.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal

from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import Progress
from labeldesk.ui.workers.base import Cancelled, Worker


@dataclass
class TrainJob:
    """What to train: the labeled images of ``folder`` on ``classes`` (output order), saved
    as ``out`` (``.pt`` plus a ``.json`` sidecar); ``config`` is a partial
    :class:`~labeldesk.models.seg.config.TrainConfig` dict."""

    folder: Path
    classes: list[str]
    out: Path
    config: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    device: str = "auto"


@dataclass
class TrainOutcome:
    """What a finished training run left: the saved files, the held-out ``metrics`` of the
    saved weights (see :func:`labeldesk.models.seg.metrics.summarize`, plus ``"step"``),
    ``stopped`` (``"max_steps"``, ``"early_stopping"`` or ``"stopped"`` when the user chose
    Stop & Save), steps, seconds, the device used and the notes about the data."""

    weights: Path
    sidecar: Path
    classes: list[str]
    metrics: dict[str, Any]
    stopped: str
    steps: int
    seconds: float
    device: str
    train_images: int
    val_images: int
    notes: list[str] = field(default_factory=list)


class TrainingWorker(Worker):
    """Jobs: ``train(TrainJob)`` and ``rank(model_path, paths, classes)``.

    Signal ``event(request id, TrainEvent)``: every note, step and validation of a training
    run (the GUI drops events of requests that are no longer current).
    ``steps_done`` is the last step the training loop finished (read from any thread).
    """

    event = Signal(int, object)

    def __init__(self) -> None:
        super().__init__()
        self.steps_done = 0
        self._finish: set[int] = set()
        self._lock = threading.Lock()

    def finish_early(self, rid: int) -> None:
        """Ask training request ``rid`` (running or still queued) to stop after its current
        step and save the best weights so far. Thread-safe: call it from the GUI thread."""
        with self._lock:
            self._finish.add(rid)

    def _finishing(self, rid: int) -> bool:
        with self._lock:
            return rid in self._finish

    def _stale(self) -> bool:
        try:
            self.check()
        except Cancelled:
            return True
        return False

    def train(self, job: TrainJob) -> Generator[Progress, None, TrainOutcome]:
        self.steps_done = 0
        rid = self._current.id if self._current is not None else 0
        if (job.config.get("arch") or {}).get("arch") == "forest":
            return (yield from self._train_forest(job, rid))
        yield Progress.at(0.0, f"reading the labeled images of {job.folder.name}")
        from labeldesk.models import seg

        samples, notes = seg.samples_from_folder(job.folder, job.classes)
        for note in notes:
            self.event.emit(rid, seg.TrainEvent("note", message=note))
        yield Progress.at(0.0, "preparing")
        gen = seg.train(
            samples,
            job.classes,
            job.config,
            seed=job.seed,
            device=job.device,
            cancel=self._stale,
            finish=lambda: self._finishing(rid),
        )
        try:
            while True:
                try:
                    ev = next(gen)
                except StopIteration as stop:
                    result = stop.value
                    break
                if ev.kind == "step":
                    self.steps_done = ev.step
                self.event.emit(rid, ev)
                total = max(ev.total_steps, 1)
                if ev.budget:  # training by time: the bar follows the clock
                    yield Progress.at(
                        min(1.0, ev.elapsed / ev.budget), f"step {ev.step} of about {total}"
                    )
                else:
                    yield Progress.at(ev.step / total, f"step {ev.step} of {total}")
        finally:
            gen.close()
            with self._lock:
                self._finish.discard(rid)
        if result.model is None:
            raise ModelError("training was stopped before its first step; nothing was saved")
        yield Progress.at(1.0, "saving the model")
        weights, sidecar = seg.save_model(result.model, job.out)
        training = result.model.training
        return TrainOutcome(
            weights,
            sidecar,
            list(job.classes),
            dict(result.metrics),
            "stopped" if result.stopped == "cancelled" else result.stopped,
            result.steps,
            result.seconds,
            str(training.get("device", "")),
            int(training.get("train_images", 0)),
            int(training.get("val_images", 0)),
            [*notes, *result.notes],
        )

    def _train_forest(self, job: TrainJob, rid: int) -> Generator[Progress, None, TrainOutcome]:
        """The pixel classifier on the folder's polygons and strokes (see module docs)."""
        from labeldesk.models import seg
        from labeldesk.models.seg.forest import save_forest
        from labeldesk.models.seg.forest_train import (
            is_background,
            samples_from_folder,
            train_forest,
        )

        yield Progress.at(0.0, f"reading the labeled images of {job.folder.name}")
        classes = [c for c in job.classes if not is_background(c)]
        samples, notes = samples_from_folder(job.folder, classes)
        for note in notes:
            self.event.emit(rid, seg.TrainEvent("note", message=note))
        yield Progress.at(0.1, "fitting the pixel classifier (seconds)")
        result = train_forest(samples, classes, seed=job.seed)
        for note in result.notes:
            self.event.emit(rid, seg.TrainEvent("note", message=note))
        yield Progress.at(1.0, "saving the model")
        weights, sidecar = save_forest(result.model, job.out)
        return TrainOutcome(
            weights,
            sidecar,
            classes,
            dict(result.metrics),
            "forest",
            0,
            result.seconds,
            "cpu",
            len(result.train_names),
            len(result.val_names),
            [*notes, *result.notes],
        )

    def rank(
        self, model_path: Path, paths: list[Path], classes: list[str] | None = None
    ) -> Generator[tuple[float, str], None, Any]:
        """Score ``paths`` with the model at ``model_path``; returns a
        :class:`~labeldesk.models.seg.ranking.Ranking` (most uncertain first)."""
        yield 0.0, f"loading {Path(model_path).name}"
        from labeldesk.models.seg import load_model
        from labeldesk.models.seg.ranking import rank_by_uncertainty

        model = load_model(model_path, classes=classes, allow_extra=True, device="auto")
        return (yield from rank_by_uncertainty(model, paths))
