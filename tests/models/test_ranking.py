""" "What to label next": images ranked by a model's uncertainty, most uncertain first.

The model here is a one-class network whose output is known in closed form (the logit of
"thing" is ``(red - 128) / 16`` at every pixel), so every score can be computed by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from labeldesk.core.jobs import Progress
from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models.seg.model import SegModel  # noqa: E402
from labeldesk.models.seg.ranking import (  # noqa: E402
    drive,
    image_uncertainty,
    is_unlabeled,
    rank_by_uncertainty,
    unlabeled_images,
)
from labeldesk.models.seg.uncertainty import uncertainty_score  # noqa: E402


class RedIsThing(torch.nn.Module):
    stride = 1

    def __init__(self) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # gives the model a device
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        fg = (x[:, :1] - 128.0) / 16.0
        return torch.cat([torch.zeros_like(fg), fg], dim=1) + 0 * self.anchor


def model() -> SegModel:
    arch = {"arch": "unet", "num_classes": 2, "in_channels": 3}
    return SegModel(RedIsThing(), ["thing"], arch, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))


def expected_score(gray: np.ndarray) -> float:
    """The score from probabilities computed in numpy (no network)."""
    p = 1 / (1 + np.exp(-(gray.astype(np.float64) - 128) / 16))
    return uncertainty_score(np.stack([1 - p, p]).astype(np.float32))


def images() -> dict[str, np.ndarray]:
    patch = np.zeros((64, 64), np.uint8)
    patch[10:14, 20:24] = 128  # 16 doubtful pixels of 4096: damped by sqrt(share / 0.05)
    return {
        "a_black": np.zeros((64, 64), np.uint8),  # sure background: 0
        "b_half": np.full((64, 64), 128, np.uint8),  # p = 0.5 everywhere: 1
        "c_light": np.full((64, 64), 150, np.uint8),
        "d_white": np.full((64, 64), 255, np.uint8),  # sure "thing": near 0
        "e_patch": patch,
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name, gray in images().items():
        cv2.imwrite(str(tmp_path / f"{name}.png"), gray)
    (tmp_path / "f_broken.png").write_bytes(b"\x89PNG not really")
    return tmp_path


def test_images_are_ranked_most_uncertain_first(folder: Path) -> None:
    paths = sorted(folder.glob("*.png"))
    steps = rank_by_uncertainty(model(), paths)
    progress: list[Progress] = []
    ranking = drive(steps, progress.append)
    assert [p.stem for p in ranking.order()] == [
        "b_half",
        "c_light",
        "e_patch",
        "d_white",
        "a_black",
    ]
    want = {name: expected_score(gray) for name, gray in images().items()}
    for path, score in ranking.scores:
        assert score == pytest.approx(want[path.stem], abs=1e-5)
    h = -(0.8 * math.log(0.8) + 0.2 * math.log(0.2)) / math.log(2)
    assert want["b_half"] == pytest.approx(1.0, abs=1e-5)
    assert 0.65 < want["c_light"] < 0.8 and abs(want["c_light"] - h) < 0.05
    assert want["e_patch"] == pytest.approx(math.sqrt(16 / 4096 / 0.05), abs=1e-3)
    assert want["a_black"] == 0.0 and want["d_white"] < 0.01
    # the broken file is reported, not raised
    assert [p.name for p, _ in ranking.failed] == ["f_broken.png"]
    assert "f_broken.png" in ranking.failed[0][1]
    # progress: before each image, then done
    assert [p.fraction for p in progress] == [i / 6 for i in range(6)] + [1.0]
    assert progress[0].message == "scoring a_black.png (1/6)"
    assert progress[-1].message == "scored 5 image(s)"
    assert ranking.seconds > 0


def test_ties_keep_the_given_order_and_scores_match_one_image(folder: Path) -> None:
    m = model()
    names = ["b_half", "a_black", "b_half", "a_black"]
    ranking = drive(rank_by_uncertainty(m, [folder / f"{n}.png" for n in names]))
    assert [s for _, s in ranking.scores] == pytest.approx([1.0, 1.0, 0.0, 0.0], abs=1e-5)
    assert ranking.as_dict()[folder / "b_half.png"] == pytest.approx(1.0, abs=1e-5)
    rgb = np.repeat(images()["c_light"][:, :, None], 3, axis=2)
    assert image_uncertainty(m, rgb) == pytest.approx(expected_score(images()["c_light"]), abs=1e-5)


def test_closing_the_generator_stops_the_work(folder: Path) -> None:
    m = model()
    steps = rank_by_uncertainty(m, sorted(folder.glob("*.png")))
    next(steps)
    next(steps)  # the first image is scored when the second is announced
    steps.close()
    assert m.network.calls == 1


def test_unlabeled_images_of_a_folder(tmp_path: Path) -> None:
    for name in ("labeled", "empty", "none", "broken"):
        cv2.imwrite(str(tmp_path / f"{name}.png"), np.zeros((8, 8), np.uint8))
    shape = {"label": "thing", "points": [[1, 1], [5, 5]], "shape_type": "rectangle"}
    (tmp_path / "labeled.json").write_text(json.dumps({"shapes": [shape]}))
    (tmp_path / "empty.json").write_text(json.dumps({"shapes": []}))
    (tmp_path / "broken.json").write_text("{not json")
    assert [p.name for p in unlabeled_images(tmp_path)] == ["empty.png", "none.png"]
    assert not is_unlabeled(tmp_path / "broken.png")  # a person may be working on it
