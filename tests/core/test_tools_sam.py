"""The SAM prompt tool and the proposal review tool, driven with synthetic events (no Qt,
no torch), and the crop helpers of labeldesk.core.convert they use. The "model" here is a plain function of the prompt (discs around the points), so
the tool's own logic is what is tested: prompts, feedback of the previous mask, stale replies,
accept as one undo step. The real tiny SAM drives the tool in tests/models/test_assist_sam.py.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from labeldesk.core import Document
from labeldesk.core.classes import ClassCatalogue
from labeldesk.core.convert import crop_mask, paste_crop, shape_from_crop
from labeldesk.core.selection import Selection
from labeldesk.core.tools import TOOLS, KeyEvent, PointerEvent, ToolContext
from labeldesk.core.tools.review import ProposalTool, render_proposals
from labeldesk.core.tools.sam import SamPrompt, SamResult, SamTool

H, W = 120, 160


def disc_model(prompt: SamPrompt) -> SamResult:
    """Union of r=15 discs at positive points minus r=8 discs at negatives, within the box."""
    yy, xx = np.mgrid[0:H, 0:W]
    m = np.zeros((H, W), bool)
    for (x, y), lbl in zip(prompt.points, prompt.labels, strict=True):
        d = np.hypot(xx - x, yy - y)
        m = m | (d <= 15) if lbl == 1 else m & ~(d <= 8)
    if prompt.box is not None:
        x0, y0, x1, y1 = prompt.box
        inside = (xx >= x0) & (xx <= x1) & (yy >= y0) & (yy <= y1)
        m = m & inside if len(prompt.points) else inside
    crop, origin = crop_mask(m)
    low = np.full((1, 16, 16), float(prompt.serial), np.float32)
    return SamResult(prompt.serial, crop, origin, (H, W), 0.9, low)


class Backend:
    """Collects prompts; answers at once (sync) or when told (async)."""

    def __init__(self, sync: bool = True) -> None:
        self.sync = sync
        self.prompts: list[SamPrompt] = []
        self.waiting: list[tuple[SamPrompt, object]] = []

    def __call__(self, prompt: SamPrompt, reply) -> None:
        self.prompts.append(prompt)
        if self.sync:
            reply(disc_model(prompt))
        else:
            self.waiting.append((prompt, reply))

    def answer(self, index: int) -> None:
        prompt, reply = self.waiting[index]
        reply(disc_model(prompt))


def make(sync: bool = True, label: str = "cat"):
    doc = Document("img.png", H, W, classes=ClassCatalogue.from_names(["cat", "dog"]))
    msgs: list[str] = []
    ctx = ToolContext(doc, Selection(), active_label=lambda: label, message=msgs.append)
    backend = Backend(sync)
    return doc, SamTool(ctx, predict=backend), backend, msgs


def click(tool, x, y, button="left", mods=frozenset()):
    tool.pointer(PointerEvent("press", x, y, button, frozenset(mods)))
    tool.pointer(PointerEvent("release", x, y, button, frozenset(mods)))


def test_sam_is_registered_and_needs_a_model():
    assert TOOLS["sam"] is SamTool
    doc = Document("img.png", H, W)
    msgs: list[str] = []
    tool = SamTool(ToolContext(doc, Selection(), message=msgs.append))
    assert "load a model" in tool.hint
    click(tool, 50, 50)
    assert msgs and "no model" in msgs[-1] and len(doc) == 0


def test_importing_the_tools_package_registers_sam_without_qt_or_torch():
    code = (
        "import sys; from labeldesk.core.tools import TOOLS; "
        "print(TOOLS['sam'].__module__, 'PySide6' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["labeldesk.core.tools.sam", "False", "False"]


def test_shared_types_live_in_core_and_stay_importable_from_the_tool():
    from labeldesk.core import prompts
    from labeldesk.core.tools import sam

    assert sam.SamPrompt is prompts.SamPrompt and sam.SamResult is prompts.SamResult
    assert sam.crop_mask is crop_mask and sam.shape_from_crop is shape_from_crop


def test_crop_mask_and_paste_crop_round_trip():
    m = np.zeros((H, W), bool)
    m[30:41, 100:120] = True
    m[35, 125] = True
    crop, origin = crop_mask(m[:, :])
    assert origin == (100, 30) and crop.shape == (11, 26) and crop.dtype == bool
    assert crop.flags.c_contiguous and crop.sum() == m.sum()
    np.testing.assert_array_equal(paste_crop(crop, origin, (H, W)), m)
    # a crop reaching past the image is cut at its edge
    cut = paste_crop(np.ones((10, 10), bool), (W - 4, H - 3), (H, W))
    assert cut.sum() == 12 and cut[H - 1, W - 1]
    empty, origin0 = crop_mask(np.zeros((5, 5), bool))
    assert empty.shape == (0, 0) and origin0 == (0, 0)


def test_click_refine_and_accept_is_one_undo_step():
    doc, tool, backend, _ = make()
    click(tool, 50, 60)
    p1 = backend.prompts[-1]
    np.testing.assert_array_equal(p1.points, [[50, 60]])
    assert list(p1.labels) == [1] and p1.multimask and p1.mask_input is None
    pv = tool.preview()
    assert pv.mask is not None and pv.mask.sum() == disc_model(p1).mask.sum()
    click(tool, 70, 60)  # a second positive point
    click(tool, 60, 75, "right")  # a negative point
    click(tool, 85, 60, mods={"shift"})  # Shift+click is negative too
    p = backend.prompts[-1]
    assert list(p.labels) == [1, 1, 0, 0] and not p.multimask
    # the previous low-res mask is fed back with each new click
    assert p.mask_input is not None and p.mask_input[0, 0, 0] == backend.prompts[-2].serial
    assert tool.key(KeyEvent("Enter"))
    assert len(doc) == 1
    shape = doc.shapes[0]
    assert shape.label == "cat" and tool.ctx.selection.uids() == [shape.uid]
    # two overlapping discs with bites out of the edge: one part, so a polygon
    expected = disc_model(p).full_mask()
    assert shape.shape_type == "polygon"
    from labeldesk.algorithms.rasterize import polygons_to_mask

    got = polygons_to_mask((H, W), [shape.points])
    iou = (got & expected).sum() / (got | expected).sum()
    assert iou > 0.95
    assert not tool.busy() and tool.preview() is None
    assert doc.undo() and len(doc) == 0 and not doc.history.can_undo()


def test_mask_with_a_hole_becomes_a_mask_object():
    doc, tool, backend, _ = make()
    click(tool, 80, 60)
    click(tool, 80, 60, "right")  # a hole in the middle of the disc
    tool.key(KeyEvent("Enter"))
    assert doc.shapes[0].shape_type == "mask"
    assert doc.shapes[0].mask.sum() == disc_model(backend.prompts[-1]).mask.sum()


def test_drag_draws_a_box_prompt():
    doc, tool, backend, _ = make()
    tool.pointer(PointerEvent("press", 20, 30))
    tool.pointer(PointerEvent("move", 60, 70, "left"))
    assert tool.preview().rect == (20, 30, 60, 70)
    tool.pointer(PointerEvent("release", 60, 70))
    p = backend.prompts[-1]
    assert p.box == (20, 30, 60, 70) and len(p.points) == 0 and p.mask_input is None
    tool.key(KeyEvent("Enter"))
    np.testing.assert_array_equal(doc.shapes[0].points.min(axis=0), [20, 30])


def test_backspace_restores_the_previous_mask_and_escape_clears():
    doc, tool, backend, _ = make()
    click(tool, 50, 60)
    first = tool.result
    click(tool, 100, 60)
    assert tool.result is not first
    n = len(backend.prompts)
    assert tool.key(KeyEvent("Backspace"))
    assert tool.result is first and len(backend.prompts) == n  # no new request needed
    assert tool.key(KeyEvent("Escape"))
    assert not tool.busy() and tool.preview() is None and len(doc) == 0
    assert not tool.key(KeyEvent("Escape"))  # nothing to clear: the window may use Esc


def test_stale_replies_are_ignored_and_enter_waits_for_the_mask():
    doc, tool, backend, msgs = make(sync=False)
    click(tool, 50, 60)
    click(tool, 100, 60)
    backend.answer(0)  # the answer to the first click arrives late: not shown
    assert tool.result is None
    assert tool.key(KeyEvent("Enter"))  # accepted as soon as the current mask arrives
    assert len(doc) == 0 and "when the mask is ready" in msgs[-1]
    backend.answer(1)
    assert len(doc) == 1 and not tool.busy()


def test_error_reply_is_shown():
    doc, tool, backend, msgs = make(sync=False)
    click(tool, 50, 60)
    backend.waiting[0][1]("SAM: the model failed")
    assert msgs[-1] == "SAM: the model failed" and tool.result is None


def test_hover_preview_does_not_become_a_prompt():
    doc, tool, backend, _ = make()
    tool.hover_preview = True
    tool.pointer(PointerEvent("move", 40, 40, ""))
    assert backend.prompts[-1].hover and tool.preview().mask is not None
    assert not tool.busy()
    click(tool, 90, 50)
    assert not backend.prompts[-1].hover
    np.testing.assert_array_equal(backend.prompts[-1].points, [[90, 50]])


# -- proposals -------------------------------------------------------------------------------
class Prop:
    def __init__(self, x0, y0, w, h, label=None, score=0.5):
        self.mask = np.ones((h, w), bool)
        self.origin = (x0, y0)
        self.label = label
        self.score = score


def review(items, label="cat"):
    doc = Document("img.png", H, W, classes=ClassCatalogue.from_names(["cat", "dog"]))
    finished = []
    ctx = ToolContext(doc, Selection(), active_label=lambda: label)
    return doc, ProposalTool(ctx, items, on_finish=lambda: finished.append(True)), finished


def test_click_then_class_hotkey_accepts_one_with_that_class():
    items = [Prop(0, 0, 100, 100), Prop(10, 10, 20, 20)]
    doc, tool, _ = review(items)
    tool.pointer(PointerEvent("press", 15, 15))  # inside both: the smaller one is picked
    assert tool.selected == [1]
    assert tool.wants_key(KeyEvent("2"))
    assert tool.key(KeyEvent("2"))
    assert [s.label for s in doc.shapes] == ["dog"]
    np.testing.assert_array_equal(doc.shapes[0].points.min(axis=0), [10, 10])
    np.testing.assert_array_equal(doc.shapes[0].points.max(axis=0), [29, 29])
    assert tool.open == [0] and not doc.history.can_redo()
    assert doc.undo() and len(doc) == 0


def test_enter_accepts_the_classed_in_one_step_and_escape_rejects():
    items = [Prop(0, 0, 30, 30, "dog"), Prop(50, 50, 20, 20), Prop(100, 10, 10, 10)]
    doc, tool, finished = review(items)
    tool.pointer(PointerEvent("press", 105, 15))
    assert tool.key(KeyEvent("Delete"))  # rejected
    assert tool.open == [0, 1]
    assert tool.key(KeyEvent("Enter"))  # only the one with a class of its own
    assert [s.label for s in doc.shapes] == ["dog"] and tool.open == [1] and finished == []
    assert tool.accept_all_as("cat") and [s.label for s in doc.shapes] == ["dog", "cat"]
    assert finished == [True]
    assert doc.undo() and len(doc) == 1
    doc2, tool2, finished2 = review(items)
    assert tool2.key(KeyEvent("Escape")) and len(doc2) == 0 and finished2 == [True]


def test_render_proposals_crops_and_colours():
    items = [Prop(10, 20, 30, 10), Prop(60, 5, 5, 5)]
    rgba, x0, y0 = render_proposals(items, [0, 1], (H, W), [(255, 0, 0), (0, 0, 255)])
    assert (x0, y0) == (10, 5) and rgba.shape == (25, 55, 4)
    assert tuple(rgba[20 - 5 + 5, 10 - 10 + 5]) == (255, 0, 0, 110)  # inside the first
    assert rgba[20 - 5, 10 - 10, 3] == 230  # its edge is more opaque
    assert rgba[0, 0, 3] == 0


def test_shape_from_crop_places_the_object_in_image_coordinates():
    crop = np.zeros((20, 30), bool)
    crop[5:15, 5:25] = True
    s = shape_from_crop(crop, (100, 50), "cat")
    np.testing.assert_array_equal(s.points.min(axis=0), [105, 55])
    np.testing.assert_array_equal(s.points.max(axis=0), [124, 64])
