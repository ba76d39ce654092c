"""Issue 11, item 5: a 16-bit image is thresholded on its own values in the real window.

The image has two objects 4 units apart at about 3000 on a 0..60000 scale: the 8-bit display
shows them as one grey, the 16-bit values tell them apart. The options dock's range spans the
image's values, its histogram is drawn over them, and the manual range keeps one object only.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from labeldesk.algorithms import otsu_threshold, threshold_mask
from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.ui.tools import install
from tests.gui.test_classical_tools import key, wait_mask

H, W = 120, 160


def scene16() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    img = (500 + rng.integers(0, 20, (H, W))).astype(np.uint16)
    a = np.zeros((H, W), bool)
    a[20:60, 20:70] = True
    b = np.zeros((H, W), bool)
    b[60:100, 90:140] = True
    img[a], img[b] = 3000, 3004
    img[0:3, 0:3] = 60000  # a hot corner: the display stretches 500..60000 to 0..255
    return img, a, b


def test_threshold_on_16bit_values_with_a_16bit_range(make_window, tmp_path, qtbot) -> None:
    img, a, b = scene16()
    path = tmp_path / "deep.png"
    Image.fromarray(img).save(path)
    window = make_window(path)
    ctl = install(window)
    try:
        item = window.session.item
        assert item.raw.dtype == np.uint16
        assert item.display[a].max() == item.display[b].min()  # one grey on screen
        window.canvas.setFocus()
        key(window, Qt.Key.Key_T)
        tool = window.canvas.tool()
        assert tool.name == "threshold"
        mask = wait_mask(qtbot, ctl, tool)
        assert (mask == threshold_mask(img)).all()  # Otsu on the 16-bit values
        editor = ctl.options.widgets["range"]
        lo, hi = int(img.min()), int(img.max())
        assert (editor.slider.bottom, editor.slider.top) == (lo, hi)
        assert (editor.low.minimum(), editor.high.maximum()) == (lo, hi)
        # the histogram: 256 bins over the image's values, the objects near 3000 counted
        qtbot.waitUntil(lambda: editor.slider._hist is not None, timeout=10000)
        hist = editor.slider._hist
        per_bin = (hi - lo + 1) / len(hist)
        assert hist.sum() == img.size and hist[int((3000 - lo) / per_bin)] >= (a | b).sum()
        assert editor.note.text().startswith("Otsu")
        otsu = otsu_threshold(img)
        assert 3004 < otsu < 60000  # the hot corner against everything else
        assert editor.value() == (int(np.floor(otsu)) + 1, hi)  # Otsu's split, 16-bit scale
        # manual range on the 16-bit scale: 3002..hi keeps object b (and the hot corner)
        ctl.options.widgets["method"].setCurrentIndex(1)
        editor.low.setValue(3002)
        qtbot.waitUntil(lambda: tool.params.get("low") == 3002)
        mask = wait_mask(qtbot, ctl, tool)
        assert (mask == (b | (img >= 3002))).all() and not (mask & a).any()
        # the readout shows the same scale as the slider
        window.status.set_cursor(item.raw, 100, 80)
        assert window.status.fields["pixel"].text() == "[3004]"
        # Enter: object b only (plus the corner, which is 9 pixels: drop it by a box first)
        doc = window.session.doc
        n0 = len(doc)
        tool.box = (80, 50, 150, 110)
        tool.run()
        mask = wait_mask(qtbot, ctl, tool)
        qtbot.waitUntil(lambda: (tool.mask == b).all(), timeout=10000)
        key(window, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(doc) == n0 + 1, timeout=10000)
        s = doc.shapes[-1]
        drawn = shape_to_mask((H, W), s.points, s.shape_type, mask=s.mask)
        assert (drawn == b).all()
        # an 8-bit image afterwards: the range is 0..255 again
        Image.fromarray((img // 256).astype(np.uint8)).save(tmp_path / "flat.png")
        doc.mark_clean()
        assert window.open_path(tmp_path / "flat.png")
        qtbot.waitUntil(lambda: window.session.item.raw.dtype == np.uint8, timeout=10000)
        qtbot.waitUntil(lambda: editor.slider.top == 255, timeout=10000)
        assert editor.slider.bottom == 0 and editor.value() == (0, 255)
    finally:
        if window.session.doc is not None:
            window.session.doc.mark_clean()
