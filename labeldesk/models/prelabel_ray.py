"""``labeldesk prelabel SRC --ray [ADDRESS]``: the same work as a Ray Data pipeline.

``read paths -> decode (tasks) -> model (actors, one model each, num_gpus) -> write (tasks)``,
streamed by Ray Data so that only a bounded number of images is in memory at any time. Each
stage calls the functions the single-machine path calls
(:mod:`labeldesk.models.prelabel_pipeline`), so both write the same bytes. Images that
already have a JSON are skipped, so a stopped run resumes; Ray retries the tasks of a worker
that died and restarts dead actors.

SRC must be a folder every node can read at the same path (a shared file system). Ray is an
optional extra: ``pip install 'labeldesk[cluster]'``; it is imported only here.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from labeldesk.core.errors import LabeldeskError, ModelError
from labeldesk.core.jobs import Job, Progress, TerminalBar, run_job
from labeldesk.models import prelabel_pipeline as pipe
from labeldesk.models.prelabel_command import Summary

INSTALL_HINT = (
    "--ray needs Ray, which is not installed: pip install 'labeldesk[cluster]' "
    "(or pip install 'ray[data]')"
)


def import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise LabeldeskError(INSTALL_HINT) from exc
    return ray


def _decode_row(row: dict[str, Any]) -> dict[str, Any]:
    path, rgb, error = pipe.decode_one(row["path"])
    return {
        "path": path,
        "image": rgb if rgb is not None else np.zeros((0, 0, 3), np.uint8),
        "error": error or "",
    }


class LabelActor:
    """One model per actor, loaded once; turns a batch of decoded images into JSON texts."""

    def __init__(
        self,
        model: str | None,
        device: str,
        label: str,
        points_per_side: int,
        batch_size: int,
    ) -> None:
        from labeldesk.models.assist import AssistSession

        self.session = AssistSession(cache_bytes=0)
        if model is not None:
            self.session.load(model, device=device)
        self.label = label
        self.options = pipe.proposal_options(self.session, points_per_side)
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        items = [
            pipe.Decoded(Path(p), img if not err else None, err or None)
            for p, img, err in zip(batch["path"], batch["image"], batch["error"], strict=True)
        ]
        paths, texts, objects, errors = [], [], [], []
        for item, found, error in pipe.batched_proposals(
            self.session, items, batch_size=self.batch_size, options=self.options
        ):
            paths.append(str(item.path))
            if error is not None or found is None or item.rgb is None:
                texts.append("")
                objects.append(0)
                errors.append(error or "could not be read")
                continue
            doc = pipe.document_for(item.path, item.rgb.shape, found, label=self.label)
            texts.append(pipe.labelme_text(doc, pipe.json_path_for(item.path)))
            objects.append(len(doc.shapes))
            errors.append("")
        return {"path": paths, "text": texts, "objects": objects, "error": errors}


def _write_row(row: dict[str, Any]) -> dict[str, Any]:
    from labeldesk.io.atomic import atomic_write_text

    error = row["error"]
    if not error:
        try:
            atomic_write_text(pipe.json_path_for(Path(row["path"])), row["text"])
        except (LabeldeskError, OSError, ValueError) as exc:
            error = pipe.failure_text(exc)
    return {"path": row["path"], "objects": int(row["objects"]), "error": error}


def prelabel_ray(src: str | Path, *, progress: TextIO | None = None, **options: Any) -> Summary:
    """Pre-label ``src`` on Ray with a progress bar on ``progress`` (default stderr, drawn
    only on a terminal); see :func:`prelabel_ray_job` for the options."""
    bar = TerminalBar("prelabel", 0, progress or sys.stderr, rate=True)
    try:
        return run_job(prelabel_ray_job(src, **options), on_progress=bar.draw)
    finally:
        bar.close()


def prelabel_ray_job(
    src: str | Path,
    *,
    address: str | None = None,
    model: str | Path | None = None,
    device: str = "auto",
    overwrite: bool = False,
    label: str = "object",
    points_per_side: int = 16,
    batch_size: int | None = None,
    actors: int | None = None,
    ray_init: dict[str, Any] | None = None,
) -> Job[Summary]:
    """Pre-label ``src`` on Ray (see module docs), as a job: ``Progress(i, n, image)`` per
    image written. ``address``: a cluster to join (None: the
    one ``RAY_ADDRESS`` names, else a local one); ``actors``: model replicas, one CPU each
    (default one per GPU of the cluster, else 2 leaving a CPU free); ``ray_init``: extra
    ``ray.init`` arguments."""
    ray = import_ray()
    folder = Path(src).resolve()
    if not folder.is_dir():
        raise LabeldeskError(f"{folder}: not a folder")
    if not label.strip():
        raise LabeldeskError("--label must not be empty")
    if model is not None and not Path(model).is_file():
        raise ModelError(f"{model}: model file not found")
    todo, skipped = pipe.plan(folder, overwrite=overwrite)
    summary = Summary(skipped=skipped)
    total = len(todo) + len(skipped)
    yield Progress(len(skipped), total, "starting Ray")
    if not todo:
        return summary
    start = time.perf_counter()
    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        kwargs.update(ray_init or {})
        ray.init(address=address or os.environ.get("RAY_ADDRESS"), **kwargs)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # ours is drawn from the rows below
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        gpus = int(ray.cluster_resources().get("GPU", 0))
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n_actors = actors or (gpus if gpus else max(1, min(2, cpus - 1)))
        per_actor_gpu = 1 if gpus and (device in ("auto", "cuda")) else 0
        batch = batch_size or (8 if per_actor_gpu else 1)
        ds = ray.data.from_items([{"path": str(p)} for p in todo])
        # decode and write are light next to the model: they must never wait for a CPU that
        # the actors hold
        # (Ray retries the tasks of a dead worker and restarts dead actors by default)
        light = {"num_cpus": 0.25}
        ds = ds.map(_decode_row, **light)
        ds = ds.map_batches(
            LabelActor,
            fn_constructor_kwargs={
                "model": None if model is None else str(Path(model).resolve()),
                "device": "cuda" if per_actor_gpu else device,
                "label": label,
                "points_per_side": points_per_side,
                "batch_size": batch,
            },
            batch_size=batch,
            batch_format="numpy",
            concurrency=n_actors,
            num_gpus=per_actor_gpu,
            num_cpus=1,
        )
        ds = ds.map(_write_row, **light)
        for row in ds.iter_rows():
            path = Path(row["path"])
            if row["error"]:
                summary.failed.append((path, str(row["error"])))
            else:
                summary.written.append(path)
                summary.objects += int(row["objects"])
            summary.seconds = time.perf_counter() - start
            done = len(skipped) + len(summary.written) + len(summary.failed)
            yield Progress(done, total, f"{path.name[:30]:<30}")
    finally:
        if started_here:
            ray.shutdown()
    order = {p: i for i, p in enumerate(todo)}
    summary.written.sort(key=lambda p: order.get(p, 0))
    summary.seconds = time.perf_counter() - start
    return summary
