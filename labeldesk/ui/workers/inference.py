"""The inference worker: one long-lived object in its own QThread owning the models.

It wraps a Qt-free :class:`~labeldesk.models.assist.AssistSession` (loaded SAM and/or trained
model, SAM predictor, embedding cache keyed by image content). Run it with a
:class:`~labeldesk.ui.workers.base.WorkerHost`; each job below is submitted by name::

    host = WorkerHost(InferenceWorker(), name="labeldesk-inference")
    host.submit("load", path, key="model", on_result=..., on_error=...)
    host.submit("encode", image, key="encode")           # image: the displayed array
    host.submit("prefetch", next_path, key="prefetch")   # the next image's embedding ahead
    host.submit("predict", image, prompt, key="sam-click", on_result=tool_reply)
    host.submit("proposals", image, key="auto", on_progress=..., on_result=...)

Images are passed by reference (never copied, never changed by either thread); the worker
remembers the content key of the last few arrays it saw, so a click does not hash the
image again. Results for stale requests are dropped by the host (latest wins per key).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.core.jobs import Job, Progress
from labeldesk.core.prompts import SamPrompt, SamResult
from labeldesk.models.assist import AssistSession, Encoded, ModelInfo
from labeldesk.models.proposals import Proposal
from labeldesk.ui.workers.base import Worker


@dataclass
class ProposalsResult:
    """Auto-segment output: the proposals, their ``source`` ("model", "sam", "classical"),
    the time taken and a ``notice`` for the user ("" when none)."""

    proposals: list[Proposal]
    source: str
    seconds: float
    notice: str = ""


class InferenceWorker(Worker):
    """Jobs: ``load``, ``unload``, ``encode``, ``prefetch``, ``predict``, ``proposals``."""

    def __init__(
        self, session: AssistSession | None = None, keep_keys: int = 4, nice: int = 5
    ) -> None:
        super().__init__()
        self.session = session or AssistSession()
        self._keys: OrderedDict[int, tuple[np.ndarray, str]] = OrderedDict()
        self._keep = keep_keys
        self.nice = nice
        self._niced = False
        self.predict_seconds: list[float] = []

    def _yield_to_the_gui(self) -> None:
        """Lower this thread's CPU priority once, from inside it, before torch starts its
        thread pool here (pool threads inherit it): the GUI thread then wins the CPU on a
        small machine while an encoder runs. Linux: per-thread nice; elsewhere Qt's
        LowPriority (honoured on Windows and macOS)."""
        if self._niced or not self.nice:
            return
        self._niced = True
        from PySide6.QtCore import QThread

        if sys.platform.startswith("linux"):
            try:
                tid = threading.get_native_id()
                os.setpriority(
                    os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + self.nice
                )
            except OSError:
                pass
        else:
            QThread.currentThread().setPriority(QThread.Priority.LowPriority)

    # -- models ------------------------------------------------------------------------------
    def load(
        self,
        path: str | Path,
        device: str = "auto",
        precision: str = "auto",
        classes: list[str] | None = None,
    ) -> Job[ModelInfo]:
        self._yield_to_the_gui()
        yield Progress.at(0.0, f"loading {Path(path).name}")
        info = self.session.load(path, device=device, precision=precision, classes=classes)
        from labeldesk.models.device import leave_a_core_free

        leave_a_core_free()  # the GUI thread keeps a core while models run here
        self._keys.clear()
        return info

    def unload(self, kind: str | None = None) -> None:
        self.session.unload(kind)
        self._keys.clear()

    # -- images ------------------------------------------------------------------------------
    def _key_for(self, image: np.ndarray) -> Encoded:
        """Make ``image`` current, hashing it only the first time this array is seen."""
        self._yield_to_the_gui()
        known = self._keys.get(id(image))
        if known is not None and known[0] is image:
            return self.session.set_image(image, known[1])
        enc = self.session.set_image(image)
        self._keys[id(image)] = (image, enc.key)
        self._keys.move_to_end(id(image))
        while len(self._keys) > self._keep:
            self._keys.popitem(last=False)
        return enc

    def encode(self, image: np.ndarray) -> Encoded:
        """Make ``image`` current (the encoder runs unless its embedding is cached)."""
        return self._key_for(image)

    def prefetch(self, path: str | Path) -> Encoded | None:
        """Read the image at ``path`` as the app displays it and cache its embedding."""
        self._yield_to_the_gui()
        if not self.session.has_sam:
            return None
        from labeldesk.io import load_image, to_display

        return self.session.prefetch(to_display(load_image(path)))

    # -- SAM prompts -------------------------------------------------------------------------
    def predict(self, image: np.ndarray, prompt: SamPrompt) -> SamResult:
        """The mask for ``prompt`` on ``image`` (encoded first if needed)."""
        self._key_for(image)
        start = time.perf_counter()
        result = self.session.predict(self.session.current or "", prompt)
        self.predict_seconds = [*self.predict_seconds[-9:], time.perf_counter() - start]
        return result

    # -- auto-segment ------------------------------------------------------------------------
    def proposals(
        self, image: np.ndarray, source: str = "auto", **options: Any
    ) -> Job[ProposalsResult]:
        """Auto-segment ``image``: a trained model, else SAM, else the classical method."""
        self._yield_to_the_gui()
        start = time.perf_counter()
        chosen = self.session.resolve_source(source)
        steps = self.session.proposals(image, source=chosen, **options)
        found = yield from steps
        return ProposalsResult(found, chosen, time.perf_counter() - start, self.session.notice)
