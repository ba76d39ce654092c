"""The Qt-free classical tools with a runner that answers later, in any order (as a worker
thread does): accept through the runner, newer results shown during a drag, live-wire maps
built by the runner, a seed outside the image, the region-grow edge weight."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk import algorithms as alg
from labeldesk.core.document import Document
from labeldesk.core.shapes import Shape
from labeldesk.core.tools import KeyEvent, PointerEvent
from labeldesk.core.tools.classical import LiveWireTool, RegionGrowTool, ThresholdTool

from .robot import iou
from .test_tools_classical import H, W, click, context, enter, press, scene, shape_mask


class LaterRunner:
    """Keeps jobs until told to run them, in any order (``finish(i)``)."""

    def __init__(self) -> None:
        self.jobs: list = []
        self.running = False

    def __call__(self, job, done) -> None:
        self.jobs.append((job, done))

    def finish(self, index: int) -> object:
        job, done = self.jobs[index]
        self.running = True
        try:
            result = job()
        except ValueError as exc:
            result = exc
        finally:
            self.running = False
        done(result)
        return result


def box_mask(x0: int, x1: int) -> np.ndarray:
    m = np.zeros((H, W), bool)
    m[20:60, x0:x1] = True
    return m


# -- 1. Enter makes the object through the runner ---------------------------------------------
def test_enter_makes_the_object_through_the_runner() -> None:
    img, obj = scene()
    ctx, msgs = context(img)
    runner = LaterRunner()
    tool = ThresholdTool(ctx, runner=runner)
    tool.set_params(method="manual", low=120)
    runner.finish(0)
    assert enter(tool) and len(runner.jobs) == 2  # the mask-to-object job
    assert len(ctx.document.shapes) == 0 and tool.busy() and tool.wants_key(KeyEvent("Enter"))
    assert enter(tool) and len(runner.jobs) == 2  # a second Enter meanwhile asks nothing more
    shape = runner.finish(1)
    assert isinstance(shape, Shape) and list(ctx.document.shapes) == [shape]
    assert shape.label == "fruit" and iou(shape_mask(shape), obj) > 0.95
    assert ctx.selection.uids() == [shape.uid] and tool.mask is None and not tool.busy()
    ctx.document.undo()  # one undo step
    assert len(ctx.document.shapes) == 0 and not msgs


def test_escape_or_a_new_result_while_the_object_is_made_adds_nothing() -> None:
    img, _ = scene()
    ctx, _ = context(img)
    runner = LaterRunner()
    tool = ThresholdTool(ctx, runner=runner)
    tool.set_params(method="manual", low=120)
    runner.finish(0)
    enter(tool)
    assert tool.key(KeyEvent("Escape")) and not tool.busy()
    runner.finish(1)
    assert len(ctx.document.shapes) == 0
    tool.set_params(method="manual", low=120)
    runner.finish(2)
    enter(tool)  # job 3
    tool.set_params(method="manual", low=130)  # job 4: a newer result is coming
    runner.finish(3)
    assert len(ctx.document.shapes) == 0 and tool.busy()
    runner.finish(4)
    assert len(ctx.document.shapes) == 0 and tool.mask is not None  # shown, not accepted


def test_nothing_left_after_clean_up_is_a_message() -> None:
    img, _ = scene()
    ctx, msgs = context(img)
    runner = LaterRunner()
    tool = ThresholdTool(ctx, runner=runner)
    tool.set_params(method="manual", low=120)
    runner.finish(0)
    tool.min_area = H * W  # every part is too small
    enter(tool)
    assert runner.finish(1) is None
    assert msgs == ["Threshold: nothing to accept yet"]
    assert len(ctx.document.shapes) == 0 and tool.mask is not None and not tool._converting


def test_enter_with_the_inline_runner_returns_the_shape() -> None:
    img, obj = scene()
    ctx, _ = context(img)
    tool = ThresholdTool(ctx)
    tool.set_params(method="manual", low=120)
    shape = tool.accept()
    assert shape is not None and list(ctx.document.shapes) == [shape]


# -- 3. during a drag, newer results show; older ones never replace them --------------------------
def test_newer_results_show_while_the_latest_is_on_its_way() -> None:
    img, _ = scene()
    ctx, msgs = context(img)
    runner = LaterRunner()
    tool = ThresholdTool(ctx, runner=runner)
    masks = [box_mask(10, 20 + 10 * i) for i in range(4)]
    for m in masks:
        tool.compute(lambda m=m: m)
    runner.finish(1)  # newer than nothing: shown, still pending
    assert np.array_equal(tool.mask, masks[1]) and tool._pending
    runner.finish(0)  # older than the one shown: dropped
    assert np.array_equal(tool.mask, masks[1])
    assert enter(tool) and len(ctx.document.shapes) == 0  # waits for the latest
    runner.finish(2)  # newer: shown; not the latest, so not accepted yet
    assert np.array_equal(tool.mask, masks[2]) and len(runner.jobs) == 4
    runner.finish(3)  # the latest: shown and, as Enter asked, made an object
    assert len(runner.jobs) == 5
    runner.finish(4)
    assert len(ctx.document.shapes) == 1
    assert np.array_equal(shape_mask(ctx.document.shapes[0]), masks[3])
    assert not msgs


def test_an_error_of_an_older_request_is_not_shown() -> None:
    img, _ = scene()
    ctx, msgs = context(img)
    runner = LaterRunner()
    tool = ThresholdTool(ctx, runner=runner)

    def bad() -> np.ndarray:
        raise ValueError("low must be <= high")

    tool.compute(bad)
    tool.compute(lambda: box_mask(10, 40))
    tool.compute(bad)
    runner.finish(0)
    assert not msgs and tool._pending
    runner.finish(1)
    assert tool.mask is not None and tool._pending
    runner.finish(2)  # the latest fails: said once, the last mask stays
    assert msgs == ["Threshold: low must be <= high"] and not tool._pending
    assert np.array_equal(tool.mask, box_mask(10, 40))


def test_cancel_drops_every_result_on_its_way() -> None:
    img, _ = scene()
    ctx, _ = context(img)
    runner = LaterRunner()
    tool = ThresholdTool(ctx, runner=runner)
    tool.compute(lambda: box_mask(10, 40))
    tool.compute(lambda: box_mask(10, 50))
    tool.cancel()
    runner.finish(0)
    runner.finish(1)
    assert tool.mask is None and not tool.busy()


# -- 1. live-wire edge maps through the runner ---------------------------------------------------
ANCHORS = [(44, 58), (80, 35), (117, 62), (80, 85)]


def test_live_wire_builds_maps_only_in_the_runner(monkeypatch) -> None:
    img, obj = scene()
    ctx, _ = context(img)
    runner = LaterRunner()
    built_outside: list[tuple[int, int]] = []

    class Recording(alg.LiveWireMap):
        def __init__(self, image, anchor, **kwargs) -> None:
            if not runner.running:
                built_outside.append(anchor)
            super().__init__(image, anchor, **kwargs)

    monkeypatch.setattr(alg, "LiveWireMap", Recording)
    tool = LiveWireTool(ctx, runner=runner)
    click(tool, *ANCHORS[0])
    tool.pointer(PointerEvent("move", 60, 45, ""))
    assert len(runner.jobs) == 1 and tool._tail is None
    pv = tool.preview()  # a straight rubber band to the pointer until the map is in
    assert np.array_equal(pv.polylines[-1][-1], [60, 45])
    for x, y in ANCHORS[1:]:  # quick clicks: they wait
        click(tool, x, y)
    assert len(tool.anchors) == 1 and len(tool._waiting) == 3
    assert len(tool.preview().points) == 4  # the anchor and the waiting clicks
    assert enter(tool) and tool._waiting[-1] == "accept"
    index = 0
    while index < len(runner.jobs):  # each map arrives, the waiting clicks are replayed
        runner.finish(index)
        index += 1
    assert not built_outside and index == 4  # one map per anchor, none on the caller's side
    doc = ctx.document
    assert len(doc.shapes) == 1 and doc.shapes[0].shape_type == "polygon"
    assert iou(shape_mask(doc.shapes[0]), obj) > 0.9 and not tool.busy()


def test_live_wire_backspace_escape_and_a_stale_map() -> None:
    img, _ = scene()
    ctx, _ = context(img)
    runner = LaterRunner()
    tool = LiveWireTool(ctx, runner=runner)
    click(tool, *ANCHORS[0])
    click(tool, *ANCHORS[1])  # waits for the first map
    click(tool, *ANCHORS[2])
    assert tool.key(KeyEvent("Backspace")) and len(tool._waiting) == 1  # the last click goes
    runner.finish(0)
    assert tool.anchors == [ANCHORS[0], ANCHORS[1]] and not tool._waiting
    assert len(tool.legs) == 1 and np.array_equal(tool.legs[0][-1], ANCHORS[1])
    tool.pointer(PointerEvent("move", 117, 62, ""))  # asks for the map of the second anchor
    assert len(runner.jobs) == 2
    assert tool.key(KeyEvent("Escape")) and not tool.busy()
    runner.finish(1)  # arrives after Esc: dropped
    assert tool.preview() is None and not tool._maps


def test_live_wire_uses_an_older_map_while_a_larger_one_is_built() -> None:
    img, _ = scene()
    big = np.pad(img, ((0, 600), (0, 600), (0, 0)), mode="edge")
    ctx, _ = context(big)
    ctx.document = Document("big.png", *big.shape[:2])
    runner = LaterRunner()
    tool = LiveWireTool(ctx, runner=runner)
    click(tool, *ANCHORS[0])
    tool.pointer(PointerEvent("move", 60, 45, ""))  # job 0: a map of radius 200
    tool.pointer(PointerEvent("move", 400, 400, ""))  # job 1: a larger one for this point
    click(tool, *ANCHORS[1])  # inside the first map's window: waits for a map
    assert len(runner.jobs) == 2 and len(tool._waiting) == 1
    runner.finish(0)  # not the latest request, but its window has the click
    assert tool.anchors == ANCHORS[:2] and not tool._waiting
    runner.finish(1)  # the larger map of the first anchor: no longer the last anchor's
    assert tool.anchors == ANCHORS[:2] and tool._maps[ANCHORS[0]][1].window == (0, 0, 245, 259)


def test_live_wire_with_the_inline_runner_as_before() -> None:
    img, obj = scene()
    ctx, _ = context(img)
    tool = LiveWireTool(ctx)
    for x, y in ANCHORS:
        click(tool, x, y)
    assert len(tool.anchors) == 4 and not tool._waiting
    assert enter(tool) and len(ctx.document.shapes) == 1


def test_live_wire_bad_image_is_a_message() -> None:
    img, _ = scene()
    ctx, msgs = context(img.astype(np.int32))
    tool = LiveWireTool(ctx)
    click(tool, 40, 40)
    tool.pointer(PointerEvent("move", 60, 60, ""))
    tool.pointer(PointerEvent("move", 61, 60, ""))  # the same window: not asked again
    assert len(msgs) == 1 and "dtype int32" in msgs[0] and msgs[0].startswith("Live wire: ")
    assert tool.key(KeyEvent("Escape")) and not tool.busy()


# -- 5. a seed outside the image ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "y", "shown"),
    [(-6, 100, "(-6, 100)"), (W, 5, f"({W}, 5)"), (30, -0.5, "(30, -0)"), (5.2, H + 3, "(5, 123)")],
)
def test_seed_outside_the_image_is_a_message(x, y, shown) -> None:
    img, _ = scene()
    ctx, msgs = context(img)
    runner = LaterRunner()
    tool = RegionGrowTool(ctx, runner=runner)
    press(tool, x, y)
    tool.pointer(PointerEvent("move", x + 30, y, "left"))
    tool.pointer(PointerEvent("release", x + 30, y, "left"))
    assert msgs == [f"Region grow: the seed {shown} is outside the image; press on the object"]
    assert not tool.seeds and not runner.jobs and not tool.busy()


def test_seed_on_the_last_pixel_is_inside() -> None:
    img, _ = scene()
    ctx, msgs = context(img)
    tool = RegionGrowTool(ctx)
    press(tool, W - 0.5, H - 0.01)
    assert tool.seeds[0][0] == (W - 1, H - 1) and not msgs and tool.mask[H - 1, W - 1]


def test_shift_press_outside_keeps_the_regions_so_far() -> None:
    img, obj = scene()
    ctx, msgs = context(img)
    tool = RegionGrowTool(ctx)
    tool.start_tolerance = 40
    press(tool, 80, 60)
    before = tool.mask.copy()
    press(tool, W + 10, 60, mods=frozenset({"shift"}))
    assert len(tool.seeds) == 1 and np.array_equal(tool.mask, before) and len(msgs) == 1


# -- 2. the edge weight reaches region_grow -------------------------------------------------------
def test_region_grow_edge_weight_stops_at_a_weak_edge() -> None:
    rng = np.random.default_rng(0)
    img = np.full((H, W), 100.0)
    img[:, W // 2 :] = 120  # a weak step: within the tolerance of 25
    img = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    ctx, _ = context(img)
    tool = RegionGrowTool(ctx)
    tool.start_tolerance = 25
    assert tool.edge_weight == 1.0  # region_grow's default
    tool.edge_weight = 0.0  # plain colour distance: leaks over the step
    press(tool, 10, 60)
    assert tool.mask.all()
    tool.edge_weight = 2.5  # the edge term stops it there
    tool.run()
    assert tool.mask[:, : W // 2].all() and not tool.mask[:, W // 2 :].any()
