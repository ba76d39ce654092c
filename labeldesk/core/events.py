"""A minimal, Qt-free observer so views can follow the document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

EventKind = Literal[
    "inserted", "removed", "changed", "reordered", "reset", "history", "selection", "preview"
]


@dataclass(frozen=True)
class DocEvent:
    """What changed: the event of a document, a selection or a tool.

    ``kind``, by who emits it:

    - ``Document.changed`` (through :class:`~labeldesk.core.shapelist.ShapeList`):
      ``"inserted"``, ``"removed"``, ``"changed"`` (shapes at ``indices`` changed in place),
      ``"reordered"`` (``indices``: every position), ``"reset"`` (everything may have changed:
      a file was opened); and ``"history"`` after every command, undo, redo, group and save
      (undo/redo availability or the clean state may have changed).
    - ``Selection.changed``: ``"selection"``.
    - a tool's ``changed``: ``"preview"`` (its preview or hint changed).

    indices: the shape indices concerned, after the change (before it for ``"removed"``).
    data: whatever the emitter adds (not compared).
    """

    kind: EventKind
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
