"""Editing through the window, each result checked in the saved JSON and undone.

Vertex insert / delete, moving an object, subtracting one polygon from another (a mask with
a hole), a brush stroke then the eraser; and reordering objects in the layers panel.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from labeldesk.io.labelme import decode_mask
from tests.gui.conftest import wait_loaded
from tests.gui.test_window_keyboard import click_image, key, widget_point

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
SQUARE = [(100.0, 100.0), (300.0, 100.0), (300.0, 300.0), (100.0, 300.0)]


def shapes_on_disk(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["shapes"]


def save(w) -> None:
    key(w, Qt.Key.Key_S, CTRL)


def undo(w) -> None:
    key(w, Qt.Key.Key_Z, CTRL)


def redo(w) -> None:
    key(w, Qt.Key.Key_Z, CTRL | SHIFT)


def drag(qtbot, w, points, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    vp = w.canvas.viewport()
    first = widget_point(w, *points[0])
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, modifier, first)
    for x, y in points[1:]:
        QTest.mouseMove(vp, widget_point(w, x, y))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, widget_point(w, *points[-1]))


def draw_polygon(qtbot, w, points) -> None:
    key(w, Qt.Key.Key_P)
    for x, y in points:
        click_image(qtbot, w, x, y)
    key(w, Qt.Key.Key_Return)


def open_blank(make_window, sample_dir, qtbot):
    """A window on the sample's unlabeled 02-fruit.jpg, canvas focused; -> (window, json path)."""
    w = make_window(sample_dir)
    w.session.go(1)
    wait_loaded(qtbot, w, "02-fruit.jpg")
    w.canvas.setFocus()
    return w, sample_dir / "02-fruit.json"


def test_vertex_insert_delete_and_move(make_window, sample_dir, qtbot):
    w, path = open_blank(make_window, sample_dir, qtbot)
    w.canvas.fit()
    tol = 1.0 / w.canvas.zoom() + 1e-6
    draw_polygon(qtbot, w, SQUARE)
    save(w)
    base = np.array(shapes_on_disk(path)[0]["points"])
    np.testing.assert_allclose(base, SQUARE, atol=tol)

    key(w, Qt.Key.Key_E)
    click_image(qtbot, w, 200, 100, Qt.KeyboardModifier.AltModifier)  # Alt+click an edge
    save(w)
    pts = np.array(shapes_on_disk(path)[0]["points"])
    assert len(pts) == 5
    np.testing.assert_allclose(pts[1], (200, 100), atol=2 * tol)
    undo(w)
    save(w)
    np.testing.assert_array_equal(np.array(shapes_on_disk(path)[0]["points"]), base)

    click_image(qtbot, w, *SQUARE[2], SHIFT)  # Shift+click a vertex deletes it
    save(w)
    pts = np.array(shapes_on_disk(path)[0]["points"])
    assert len(pts) == 3 and not np.any(np.all(np.abs(pts - SQUARE[2]) < 2 * tol, axis=1))
    undo(w)
    save(w)
    np.testing.assert_array_equal(np.array(shapes_on_disk(path)[0]["points"]), base)

    drag(qtbot, w, [(150, 150), (160, 170), (170, 190)])  # move the object by (20, 40)
    save(w)
    moved = np.array(shapes_on_disk(path)[0]["points"])
    np.testing.assert_allclose(moved - base, np.tile([20.0, 40.0], (4, 1)), atol=2 * tol)
    undo(w)
    save(w)
    np.testing.assert_array_equal(np.array(shapes_on_disk(path)[0]["points"]), base)
    redo(w)
    save(w)
    np.testing.assert_array_equal(np.array(shapes_on_disk(path)[0]["points"]), moved)


def test_subtract_makes_a_mask_with_a_hole(make_window, sample_dir, qtbot):
    w, path = open_blank(make_window, sample_dir, qtbot)
    w.canvas.fit()
    draw_polygon(qtbot, w, SQUARE)
    draw_polygon(qtbot, w, [(160, 160), (240, 160), (240, 240), (160, 240)])
    key(w, Qt.Key.Key_E)
    click_image(qtbot, w, 120, 120)  # the big square first: it is the base
    click_image(qtbot, w, 200, 200, CTRL)  # then the small one
    assert len(w.session.selection) == 2
    key(w, Qt.Key.Key_S, CTRL | SHIFT)  # Edit > Subtract
    save(w)
    shapes = shapes_on_disk(path)
    assert len(shapes) == 1 and shapes[0]["shape_type"] == "mask"
    (x1, y1), (x2, y2) = np.array(shapes[0]["points"]).astype(int)
    mask = decode_mask(shapes[0]["mask"])
    assert mask.shape == (y2 - y1 + 1, x2 - x1 + 1)
    assert mask[120 - y1, 120 - x1] and mask[280 - y1, 280 - x1]  # the ring is there
    assert not mask[200 - y1, 200 - x1]  # the hole
    assert abs(int(mask.sum()) - (200 * 200 - 80 * 80)) < 0.03 * 200 * 200
    undo(w)
    save(w)
    assert [s["shape_type"] for s in shapes_on_disk(path)] == ["polygon", "polygon"]


def test_brush_then_eraser(make_window, sample_dir, qtbot):
    w, path = open_blank(make_window, sample_dir, qtbot)
    w.canvas.fit()
    key(w, Qt.Key.Key_B)
    w.ctx.brush_size = 20
    drag(qtbot, w, [(400, 400), (500, 400), (600, 400)])
    save(w)
    shapes = shapes_on_disk(path)
    assert len(shapes) == 1 and shapes[0]["shape_type"] == "mask"
    assert shapes[0]["label"] == w.session.active

    def pixel(shape, x, y) -> bool:
        (x1, y1), (x2, y2) = np.array(shape["points"]).astype(int)
        if not (x1 <= x <= x2 and y1 <= y <= y2):
            return False
        return bool(decode_mask(shape["mask"])[y - y1, x - x1])

    assert pixel(shapes[0], 400, 400) and pixel(shapes[0], 500, 405) and pixel(shapes[0], 600, 400)
    assert not pixel(shapes[0], 500, 430)
    painted = shapes[0]

    key(w, Qt.Key.Key_B, SHIFT)  # eraser
    assert w.canvas.tool().name == "eraser"
    drag(qtbot, w, [(500, 340), (500, 400), (500, 460)])
    save(w)
    erased = shapes_on_disk(path)[0]
    assert not pixel(erased, 500, 400) and pixel(erased, 420, 400) and pixel(erased, 590, 400)
    undo(w)
    save(w)
    assert shapes_on_disk(path)[0] == painted
    undo(w)
    save(w)
    assert shapes_on_disk(path) == []


def test_layers_panel_reorder_changes_the_file_order(make_window, sample_dir, qtbot):
    w = make_window(sample_dir)
    path = sample_dir / "01-street.json"
    labels = [s["label"] for s in shapes_on_disk(path)]
    model, view = w.layers.model, w.layers.view
    assert model.rowCount() == len(labels)
    # row 0 is the front-most object = the last one in the file
    assert model.index(0, 0).data().startswith(labels[-1])

    # a drag of the front row to the bottom of the list = to the back, first in the file
    mime = model.mimeData([model.index(0, 0)])
    assert model.dropMimeData(
        mime, Qt.DropAction.MoveAction, model.rowCount(), 0, model.index(-1, -1)
    )
    save(w)
    assert [s["label"] for s in shapes_on_disk(path)] == [labels[-1], *labels[:-1]]

    # selecting a row selects the object on the canvas; Ctrl+] brings it forward one place
    view.setFocus()
    view.setCurrentIndex(model.index(model.rowCount() - 1, 0))  # the back-most object
    assert w.session.selection.uids() == [w.session.doc.shapes[0].uid]
    key(w, Qt.Key.Key_BracketRight, CTRL)
    save(w)
    assert [s["label"] for s in shapes_on_disk(path)] == [labels[0], labels[-1], *labels[1:-1]]
    key(w, Qt.Key.Key_BracketLeft, CTRL)
    save(w)
    assert [s["label"] for s in shapes_on_disk(path)] == [labels[-1], *labels[:-1]]
    undo(w)
    undo(w)
    undo(w)
    save(w)
    assert [s["label"] for s in shapes_on_disk(path)] == labels


def test_layers_toggles_and_canvas_selection_sync(make_window, sample_dir, qtbot):
    w = make_window(sample_dir)
    doc, model = w.session.doc, w.layers.model
    w.session.selection.set([doc.shapes[2].uid])
    rows = w.layers.view.selectionModel().selectedRows()
    assert [model.shape_index(r.row()) for r in rows] == [2]
    lock = model.index(model.row_of(2), 2)
    w.layers._clicked(lock)
    assert doc.shapes[2].locked
    save(w)
    assert shapes_on_disk(sample_dir / "01-street.json")[2].get("locked") is True
    w.layers._clicked(model.index(model.row_of(2), 1))
    assert not doc.shapes[2].visible
    undo(w)
    undo(w)
    assert doc.shapes[2].visible and not doc.shapes[2].locked
