"""A live-classifier fit can be stopped part-way (issue h12: quitting during a 20 s fit
aborted the app): the forest grows a few trees at a time and asks ``cancel()`` between
batches; grown that way it is the same forest as grown in one go."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.core.jobs import Cancelled
from labeldesk.models.seg.forest import ForestSettings, fit_forest
from labeldesk.models.seg.live import LiveClassifier
from tests.models.nuclei_data import stroke_shapes, tile


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 6)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return x, y


def test_grown_in_batches_it_is_the_same_forest() -> None:
    x, y = _data()
    settings = ForestSettings(trees=7, depth=6)
    whole, values = fit_forest(x, y, settings, seed=3, threads=2)
    asked: list[int] = []
    batched, values2 = fit_forest(
        x, y, settings, seed=3, threads=2, cancel=lambda: asked.append(1) is not None
    )
    assert len(asked) == 4  # 7 trees, 2 at a time: asked before each batch
    assert len(batched) == len(whole) == 7 and list(values) == list(values2)
    for a, b in zip(whole, batched, strict=True):
        assert np.array_equal(a.feature, b.feature) and np.allclose(a.threshold, b.threshold)


def test_cancel_stops_the_fit_between_batches() -> None:
    x, y = _data()
    calls: list[int] = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) >= 3

    with pytest.raises(Cancelled):
        fit_forest(x, y, ForestSettings(trees=100, depth=6), threads=2, cancel=cancel)
    assert len(calls) == 3  # two batches grown (4 of 100 trees), then stopped


def test_a_cancelled_update_raises_and_the_next_one_works() -> None:
    image, ins = tile(0)
    live = LiveClassifier()
    with pytest.raises(Cancelled):
        live.update(image, "t0", stroke_shapes(ins), cancel=lambda: True)
    pred = live.update(image, "t0", stroke_shapes(ins), cancel=lambda: False)
    assert pred.labels.shape == ins.shape and pred.class_names == ["nucleus"]
    assert (pred.labels == 1).any() and (pred.labels == 0).any()
