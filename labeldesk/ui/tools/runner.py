"""Runners that give the tools' slow work (tools with a ``runner_kind``) to one worker thread.

A tool calls ``runner(job, done)`` (see :mod:`labeldesk.core.tools.classical`) for a preview,
the mask-to-object step on Enter, or a live-wire edge map. :class:`ToolRunner` is that
callable for one tool: ``job`` runs in the worker thread of a
:class:`~labeldesk.ui.workers.base.WorkerHost` and ``done`` in the GUI thread. At most one of
the tool's jobs is in the worker at a time; a request made meanwhile waits behind it, and a
newer request replaces the one waiting (whose ``done`` is never called). So during a fast
drag the worker never computes a result nobody will see, and each result it does compute
reaches the tool, which shows it when it is newer than the one on screen (the tool's serials
decide; the latest wins).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from labeldesk import algorithms as alg
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.shapes import Shape
from labeldesk.ui.workers.base import WorkerHost

Job = Callable[[], Any]
Done = Callable[[Any], None]


def cleanup(mask: np.ndarray, *, fill: bool, largest: bool) -> np.ndarray:
    """``mask`` ``(H, W)`` bool with holes filled / only its largest part, worked out on the
    mask's bounding box (exact: everything outside it is background joined to the border)."""
    if not (fill or largest):
        return mask
    ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if ys.size == 0:
        return mask
    win = (slice(ys[0], ys[-1] + 1), slice(xs[0], xs[-1] + 1))
    part = mask[win]
    if largest:
        part = alg.largest_component(part)
    if fill:
        part = alg.fill_holes(part)
    out = np.zeros_like(mask)
    out[win] = part
    return out


class ToolRunner:
    """``runner(job, done)`` for one tool over ``host`` (see module docs).

    Args:
        host: the worker; requests use ``key`` (one key per tool).
        clean: returns ``(fill_holes, largest_only)`` at request time; a bool ``(H, W)`` mask
            result is cleaned up that way in the worker. None: results are left as they are.
        on_timing: called with the seconds from request to result for results that are
            previews (not an object made on Enter, not an error).
        on_refused: called with the message when ``done`` raises a
            :class:`~labeldesk.core.errors.LabeldeskError` (the document refused the object).

    A ``ValueError`` raised by ``job`` becomes its result; any other exception comes back as
    a ``RuntimeError`` with the worker's message.
    """

    def __init__(
        self,
        host: WorkerHost,
        key: str,
        *,
        clean: Callable[[], tuple[bool, bool]] | None = None,
        on_timing: Callable[[float], None] | None = None,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self.host = host
        self.key = key
        self.clean = clean
        self.on_timing = on_timing
        self.on_refused = on_refused
        self._running = False
        self._waiting: tuple[Job, Done, float] | None = None

    def __call__(self, job: Job, done: Done) -> None:
        if not self.host.is_running():
            return  # the window is closing
        fill, largest = self.clean() if self.clean is not None else (False, False)

        def work() -> Any:
            try:
                out = job()
            except ValueError as exc:
                return exc
            if (fill or largest) and isinstance(out, np.ndarray) and out.dtype == bool:
                out = cleanup(out, fill=fill, largest=largest)
            return out

        request = (work, done, time.perf_counter())
        if self._running:
            self._waiting = request  # a newer request replaces the one waiting
        else:
            self._submit(request)

    def pending(self) -> bool:
        """Whether a job of this tool is in the worker or waiting for it."""
        return self._running or self._waiting is not None

    def _submit(self, request: tuple[Job, Done, float]) -> None:
        work, done, start = request
        self._running = True
        self.host.submit(
            work,
            key=self.key,
            on_result=lambda result: self._finish(done, start, result),
            on_error=lambda message: self._finish(done, start, RuntimeError(message)),
        )

    def _finish(self, done: Done, start: float, result: Any) -> None:
        self._running = False
        waiting, self._waiting = self._waiting, None
        if waiting is not None and self.host.is_running():
            self._submit(waiting)  # the worker goes on while the GUI thread shows this one
        preview = not isinstance(result, Exception | Shape) and result is not None
        if preview and self.on_timing is not None:
            self.on_timing(time.perf_counter() - start)
        try:
            done(result)
        except LabeldeskError as exc:  # accept-when-ready: the document refused the object
            if self.on_refused is None:
                raise
            self.on_refused(str(exc))
