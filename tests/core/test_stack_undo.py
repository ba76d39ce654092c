"""StackJobUndo (issue 15): a job's per-frame steps undone and redone as one, while newest."""

from __future__ import annotations

from labeldesk.core.document import Document
from labeldesk.core.shapes import Shape
from labeldesk.core.stack import StackDocument
from labeldesk.core.stack_undo import StackJobUndo


class MemoryStore:
    count = 6

    def annotated(self) -> list[int]:
        return []

    def load(self, index: int) -> Document | None:
        return None

    def new(self, index: int) -> Document:
        return Document(f"{index:06d}.png", 20, 20)

    def save(self, index: int, document: Document) -> None:
        pass


def _square(x: float) -> Shape:
    return Shape("cell", [[x, 1], [x + 4, 1], [x + 4, 5], [x, 5]], group_id=1)


def _job(ann: StackDocument, frames: list[int]) -> None:
    for i in frames:
        with ann.document(i).group("Interpolate"):
            ann.document(i).add_shape(_square(i))


def counts(ann: StackDocument) -> list[int]:
    return [len(ann.document(i)) for i in range(6)]


def test_whole_job_undo_redo_while_newest() -> None:
    ann = StackDocument(MemoryStore())
    ann.document(0).add_shape(_square(0))
    ann.document(4).add_shape(_square(4))
    _job(ann, [1, 2, 3])
    undo = StackJobUndo()
    undo.record(ann, "Interpolate", [1, 2, 3, 2])
    assert undo.frames == [1, 2, 3] and undo.newest(ann)
    assert undo.step(ann, "redo") is None  # nothing undone yet
    assert undo.step(ann, "undo") == 3
    assert counts(ann) == [1, 0, 0, 0, 1, 0]
    assert undo.step(ann, "undo") is None  # the next undo is a frame's own
    assert undo.step(ann, "redo") == 3
    assert counts(ann) == [1, 1, 1, 1, 1, 0]
    ann.document(5)  # a frame only looked at is no edit
    assert undo.newest(ann)


def test_an_edit_after_the_job_anywhere_ends_the_whole_step() -> None:
    ann = StackDocument(MemoryStore())
    _job(ann, [1, 2])
    undo = StackJobUndo()
    undo.record(ann, "Interpolate", [1, 2])
    ann.document(5).add_shape(_square(5))  # a frame the job never touched
    assert not undo.newest(ann) and undo.step(ann, "undo") is None
    ann.document(5).undo()  # undoing that edit is a history move too: still per frame
    assert not undo.newest(ann) and counts(ann) == [0, 1, 1, 0, 0, 0]
    undo.record(ann, "Interpolate", [1, 2])
    ann.document(2).undo()
    ann.document(2).add_shape(_square(9))  # same position and length, another step
    assert undo.step(ann, "undo") is None
    assert counts(ann) == [0, 1, 1, 0, 0, 0]
