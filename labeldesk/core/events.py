"""A minimal, Qt-free observer so views can follow the document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DocEvent:
    """What changed in a document.

    kind: ``"inserted"``, ``"removed"``, ``"changed"`` (shapes at ``indices`` changed in
    place), ``"reordered"``, ``"reset"`` (everything may have changed), ``"flags"``,
    ``"classes"`` or ``"history"`` (undo/redo availability or the clean state changed).
    indices: the shape indices concerned, after the change (before it for ``"removed"``).
    """

    kind: str
    indices: tuple[int, ...] = ()
    data: Any = field(default=None, compare=False)


class Signal:
    """Callbacks called in order with one :class:`DocEvent`."""

    def __init__(self) -> None:
        self._slots: list[Callable[[DocEvent], None]] = []

    def connect(self, slot: Callable[[DocEvent], None]) -> None:
        if slot not in self._slots:
            self._slots.append(slot)

    def disconnect(self, slot: Callable[[DocEvent], None]) -> None:
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, event: DocEvent) -> None:
        for slot in list(self._slots):
            slot(event)
