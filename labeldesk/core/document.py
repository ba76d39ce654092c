"""The document: one image's annotation, the single source of truth the views render.

Views never change shapes directly: they call :meth:`Document.execute` with a command (or use
the helpers below, which do), so every change is undoable and observed through ``doc.changed``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from labeldesk.core.classes import ClassCatalogue
from labeldesk.core.commands import AddShapes, EditShape, RemoveShapes, Reorder
from labeldesk.core.events import DocEvent, Signal
from labeldesk.core.history import History, Macro
from labeldesk.core.shapes import KeptShape, Shape

LABELME_VERSION = "5.5.0"


class Document:
    """An image reference, its annotation objects in z-order, classes and undo history.

    Attributes:
        image_path: the image path as the JSON stores it (relative to the JSON's folder).
        image_height, image_width: the displayed size (after EXIF orientation).
        image_data: the embedded image as its base64 text, or None (labelme's ``imageData``).
        flags: image-level flags.
        version: the labelme format version written to the file.
        extra: top-level keys labelme does not define, kept in order for the round trip.
        path: the JSON file this document was read from or last written to, if any.
    """

    def __init__(
        self,
        image_path: str | None = None,
        image_height: int = 0,
        image_width: int = 0,
        *,
        shapes: Sequence[Shape] = (),
        classes: ClassCatalogue | None = None,
        flags: dict[str, bool] | None = None,
        image_data: str | None = None,
        version: str = LABELME_VERSION,
        extra: dict[str, Any] | None = None,
        path: str | Path | None = None,
    ) -> None:
        self.image_path = image_path
        self.image_height = int(image_height)
        self.image_width = int(image_width)
        self.image_data = image_data
        self.flags: dict[str, bool] = dict(flags or {})
        self.version = version
        self.extra: dict[str, Any] = dict(extra or {})
        self.path = Path(path) if path is not None else None
        self.classes = classes if classes is not None else ClassCatalogue()
        self.history = History()
        self.changed = Signal()
        self._shapes: list[Shape] = list(shapes)
        # shapes labelme opens but labeldesk cannot draw, written back unchanged (io.labelme)
        self.kept_shapes: list[KeptShape] = []

    # -- reading ---------------------------------------------------------------------------
    @property
    def shapes(self) -> tuple[Shape, ...]:
        """The annotation objects in z-order (first drawn first; also the export order)."""
        return tuple(self._shapes)

    def __len__(self) -> int:
        return len(self._shapes)

    def index_of(self, uid: int) -> int:
        for i, s in enumerate(self._shapes):
            if s.uid == uid:
                return i
        raise KeyError(uid)

    def image_file(self) -> Path | None:
        """Absolute path of the image, resolved against the JSON's folder when relative."""
        if not self.image_path:
            return None
        p = Path(self.image_path.replace("\\", "/"))
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p

    def is_dirty(self) -> bool:
        return not self.history.is_clean()

    def state(self) -> tuple:
        """A comparable snapshot of the whole annotation (for tests and crash journals)."""
        return (
            self.image_path,
            self.image_height,
            self.image_width,
            tuple(sorted(self.flags.items())),
            tuple(s.state() for s in self._shapes),
        )

    # -- changing (all through commands) ---------------------------------------------------
    def execute(self, command: Any) -> None:
        """Do ``command`` and record it for undo; then tell the views."""
        self.history.push(command, self)
        self.changed.emit(DocEvent("history"))

    @contextmanager
    def group(self, text: str) -> Iterator[Macro]:
        """Make the commands executed inside the block one undo step (one gesture)."""
        with self.history.group(text, doc=self) as macro:
            yield macro
        self.changed.emit(DocEvent("history"))

    def undo(self) -> bool:
        done = self.history.undo(self)
        self.changed.emit(DocEvent("history"))
        return done

    def redo(self) -> bool:
        done = self.history.redo(self)
        self.changed.emit(DocEvent("history"))
        return done

    def mark_clean(self) -> None:
        self.history.set_clean()
        self.changed.emit(DocEvent("history"))

    def add_shape(self, shape: Shape, index: int | None = None) -> None:
        shape.validate()
        self.execute(AddShapes([shape], None if index is None else [index]))

    def remove_shapes(self, indices: Sequence[int]) -> None:
        self.execute(RemoveShapes(indices))

    def edit_shape(self, index: int, text: str = "Edit object", **changes: Any) -> None:
        self.execute(EditShape(index, text, **changes))

    def set_label(self, indices: Sequence[int], label: str) -> None:
        with self.group("Change class"):
            for i in indices:
                self.execute(EditShape(i, "Change class", label=label))

    def reorder(self, order: Sequence[int]) -> None:
        self.execute(Reorder(order))

    def replace_all(self, shapes: Sequence[Shape]) -> None:
        """Load new content without history (opening a file)."""
        self._shapes = list(shapes)
        self.history.clear()
        self.changed.emit(DocEvent("reset"))

    # -- primitives for commands only --------------------------------------------------------
    def _insert(self, indices: Sequence[int], shapes: Sequence[Shape]) -> None:
        for i, s in sorted(zip(indices, shapes, strict=True), key=lambda t: t[0]):
            self._shapes.insert(i, s)
        self.changed.emit(DocEvent("inserted", tuple(indices)))

    def _remove(self, indices: Sequence[int]) -> list[Shape]:
        removed = [self._shapes[i] for i in indices]
        for i in sorted(indices, reverse=True):
            del self._shapes[i]
        self.changed.emit(DocEvent("removed", tuple(indices)))
        return removed

    def _reorder(self, order: Sequence[int]) -> None:
        self._shapes = [self._shapes[i] for i in order]
        self.changed.emit(DocEvent("reordered", tuple(range(len(order)))))

    def _changed(self, indices: Sequence[int]) -> None:
        self.changed.emit(DocEvent("changed", tuple(indices)))
