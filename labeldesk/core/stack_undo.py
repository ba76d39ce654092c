"""One undo step for a whole propagation or interpolation across a stack's frames (Qt-free).

Each frame of a stack is an ordinary document with its own undo history, and a propagation or
an interpolation gives every frame it changes one undo step there (named ``"Propagate"`` or
``"Interpolate"``). A person who has just filled the slices between two key frames and
presses Ctrl+Z expects the whole fill to go, whichever frame is shown (3D Slicer: one undo
for "fill between slices"). :class:`StackJobUndo` gives that without merging the histories:

- after a job, it notes every loaded frame's history position;
- Ctrl+Z (:meth:`StackJobUndo.step` with ``"undo"``) while the job is still the stack's
  newest edit (no frame's history moved since) undoes the job's step on every frame it
  changed, as one step; Ctrl+Shift+Z right after that redoes it on every frame;
- once any frame is edited after the job, Ctrl+Z is that frame's own undo again (the job is
  no longer the newest edit), and the window's "Undo Last Propagation or Interpolation"
  takes the job back on the frames where it is still the last edit.
"""

from __future__ import annotations

from collections.abc import Iterable

from labeldesk.core.document import Document
from labeldesk.core.stack import StackDocument

Mark = tuple[int, int, str, str]


def _mark(doc: Document) -> Mark:
    """Where a frame's history stands: position, length, and the steps on either side."""
    h = doc.history
    return h.index, len(h), h.undo_text(), h.redo_text()


class StackJobUndo:
    """The last job of a stack and whether it is still the newest edit (see module docs)."""

    def __init__(self) -> None:
        self.kind = ""
        self.frames: list[int] = []
        self.undone = False
        self._marks: dict[int, Mark] = {}

    def record(self, annotations: StackDocument, kind: str, frames: Iterable[int]) -> None:
        """A job named ``kind`` (the undo step's text) just changed ``frames``."""
        self.kind, self.frames, self.undone = kind, list(dict.fromkeys(frames)), False
        self._marks = self._snapshot(annotations)

    def forget(self) -> None:
        self.kind, self.frames, self.undone, self._marks = "", [], False, {}

    def newest(self, annotations: StackDocument) -> bool:
        """No frame was edited (or undone) since the job or its last whole undo/redo."""
        if not self.frames:
            return False
        for i, doc in annotations.loaded().items():
            if _mark(doc) != self._marks.get(i, (0, 0, "", "")):
                return False
        return True

    def step(self, annotations: StackDocument, which: str) -> int | None:
        """Undo (``which="undo"``) or redo the whole job on every frame it changed when it is
        the stack's newest edit; returns the number of frames, or None when this is not the
        case (the caller then undoes or redoes the shown frame's own last step)."""
        undo = which == "undo"
        if undo == self.undone or not self.newest(annotations):
            return None
        docs = [annotations.document(i) for i in self.frames]
        pending = [d.history.undo_text() if undo else d.history.redo_text() for d in docs]
        if any(text != self.kind for text in pending):
            return None
        for doc in docs:
            if undo:
                doc.undo()
            else:
                doc.redo()
        self.undone = undo
        self._marks = self._snapshot(annotations)
        return len(docs)

    @staticmethod
    def _snapshot(annotations: StackDocument) -> dict[int, Mark]:
        return {i: _mark(doc) for i, doc in annotations.loaded().items()}
