"""Auto-segment proposals: the classical method on the bundled sample (no model at all), and
a trained model's classes. The sample's 01-street.json holds a person's outlines of the
scene; the proposals must find those objects."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from labeldesk.algorithms.rasterize import polygons_to_mask, shape_to_mask
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
    assert all(0.0015 * h * w <= p.area <= 0.35 * h * w for p in found)
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
    fractions = []
    try:
        while True:
            fractions.append(next(steps)[0])
    except StopIteration as stop:
        found = stop.value
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and found


def test_trained_model_gives_its_classes(tmp_path: Path) -> None:
    from labeldesk.models.device import import_torch

    torch = import_torch()
    from labeldesk.models.seg import SegModel, build_network, network_config, save_model

    cfg = network_config({"arch": "unet", "width": 4, "depth": 2, "num_classes": 3, "norm": "none"})
    net = build_network(cfg).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        last = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)][-1]
        last.bias.copy_(torch.tensor([0.0, 0.0, 5.0]))  # "dog" everywhere
    assert find_trained_model(tmp_path) is None
    save_model(SegModel(net, ["cat", "dog"], cfg), tmp_path / "model.pt")
    assert find_trained_model(tmp_path) == tmp_path / "model.json"
    s = AssistSession()
    info = s.load(tmp_path / "model.json", device="cpu")
    assert (
        info.kind == "trained" and info.classes == ["cat", "dog"] and s.resolve_source() == "model"
    )
    image = np.zeros((48, 64, 3), np.uint8)
    found = run_steps(s.proposals(image))
    assert len(found) == 1 and found[0].label == "dog" and found[0].source == "model"
    assert found[0].area == 48 * 64
