"""Issue 11 in the window: an unreadable image and a schema-invalid JSON (items 1 and 2)."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import Qt

from labeldesk.ui.placeholder import HEIGHT, WIDTH
from tests.gui.conftest import wait_loaded
from tests.gui.test_window_files import make_folder
from tests.gui.test_window_keyboard import click_image, key


def _draw_triangle(qtbot, w) -> None:
    key(w, Qt.Key.Key_P)
    for x, y in [(10, 10), (40, 10), (40, 40)]:
        click_image(qtbot, w, x, y)
    key(w, Qt.Key.Key_Return)


def test_unreadable_image_shows_placeholder_and_takes_no_edits(make_window, tmp_path, qtbot):
    folder = tmp_path / "imgs"
    jsons = make_folder(folder, 1)
    bad = folder / "zz_broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    good_text = jsons[0].read_text()
    w = make_window(folder)
    w.go(+1)
    qtbot.waitUntil(lambda: w.session.item.path == bad, timeout=5000)
    s = w.session
    # canvas, title, document and files panel all agree: the bad file, shown as a placeholder
    assert s.doc is None and "zz_broken.png" in s.read_only
    assert s.item.display.shape == (HEIGHT, WIDTH)
    assert w.canvas.image().shape[:2] == (HEIGHT, WIDTH)
    assert w.windowTitle().startswith("zz_broken.png")
    assert "zz_broken.png" in w.message_bar.text()
    assert w.files.state_of(bad) == "bad"
    tip = w.files._items[bad].toolTip()
    assert "the image cannot be read" in tip and "annotation" not in tip
    assert not w.actions["file.save"].isEnabled()
    # a polygon drawn now goes nowhere: not into the bad file, not into the previous image
    _draw_triangle(qtbot, w)
    assert s.doc is None
    assert not (folder / "zz_broken.json").exists()
    assert jsons[0].read_text() == good_text
    # the bad state survives a rescan of the folder
    s.rescan()
    qtbot.waitUntil(lambda: s.states.get(folder / "img0.png") is not None, timeout=5000)
    qtbot.wait(50)
    assert w.files.state_of(bad) == "bad"
    # back to the good image: everything follows again
    w.go(-1)
    wait_loaded(qtbot, w, "img0.png")
    assert w.windowTitle().startswith("img0.png") and len(s.doc) == 2
    assert w.actions["file.save"].isEnabled()


def test_schema_invalid_json_is_bad_and_imports_nothing(make_window, tmp_path, qtbot):
    folder = tmp_path / "b"
    make_folder(folder, 2)
    bad = folder / "img1.json"
    data = json.loads(bad.read_text())
    data["shapes"][0]["label"] = "zebra"
    data["shapes"][1]["points"] = [["x", 1], [2, 2]]  # valid JSON, invalid labelme
    bad.write_text(json.dumps(data))
    text = bad.read_text()
    w = make_window(folder)
    img1 = folder / "img1.png"
    qtbot.waitUntil(lambda: w.files.state_of(img1) == "bad", timeout=5000)
    assert w.files.state_of(folder / "img0.png") == "labeled"
    assert "zebra" not in w.session.classes  # nothing imported from the bad file
    assert "1 of 2 images labeled" in w.files.summary.text()
    assert bad.read_text() == text
    assert np.array_equal(np.asarray(w.session.item.raw).shape, (60, 80, 3))


def test_shapes_that_cannot_be_drawn_are_listed_and_kept(make_window, tmp_path, qtbot):
    from labeldesk.core import Shape

    folder = tmp_path / "odd"
    jsons = make_folder(folder, 1)
    data = json.loads(jsons[0].read_text())
    odd = [
        {"label": "cat", "points": [[1, 1], [5, 5]], "shape_type": "polygon", "flags": {}},
        {"label": "bird", "points": [[2, 2], [3, 3]], "shape_type": "blob", "extra": [1]},
    ]
    data["shapes"][1:1] = odd
    jsons[0].write_text(json.dumps(data, indent=2))
    w = make_window(folder)
    texts = w.layers.cannot_draw_texts()
    assert len(texts) == 2 and w.layers.cannot_draw.isVisible()
    assert "cannot draw polygon 'cat': a polygon needs at least 3 points" in texts[0]
    assert "cannot draw blob 'bird'" in texts[1]
    assert len(w.session.doc) == 2  # the drawable ones
    w.session.doc.add_shape(Shape("dog", [[1, 1], [9, 1], [9, 9]]))
    assert w.save()
    saved = json.loads(jsons[0].read_text())["shapes"]
    assert saved[1:3] == odd and saved[-1]["label"] == "dog" and len(saved) == 5


def test_truncated_image_opens_and_says_so(make_window, tmp_path, qtbot):
    import io

    from PIL import Image

    folder = tmp_path / "t"
    make_folder(folder, 1)
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    Image.fromarray((rng.random((60, 80, 3)) * 255).astype(np.uint8)).save(buf, format="PNG")
    cut = folder / "zz_cut.png"
    cut.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    w = make_window(folder)
    w.go(+1)
    wait_loaded(qtbot, w, "zz_cut.png")
    assert w.session.item.raw.shape == (60, 80, 3)  # it opens, and can be labeled
    assert "truncated" in w.message_bar.text() and "zz_cut.png" in w.message_bar.text()
    assert "truncated" in (w.files.damage_of(cut) or "")
    w.session.rescan()
    qtbot.wait(300)
    assert "truncated" in (w.files.damage_of(cut) or "")  # a rescan keeps it
    assert w.files.damage_of(folder / "img0.png") is None
