"""Brush and eraser on labelme mask objects (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.core import Document, Shape
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.selection import Selection
from labeldesk.core.tools import TOOLS, KeyEvent, PointerEvent, ToolContext
from labeldesk.core.tools.brush import Stroke


def setup(size=10):
    doc = Document("img.png", 60, 80)
    ctx = ToolContext(doc, Selection(), active_label=lambda: "road", brush_size=size)
    return doc, ctx


def stroke(tool, pts):
    (x, y), rest = pts[0], pts[1:]
    tool.pointer(PointerEvent("press", x, y))
    for x, y in rest:
        tool.pointer(PointerEvent("move", x, y, "left"))
    tool.pointer(PointerEvent("release", x, y))


def full(doc, i=0):
    s = doc.shapes[i]
    return shape_to_mask((doc.image_height, doc.image_width), s.points, "mask", mask=s.mask)


def test_stroke_footprint_is_a_swept_disc():
    st = Stroke(10)
    st.add(20.0, 20.0)
    st.add(40.0, 20.0)
    x0, y0, m = st.footprint()
    img = np.zeros((60, 80), bool)
    img[y0 : y0 + m.shape[0], x0 : x0 + m.shape[1]] = m
    yy, xx = np.mgrid[:60, :80] + 0.5
    d = np.hypot(np.clip(xx, 20, 40) - xx, 20 - yy)  # distance to the segment
    assert img[d <= 4.0].all()  # well inside the 5 px radius: painted
    assert not img[d >= 6.0].any()  # well outside: not painted
    assert abs(img.sum() - (20 * 10 + np.pi * 25)) < 40


def test_brush_stroke_creates_a_mask_object_then_extends_it():
    doc, ctx = setup()
    brush = TOOLS["brush"](ctx)
    stroke(brush, [(10, 10), (30, 10)])
    assert len(doc) == 1 and len(doc.history) == 1
    s = doc.shapes[0]
    assert s.shape_type == "mask" and s.label == "road" and ctx.selection.uids() == [s.uid]
    first = full(doc)
    assert first[10, 10] and first[10, 30] and not first[30, 30]
    stroke(brush, [(30, 30), (30, 45)])  # paints the selected mask: still one object
    assert len(doc) == 1 and len(doc.history) == 2
    second = full(doc)
    assert second[30, 30] and second[45, 30] and (second >= first).all()
    doc.undo()
    np.testing.assert_array_equal(full(doc), first)
    doc.redo()
    np.testing.assert_array_equal(full(doc), second)


def test_escape_deselects_so_the_next_stroke_is_a_new_object():
    doc, ctx = setup()
    brush = TOOLS["brush"](ctx)
    stroke(brush, [(10, 10)])
    assert brush.wants_key(KeyEvent("Escape")) and brush.key(KeyEvent("Escape"))
    stroke(brush, [(50, 50)])
    assert len(doc) == 2


def test_brush_then_eraser_then_undo():
    doc, ctx = setup(size=12)
    stroke(TOOLS["brush"](ctx), [(10, 20), (60, 20)])
    painted = full(doc).copy()
    eraser = TOOLS["eraser"](ctx)
    ctx.brush_size = 6
    stroke(eraser, [(35, 5), (35, 40)])
    after = full(doc)
    assert painted[20, 35] and not after[20, 35]  # erased across the stroke
    assert after[20, 15] and after[20, 55]  # both ends kept
    assert (after <= painted).all()
    assert len(doc.history) == 2
    doc.undo()
    np.testing.assert_array_equal(full(doc), painted)


def test_eraser_without_selection_erases_every_touched_mask_in_one_step():
    doc, ctx = setup()
    a = np.ones((10, 10), bool)
    doc.add_shape(Shape("a", [[0, 0], [9, 9]], "mask", mask=a))
    doc.add_shape(Shape("b", [[10, 0], [19, 9]], "mask", mask=a.copy()))
    doc.add_shape(Shape("c", [[40, 40], [49, 49]], "mask", mask=a.copy()))
    n = len(doc.history)
    stroke(TOOLS["eraser"](ctx), [(5, 5), (15, 5)])
    assert len(doc.history) == n + 1
    assert not full(doc, 0)[5, 7] and not full(doc, 1)[5, 12] and full(doc, 2).sum() == 100
    doc.undo()
    assert full(doc, 0).sum() == 100 and full(doc, 1).sum() == 100


def test_brush_size_keys_and_preview():
    doc, ctx = setup(size=10)
    brush = TOOLS["brush"](ctx)
    assert brush.key(KeyEvent("]")) and ctx.brush_size == 12
    assert brush.key(KeyEvent("[")) and brush.key(KeyEvent("[")) and ctx.brush_size == 8
    ctx.brush_size = 1
    brush.key(KeyEvent("["))
    assert ctx.brush_size == 1
    brush.pointer(PointerEvent("move", 5, 6, ""))
    assert brush.preview().brush == (5, 6, 1.0)
    brush.pointer(PointerEvent("press", 5, 6))
    assert brush.preview().mask is not None and brush.preview().mask.any()


def test_brush_stays_inside_the_image():
    doc, ctx = setup(size=20)
    stroke(TOOLS["brush"](ctx), [(2, 2)])
    x1, y1, x2, y2 = doc.shapes[0].points.ravel()
    assert (x1, y1) == (0, 0) and x2 < 14 and y2 < 14


def test_locked_mask_is_not_painted():
    doc, ctx = setup()
    doc.add_shape(Shape("a", [[0, 0], [9, 9]], "mask", mask=np.ones((10, 10), bool), locked=True))
    ctx.selection.set([doc.shapes[0].uid])
    brush = TOOLS["brush"](ctx)
    brush.pointer(PointerEvent("press", 20, 20))
    with pytest.raises(LabeldeskError, match="locked"):
        brush.pointer(PointerEvent("release", 20, 20))
    assert doc.shapes[0].mask.shape == (10, 10)
