"""Training on a synthetic two-class set: quality, saving, cancel, early stopping, bad input.

Tiny networks on 64x64 images with one torch thread; the whole file takes about 30 s.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from labeldesk.core.errors import ModelError
from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models import seg  # noqa: E402
from labeldesk.models.seg.dataset import TrainingDataError  # noqa: E402
from labeldesk.models.seg.metrics import confusion, summarize  # noqa: E402
from labeldesk.models.seg.synthetic import CLASS_NAMES, make_samples  # noqa: E402

TINY = {"arch": "unet", "width": 8, "depth": 3}
FAST = {
    "arch": TINY,
    "crop_size": 64,
    "batch_size": 8,
    "val_every": 50,
    "patience": 0,
    "threads": 1,
    "lr": 0.005,
}


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def trained():
    """300 steps with seed 0 (about 12 s on one thread)."""
    torch.set_num_threads(1)
    samples = make_samples(20, 64, seed=1)
    events: list[seg.TrainEvent] = []
    result = seg.run_training(
        seg.train(samples, CLASS_NAMES, {**FAST, "max_steps": 300}, seed=0, device="cpu"),
        events.append,
    )
    return result, events


def held_out_iou(model: seg.SegModel) -> dict:
    test = make_samples(8, 64, seed=2)  # never seen in training
    conf = np.zeros((3, 3), np.int64)
    for s in test:
        labels, confidence = seg.predict(model, s.image)
        assert labels.shape == (64, 64) and labels.dtype == np.uint8
        assert confidence.shape == (64, 64) and confidence.min() >= 1 / 3 - 1e-6
        conf += confusion(labels, s.label, 3)
    return summarize(conf, CLASS_NAMES)


def test_training_reaches_held_out_iou(trained):
    result, events = trained
    # measured: 0.87 held-out mean IoU (disc 0.91, square 0.84) with this seed; 0.81-0.87 over
    # seeds 0-2
    scores = held_out_iou(result.model)
    assert scores["mean_iou"] > 0.6, scores
    assert scores["iou"]["disc"] > 0.5 and scores["iou"]["square"] > 0.5, scores
    assert result.stopped == "max_steps" and result.steps == 300
    assert result.metrics["mean_iou"] > 0.6
    assert set(result.metrics["iou"]) == {"background", "disc", "square"}
    assert 0 < result.metrics["dice"]["disc"] <= 1
    # the split is 16 / 4 and disjoint
    assert len(result.train_indices) == 16 and len(result.val_indices) == 4
    assert not set(result.train_indices) & set(result.val_indices)
    # events: notes first, one step event per step, a validation every 50 steps
    kinds = [e.kind for e in events]
    assert kinds[0] == "note"
    steps = [e.step for e in events if e.kind == "step"]
    assert steps == list(range(1, 301))
    vals = [e for e in events if e.kind == "validation"]
    assert [e.step for e in vals] == [50, 100, 150, 200, 250, 300]
    assert all(e.iou is not None and "disc" in e.iou for e in vals)
    losses = [e.loss for e in events if e.kind == "step"]
    assert np.mean(losses[-20:]) < 0.6 * np.mean(losses[:20])
    # the returned weights are the best validation's
    best = max(vals, key=lambda e: e.mean_iou)
    assert result.metrics["step"] == best.step


def test_saved_model_reloads_and_predicts_the_same(trained, tmp_path):
    model = trained[0].model
    image = make_samples(1, 96, seed=7)[0].image
    before_labels, before_conf = seg.predict(model, image)
    weights, sidecar = seg.save_model(model, tmp_path / "model.pt")
    assert weights.name == "model.pt" and sidecar.name == "model.json"
    loaded = seg.load_model(tmp_path / "model.json", classes=["square", "disc"])
    assert loaded.class_names == ["disc", "square"]
    assert loaded.training["seed"] == 0 and loaded.training["stopped"] == "max_steps"
    assert loaded.metrics["mean_iou"] == model.metrics["mean_iou"]
    labels, conf = seg.predict(loaded, image)
    np.testing.assert_array_equal(labels, before_labels)
    np.testing.assert_allclose(conf, before_conf, atol=1e-5)


def test_trained_model_finds_the_objects(trained):
    model = trained[0].model
    found = right = truth = 0
    for s in make_samples(8, 64, seed=2):
        pred = seg.predict_instances(model, s.image, min_area=20)
        truth += int(s.instances.max())
        found += len(pred.instances)
        for inst in pred.instances:
            majority = np.bincount(s.label[inst.mask], minlength=3).argmax()
            right += int(majority == inst.class_id)
            assert inst.class_name == CLASS_NAMES[inst.class_id - 1]
        assert 0.0 < pred.uncertainty < 1.0
    # measured: 17 of 18 objects found, all of the right class
    assert 0.8 * truth <= found <= truth + 2, (found, truth)
    assert right >= 0.9 * found


def test_cancel_stops_within_one_step():
    samples = make_samples(6, 48, seed=3)
    done = threading.Event()
    steps_seen = []
    gen = seg.train(samples, CLASS_NAMES, {**FAST, "max_steps": 50}, seed=0, cancel=done)

    def on_event(ev):
        if ev.kind == "step":
            steps_seen.append(ev.step)
            if ev.step == 3:
                done.set()

    result = seg.run_training(gen, on_event)
    assert steps_seen == [1, 2, 3]
    assert result.stopped == "cancelled" and result.steps == 3
    assert result.model is not None and result.metrics == {}


def test_cancel_before_the_first_step_returns_no_model():
    samples = make_samples(4, 48, seed=3)
    result = seg.run_training(seg.train(samples, CLASS_NAMES, FAST, cancel=lambda: True))
    assert result.stopped == "cancelled" and result.steps == 0 and result.model is None


def stop_and_save_at(stop_step: int, cancel_in_final: bool = False, **cfg):
    """Train 6 images, "stop and save" after the step event ``stop_step``; optionally a plain
    cancel as soon as the final validation is announced. Returns (result, events)."""
    samples = make_samples(6, 48, seed=3)
    finish, cancel = threading.Event(), threading.Event()
    events: list[seg.TrainEvent] = []

    def on_event(ev):
        events.append(ev)
        if ev.kind == "step" and ev.step == stop_step:
            finish.set()
        if cancel_in_final and ev.kind == "note" and ev.message.startswith("stopped at step"):
            cancel.set()

    gen = seg.train(
        samples, CLASS_NAMES, {**FAST, "max_steps": 50, **cfg}, seed=0, cancel=cancel, finish=finish
    )
    return seg.run_training(gen, on_event), events


def test_stop_and_save_validates_once_more():
    # stopped before the first validation: one validation of the last weights, then return
    result, events = stop_and_save_at(3, val_every=1000)
    assert [e.step for e in events if e.kind == "step"] == [1, 2, 3]
    assert [(e.kind, e.step) for e in events[-2:]] == [("note", 3), ("validation", 3)]
    assert events[-2].message == "stopped at step 3: validating on 1 held-out image(s)"
    assert result.stopped == "stopped" and result.steps == 3
    assert result.metrics["step"] == 3 and set(result.metrics["iou"]) == {
        "background",
        *CLASS_NAMES,
    }
    assert result.model.metrics == result.metrics and result.model.training["stopped"] == "stopped"
    assert events[-1].mean_iou == result.metrics["mean_iou"] and events[-1].best
    # steps since the last validation: validated again; the better of the two is kept
    result, events = stop_and_save_at(3, val_every=2)
    assert [v["step"] for v in result.validations] == [2, 3] and result.steps == 3
    best = max(result.validations, key=lambda v: v["mean_iou"])  # ties: the first
    assert result.metrics["step"] == best["step"]
    # asked for during the step whose validation follows: that validation completes (stop
    # and save does not interrupt it) and none is repeated
    result, events = stop_and_save_at(4, val_every=2)
    assert [v["step"] for v in result.validations] == [2, 4] and result.steps == 4
    assert [e.step for e in events if e.kind == "step"][-1] == 4
    assert not any(e.kind == "note" and e.message.startswith("stopped at") for e in events)
    # a plain cancel still interrupts the final validation: no metrics, reported as cancelled
    result, events = stop_and_save_at(3, cancel_in_final=True, val_every=1000)
    assert result.stopped == "cancelled" and result.steps == 3 and result.metrics == {}
    assert not any(e.kind == "validation" for e in events)


def test_cancel_during_validation_stops_it():
    samples = make_samples(6, 48, seed=3)
    state = {"armed": False, "calls": 0}

    def cancel():
        # arm after step 2; validation (val_every=2) then checks cancel between images
        state["calls"] += 1
        return state["armed"]

    gen = seg.train(samples, CLASS_NAMES, {**FAST, "val_every": 2, "max_steps": 20}, cancel=cancel)
    kinds = []
    for ev in gen:
        kinds.append((ev.kind, ev.step))
        if ev.kind == "step" and ev.step == 2:
            state["armed"] = True
    assert ("validation", 2) not in kinds
    assert [k for k in kinds if k[0] == "step"][-1] == ("step", 2)


def test_early_stopping_restores_best():
    samples = make_samples(6, 48, seed=4)
    cfg = {**FAST, "max_steps": 100, "val_every": 5, "patience": 2, "min_delta": 1.0}
    result = seg.run_training(seg.train(samples, CLASS_NAMES, cfg, seed=1))
    # min_delta 1.0 can never be met: the first validation is the best, two more stop it
    assert result.stopped == "early_stopping" and result.steps == 15
    assert result.metrics["step"] == 5
    assert [v["step"] for v in result.validations] == [5, 10, 15]


def test_threads_are_capped_and_restored():
    before = torch.get_num_threads()
    samples = make_samples(4, 48, seed=5)
    result = seg.run_training(
        seg.train(samples, CLASS_NAMES, {**FAST, "max_steps": 2, "threads": 64}, device="cpu")
    )
    assert 1 <= result.model.training["threads"] <= seg_cores()
    assert torch.get_num_threads() == before


def seg_cores() -> int:
    from labeldesk.models.seg.training import usable_cores

    return usable_cores()


def test_same_seed_same_run():
    samples = make_samples(4, 48, seed=6)
    cfg = {**FAST, "max_steps": 4}
    a = seg.run_training(seg.train(samples, CLASS_NAMES, cfg, seed=3))
    b = seg.run_training(seg.train(samples, CLASS_NAMES, cfg, seed=3))
    assert a.losses == b.losses
    c = seg.run_training(seg.train(samples, CLASS_NAMES, cfg, seed=4))
    assert a.losses != c.losses


def test_deeplab_and_boundary_channel_train():
    samples = make_samples(6, 64, seed=8, touching=True)
    arch = {"arch": "deeplab", "width": 8, "blocks": [1, 1, 1], "boundary": True}
    cfg = {**FAST, "arch": arch, "max_steps": 40, "val_every": 40}
    result = seg.run_training(seg.train(samples, CLASS_NAMES, cfg, seed=0))
    assert result.model.has_boundary and result.model.arch["arch"] == "deeplab"
    losses = [v for _, v in result.losses]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    pred = seg.predict_instances(result.model, samples[0].image)
    assert pred.boundary is not None and pred.boundary.shape == (64, 64)
    assert pred.probs.shape == (3, 64, 64)
    np.testing.assert_allclose(pred.probs.sum(axis=0), 1.0, atol=1e-4)
    assert 0.0 <= pred.uncertainty <= 1.0


# -- bad input ---------------------------------------------------------------------------------


def first_event(samples, names=CLASS_NAMES, **cfg):
    return next(seg.train(samples, names, {**FAST, "max_steps": 2, **cfg}))


def test_too_few_images():
    with pytest.raises(TrainingDataError, match="at least 2 labeled images.*found 1"):
        first_event(make_samples(1, 48))


def test_only_background():
    samples = [(s.image, np.zeros_like(s.label)) for s in make_samples(3, 48)]
    with pytest.raises(TrainingDataError, match="only background"):
        first_event(samples)


def test_one_class_everywhere():
    samples = [(s.image, np.full_like(s.label, 2)) for s in make_samples(3, 48)]
    with pytest.raises(TrainingDataError, match="every labeled pixel .* is 'square'"):
        first_event(samples)


def test_no_classes():
    with pytest.raises(TrainingDataError, match="no classes"):
        first_event(make_samples(3, 48), names=[])


def test_bad_setting_is_named():
    with pytest.raises(ModelError, match="unknown training setting.*crop"):
        first_event(make_samples(3, 48), crop=5)
    with pytest.raises(ModelError, match="unknown network architecture 'resnet'"):
        first_event(make_samples(3, 48), arch={"arch": "resnet"})


def test_mixed_sizes_and_channels_train_with_notes():
    a, b, c = make_samples(3, 64, seed=9)
    small = make_samples(1, 40, seed=10)[0]
    gray = (c.image.mean(axis=2)).astype(np.uint8)
    samples = [
        (a.image, a.label),
        (b.image[:50], b.label[:50]),
        (gray, c.label),
        (small.image, small.label),
    ]
    gen = seg.train(samples, CLASS_NAMES, {**FAST, "max_steps": 3, "val_every": 3})
    events = []
    result = seg.run_training(gen, events.append)
    notes = " | ".join(e.message for e in events if e.kind == "note")
    assert "1 image(s) gray, converted to RGB" in notes
    assert "different sizes" in notes
    assert result.steps == 3 and result.metrics  # validated on whole images of any size
