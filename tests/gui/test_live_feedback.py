"""Tools ▸ Live Classifier says what it is doing (issue h12, item 2): in the real window, on a
real nuclei image, a status-bar label and busy bar stay while a fit runs and go when the
overlay arrives; a refused request ("paint two classes") is shown in the message banner,
where the tool's hint does not overwrite it, and goes when the overlay comes."""

from __future__ import annotations

import threading
from typing import Any

import cv2

import labeldesk.models.seg.live as live_model
from labeldesk.core.jobs import Cancelled
from labeldesk.ui.training.live import LIVE_ID, OVERLAY, install
from tests.gui.conftest import wait_loaded
from tests.models.nuclei_data import stroke_shapes, tile


def test_busy_until_the_overlay_and_errors_stay_in_the_banner(
    make_window, qtbot, tmp_path, monkeypatch
) -> None:
    image, instances = tile(0)
    folder = tmp_path / "cells"
    folder.mkdir()
    cv2.imwrite(str(folder / "nuclei.png"), image[:, :, 0] if image.ndim == 3 else image)
    gate = threading.Event()  # the fit waits here (cancellably) until the test lets it go
    real_fit = live_model.fit_forest

    def gated_fit(x: Any, y: Any, settings: Any, **kwargs: Any) -> Any:
        cancel = kwargs.get("cancel")
        while not gate.wait(0.02):
            if cancel is not None and cancel():
                raise Cancelled
        return real_fit(x, y, settings, **kwargs)

    monkeypatch.setattr(live_model, "fit_forest", gated_fit)
    w = make_window(folder)
    wait_loaded(qtbot, w, "nuclei.png")
    live = install(w)
    strokes = stroke_shapes(instances)
    try:
        w.actions.actions[LIVE_ID].trigger()
        doc = w.session.doc
        for s in strokes:
            if s.label == "nucleus":
                doc.add_shape(s.copy())
        # one class only: refused, in the banner (a warning: it does not time out)
        bar = w.message_bar
        qtbot.waitUntil(lambda: bar.isVisible() and "two classes" in bar.text(), timeout=30000)
        assert bar.text().startswith("Live classifier: ") and bar.property("level") == "warning"
        qtbot.waitUntil(lambda: not live.is_showing_busy(), timeout=30000)
        w.status.set_hint("the brush hint")  # what used to overwrite the error
        w.statusBar().showMessage("another status message", 100)
        qtbot.wait(300)
        assert bar.isVisible() and "two classes" in bar.text()
        # a background stroke: the fit runs (held at the gate) and the status bar says so
        for s in strokes:
            if s.label == "background":
                doc.add_shape(s.copy())
        qtbot.waitUntil(live.is_showing_busy, timeout=30000)
        assert live.busy_label.isVisible() and live.busy_bar.isVisible()
        assert live.busy_label.text() == "Live classifier: learning from the strokes…"
        qtbot.wait(300)
        assert live.is_showing_busy() and OVERLAY not in w.canvas.overlay_keys()
        gate.set()
        qtbot.waitUntil(lambda: OVERLAY in w.canvas.overlay_keys(), timeout=60000)
        qtbot.waitUntil(lambda: not live.is_showing_busy(), timeout=30000)
        assert not live.busy_bar.isVisible()
        assert not bar.isVisible()  # the problem is solved: its message goes
        assert live.prediction is not None and (live.prediction.labels == 1).any()
    finally:
        gate.set()
        live.stop()
        assert live.host is None or not live.host.is_running()
    assert not live.is_showing_busy()
