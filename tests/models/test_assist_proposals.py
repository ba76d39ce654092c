"""Auto-segment proposals: the classical method on the bundled sample (no model at all), a
trained model's classes (from the instances' crops), and where a trained model is found.
The sample's 01-street.json holds a person's outlines of the scene; the proposals must find
those objects."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from labeldesk.algorithms.rasterize import polygons_to_mask, shape_to_mask
from labeldesk.core.jobs import run_job
from labeldesk.io import load_image
from labeldesk.models.assist import AssistSession
from labeldesk.models.proposals import Proposal, classical_proposals, find_trained_model, run_steps

SAMPLE = Path(str(files("labeldesk.resources").joinpath("sample")))


@pytest.fixture(scope="module")
def street() -> tuple[np.ndarray, list[Proposal]]:
    image = load_image(SAMPLE / "01-street.jpg")
    return image, run_steps(AssistSession().proposals(image))


def best_iou(found: list[Proposal], truth: np.ndarray) -> float:
    size = truth.shape
    return max(
        float((p.full_mask(size) & truth).sum() / (p.full_mask(size) | truth).sum()) for p in found
    )


def test_no_model_on_the_sample_finds_the_objects(street) -> None:
    image, found = street
    h, w = image.shape[:2]
    assert 5 <= len(found) <= 80
    assert all(p.source == "classical" and p.label is None and 0 <= p.score <= 1 for p in found)
    assert all(0.0015 * h * w <= p.area <= 0.9 * h * w for p in found)
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)
    truth = json.loads((SAMPLE / "01-street.json").read_text())["shapes"]
    by_label: dict[str, list[float]] = {}
    for s in truth:
        mask = polygons_to_mask((h, w), [np.array(s["points"], dtype=float)])
        by_label.setdefault(s["label"], []).append(best_iou(found, mask))
    # measured 0.74 (car), 0.83 (road), 0.63 / 0.70 (houses: wall and roof are two regions)
    assert max(by_label["car"]) > 0.6
    assert max(by_label["road"]) > 0.7
    assert min(by_label["house"]) > 0.5


def test_proposals_become_sensible_polygons(street) -> None:
    image, found = street
    h, w = image.shape[:2]
    shapes = [p.to_shape() for p in found]
    assert all(s is not None for s in shapes)
    polygons = [s for s in shapes if s.shape_type == "polygon"]
    assert len(polygons) >= len(shapes) // 2
    for p, s in zip(found, shapes, strict=True):
        assert s.label == "object"
        pts = s.points
        assert pts.min() >= 0 and pts[:, 0].max() <= w - 1 and pts[:, 1].max() <= h - 1
        got = shape_to_mask((h, w), s.points, s.shape_type, mask=s.mask)
        truth = p.full_mask((h, w))
        assert (got & truth).sum() / (got | truth).sum() > 0.85


def test_classical_reports_progress_and_handles_gray_images() -> None:
    gray = load_image(SAMPLE / "02-fruit.jpg").mean(axis=2).astype(np.uint8)
    steps = classical_proposals(gray)
    fractions: list[float | None] = []
    found = run_job(steps, on_progress=lambda p: fractions.append(p.fraction))
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and found


def constant_model(classes: list[str], winner: int):
    """A tiny U-Net (random init, then zeroed) that predicts label ``winner`` everywhere."""
    from labeldesk.models.device import import_torch

    torch = import_torch()
    from labeldesk.models.seg import SegModel, build_network, network_config

    k = len(classes) + 1
    cfg = network_config({"arch": "unet", "width": 4, "depth": 2, "num_classes": k, "norm": "none"})
    net = build_network(cfg).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        last = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)][-1]
        last.bias.copy_(torch.tensor([5.0 if i == winner else 0.0 for i in range(k)]))
    return SegModel(net, list(classes), cfg)


def test_trained_model_gives_its_classes(tmp_path: Path, monkeypatch) -> None:
    from labeldesk.models.seg import save_model
    from labeldesk.models.seg.instances import Instance

    assert find_trained_model(tmp_path) is None
    save_model(constant_model(["cat", "dog"], 2), tmp_path / "model.pt")  # "dog" everywhere
    assert find_trained_model(tmp_path) == tmp_path / "model.json"
    s = AssistSession()
    info = s.load(tmp_path / "model.json", device="cpu")
    assert (
        info.kind == "trained" and info.classes == ["cat", "dog"] and s.resolve_source() == "model"
    )

    def no_full_mask(self):
        raise AssertionError("the proposals must use the instance's crop, not its full mask")

    monkeypatch.setattr(Instance, "mask", property(no_full_mask))
    image = np.zeros((48, 64, 3), np.uint8)
    found = run_steps(s.proposals(image))
    assert len(found) == 1 and found[0].label == "dog" and found[0].source == "model"
    assert found[0].area == 48 * 64 and found[0].origin == (0, 0)
    assert found[0].mask.shape == (48, 64) and found[0].mask.all()


def test_model_proposals_are_the_instances_crops(monkeypatch) -> None:
    import labeldesk.models.seg as seg
    from labeldesk.models.proposals import model_proposals
    from labeldesk.models.seg.instances import instances_from_labels

    labels = np.zeros((60, 80), np.uint8)
    labels[10:20, 30:50] = 1  # a 20x10 "cat" at (30, 10)
    labels[40:58, 5:15] = 2  # a 10x18 "dog" at (5, 40) with a notch
    labels[45, 5] = 0
    conf = np.full(labels.shape, 0.8, np.float32)
    conf[labels == 2] = 0.6
    insts = instances_from_labels(labels, ["cat", "dog"], confidence=conf, min_area=4)
    monkeypatch.setattr(seg, "predict_instances", lambda *a, **k: SimpleNamespace(instances=insts))
    found = run_steps(model_proposals(object(), np.zeros((60, 80, 3), np.uint8)))
    assert [(p.label, p.origin, p.mask.shape, p.area) for p in found] == [  # largest first
        ("cat", (30, 10), (10, 20), 200),
        ("dog", (5, 40), (18, 10), 179),
    ]
    assert [round(p.score, 3) for p in found] == [0.8, 0.6]
    for p in found:
        cid = 1 if p.label == "cat" else 2
        np.testing.assert_array_equal(p.full_mask(labels.shape), labels == cid)


def test_the_training_location_is_found_first(tmp_path: Path) -> None:
    from labeldesk.models.seg import save_model

    # a labelme file named model.json beside a stray model.pt is not a model
    (tmp_path / "model.json").write_text('{"version": "5.5.0", "shapes": []}')
    (tmp_path / "model.pt").write_bytes(b"not a model")
    assert find_trained_model(tmp_path) is None
    # where the training dialog and `labeldesk train` save by default
    _, sidecar = save_model(constant_model(["cat"], 1), tmp_path / ".labeldesk" / "model.pt")
    assert find_trained_model(tmp_path) == tmp_path / ".labeldesk" / "model.json" == sidecar
    # an older model saved in the folder itself does not win over it
    save_model(constant_model(["cat", "dog"], 2), tmp_path / "model.pt")
    assert find_trained_model(tmp_path) == sidecar
    s = AssistSession()
    assert s.load(find_trained_model(tmp_path), device="cpu").classes == ["cat"]
    found = run_steps(s.proposals(np.zeros((32, 40, 3), np.uint8)))
    assert [(p.label, p.area) for p in found] == [("cat", 32 * 40)]
