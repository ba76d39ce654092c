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


def test_with_many_classes_a_fit_learns_from_fewer_pixels_per_class(monkeypatch) -> None:
    """20 classes in the folder's other images: each class gives at most MAX_PIXELS / 21
    pixels (not 3000), so the fit stays short; with few classes nothing changes."""
    import labeldesk.models.seg.live as live_model
    from labeldesk.core.shapes import Shape

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (200, 200, 3), np.uint8)
    label = np.repeat(np.arange(1, 21, dtype=np.uint8), 10)[:, None].repeat(200, axis=1)

    class Other:  # what set_context reads of a folder's sample
        def __init__(self) -> None:
            self.image, self.label = image, label

    names = [f"c{i:02d}" for i in range(1, 21)]
    seen: list[np.ndarray] = []
    real_fit = live_model.fit_forest

    def spy(x: np.ndarray, y: np.ndarray, settings: ForestSettings, **kwargs: object):
        seen.append(y)
        return real_fit(x, y, settings, **kwargs)

    monkeypatch.setattr(live_model, "fit_forest", spy)
    live = LiveClassifier()
    assert live.per_class(2) == 3000 and live.per_class(21) == 952 and live.per_class(200) == 300
    live.set_context([Other()], names)
    strokes = [
        Shape("c01", [[10, 10], [150, 10], [150, 60], [10, 60]]),
        Shape("background", [[10, 100], [150, 100], [150, 190], [10, 190]]),
    ]
    live.update(image, "noise", strokes)
    counts = np.bincount(seen[-1], minlength=21)
    assert counts.max() <= 2 * 952 and counts[1] > 952  # c01: strokes + the other image
    assert all(800 <= n <= 952 for n in counts[2:])  # 2000 labeled each, 952 taken
    assert len(seen[-1]) <= 21 * 2 * 952
    monkeypatch.setattr(live_model, "MAX_PIXELS", None)  # as before: 3000 per class
    live.update(image, "noise", strokes)
    assert np.bincount(seen[-1], minlength=21)[5] > 1500


def test_the_next_image_reuses_the_other_images_pixels(tmp_path, monkeypatch) -> None:
    """Opening the next image sends the folder's other images again: only an image that is
    new (or whose labels changed) has its features computed again."""
    import labeldesk.algorithms.pixel_features as pf
    from labeldesk.models.seg.forest_train import samples_from_folder
    from tests.models.nuclei_data import iou, make_folder

    folder = make_folder(tmp_path / "poly", tiles=(0, 1, 2))
    samples, _ = samples_from_folder(folder, ["nucleus"])
    computed: list[int] = []
    real = pf.pixel_features

    def counting(image: np.ndarray, *args: object, **kwargs: object) -> np.ndarray:
        computed.append(image.shape[0])
        return real(image, *args, **kwargs)

    monkeypatch.setattr(pf, "pixel_features", counting)
    image, ins = tile(3)
    live = LiveClassifier()
    live.set_context(samples[:2], ["nucleus"])
    assert iou(live.update(image, "t3", []).labels, ins > 0) >= 0.8
    assert len(computed) == 3  # this image + 2 others
    live.set_context(samples[1:], ["nucleus"])  # the next image: one other image is new
    assert iou(live.update(image, "t3", []).labels, ins > 0) >= 0.8
    assert len(computed) == 4
    changed = samples[2]
    changed.label = np.where(changed.label == 1, 0, changed.label).astype(np.uint8)
    live.set_context([samples[1], changed], ["nucleus"])  # its labels changed: again
    live.update(image, "t3", stroke_shapes(ins))
    assert len(computed) == 5
