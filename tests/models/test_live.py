"""The live classifier without a window: strokes only, and strokes plus the folder's other
labeled images (real nuclei tiles)."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.core.errors import ModelError
from labeldesk.core.machine import machine_source
from labeldesk.models.seg.forest_train import samples_from_folder
from labeldesk.models.seg.live import LiveClassifier, overlay_rgba
from tests.models.nuclei_data import iou, make_folder, stroke_shapes, tile


def test_one_class_of_strokes_is_refused_until_the_folder_teaches_the_rest(tmp_path) -> None:
    image, ins = tile(3)
    only_nuclei = [s for s in stroke_shapes(ins) if s.label == "nucleus"][:2]
    live = LiveClassifier()
    with pytest.raises(ModelError, match="at least two classes"):
        live.update(image, "t3", only_nuclei)
    folder = make_folder(tmp_path / "poly", tiles=(0, 1))
    samples, _ = samples_from_folder(folder, ["nucleus"])
    live.set_context(samples, ["nucleus"])
    pred = live.update(image, "t3", only_nuclei)
    assert pred.class_names == ["nucleus"] and iou(pred.labels, ins > 0) >= 0.8
    # the folder alone is enough to predict, with no stroke on this image
    assert iou(live.update(image, "t3", []).labels, ins > 0) >= 0.8


def test_strokes_give_machine_made_objects_and_an_overlay() -> None:
    image, ins = tile(0)
    live = LiveClassifier()
    pred = live.update(image, "t0", stroke_shapes(ins))
    assert iou(pred.labels, ins > 0) >= 0.7
    rgba = overlay_rgba(pred.labels, [(255, 0, 0)])
    assert rgba.shape == (*ins.shape, 4)
    assert np.all(rgba[pred.labels == 1] == (255, 0, 0, 96)) and not rgba[pred.labels == 0].any()
    objects = live.objects(image, "t0", stroke_shapes(ins))
    assert objects and all(machine_source(s) == "forest" for s in objects)
    assert {s.label for s in objects} == {"nucleus"}
    truth = len(np.unique(ins[ins > 0]))
    assert 0.6 * truth <= len(objects) <= 1.4 * truth
