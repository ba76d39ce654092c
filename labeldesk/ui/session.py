"""The working session: open folder, current image and document, classes, saving, journal.

This is the window's model layer (no widgets). It owns the background workers (image
reading, folder tasks), the shared :class:`~labeldesk.core.selection.Selection` and one
:class:`~labeldesk.core.classes.ClassCatalogue` that every document of the folder uses, so a
class has the same colour on the canvas and in every panel. Questions to the user (save or
discard?) go through :attr:`Session.ask_unsaved`, which the window sets.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from labeldesk.core.classes import ClassCatalogue
from labeldesk.core.commands import AddShapes, EditShape, RemoveShapes
from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.events import DocEvent
from labeldesk.core.machine import (
    clear_machine,
    count_machine,
    is_machine,
    machine_source,
    mark_machine,
)
from labeldesk.core.selection import Selection
from labeldesk.io import write_labelme
from labeldesk.ui.folder import (
    BAD,
    EMPTY,
    IMAGE_UNREADABLE,
    LABELED,
    UNLABELED,
    FileState,
    FolderScan,
    RenameReport,
    json_path_for,
    load_document,
    rename_label_in_folder,
    resolve_open_target,
    scan_folder,
)
from labeldesk.ui.folder import mtime as _mtime
from labeldesk.ui.journal import Journal, JournalEntry
from labeldesk.ui.navigator import Navigator
from labeldesk.ui.placeholder import placeholder_item
from labeldesk.ui.saving import (
    BACKGROUND_POINTS,
    BackgroundSaver,
    SaveResult,
    read_only_target,
    refuse_read_only,
    save_weight,
)
from labeldesk.ui.workers.base import Worker, WorkerHost
from labeldesk.ui.workers.images import ImageWorker, LoadedImage

JOURNAL_DELAY_MS = 1500  # unsaved edits reach the crash journal at most this late
_task_ids = itertools.count(1)


class Session(QObject):
    """Signals: ``loaded()`` (a new image/document is current), ``dirty_changed(bool)``,
    ``message(text, level)`` with level ``"status"``, ``"info"``, ``"warning"`` or ``"error"``,
    ``classes_changed()``, ``states_changed()`` (files panel), ``task_done(object)``."""

    loaded = Signal()
    dirty_changed = Signal(bool)
    message = Signal(str, str)
    classes_changed = Signal()
    states_changed = Signal()
    task_done = Signal(object)

    def __init__(self, journal: Journal, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.journal = journal
        self.images = WorkerHost(ImageWorker(), name="labeldesk-images")
        self.tasks = WorkerHost(Worker(), name="labeldesk-tasks")
        self.navigator = Navigator(self.images, self)
        self.navigator.loaded.connect(self._on_loaded)
        self.navigator.failed.connect(self._on_failed)
        self.selection = Selection()
        self.classes = ClassCatalogue()
        self.active = ""
        self.doc: Document | None = None
        self.item: LoadedImage | None = None
        self.read_only = ""  # why the open annotation must never be written ("" = writable)
        self.autosave = True
        self.states: dict[Path, FileState] = {}
        self.unreadable: dict[Path, str] = {}  # images that could not be decoded -> why
        self.damaged: dict[Path, str] = {}  # images shown incomplete (truncated) -> why
        self.ask_read_only: Callable[[str], bool] = lambda _name: False
        self.saver = BackgroundSaver(self)
        self.saver.finished.connect(self._on_saved)
        self._failed_saves: dict[Path, Document] = {}  # background writes that failed
        self.ask_unsaved: Callable[[str, bool], str] = lambda _name, _can_save: "cancel"
        self._dirty = False
        self._disk_mtime: float | None = None
        self._restore: JournalEntry | None = None
        self._journal_timer = QTimer(self)
        self._journal_timer.setSingleShot(True)
        self._journal_timer.setInterval(JOURNAL_DELAY_MS)
        self._journal_timer.timeout.connect(self.write_journal)

    # -- opening and moving -------------------------------------------------------------------------
    @property
    def folder(self) -> Path | None:
        return self.navigator.folder

    def open(self, path: str | os.PathLike[str], classes: ClassCatalogue) -> bool:
        """Open a folder, image or labelme JSON with the folder's ``classes``; False if refused."""
        folder, image = resolve_open_target(path)  # raises ReadError with the path in it
        if not self.leave():
            return False
        self.classes = classes
        self.states = {}
        self.unreadable = {}
        self.navigator.open(folder, image)
        self.rescan()
        self.classes_changed.emit()
        return True

    def rescan(self) -> None:
        if self.folder is not None:
            self.tasks.submit(
                scan_folder,
                self.folder,
                list(self.navigator.images),
                key="scan",
                on_result=self._on_scan,
            )

    def show_item(self, item: LoadedImage) -> bool:
        """Show ``item`` (a frame of a stack, read by the caller) as the current image and
        document, saving or asking first as moving to another image does. False = stay."""
        if not self.leave():
            return False
        self._on_loaded(item)
        return True

    def go(self, index: int) -> bool:
        """Save or ask (per the autosave setting), then show image ``index``."""
        if not 0 <= index < len(self.navigator.images) or index == self.navigator.index:
            return False
        if not self.leave():
            return False
        return self.navigator.go(index)

    def leave(self) -> bool:
        """Make it safe to drop the current document: autosave, or ask. False = stay."""
        doc = self.doc
        if doc is None or not doc.is_dirty():
            return True
        if self.autosave and not self.read_only:
            return self.save()
        choice = self.ask_unsaved(doc.path.name if doc.path else "this image", not self.read_only)
        if choice == "save":
            return self.save()
        if choice == "discard":
            self._journal_timer.stop()
            self.journal.clear()
            doc.mark_clean()
            return True
        return False

    def _on_loaded(self, item: LoadedImage) -> None:
        old = self.doc
        if old is not None:
            if old.is_dirty() and self.autosave and not self.read_only:
                self.save()  # edits made while the next image was being read
            old.changed.disconnect(self._on_doc)
        self.item, self.read_only = item, ""
        self.unreadable.pop(item.path, None)
        if item.damage:
            self.damaged[item.path] = item.damage
            self._mark_damaged(item.path)
            self.message.emit(
                f"{item.path.name}: {item.damage}. It is shown as far as it could be read.",
                "warning",
            )
        doc = item.document
        json_path = json_path_for(item.path)
        if self.saver.is_pending(json_path):
            # its background save is still writing: wait, then read what it wrote (the
            # annotation read with the image may predate it)
            self.saver.flush(deliver=False)
            try:
                doc, item.doc_error = load_document(item.path, *item.size), ""
            except LabeldeskError as exc:
                doc, item.doc_error = None, str(exc)
        if doc is None:
            self.read_only = item.doc_error
            self.message.emit(
                f"{item.doc_error}. The file is left as it is; edits to this image cannot be "
                "saved until it is fixed or removed.",
                "error",
            )
            doc = Document(item.path.name, *item.size, path=json_path_for(item.path))
        doc.classes = self.classes
        for shape in doc.shapes:
            self.classes.ensure(shape.label)
        self._disk_mtime = _mtime(doc.path)
        self.selection.clear()
        self.doc, self._dirty = doc, False
        doc.changed.connect(self._on_doc)
        self._journal_timer.stop()
        self.journal.clear()
        self.loaded.emit()
        self.dirty_changed.emit(False)
        self.classes_changed.emit()
        self._bring_back_failed_save(doc)
        if self._restore is not None and item.path.resolve() == self._restore.image_path:
            self._apply_restore()

    def _mark_damaged(self, path: Path, *, emit: bool = True) -> None:
        """Files panel: the image opens but is incomplete (its state keeps the labels)."""
        state = self.states.get(path)
        if state is not None and state.state == BAD:
            return
        why = self.damaged[path]
        self.states[path] = dataclasses.replace(state or FileState(UNLABELED), damage=why)
        if emit:
            self.states_changed.emit()

    def _on_failed(self, message: str) -> None:
        """The selected image cannot be read: show a placeholder under its name, with no
        document, so the canvas, title and document still agree with the selection."""
        path = self.navigator.current
        if path is None:
            self.message.emit(message, "error")
            return
        old = self.doc
        if old is not None:
            if old.is_dirty() and self.autosave and not self.read_only:
                self.save()  # edits made while the bad image was being read
            old.changed.disconnect(self._on_doc)
        self.item, self.doc, self._dirty = placeholder_item(path, message), None, False
        self.read_only = message
        self._disk_mtime = None
        self.selection.clear()
        self._journal_timer.stop()
        self.journal.clear()
        self.unreadable[path] = message
        self.states[path] = FileState(BAD, message=IMAGE_UNREADABLE + message)
        self.loaded.emit()
        self.dirty_changed.emit(False)
        self.states_changed.emit()
        self.message.emit(
            f"{message}. Nothing can be drawn on this image; pick another one.", "error"
        )

    def _on_doc(self, ev: DocEvent) -> None:
        doc = self.doc
        if doc is None:
            return
        if ev.kind == "history":
            dirty = doc.is_dirty()
            if dirty and not self._journal_timer.isActive():
                self._journal_timer.start()  # not restarted by later edits: a steady stream of
                # edits is journaled every JOURNAL_DELAY_MS, not only once the user pauses
            if dirty != self._dirty:
                self._dirty = dirty
                if not dirty:
                    self._journal_timer.stop()
                    self.journal.clear()
                self.dirty_changed.emit(dirty)
            return
        if ev.kind in ("inserted", "changed", "reset"):
            for i in ev.indices or range(len(doc)):
                if i < len(doc):
                    self.classes.ensure(doc.shapes[i].label)
        self.classes_changed.emit()

    # -- saving and the journal ---------------------------------------------------------------------
    def save(self, *, reviewed: bool = False) -> bool:
        """Write the document. ``reviewed``: a person saved it (File ▸ Save, Ctrl+S), which
        reviews the machine-made objects: their marks are dropped (an automatic save on
        moving to another image keeps them)."""
        doc = self.doc
        if doc is None or doc.path is None:
            return False
        if self.read_only:
            self.message.emit(f"Not saved: {self.read_only}", "error")
            return False
        marked = [s for s in doc.shapes if is_machine(s)] if reviewed else []
        sources = [machine_source(s) for s in marked]
        clear_machine(marked)
        try:
            self._write(doc)
        except LabeldeskError as exc:
            for s, src in zip(marked, sources, strict=True):  # not reviewed after all
                mark_machine(s, src or "machine")
            self.message.emit(f"Not saved: {exc}", "error")
            return False
        self._disk_mtime = _mtime(doc.path)
        self._journal_timer.stop()
        self.journal.clear()
        if self.item is not None:
            labels = tuple(s.label for s in doc.shapes)
            self.states[self.item.path] = FileState(
                LABELED if labels else EMPTY,
                len(labels),
                labels,
                machine=count_machine(doc.shapes),
            )
            if self.item.path in self.damaged:
                self._mark_damaged(self.item.path, emit=False)
            self.states_changed.emit()
        self.message.emit(f"Saved {doc.path.name}", "status")
        return True

    def _write(self, doc: Document) -> None:
        """Write ``doc`` to its file. A read-only file is replaced only if the user agrees;
        a large document is written in the background (:mod:`labeldesk.ui.saving`), the
        result coming back to :meth:`_on_saved`. Raises LabeldeskError."""
        assert doc.path is not None
        allow = False
        if read_only_target(doc.path):
            if not self.ask_read_only(doc.path.name):
                raise refuse_read_only(doc.path)
            allow = True
        if save_weight(doc) > BACKGROUND_POINTS:
            self.saver.submit(doc, doc.path, allow_read_only=allow)
        else:
            write_labelme(doc, doc.path, allow_read_only=allow)

    def _on_saved(self, result: SaveResult) -> None:
        """A background write finished: a failure is always shown, and nothing is lost."""
        doc = result.doc
        if result.error is None:
            if doc is self.doc:
                self._disk_mtime = _mtime(result.path)
            self._failed_saves.pop(result.path, None)
            self.message.emit(f"Saved {result.path.name}", "status")
            return
        if doc is self.doc:
            doc.history.set_dirty()
            doc.changed.emit(DocEvent("history"))
            self.message.emit(f"Not saved: {result.error}", "error")
            return
        self._failed_saves[result.path] = result.snapshot
        self.message.emit(
            f"Not saved: {result.error}. The edits are kept: they come back when "
            f"{result.path.stem} is opened again.",
            "error",
        )

    def _bring_back_failed_save(self, doc: Document) -> None:
        snap = self._failed_saves.pop(doc.path, None) if doc.path is not None else None
        if snap is None:
            return
        with doc.group("Bring back edits that could not be saved"):
            if len(doc):
                doc.execute(RemoveShapes(range(len(doc))))
            if len(snap):
                doc.execute(AddShapes(list(snap.shapes)))
        doc.kept_shapes = snap.kept_shapes
        self.message.emit(
            f"{doc.path.name if doc.path else 'This image'} has edits that could not be "
            "saved earlier; they are back. Save to keep them.",
            "warning",
        )

    def flush_saves(self) -> None:
        """Wait for background saves and apply their results (tests, closing)."""
        self.saver.flush()

    def write_journal(self) -> None:
        """Write the unsaved document to the crash journal now (normally debounced)."""
        doc, item = self.doc, self.item
        if doc is None or item is None or not doc.is_dirty():
            return
        error, self.journal.last_error = self.journal.last_error, None
        if error is not None:  # the previous background write failed
            self.message.emit(f"Crash journal not written: {error}", "warning")
        try:
            self.journal.record_later(doc, item.path, self._disk_mtime)
        except LabeldeskError as exc:
            self.message.emit(f"Crash journal not written: {exc}", "warning")

    def restore(self, entry: JournalEntry) -> None:
        """Bring back a crashed session's edits (its image must be, or become, current)."""
        self._restore = entry
        if self.item is not None and self.item.path.resolve() == entry.image_path:
            self._apply_restore()

    def _apply_restore(self) -> None:
        entry, self._restore = self._restore, None
        doc = self.doc
        if entry is None or doc is None:
            return
        try:
            saved = entry.document()
        except LabeldeskError as exc:
            self.message.emit(f"Cannot restore from the crash journal: {exc}", "error")
            return
        with doc.group("Restore unsaved edits"):
            if len(doc):
                doc.execute(RemoveShapes(range(len(doc))))
            if len(saved):
                doc.execute(AddShapes(list(saved.shapes)))
        self.journal.discard(entry)
        note = (
            " The file changed on disk since; Ctrl+Z shows the disk version."
            if entry.disk_changed()
            else ""
        )
        self.message.emit(
            f"Restored {len(saved)} objects of {entry.json_path.name}; save to keep them.{note}",
            "info",
        )

    def close(self) -> None:
        """Stop the workers and end the journal (after :meth:`leave` agreed)."""
        self._journal_timer.stop()
        self.saver.stop()
        self.images.stop()
        self.tasks.stop()
        self.journal.stop()

    # -- classes ------------------------------------------------------------------------------------
    def counts(self) -> Counter:
        return Counter(s.label for s in self.doc.shapes) if self.doc is not None else Counter()

    def set_active(self, name: str) -> None:
        if name in self.classes and name != self.active:
            self.active = name
            self.classes_changed.emit()

    def folder_uses(self, name: str) -> int:
        """How many annotation files other than the open one use class ``name``."""
        current = self.item.path if self.item is not None else None
        return sum(1 for p, st in self.states.items() if p != current and name in st.labels)

    def rename_class(self, old: str, new: str) -> int:
        """Rename a class here (one undo step) and in every file of the folder (background).

        Returns the id of the folder task; ``task_done(RenameReport)`` follows.
        """
        new = new.strip()
        self.tasks.cancel_key("scan")  # a scan that read the old names must not bring them back
        self.classes.rename(old, new)  # raises LabeldeskError for an empty or taken name
        if self.active == old:
            self.active = new
        doc, here = self.doc, 0
        if doc is not None:
            idx = [i for i, s in enumerate(doc.shapes) if s.label == old]
            if idx:
                was_clean = not doc.is_dirty()
                with doc.group(f"Rename class {old} to {new}"):
                    for i in idx:
                        doc.execute(EditShape(i, "Rename class", label=new))
                here = 1
                if was_clean and not self.read_only:
                    self.save()
        self.classes_changed.emit()
        skip = [doc.path] if doc is not None and doc.path is not None else []
        return self.tasks.submit(
            rename_label_in_folder,
            self.folder,
            old,
            new,
            skip=skip,
            key=f"rename-{next(_task_ids)}",
            on_result=lambda report: self._renamed(report, here),
            on_error=lambda msg: self.message.emit(msg, "error"),
        )

    def _renamed(self, report: RenameReport, here: int) -> None:
        if here and self.doc is not None and self.doc.path is not None:
            report.touched.insert(0, self.doc.path)
        self.message.emit(report.summary(), "warning" if report.failed else "info")
        self.rescan()
        self.task_done.emit(report)

    def delete_class(self, name: str) -> None:
        here, there = self.counts().get(name, 0), self.folder_uses(name)
        if here or there:
            raise LabeldeskError(
                f"class {name!r} is still used by {here} object(s) in this image and {there} other "
                "file(s); rename it or change those objects first"
            )
        self.classes.remove(name)
        if self.active == name:
            self.active = self.classes.names()[0] if len(self.classes) else ""
        self.classes_changed.emit()

    def _on_scan(self, scan: FolderScan) -> None:
        if scan.folder != self.folder:
            return
        self.states = scan.states
        for path, why in self.unreadable.items():
            self.states[path] = FileState(BAD, message=IMAGE_UNREADABLE + why)
        for path in self.damaged:
            self._mark_damaged(path, emit=False)
        for label in scan.label_files:
            if label:
                self.classes.ensure(label)
        self.states_changed.emit()
        self.classes_changed.emit()
