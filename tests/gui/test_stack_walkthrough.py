"""Frame stacks in the real window, as found by the walkthrough: messages on an ordinary image,
the window title of a frame, a stack's own class list, the docks of a volume."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from labeldesk.core.shapes import Shape
from labeldesk.ui.resources import default_classes
from tests.gui.conftest import wait_loaded
from tests.stacks.makers import volume, write_nifti, write_video


def _install(window):
    from labeldesk.ui.stack import install

    return install(window)


def test_stack_actions_on_an_ordinary_image_say_what_they_need(make_window, qtbot, sample_dir):
    window = make_window()
    ctl = _install(window)
    assert window.open_path(sample_dir)
    wait_loaded(qtbot, window)
    window.canvas.setFocus()
    for action, what in (
        ("stack.propagate", "Propagation"),
        ("stack.propagate_back", "Propagation"),
        ("stack.interpolate", "Interpolation"),
    ):
        window.statusBar().clearMessage()
        window.actions[action].trigger()
        text = window.statusBar().currentMessage()
        assert text.startswith(f"{what} works on a video, a volume or a frame folder"), text
    window.statusBar().clearMessage()
    QTest.keyClick(window.canvas, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)  # fmt: skip
    assert "needs" not in window.statusBar().currentMessage()  # no other wording
    assert "video, a volume or a frame folder" in window.statusBar().currentMessage()
    assert not ctl.host.is_busy()


def test_title_names_the_stack_and_the_frame(make_window, qtbot, tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", n=24)
    window = make_window()
    ctl = _install(window)
    assert window.open_path(path)
    assert window.windowTitle() == "clip.mp4 — frame 1/24 — labeldesk"
    assert "000000.png" not in window.windowTitle()
    ctl.panel.slider.setValue(6)
    assert window.windowTitle() == "clip.mp4 — frame 7/24 — labeldesk"
    assert window.session.item.path.name == "000006.png"  # title, document and frame agree
    assert window.session.doc is ctl.annotations.document(6)
    window.session.doc.add_shape(Shape("cell", [[2, 2], [9, 2], [5, 9]]))
    assert window.windowTitle() == "clip.mp4 — frame 7/24 • — labeldesk"
    ctl.step(+1)
    assert window.windowTitle() == "clip.mp4 — frame 8/24 — labeldesk"


def test_stack_has_its_own_class_list(make_window, qtbot, sample_dir, tmp_path: Path) -> None:
    window = make_window()
    _install(window)
    assert window.open_path(sample_dir)
    wait_loaded(qtbot, window)
    window.session.classes.ensure("zebra")
    window.session.set_active("zebra")
    folder_names = window.session.classes.names()
    # a video with one saved frame labelled "cell"
    path = write_video(tmp_path / "clip.mp4", n=6)
    side = tmp_path / "clip.mp4.labels"
    side.mkdir()
    shape = {"label": "cell", "points": [[1, 1], [8, 1], [4, 8]], "group_id": None,
             "shape_type": "polygon", "flags": {}, "description": ""}  # fmt: skip
    (side / "000003.json").write_text(
        json.dumps(
            {
                "version": "5.5.0",
                "flags": {},
                "shapes": [shape],
                "imagePath": "000003.png",
                "imageData": None,
                "imageHeight": 48,
                "imageWidth": 64,
            }
        )  # fmt: skip
    )
    assert window.open_path(path)
    names = window.session.classes.names()
    assert "zebra" not in names and window.session.active != "zebra"
    assert names == default_classes().names() + ["cell"]
    assert window.class_control is not None
    assert window.session.doc.classes is window.session.classes
    window.session.classes.ensure("fish")  # used on the video
    # back to the folder: its own list comes back; the video's is kept for it
    assert window.open_path(sample_dir)
    wait_loaded(qtbot, window)
    assert window.session.classes.names() == folder_names
    assert "fish" not in window.session.classes
    assert window.open_path(path)
    assert "fish" in window.session.classes.names()


def test_volume_docks_leave_room_for_layers_and_classes(make_window, qtbot, tmp_path: Path):
    path = write_nifti(tmp_path / "ct.nii.gz", volume((64, 48, 30)))
    window = make_window()
    ctl = _install(window)
    window.resize(1280, 800)
    assert window.open_path(path)
    qtbot.waitUntil(ctl.views_dock.isVisible, timeout=3000)
    QTest.qWait(200)
    for name in ("layers", "classes"):
        dock = window.findChild(type(ctl.views_dock), f"dock.{name}")
        assert dock is not None and dock.isVisible()
        assert dock.height() >= 150, (name, dock.height(), ctl.views_dock.height())
    # the dock scrolls with the frame so that its red line stays in view
    area, views = ctl.views_dock.widget(), ctl.views
    for frame in (29, 0, 15):
        ctl.show_frame(frame)
        ctl.update_views()
        top = area.verticalScrollBar().value()
        line = views.row_view.y() + views.line_y
        assert top <= line <= top + area.viewport().height(), (frame, top, line)


def test_job_frames_are_saved_in_turns_and_all_saved_on_close(make_window, qtbot, tmp_path):
    """After an interpolation the changed frames are written a few per event-loop turn (not
    300 fsyncs at once on the GUI thread); closing the window writes the rest."""
    path = write_video(tmp_path / "v.mp4", n=40)
    window = make_window()
    ctl = _install(window)
    assert window.open_path(path)
    window.session.doc.add_shape(Shape("cell", [[2, 2], [12, 2], [7, 12]]))
    ctl.panel.slider.setValue(39)
    window.session.doc.add_shape(Shape("cell", [[30, 20], [50, 20], [40, 40]]))
    window.actions["stack.interpolate"].trigger()
    qtbot.waitUntil(lambda: "Interpolated" in window.statusBar().currentMessage(), timeout=30000)
    assert "38 objects" in window.statusBar().currentMessage()
    side = tmp_path / "v.mp4.labels"
    assert ctl.saving() and len(list(side.glob("*.json"))) < 38  # not all at once
    window.close()  # the rest is written when the controller stops (next event-loop turn)
    QApplication.processEvents()
    assert not ctl.saving()
    for j in range(1, 39):
        saved = json.loads((side / f"{j:06d}.json").read_text())
        assert saved["shapes"][0]["machine"] == "interpolate", j
