"""Review mode through the real window: compare two folders, sort by disagreement, take an
object from the other set, undo it in one step."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from labeldesk.ui.panels.files import PATH_ROLE
from labeldesk.ui.review import install
from tests.compare_pair import ADDED_BOX, ADDED_TO, PHOTOS, REMOVED_FROM, make_pair
from tests.gui.conftest import wait_loaded

NAMES = ["2011_000003.json", ADDED_TO, REMOVED_FROM]


def folders(tmp_path: Path) -> tuple[Path, Path]:
    """mine: the real photos with their labels; theirs: the jittered / edited copy."""
    mine = tmp_path / "mine"
    mine.mkdir()
    for name in NAMES:
        data = json.loads((PHOTOS / name).read_text(encoding="utf-8"))
        shutil.copy(PHOTOS / data["imagePath"], mine / data["imagePath"])
        shutil.copy(PHOTOS / name, mine / name)
    _ref, theirs = make_pair(tmp_path / "pair", files=[PHOTOS / n for n in NAMES])
    return mine, theirs


def shown(window) -> list[str]:
    proxy = window.files.proxy
    return [proxy.index(r, 0).data(PATH_ROLE).name for r in range(proxy.rowCount())]


def wait_review(qtbot, ctl, name: str) -> None:
    qtbot.waitUntil(
        lambda: ctl.current is not None and ctl.current.result.name == name and ctl.is_current(),
        timeout=10000,
    )


def select_diff(ctl, kind: str, cls: str) -> dict:
    for row in range(ctl.panel.list.count()):
        diff = ctl.panel.list.item(row).data(Qt.ItemDataRole.UserRole + 1)
        if diff["kind"] == kind and diff["class"] == cls:
            ctl.panel.list.setCurrentRow(row)
            return diff
    raise AssertionError(
        f"no {kind} {cls} difference in {[ctl.panel.list.item(r).text() for r in range(ctl.panel.list.count())]}"
    )


def test_review_sort_take_theirs_undo(make_window, qtbot, tmp_path) -> None:
    mine, theirs = folders(tmp_path)
    w = make_window(mine)
    ctl = install(w)
    assert ctl.compare_with(theirs) is not None
    qtbot.waitUntil(lambda: ctl.comparison is not None, timeout=20000)
    assert set(ctl.comparison.images) == set(NAMES) and not ctl.comparison.failed
    # Tools > Sort Files by Disagreement: lowest Dice first (the added bottle: Dice 0;
    # the removed bus; then the jittered-only image)
    w.actions.actions["review.sort"].trigger()
    assert shown(w) == ["2011_000006.jpg", "2011_000025.jpg", "2011_000003.jpg"]
    assert "disagreement" in w.files.proxy.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    # the first image in that order, with its differences on the canvas and in the panel
    w.go_to(w.session.navigator.images.index(mine / "2011_000006.jpg"))
    wait_loaded(qtbot, w, "2011_000006.jpg")
    wait_review(qtbot, ctl, ADDED_TO)
    assert "review" in w.canvas.overlay_keys()
    rgba = ctl.current.rgba
    (x0, y0), (x1, y1) = ADDED_BOX
    px = rgba[int((y0 + y1) / 2) - ctl.current.y0, int((x0 + x1) / 2) - ctl.current.x0]
    assert tuple(px[:3]) == (40, 90, 240) and px[3] > 0  # blue: only in theirs
    assert ctl.panel.scores()["bottle"] == "0.000"
    doc = w.session.doc
    before = doc.state()
    n = len(doc.shapes)
    # Take Theirs on the bottle only they drew: one undo step
    select_diff(ctl, "theirs", "bottle")
    qtbot.mouseClick(ctl.panel.take_button, Qt.MouseButton.LeftButton)
    assert len(doc.shapes) == n + 1
    added = doc.shapes[-1]
    assert added.label == "bottle" and added.shape_type == "rectangle"
    np.testing.assert_allclose(added.points, ADDED_BOX)
    wait_review(qtbot, ctl, ADDED_TO)
    assert ctl.panel.scores()["bottle"] == "1.000"
    assert all(d["kind"] != "theirs" for d in ctl.diffs)
    w.actions["edit.undo"].trigger()
    assert len(doc.shapes) == n and doc.state() == before
    wait_review(qtbot, ctl, ADDED_TO)
    assert ctl.panel.scores()["bottle"] == "0.000"
    # Keep Mine on an outline difference: the document is unchanged, the item leaves the list
    pair = next(d for d in ctl.diffs if d["kind"] == "pair")
    select_diff(ctl, "pair", pair["class"])
    count = ctl.panel.list.count()
    qtbot.mouseClick(ctl.panel.keep_button, Qt.MouseButton.LeftButton)
    assert doc.state() == before and pair not in ctl.diffs
    assert ctl.panel.list.count() == count - 1


def test_take_theirs_outline_replaces_mine_and_undoes(make_window, qtbot, tmp_path) -> None:
    mine, theirs = folders(tmp_path)
    w = make_window(mine / "2011_000003.jpg")
    ctl = install(w)
    ctl.compare_with(theirs)
    wait_review(qtbot, ctl, "2011_000003.json")
    doc = w.session.doc
    before = doc.state()
    diff = next(d for d in ctl.diffs if d["kind"] == "pair")
    ctl.panel.list.setCurrentRow(ctl.diffs.index(diff))
    theirs_doc = json.loads((theirs / "2011_000003.json").read_text(encoding="utf-8"))
    want = [theirs_doc["shapes"][i]["points"] for i in diff["theirs"]["shapes"]]
    at = min(diff["mine"]["shapes"])
    qtbot.mouseClick(ctl.panel.take_button, Qt.MouseButton.LeftButton)
    got = [doc.shapes[at + k].points for k in range(len(want))]
    for g, wnt in zip(got, want, strict=True):
        np.testing.assert_allclose(g, wnt)
    w.undo()
    assert doc.state() == before
    qtbot.waitUntil(lambda: ctl.host is None or not ctl.host.is_busy(), timeout=10000)


def test_end_review_restores_the_window(make_window, qtbot, tmp_path) -> None:
    mine, theirs = folders(tmp_path)
    w = make_window(mine)
    ctl = install(w)
    ctl.compare_with(theirs)
    w.actions.actions["review.sort"].trigger()
    qtbot.waitUntil(lambda: w.files.sort_order() is not None, timeout=20000)
    wait_review(qtbot, ctl, w.session.item.path.with_suffix(".json").name)
    assert "review" in w.canvas.overlay_keys() and ctl.dock.isVisible()
    w.actions.actions["review.end"].trigger()
    assert "review" not in w.canvas.overlay_keys() and not ctl.dock.isVisible()
    assert w.files.sort_order() is None and shown(w) == sorted(shown(w))
    assert not w.actions.actions["review.sort"].isChecked()
    # a folder that is not one, and the open folder itself, are refused with a message
    said = []
    w.show_message = lambda text, level="info", actions=None: said.append((level, text))
    assert ctl.compare_with(tmp_path / "nope") is None
    assert ctl.compare_with(mine) is None
    assert said == [
        ("warning", f"Compare: {tmp_path / 'nope'}: not a folder"),
        ("warning", "Compare: Choose another folder than the open one"),
    ]
