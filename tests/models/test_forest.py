"""The pixel classifier on the real nuclei: floors from polygons and from strokes (fixed seed,
default settings; a forest trains in seconds, so no time budget is involved), file round
trip without pickle, ``labeldesk train --arch forest`` and ``labeldesk prelabel --model``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from labeldesk.cli import main
from labeldesk.core.errors import ModelError
from labeldesk.core.machine import mark_machine
from labeldesk.core.shapes import Shape
from labeldesk.models.seg.forest import save_forest
from labeldesk.models.seg.forest_train import (
    labels_from_shapes,
    samples_from_folder,
    train_forest,
)
from labeldesk.models.seg.model import load_model
from tests.models.nuclei_data import held_out, iou, make_folder, tile

CLASSES = ["nucleus"]


@pytest.fixture(scope="module")
def polygons(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("poly"), kind="polygons")


@pytest.fixture(scope="module")
def forest(polygons: Path):
    samples, notes = samples_from_folder(polygons, CLASSES)
    assert len(samples) == 3 and not notes
    return train_forest(samples, CLASSES, seed=0)


def test_forest_from_polygons_reaches_the_floor_on_a_held_out_tile(forest) -> None:
    image, truth = held_out()
    labels, confidence = forest.model.predict(image)
    assert iou(labels, truth) >= 0.85
    assert labels.shape == truth.shape and np.all((confidence >= 0.5) & (confidence <= 1))
    assert forest.metrics["mean_iou"] >= 0.78 and len(forest.val_names) == 1


def test_forest_from_a_handful_of_strokes_is_usable(tmp_path: Path) -> None:
    folder = make_folder(tmp_path, kind="strokes")
    samples, _ = samples_from_folder(folder, CLASSES)
    labeled = sum(int((s.label != 255).sum()) for s in samples)
    assert labeled < 0.03 * 3 * 256 * 256  # strokes, not masks: under 3 % of the pixels
    result = train_forest(samples, CLASSES, seed=0)
    image, truth = held_out()
    assert iou(result.model.predict(image)[0], truth) >= 0.75


def test_strokes_leave_unpainted_pixels_unknown_polygons_do_not() -> None:
    fg = Shape("nucleus", [[2, 2], [5, 5]], "rectangle")
    bg = Shape("background", [[10, 10], [12, 12]], "rectangle")
    dense = labels_from_shapes([fg], (16, 16), CLASSES)
    assert dense[3, 3] == 1 and dense[0, 0] == 0 and 255 not in dense
    sparse = labels_from_shapes([fg, bg], (16, 16), CLASSES)
    assert sparse[3, 3] == 1 and sparse[11, 11] == 0 and sparse[0, 0] == 255
    # machine-made shapes are left out unless asked for
    made = mark_machine(Shape("nucleus", [[8, 0], [9, 1]], "rectangle"), "forest")
    assert labels_from_shapes([fg, made], (16, 16), CLASSES)[0, 8] == 0
    assert labels_from_shapes([fg, made], (16, 16), CLASSES, include_machine=True)[0, 8] == 1


def test_one_class_drawn_is_refused_with_a_message(tmp_path: Path) -> None:
    image, ins = tile(0)
    from labeldesk.models.seg.dataset import Sample, TrainingDataError

    only = Sample(image, np.where(ins > 0, 1, 255).astype(np.uint8), None, "a")
    with pytest.raises(TrainingDataError, match="at least two classes"):
        train_forest([only], CLASSES)


def test_files_round_trip_without_pickle_and_damage_is_named(forest, tmp_path: Path) -> None:
    weights, sidecar = save_forest(forest.model, tmp_path / "m.pt")
    assert weights.name == "m.npz" and sidecar.name == "m.json"
    meta = json.loads(sidecar.read_text())
    assert meta["format"] == "labeldesk-seg" and meta["architecture"]["arch"] == "forest"
    assert meta["weights"] == "m.npz" and meta["classes"] == CLASSES
    with np.load(weights, allow_pickle=False) as data:  # plain arrays only
        assert all(data[k].dtype != object for k in data.files)
    loaded = load_model(sidecar, classes=CLASSES)
    image, _ = held_out()
    feats = forest.model.features(image)  # the same features: the same probabilities
    np.testing.assert_array_equal(
        loaded.proba_from_features(feats), forest.model.proba_from_features(feats)
    )
    weights.write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match="m.npz"):
        load_model(sidecar)
    weights.unlink()
    with pytest.raises(ModelError, match="m.npz: forest weights file not found"):
        load_model(sidecar)


def run(args: list[str]) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as mp:
        out, err = io.StringIO(), io.StringIO()
        mp.setattr("sys.stdout", out)
        mp.setattr("sys.stderr", err)
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def test_train_forest_cli_then_prelabel_with_it(polygons: Path, tmp_path: Path) -> None:
    code, out, err = run(["train", str(polygons), "--arch", "forest"])
    assert code == 0, err
    sidecar = polygons / ".labeldesk" / "model.json"
    assert (polygons / ".labeldesk" / "model.npz").is_file() and sidecar.is_file()
    assert "trained a pixel classifier" in out and "nucleus" in out and f"{sidecar.name}" in out
    from labeldesk.models.proposals import find_trained_model

    assert find_trained_model(polygons) == sidecar  # the app finds it for the folder
    # prelabel a folder holding only the held-out tile
    import cv2

    image, ins = tile(3)
    new = tmp_path / "new"
    new.mkdir()
    cv2.imwrite(str(new / "t3.png"), image[:, :, 0])
    code, out, err = run(["prelabel", str(new), "--model", str(sidecar)])
    assert code == 0, out + err
    shapes = json.loads((new / "t3.json").read_text())["shapes"]
    truth = len(np.unique(ins[ins > 0]))
    assert {s["label"] for s in shapes} == {"nucleus"}
    assert 0.7 * truth <= len(shapes) <= 1.3 * truth  # touching nuclei are split
