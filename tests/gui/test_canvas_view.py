"""The canvas offscreen: drawing, mouse and keys through Qt, zoom at the cursor, fit, 100 %."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from labeldesk.core import Document, Shape
from labeldesk.core.selection import Selection
from labeldesk.core.tools import TOOLS, ToolContext
from labeldesk.ui.canvas import Canvas

GRAY = 100


@pytest.fixture
def canvas(qtbot):
    doc = Document("img.png", 150, 200)
    doc.classes.add("red", color=(255, 0, 0))
    doc.classes.add("blue", color=(0, 0, 255))
    sel = Selection()
    host = QWidget()
    lay = QVBoxLayout(host)
    lay.setContentsMargins(0, 0, 0, 0)
    c = Canvas(host)
    lay.addWidget(c)
    qtbot.addWidget(host)
    host.resize(500, 400)
    host.show()
    qtbot.waitExposed(host)
    c.set_image(np.full((150, 200, 3), GRAY, np.uint8))
    c.set_document(doc, sel)
    c.fit()
    c.ctx = ToolContext(doc, sel, active_label=lambda: "blue")
    yield c  # (yield, not return: the host widget must stay referenced)
    host.close()


def pixel(c: Canvas, x: float, y: float) -> tuple[int, int, int]:
    img = c.viewport().grab().toImage()
    wx, wy = c.image_to_widget(x, y)
    col = img.pixelColor(int(wx), int(wy))
    return col.red(), col.green(), col.blue()


def send(
    c: Canvas,
    kind: str,
    x: float,
    y: float,
    button=Qt.MouseButton.LeftButton,
    mods=Qt.KeyboardModifier.NoModifier,
):
    """A mouse event at image point ``(x, y)`` (a drag move carries the held button)."""
    types = {
        "press": QEvent.Type.MouseButtonPress,
        "move": QEvent.Type.MouseMove,
        "release": QEvent.Type.MouseButtonRelease,
        "double": QEvent.Type.MouseButtonDblClick,
    }
    pos = QPointF(*c.image_to_widget(x, y))
    held = Qt.MouseButton.NoButton if kind == "release" else button
    ev = QMouseEvent(
        types[kind],
        pos,
        c.viewport().mapToGlobal(pos),
        button if kind != "move" else Qt.MouseButton.NoButton,
        held,
        mods,
    )
    QApplication.sendEvent(c.viewport(), ev)


def test_shapes_are_drawn_in_class_colours(canvas):
    doc = canvas.document()
    doc.add_shape(Shape("red", [[20, 20], [100, 20], [100, 100], [20, 100]]))
    m = np.zeros((30, 30), bool)
    m[5:25, 5:25] = True
    doc.add_shape(Shape("blue", [[140, 60], [169, 89]], "mask", mask=m))
    r, g, b = pixel(canvas, 60, 60)
    assert r > GRAY + 20 and g < GRAY and b < GRAY  # translucent red fill over gray
    r, g, b = pixel(canvas, 155, 75)
    assert b > GRAY + 20 and r < GRAY  # translucent blue mask
    assert pixel(canvas, 142, 62) == (GRAY, GRAY, GRAY)  # mask pixel off
    assert pixel(canvas, 150, 20) == (GRAY, GRAY, GRAY)
    doc.undo()
    assert pixel(canvas, 155, 75) == (GRAY, GRAY, GRAY)


def test_mouse_clicks_draw_a_polygon(canvas, qtbot):
    canvas.set_tool(TOOLS["polygon"](canvas.ctx))
    hints = []
    canvas.hint_changed.connect(hints.append)
    clicked = []
    for x, y in [(30, 30), (120, 40), (90, 110)]:
        wx, wy = canvas.image_to_widget(x, y)
        p = QPoint(round(wx), round(wy))
        clicked.append(canvas.widget_to_image(p.x(), p.y()))
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=p)
    assert "3 points" in hints[-1]
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    doc = canvas.document()
    assert len(doc) == 1 and doc.shapes[0].label == "blue"
    np.testing.assert_allclose(doc.shapes[0].points, clicked, atol=1e-6)
    r, g, b = pixel(canvas, 85, 60)
    assert b > GRAY  # drawn (selected: highlighted fill)


def test_double_click_closes_and_backspace_beats_window_shortcuts(canvas, qtbot):
    fired = []
    act = QAction(canvas.parentWidget())
    act.setShortcut(QKeySequence(Qt.Key.Key_Backspace))
    act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act.triggered.connect(lambda: fired.append(1))
    canvas.parentWidget().addAction(act)
    canvas.set_tool(TOOLS["polygon"](canvas.ctx))
    for x, y in [(30, 30), (120, 40), (150, 140), (90, 110)]:
        send(canvas, "press", x, y)
        send(canvas, "release", x, y)
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)  # the tool drops the last vertex...
    assert not fired  # ...and the window's Backspace shortcut does not fire
    send(canvas, "press", 95, 115)
    send(canvas, "release", 95, 115)
    send(canvas, "double", 95, 115)
    send(canvas, "release", 95, 115)
    pts = canvas.document().shapes[0].points
    assert len(pts) == 4
    np.testing.assert_allclose(pts[3], [95, 115], atol=0.5)
    qtbot.keyClick(canvas, Qt.Key.Key_Backspace)  # nothing to undo in the tool: the window gets it
    assert fired


def test_zoom_at_cursor_keeps_the_point_under_it(canvas):
    anchor = (123.0, 77.0)
    before = canvas.widget_to_image(*anchor)
    for f in (2.0, 3.0, 0.5, 7.0):
        canvas.zoom_by(f, anchor)
        wx, wy = canvas.image_to_widget(*before)
        assert abs(wx - anchor[0]) <= 1.0 and abs(wy - anchor[1]) <= 1.0
    z = canvas.zoom()
    pos = QPointF(300, 200)
    at = canvas.widget_to_image(300, 200)
    wheel = QWheelEvent(
        pos,
        canvas.viewport().mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), wheel)
    assert canvas.zoom() == pytest.approx(z * 1.0015**120)
    wx, wy = canvas.image_to_widget(*at)
    assert abs(wx - 300) <= 1.0 and abs(wy - 200) <= 1.0


def test_fit_and_100_percent(canvas):
    canvas.zoom_by(5)
    canvas.fit()
    vw, vh = canvas.viewport().width(), canvas.viewport().height()
    x0, y0 = canvas.image_to_widget(0, 0)
    x1, y1 = canvas.image_to_widget(200, 150)
    assert x0 >= 0 and y0 >= 0 and x1 <= vw and y1 <= vh
    assert min(vw - (x1 - x0), vh - (y1 - y0)) <= 10  # touches on one axis
    assert abs((x0 + x1) / 2 - vw / 2) <= 1 and abs((y0 + y1) / 2 - vh / 2) <= 1
    zooms = []
    canvas.zoom_changed.connect(zooms.append)
    centre = canvas.widget_to_image(vw / 2, vh / 2)
    canvas.zoom_100()
    assert canvas.zoom() == 1.0 and zooms == [1.0]
    np.testing.assert_allclose(canvas.widget_to_image(vw / 2, vh / 2), centre, atol=1.0)


def test_middle_drag_space_drag_and_arrow_keys_pan(canvas, qtbot):
    canvas.zoom_by(4, (250, 200))
    p0 = canvas.image_to_widget(100, 75)
    send(canvas, "press", 100, 75, Qt.MouseButton.MiddleButton)
    pos = QPointF(p0[0] + 40, p0[1] + 25)
    QApplication.sendEvent(
        canvas.viewport(),
        QMouseEvent(
            QEvent.Type.MouseMove,
            pos,
            canvas.viewport().mapToGlobal(pos),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.MiddleButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    QApplication.sendEvent(
        canvas.viewport(),
        QMouseEvent(
            QEvent.Type.MouseButtonRelease,
            pos,
            canvas.viewport().mapToGlobal(pos),
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    p1 = canvas.image_to_widget(100, 75)
    assert p1 == pytest.approx((p0[0] + 40, p0[1] + 25), abs=1)
    canvas.set_tool(TOOLS["polygon"](canvas.ctx))
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    send(canvas, "press", 100, 75)
    pos = QPointF(p1[0] - 30, p1[1])
    QApplication.sendEvent(
        canvas.viewport(),
        QMouseEvent(
            QEvent.Type.MouseMove,
            pos,
            canvas.viewport().mapToGlobal(pos),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    QApplication.sendEvent(
        canvas.viewport(),
        QMouseEvent(
            QEvent.Type.MouseButtonRelease,
            pos,
            canvas.viewport().mapToGlobal(pos),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert canvas.image_to_widget(100, 75) == pytest.approx((p1[0] - 30, p1[1]), abs=1)
    assert not canvas.tool().busy()  # the pan press was not a vertex
    before = canvas.image_to_widget(100, 75)
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert canvas.image_to_widget(100, 75)[0] < before[0] - 10


def test_arrows_nudge_the_selection_in_edit_mode(canvas, qtbot):
    doc = canvas.document()
    doc.add_shape(Shape("red", [[20, 20], [60, 20], [60, 60]]))
    canvas.set_tool(TOOLS["edit"](canvas.ctx))
    send(canvas, "press", 45, 30)
    send(canvas, "release", 45, 30)
    assert canvas.ctx.selection.uids() == [doc.shapes[0].uid]
    qtbot.keyClick(canvas, Qt.Key.Key_Left)
    np.testing.assert_array_equal(doc.shapes[0].points[0], [19, 20])
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert len(canvas.ctx.selection) == 0
    qtbot.keyClick(canvas, Qt.Key.Key_Tab)
    assert canvas.ctx.selection.uids() == [doc.shapes[0].uid]


def test_edit_drag_moves_and_the_ghost_replaces_the_original(canvas):
    doc = canvas.document()
    doc.add_shape(Shape("red", [[20, 20], [60, 20], [60, 60], [20, 60]]))
    canvas.set_tool(TOOLS["edit"](canvas.ctx))
    send(canvas, "press", 30, 30)
    for dx in (10, 40, 80):
        send(canvas, "move", 30 + dx, 30)
    assert pixel(canvas, 25, 40) == (GRAY, GRAY, GRAY)  # original hidden during the drag
    assert pixel(canvas, 120, 40)[0] > GRAY + 20  # the ghost is drawn
    send(canvas, "release", 110, 30)
    np.testing.assert_allclose(doc.shapes[0].points[0], [100, 20], atol=1e-6)
    assert len(doc.history) == 2


def test_brush_stroke_through_the_mouse_and_errors_as_messages(canvas):
    doc = canvas.document()
    canvas.ctx.brush_size = 8
    canvas.set_tool(TOOLS["brush"](canvas.ctx))
    send(canvas, "press", 20, 20)
    for x in range(20, 81, 10):
        send(canvas, "move", x, 20)
    send(canvas, "release", 80, 20)
    s = doc.shapes[0]
    assert s.shape_type == "mask" and s.label == "blue" and s.mask.sum() > 8 * 55
    assert pixel(canvas, 50, 20)[2] > GRAY + 20
    doc.edit_shape(0, locked=True)
    messages = []
    canvas.message.connect(messages.append)
    send(canvas, "press", 50, 50)
    send(canvas, "release", 50, 50)
    assert messages and "locked" in messages[0]


def test_overlay_is_drawn_and_removed(canvas):
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., 1] = 255
    rgba[..., 3] = 128
    canvas.set_overlay("sam", rgba, 50, 40)
    r, g, b = pixel(canvas, 60, 50)
    assert g > GRAY + 40 and r < GRAY
    assert canvas.overlay_keys() == ["sam"]
    canvas.set_overlay("sam", None)
    assert pixel(canvas, 60, 50) == (GRAY, GRAY, GRAY)
