"""Commands change a document only through its ShapeList, and every event kind is declared."""

from __future__ import annotations

import typing

import numpy as np
import pytest

from labeldesk.core import (
    AddShapes,
    DocEvent,
    Document,
    EditShape,
    EventKind,
    PaintMask,
    RemoveShapes,
    Reorder,
    Shape,
    ShapeList,
)
from labeldesk.core.events import Signal
from labeldesk.core.selection import Selection


def square(label: str, x: float = 0) -> Shape:
    return Shape(label, np.array([[x, 0], [x + 4, 0], [x + 4, 4], [x, 4]], float))


def recorded(doc: Document) -> list[tuple[str, tuple[int, ...]]]:
    events: list[tuple[str, tuple[int, ...]]] = []
    doc.changed.connect(lambda ev: events.append((ev.kind, ev.indices)))
    return events


def test_shape_list_changes_and_announces_each_change():
    signal = Signal()
    seen: list[DocEvent] = []
    signal.connect(seen.append)
    shapes = ShapeList([square("a"), square("b")], signal)
    shapes.insert([1], [square("c")])
    assert [s.label for s in shapes] == ["a", "c", "b"]
    assert [s.label for s in shapes.remove([0, 2])] == ["a", "b"] and len(shapes) == 1
    shapes.insert([0, 2], [square("a"), square("b")])
    shapes.reorder([2, 0, 1])
    assert [s.label for s in shapes.snapshot()] == ["b", "a", "c"]
    shapes.touch([1])
    shapes.reset([square("z")])
    assert [(e.kind, e.indices) for e in seen] == [
        ("inserted", (1,)),
        ("removed", (0, 2)),
        ("inserted", (0, 2)),
        ("reordered", (0, 1, 2)),
        ("changed", (1,)),
        ("reset", ()),
    ]
    with pytest.raises(ValueError, match="permutation of 0..0"):
        shapes.reorder([1])


def test_commands_run_on_the_shape_list_and_undo_exactly():
    doc = Document("img.png", 20, 20, shapes=[square("a"), square("b", 8)])
    events = recorded(doc)
    before = doc.state()
    doc.execute(AddShapes([square("c", 12)], [1]))
    doc.execute(EditShape(0, label="cat"))
    doc.execute(Reorder([2, 1, 0]))
    doc.execute(RemoveShapes([1]))
    assert [s.label for s in doc.shapes] == ["b", "cat"]
    assert [k for k, _ in events if k != "history"] == [
        "inserted",
        "changed",
        "reordered",
        "removed",
    ]
    while doc.undo():
        pass
    assert doc.state() == before
    assert [k for k, _ in events if k != "history"][-4:] == [
        "inserted",
        "reordered",
        "changed",
        "removed",
    ]


def test_paint_mask_through_the_shape_list_undoes_a_grown_box():
    mask = Shape(
        "m", np.array([[2, 2], [3, 3]], float), shape_type="mask", mask=np.ones((2, 2), bool)
    )
    doc = Document("img.png", 20, 20, shapes=[mask])
    before = doc.state()
    doc.execute(PaintMask(0, 6, 6, np.ones((2, 2), bool)))
    shape = doc.shapes[0]
    assert shape.mask is not None and shape.mask.shape == (6, 6) and shape.mask[4:, 4:].all()
    assert doc.undo() and doc.state() == before


def test_every_emitted_kind_is_a_declared_event_kind():
    declared = set(typing.get_args(EventKind))
    doc = Document("img.png", 20, 20, shapes=[square("a")])
    events = recorded(doc)
    doc.add_shape(square("b", 8))
    doc.set_label([0], "cat")
    doc.reorder([1, 0])
    doc.remove_shapes([0])
    doc.undo()
    doc.replace_all([square("z")])
    sel = Selection()
    sel.changed.connect(lambda ev: events.append((ev.kind, ev.indices)))
    sel.set([doc.shapes[0].uid])
    kinds = {k for k, _ in events}
    assert kinds == declared - {"preview"}  # "preview" comes from tools (see test_tools_*)
    assert kinds <= declared
