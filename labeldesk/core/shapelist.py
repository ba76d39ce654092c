"""The list of a document's annotation objects, as the commands see and change it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from labeldesk.core.events import DocEvent, Signal
from labeldesk.core.shapes import Shape


class ShapeList:
    """The shapes of one document in z-order (first drawn first; also the export order).

    Commands (:mod:`labeldesk.core.commands`) receive this object, never the document: it
    is the one place the list changes, and every change is announced on ``signal`` (the
    document's ``changed``) with the matching :class:`DocEvent`. A command that changes a
    shape in place calls :meth:`touch` afterwards so the views redraw it.
    """

    def __init__(self, shapes: Iterable[Shape], signal: Signal) -> None:
        self._items: list[Shape] = list(shapes)
        self.signal = signal

    # -- reading -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> Shape:
        return self._items[index]

    def __iter__(self) -> Iterator[Shape]:
        return iter(self._items)

    def snapshot(self) -> tuple[Shape, ...]:
        """The shapes now, as a tuple (the list may change afterwards; the shapes are shared)."""
        return tuple(self._items)

    # -- changing (commands only) --------------------------------------------------------
    def insert(self, indices: Sequence[int], shapes: Sequence[Shape]) -> None:
        """Insert ``shapes[k]`` so that it ends up at ``indices[k]`` (positions in the final
        list); emits ``inserted``."""
        for i, s in sorted(zip(indices, shapes, strict=True), key=lambda t: t[0]):
            self._items.insert(i, s)
        self.signal.emit(DocEvent("inserted", tuple(indices)))

    def remove(self, indices: Sequence[int]) -> list[Shape]:
        """Remove the shapes at ``indices`` and return them (in the order of ``indices``);
        emits ``removed`` with the indices they had."""
        removed = [self._items[i] for i in indices]
        for i in sorted(indices, reverse=True):
            del self._items[i]
        self.signal.emit(DocEvent("removed", tuple(indices)))
        return removed

    def reorder(self, order: Sequence[int]) -> None:
        """New order: ``order[i]`` is the old index of the new i-th shape; emits ``reordered``."""
        if sorted(order) != list(range(len(self._items))):
            raise ValueError(f"order must be a permutation of 0..{len(self._items) - 1}")
        self._items = [self._items[i] for i in order]
        self.signal.emit(DocEvent("reordered", tuple(range(len(order)))))

    def touch(self, indices: Sequence[int]) -> None:
        """Say that the shapes at ``indices`` were changed in place; emits ``changed``."""
        self.signal.emit(DocEvent("changed", tuple(indices)))

    def reset(self, shapes: Iterable[Shape]) -> None:
        """Replace every shape (opening a file; not a command); emits ``reset``."""
        self._items = list(shapes)
        self.signal.emit(DocEvent("reset"))
