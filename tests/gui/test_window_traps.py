"""Issue 11, item 5 through the window: the banner, the model file dialog, 1x1 images..."""

from __future__ import annotations

import os
from pathlib import Path

from tests.gui.conftest import wait_loaded
from tests.gui.test_window_files import make_folder


def test_banner_floats_over_the_canvas_and_leaves_with_its_image(make_window, tmp_path, qtbot):
    make_folder(tmp_path / "f", 2)
    w = make_window(tmp_path / "f")
    before = w.canvas.geometry()
    w.show_message("img0.json: something is wrong with this one", "error")
    qtbot.wait(20)
    assert w.message_bar.isVisible()
    assert w.canvas.geometry() == before  # nothing moved under the cursor
    assert w.message_bar.parent() is w.canvas and w.message_bar.y() == 0
    assert w.message_bar.width() == w.canvas.width()
    w.go(+1)
    wait_loaded(qtbot, w, "img1.png")
    assert not w.message_bar.isVisible()  # it was about img0
    # a message with a button (a choice to make) stays
    w.show_message("choose", "warning", [("OK", lambda: None)])
    w.go(-1)
    wait_loaded(qtbot, w, "img0.png")
    assert w.message_bar.isVisible() and w.message_bar.text() == "choose"


def test_load_from_file_opens_in_an_existing_folder(qtbot, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    from labeldesk.ui.model_manager import ModelManagerDialog

    seen: list[str] = []

    def fake(parent, title, folder, filters):
        seen.append(folder)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake))
    dlg = ModelManagerDialog(tmp_path / "not-made-yet" / "models", catalogue=[])
    qtbot.addWidget(dlg)
    dlg.load_from_file()
    assert seen == [str(tmp_path) + os.sep]  # a folder, so no "models" in the name field


def test_polygon_on_a_1x1_image_says_why_it_cannot_be_drawn(make_window, tmp_path, qtbot):
    import numpy as np
    from PIL import Image
    from PySide6.QtCore import Qt

    from tests.gui.test_window_keyboard import click_image, key

    folder = tmp_path / "one"
    folder.mkdir()
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(folder / "dot.png")
    w = make_window(folder)
    key(w, Qt.Key.Key_P)
    for x, y in [(0.2, 0.2), (0.8, 0.3), (0.5, 0.9)]:
        click_image(qtbot, w, x, y)
    key(w, Qt.Key.Key_Return)
    assert len(w.session.doc) == 0
    assert "1x1 pixels" in w.statusBar().currentMessage()


def test_tool_result_and_strokes_stay_visible_over_their_own_colour(qtbot) -> None:
    import numpy as np
    from PySide6.QtGui import QColor, QImage, QPainter

    from labeldesk.core.tools.base import Preview
    from labeldesk.ui.canvas.preview import PreviewItem

    mask = np.zeros((40, 40), bool)
    mask[5:35, 5:35] = True
    red = (230, 40, 40)
    item = PreviewItem()
    item.set_preview(Preview(color=red, mask=mask, mask_origin=(0, 0)), None)
    image = QImage(40, 40, QImage.Format.Format_ARGB32)
    image.fill(QColor(*red))  # an object of the same class colour underneath
    painter = QPainter(image)
    item.paint(painter, None)
    painter.end()
    edge, inside = QColor(image.pixel(5, 20)), QColor(image.pixel(20, 20))
    assert (edge.red(), edge.green(), edge.blue()) == (255, 255, 255)  # contrasting edge
    assert abs(inside.red() - red[0]) < 30  # the fill keeps the class colour
