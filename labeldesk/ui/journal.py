"""Crash journal: unsaved edits written aside so that a killed session can give them back.

While a document has unsaved changes, the window asks :meth:`Journal.record_later` to write
it (debounced by the caller): the GUI thread only copies the shapes (tens of milliseconds for
500,000 vertices); turning them into JSON and writing (seconds for such a file) happen on a
background thread, the newest snapshot winning. :meth:`Journal.record` writes at once. Each running session owns one journal file
``<session>.json`` in the journal folder, locked by ``<session>.lock`` (a ``QLockFile``, so
a lock left by a dead process counts as stale). Saving or discarding the document removes
the entry. At start-up, :meth:`Journal.orphans` lists entries whose session is gone: the
window offers to restore them.

An entry holds the labelme JSON of the document (the same text a save would write) plus
where it belongs::

    {"json_path": "/abs/photo.json", "image_path": "/abs/photo.jpg", "time": 1700000000.0,
     "disk_mtime": 1690000000.0 | null, "document": {...labelme JSON...}}
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile

from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.io import atomic_write_text, document_from_dict, document_to_dict
from labeldesk.io.labelme import snapshot as snapshot_document
from labeldesk.ui.folder import mtime as _mtime


@dataclass
class JournalEntry:
    """One orphaned journal file: the unsaved document of ``image_path``."""

    file: Path
    json_path: Path
    image_path: Path
    time: float
    disk_mtime: float | None
    data: dict[str, Any]

    @property
    def n_objects(self) -> int:
        return len(self.data.get("shapes", []))

    def document(self) -> Document:
        """The journaled document, read like a labelme file (raises ReadError)."""
        return document_from_dict(self.data, self.json_path, check_image=False)

    def disk_changed(self) -> bool:
        """True when the JSON on disk changed after the journaled document was loaded."""
        return _mtime(self.json_path) != self.disk_mtime


class Journal:
    """The crash journal of one session, in ``folder`` (created when needed)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.session = uuid.uuid4().hex[:12]
        self._lock: QLockFile | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._guard = threading.Lock()  # orders background writes against clear()
        self._generation = 0  # bumped by clear(): older snapshots must not be written
        self.last_error: LabeldeskError | None = None

    @property
    def file(self) -> Path:
        return self.folder / f"{self.session}.json"

    def start(self) -> None:
        """Create the folder and take this session's lock."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = QLockFile(str(self.folder / f"{self.session}.lock"))
        lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
        if not lock.tryLock(100):
            raise LabeldeskError(f"{self.folder}: cannot lock the crash journal")
        self._lock = lock

    def stop(self) -> None:
        """End cleanly: finish or drop pending writes, remove this session's entry and lock."""
        self.clear()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    # -- this session -----------------------------------------------------------------------------
    def record(self, doc: Document, image_path: Path, disk_mtime: float | None) -> None:
        """Write ``doc`` (unsaved) as this session's entry now, atomically."""
        if self._lock is None:
            self.start()
        if doc.path is None:
            return
        self._write(doc, image_path, disk_mtime, self._generation)

    def record_later(self, doc: Document, image_path: Path, disk_mtime: float | None) -> None:
        """Snapshot ``doc`` now and write it on the journal's thread (newest snapshot wins).

        A failed background write is kept in :attr:`last_error` for the caller to report.
        """
        if self._lock is None:
            self.start()
        if doc.path is None:
            return
        snapshot = snapshot_document(doc)  # kept (undrawable) shapes included
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        if self._pending is not None:
            self._pending.cancel()  # not started yet: the newer snapshot replaces it
        self._pending = self._writer.submit(
            self._write_logged, snapshot, image_path, disk_mtime, self._generation
        )

    def flush(self) -> None:
        """Wait until every background write has finished."""
        pending = self._pending
        if pending is not None and not pending.cancelled():
            with contextlib.suppress(Exception):
                pending.result()

    def _write_logged(self, doc: Document, image_path: Path, mtime: float | None, gen: int) -> None:
        try:
            self._write(doc, image_path, mtime, gen)
        except LabeldeskError as exc:
            logging.getLogger(__name__).warning("crash journal not written: %s", exc)
            self.last_error = exc

    def _write(self, doc: Document, image_path: Path, mtime: float | None, gen: int) -> None:
        entry = {
            "json_path": str(Path(doc.path).resolve()),
            "image_path": str(Path(image_path).resolve()),
            "time": time.time(),
            "disk_mtime": mtime,
            "document": document_to_dict(doc, doc.path),
        }
        text = json.dumps(entry, ensure_ascii=False)
        with self._guard:
            if gen == self._generation:  # not cleared since the snapshot was taken
                atomic_write_text(self.file, text)

    def clear(self) -> None:
        """Forget this session's entry (after a save, or when the edits are discarded).

        A snapshot taken before this call is never written afterwards.
        """
        with self._guard:
            self._generation += 1
            if self._pending is not None:
                self._pending.cancel()
            with contextlib.suppress(FileNotFoundError):
                self.file.unlink()

    # -- other sessions -----------------------------------------------------------------------------
    def orphans(self) -> list[JournalEntry]:
        """Entries of sessions that ended without cleaning up (a crash), newest first.

        A journal file that cannot be read is skipped (and left for a person to look at).
        """
        if not self.folder.is_dir():
            return []
        found: list[JournalEntry] = []
        for file in self.folder.glob("*.json"):
            session = file.stem
            if session == self.session or self._alive(session):
                continue
            try:
                raw = json.loads(file.read_text(encoding="utf-8"))
                found.append(
                    JournalEntry(
                        file,
                        Path(raw["json_path"]),
                        Path(raw["image_path"]),
                        float(raw["time"]),
                        raw.get("disk_mtime"),
                        raw["document"],
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(found, key=lambda e: e.time, reverse=True)

    def _alive(self, session: str) -> bool:
        path = self.folder / f"{session}.lock"
        if not path.exists():
            return False
        probe = QLockFile(str(path))
        probe.setStaleLockTime(0)
        if probe.tryLock(0):  # it was stale: its owner is gone
            probe.unlock()
            return False
        return True

    def discard(self, entry: JournalEntry) -> None:
        """Delete an orphaned entry (restored into this session, or refused by the user)."""
        with contextlib.suppress(FileNotFoundError):
            entry.file.unlink()
        with contextlib.suppress(FileNotFoundError):
            (self.folder / f"{entry.file.stem}.lock").unlink()
