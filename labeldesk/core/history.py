"""Undo/redo: a linear stack of commands, unbounded in count but held to a memory budget.

A command (the :class:`Command` protocol) is an object with ``do(shapes)``, ``undo(shapes)``
(``shapes``: the document's :class:`~labeldesk.core.shapelist.ShapeList`), a ``text`` for
menus and ``nbytes()`` (the memory it keeps alive). One user gesture is one step: commands run inside
``with history.group("text"):`` become a single :class:`Macro`. The document is clean (saved)
when the stack stands at its clean index.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from labeldesk.core.shapelist import ShapeList

DEFAULT_BUDGET_BYTES = 512 * 1024 * 1024


class Command(Protocol):
    """One exactly reversible change of a document's shapes (see the module docs)."""

    text: str

    def do(self, shapes: ShapeList) -> None: ...

    def undo(self, shapes: ShapeList) -> None: ...

    def nbytes(self) -> int: ...


class Macro:
    """Several commands done in order and undone in reverse: one undo step."""

    def __init__(self, text: str, commands: list[Command] | None = None) -> None:
        self.text = text
        self.commands: list[Command] = list(commands or [])

    def do(self, shapes: ShapeList) -> None:
        for c in self.commands:
            c.do(shapes)

    def undo(self, shapes: ShapeList) -> None:
        for c in reversed(self.commands):
            c.undo(shapes)

    def nbytes(self) -> int:
        return 64 + sum(c.nbytes() for c in self.commands)


class History:
    """The undo stack of one document.

    ``budget_bytes`` bounds the memory the stack keeps: when it is exceeded, the oldest steps
    are dropped (never the newest). Dropping the step the clean index needs makes the clean
    state unreachable, so the document stays dirty until saved again.
    """

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._steps: list[Command] = []
        self._sizes: list[int] = []
        self._index = 0  # steps[:index] are done
        self._clean: int | None = 0
        self._open: list[Macro] = []

    # -- state -------------------------------------------------------------------------
    @property
    def index(self) -> int:
        return self._index

    def __len__(self) -> int:
        return len(self._steps)

    def can_undo(self) -> bool:
        return self._index > 0 and not self._open

    def can_redo(self) -> bool:
        return self._index < len(self._steps) and not self._open

    def undo_text(self) -> str:
        return self._steps[self._index - 1].text if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._steps[self._index].text if self.can_redo() else ""

    def is_clean(self) -> bool:
        return self._clean == self._index and not self._open

    def set_clean(self) -> None:
        self._clean = self._index

    def set_dirty(self) -> None:
        """Forget the clean point (a background save failed: nothing matches the disk)."""
        self._clean = None

    def nbytes(self) -> int:
        return sum(self._sizes)

    def clear(self) -> None:
        self._steps.clear()
        self._sizes.clear()
        self._index = 0
        self._clean = 0
        self._open.clear()

    # -- changes -----------------------------------------------------------------------
    def push(self, command: Command, shapes: ShapeList) -> None:
        """Do ``command`` on ``shapes`` and record it (inside an open group if there is one)."""
        command.do(shapes)
        if self._open:
            self._open[-1].commands.append(command)
            return
        self._record(command)

    def _record(self, command: Command) -> None:
        del self._steps[self._index :]
        del self._sizes[self._index :]
        if self._clean is not None and self._clean > self._index:
            self._clean = None
        self._steps.append(command)
        self._sizes.append(command.nbytes())
        self._index += 1
        self._trim()

    def _trim(self) -> None:
        total = sum(self._sizes)
        drop = 0
        while total > self.budget_bytes and drop < len(self._steps) - 1:
            total -= self._sizes[drop]
            drop += 1
        if drop:
            del self._steps[:drop]
            del self._sizes[:drop]
            self._index -= drop
            if self._clean is not None:
                self._clean = self._clean - drop if self._clean >= drop else None

    @contextmanager
    def group(self, text: str, shapes: ShapeList | None = None) -> Iterator[Macro]:
        """Make every command pushed inside the block one undo step named ``text``.

        If the block raises, the commands done so far are undone on ``shapes`` (when given)
        and nothing is recorded.
        """
        macro = Macro(text)
        self._open.append(macro)
        try:
            yield macro
        except BaseException:
            self._open.pop()
            if shapes is not None:
                macro.undo(shapes)
            raise
        self._open.pop()
        if not macro.commands:
            return
        if self._open:
            self._open[-1].commands.append(macro)
        else:
            self._record(macro)

    def undo(self, shapes: ShapeList) -> bool:
        if not self.can_undo():
            return False
        self._index -= 1
        self._steps[self._index].undo(shapes)
        return True

    def redo(self, shapes: ShapeList) -> bool:
        if not self.can_redo():
            return False
        self._steps[self._index].do(shapes)
        self._index += 1
        return True
