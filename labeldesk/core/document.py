"""The document: one image's annotation, the single source of truth the views render.

Views never change shapes directly: they call :meth:`Document.execute` with a command (or use
the helpers below, which do), so every change is undoable and observed through ``doc.changed``.
Commands act on the document's :class:`~labeldesk.core.shapelist.ShapeList`, the one object
that changes the list of shapes and announces each change.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from labeldesk.core.classes import ClassCatalogue
from labeldesk.core.commands import AddShapes, EditShape, RemoveShapes, Reorder
from labeldesk.core.events import DocEvent, Signal
from labeldesk.core.history import Command, History, Macro
from labeldesk.core.shapelist import ShapeList
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
        self._list = ShapeList(shapes, self.changed)
        # shapes labelme opens but labeldesk cannot draw, written back unchanged (io.labelme)
        self.kept_shapes: list[KeptShape] = []

    # -- reading ---------------------------------------------------------------------------
    @property
    def shapes(self) -> tuple[Shape, ...]:
        """The annotation objects in z-order (first drawn first; also the export order)."""
        return self._list.snapshot()

    def __len__(self) -> int:
        return len(self._list)

    def index_of(self, uid: int) -> int:
        for i, s in enumerate(self._list):
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
            tuple(s.state() for s in self._list),
        )

    # -- changing (all through commands) ---------------------------------------------------
    def execute(self, command: Command) -> None:
        """Do ``command`` and record it for undo; then tell the views."""
        self.history.push(command, self._list)
        self.changed.emit(DocEvent("history"))

    @contextmanager
    def group(self, text: str) -> Iterator[Macro]:
        """Make the commands executed inside the block one undo step (one gesture)."""
        with self.history.group(text, self._list) as macro:
            yield macro
        self.changed.emit(DocEvent("history"))

    def undo(self) -> bool:
        done = self.history.undo(self._list)
        self.changed.emit(DocEvent("history"))
        return done

    def redo(self) -> bool:
        done = self.history.redo(self._list)
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
        self.history.clear()
        self._list.reset(shapes)
