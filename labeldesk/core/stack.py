"""The annotations of a frame stack: one ordinary :class:`Document` per frame, plus tracks.

A track is one object followed across frames. Its id is the shapes' labelme ``group_id``:
labelme shows and edits it, keeps it in every file, and its exporters already treat
``(label, group_id)`` as one instance, so a track stays one instance in every frame's VOC or
COCO export and labelme users see the same id on every frame. (Within a frame, shapes sharing
a label and group_id are parts of one object in labelme's terms, which is what a track is.)

:class:`StackDocument` is Qt-free and file-free: a :class:`FrameStore` (the sidecar folder in
``labeldesk.io.stacks.sidecar``) loads and saves the per-frame documents; frames without a
file get an empty document of the frame's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from labeldesk.core.document import Document
from labeldesk.core.machine import is_machine
from labeldesk.core.shapes import Shape

REGION_TYPES = ("polygon", "rectangle", "circle", "mask", "oriented_rectangle")


class FrameStore(Protocol):
    """Where a stack's per-frame documents live."""

    count: int

    def annotated(self) -> list[int]:
        """Frames that have a saved document."""
        ...

    def load(self, index: int) -> Document | None: ...

    def new(self, index: int) -> Document: ...

    def save(self, index: int, document: Document) -> None: ...


class StackDocument:
    """Per-frame documents of a stack, loaded when first asked for."""

    def __init__(self, store: FrameStore) -> None:
        self.store = store
        self._docs: dict[int, Document] = {}

    def __len__(self) -> int:
        return self.store.count

    def document(self, index: int) -> Document:
        i = int(index)
        if not 0 <= i < self.store.count:
            raise IndexError(f"frame {index} is outside 0..{self.store.count - 1}")
        doc = self._docs.get(i)
        if doc is None:
            doc = self.store.load(i) or self.store.new(i)
            self._docs[i] = doc
        return doc

    def loaded(self) -> dict[int, Document]:
        return dict(self._docs)

    def annotated_frames(self) -> list[int]:
        """Frames with at least one object (saved or in memory)."""
        saved = set(self.store.annotated()) - set(self._docs)
        live = {i for i, d in self._docs.items() if len(d)}
        return sorted(saved | live)

    def dirty_frames(self) -> list[int]:
        return sorted(i for i, d in self._docs.items() if d.is_dirty())

    def save(self, index: int) -> None:
        doc = self.document(index)
        self.store.save(index, doc)
        doc.mark_clean()

    def save_all(self) -> list[int]:
        """Save every changed frame; returns their indices."""
        dirty = self.dirty_frames()
        for i in dirty:
            self.save(i)
        return dirty

    def track_ids(self) -> set[int]:
        ids: set[int] = set()
        for i in self.annotated_frames():
            ids.update(s.group_id for s in self.document(i).shapes if s.group_id is not None)
        return ids

    def next_track_id(self) -> int:
        return max(self.track_ids(), default=0) + 1

    def ensure_tracks(self, index: int, indices: Sequence[int] | None = None) -> list[int]:
        """Give the chosen region objects of frame ``index`` a track id where they have none.

        Returns the shape indices taken (all region objects when ``indices`` is None). The
        ids are set with one undoable edit on that frame's document.
        """
        doc = self.document(index)
        chosen = list(range(len(doc))) if indices is None else [int(i) for i in indices]
        chosen = [i for i in chosen if doc.shapes[i].shape_type in REGION_TYPES]
        missing = [i for i in chosen if doc.shapes[i].group_id is None]
        if missing:
            next_id = self.next_track_id()
            with doc.group("Give objects track ids"):
                for k, i in enumerate(missing):
                    doc.edit_shape(i, "Track id", group_id=next_id + k)
        return chosen


def track_shapes(doc: Document, track: int) -> list[int]:
    return [i for i, s in enumerate(doc.shapes) if s.group_id == track]


def has_person_made(doc: Document, track: int) -> bool:
    """True when a person made (or reviewed) an object of ``track`` in this frame."""
    return any(s.group_id == track and not is_machine(s) for s in doc.shapes)


def replace_machine(doc: Document, track: int, shape: Shape | None, text: str) -> None:
    """Replace the machine-made objects of ``track`` in ``doc`` by ``shape`` (one undo step)."""
    old = [i for i in track_shapes(doc, track) if is_machine(doc.shapes[i])]
    with doc.group(text):
        if old:
            doc.remove_shapes(old)
        if shape is not None:
            doc.add_shape(shape, min(old) if old else None)
