"""The click tool (Qt-free), driven with synthetic events over the real click_segment."""

from __future__ import annotations

import cv2
import numpy as np

from labeldesk import algorithms as alg
from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.core.document import Document
from labeldesk.core.selection import Selection
from labeldesk.core.tools import TOOLS, KeyEvent, PointerEvent, ToolContext
from labeldesk.core.tools.click import ClickTool

H, W = 200, 260


def scene() -> tuple[np.ndarray, np.ndarray]:
    """A bright ellipse (the object) next to a bright square (another object) on texture."""
    rng = np.random.default_rng(1)
    img = np.full((H, W, 3), (60, 80, 70), np.float32) + rng.normal(0, 6, (H, W, 3))
    obj = np.zeros((H, W), np.uint8)
    cv2.ellipse(obj, (100, 100), (50, 35), 0, 0, 360, 1, -1)
    other = np.zeros((H, W), np.uint8)
    other[70:130, 160:220] = 1
    img[obj.astype(bool)] = (215, 185, 80)
    img[other.astype(bool)] = (205, 180, 90)  # similar colour: a click there is a mistake
    return np.clip(img, 0, 255).astype(np.uint8), obj.astype(bool)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to a few pixels (GrabCut's k-means start uses OpenCV's random state)."""
    return iou(a, b) >= 0.97 or int((a ^ b).sum()) <= 20


def make_tool() -> tuple[ClickTool, Document, np.ndarray, list[str]]:
    img, gt = scene()
    doc = Document(image_path="x.png", image_width=W, image_height=H)
    messages: list[str] = []
    ctx = ToolContext(
        doc, Selection(), active_label=lambda: "cat", image=lambda: img, message=messages.append
    )
    return ClickTool(ctx), doc, gt, messages


def press(tool: ClickTool, x: float, y: float, button: str = "left", mods=frozenset()) -> None:
    tool.pointer(PointerEvent("press", x, y, button, mods))
    tool.pointer(PointerEvent("release", x, y, button, mods))


def test_click_tool_is_registered_with_its_declarations() -> None:
    assert TOOLS["click"] is ClickTool
    assert ClickTool.shortcuts == ("K",) and ClickTool.runner_kind == "mask"
    assert {o.name for o in ClickTool.options} >= {"fill_holes", "min_area", "tolerance"}


def test_clicks_backspace_negative_click_enter_and_undo() -> None:
    tool, doc, gt, _ = make_tool()
    img = tool.ctx.image()
    press(tool, 100, 100)
    first = tool.mask.copy()  # what click_segment gives for the clicks, refined click by click
    assert same(first, alg.click_segment(img, [(100.0, 100.0, True)]))
    press(tool, 135, 100)
    second = tool.mask.copy()
    assert same(second, alg.click_segment(img, tool.clicks, previous=first))
    assert iou(second, gt) > 0.85
    press(tool, 190, 100)  # a mistake: a positive click on the other object
    assert tool.mask[100, 190] and len(tool.clicks) == 3
    assert tool.key(KeyEvent("Backspace"))  # drops it: the mask before it is back
    assert len(tool.clicks) == 2 and np.array_equal(tool.mask, second)
    press(tool, 190, 100, "right")  # a negative click there instead
    assert not tool.mask[100, 190] and iou(tool.mask, gt) > 0.85
    press(tool, 60, 100, "left", frozenset({"shift"}))  # Shift+click is negative too
    assert tool.clicks[-1] == (60.0, 100.0, False) and not tool.mask[100, 60]
    assert tool.key(KeyEvent("Enter"))
    assert len(doc) == 1 and doc.shapes[0].label == "cat" and not tool.busy()
    s = doc.shapes[0]
    got = shape_to_mask((H, W), s.points, s.shape_type, mask=s.mask)
    assert iou(got, gt) > 0.8
    doc.undo()
    assert len(doc) == 0  # one undo step


def test_escape_clears_and_a_click_outside_says_so() -> None:
    tool, doc, _, messages = make_tool()
    press(tool, 400, 100)
    assert "outside the image" in messages[-1] and not tool.busy()
    press(tool, 100, 100)
    assert tool.mask is not None and tool.preview().mask is not None
    assert tool.key(KeyEvent("Escape"))
    assert tool.mask is None and not tool.clicks and len(doc) == 0
    press(tool, 100, 100, "right")  # only a negative click: nothing to segment yet
    assert "click on the object first" in messages[-1] and tool.mask is None
