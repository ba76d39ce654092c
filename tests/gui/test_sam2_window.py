"""SAM 2.1 in the main window: a tiny SAM 2.1 checkpoint ({"model": state} from the reference
weights, with its config sidecar) loads through the model controller ("Load from file..."),
answers clicks with the SAM tool, and auto-segment (G) runs with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from labeldesk.core.tools.sam import SamTool
from labeldesk.ui.assist import install

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "sam2_reference"


def widget_point(window, x: float, y: float) -> QPoint:
    wx, wy = window.canvas.image_to_widget(x, y)
    return QPoint(round(wx), round(wy))


@pytest.fixture
def assisted(make_window, sample_dir, qtbot, tmp_path):
    window = make_window(sample_dir)
    ctl = install(window, models_dir=tmp_path / "models")
    yield window, ctl
    doc = window.session.doc
    if doc is not None:
        doc.mark_clean()
    ctl.stop()


def test_sam_tool_and_auto_segment_with_sam21_tiny(assisted, qtbot, tmp_path: Path) -> None:
    if not (SHARED / "sam2_tiny_state.pt").is_file():
        pytest.skip(f"SAM 2.1 reference vectors not found at {SHARED}")
    import torch

    window, ctl = assisted
    state = torch.load(SHARED / "sam2_tiny_state.pt", weights_only=True)
    torch.save({"model": state}, tmp_path / "sam21_tiny.pt")
    shutil.copy(
        REPO / "tests" / "data" / "sam2" / "sam2_tiny_config.json",
        tmp_path / "sam21_tiny_config.json",
    )
    window.set_tool("sam")
    tool = window.canvas.tool()
    assert isinstance(tool, SamTool)
    ctl.load_model(tmp_path / "sam21_tiny.pt", device="cpu")
    qtbot.waitUntil(lambda: ctl.sam_info is not None, timeout=30000)
    assert ctl.sam_info.variant == "sam21_tiny_config" and "load a model" not in tool.hint
    doc = window.session.doc
    n0 = len(doc)
    window.canvas.setFocus()
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=widget_point(window, 300, 200)
    )
    qtbot.waitUntil(lambda: tool.result is not None, timeout=30000)
    result = tool.result
    assert result.low_res.shape == (1, 128, 128)  # SAM 2.1 tiny reference: 4E = 128
    mask = result.full_mask()
    assert mask.shape == (doc.image_height, doc.image_width) and mask.any()  # random weights
    QTest.keyClick(window.focusWidget() or window.canvas, Qt.Key.Key_Return)
    assert len(doc) == n0 + 1 and doc.shapes[-1].label == window.session.active
    window.actions["assist.auto_segment"].trigger()
    qtbot.waitUntil(
        lambda: "Auto-segment (sam)" in window.message_bar.text() or ctl.review, timeout=60000
    )
    assert ctl.review is None or ctl.proposal_source == "sam"
