"""The classical tools in the real main window, driven through the canvas with Qt events.

Each tool works on a synthetic image with one known object (a noisy bright ellipse on a noisy
textured background): its preview appears, Enter adds exactly one object of the active class
whose rasterized pixels match the object, Ctrl+Z removes it in one step, Esc cancels.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.core.tools import TOOLS
from labeldesk.ui.actions import conflicts
from labeldesk.ui.tools import cleanup, install, managed_tools

H, W = 240, 320
CENTRE, AXES = (150, 120), (70, 45)  # the ellipse, (x, y) and half-axes in pixels


def scene(ring: bool = False, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(image (H, W, 3) uint8 RGB, object mask (H, W) bool)``; ``ring`` cuts a hole."""
    rng = np.random.default_rng(seed)
    texture = cv2.resize(rng.normal(0, 1, (H // 8, W // 8, 3)).astype(np.float32), (W, H))
    img = np.float32([60, 80, 70]) + 10 * texture
    obj = np.zeros((H, W), np.uint8)
    cv2.ellipse(obj, CENTRE, AXES, 0, 0, 360, 1, -1)
    if ring:
        cv2.circle(obj, CENTRE, 22, 0, -1)
    gt = obj.astype(bool)
    img[gt] = (215, 185, 80)
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), gt


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def shape_pixels(shape) -> np.ndarray:
    return shape_to_mask((H, W), shape.points, shape.shape_type, mask=shape.mask)


def open_scene(make_window, tmp_path, qtbot, ring: bool = False):
    img, gt = scene(ring)
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    path = folder / ("ring.png" if ring else "scene.png")
    cv2.imwrite(str(path), img[:, :, ::-1])
    window = make_window(path)
    ctl = install(window)
    window.canvas.setFocus()
    return window, ctl, gt


@pytest.fixture
def app(make_window, tmp_path, qtbot):
    window, ctl, gt = open_scene(make_window, tmp_path, qtbot)
    yield window, ctl, gt
    window.session.doc.mark_clean()


def send(window, kind: str, x: float, y: float, button=Qt.MouseButton.LeftButton, mods=None):
    """A mouse event at image point ``(x, y)`` on the canvas (drag moves carry the button)."""
    types = {
        "press": QEvent.Type.MouseButtonPress,
        "move": QEvent.Type.MouseMove,
        "release": QEvent.Type.MouseButtonRelease,
        "double": QEvent.Type.MouseButtonDblClick,
    }
    c = window.canvas
    pos = QPointF(*c.image_to_widget(x, y))
    held = Qt.MouseButton.NoButton if kind == "release" else button
    ev = QMouseEvent(
        types[kind],
        pos,
        c.viewport().mapToGlobal(pos),
        button if kind != "move" else Qt.MouseButton.NoButton,
        held,
        mods or Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(c.viewport(), ev)


def drag(window, points, button=Qt.MouseButton.LeftButton) -> None:
    send(window, "press", *points[0], button)
    for p in points[1:]:
        send(window, "move", *p, button)
    send(window, "release", *points[-1], button)


def click(window, x: float, y: float) -> None:
    send(window, "press", x, y)
    send(window, "release", x, y)


def key(window, k, mods=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(window.focusWidget() or window.canvas, k, mods)


def wait_mask(qtbot, ctl, tool, timeout: int = 10000) -> np.ndarray:
    """The tool's mask once no request is on its way."""
    qtbot.waitUntil(lambda: tool.mask is not None and not ctl.host.is_busy(), timeout=timeout)
    assert tool.preview().mask is not None
    return tool.mask


def accept_one(qtbot, window, gt: np.ndarray, min_iou: float):
    """Enter; exactly one object of the active class appears; Ctrl+Z removes it."""
    doc = window.session.doc
    n0 = len(doc)
    key(window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(doc) == n0 + 1, timeout=10000)
    shape = doc.shapes[-1]
    assert shape.label == window.session.active
    score = iou(shape_pixels(shape), gt)
    assert score > min_iou, f"IoU {score:.3f}"
    assert window.canvas.tool().preview() is None or window.canvas.tool().preview().mask is None
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(doc) == n0
    return shape, score


def test_actions_keys_icons_and_the_options_dock(app) -> None:
    window, ctl, _ = app
    tools_menu = [a.objectName() for a in window.actions.menus["Tools"].actions()]
    toolbar = [a.objectName() for a in window.actions.toolbars["tools"].actions()]
    for name in managed_tools():  # as the tools declare themselves
        action = window.actions[f"tool.{name}"]
        assert f"tool.{name}" in tools_menu and f"tool.{name}" in toolbar
        assert action.shortcut().toString() == TOOLS[name].shortcuts[0]
        assert not action.icon().isNull()
    assert conflicts(window.actions.bindings) == {}
    window.actions.apply_bindings({})  # what apply_settings() does after install in the app
    assert window.actions["tool.threshold"].shortcut().toString() == "T"
    key(window, Qt.Key.Key_T)
    assert window.canvas.tool().name == "threshold"
    assert ctl.dock.isVisible() and ctl.options.groups["Threshold"].isVisible()
    assert not ctl.options.groups["Region grow"].isVisible()
    key(window, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
    assert window.canvas.tool().name == "region_grow"
    assert ctl.options.groups["Region grow"].isVisible()
    assert not ctl.options.groups["Threshold"].isVisible()
    key(window, Qt.Key.Key_P)  # another tool: the dock goes
    assert window.canvas.tool().name == "polygon" and not ctl.dock.isVisible()


def test_threshold_previews_at_once_accepts_and_undoes(app, qtbot) -> None:
    window, ctl, gt = app
    before = window.canvas.viewport().grab().toImage()
    key(window, Qt.Key.Key_T)
    tool = window.canvas.tool()
    mask = wait_mask(qtbot, ctl, tool)
    assert iou(mask, gt) > 0.95  # Otsu, straight away
    qtbot.waitUntil(lambda: ctl.options.widgets["range"].note.text().startswith("Otsu"))
    wx, wy = window.canvas.image_to_widget(*CENTRE)
    qtbot.waitUntil(lambda: window.canvas.viewport().grab().toImage() != before)
    shown = window.canvas.viewport().grab().toImage().pixelColor(int(wx), int(wy))
    rgb = window.session.classes.color_of(window.session.active)
    plain = before.pixelColor(int(wx), int(wy))
    # the translucent patch pulls the object's pixels toward the class colour
    assert abs(shown.red() - rgb[0]) + abs(shown.green() - rgb[1]) + abs(shown.blue() - rgb[2]) < (
        abs(plain.red() - rgb[0]) + abs(plain.green() - rgb[1]) + abs(plain.blue() - rgb[2])
    )
    accept_one(qtbot, window, gt, 0.95)


def test_threshold_manual_range_slider_updates_the_preview(app, qtbot) -> None:
    window, ctl, gt = app
    key(window, Qt.Key.Key_T)
    tool = window.canvas.tool()
    wait_mask(qtbot, ctl, tool)
    opts = ctl.options
    opts.widgets["method"].setCurrentIndex(1)  # manual
    slider = opts.widgets["range"].slider
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(slider.width() - 2, 30))
    assert slider.values()[1] == 255 and window.focusWidget() is window.canvas  # Enter works
    slider.set_values(0, 120)  # the dark background
    assert iou(wait_mask(qtbot, ctl, tool), ~gt) > 0.95
    opts.widgets["invert"].setChecked(True)  # everything but the background: the object
    qtbot.waitUntil(lambda: tool.mask is not None and iou(tool.mask, gt) > 0.95)
    editor = opts.widgets["range"]
    assert (editor.low.value(), editor.high.value()) == (0, 120)
    accept_one(qtbot, window, gt, 0.95)


def test_threshold_escape_cancels(app, qtbot) -> None:
    window, ctl, gt = app
    doc = window.session.doc
    key(window, Qt.Key.Key_T)
    tool = window.canvas.tool()
    wait_mask(qtbot, ctl, tool)
    key(window, Qt.Key.Key_Escape)
    assert tool.mask is None and tool.preview().mask is None and len(doc) == 0


def test_region_grow_by_dragging_from_the_seed(app, qtbot) -> None:
    window, ctl, gt = app
    key(window, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
    tool = window.canvas.tool()
    x, y = CENTRE
    z = window.canvas.zoom()
    drag(window, [(x, y), (x + 10 / z, y), (x + 30 / z, y)])  # 30 screen px: +15 tolerance
    mask = wait_mask(qtbot, ctl, tool)
    assert abs(ctl.options.widgets["start_tolerance"].value() - tool.seeds[-1][1]) < 0.01
    assert tool.seeds[-1][1] > tool.start_tolerance
    assert iou(mask, gt) > 0.9
    # typing a tolerance in the dock regrows the last region: 0 keeps only near-seed colours
    ctl.options.widgets["start_tolerance"].setValue(0.0)
    qtbot.waitUntil(lambda: tool.mask is not None and tool.mask.sum() < 0.5 * gt.sum())
    ctl.options.widgets["start_tolerance"].setValue(25.0)
    assert tool.seeds[-1][1] == 25.0 and tool.start_tolerance == 25.0
    qtbot.waitUntil(lambda: tool.mask is not None and iou(tool.mask, gt) > 0.9)
    assert ctl.options.widgets["edge_weight"].isVisibleTo(ctl.options)  # the tool's edge term
    assert ctl.options.widgets["edge_weight"].value() == tool.edge_weight == 1.0
    accept_one(qtbot, window, gt, 0.9)


def test_region_grow_edge_weight_row_follows_the_tool(app, qtbot) -> None:
    window, ctl, _ = app
    window.set_tool("region_grow")
    tool = window.canvas.tool()
    tool.edge_weight = 1.0  # what an edge-aware tool exposes
    ctl.options.show_for(tool, window.ctx.image())
    assert ctl.options.widgets["edge_weight"].isVisibleTo(ctl.options)
    ctl.options.widgets["edge_weight"].setValue(2.5)
    assert tool.edge_weight == 2.5


def test_watershed_from_scribbles(app, qtbot) -> None:
    window, ctl, gt = app
    key(window, Qt.Key.Key_W)
    tool = window.canvas.tool()
    cx, cy = CENTRE
    drag(window, [(cx - 40, cy), (cx, cy + 5), (cx + 40, cy)])  # along the object
    assert tool.mask is None
    ring = [(cx + 100 * np.cos(t), cy + 85 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)]
    drag(window, ring, Qt.MouseButton.RightButton)
    mask = wait_mask(qtbot, ctl, tool)
    assert iou(mask, gt) > 0.9
    accept_one(qtbot, window, gt, 0.9)


def test_grabcut_box_and_enter_before_the_result(app, qtbot) -> None:
    window, _, gt = app
    key(window, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
    (cx, cy), (a, b) = CENTRE, AXES
    drag(window, [(cx - a - 8, cy - b - 8), (cx, cy), (cx + a + 8, cy + b + 8)])
    assert window.canvas.tool().mask is None  # computing in the worker
    accept_one(qtbot, window, gt, 0.9)  # Enter now: accepted when the result arrives


def test_grabcut_extreme_points(app, qtbot) -> None:
    window, ctl, gt = app
    key(window, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
    tool = window.canvas.tool()
    (cx, cy), (a, b) = CENTRE, AXES
    for x, y in [(cx - a, cy), (cx, cy - b), (cx + a - 1, cy), (cx, cy + b - 1)]:
        click(window, x + 0.5, y + 0.5)
    assert iou(wait_mask(qtbot, ctl, tool), gt) > 0.9
    key(window, Qt.Key.Key_Escape)
    assert tool.mask is None and not tool.busy()


def test_live_wire_around_the_object(app, qtbot) -> None:
    window, ctl, gt = app
    key(window, Qt.Key.Key_I)
    tool = window.canvas.tool()
    (cx, cy), (a, b) = CENTRE, AXES
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    points = [(cx + a * np.cos(t), cy + b * np.sin(t)) for t in angles]
    # click quickly, without waiting for the edge maps: the clicks wait and are replayed
    for x, y in points:
        send(window, "move", x, y, Qt.MouseButton.NoButton)
        click(window, x, y)
    assert tool.busy() and len(tool.anchors) < len(points)  # the clicks wait for maps
    shape, _ = accept_one(qtbot, window, gt, 0.9)  # Enter waits too
    assert shape.shape_type == "polygon"


def test_live_wire_escape_and_enter_with_nothing(app, qtbot) -> None:
    window, _, _ = app
    key(window, Qt.Key.Key_I)
    tool = window.canvas.tool()
    key(window, Qt.Key.Key_Return)
    assert "nothing to accept" in window.statusBar().currentMessage()
    click(window, 80, 120)
    send(window, "move", 120, 80, Qt.MouseButton.NoButton)
    click(window, 120, 80)
    qtbot.waitUntil(lambda: len(tool.anchors) == 2, timeout=10000)
    key(window, Qt.Key.Key_Escape)
    assert not tool.anchors and not tool.busy() and len(window.session.doc) == 0


def test_fill_holes_option_runs_in_the_worker(make_window, tmp_path, qtbot) -> None:
    window, ctl, ring = open_scene(make_window, tmp_path, qtbot, ring=True)
    key(window, Qt.Key.Key_T)
    tool = window.canvas.tool()
    qtbot.waitUntil(lambda: tool.mask is not None and iou(tool.mask, ring) > 0.95)
    # the preview is recomputed with the hole filled
    ctl.options.widgets["fill_holes"].setChecked(True)
    full = scene()[1]
    qtbot.waitUntil(lambda: tool.mask is not None and iou(tool.mask, full) > 0.95)
    assert tool.fill_holes is False  # done in the worker, not in the tool's preview()
    shape, _ = accept_one(qtbot, window, full, 0.95)
    assert shape.shape_type == "polygon"
    ctl.options.widgets["fill_holes"].setChecked(False)
    qtbot.waitUntil(lambda: tool.mask is not None and iou(tool.mask, ring) > 0.95)
    ctl.options.widgets["min_area"].setValue(int(ring.sum()) + 1)  # every part is too small
    key(window, Qt.Key.Key_Return)  # the shape is made in the worker: the answer comes later
    qtbot.waitUntil(lambda: "nothing to accept" in window.statusBar().currentMessage())
    assert len(window.session.doc) == 0 and tool.mask is not None
    ctl.options.widgets["min_area"].setValue(10)
    shape, _ = accept_one(qtbot, window, ring, 0.95)
    assert shape.shape_type == "mask"  # a hole: kept as a mask object
    window.session.doc.mark_clean()


@pytest.mark.parametrize("seed", range(4))
def test_cleanup_on_the_box_equals_cleanup_on_the_image(seed: int) -> None:
    from labeldesk import algorithms as alg

    rng = np.random.default_rng(seed)
    m = np.zeros((60, 80), bool)
    m[10:50, 15:70] = cv2.resize(rng.random((8, 11)), (55, 40)) > 0.45  # blobs with holes
    for fill, largest in ((True, False), (False, True), (True, True)):
        want = alg.largest_component(m) if largest else m
        want = alg.fill_holes(want) if fill else want
        assert np.array_equal(cleanup(m, fill=fill, largest=largest), want)
