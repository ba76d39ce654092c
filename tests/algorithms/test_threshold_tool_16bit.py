"""Issue 11, item 5 (Qt-free): the threshold tool works on a 16-bit image's own values."""

from __future__ import annotations

import numpy as np

from labeldesk.algorithms.imaging import to_uint8
from labeldesk.core.document import Document
from labeldesk.core.selection import Selection
from labeldesk.core.tools import ToolContext
from labeldesk.core.tools.classical import ThresholdTool

H, W = 40, 50


def _tool(raw: np.ndarray) -> ThresholdTool:
    display = to_uint8(raw) if raw.dtype != np.uint8 else raw
    ctx = ToolContext(
        Document("deep.png", H, W), Selection(), image=lambda: display, measured=lambda: raw
    )
    return ThresholdTool(ctx)


def test_manual_range_histogram_and_bounds_on_16bit_values() -> None:
    raw = np.full((H, W), 1000, np.uint16)
    raw[5:15, 5:15] = 4000
    raw[20:30, 20:30] = 4003  # the same 8-bit grey as 4000 once 1000..50000 is stretched
    raw[0, 0] = 50000
    tool = _tool(raw)
    assert tool.image() is raw
    assert tool.option_bounds("range") == (1000, 50000)
    assert tool.option_bounds("offset") is None
    tool.set_options({"method": "manual", "range": (4002, 4010)})
    want = np.zeros((H, W), bool)
    want[20:30, 20:30] = True
    assert np.array_equal(tool.result(), want)
    request = tool.histogram_request(tool.ctx.image())
    assert request is not None
    counts, otsu, note = request[1]()
    assert counts.shape == (256,) and counts.sum() == raw.size
    per_bin = (50000 - 1000 + 1) / 256
    assert counts[int((4000 - 1000) / per_bin)] == 200 and counts[-1] == 1
    assert otsu is not None and note.startswith("Otsu")


def test_8bit_images_keep_the_declared_range() -> None:
    raw = np.zeros((H, W), np.uint8)
    raw[10:20, 10:20] = 200
    tool = _tool(raw)
    assert tool.option_bounds("range") is None
    tool.set_options({"method": "manual", "range": (100, 255)})
    assert tool.result().sum() == 100


def test_ct_hounsfield_values_and_float_images() -> None:
    from labeldesk.core.tools.threshold import measured_values

    ct = np.full((H, W), -1000, np.int16)  # air
    ct[5:35, 5:45] = 40  # soft tissue
    ct[15:25, 15:25] = 700  # bone
    tool = _tool(ct)
    assert tool.image().dtype == np.float32 and tool.option_bounds("range") == (-1000, 700)
    tool.set_options({"method": "manual", "range": (300, 700)})  # bone, in HU
    assert tool.result().sum() == 100
    tool.set_options({"range": (-1000, -500)})
    assert tool.result().sum() == H * W - 30 * 40
    rgba = np.zeros((H, W, 4), np.uint16)
    assert measured_values(rgba).shape == (H, W, 3)
    wide = np.linspace(0, 4000, H * W, dtype=np.float32).reshape(H, W)
    assert measured_values(wide) is wide
    assert measured_values(wide / 4000) is None  # 0..1: the display's 256 levels are finer
    assert measured_values(np.full((H, W), np.nan, np.float32)) is None
    assert _tool(wide / 4000).option_bounds("range") is None
