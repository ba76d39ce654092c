"""The files panel sorted by scores: the order shown, the tooltips, and D / A following it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from labeldesk.ui.panels.files import PATH_ROLE
from tests.gui.conftest import wait_loaded


def make_images(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"im{i}.png"
        Image.fromarray(np.full((30, 40, 3), 30 * i, np.uint8)).save(path)
        paths.append(path)
    return paths


def shown(window) -> list[str]:
    proxy = window.files.proxy
    return [proxy.index(r, 0).data(PATH_ROLE).name for r in range(proxy.rowCount())]


def tooltip(window, name: str) -> str:
    proxy = window.files.proxy
    row = shown(window).index(name)
    return proxy.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)


def press(qtbot, window, k: Qt.Key, expect: str) -> None:
    """A key press to the focused widget, as the user makes it; waits for ``expect``."""
    QTest.keyClick(window.focusWidget() or window.canvas, k)
    wait_loaded(qtbot, window, expect)


def test_sorted_panel_order_tooltips_and_next_previous(make_window, qtbot, tmp_path) -> None:
    p = make_images(tmp_path / "five", 5)
    w = make_window(tmp_path / "five")
    qtbot.waitUntil(lambda: len(w.session.states) == 5, timeout=5000)
    assert w.session.item.path == p[0] and w.files.sort_order() is None
    orders = []
    w.files.order_changed.connect(orders.append)
    # highest first, ties in folder order, unscored after; unknown paths and NaN ignored
    scores = {p[3]: 0.9, p[4]: 0.5, p[1]: 0.5, tmp_path / "gone.png": 2.0, p[2]: float("nan")}
    w.files.set_sort_scores(scores, label="model uncertainty")
    want = ["im3.png", "im1.png", "im4.png", "im0.png", "im2.png"]
    assert shown(w) == want and [q.name for q in w.files.sort_order()] == want
    assert [q.name for q in orders[-1]] == want
    assert [q.name for q in w.session.navigator.order()] == want
    assert tooltip(w, "im3.png") == "im3.png: not labeled yet · model uncertainty 0.900"
    assert tooltip(w, "im0.png") == "im0.png: not labeled yet"
    # D / A walk the order shown: im0 is 4th, so previous is im4, and the image read ahead
    # is the one before that in the order shown (im1), not in the folder's (im3)
    w.canvas.setFocus()
    press(qtbot, w, Qt.Key.Key_A, "im4.png")
    qtbot.waitUntil(lambda: p[1] in w.session.navigator._cache, timeout=5000)
    assert p[3] not in w.session.navigator._cache
    for name in ("im1.png", "im3.png"):
        press(qtbot, w, Qt.Key.Key_A, name)
    w.actions["file.previous"].trigger()  # before the first: stays
    assert w.session.navigator.current == p[3]
    for name in ("im1.png", "im4.png", "im0.png", "im2.png"):
        press(qtbot, w, Qt.Key.Key_D, name)
    w.actions["file.next"].trigger()  # past the last: stays
    assert w.session.navigator.current == p[2]
    # a click on a row opens that image, whatever the order
    w.files.set_current(p[4])
    index = w.files.view.currentIndex()
    rect = w.files.view.visualRect(index)
    qtbot.mouseClick(w.files.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_loaded(qtbot, w, "im4.png")
    # a state change keeps the score in the tooltip
    w.files.set_states(dict(w.session.states))
    assert tooltip(w, "im3.png").endswith("model uncertainty 0.900")
    # None: the folder's order again, for the panel and for D / A
    w.files.set_sort_scores(None)
    assert shown(w) == [f"im{i}.png" for i in range(5)] and orders[-1] is None
    assert w.files.sort_order() is None and tooltip(w, "im3.png") == "im3.png: not labeled yet"
    w.canvas.setFocus()
    press(qtbot, w, Qt.Key.Key_A, "im3.png")
    press(qtbot, w, Qt.Key.Key_D, "im4.png")


def test_a_new_listing_ends_the_sort(make_window, qtbot, tmp_path) -> None:
    p = make_images(tmp_path / "three", 3)
    w = make_window(tmp_path / "three")
    w.files.set_sort_scores({p[2]: 1.0})
    assert shown(w)[0] == "im2.png"
    orders = []
    w.files.order_changed.connect(orders.append)
    assert w.open_path(tmp_path / "three")
    wait_loaded(qtbot, w, "im0.png")
    assert orders == [None] and w.files.sort_order() is None
    assert shown(w) == ["im0.png", "im1.png", "im2.png"]
    w.actions["file.next"].trigger()
    wait_loaded(qtbot, w, "im1.png")
