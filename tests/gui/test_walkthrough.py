"""Problems found by walking the app as a new user (under Xvfb), each driven in the real window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from tests.stacks.makers import volume, write_nifti


def _menu_rows(window, name: str) -> list[str]:
    return [
        "----" if a.isSeparator() else a.text().replace("&", "")
        for a in window.actions.menus[name].actions()
    ]


def test_plugin_actions_land_in_their_menu_section(make_window, qtbot) -> None:
    """File > Open Video or Volume… (added by the frame-stack plugin in a built window) sits
    with the other Open items, not under Quit; the stack's Tools items form their own
    section between separators."""
    from labeldesk.ui.plugins import install_plugins

    window = make_window()
    install_plugins(window)
    file_rows = _menu_rows(window, "File")
    assert file_rows[-1] == "Quit"
    opens = file_rows[: file_rows.index("----")]
    assert opens == [
        "Open Image…",
        "Open Folder…",
        "Open Video or Volume…",
        "Open Frame Stack Folder…",
    ]
    tools = _menu_rows(window, "Tools")
    first = tools.index("Propagate Forward")
    assert tools[first - 1] == "----"
    last = tools.index("Undo Last Propagation or Interpolation")
    assert tools[first : last + 1] == [
        "Propagate Forward",
        "Propagate Backward",
        "Interpolate Between Key Frames",
        "Undo Last Propagation or Interpolation",
    ]
    assert last == len(tools) - 1 or tools[last + 1] == "----"
    view = _menu_rows(window, "View")
    assert view[view.index("Next Frame") - 1] == "----"
    # the menu action still triggers (the frame keys are bound)
    assert window.actions["stack.next"].shortcuts()[0].toString() == "."


def test_tall_volume_cross_sections_keep_the_window_on_screen(
    make_window, qtbot, tmp_path: Path
) -> None:
    """80 slices of 24 columns at 2.5 mm against 0.8 mm made a 2708-pixel-high coronal view
    and a 3181-pixel-high window (Frames dock and status bar off a 1000-pixel screen). The
    plane is now narrowed to keep its aspect within 520 pixels."""
    from labeldesk.ui.stack import install
    from labeldesk.ui.stack.views import MAX_HEIGHT

    path = write_nifti(tmp_path / "tall.nii.gz", volume((24, 96, 80)))  # spacing 0.8, 0.7, 2.5
    window = make_window()
    ctl = install(window)
    assert window.open_path(path)
    qtbot.waitUntil(lambda: ctl.views_dock.isVisible(), timeout=3000)
    ctl.update_views()
    views = ctl.views
    row, column = views.row_view, views.column_view
    assert row.height() == MAX_HEIGHT == 520
    # aspect kept: width / height = (24 * 0.8) / (80 * 2.5)
    assert row.width() == pytest.approx(MAX_HEIGHT * 24 * 0.8 / (80 * 2.5), abs=1)
    assert column.height() == MAX_HEIGHT
    assert column.width() == pytest.approx(MAX_HEIGHT * 96 * 0.7 / (80 * 2.5), abs=1)
    assert window.minimumSizeHint().height() < 1000
    # clicks still map to slices over the narrowed view (superior up)
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton, pos=QPoint(row.width() // 2, 2))
    assert ctl.index == 79
    qtbot.mouseClick(
        column, Qt.MouseButton.LeftButton, pos=QPoint(column.width() // 2, column.height() - 2)
    )
    assert ctl.index == 0


def test_a_compare_that_starts_takes_down_the_earlier_complaint(
    make_window, qtbot, tmp_path: Path
) -> None:
    """Picking the open folder by mistake, then the right one: the review starts and the
    banner no longer says 'Choose another folder than the open one'."""
    from labeldesk.ui.review import install
    from tests.gui.test_review import folders

    mine, theirs = folders(tmp_path)
    window = make_window(mine)
    ctl = install(window)
    bar = window.message_bar
    assert ctl.compare_with(mine) is None
    assert bar.isVisible() and bar.text() == "Compare: Choose another folder than the open one"
    assert ctl.compare_with(theirs) is not None
    assert not bar.isVisible()
    qtbot.waitUntil(lambda: ctl.comparison is not None, timeout=20000)
    assert ctl.dock.isVisible() and "Comparing with" in ctl.panel.source.text()


def test_enter_accepts_the_click_tool_result_while_the_live_classifier_is_on(
    make_window, qtbot, tmp_path: Path
) -> None:
    """With Tools ▸ Live Classifier on, K + a click + Enter said 'Live classifier: nothing to
    accept yet' and dropped nothing into the document: the mode took every Enter. A tool
    with something to accept now gets its Enter first."""
    from labeldesk.ui.training.live import LIVE_ID
    from labeldesk.ui.training.live import install as install_live
    from tests.gui.test_classical_tools import CENTRE, click, key, open_scene, wait_mask

    window, ctl, _gt = open_scene(make_window, tmp_path, qtbot)
    live = install_live(window)
    doc = window.session.doc
    try:
        window.actions.actions[LIVE_ID].trigger()
        assert live.active
        key(window, Qt.Key.Key_K)
        tool = window.canvas.tool()
        assert tool.name == "click"
        click(window, *CENTRE)
        wait_mask(qtbot, ctl, tool)
        key(window, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(doc) == 1, timeout=10000)
        assert doc.shapes[0].label == window.session.active and "machine" not in doc.shapes[0].extra
        assert live.active  # the mode goes on; nothing of its own was accepted
        assert "nothing to accept" not in window.statusBar().currentMessage()
        # with nothing pending in the tool, Enter is the live classifier's again
        key(window, Qt.Key.Key_Return)
        assert window.statusBar().currentMessage().startswith("Live classifier:")
    finally:
        live.set_active(False)
        live.stop()
        doc.mark_clean()


def test_cheat_sheet_lists_actions_in_menu_order(make_window, qtbot, sample_dir) -> None:
    """F1 listed the frame-stack plugin's File items after Quit (registration order); it
    now follows the menus."""
    from PySide6.QtTest import QTest

    from labeldesk.ui.plugins import install_plugins

    window = make_window(sample_dir)
    install_plugins(window)
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_F1)
    sheet = window._cheat
    assert sheet is not None and sheet.isVisible()
    groups = {
        sheet.tree.topLevelItem(i).text(0): sheet.tree.topLevelItem(i)
        for i in range(sheet.tree.topLevelItemCount())
    }
    file_rows = [groups["File"].child(j).text(0) for j in range(groups["File"].childCount())]
    menu_rows = [r.rstrip("…") for r in _menu_rows(window, "File") if r not in ("----",)]
    assert file_rows == [r for r in menu_rows if r != "Open Recent"]
    assert file_rows[2:4] == ["Open Video or Volume", "Open Frame Stack Folder"]
    assert file_rows[-1] == "Quit"
    sheet.close()
