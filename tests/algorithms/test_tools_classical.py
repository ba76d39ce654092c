"""The Qt-free classical tools, driven with synthetic events (no window)."""

from __future__ import annotations

import cv2
import numpy as np

from labeldesk.algorithms import polygons_to_mask
from labeldesk.core.document import Document
from labeldesk.core.selection import Selection
from labeldesk.core.tools import TOOLS, KeyEvent, PointerEvent, ToolContext
from labeldesk.core.tools.classical import RegionGrowTool, ThresholdTool
from labeldesk.core.tools.scribbles import GrabCutTool, LiveWireTool, WatershedTool

from .robot import iou

H, W = 120, 160


def scene() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    img = np.full((H, W, 3), (50, 90, 60), np.float32)
    obj = np.zeros((H, W), np.uint8)
    cv2.ellipse(obj, (80, 60), (36, 24), 0, 0, 360, 1, -1)
    obj = obj.astype(bool)
    img[obj] = (210, 170, 60)
    img += rng.normal(0, 5, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), obj


def context(img: np.ndarray | None) -> tuple[ToolContext, list[str]]:
    doc = Document("img.png", H, W)
    msgs: list[str] = []
    ctx = ToolContext(
        doc,
        Selection(),
        active_label=lambda: "fruit",
        brush_size=5,
        image=lambda: img,
        message=msgs.append,
    )
    return ctx, msgs


def press(tool, x, y, button="left", mods=frozenset()):
    tool.pointer(PointerEvent("press", x, y, button, mods))


def drag(tool, path, button="left", mods=frozenset()):
    (x0, y0), rest = path[0], path[1:]
    tool.pointer(PointerEvent("press", x0, y0, button, mods))
    for x, y in rest:
        tool.pointer(PointerEvent("move", x, y, button, mods))
    tool.pointer(PointerEvent("release", *path[-1], button, mods))


def click(tool, x, y, button="left"):
    drag(tool, [(x, y)], button)


def enter(tool) -> bool:
    return tool.key(KeyEvent("Enter"))


def shape_mask(shape) -> np.ndarray:
    if shape.shape_type == "polygon":
        return polygons_to_mask((H, W), [shape.points])
    (x1, y1), _ = shape.points.astype(int)
    m = np.zeros((H, W), bool)
    m[y1 : y1 + shape.mask.shape[0], x1 : x1 + shape.mask.shape[1]] = shape.mask
    return m


def test_all_registered() -> None:
    for name in ("threshold", "region_grow", "watershed", "grabcut", "live_wire"):
        assert name in TOOLS


def test_threshold_preview_accept_is_one_undo_step() -> None:
    img, obj = scene()
    ctx, msgs = context(img)
    tool = ThresholdTool(ctx)
    tool.set_params(method="manual", low=120)
    pv = tool.preview()
    assert pv is not None and pv.mask is not None
    assert iou(tool.result(), obj) > 0.97
    assert enter(tool)
    doc = ctx.document
    assert len(doc.shapes) == 1 and doc.shapes[0].label == "fruit"
    assert iou(shape_mask(doc.shapes[0]), obj) > 0.95
    assert tool.mask is None and not tool.busy()
    doc.undo()
    assert len(doc.shapes) == 0


def test_threshold_box_pick_invert_and_bad_options() -> None:
    img, obj = scene()
    ctx, msgs = context(img)
    tool = ThresholdTool(ctx)
    drag(tool, [(30, 20), (60, 40), (130, 100)])  # box around the object
    assert tool.box == (30, 20, 130, 100)
    assert iou(tool.result(), obj) > 0.97
    tool.set_params(invert=True)  # background inside the box
    assert not tool.result()[:20].any() and not tool.result()[obj].any()
    tool.set_params(invert=False, method="median")
    assert msgs and "method must be one of" in msgs[-1]
    tool.set_params(method="otsu", colour=3)
    assert "unexpected keyword" in msgs[-1]


def test_region_grow_drag_raises_tolerance() -> None:
    img, obj = scene()
    ctx, _ = context(img)
    tool = RegionGrowTool(ctx)
    tool.start_tolerance = 2
    press(tool, 80.4, 60.7)
    small = tool.result().sum()
    for d in range(0, 120, 10):
        tool.pointer(PointerEvent("move", 80.4 + d, 60.7, "left"))
    tool.pointer(PointerEvent("release", 200, 60.7, "left"))
    assert tool.seeds[0][0] == (80, 60) and tool.seeds[0][1] > 40
    assert tool.result().sum() > small and iou(tool.result(), obj) > 0.95
    assert enter(tool) and len(ctx.document.shapes) == 1


def test_watershed_needs_both_scribbles_and_backspace_undoes() -> None:
    img, obj = scene()
    ctx, _ = context(img)
    tool = WatershedTool(ctx)
    drag(tool, [(70, 60), (90, 60)])  # object
    assert tool.mask is None and "background" in tool.hint
    drag(tool, [(10, 10), (150, 10), (150, 110), (10, 110)], button="right")
    assert iou(tool.result(), obj) > 0.95
    assert tool.key(KeyEvent("Backspace")) and tool.mask is None
    assert len(tool.strokes) == 1
    assert tool.key(KeyEvent("Escape")) and not tool.busy()


def test_grabcut_box_then_scribble_and_extreme_points() -> None:
    img, obj = scene()
    ctx, _ = context(img)
    tool = GrabCutTool(ctx)
    drag(tool, [(40, 32), (80, 60), (120, 88)])
    assert tool.box is not None and iou(tool.result(), obj) > 0.93
    drag(tool, [(100, 58), (115, 60)], button="right")  # background scribble on the object
    assert not tool.result()[60, 105:112].any()
    assert enter(tool) and len(ctx.document.shapes) == 1
    tool2 = GrabCutTool(ctx)
    for x, y in [(44, 60), (80, 36), (116, 60), (80, 84)]:
        click(tool2, x + 0.3, y + 0.6)
    assert tool2.points[0] == (44, 60) and iou(tool2.result(), obj) > 0.9


class LaterRunner:
    """A runner that keeps jobs until told to run them (as a worker thread would)."""

    def __init__(self) -> None:
        self.jobs = []

    def __call__(self, job, done) -> None:
        self.jobs.append((job, done))

    def finish(self, index: int) -> None:
        job, done = self.jobs[index]
        try:
            done(job())
        except ValueError as exc:
            done(exc)


def test_latest_request_wins_and_enter_waits_for_result() -> None:
    img, obj = scene()
    ctx, _ = context(img)
    runner = LaterRunner()
    tool = ThresholdTool(ctx, runner=runner)
    tool.set_params(method="manual", low=250)  # nearly empty
    tool.set_params(method="manual", low=120)
    runner.finish(1)
    runner.finish(0)  # stale: ignored
    assert iou(tool.result(), obj) > 0.97
    tool.set_params(method="manual", low=121)
    assert enter(tool) and len(ctx.document.shapes) == 0  # waits
    runner.finish(2)  # the result: the mask becomes an object through the runner too
    assert len(runner.jobs) == 4 and len(ctx.document.shapes) == 0 and tool.busy()
    runner.finish(3)
    assert len(ctx.document.shapes) == 1


def test_live_wire_click_around_and_close() -> None:
    img, obj = scene()
    ctx, _ = context(img)
    tool = LiveWireTool(ctx)
    for x, y in [(44, 58), (80, 35), (117, 62)]:
        click(tool, x, y)
        tool.pointer(PointerEvent("move", x + 5, y + 5, ""))
    tool.pointer(PointerEvent("move", 80, 86, ""))
    assert tool.preview() is not None and tool._tail is not None
    tool.pointer(PointerEvent("double", 79, 85, "left"))
    doc = ctx.document
    assert len(doc.shapes) == 1 and doc.shapes[0].shape_type == "polygon"
    assert iou(shape_mask(doc.shapes[0]), obj) > 0.93
    assert not tool.busy()


def test_no_image_gives_a_message_not_an_error() -> None:
    ctx, msgs = context(None)
    tool = RegionGrowTool(ctx)
    press(tool, 5, 5)
    assert msgs == ["Region grow: no image is open"]
    assert not enter(tool) and len(ctx.document.shapes) == 0
