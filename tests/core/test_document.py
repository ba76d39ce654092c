"""The document and its undo history."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.core import (
    AddShapes,
    Document,
    EditShape,
    InvalidShapeError,
    PaintMask,
    RemoveShapes,
    Reorder,
    Shape,
)
from labeldesk.core.selection import Selection


def tri(label: str = "a", dx: float = 0) -> Shape:
    return Shape(label, [[dx, 0], [dx + 4, 0], [dx + 4, 3]])


def test_add_remove_undo_redo_and_dirty_state() -> None:
    doc = Document("x.png", 10, 10)
    events = []
    doc.changed.connect(lambda e: events.append(e.kind))
    assert not doc.is_dirty()
    doc.add_shape(tri("a"))
    doc.add_shape(tri("b"))
    assert [s.label for s in doc.shapes] == ["a", "b"] and doc.is_dirty()
    doc.remove_shapes([0])
    assert [s.label for s in doc.shapes] == ["b"]
    doc.undo()
    assert [s.label for s in doc.shapes] == ["a", "b"]
    doc.mark_clean()
    assert not doc.is_dirty()
    doc.undo()
    assert doc.is_dirty()
    doc.redo()
    assert not doc.is_dirty()
    assert "inserted" in events and "removed" in events


def test_group_is_one_step_and_rolls_back_on_error() -> None:
    doc = Document("x.png", 10, 10)
    with doc.group("two"):
        doc.execute(AddShapes([tri("a")]))
        doc.execute(AddShapes([tri("b")]))
    assert len(doc) == 2 and len(doc.history) == 1
    doc.undo()
    assert len(doc) == 0
    with pytest.raises(RuntimeError):
        with doc.group("fails"):
            doc.execute(AddShapes([tri("c")]))
            raise RuntimeError("boom")
    assert len(doc) == 0 and len(doc.history) == 1


def test_edit_points_rejects_wrong_count_and_keeps_shape() -> None:
    doc = Document("x.png", 10, 10, shapes=[Shape("r", [[0, 0], [2, 2]], "rectangle")])
    with pytest.raises(InvalidShapeError, match="rectangle needs 2 points"):
        doc.edit_shape(0, points=[[0, 0], [1, 1], [2, 2]])
    assert doc.shapes[0].points.tolist() == [[0, 0], [2, 2]]
    assert len(doc.history) == 0


def test_reorder_and_change_label() -> None:
    doc = Document("x.png", 10, 10, shapes=[tri("a"), tri("b"), tri("c")])
    doc.reorder([2, 0, 1])
    assert [s.label for s in doc.shapes] == ["c", "a", "b"]
    doc.set_label([0, 2], "z")
    assert [s.label for s in doc.shapes] == ["z", "a", "z"]
    doc.undo()
    doc.undo()
    assert [s.label for s in doc.shapes] == ["a", "b", "c"]


def test_paint_mask_grows_box_and_undo_restores_exactly() -> None:
    m = np.zeros((3, 3), bool)
    m[1, 1] = True
    doc = Document("x.png", 50, 50, shapes=[Shape("m", [[10, 10], [12, 12]], "mask", mask=m)])
    stroke = np.ones((2, 4), bool)
    doc.execute(PaintMask(0, 20, 5, stroke))
    s = doc.shapes[0]
    assert s.points.tolist() == [[10, 5], [23, 12]]
    assert s.mask.shape == (8, 14) and s.mask.sum() == 1 + 8
    s.validate()
    doc.execute(PaintMask(0, 10, 10, np.ones((3, 3), bool), value=False))
    assert doc.shapes[0].mask.sum() == 8
    doc.undo()
    doc.undo()
    assert doc.shapes[0].points.tolist() == [[10, 10], [12, 12]]
    np.testing.assert_array_equal(doc.shapes[0].mask, m)


def test_memory_budget_drops_oldest_steps_and_clean_becomes_unreachable() -> None:
    doc = Document("x.png", 10, 10)
    doc.history.budget_bytes = 20_000
    big = [Shape("m", [[0, 0], [99, 49]], "mask", mask=np.ones((50, 100), bool)) for _ in range(5)]
    for s in big:
        doc.execute(AddShapes([s]))
    assert len(doc.history) == 3 and doc.history.nbytes() <= 20_000  # each step ~5.3 kB
    while doc.undo():
        pass
    assert len(doc) == 5 - len(doc.history)
    assert doc.is_dirty()  # the clean state (empty) was dropped from history


def test_remove_then_undo_restores_identity_and_order() -> None:
    shapes = [tri(str(i), i) for i in range(5)]
    doc = Document("x.png", 10, 10, shapes=shapes)
    uids = [s.uid for s in doc.shapes]
    doc.execute(RemoveShapes([3, 1]))
    doc.undo()
    assert [s.uid for s in doc.shapes] == uids


def test_selection_prunes_removed_shapes() -> None:
    doc = Document("x.png", 10, 10, shapes=[tri("a"), tri("b")])
    sel = Selection()
    sel.set([doc.shapes[1].uid])
    assert sel.indices(doc) == [1]
    doc.remove_shapes([1])
    sel.prune(doc)
    assert len(sel) == 0


def test_edit_rejects_unknown_attribute() -> None:
    with pytest.raises(ValueError, match="cannot edit colour"):
        EditShape(0, colour="red")


def test_reorder_needs_permutation() -> None:
    doc = Document("x.png", 10, 10, shapes=[tri("a"), tri("b")])
    with pytest.raises(ValueError, match="permutation"):
        doc.execute(Reorder([0, 0]))
