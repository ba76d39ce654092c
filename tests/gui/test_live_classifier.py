"""Tools ▸ Live Classifier in the real window, on the real nuclei image: brush strokes of two
classes (nucleus, background) drawn with the mouse give a prediction overlay from the
worker; Enter turns it into machine-made objects in one undo step."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import Qt

from labeldesk.core.machine import machine_source
from labeldesk.ui.training.live import LIVE_ID, OVERLAY, install
from tests.gui.conftest import wait_loaded
from tests.gui.test_window_editing import drag
from tests.gui.test_window_keyboard import key
from tests.models.nuclei_data import make_folder, nuclei, stroke_lines


def test_strokes_of_two_classes_give_an_overlay_then_objects(make_window, qtbot, tmp_path) -> None:
    image, instances = nuclei()
    folder = tmp_path / "cells"
    folder.mkdir()
    cv2.imwrite(str(folder / "nuclei.png"), image[:, :, 0])
    make_folder(folder, tiles=(3,))  # another labeled image: the classifier learns from it too
    w = make_window(folder)
    wait_loaded(qtbot, w, "nuclei.png")
    for name in ("nucleus", "background"):
        w.session.classes.ensure(name)
    live = install(w)
    assert w.live_classifier is live
    try:
        w.actions.actions[LIVE_ID].trigger()
        assert live.active and w.actions.actions[LIVE_ID].isChecked()
        qtbot.waitUntil(lambda: live.context_images == 1, timeout=60000)
        w.canvas.fit()
        key(w, Qt.Key.Key_B)
        w.ctx.brush_size = 3
        for label, (x0, y0), (x1, y1) in stroke_lines(instances, nuclei=8, background=6):
            w.session.set_active(label)  # the selected mask of the other class is let go
            drag(qtbot, w, [(x0, y0), ((x0 + x1) / 2, y0), (x1, y1)])
        doc = w.session.doc
        strokes = len(doc.shapes)  # one mask per class: the brush extends the selected one
        assert strokes == 2 and {s.shape_type for s in doc.shapes} == {"mask"}
        assert {s.label for s in doc.shapes} == {"nucleus", "background"}
        # the overlay comes from the worker, for the strokes as they are now
        qtbot.waitUntil(
            lambda: OVERLAY in w.canvas.overlay_keys() and not live.host.is_busy(), timeout=60000
        )
        pred = live.prediction
        assert pred is not None and pred.class_names == ["nucleus"]
        assert pred.labels.shape == instances.shape
        truth = instances > 0
        iou = (truth & (pred.labels == 1)).sum() / (truth | (pred.labels == 1)).sum()
        assert iou >= 0.6  # coarse preview from 14 strokes
        # Enter: objects replace the strokes, one undo step
        key(w, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not live.active, timeout=60000)
        shapes = doc.shapes
        assert shapes and {s.label for s in shapes} == {"nucleus"}
        assert all(machine_source(s) == "forest" for s in shapes)
        true_count = len(np.unique(instances[instances > 0]))
        assert 0.6 * true_count <= len(shapes) <= 1.4 * true_count
        assert OVERLAY not in w.canvas.overlay_keys()
        doc.undo()
        assert len(doc.shapes) == strokes and {s.shape_type for s in doc.shapes} == {"mask"}
    finally:
        live.stop()
        assert live.host is None or not live.host.is_running()
