"""Model assist in the main window: auto-segment with no model on the sample, reviewing the
proposals (click + class key, Enter, Esc), the SAM tool with the tiny SAM, errors as messages,
and the inference thread ending with the window."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from labeldesk.core.machine import count_machine, machine_source
from labeldesk.core.tools.review import ProposalTool
from labeldesk.core.tools.sam import SamTool
from labeldesk.ui.actions import conflicts
from labeldesk.ui.assist import install
from labeldesk.ui.panels.files import SHOW
from labeldesk.ui.plugins import install_plugins
from tests.gui.conftest import wait_loaded

DATA = Path(__file__).resolve().parents[1] / "data" / "sam_tiny"


def widget_point(window, x: float, y: float) -> QPoint:
    wx, wy = window.canvas.image_to_widget(x, y)
    return QPoint(round(wx), round(wy))


def key(window, k) -> None:
    QTest.keyClick(window.focusWidget() or window.canvas, k)


@pytest.fixture
def assisted(make_window, sample_dir, qtbot, tmp_path):
    window = make_window(sample_dir)
    ctl = install(window, models_dir=tmp_path / "models")
    yield window, ctl
    doc = window.session.doc
    if doc is not None:
        doc.mark_clean()
    ctl.stop()  # the test stops the thread it started (not left to the window's close)


def run_auto(qtbot, window, ctl) -> ProposalTool:
    window.actions["assist.auto_segment"].trigger()
    qtbot.waitUntil(lambda: ctl.review is not None, timeout=20000)
    return ctl.review


def test_actions_are_in_the_menus(assisted) -> None:
    window, _ = assisted
    tools = [a.objectName() for a in window.actions.menus["Tools"].actions()]
    for action_id in (
        "tool.sam",
        "assist.auto_segment",
        "assist.model_manager",
        "assist.accept_all",
    ):
        assert action_id in tools
    assert window.actions["assist.auto_segment"].shortcut().toString() == "G"
    assert window.actions["assist.model_manager"].shortcut().toString() == "Ctrl+M"


def test_auto_segment_without_a_model_then_click_and_class_key(assisted, qtbot) -> None:
    window, ctl = assisted
    doc = window.session.doc
    n0 = len(doc)
    before = window.canvas.tool()
    tool = run_auto(qtbot, window, ctl)
    assert ctl.proposal_source == "classical" and len(tool.open) >= 5
    assert window.canvas.tool() is tool and "proposals" in window.canvas.overlay_keys()
    assert ctl.dock.isVisible() and ctl.panel.list.count() == len(tool.open)
    assert ctl.panel.list.item(0).text().startswith("proposed")
    # G then Enter: classless proposals are never given the active class in bulk
    window.canvas.setFocus()
    key(window, Qt.Key.Key_Return)
    assert len(doc) == n0 and ctl.review is tool and len(tool.open) >= 5
    assert "no class" in window.statusBar().currentMessage()
    # pick the car body (the largest region under the car's middle) and press 3 ("car")
    target = tool.hit(495, 400)
    assert target is not None
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=widget_point(window, 495, 400)
    )
    assert tool.selected == [target]
    car = window.session.classes.by_hotkey("3").name
    key(window, Qt.Key.Key_3)
    assert len(doc) == n0 + 1 and doc.shapes[-1].label == car
    accepted = doc.shapes[-1]
    assert machine_source(accepted) == "classical"  # marked until a person saves
    assert target not in tool.open and ctl.panel.list.count() == len(tool.open)
    # the accept selected nothing: the next class key picks the class, relabels nothing
    assert len(window.session.selection) == 0
    first = window.session.classes.by_hotkey("1").name
    key(window, Qt.Key.Key_1)
    assert accepted.label == car and window.session.active == first
    # Esc rejects the rest; the previous tool comes back
    key(window, Qt.Key.Key_Escape)
    assert len(doc) == n0 + 1 and ctl.review is None
    assert "proposals" not in window.canvas.overlay_keys()
    assert window.canvas.tool() is before and not ctl.dock.isVisible()
    # selected by the person (the objects list), a class key does relabel it
    view = window.layers.view
    index = window.layers.model.index(window.layers.model.row_of(len(doc) - 1), 0)
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
    )
    window.canvas.setFocus()
    assert window.session.selection.uids() == [accepted.uid]
    key(window, Qt.Key.Key_3)
    key(window, Qt.Key.Key_1)
    assert doc.shapes[-1].label == first
    doc.undo()
    assert doc.shapes[-1].label == car
    doc.undo()
    assert len(doc) == n0


def test_accept_all_n_as_the_active_class(assisted, qtbot) -> None:
    window, ctl = assisted
    doc = window.session.doc
    n0 = len(doc)
    action = window.actions["assist.accept_all_as"]
    assert not action.isEnabled()
    tool = run_auto(qtbot, window, ctl)
    n = len(tool.open)
    active = window.session.active
    assert action.isEnabled() and action.text() == f"Accept All {n} as {active}"
    assert ctl.panel.accept_as.text() == f"Accept All {n} as {active}"
    assert not ctl.panel.accept_all.isEnabled()  # no proposal carries a class
    window.class_control.choose_key("2")  # another active class: the count and name follow
    active = window.session.active
    assert action.text() == f"Accept All {n} as {active}"
    # two picked in the list: "Accept 2 selected as <class>", one undo step
    assert not ctl.panel.accept_sel.isEnabled()
    ctl.panel.list.item(0).setSelected(True)
    ctl.panel.list.item(1).setSelected(True)
    assert ctl.panel.accept_sel.text() == f"Accept 2 selected as {active}"
    ctl.panel.accept_sel.click()
    assert len(doc) == n0 + 2 and {s.label for s in doc.shapes[n0:]} == {active}
    doc.undo()
    assert len(doc) == n0 and len(tool.open) == n - 2
    n = len(tool.open)
    assert action.text() == f"Accept All {n} as {active}"
    action.trigger()
    assert len(doc) == n0 + n and {s.label for s in doc.shapes[n0:]} == {active}
    assert all(machine_source(s) == "classical" for s in doc.shapes[n0:])
    assert ctl.review is None and not action.isEnabled()
    doc.undo()  # one undo step
    assert len(doc) == n0


def test_files_panel_to_review_until_a_person_saves(assisted, qtbot) -> None:
    window, ctl = assisted
    first = window.session.item.path
    tool = run_auto(qtbot, window, ctl)
    window.canvas.setFocus()
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=widget_point(window, 495, 400)
    )
    key(window, Qt.Key.Key_3)
    assert tool.open and window.session.doc.is_dirty()
    window.go(+1)  # saved automatically: the marks stay
    wait_loaded(qtbot, window, "02-fruit.jpg")
    assert window.files.state_of(first) == "review"
    saved = json.loads(first.with_suffix(".json").read_text())
    assert [s["machine"] for s in saved["shapes"] if "machine" in s] == ["classical"]
    assert "to review" in window.files.summary.text()
    window.files.show_combo.setCurrentIndex(SHOW.index("To review"))
    assert window.files.visible_names() == [first.name]
    window.files.show_combo.setCurrentIndex(0)
    window.go(-1)
    wait_loaded(qtbot, window, first.name)
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.files.state_of(first) == "labeled"
    saved = json.loads(first.with_suffix(".json").read_text())
    assert not any("machine" in s for s in saved["shapes"])
    assert count_machine(window.session.doc.shapes) == 0


def test_escape_rejects_and_a_new_image_drops_the_proposals(assisted, qtbot) -> None:
    window, ctl = assisted
    doc = window.session.doc
    n0 = len(doc)
    run_auto(qtbot, window, ctl)
    key(window, Qt.Key.Key_Escape)
    assert ctl.review is None and len(doc) == n0
    run_auto(qtbot, window, ctl)
    window.go(+1)
    wait_loaded(qtbot, window, "02-fruit.jpg")
    assert ctl.review is None and "proposals" not in window.canvas.overlay_keys()


def test_sam_tool_with_the_tiny_model(assisted, qtbot, tmp_path: Path) -> None:
    window, ctl = assisted
    window.set_tool("sam")
    tool = window.canvas.tool()
    assert isinstance(tool, SamTool) and "load a model" in tool.hint
    # a damaged checkpoint is reported, and the next load works
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"this is not a checkpoint")
    ctl.load_model(bad, device="cpu")
    qtbot.waitUntil(lambda: "bad.pth" in window.message_bar.text(), timeout=20000)
    assert window.message_bar.property("level") == "error"
    shutil.copy(DATA / "sam_tiny_state.pt", tmp_path / "tiny_state.pt")
    shutil.copy(DATA / "sam_tiny_config.json", tmp_path / "tiny_config.json")
    ctl.load_model(tmp_path / "tiny_state.pt", device="cpu")
    qtbot.waitUntil(lambda: ctl.sam_info is not None, timeout=30000)
    assert "SAM" in ctl.model_label.text() and "load a model" not in tool.hint
    doc = window.session.doc
    n0 = len(doc)
    window.canvas.setFocus()
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=widget_point(window, 300, 200)
    )
    qtbot.waitUntil(lambda: tool.result is not None, timeout=20000)
    pv = tool.preview()
    assert pv.mask is not None and pv.mask.any()
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.RightButton, pos=widget_point(window, 320, 220)
    )
    qtbot.waitUntil(lambda: len(tool._results) == 2 and tool.result is not None, timeout=20000)
    expected = tool.result.full_mask()
    key(window, Qt.Key.Key_Return)
    assert len(doc) == n0 + 1 and doc.shapes[-1].label == window.session.active
    from labeldesk.algorithms.rasterize import shape_to_mask

    s = doc.shapes[-1]
    got = shape_to_mask(expected.shape, s.points, s.shape_type, mask=s.mask)
    assert (got & expected).sum() / (got | expected).sum() > 0.97
    # auto-segment now uses SAM (this random tiny model passes none of AMG's quality filters)
    window.actions["assist.auto_segment"].trigger()
    qtbot.waitUntil(
        lambda: "Auto-segment (sam)" in window.message_bar.text() or ctl.review, timeout=20000
    )
    assert ctl.review is None or ctl.proposal_source == "sam"


def test_closing_the_window_ends_the_inference_thread(make_window, sample_dir, qtbot) -> None:
    window = make_window(sample_dir)
    ctl = install(window)
    assert ctl.host.is_running()
    window.session.doc.mark_clean()
    window.close()
    qtbot.waitUntil(lambda: not ctl.host._thread.isRunning(), timeout=5000)
    assert not ctl.host.is_running()


def test_overlay_pixels_show_the_proposals(assisted, qtbot) -> None:
    window, ctl = assisted
    tool = run_auto(qtbot, window, ctl)
    item = window.canvas._overlays["proposals"]
    rect = item.boundingRect()
    first = tool.items[tool.open[0]]
    x0, y0 = first.origin
    assert rect.left() <= x0 and rect.top() <= y0
    img = item._ref
    ys, xs = np.nonzero(first.mask)
    alpha = img[
        ys[len(ys) // 2] + y0 - int(rect.top()), xs[len(xs) // 2] + x0 - int(rect.left()), 3
    ]
    assert alpha >= 110


def test_sam_action_is_built_in_and_the_plugin_takes_it_over(make_window, sample_dir) -> None:
    window = make_window(sample_dir)
    action = window.actions["tool.sam"]  # declared by the built-in actions, before any plugin
    assert action.shortcut().toString() == "S" and not action.icon().isNull()
    assert action in window.actions.toolbars["tools"].actions()
    installed = install_plugins(window)  # every plugin, as the app does
    assert window.actions["tool.sam"] is action and "right-click" in action.toolTip()
    assert [a.objectName() for a in window.actions.menus["Tools"].actions()].count("tool.sam") == 1
    assert conflicts(window.actions.bindings) == {}
    window.actions.apply_bindings({})  # what apply_settings() does after install in the app
    window.canvas.setFocus()
    key(window, Qt.Key.Key_S)
    assert isinstance(window.canvas.tool(), SamTool)
    assert window.assist is installed["labeldesk.ui.assist"]
    for controller in installed.values():
        stop = getattr(controller, "stop", None)
        if stop is not None:
            stop()


def save_constant_model(path: Path, classes: list[str], winner: int) -> None:
    """A tiny U-Net (zeroed) that labels every pixel ``classes[winner - 1]``, saved at
    ``path`` (+ its JSON sidecar)."""
    from labeldesk.models.device import import_torch

    torch = import_torch()
    from labeldesk.models.seg import SegModel, build_network, network_config, save_model

    k = len(classes) + 1
    cfg = network_config({"arch": "unet", "width": 4, "depth": 2, "num_classes": k, "norm": "none"})
    net = build_network(cfg).eval()
    with torch.no_grad():
        for prm in net.parameters():
            prm.zero_()
        last = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)][-1]
        last.bias.copy_(torch.tensor([5.0 if i == winner else 0.0 for i in range(k)]))
    save_model(SegModel(net, classes, cfg), path)


def test_auto_segment_uses_the_model_saved_by_training(
    make_window, sample_dir, qtbot, tmp_path
) -> None:
    # where the training dialog and `labeldesk train` save by default
    save_constant_model(sample_dir / ".labeldesk" / "model.pt", ["car"], 1)
    window = make_window(sample_dir)
    ctl = install(window, models_dir=tmp_path / "models")
    assert "car" in window.session.classes.names()
    tool = run_auto(qtbot, window, ctl)
    assert ctl.trained_info is not None
    assert Path(ctl.trained_info.path) == sample_dir / ".labeldesk" / "model.json"
    assert ctl.proposal_source == "model" and "trained: model" in ctl.model_label.text()
    doc = window.session.doc
    assert [(p.label, p.origin, p.area) for p in tool.items] == [
        ("car", (0, 0), doc.image_width * doc.image_height)
    ]
    assert ctl.panel.list.item(0).text().startswith("proposed car")
    n0 = len(doc)
    key(window, Qt.Key.Key_Return)
    assert len(doc) == n0 + 1 and doc.shapes[-1].label == "car"
    doc.undo()
    doc.mark_clean()
    # the model manager lists it too, as a trained model
    from labeldesk.ui.model_manager import list_entries

    rows = list_entries(tmp_path / "models", [], ctl.project_model_dirs())
    assert [(e.file, e.variant) for e in rows] == [
        (sample_dir / ".labeldesk" / "model.pt", "trained")
    ]


def test_picking_another_tool_ends_the_review(assisted, qtbot) -> None:
    window, ctl = assisted
    doc = window.session.doc
    n0 = len(doc)
    run_auto(qtbot, window, ctl)
    assert "proposals" in window.canvas.overlay_keys() and ctl.dock.isVisible()
    window.actions["tool.rectangle"].trigger()
    assert window.canvas.tool().name == "rectangle"  # the picked tool stays
    assert ctl.review is None and "proposals" not in window.canvas.overlay_keys()
    assert not ctl.dock.isVisible() and ctl.panel.list.count() == 0
    assert len(doc) == n0  # nothing accepted
    # a new review still works, and ends the usual way (Esc: the picked tool comes back)
    run_auto(qtbot, window, ctl)
    assert window.canvas.tool() is ctl.review
    key(window, Qt.Key.Key_Escape)
    assert ctl.review is None and window.canvas.tool().name == "rectangle"


def test_a_folders_trained_model_goes_with_the_folder(make_window, sample_dir, qtbot, tmp_path):
    """A model found in ``<folder>/.labeldesk`` serves that folder only; one loaded by hand
    stays whatever folder is open."""
    other = tmp_path / "other"
    shutil.copytree(sample_dir, other)  # the same images, no model
    save_constant_model(sample_dir / ".labeldesk" / "model.pt", ["car"], 1)
    window = make_window(sample_dir)
    ctl = install(window, models_dir=tmp_path / "models")
    run_auto(qtbot, window, ctl)
    assert ctl.proposal_source == "model"
    assert Path(ctl.trained_info.path) == sample_dir / ".labeldesk" / "model.json"

    def open_folder(folder: Path) -> None:
        assert window.open_path(folder)
        item = lambda: window.session.item  # noqa: E731
        qtbot.waitUntil(lambda: item() is not None and item().path.parent == folder, timeout=5000)

    open_folder(other)  # its model is dropped at once
    assert ctl.trained_info is None and ctl.review is None
    assert "trained" not in ctl.model_label.text()
    tool = run_auto(qtbot, window, ctl)
    assert ctl.proposal_source == "classical" and ctl.trained_info is None
    assert len(tool.open) >= 5 and all(p.label != "car" for p in tool.items)
    open_folder(sample_dir)  # back: its model is found and loaded again
    run_auto(qtbot, window, ctl)
    assert ctl.proposal_source == "model" and ctl.trained_info is not None
    # loaded by hand (the Model Manager), the same file stays in another folder
    ctl.end_review()
    by_folder = ctl.trained_info
    ctl.load_model(sample_dir / ".labeldesk" / "model.json")
    qtbot.waitUntil(lambda: ctl.trained_info is not by_folder, timeout=20000)
    open_folder(other)
    assert ctl.trained_info is not None and "trained: model" in ctl.model_label.text()
    tool = run_auto(qtbot, window, ctl)
    assert ctl.proposal_source == "model" and [p.label for p in tool.items] == ["car"]
    ctl.end_review()
