"""Keyboard-first labeling end to end: hotkeys, tools, save, undo/redo, every binding listed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import wait_loaded

PENTAGON = [(300.0, 120.0), (420.0, 180.0), (400.0, 320.0), (250.0, 330.0), (210.0, 200.0)]


def widget_point(window, x: float, y: float) -> QPoint:
    wx, wy = window.canvas.image_to_widget(x, y)
    return QPoint(round(wx), round(wy))


def click_image(qtbot, window, x: float, y: float, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(
        window.canvas.viewport(), Qt.MouseButton.LeftButton, modifier, widget_point(window, x, y)
    )


def key(window, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press as the user makes it: to the widget that has the focus (the canvas)."""
    target = window.focusWidget() or window.canvas
    QTest.keyClick(target, k, modifier)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_keyboard_only_polygon_save_undo_redo(make_window, sample_dir, qtbot):
    w = make_window(sample_dir)
    assert w.session.item.path.name == "01-street.jpg"
    json_path = sample_dir / "01-street.json"
    before = read_json(json_path)
    w.canvas.setFocus()
    class2 = w.session.classes.by_hotkey("2").name
    key(w, Qt.Key.Key_2)
    assert w.session.active == class2
    key(w, Qt.Key.Key_P)
    assert w.canvas.tool().name == "polygon"
    for x, y in PENTAGON:
        click_image(qtbot, w, x, y)
    key(w, Qt.Key.Key_Return)
    key(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    saved_text = json_path.read_text(encoding="utf-8")
    saved = json.loads(saved_text)
    assert len(saved["shapes"]) == len(before["shapes"]) + 1
    shape = saved["shapes"][-1]
    assert shape["label"] == class2 and shape["shape_type"] == "polygon"
    tolerance = 1.0 / w.canvas.zoom() + 1e-6  # one screen pixel, in image pixels
    np.testing.assert_allclose(np.array(shape["points"]), np.array(PENTAGON), atol=tolerance)
    assert saved["shapes"][:-1] == before["shapes"]  # the other objects are untouched
    assert not w.session.doc.is_dirty()

    key(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(w.session.doc) == len(before["shapes"]) and w.session.doc.is_dirty()
    key(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not w.session.doc.is_dirty()
    key(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert json_path.read_text(encoding="utf-8") == saved_text

    key(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    key(w, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # the other redo binding
    key(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert json_path.read_text(encoding="utf-8") == saved_text


def test_labelme_bindings_switch_tools(make_window, sample_dir):
    w = make_window(sample_dir)
    w.canvas.setFocus()
    for k, mod, tool in (
        (Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier, "rectangle"),
        (Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier, "edit"),
        (Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier, "polygon"),
        (Qt.Key.Key_B, Qt.KeyboardModifier.NoModifier, "brush"),
        (Qt.Key.Key_R, Qt.KeyboardModifier.NoModifier, "rectangle"),
        (Qt.Key.Key_E, Qt.KeyboardModifier.NoModifier, "edit"),
    ):
        key(w, k, mod)
        assert w.canvas.tool().name == tool
        assert w.actions[f"tool.{tool}"].isChecked()


def test_class_hotkey_relabels_selection_and_hide(make_window, sample_dir):
    w = make_window(sample_dir)
    doc, sel = w.session.doc, w.session.selection
    w.canvas.setFocus()
    key(w, Qt.Key.Key_E)
    sel.set([doc.shapes[0].uid])
    target = w.session.classes.by_hotkey("4").name
    key(w, Qt.Key.Key_4)
    assert doc.shapes[0].label == target
    key(w, Qt.Key.Key_H)
    assert not doc.shapes[0].visible
    key(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.shapes[0].visible
    key(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.shapes[0].label != target  # the class change was one undo step
    n, uid = len(doc), doc.shapes[0].uid
    key(w, Qt.Key.Key_Delete)
    assert len(doc) == n - 1 and uid not in {s.uid for s in doc.shapes} and len(sel) == 0


def test_next_previous_saves_and_reads_ahead(make_window, sample_dir, qtbot):
    w = make_window(sample_dir)
    nav = w.session.navigator
    qtbot.waitUntil(lambda: nav.images[1] in nav._cache, timeout=5000)  # read ahead
    n = len(w.session.doc)
    w.session.doc.remove_shapes([0])
    w.canvas.setFocus()
    key(w, Qt.Key.Key_D)
    # the next image was decoded ahead: it is shown at once, without waiting for the worker
    assert w.session.item.path.name == "02-fruit.jpg"
    assert len(read_json(sample_dir / "01-street.json")["shapes"]) == n - 1  # autosaved first
    key(w, Qt.Key.Key_A)
    wait_loaded(qtbot, w, "01-street.jpg")
    assert len(w.session.doc) == n - 1
    assert w.files.state_of(sample_dir / "01-street.jpg") == "labeled"
    assert w.files.state_of(sample_dir / "02-fruit.jpg") == "unlabeled"


def test_every_action_in_a_menu_and_cheat_sheet(make_window, sample_dir):
    w = make_window(sample_dir)
    in_menus = {a.objectName() for menu in w.actions.menus.values() for a in menu.actions()}
    ids = [spec.id for spec in w.actions.registry]
    assert set(ids) <= in_menus
    w.canvas.setFocus()
    key(w, Qt.Key.Key_F1)
    sheet = w._cheat
    assert sheet is not None and sheet.isVisible()
    rows = dict(sheet.rows())
    for spec in w.actions.registry:
        assert spec.text.replace("&", "").rstrip("…") in rows
    assert rows["Save"] == "Ctrl+S" and rows["Next Image"] == "D"
    assert "Ctrl+Shift+Z" in rows["Redo"] and "Ctrl+Y" in rows["Redo"]


def test_bindings_edited_in_settings_are_saved(make_window, sample_dir, qtbot):
    from labeldesk.ui.dialogs.settings_dialog import Preferences, SettingsDialog

    w = make_window(sample_dir)
    prefs = Preferences(True, True, "system", dict(w.actions.bindings))
    dialog = SettingsDialog(prefs, w.actions.registry, w)
    qtbot.addWidget(dialog)
    dialog.set_binding("file.next", ["N"])
    dialog.set_binding("tool.polygon", ["Ctrl+N"])  # P no longer switches to polygon
    assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    dialog.set_binding("file.previous", ["N"])  # a clash: OK is refused until it is solved
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    assert "N is bound to" in dialog.problem.text()
    dialog.set_binding("file.previous", ["A"])
    w.apply_preferences(dialog.preferences())
    w.close()

    w2 = make_window(sample_dir)
    assert [s.toString() for s in w2.actions["file.next"].shortcuts()] == ["N"]
    w2.canvas.setFocus()
    key(w2, Qt.Key.Key_E)
    key(w2, Qt.Key.Key_P)
    assert w2.canvas.tool().name == "edit"
    key(w2, Qt.Key.Key_N)
    wait_loaded(qtbot, w2, "02-fruit.jpg")


@pytest.mark.parametrize("choice", ["light", "dark"])
def test_themes_apply(make_window, sample_dir, choice):
    from PySide6.QtWidgets import QApplication

    from labeldesk.ui.themes import COLORS, ThemeManager

    w = make_window(sample_dir)
    manager = ThemeManager(QApplication.instance())
    assert manager.apply(choice) == choice
    assert QApplication.instance().palette().window().color().name() == COLORS[choice]["window"]
    cls = w.session.classes.by_hotkey("1")
    icon = w.classes.tree.topLevelItem(0).icon(0).pixmap(14, 14).toImage()
    assert icon.pixelColor(7, 7).getRgb()[:3] == cls.color  # the same colour as the canvas uses
    manager.apply("light")


def test_system_theme_follows_the_desktop(make_window, sample_dir, monkeypatch):
    """The offscreen platform has no desktop scheme: the desktop's switch is simulated by the
    signal Qt sends (QStyleHints.colorSchemeChanged) and what the scheme then reads."""
    from PySide6.QtWidgets import QApplication

    from labeldesk.ui import themes

    app = QApplication.instance()
    scheme = {"now": "light"}
    monkeypatch.setattr(themes, "system_scheme", lambda: scheme["now"])
    manager = themes.ThemeManager(app)
    assert manager.apply("system") == "light"
    scheme["now"] = "dark"
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # the desktop switches
    assert manager.effective == "dark"
    assert app.palette().window().color().name() == themes.COLORS["dark"]["window"]
    manager.apply("light")  # an explicit choice no longer follows the desktop
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert manager.effective == "light"


def test_label_dialog_only_when_asked_with_completion(make_window, sample_dir, qtbot, monkeypatch):
    from labeldesk.ui.dialogs.label_dialog import LabelDialog

    w = make_window(sample_dir)
    opened = []
    monkeypatch.setattr(
        LabelDialog, "exec", lambda self: opened.append(self) or LabelDialog.DialogCode.Rejected
    )
    w.canvas.setFocus()
    key(w, Qt.Key.Key_P)
    for x, y in PENTAGON[:3]:
        click_image(qtbot, w, x, y)
    key(w, Qt.Key.Key_Return)
    assert opened == []  # drawing never asks for a label
    key(w, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert len(opened) == 1 and opened[0].edit.text() == w.session.active
    dialog = LabelDialog(w.session.classes, "", w)
    qtbot.addWidget(dialog)
    completer = dialog.edit.completer()
    completer.setCompletionPrefix("OU")  # matches anywhere, any case
    found = [
        completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())
    ]
    assert found == ["house"]
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.edit, "cat")
    assert dialog.ok.isEnabled() and dialog.value() == "cat"


def test_question_mark_opens_the_cheat_sheet(make_window, sample_dir):
    w = make_window(sample_dir)
    w.canvas.setFocus()
    QTest.keyClick(w.canvas, "?")
    assert w._cheat is not None and w._cheat.isVisible()


def test_files_panel_filter_and_states(make_window, sample_dir, qtbot):
    w = make_window(sample_dir)
    panel = w.files
    qtbot.waitUntil(lambda: panel.state_of(sample_dir / "01-street.jpg") == "labeled", timeout=5000)
    assert panel.visible_names() == ["01-street.jpg", "02-fruit.jpg", "03-beach.jpg", "04-park.jpg"]
    qtbot.keyClicks(panel.filter, "EA")
    assert panel.visible_names() == ["03-beach.jpg"]
    panel.filter.clear()
    panel.show_combo.setCurrentIndex(1)  # unlabeled
    assert panel.visible_names() == ["02-fruit.jpg", "03-beach.jpg", "04-park.jpg"]
    assert panel.summary.text().strip() == "1 of 4 images labeled"
    panel.show_combo.setCurrentIndex(0)
    panel.view.clicked.emit(panel.proxy.index(3, 0))
    wait_loaded(qtbot, w, "04-park.jpg")


def test_classes_panel_counts_recolour_and_delete(make_window, sample_dir):
    w = make_window(sample_dir)
    tree = w.classes.tree
    counts = {
        tree.topLevelItem(i).text(0): tree.topLevelItem(i).text(2)
        for i in range(tree.topLevelItemCount())
    }
    assert (
        counts["tree"] == "4"
        and counts["house"] == "2"
        and counts["car"] == "1"
        and counts["ball"] == "0"
    )
    w.session.classes.recolor("car", (1, 200, 3))
    w.class_control.refresh()
    w.canvas.refresh()
    model = w.layers.model
    car_row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "car")
    icon = model.index(car_row, 0).data(Qt.ItemDataRole.DecorationRole).pixmap(14, 14).toImage()
    assert icon.pixelColor(7, 7).getRgb()[:3] == (1, 200, 3)  # layers use the catalogue colour
    w.class_control.request("delete", "car")
    assert "still used by 1 object(s) in this image" in w.message_bar.text()
    assert "car" in w.session.classes
    w.class_control.request("delete", "animal")
    assert "animal" not in w.session.classes
    assert "animal" not in w.classes.names()


def test_recent_folders_menu(make_window, sample_dir, tmp_path, qtbot):
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.png").write_bytes((sample_dir / "01-street.jpg").read_bytes())
    w = make_window(sample_dir)
    assert w.open_path(other)
    wait_loaded(qtbot, w, "x.png")
    titles = [a.text() for a in w.recent_menu.actions()]
    assert titles == [str(other.resolve()), str(sample_dir.resolve())]
    w.recent_menu.actions()[1].trigger()
    wait_loaded(qtbot, w, "01-street.jpg")
