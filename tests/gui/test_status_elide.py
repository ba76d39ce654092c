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


def test_status_bar_progress_text_is_one_elided_line(make_window, sample_dir, qtbot, tmp_path):
    """Issue 11, item 3: the assist's progress bar in the status bar shows its text on one
    line, the message elided with … and the percentage kept; the full text is the tooltip."""
    from labeldesk.ui.assist import install
    from labeldesk.ui.panels.status import ElidedProgressBar

    w = make_window(sample_dir)
    w.resize(1280, 800)
    ctl = install(w, models_dir=tmp_path / "models")
    try:
        bar = ctl.progress
        assert isinstance(bar, ElidedProgressBar)
        # what the bar painted while auto-segment ran with no model, through the window
        painted: list[tuple[str, str, bool]] = []

        def seen(_value: int) -> None:
            text = bar.text()
            fits = bar.fontMetrics().horizontalAdvance(text) <= bar.contentsRect().width()
            painted.append((text, bar.full_text(), fits and "\n" not in text))

        bar.valueChanged.connect(seen)
        w.actions["assist.auto_segment"].trigger()
        qtbot.waitUntil(lambda: ctl.review is not None, timeout=20000)
        assert any(full.startswith("segmenting (no model)") for _t, full, _ in painted)
        assert all(fits for _t, _full, fits in painted), painted
        # a narrow bar (a crowded status bar): one line, message shortened, percentage kept
        bar.setMaximumWidth(110)
        bar.setFormat("segmenting (no model)… %p %")
        bar.setValue(370)
        bar.show()
        qtbot.waitUntil(lambda: 0 < bar.width() <= 110)
        qtbot.wait(20)
        shown = bar.text()
        assert "\n" not in shown and shown.endswith("37 %") and "…" in shown[:-5]
        assert shown.startswith("segm") and len(shown) < len(bar.full_text())
        assert bar.fontMetrics().horizontalAdvance(shown) <= bar.contentsRect().width()
        assert bar.toolTip() == "segmenting (no model)…"
        assert not bar.grab().isNull()  # the style paints the elided text
        # wide enough: the whole text
        bar.setMaximumWidth(400)
        bar.setMinimumWidth(400)
        qtbot.waitUntil(lambda: bar.width() == 400)
        assert bar.text() == "segmenting (no model)… 37 %"
    finally:
        doc = w.session.doc
        if doc is not None:
            doc.mark_clean()
        ctl.stop()


def test_a_short_permanent_label_shows_its_whole_text(make_window, sample_dir, qtbot):
    """Labels other parts add (the model status) get their text's width when there is room;
    a long hint beside them does not squeeze them to nothing."""
    w = make_window(sample_dir)
    wait_loaded(qtbot, w)
    w.resize(1280, 800)
    w.status.set_hint("Click to add a point; " * 40)
    model = QLabel("No model (auto-segment: classical)")
    w.statusBar().addPermanentWidget(model)
    qtbot.wait(100)
    assert model.width() >= model.fontMetrics().horizontalAdvance(model.text())
    assert w.width() == 1280
