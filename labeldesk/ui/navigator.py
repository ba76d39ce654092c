"""File navigation: the open folder, the current image, and reading the next one ahead.

The navigator only reads. Saving before moving on is the window's decision (it asks or
autosaves first, then calls :meth:`Navigator.go`). Images are decoded in an
:class:`~labeldesk.ui.workers.images.ImageWorker`; after an image is shown, its neighbour
in the direction of travel is read ahead, so "next image" usually finds it decoded already.
Next and previous follow the visiting order: the folder's, or the one the files panel shows
when it is sorted (:meth:`Navigator.set_order`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from labeldesk.core.errors import LabeldeskError
from labeldesk.io import list_images
from labeldesk.ui.folder import load_document
from labeldesk.ui.workers.base import WorkerHost
from labeldesk.ui.workers.images import LoadedImage

CACHE_BYTES = 768 * 1024 * 1024  # decoded images kept for going back and forth


class Navigator(QObject):
    """The folder's image list and which image is current.

    Signals: ``loaded(LoadedImage)`` when the current image is ready to show (its
    ``document`` is then the caller's to keep), ``failed(str)`` with a message naming the
    file, ``listing_changed()`` when the folder or its list changes.
    """

    loaded = Signal(object)
    failed = Signal(str)
    listing_changed = Signal()

    def __init__(self, host: WorkerHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.folder: Path | None = None
        self.images: list[Path] = []
        self.index = -1
        self.read_ahead = True
        self._cache: dict[Path, LoadedImage] = {}
        self._inflight: dict[Path, int] = {}  # path -> request id
        self._pending: Path | None = None
        self._step = 1
        self._order: list[int] | None = None  # image indices in visiting order; None: folder
        self._position: dict[int, int] = {}  # image index -> place in _order

    # -- listing ----------------------------------------------------------------------------------
    def open(self, folder: Path, image: Path | None = None) -> None:
        """List ``folder`` and show ``image`` (or the first image). Raises ReadError."""
        try:
            images = list_images(folder)
        except OSError as exc:
            raise LabeldeskError(
                f"{folder}: cannot list the folder: {exc.strerror or exc}"
            ) from exc
        self.folder, self.images, self.index = folder, images, -1
        self._order, self._position = None, {}
        self._cache.clear()
        self.listing_changed.emit()
        if image is not None and image in images:
            self.go(images.index(image))
        elif images:
            self.go(0)

    @property
    def current(self) -> Path | None:
        return self.images[self.index] if 0 <= self.index < len(self.images) else None

    def set_order(self, paths: Sequence[Path] | None) -> None:
        """Visit the images in the order of ``paths`` (images it leaves out come after, in
        folder order; unknown paths are ignored); None: the folder's order again."""
        if paths is None:
            self._order, self._position = None, {}
            return
        where = {p: i for i, p in enumerate(self.images)}
        order = list(dict.fromkeys(where[p] for p in paths if p in where))
        seen = set(order)
        order += [i for i in range(len(self.images)) if i not in seen]
        self._order, self._position = order, {i: k for k, i in enumerate(order)}

    def order(self) -> list[Path]:
        """The images in visiting order."""
        if self._order is None:
            return list(self.images)
        return [self.images[i] for i in self._order]

    def neighbour(self, step: int) -> int | None:
        """Index of the image ``step`` places from the current one in visiting order
        (+1: next, -1: previous), or None past either end."""
        if self._order is None or self.index not in self._position:
            j = self.index + step
            return j if 0 <= j < len(self.images) and self.index >= 0 else None
        k = self._position[self.index] + step
        return self._order[k] if 0 <= k < len(self._order) else None

    def _place(self, index: int) -> int:
        return index if self._order is None else self._position.get(index, index)

    # -- moving -----------------------------------------------------------------------------------
    def next(self) -> bool:
        j = self.neighbour(1)
        return j is not None and self.go(j)

    def previous(self) -> bool:
        j = self.neighbour(-1)
        return j is not None and self.go(j)

    def go(self, index: int) -> bool:
        """Make image ``index`` current; ``loaded`` or ``failed`` follows (maybe at once)."""
        if not 0 <= index < len(self.images):
            return False
        self._step = 1 if self._place(index) >= self._place(self.index) else -1
        self.index = index
        path = self.images[index]
        self._pending = path
        hit = self._cache.get(path)
        if hit is not None:
            self._deliver(hit)
        elif not self._is_inflight(path):
            self._inflight[path] = self.host.submit(
                "read",
                path,
                key="current",
                on_result=self._on_read,
                on_error=lambda msg, p=path: self._on_error(p, msg),
            )
        return True

    def _is_inflight(self, path: Path) -> bool:
        rid = self._inflight.get(path)
        return rid is not None and self.host.is_current(rid)

    def reload(self) -> None:
        """Read the current image again (after a file changed on disk)."""
        if self.current is not None:
            self._cache.pop(self.current, None)
            self.go(self.index)

    def forget(self) -> None:
        """Drop decoded images (memory pressure, folder closed)."""
        self._cache.clear()

    # -- results ----------------------------------------------------------------------------------
    def _on_read(self, item: LoadedImage) -> None:
        self._inflight.pop(item.path, None)
        self._store(item)
        if item.path == self._pending:
            self._deliver(item)

    def _on_error(self, path: Path, message: str) -> None:
        self._inflight.pop(path, None)
        if path == self._pending:
            self._pending = None
            self.failed.emit(message)

    def _deliver(self, item: LoadedImage) -> None:
        self._pending = None
        if item.document is None or not item.fresh():
            # the prefetched annotation was used already or changed on disk: read it again
            try:
                item.document, item.doc_error = load_document(item.path, *item.size), ""
            except LabeldeskError as exc:
                item.document, item.doc_error = None, str(exc)
        self.loaded.emit(item)
        item.document = None  # handed over; a later visit reads the file again
        item.json_mtime = -1.0
        if item.nbytes() <= CACHE_BYTES // 2:  # a huge image's neighbour would not fit anyway
            self._prefetch()

    def _store(self, item: LoadedImage) -> None:
        self._cache[item.path] = item
        keep = {self.current}
        for d in (self._step, -self._step):
            j = self.neighbour(d)
            if j is not None:
                keep.add(self.images[j])
        for path in [p for p in self._cache if p not in keep]:
            del self._cache[path]
        while sum(v.nbytes() for v in self._cache.values()) > CACHE_BYTES and len(self._cache) > 1:
            victim = next(p for p in self._cache if p != self.current)
            del self._cache[victim]

    def ahead(self) -> Path | None:
        """The image read-ahead goes to: the neighbour in the direction of the last move (in
        the order shown), or None when read-ahead is off or there is none."""
        j = self.neighbour(self._step)
        return None if not self.read_ahead or j is None else self.images[j]

    def _prefetch(self) -> None:
        j = self.neighbour(self._step)
        if not self.read_ahead or j is None:
            return
        path = self.images[j]
        if path in self._cache or self._is_inflight(path):
            return
        self._inflight[path] = self.host.submit(
            "read",
            path,
            key="ahead",
            on_result=self._on_read,
            on_error=lambda msg, p=path: self._on_error(p, msg),  # reported only if wanted by then
        )
