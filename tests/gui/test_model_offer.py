"""The first auto-segment without any model on a photo offers, once and dismissibly, the
model manager's smallest SAM-family download with its size, next to the classical result."""

from __future__ import annotations

from labeldesk.ui.assist import install
from labeldesk.ui.assist.offer import smallest_download
from labeldesk.ui.model_manager import ModelManagerDialog, human_size, known_checkpoints


def run_auto(qtbot, window, ctl):
    window.actions["assist.auto_segment"].trigger()
    qtbot.waitUntil(lambda: ctl.review is not None, timeout=20000)
    return ctl.review


def test_first_g_offers_the_smallest_sam_once(make_window, sample_dir, qtbot, tmp_path) -> None:
    window = make_window(sample_dir)
    ctl = install(window, models_dir=tmp_path / "models")
    assert not window.settings.model_offer_shown()
    smallest = smallest_download(known_checkpoints())
    assert smallest.size_bytes == min(k.size_bytes for k in known_checkpoints())
    tool = run_auto(qtbot, window, ctl)
    bar = window.message_bar
    # the classical result stays under review while the banner offers the download
    assert ctl.proposal_source == "classical" and tool.open and window.canvas.tool() is tool
    assert bar.isVisible() and smallest.name in bar.text()
    assert human_size(smallest.size_bytes) in bar.text() and "classical" in bar.text()
    texts = [b.text() for b in bar.buttons()]
    assert texts == [f"Download {smallest.name} ({human_size(smallest.size_bytes)})…", "Not now"]
    assert window.settings.model_offer_shown()  # remembered: once
    bar.buttons()[1].click()  # Not now
    assert not bar.isVisible() and ctl.review is tool  # the review goes on
    window.canvas.setFocus()
    ctl.end_review()
    run_auto(qtbot, window, ctl)  # the second G: no offer
    assert not (bar.isVisible() and smallest.name in bar.text())
    ctl.end_review()
    window.session.doc.mark_clean()
    ctl.stop()


def test_download_opens_the_model_manager_on_it(
    make_window, sample_dir, qtbot, tmp_path, monkeypatch
) -> None:
    seen: list[tuple[str | None, bool]] = []

    def fake_download(self) -> None:  # no network in tests
        entry = self.selected_entry()
        seen.append((entry.name if entry else None, True))

    monkeypatch.setattr(ModelManagerDialog, "download_selected", fake_download)
    monkeypatch.setattr(ModelManagerDialog, "exec", lambda self: 0)
    window = make_window(sample_dir)
    ctl = install(window, models_dir=tmp_path / "models")
    run_auto(qtbot, window, ctl)
    window.message_bar.buttons()[0].click()
    assert seen == [(smallest_download(known_checkpoints()).name, True)]
    ctl.end_review()
    window.session.doc.mark_clean()
    ctl.stop()


def test_no_offer_on_a_grey_image(make_window, tmp_path, qtbot) -> None:
    import cv2
    import numpy as np

    folder = tmp_path / "grey"
    folder.mkdir()
    img = np.zeros((120, 160), np.uint8)
    cv2.circle(img, (80, 60), 30, 200, -1)
    cv2.rectangle(img, (5, 5), (40, 40), 120, -1)
    cv2.imwrite(str(folder / "cells.png"), img)
    window = make_window(folder)
    ctl = install(window, models_dir=tmp_path / "models")
    assert not ctl.offer.maybe_offer(window.ctx.image(), "classical")
    assert not window.settings.model_offer_shown()
    ctl.stop()


def test_offer_leaves_with_its_image(make_window, sample_dir, qtbot, tmp_path) -> None:
    """Walkthrough g2/k2: the banner (it has buttons, so it is not timed) stayed over the
    following images; it belongs to the image where it was shown."""
    from tests.gui.conftest import wait_loaded

    window = make_window(sample_dir)
    ctl = install(window, models_dir=tmp_path / "models")
    first = window.session.item.path
    run_auto(qtbot, window, ctl)
    bar = window.message_bar
    assert bar.isVisible() and "classical method" in bar.text()
    ctl.end_review()
    window.session.doc.mark_clean()
    window.actions["file.next"].trigger()
    qtbot.waitUntil(lambda: window.session.item.path != first, timeout=5000)
    wait_loaded(qtbot, window)
    assert not bar.isVisible()
    ctl.stop()
