"""The edit tool: select, move, vertices, nudge; each change one undo step (no Qt)."""

from __future__ import annotations

import numpy as np

from labeldesk.core import Document, Shape
from labeldesk.core.selection import Selection
from labeldesk.core.tools import TOOLS, KeyEvent, PointerEvent, ToolContext

SQUARE = [[10, 10], [40, 10], [40, 40], [10, 40]]


def setup():
    doc = Document("img.png", 100, 100)
    doc.add_shape(Shape("a", SQUARE))
    doc.add_shape(Shape("b", [[60, 60], [90, 60], [90, 90], [60, 90]]))
    doc.mark_clean()
    doc.history.clear()
    msgs: list[str] = []
    ctx = ToolContext(doc, Selection(), message=msgs.append)
    return doc, ctx, TOOLS["edit"](ctx), msgs


def drag(tool, a, b, mods=frozenset(), steps=4):
    tool.pointer(PointerEvent("press", *a, "left", frozenset(mods)))
    for t in np.linspace(0, 1, steps + 1)[1:]:
        x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        tool.pointer(PointerEvent("move", x, y, "left", frozenset(mods)))
    tool.pointer(PointerEvent("release", *b, "left", frozenset(mods)))


def click(tool, x, y, mods=frozenset()):
    drag(tool, (x, y), (x, y), mods, steps=0)


def test_click_selects_ctrl_click_toggles_empty_click_clears():
    doc, ctx, tool, _ = setup()
    a, b = (s.uid for s in doc.shapes)
    click(tool, 20, 20)
    assert ctx.selection.uids() == [a]
    click(tool, 70, 70, {"ctrl"})
    assert ctx.selection.uids() == [a, b]
    click(tool, 20, 20, {"shift"})
    assert ctx.selection.uids() == [b]
    click(tool, 50, 5)
    assert ctx.selection.uids() == []
    assert len(doc.history) == 0


def test_rubber_band_selects_objects_inside():
    doc, ctx, tool, _ = setup()
    drag(tool, (5, 5), (45, 50))
    assert ctx.selection.uids() == [doc.shapes[0].uid]
    drag(tool, (0, 0), (99, 99))
    assert len(ctx.selection) == 2


def test_tab_cycles_through_objects():
    doc, ctx, tool, _ = setup()
    a, b = (s.uid for s in doc.shapes)
    for want in (a, b, a):
        assert tool.key(KeyEvent("Tab"))
        assert ctx.selection.uids() == [want]
    tool.key(KeyEvent("Tab", frozenset({"shift"})))
    assert ctx.selection.uids() == [b]


def test_move_is_one_undo_step_and_previewed_as_ghost():
    doc, ctx, tool, _ = setup()
    tool.pointer(PointerEvent("press", 20, 20))
    tool.pointer(PointerEvent("move", 25, 23, "left"))
    tool.pointer(PointerEvent("move", 30, 26, "left"))
    ghost = tool.preview().ghosts[0]
    np.testing.assert_array_equal(ghost.points[0], [20, 16])
    np.testing.assert_array_equal(doc.shapes[0].points, SQUARE)  # unchanged until release
    tool.pointer(PointerEvent("release", 30, 26))
    np.testing.assert_array_equal(doc.shapes[0].points, np.array(SQUARE) + [10, 6])
    assert len(doc.history) == 1
    doc.undo()
    np.testing.assert_array_equal(doc.shapes[0].points, SQUARE)


def test_vertex_drag():
    doc, ctx, tool, _ = setup()
    drag(tool, (40.5, 40.5), (50, 45))
    np.testing.assert_array_equal(doc.shapes[0].points[2], [50, 45])
    assert len(doc.history) == 1 and doc.history.undo_text() == "Move vertex"


def test_alt_click_on_an_edge_inserts_a_vertex():
    doc, ctx, tool, _ = setup()
    click(tool, 25, 10.8, {"alt"})
    pts = doc.shapes[0].points
    assert len(pts) == 5
    np.testing.assert_allclose(pts[1], [25, 10])
    assert doc.history.undo_text() == "Insert vertex"
    doc.undo()
    assert len(doc.shapes[0].points) == 4


def test_shift_click_and_backspace_delete_vertices():
    doc, ctx, tool, msgs = setup()
    click(tool, 25, 10, {"alt"})
    click(tool, 25, 10, {"shift"})
    np.testing.assert_array_equal(doc.shapes[0].points, SQUARE)
    tool.pointer(PointerEvent("move", 40, 40, ""))  # hover a vertex
    assert tool.preview().hover_vertex == (doc.shapes[0].uid, 2)
    assert tool.wants_key(KeyEvent("Backspace")) and tool.key(KeyEvent("Backspace"))
    assert len(doc.shapes[0].points) == 3 and len(doc.history) == 3
    tool.pointer(PointerEvent("move", 10, 40, ""))
    tool.key(KeyEvent("Backspace"))
    assert len(doc.shapes[0].points) == 3 and "at least 3" in msgs[-1]


def test_arrow_keys_nudge_the_selection_one_step_each():
    doc, ctx, tool, _ = setup()
    assert not tool.key(KeyEvent("Left"))  # nothing selected: the canvas pans
    click(tool, 20, 20)
    assert tool.key(KeyEvent("Right"))
    assert tool.key(KeyEvent("Down", frozenset({"shift"})))
    np.testing.assert_array_equal(doc.shapes[0].points, np.array(SQUARE) + [1, 10])
    assert len(doc.history) == 2
    doc.undo()
    np.testing.assert_array_equal(doc.shapes[0].points, np.array(SQUARE) + [1, 0])


def test_locked_objects_cannot_be_edited_and_hidden_ones_are_not_hit():
    doc, ctx, tool, msgs = setup()
    doc.edit_shape(0, locked=True)
    doc.edit_shape(1, visible=False)
    n = len(doc.history)
    drag(tool, (20, 20), (30, 30))
    assert ctx.selection.uids() == [doc.shapes[0].uid]  # selectable...
    np.testing.assert_array_equal(doc.shapes[0].points, SQUARE)  # ...but not moved
    drag(tool, (40, 40), (50, 50))
    tool.key(KeyEvent("Up"))
    click(tool, 10, 25, {"alt"})
    np.testing.assert_array_equal(doc.shapes[0].points, SQUARE)
    assert "locked" in msgs[-1] and len(doc.history) == n
    click(tool, 70, 70)
    assert ctx.selection.uids() == []


def test_escape_clears_selection_and_cancels_a_drag():
    doc, ctx, tool, _ = setup()
    tool.pointer(PointerEvent("press", 20, 20))
    tool.pointer(PointerEvent("move", 30, 30, "left"))
    assert tool.key(KeyEvent("Escape")) and not tool.preview().ghosts
    tool.pointer(PointerEvent("release", 30, 30))
    np.testing.assert_array_equal(doc.shapes[0].points, SQUARE)
    assert tool.key(KeyEvent("Escape")) and len(ctx.selection) == 0
    assert not tool.key(KeyEvent("Escape"))


def test_masks_move_by_whole_pixels():
    doc, ctx, tool, _ = setup()
    doc.add_shape(Shape("m", [[50, 5], [54, 9]], "mask", mask=np.ones((5, 5), bool)))
    drag(tool, (52, 7), (55.4, 9.6))
    np.testing.assert_array_equal(doc.shapes[2].points, [[53, 8], [57, 12]])
    assert doc.shapes[2].mask.shape == (5, 5)
