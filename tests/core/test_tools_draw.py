"""Drawing tools driven with synthetic events on a Document (no Qt)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from labeldesk.core import Document
from labeldesk.core.selection import Selection
from labeldesk.core.tools import TOOLS, KeyEvent, PointerEvent, ToolContext


def make(tool_name: str, label: str = "cat"):
    doc = Document("img.png", 100, 200)
    msgs: list[str] = []
    ctx = ToolContext(doc, Selection(), active_label=lambda: label, message=msgs.append)
    return doc, TOOLS[tool_name](ctx), msgs


def click(tool, x, y, mods=frozenset(), scale=1.0, kind="press"):
    tool.pointer(PointerEvent(kind, x, y, "left", frozenset(mods), scale))
    tool.pointer(PointerEvent("release", x, y, "left", frozenset(mods), scale))


def test_registry_has_the_builtin_tools():
    assert {
        "edit",
        "polygon",
        "rectangle",
        "circle",
        "line",
        "linestrip",
        "point",
        "brush",
        "eraser",
    } <= set(TOOLS)


def test_polygon_closes_with_enter_as_one_undo_step():
    doc, tool, _ = make("polygon")
    for x, y in [(10, 10), (50, 10), (50, 40), (10, 40)]:
        click(tool, x, y)
    assert len(doc) == 0 and tool.busy()
    assert tool.key(KeyEvent("Enter"))
    s = doc.shapes[0]
    assert s.shape_type == "polygon" and s.label == "cat"
    np.testing.assert_array_equal(s.points, [[10, 10], [50, 10], [50, 40], [10, 40]])
    assert tool.ctx.selection.uids() == [s.uid]
    assert doc.undo() and len(doc) == 0 and not doc.history.can_undo()


def test_polygon_closes_on_double_click_without_a_duplicate_vertex():
    doc, tool, _ = make("polygon")
    click(tool, 10, 10)
    click(tool, 60, 10)
    click(tool, 60, 50)  # first click of the double click adds the vertex...
    tool.pointer(PointerEvent("double", 60, 50))  # ...the double click closes
    tool.pointer(PointerEvent("release", 60, 50))
    np.testing.assert_array_equal(doc.shapes[0].points, [[10, 10], [60, 10], [60, 50]])


def test_polygon_closes_by_clicking_the_first_vertex_within_screen_tolerance():
    doc, tool, _ = make("polygon")
    for x, y in [(10, 10), (50, 10), (50, 40)]:
        click(tool, x, y, scale=4.0)
    tool.pointer(PointerEvent("move", 10.5, 11, "", scale=4.0))
    assert tool.preview().marker == (10.0, 10.0)
    click(tool, 10.5, 11, scale=4.0)  # 1.1 image px = 4.5 screen px from the first vertex
    assert len(doc) == 1 and len(doc.shapes[0].points) == 3


def test_polygon_far_click_at_low_zoom_adds_rather_than_closes():
    doc, tool, _ = make("polygon")
    for x, y in [(10, 10), (50, 10), (50, 40)]:
        click(tool, x, y, scale=0.5)
    click(tool, 15, 18, scale=0.5)  # 9.4 image px = 4.7 screen px: closes at this zoom
    assert len(doc) == 1
    doc2, tool2, _ = make("polygon")
    for x, y in [(10, 10), (50, 10), (50, 40)]:
        click(tool2, x, y, scale=4.0)
    click(tool2, 15, 18, scale=4.0)  # 37 screen px away: a new vertex
    assert len(doc2) == 0 and tool2.busy()


def test_polygon_backspace_escape_and_too_few_points():
    doc, tool, msgs = make("polygon")
    click(tool, 10, 10)
    click(tool, 20, 10)
    click(tool, 20, 20)
    assert tool.key(KeyEvent("Backspace"))
    tool.key(KeyEvent("Enter"))
    assert len(doc) == 0 and "at least 3" in msgs[-1]
    click(tool, 15, 30)
    tool.key(KeyEvent("Enter"))
    np.testing.assert_array_equal(doc.shapes[0].points, [[10, 10], [20, 10], [15, 30]])
    click(tool, 1, 1)
    click(tool, 5, 1)
    assert tool.key(KeyEvent("Escape")) and not tool.busy()
    assert len(doc) == 1 and len(doc.history) == 1
    assert not tool.key(KeyEvent("Escape"))  # nothing to cancel: the window may use it
    assert not tool.wants_key(KeyEvent("Backspace"))


def test_points_are_clamped_into_the_image():
    doc, tool, _ = make("polygon")
    for x, y in [(-5, -5), (250, 10), (100, 300)]:
        click(tool, x, y)
    tool.key(KeyEvent("Enter"))
    np.testing.assert_array_equal(doc.shapes[0].points, [[0, 0], [199, 10], [100, 99]])


def test_rectangle_click_click_and_drag():
    doc, tool, _ = make("rectangle", "box")
    click(tool, 10, 20)
    tool.pointer(PointerEvent("move", 30, 35, ""))
    assert len(tool.preview().polygons[0]) == 4
    click(tool, 30, 35)
    tool.pointer(PointerEvent("press", 40, 40))
    tool.pointer(PointerEvent("move", 60, 70, "left"))
    tool.pointer(PointerEvent("release", 60, 70))
    assert [s.shape_type for s in doc.shapes] == ["rectangle", "rectangle"]
    np.testing.assert_array_equal(doc.shapes[0].points, [[10, 20], [30, 35]])
    np.testing.assert_array_equal(doc.shapes[1].points, [[40, 40], [60, 70]])
    assert len(doc.history) == 2 and doc.shapes[1].label == "box"


def test_rectangle_without_size_is_refused():
    doc, tool, msgs = make("rectangle")
    click(tool, 10, 20)
    click(tool, 30, 20)
    assert len(doc) == 0 and "at least 1 pixel" in msgs[-1]


def test_circle_line_point_and_linestrip():
    doc, tool, _ = make("circle")
    click(tool, 50, 50)
    click(tool, 60, 50)
    assert doc.shapes[0].shape_type == "circle" and doc.shapes[0].bounds() == (40, 40, 60, 60)
    doc, tool, _ = make("line")
    click(tool, 5, 5)
    click(tool, 25, 45)
    np.testing.assert_array_equal(doc.shapes[0].points, [[5, 5], [25, 45]])
    doc, tool, _ = make("point")
    click(tool, 7.5, 8.25)
    np.testing.assert_array_equal(doc.shapes[0].points, [[7.5, 8.25]])
    doc, tool, msgs = make("linestrip")
    click(tool, 1, 1)
    tool.key(KeyEvent("Enter"))
    assert len(doc) == 0 and "at least 2" in msgs[-1]
    click(tool, 9, 1)
    click(tool, 9, 9)
    tool.pointer(PointerEvent("double", 9, 9))
    s = doc.shapes[0]
    assert s.shape_type == "linestrip"
    np.testing.assert_array_equal(s.points, [[1, 1], [9, 1], [9, 9]])


def test_escape_cancels_a_two_point_shape():
    doc, tool, _ = make("line")
    click(tool, 5, 5)
    assert tool.wants_key(KeyEvent("Escape"))
    assert tool.key(KeyEvent("Escape"))
    click(tool, 10, 10)
    assert len(doc) == 0 and tool.busy()


def test_tools_do_not_import_qt_or_torch():
    code = (
        "import sys, labeldesk.core.tools, labeldesk.core.tools.geometry, labeldesk.core.tools.ops;"
        "print(any(m.startswith(('PySide6', 'torch')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", ["polygon", "rectangle", "circle", "line", "linestrip", "point"])
def test_new_objects_take_the_active_label(name):
    label = ["dog"]
    doc = Document("i.png", 50, 50)
    ctx = ToolContext(doc, Selection(), active_label=lambda: label[0])
    tool = TOOLS[name](ctx)
    label[0] = "bird"
    for x, y in [(5, 5), (20, 12), (12, 20)]:
        click(tool, x, y)
        if len(doc):
            break
    tool.key(KeyEvent("Enter"))
    assert doc.shapes[0].label == "bird"
