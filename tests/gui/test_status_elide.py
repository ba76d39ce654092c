"""Issue 11, item 3: long status texts are elided; the window never widens itself."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from tests.gui.conftest import wait_loaded


def test_long_status_texts_never_widen_the_window(make_window, sample_dir, qtbot):
    w = make_window(sample_dir)
    wait_loaded(qtbot, w)
    w.resize(1280, 800)
    qtbot.wait(50)
    width = w.width()
    long_text = "Click to add a point; " * 40
    w.status.set_hint(long_text)
    w.show_message(long_text, "status")
    model = QLabel("model: " + "very-long-checkpoint-name-" * 20)
    w.statusBar().addPermanentWidget(model)  # as other parts of the app do
    qtbot.wait(100)
    assert w.width() == width
    assert w.minimumSizeHint().width() <= 1280
    hint = w.status.fields["hint"]
    shown = hint.elided()
    assert shown.endswith("…") and len(shown) < len(long_text)
    assert hint.toolTip() == long_text
    assert model.width() <= 320
