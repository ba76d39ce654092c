"""Saving annotations off the GUI thread (issue 11, item 19).

The GUI thread only takes a snapshot of the document (array copies, milliseconds even for
500,000 vertices) and marks it clean; serialising and the atomic write run on one background
thread, like the crash journal's. For the same file the newest snapshot wins: one not started
yet is dropped when a newer one arrives. Every finished write comes back to the GUI thread as
``finished(SaveResult)``; a failed one is never silent (the session marks the document unsaved
again, or keeps the snapshot for when its image is opened again, and shows the error).

Small documents are written at once on the GUI thread (a few milliseconds, and the file is
on disk when ``save`` returns); :data:`BACKGROUND_POINTS` decides.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal

from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError, WriteError
from labeldesk.io.atomic import ReadOnlyFileError, is_read_only
from labeldesk.io.labelme import snapshot, write_text

BACKGROUND_POINTS = 20_000  # vertices (mask pixels count / 64) above which saving is background


def save_weight(doc: Document) -> int:
    """A rough cost of serialising ``doc``: its vertices plus mask pixels / 64."""
    total = 0
    for s in doc.shapes:
        total += len(s.points)
        if s.mask is not None:
            total += s.mask.size // 64
    return total


def read_only_target(path: Path) -> bool:
    """True when ``path`` (or the file its symlink points to) exists and is read-only."""
    try:
        return is_read_only(os.stat(path))
    except (OSError, ValueError):
        return False


@dataclass
class SaveResult:
    """One finished background write: ``error`` is None when the file was written."""

    doc: Document  # the live document the snapshot was taken from
    path: Path
    image_path: str | None
    error: LabeldeskError | None
    snapshot: Document


class BackgroundSaver(QObject):
    """One writer thread; ``finished(SaveResult)`` arrives on the GUI thread."""

    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[Path, Future] = {}
        self._lock = threading.Lock()

    def submit(self, doc: Document, path: Path, *, allow_read_only: bool = False) -> Document:
        """Snapshot ``doc`` now, mark it clean, and write the snapshot to ``path`` later."""
        snap = snapshot(doc)
        doc.mark_clean()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labeldesk-save")
        with self._lock:
            older = self._pending.get(path)
            if older is not None:
                older.cancel()  # not started yet: this newer snapshot replaces it
            self._pending[path] = self._pool.submit(self._write, doc, snap, path, allow_read_only)
        return snap

    def _write(self, doc: Document, snap: Document, path: Path, allow_read_only: bool) -> None:
        image_path: str | None = None
        error: LabeldeskError | None = None
        try:
            image_path = write_text(snap, path, allow_read_only=allow_read_only)
        except LabeldeskError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - a bug must still reach the user
            error = WriteError(path, f"could not write: {type(exc).__name__}: {exc}")
        self.finished.emit(SaveResult(doc, path, image_path, error, snap))

    def is_pending(self, path: Path) -> bool:
        """True while a write of ``path`` is queued or running."""
        with self._lock:
            future = self._pending.get(path)
            return future is not None and not future.done()

    def busy(self) -> bool:
        with self._lock:
            return any(not f.done() for f in self._pending.values())

    def flush(self, *, deliver: bool = True) -> None:
        """Wait for every queued write; with ``deliver`` also deliver their results now (GUI
        thread; not from inside a slot, where the events processed could re-enter it)."""
        with self._lock:
            futures = list(self._pending.values())
        for future in futures:
            if not future.cancelled():
                future.exception()  # waits; _write never raises
        if deliver:
            QCoreApplication.sendPostedEvents()
            QCoreApplication.processEvents()

    def stop(self) -> None:
        """Finish the queued writes (nothing is dropped) and end the thread."""
        self.flush()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def refuse_read_only(path: Path) -> ReadOnlyFileError:
    return ReadOnlyFileError(path, "the file is read-only; it was not replaced")
