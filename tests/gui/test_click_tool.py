"""The click tool in the real window: K, clicks (a mistake undone with Backspace, a negative
click), Enter makes one object of the active class, Ctrl+Z removes it in one step."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import Qt

from labeldesk import algorithms as alg
from tests.gui.test_classical_tools import (
    CENTRE,
    click,
    iou,
    key,
    open_scene,
    send,
    shape_pixels,
    wait_mask,
)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return iou(a, b) >= 0.97 or int((a ^ b).sum()) <= 20


def right_click(window, x: float, y: float) -> None:
    send(window, "press", x, y, Qt.MouseButton.RightButton)
    send(window, "release", x, y, Qt.MouseButton.RightButton)


def test_click_tool_through_the_window(make_window, tmp_path, qtbot) -> None:
    window, ctl, gt = open_scene(make_window, tmp_path, qtbot)
    doc = window.session.doc
    toolbar = [a.objectName() for a in window.actions.toolbars["tools"].actions()]
    assert "tool.click" in toolbar and window.actions["tool.click"].shortcut().toString() == "K"
    key(window, Qt.Key.Key_K)
    tool = window.canvas.tool()
    assert tool.name == "click" and "click the object" in window.canvas.hint()
    assert ctl.dock.isVisible() and ctl.options.groups["Clean-up"].isVisible()
    cx, cy = CENTRE
    img = window.ctx.image()
    click(window, cx, cy)
    first = wait_mask(qtbot, ctl, tool)
    # the worker ran click_segment on the clicks: the mask of a direct call (GrabCut's
    # k-means start draws from OpenCV's per-thread random state, so allow a few pixels)
    assert same(first, alg.click_segment(img, [(cx, cy, True)]))
    click(window, cx + 40, cy)
    qtbot.waitUntil(lambda: tool.mask is not first and not ctl.host.is_busy(), timeout=10000)
    second = tool.mask
    assert same(second, alg.click_segment(img, tool.clicks, previous=first))
    click(window, 20, 20)  # a mistake: the background as object
    qtbot.waitUntil(lambda: tool.mask is not second and not ctl.host.is_busy(), timeout=10000)
    assert tool.mask[20, 20]
    key(window, Qt.Key.Key_Backspace)  # undone: the mask before it is back at once
    assert len(tool.clicks) == 2 and np.array_equal(tool.mask, second)
    assert tool.preview().mask is not None
    right_click(window, cx + 85, cy)  # background next to the object: not this
    qtbot.waitUntil(lambda: tool.mask is not second and not ctl.host.is_busy(), timeout=10000)
    assert tool.clicks[-1][2] is False and not tool.mask[cy, cx + 85]
    final = tool.mask
    assert same(final, alg.click_segment(img, tool.clicks, previous=second))
    key(window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(doc) == 1, timeout=10000)
    shape = doc.shapes[0]
    got = shape_pixels(shape)
    assert shape.label == window.session.active and got[cy, cx] and iou(got, final) > 0.5
    assert not tool.busy() and "machine" not in shape.extra  # a person's clicks
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(doc) == 0
    key(window, Qt.Key.Key_P)  # another tool: the dock goes
    assert not ctl.dock.isVisible()
    doc.mark_clean()
