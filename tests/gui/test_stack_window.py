"""Frame stacks in the real window: slider and keys, saving per frame, propagate, interpolate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from labeldesk.core.convert import mask_to_shape
from labeldesk.core.machine import is_machine
from labeldesk.core.shapes import Shape
from tests.stacks.makers import frame_pattern, volume, write_nifti, write_video
from tests.stacks.scenes import moving_ellipse


def key(window, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press as the user makes it: to the widget that has the focus (the canvas)."""
    QTest.keyClick(window.focusWidget() or window.canvas, k, modifier)


def _stack_window(make_window, path: Path, qtbot=None):
    from labeldesk.ui.stack import install

    window = make_window()
    ctl = install(window)
    assert window.open_path(path)
    window.activateWindow()
    window.canvas.setFocus()  # as a click on the image would
    if qtbot is not None:
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    return window, ctl


def _ellipse_video(path: Path, n: int = 8) -> list[np.ndarray]:
    import av

    frames, masks = moving_ellipse(n, h=96, w=128)
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=10)
        st.width, st.height, st.pix_fmt = 128, 96, "yuv420p"
        st.options = {"crf": "12", "preset": "ultrafast"}
        for f in frames:
            for p in st.encode(__import__("av").VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    return masks


def test_slider_keys_and_per_frame_saving(make_window, qtbot, tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", n=24)
    window, ctl = _stack_window(make_window, path, qtbot)
    assert ctl.dock.isVisible() and ctl.panel.slider.maximum() == 23
    assert not ctl.views_dock.isVisible()  # cross-sections are for volumes
    item = window.session.item
    assert item.path == tmp_path / "clip.mp4.labels" / "000000.png"
    assert np.abs(item.raw.astype(int) - frame_pattern(0)).mean() < 4
    key(window, ".")  # next frame
    assert ctl.index == 1
    key(window, ">")  # ten frames on
    assert ctl.index == 11
    key(window, "<")
    assert ctl.index == 1
    key(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert ctl.index == 2
    for _ in range(8):
        key(window, ".")
    key(window, ",")
    assert ctl.index == 9 and ctl.panel.slider.value() == 9
    ctl.panel.slider.setValue(5)  # the slider drives the frame shown
    assert ctl.index == 5 and ctl.panel.spin.value() == 5
    assert np.abs(window.session.item.raw.astype(int) - frame_pattern(5)).mean() < 4
    doc = window.session.doc
    doc.add_shape(Shape("cell", [[5, 5], [20, 5], [20, 20]], group_id=3))
    ctl.panel.spin.setValue(6)  # moving on saves frame 5 to the sidecar folder
    saved = json.loads((tmp_path / "clip.mp4.labels" / "000005.json").read_text())
    assert saved["imagePath"] == "000005.png" and saved["shapes"][0]["group_id"] == 3
    assert len(window.session.doc) == 0
    ctl.panel.slider.setValue(5)
    assert window.session.doc.shapes[0].label == "cell"  # the frame's document comes back
    # zoom and position stay while stepping
    window.canvas.set_zoom(3.0)
    before = window.canvas.widget_to_image(10, 10)
    key(window, ".")
    assert window.canvas.zoom() == pytest.approx(3.0)
    assert window.canvas.widget_to_image(10, 10) == pytest.approx(before, abs=0.5)
    # play runs to the last frame and stops there
    ctl.panel.play.click()
    qtbot.waitUntil(lambda: ctl.index == 23, timeout=10000)
    qtbot.waitUntil(lambda: not ctl.panel.play.isChecked(), timeout=2000)


def test_propagate_in_worker_and_cancel(make_window, qtbot, tmp_path: Path) -> None:
    path = tmp_path / "blob.mp4"
    masks = _ellipse_video(path)
    window, ctl = _stack_window(make_window, path, qtbot)
    blob = mask_to_shape(masks[0], "blob")
    window.session.doc.add_shape(blob)
    ctl.panel.forward.click()
    assert ctl.panel.stop.isEnabled()  # busy: Cancel is offered
    qtbot.waitUntil(lambda: not ctl.panel.stop.isEnabled(), timeout=30000)
    side = tmp_path / "blob.mp4.labels"
    qtbot.waitUntil(lambda: not ctl.saving(), timeout=10000)  # saved a few per event-loop turn
    for j in range(1, 8):
        (s,) = ctl.annotations.document(j).shapes
        assert is_machine(s) and s.group_id == 1
        assert (side / f"{j:06d}.json").is_file()
    from labeldesk.core.stack_jobs import shape_mask

    got = shape_mask(ctl.annotations.document(7).shapes[0], (96, 128))
    assert (got & masks[7]).sum() / (got | masks[7]).sum() > 0.8
    # a new run is cancelled at once: nothing is left running, the window stays usable
    ctl.panel.slider.setValue(7)
    ctl.panel.back.click()
    ctl.panel.stop.click()
    assert not ctl.panel.stop.isEnabled()
    qtbot.waitUntil(lambda: not ctl.host.is_busy(), timeout=30000)
    assert "Cancelled" in window.statusBar().currentMessage()


def test_interpolate_action_fills_between_key_frames(make_window, qtbot, tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", n=12)
    window, ctl = _stack_window(make_window, path, qtbot)
    sq = lambda x, y, s: [[x, y], [x + s, y], [x + s, y + s], [x, y + s]]  # noqa: E731
    window.session.doc.add_shape(Shape("cell", sq(2, 2, 10), group_id=1))
    ctl.panel.slider.setValue(10)
    window.session.doc.add_shape(Shape("cell", sq(30, 20, 20), group_id=1))
    ctl.panel.slider.setValue(5)
    assert len(window.session.doc) == 0
    window.actions["stack.interpolate"].trigger()
    assert ctl.panel.stop.isEnabled()  # computed in the worker: the window stays responsive
    qtbot.waitUntil(lambda: not ctl.panel.stop.isEnabled(), timeout=30000)
    assert "Interpolated" in window.statusBar().currentMessage()
    (mid,) = window.session.doc.shapes  # the shown frame is filled too, on the canvas
    assert mid.extra["machine"] == "interpolate"
    assert np.allclose(mid.points.mean(axis=0), [23.5, 18.5], atol=0.6)
    qtbot.waitUntil(lambda: not ctl.saving(), timeout=10000)  # saved a few per event-loop turn
    assert (tmp_path / "v.mp4.labels" / "000003.json").is_file()
    window.undo()  # right after it, one undo takes the whole interpolation back
    assert all(len(ctl.annotations.document(j)) == 0 for j in range(1, 10))
    window.redo()  # and one redo puts it back on every frame
    assert all(len(ctl.annotations.document(j)) == 1 for j in range(1, 10))
    # once a frame is edited, Ctrl+Z is that frame's; the action takes the rest back
    window.session.doc.remove_shapes([0])
    window.undo()
    assert len(window.session.doc) == 1 and len(ctl.annotations.document(3)) == 1
    window.actions["stack.undo_job"].trigger()
    assert all(len(ctl.annotations.document(j)) == 0 for j in range(1, 10))
    qtbot.waitUntil(lambda: not ctl.saving(), timeout=10000)  # saved a few per event-loop turn
    saved = json.loads((tmp_path / "v.mp4.labels" / "000003.json").read_text())
    assert saved["shapes"] == []
    assert len(ctl.annotations.document(0)) == 1 and len(ctl.annotations.document(10)) == 1


def test_volume_window_presets(make_window, qtbot, tmp_path: Path) -> None:
    data = (volume((20, 16, 12)).astype(np.float32) * 4 - 1000).astype(np.int16)
    path = write_nifti(tmp_path / "ct.nii.gz", data)
    window, ctl = _stack_window(make_window, path, qtbot)
    assert ctl.panel.window_box.isVisibleTo(ctl.panel)
    assert window.session.item.raw.dtype == np.int16
    ctl.panel.window_box.setCurrentText("CT lung (-600 / 1500)")
    shown = window.session.item.display
    raw = window.session.item.raw.astype(float)
    want = np.clip((raw + 1350) * 255 / 1500, 0, 255).astype(np.uint8)
    assert np.abs(shown.astype(int) - want).max() <= 1
    key(window, ".")
    assert ctl.index == 1  # the preset stays while stepping
    raw1 = window.session.item.raw.astype(float)
    want1 = np.clip((raw1 + 1350) * 255 / 1500, 0, 255).astype(np.uint8)
    assert np.abs(window.session.item.display.astype(int) - want1).max() <= 1


def test_cross_sections_of_a_volume(make_window, qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QPoint

    path = write_nifti(tmp_path / "ct.nii.gz", volume((20, 16, 12)))  # spacing 0.8, 0.7, 2.5
    window, ctl = _stack_window(make_window, path, qtbot)
    assert ctl.views_dock.isVisible()
    ctl.update_views()
    views = ctl.views
    # coronal: 12 slices of 20 columns, 2.5 mm against 0.8 mm -> 260 px wide, 488 px high
    assert views.row_view.width() == 260 and views.row_view.height() == pytest.approx(487.5, abs=1)
    # sagittal would be 260 * 12 * 2.5 / (16 * 0.7) = 696 px high: narrowed to 520 px high
    assert views.column_view.height() == 520
    assert views.column_view.width() == pytest.approx(520 * 16 * 0.7 / (12 * 2.5), abs=1)
    assert "y = 8" in views.row_title.text()  # through the centre before the cursor moves
    # superior (last slice) on top: a click at the top goes to the last slice, at the bottom
    # to the first
    qtbot.mouseClick(views.row_view, Qt.MouseButton.LeftButton, pos=QPoint(100, 3))
    assert ctl.index == 11
    qtbot.mouseClick(
        views.column_view,
        Qt.MouseButton.LeftButton,
        pos=QPoint(100, views.column_view.height() - 3),
    )
    assert ctl.index == 0
    ctl._on_cursor(5.5, 3.2)  # the cursor over the slice picks the planes
    qtbot.waitUntil(lambda: "y = 3" in views.row_title.text(), timeout=2000)
    assert "x = 5" in views.column_title.text()


def test_frame_path_in_sidecar_opens_its_stack(make_window, qtbot, tmp_path: Path) -> None:
    """What the crash journal records for a frame (its sidecar image path) opens that frame."""
    path = write_video(tmp_path / "clip.mp4", n=10)
    window, ctl = _stack_window(make_window, path, qtbot)
    ctl.panel.slider.setValue(2)
    window.session.doc.add_shape(Shape("cell", [[5, 5], [20, 5], [20, 20]]))
    frame7 = tmp_path / "clip.mp4.labels" / "000007.png"
    assert window.open_path(frame7) and ctl.index == 7
    assert window.session.item.path == frame7
    assert (tmp_path / "clip.mp4.labels" / "000002.json").is_file()  # saved on the way
    assert window.open_path(tmp_path / "clip.mp4.labels" / "000002.json") and ctl.index == 2
    assert len(window.session.doc) == 1


@pytest.mark.parametrize("name", ["photo.png"])
def test_plain_images_still_open_as_images(make_window, qtbot, tmp_path: Path, name) -> None:
    from PIL import Image

    Image.fromarray(frame_pattern(1)).save(tmp_path / name)
    window, ctl = _stack_window(make_window, tmp_path / name, qtbot)
    from tests.gui.conftest import wait_loaded

    wait_loaded(qtbot, window, name)
    assert not ctl.active and not ctl.dock.isVisible()


def test_propagate_uses_loaded_sam2_model(make_window, qtbot, tmp_path: Path) -> None:
    """With a SAM 2.1 model in the Model Manager, propagation runs its video predictor in the
    inference worker (a tiny random model: this checks the wiring, not quality)."""
    import torch

    from labeldesk.models.sam2 import build_sam2
    from labeldesk.models.sam2.checkpoint import resolve_config
    from labeldesk.ui.assist import install as install_assist

    path = write_video(tmp_path / "clip.mp4", n=6)
    window, ctl = _stack_window(make_window, path, qtbot)
    install_assist(window, models_dir=tmp_path / "models")
    torch.manual_seed(0)
    config = Path(__file__).resolve().parents[1] / "data" / "sam2" / "sam2_tiny_config.json"
    window.assist.host.worker.session.use_model(build_sam2(resolve_config(config)), "tiny")
    assert ctl._sam2_host() is window.assist.host
    window.session.doc.add_shape(Shape("cell", [[8, 8], [30, 8], [30, 30], [8, 30]]))
    window.actions["stack.propagate"].trigger()
    qtbot.waitUntil(lambda: not ctl.panel.stop.isEnabled(), timeout=60000)
    assert window.statusBar().currentMessage().startswith("Propagated with SAM 2.1")
    for j in range(1, 6):
        assert all(s.extra["machine"] == "propagate" for s in ctl.annotations.document(j).shapes)


def test_ctrl_z_takes_a_whole_interpolation_back_from_any_frame(
    make_window, qtbot, tmp_path: Path
) -> None:
    """Issue 15: like 3D Slicer's fill between slices, Ctrl+Z right after an interpolation
    takes all of it back in one step, even from a frame it did not touch; the status bar says
    so; Ctrl+Shift+Z puts it back; earlier edits stay."""
    path = write_video(tmp_path / "v.mp4", n=12)
    window, ctl = _stack_window(make_window, path, qtbot)
    sq = lambda x, y, s: [[x, y], [x + s, y], [x + s, y + s], [x, y + s]]  # noqa: E731
    window.session.doc.add_shape(Shape("cell", sq(2, 2, 10), group_id=1))
    ctl.panel.slider.setValue(8)
    window.session.doc.add_shape(Shape("cell", sq(30, 20, 20), group_id=1))
    window.actions["stack.interpolate"].trigger()
    qtbot.waitUntil(lambda: not ctl.panel.stop.isEnabled(), timeout=30000)
    assert "Ctrl+Z takes it back on every frame" in window.statusBar().currentMessage()
    filled = [j for j in range(12) if len(ctl.annotations.document(j))]
    assert filled == list(range(9))
    ctl.panel.slider.setValue(0)  # a key frame the interpolation did not change
    window.canvas.setFocus()
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [len(ctl.annotations.document(j)) for j in range(9)] == [1] + [0] * 7 + [1]
    assert "Undid interpolate on 7 frames" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not ctl.saving(), timeout=10000)  # saved a few per event-loop turn
    assert json.loads((tmp_path / "v.mp4.labels" / "000004.json").read_text())["shapes"] == []
    key(
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert [len(ctl.annotations.document(j)) for j in range(9)] == [1] * 9
    assert all(is_machine(ctl.annotations.document(j).shapes[0]) for j in range(1, 8))
    qtbot.waitUntil(lambda: not ctl.saving(), timeout=10000)  # saved a few per event-loop turn
    saved = json.loads((tmp_path / "v.mp4.labels" / "000004.json").read_text())
    assert len(saved["shapes"]) == 1
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the fill again
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # then frame 0's own edit
    assert len(ctl.annotations.document(0)) == 0 and len(ctl.annotations.document(8)) == 1
    assert all(len(ctl.annotations.document(j)) == 0 for j in range(1, 8))


def test_undo_refused_while_propagation_runs(make_window, qtbot, tmp_path: Path) -> None:
    path = tmp_path / "blob.mp4"
    masks = _ellipse_video(path)
    window, ctl = _stack_window(make_window, path, qtbot)
    window.session.doc.add_shape(mask_to_shape(masks[0], "blob"))
    ctl.panel.forward.click()
    assert ctl.panel.stop.isEnabled()
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Z while it runs
    assert "not possible while the propagation runs" in window.statusBar().currentMessage()
    window.redo()
    assert "Redo is not possible" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not ctl.panel.stop.isEnabled(), timeout=30000)
    # the source keeps its track id and every copy carries the same one
    (src,) = ctl.annotations.document(0).shapes
    assert (src.label, src.group_id) == ("blob", 1)
    assert ctl.annotations.document(0).history.undo_text() == "Give objects track ids"
    for j in range(1, 8):
        (s,) = ctl.annotations.document(j).shapes
        assert (s.label, s.group_id) == ("blob", 1)
    window.undo()  # afterwards Ctrl+Z works again: the whole propagation goes
    assert "Undid propagate on 7 frames" in window.statusBar().currentMessage()
    assert all(len(ctl.annotations.document(j)) == 0 for j in range(1, 8))


def test_undo_refused_while_interpolation_runs(make_window, qtbot, tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", n=40)
    window, ctl = _stack_window(make_window, path, qtbot)
    window.session.doc.add_shape(Shape("cell", [[2, 2], [12, 2], [7, 12]]))
    ctl.panel.slider.setValue(39)
    window.session.doc.add_shape(Shape("cell", [[30, 20], [50, 20], [40, 40]], "polygon"))
    window.actions["stack.interpolate"].trigger()
    assert ctl.panel.stop.isEnabled()
    window.undo()
    assert "not possible while the interpolation runs" in window.statusBar().currentMessage()
    assert len(window.session.doc) == 1  # the key frame's object stays
    qtbot.waitUntil(lambda: not ctl.panel.stop.isEnabled(), timeout=30000)
    assert all(len(ctl.annotations.document(j)) == 1 for j in range(1, 39))
    (a,) = ctl.annotations.document(0).shapes
    (b,) = ctl.annotations.document(39).shapes
    assert a.group_id == b.group_id == ctl.annotations.document(20).shapes[0].group_id
