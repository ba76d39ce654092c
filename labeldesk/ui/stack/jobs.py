"""Propagation and interpolation of a stack in the window (a part of :class:`StackController`).

Both run their computation in a worker thread: propagation :func:`track_masks` (or SAM 2.1's
video predictor in the inference worker that owns the model), interpolation
:func:`interpolate_plans`. Their results are applied here, on the GUI thread, as one undo step
of each frame's document; Ctrl+Z right after a job takes it back on every frame
(:class:`~labeldesk.core.stack_undo.StackJobUndo`); the frames it changed are then saved a
few per event-loop turn (:meth:`StackJobs.flush_saves` before the stack closes). While a job runs, Undo and Redo are
refused with a message: a frame's own undo then would take back steps the job builds on (the
source frame's track ids) and the job would write objects that no longer match.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.jobs import Progress
from labeldesk.core.machine import is_machine
from labeldesk.core.shapes import Shape
from labeldesk.core.stack import StackDocument
from labeldesk.core.stack_jobs import (
    InterpolationPlan,
    PropagationPlan,
    StackResult,
    apply_interpolated,
    apply_tracked,
    interpolate_plans,
    plan_interpolation,
    plan_propagation,
    track_masks,
)
from labeldesk.core.stack_undo import StackJobUndo
from labeldesk.io.stacks.base import Stack
from labeldesk.ui.stack.paths import sam2_job
from labeldesk.ui.workers.base import WorkerHost

SAVE_CHUNK = 8  # frames saved per event-loop turn after a job (about 8 fsyncs)

NEEDS_STACK = (
    "{what} works on a video, a volume or a frame folder: open one with File ▸ Open Video or "
    "Volume… or Open Frame Stack Folder…"
)


class StackJobs:
    """Propagate, interpolate, cancel and the whole-job undo (mixed into the controller)."""

    window: Any
    panel: Any
    stack: Stack | None
    annotations: StackDocument | None
    index: int
    host: WorkerHost
    job_undo: StackJobUndo
    _plan: PropagationPlan | None
    _result: StackResult | None
    _rid: int | None
    _job_host: WorkerHost
    _job_kind: str
    _last_job: tuple[str, list[int]] | None
    _save_timer: Any  # QTimer (interval 0) that runs _save_some
    _save_failed: set[int]

    def _can_start(self, what: str) -> bool:
        """A stack is open and no job runs; otherwise say why nothing happens."""
        if self.stack is None or self.annotations is None:
            self.window.show_message(NEEDS_STACK.format(what=what), "status")
            return False
        if self._rid is not None or self.host.is_busy():
            self.window.show_message(
                f"{self._job_kind or 'A job'} is still running: wait for it or cancel it", "status"
            )
            return False
        return True

    def propagate(self, direction: int, stop: int | None = None) -> None:
        if not self._can_start("Propagation"):
            return
        assert self.stack is not None and self.annotations is not None
        session = self.window.session
        doc = session.doc
        if doc is None or not len(doc):
            self.window.show_message("This frame has no objects to propagate", "status")
            return
        selected = session.selection.indices(doc) or None
        last = len(self.stack) - 1 if direction > 0 else 0
        stop = last if stop is None else int(np.clip(stop, 0, len(self.stack) - 1))
        if stop == self.index:
            where = "last" if direction > 0 else "first"
            self.window.show_message(
                f"This is the {where} frame: nothing to propagate to", "status"
            )
            return
        h, w = self.stack.frame_shape[:2]
        self._plan = plan_propagation(self.annotations, self.index, stop, (h, w), indices=selected)
        self._result = StackResult()
        self._result.stopped.update(self._plan.stops)
        sam2 = self._sam2_host()
        self._job_host = sam2 or self.host
        self._job_kind = "Propagate"
        self.panel.set_busy(True, "propagating with SAM 2.1…" if sam2 else "propagating…")
        verb = "Propagated with SAM 2.1" if sam2 else "Propagated"
        callbacks = dict(
            on_progress=self._on_tracked,
            on_result=lambda _n: self._finish(verb),
            on_error=self._on_error,
        )
        if sam2 is not None:
            job = sam2_job(sam2, self._plan, self.stack.frame, len(self.stack))
            self._rid = sam2.submit(job, key="stack-propagate", **callbacks)
        else:
            self._rid = self.host.submit(
                track_masks, self._plan, self.stack.frame, key="propagate", **callbacks
            )

    def _sam2_host(self) -> WorkerHost | None:
        """The inference worker's host when the Model Manager has a SAM 2.1 model loaded."""
        assist = getattr(self.window, "assist", None)
        host = getattr(assist, "host", None)
        session = getattr(getattr(host, "worker", None), "session", None)
        model = getattr(session, "_sam", None)
        if model is not None and type(model).__module__.startswith("labeldesk.models.sam2"):
            return host
        return None

    def _on_tracked(self, progress: Progress) -> None:
        if self._plan is None or self.annotations is None or self._result is None:
            return
        frame, masks = progress.payload
        apply_tracked(self.annotations, self._plan, frame, masks, self._result)
        self.panel.set_progress(int(progress.done), int(progress.total or 1), f"frame {frame}")

    def _on_error(self, message: str) -> None:
        self._finish("Stopped")
        self.window.show_message(message, "error")

    def cancel(self) -> None:
        if self._rid is not None:
            self._job_host.cancel(self._rid)
            self._finish("Cancelled")

    def _finish(self, verb: str) -> None:
        result, self._rid, self._plan = self._result, None, None
        self.panel.set_busy(False)
        if result is None:
            return
        self._result = None
        self._last_job = (self._job_kind, list(result.changed))
        frames = len(self.annotations.dirty_frames()) if self.annotations is not None else 0
        self._save_later()
        if self.annotations is not None:
            self.job_undo.record(self.annotations, self._job_kind, result.changed)
        stops = "".join(f"; track {t} stops at frame {f}" for t, f in result.stopped.items())
        undo = " (Ctrl+Z takes it back on every frame)" if result.changed else ""
        self.window.show_message(
            f"{verb}: {result.objects} objects in {frames} frames{stops}{undo}", "status"
        )

    def _whole_job_history(self, which: str) -> bool:
        """Edit > Undo / Redo: refused while a job runs; the last job on every frame it
        changed, in one step, while it is the stack's newest edit."""
        if self.annotations is None:
            return False
        if self._rid is not None:
            kind = "propagation" if self._job_kind == "Propagate" else "interpolation"
            self.window.show_message(
                f"{which.capitalize()} is not possible while the {kind} runs: wait for it to "
                "finish or cancel it",
                "status",
            )
            return True  # handled: the frame's own history is left alone
        n = self.job_undo.step(self.annotations, which)
        if n is None:
            return False
        kind = self.job_undo.kind.lower()
        job = self.job_undo
        self._last_job = None if job.undone else (job.kind, job.frames)
        if self.window.session.doc is not None:
            self.window.session.selection.prune(self.window.session.doc)
        self._save_later()
        done = "Undid" if which == "undo" else "Redid"
        self.window.show_message(f"{done} {kind} on {n} frames", "status")
        return True

    def _save_later(self) -> None:
        """Save the frames a job changed a few at a time from the event loop (each file is
        written atomically with an fsync: 300 at once froze the window for seconds)."""
        self._save_failed.clear()
        self._save_timer.start()

    def saving(self) -> bool:
        """Frames a job changed are still being saved."""
        return self._save_timer.isActive()

    def _save_some(self) -> None:
        if not self._save_other_frames(SAVE_CHUNK):
            self._save_timer.stop()

    def flush_saves(self) -> None:
        """Save every frame still waiting (before the stack closes)."""
        self._save_timer.stop()
        while self._save_other_frames(SAVE_CHUNK):
            pass

    def _save_other_frames(self, most: int) -> bool:
        """Save up to ``most`` changed frames (the shown one is saved by the session); True
        when some are left. A frame that fails is reported once and left dirty."""
        if self.annotations is None:
            return False
        current = self.window.session.doc
        pending = [
            i
            for i in self.annotations.dirty_frames()
            if i not in self._save_failed and self.annotations.document(i) is not current
        ]
        for i in pending[:most]:
            try:
                self.annotations.save(i)
            except (LabeldeskError, OSError) as exc:
                self._save_failed.add(i)
                self.window.show_message(f"Not saved: {exc}", "error")
        return len(pending) > most

    def undo_last_job(self) -> None:
        """Take back the last propagation or interpolation on every frame it changed (each
        frame's own undo step, where it is still that frame's last edit)."""
        if self._rid is not None:
            self._whole_job_history("undo")
            return
        if self._last_job is None or self.annotations is None or self.host.is_busy():
            self.window.show_message("No propagation or interpolation to undo", "status")
            return
        kind, frames = self._last_job
        self._last_job = None
        self.job_undo.forget()
        undone = 0
        for i in frames:
            doc = self.annotations.document(i)
            if doc.history.undo_text() == kind and doc.undo():
                undone += 1
        if self.window.session.doc is not None:
            self.window.session.selection.prune(self.window.session.doc)
        self._save_later()
        self.window.show_message(f"Undid {kind.lower()} on {undone} frames", "status")

    def key_frames(self) -> list[int]:
        """Frames with an object a person made (not machine-made)."""
        if self.annotations is None:
            return []
        return [
            i
            for i in self.annotations.annotated_frames()
            if any(not is_machine(s) for s in self.annotations.document(i).shapes)
        ]

    def interpolate(self) -> None:
        """Fill every gap between consecutive key frames: the shapes are computed in the
        worker, then applied here (one undo step on each frame; Ctrl+Z right after takes the
        whole fill back, see ``job_undo``)."""
        if not self._can_start("Interpolation"):
            return
        assert self.stack is not None and self.annotations is not None
        keys = self.key_frames()
        if len(keys) < 2:
            self.window.show_message("Interpolation needs two key frames with objects", "status")
            return
        plans = []
        for a, b in zip(keys, keys[1:], strict=False):
            plan = plan_interpolation(self.annotations, a, b, frames=self.stack.frame)
            if plan is not None and plan.keys:
                plans.append(plan)
        if not plans:
            self.window.show_message(
                "No object is in two neighbouring key frames with a gap between them "
                "(give them the same track id, or the same label once per frame)",
                "status",
            )
            return
        self._result = StackResult()
        self._job_host = self.host
        self._job_kind = "Interpolate"
        self.panel.set_busy(True, "interpolating…")
        self._rid = self.host.submit(
            interpolate_plans,
            plans,
            key="interpolate",
            on_progress=lambda p: self.panel.set_progress(
                int(p.done), int(p.total or 1), p.message
            ),
            on_result=lambda made: self._apply_interpolated(plans, made),
            on_error=self._on_error,
        )

    def _apply_interpolated(
        self, plans: list[InterpolationPlan], made: list[dict[int, list[Shape | None]]]
    ) -> None:
        result = self._result
        if result is None or self.annotations is None:
            return
        for plan, shapes in zip(plans, made, strict=True):
            for _ in apply_interpolated(self.annotations, plan, shapes, result):
                pass
        self._finish("Interpolated")
