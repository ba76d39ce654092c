"""The training dialog in a real window: trains a tiny net in its worker thread, plots the
loss and validation IoU, saves the model; Cancel and Stop & Save act within one step; bad
data gives a message in the dialog, never a traceback dialog."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from labeldesk.models.seg.synthetic import CLASS_NAMES, make_samples
from labeldesk.ui.training import SORT_ID, TRAIN_ID, install

TINY = {"arch": {"arch": "unet", "width": 8, "depth": 3}, "crop_size": 64, "batch_size": 4,
        "val_every": 5, "lr": 0.005, "threads": 1}  # fmt: skip


def polygons(label: np.ndarray, instances: np.ndarray) -> list[dict]:
    shapes = []
    for k in range(1, int(instances.max()) + 1):
        mask = instances == k
        if mask.any():
            cls = int(np.bincount(label[mask]).argmax())
            cs, _ = cv2.findContours(
                mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
            )
            shapes += [{"label": CLASS_NAMES[cls - 1], "points": c[:, 0, :].astype(float).tolist(),
                        "shape_type": "polygon", "group_id": None, "flags": {}} for c in cs if len(c) >= 3]  # fmt: skip
    return shapes


def write_folder(folder: Path, labeled: int, unlabeled: int = 0, shapes=None) -> Path:
    """``labeled`` synthetic 64x64 images with labelme JSON (``shapes`` overrides theirs) and
    ``unlabeled`` ones without."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, s in enumerate(make_samples(labeled + unlabeled, 64, seed=1)):
        name = f"{'img' if i < labeled else 'new'}{i:02d}"
        cv2.imwrite(str(folder / f"{name}.png"), cv2.cvtColor(s.image, cv2.COLOR_RGB2BGR))
        if i < labeled:
            doc = {"version": "5.5.0", "flags": {}, "imagePath": f"{name}.png", "imageData": None,
                   "shapes": polygons(s.label, s.instances) if shapes is None else shapes,
                   "imageHeight": 64, "imageWidth": 64}  # fmt: skip
            (folder / f"{name}.json").write_text(json.dumps(doc))
    return folder


def open_window(make_window, qtbot, folder: Path, n_images: int, config=TINY):
    window = make_window(folder)
    qtbot.waitUntil(lambda: len(window.session.states) == n_images, timeout=10000)
    ctl = install(window, config=config)
    return window, ctl


@pytest.fixture
def stop_all():
    controllers = []
    yield controllers.append
    for ctl in controllers:
        ctl.stop()
        assert ctl.host is None or not ctl.host.is_running()


def no_message_box() -> bool:
    return not any(
        isinstance(w, QMessageBox) and w.isVisible() for w in QApplication.topLevelWidgets()
    )


def test_dialog_trains_plots_and_saves_the_model(make_window, qtbot, tmp_path, stop_all) -> None:
    folder = write_folder(tmp_path / "data", labeled=10)
    window, ctl = open_window(make_window, qtbot, folder, 10)
    stop_all(ctl)
    assert ctl.host is None  # no thread until training is asked for
    window.actions[TRAIN_ID].trigger()
    d = ctl.dialog
    assert d.isVisible() and d.train_button.isEnabled() and not d.cancel_button.isEnabled()
    _folder, classes, n = ctl.training_data()
    assert sorted(classes) == ["disc", "square"] and n == 10  # in the class list's order
    assert f"10 labeled image(s); classes: {', '.join(classes)}" in d.data_label.text()
    d.steps.setValue(10)
    qtbot.mouseClick(d.train_button, Qt.MouseButton.LeftButton)
    assert ctl.is_training() and d.cancel_button.isEnabled() and not d.train_button.isEnabled()
    qtbot.waitUntil(lambda: not ctl.is_training(), timeout=60000)
    d.plot.refresh()
    steps, losses = d.plot.raw.getData()
    assert list(steps) == list(range(1, 11)) and np.all(np.isfinite(losses)) and losses.min() > 0
    vsteps, ious = d.plot.mean_curve.getData()
    assert list(vsteps) == [5, 10] and np.all((ious >= 0) & (ious <= 1))
    assert set(d.plot.class_curves) == {"disc", "square"}
    out = ctl.outcome
    assert out.weights == folder / ".labeldesk" / "model.pt" and out.weights.is_file()
    meta = json.loads(out.sidecar.read_text())
    assert meta["classes"] == classes and meta["training"]["steps_done"] == 10
    assert meta["metrics"]["mean_iou"] == pytest.approx(max(ious), abs=1e-6)
    assert str(out.weights) in d.result.text() and d.status.text() == "Done: all steps done"
    assert "step 10: validation IoU" in d.log.toPlainText()
    assert "best mean IoU" in d.early_label.text() and d.progress.value() == 1000
    assert d.train_button.isEnabled() and not d.cancel_button.isEnabled() and no_message_box()


def test_cancel_and_stop_and_save_act_within_one_step(
    make_window, qtbot, tmp_path, stop_all
) -> None:
    folder = write_folder(tmp_path / "data", labeled=6)
    window, ctl = open_window(make_window, qtbot, folder, 6, {**TINY, "val_every": 1000})
    stop_all(ctl)
    d = ctl.open_dialog()
    d.steps.setValue(1000)
    ctl.start()
    qtbot.waitUntil(lambda: ctl.host.worker.steps_done >= 3, timeout=60000)
    qtbot.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton)
    at_click = ctl.host.worker.steps_done  # read after the request is marked cancelled
    qtbot.waitUntil(lambda: not ctl.is_training(), timeout=30000)
    qtbot.waitUntil(lambda: not ctl.host.is_busy(), timeout=30000)
    last = ctl.host.worker.steps_done
    assert at_click <= last <= at_click + 1
    assert d.status.text() == f"Cancelled after step {last}; nothing was saved"
    assert not (folder / ".labeldesk" / "model.pt").exists() and ctl.outcome is None
    d.plot.refresh()
    assert len(d.plot.raw.getData()[0] if d.plot.steps else []) <= last
    # Stop & Save: stops within one step and keeps the weights
    ctl.start()  # steps_done is reset to 0 when the request is submitted
    qtbot.waitUntil(lambda: ctl.host.worker.steps_done >= 3, timeout=60000)
    qtbot.mouseClick(d.stop_button, Qt.MouseButton.LeftButton)
    at_click = ctl.host.worker.steps_done
    qtbot.waitUntil(lambda: not ctl.is_training(), timeout=30000)
    out = ctl.outcome
    assert out is not None and out.stopped == "stopped" and at_click <= out.steps <= at_click + 1
    meta = json.loads(out.sidecar.read_text())
    assert meta["training"]["steps_done"] == out.steps and meta["training"]["stopped"] == "stopped"
    # no validation ran before the stop: one ran after it, so the saved model has scores
    assert meta["metrics"]["step"] == out.steps and out.metrics == meta["metrics"]
    assert 0 <= meta["metrics"]["mean_iou"] <= 1 and set(meta["metrics"]["iou"]) >= {"disc"}
    assert f"stopped at step {out.steps}: validating on" in d.log.toPlainText()
    assert "stopped by you" in d.result.text() and f"at step {out.steps}." in d.result.text()
    d.plot.refresh()
    assert list(d.plot.mean_curve.getData()[0]) == [out.steps]


def test_bad_data_gives_messages_not_tracebacks(make_window, qtbot, tmp_path, stop_all) -> None:
    # one labeled image: refused before any work, with the reason
    folder = write_folder(tmp_path / "one", labeled=1, unlabeled=1)
    window, ctl = open_window(make_window, qtbot, folder, 2)
    stop_all(ctl)
    d = ctl.open_dialog()
    assert not d.train_button.isEnabled() and d.message.isVisible()
    assert "needs at least 2 labeled images" in d.message.text() and "has 1" in d.message.text()
    assert ctl.start() is None and ctl.host is None
    # every labeled pixel one class: the worker refuses and the dialog says why
    full = [{"label": "disc", "points": [[0, 0], [63, 63]], "shape_type": "rectangle"}]
    folder2 = write_folder(tmp_path / "full", labeled=3, shapes=full)
    window2, ctl2 = open_window(make_window, qtbot, folder2, 3)
    stop_all(ctl2)
    d2 = ctl2.open_dialog()
    assert "the model learns to tell 'disc' from the background" in d2.data_label.text()
    ctl2.start()
    qtbot.waitUntil(lambda: not ctl2.is_training(), timeout=30000)
    assert d2.message.isVisible() and d2.message.property("level") == "error"
    assert "every labeled pixel in the 3 images is 'disc'" in d2.message.text()
    assert d2.status.text() == "Training stopped: see the message above"
    assert d2.train_button.isEnabled() and no_message_box()
    # sorting by uncertainty without a trained model says what to do
    window2.actions[SORT_ID].trigger()
    assert not window2.actions[SORT_ID].isChecked()
    assert "No trained model in this folder yet" in window2.message_bar.text()


def test_dialog_trains_for_a_time_budget_with_an_estimate(
    make_window, qtbot, tmp_path, stop_all
) -> None:
    from labeldesk.models.seg.budget import default_seconds, likely_device

    folder = write_folder(tmp_path / "data", labeled=6)
    window, ctl = open_window(make_window, qtbot, folder, 6)
    stop_all(ctl)
    window.actions[TRAIN_ID].trigger()
    d = ctl.dialog
    dev = likely_device("auto")
    assert d.budget.value() == int(default_seconds(dev)) and not d.by_steps.isChecked()
    if dev == "cpu":  # this machine kind: the note says so and why the settings are small
        assert "about 63 s" in d.estimate.text() and "No GPU found" in d.estimate.text()
    d.steps.setValue(5000)  # touching the steps means training by steps
    assert d.by_steps.isChecked() and not d.budget.isEnabled()
    assert "about 63 s" not in d.estimate.text()
    d.by_steps.setChecked(False)
    d.budget.setValue(5)
    assert d.budget.isEnabled() and "about 5 s" in d.estimate.text()
    d.early.setChecked(False)  # 8 validations of a tiny net may stop early otherwise
    statuses: list[str] = []
    qtbot.mouseClick(d.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: statuses.append(d.status.text()) or not ctl.is_training(), timeout=60000
    )
    out = ctl.outcome
    assert out is not None, d.status.text()
    assert out.stopped == "time" and out.seconds >= 5
    assert any("ETA" in s and "of about" in s for s in statuses)
    assert "time budget spent" in d.result.text() and out.metrics  # validated before saving
    meta = json.loads(out.sidecar.read_text())
    assert meta["training"]["max_seconds"] == 5 and meta["training"]["stopped"] == "time"


def test_dialog_fits_the_pixel_classifier(make_window, qtbot, tmp_path, stop_all) -> None:
    folder = write_folder(tmp_path / "data", labeled=4)
    window, ctl = open_window(make_window, qtbot, folder, 4)
    stop_all(ctl)
    window.actions[TRAIN_ID].trigger()
    d = ctl.dialog
    d.arch.setCurrentIndex(d.arch.findData("forest"))
    assert "a few seconds" in d.estimate.text()
    qtbot.mouseClick(d.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not ctl.is_training(), timeout=60000)
    out = ctl.outcome
    assert out is not None and out.stopped == "forest" and out.weights.suffix == ".npz"
    meta = json.loads(out.sidecar.read_text())
    assert meta["architecture"]["arch"] == "forest" and sorted(meta["classes"]) == sorted(
        CLASS_NAMES
    )
    # shapes, not textures, tell these synthetic classes apart: only the path is checked here
    assert "pixel classifier fitted" in d.result.text() and 0 <= out.metrics["mean_iou"] <= 1
    assert no_message_box()
