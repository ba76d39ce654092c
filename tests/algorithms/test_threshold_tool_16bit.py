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
