"""Boolean operations, simplify and the selection edits (clipboard, class, z-order); no Qt."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.core import Document, Shape
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.selection import Selection
from labeldesk.core.tools import geometry, ops


def square(x0, y0, x1, y1, label="a"):
    return Shape(label, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def doc_with(*shapes):
    doc = Document("img.png", 100, 100)
    for s in shapes:
        doc.add_shape(s)
    doc.history.clear()
    return doc, Selection()


def pixels(doc, i):
    s = doc.shapes[i]
    return shape_to_mask((100, 100), s.points, s.shape_type, mask=s.mask)


def test_subtract_inside_makes_a_mask_with_a_hole_and_undoes():
    doc, sel = doc_with(
        square(10, 10, 60, 60, "field"),
        square(25, 25, 45, 45, "x"),
        Shape("c", [[80, 80], [85, 85]], "circle"),
    )
    before = doc.state()
    sel.set([doc.shapes[0].uid, doc.shapes[1].uid])
    out = geometry.boolean_op(doc, sel, "subtract")
    assert out == [0] and len(doc) == 2 and len(doc.history) == 1
    m = doc.shapes[0]
    assert m.shape_type == "mask" and m.label == "field" and sel.uids() == [m.uid]
    px = pixels(doc, 0)
    assert px[15, 15] and px[55, 20] and not px[35, 35]  # ring kept, hole empty
    assert not px[5, 5] and not px[70, 70]
    ref = shape_to_mask((100, 100), [[10, 10], [60, 60]], "rectangle")
    assert abs(int(px.sum()) - int(ref.sum() - 21 * 21)) <= 4 * 21 + 4  # hole ~ 20x20 (+ outline)
    assert doc.shapes[1].shape_type == "circle"  # untouched object keeps its place
    doc.undo()
    assert doc.state() == before


def test_subtract_across_an_edge_stays_a_polygon():
    doc, sel = doc_with(square(10, 10, 50, 50), square(30, 0, 70, 70))
    sel.set([s.uid for s in doc.shapes])
    geometry.boolean_op(doc, sel, "subtract")
    s = doc.shapes[0]
    assert s.shape_type == "polygon"
    np.testing.assert_allclose(
        sorted(map(tuple, s.points)), sorted([(10, 10), (30, 10), (30, 50), (10, 50)])
    )


def test_union_and_intersect():
    doc, sel = doc_with(square(10, 10, 30, 30, "u"), square(20, 20, 40, 40, "v"))
    sel.set([s.uid for s in doc.shapes])
    geometry.boolean_op(doc, sel, "union")
    assert len(doc) == 1 and doc.shapes[0].label == "u"
    from shapely.geometry import Polygon

    assert Polygon(doc.shapes[0].points).area == pytest.approx(400 + 400 - 100)
    doc.undo()
    sel.set([s.uid for s in doc.shapes][::-1])  # the first selected is the base
    geometry.boolean_op(doc, sel, "intersect")
    assert doc.shapes[0].label == "v" and Polygon(doc.shapes[0].points).area == pytest.approx(100)


def test_disjoint_union_gives_polygons_sharing_a_group():
    doc, sel = doc_with(square(0, 0, 10, 10), square(50, 50, 60, 60))
    sel.set([s.uid for s in doc.shapes])
    geometry.boolean_op(doc, sel, "union")
    assert len(doc) == 2 and doc.shapes[0].group_id == doc.shapes[1].group_id == 1
    assert len(sel) == 2


def test_mask_operands_combine_as_pixels():
    mask = np.ones((20, 20), bool)
    doc, sel = doc_with(
        Shape("m", [[10, 10], [29, 29]], "mask", mask=mask),
        Shape("c", [[20, 20], [25, 20]], "circle"),
    )
    sel.set([s.uid for s in doc.shapes])
    geometry.boolean_op(doc, sel, "subtract")
    px = pixels(doc, 0)
    circle = shape_to_mask((100, 100), [[20, 20], [25, 20]], "circle")
    want = shape_to_mask((100, 100), [[10, 10], [29, 29]], "mask", mask=mask) & ~circle
    np.testing.assert_array_equal(px, want)


def test_boolean_refusals():
    doc, sel = doc_with(
        square(0, 0, 10, 10), Shape("l", [[0, 0], [5, 5]], "line"), square(50, 50, 60, 60)
    )
    sel.set([doc.shapes[0].uid])
    with pytest.raises(LabeldeskError, match="at least two"):
        geometry.boolean_op(doc, sel, "union")
    sel.set([doc.shapes[0].uid, doc.shapes[1].uid])
    with pytest.raises(LabeldeskError, match="no area"):
        geometry.boolean_op(doc, sel, "union")
    sel.set([doc.shapes[0].uid, doc.shapes[2].uid])
    with pytest.raises(LabeldeskError, match="empty"):
        geometry.boolean_op(doc, sel, "intersect")
    assert len(doc) == 3 and len(doc.history) == 0


def test_simplify_removes_near_collinear_vertices_in_one_step():
    t = np.linspace(0, 1, 50)[:-1]
    edge = np.stack([10 + 40 * t, 10 + 0.2 * np.sin(t * 40)], 1)
    pts = np.vstack([edge, [[50, 50], [10, 50]]])
    doc, sel = doc_with(
        Shape("p", pts), Shape("q", [[0, 0], [1, 0], [2, 0.01], [3, 0]], "linestrip")
    )
    sel.set([s.uid for s in doc.shapes])
    assert geometry.simplify_selected(doc, sel, 1.0) == 2
    assert len(doc.shapes[0].points) <= 5 and len(doc.shapes[1].points) == 2
    assert len(doc.history) == 1
    doc.undo()
    assert len(doc.shapes[0].points) == len(pts)
    with pytest.raises(ValueError, match="tolerance"):
        geometry.simplify_points(pts, -1, True)


def test_copy_paste_duplicate_delete():
    doc, sel = doc_with(
        square(10, 10, 20, 20, "a"),
        Shape("m", [[0, 0], [1, 1]], "mask", mask=np.ones((2, 2), bool)),
    )
    sel.set([s.uid for s in doc.shapes])
    clip = ops.copy_selected(doc, sel)
    ops.paste(doc, sel, clip)
    assert len(doc) == 4 and len(doc.history) == 1
    assert {s.uid for s in doc.shapes[2:]} == set(sel.uids())
    assert not {s.uid for s in doc.shapes[:2]} & set(sel.uids())
    ops.duplicate_selected(doc, sel, (5.5, 5.5))
    np.testing.assert_array_equal(doc.shapes[4].points[0], [15.5, 15.5])
    np.testing.assert_array_equal(doc.shapes[5].points, [[6, 6], [7, 7]])  # masks: whole pixels
    assert ops.delete_selected(doc, sel) == 2 and len(doc) == 4 and len(sel) == 0
    doc.undo()
    assert len(doc) == 6


def test_delete_and_change_class_skip_locked_objects():
    doc, sel = doc_with(square(0, 0, 5, 5, "a"), square(10, 10, 15, 15, "b"))
    doc.shapes[1].locked = True
    sel.set([s.uid for s in doc.shapes])
    assert ops.change_class(doc, sel, " cat ") == 1
    assert [s.label for s in doc.shapes] == ["cat", "b"]
    assert ops.delete_selected(doc, sel) == 1 and [s.label for s in doc.shapes] == ["b"]
    with pytest.raises(LabeldeskError, match="locked"):
        ops.delete_selected(doc, sel)


def test_hide_and_z_order():
    doc, sel = doc_with(*(square(i, i, i + 5, i + 5, str(i)) for i in range(4)))
    sel.set([doc.shapes[1].uid])
    assert ops.move_in_z(doc, sel, "up")
    assert [s.label for s in doc.shapes] == ["0", "2", "1", "3"]
    ops.move_in_z(doc, sel, "bottom")
    assert [s.label for s in doc.shapes] == ["1", "0", "2", "3"]
    assert not ops.move_in_z(doc, sel, "down")
    assert ops.set_visible(doc, sel, False) == 1 and not doc.shapes[0].visible
    assert len(doc.history) == 3
