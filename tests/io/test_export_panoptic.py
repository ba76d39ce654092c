"""COCO panoptic export: PNG ids, segments_info and categories as panopticapi reads them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeldesk.cli import main
from labeldesk.core.errors import ExportError
from labeldesk.io.export import ExportOptions, export_dataset, read_labels
from labeldesk.io.export.raster import rasterize
from labeldesk.io.labelme import read_labelme

DATA = Path(__file__).resolve().parents[1] / "data" / "export"
LABELS = read_labels(DATA / "labels.txt")


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """panopticapi's utils.rgb2id, written out."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def test_panoptic_png_and_json_agree(tmp_path):
    out = tmp_path / "pan"
    args = ["export", "coco-panoptic", str(DATA / "src"), str(out),
            "--labels", str(DATA / "labels.txt"), "--stuff", "dog"]  # fmt: skip
    assert main(args) == 0
    data = json.loads((out / "panoptic.json").read_text())
    cats = {c["id"]: c for c in data["categories"]}
    assert {c["name"]: c["isthing"] for c in cats.values()} == {"cat": 1, "dog": 0, "bird": 1}
    assert cats[2]["color"] == [0, 128, 0]
    images = {i["id"]: i for i in data["images"]}
    for ann in data["annotations"]:
        image = images[ann["image_id"]]
        assert (out / image["file_name"]).is_file()
        with Image.open(out / "panoptic" / ann["file_name"]) as im:
            assert im.mode == "RGB"
            ids = rgb2id(np.asarray(im))
        infos = {s["id"]: s for s in ann["segments_info"]}
        present = set(np.unique(ids).tolist()) - {0}
        assert present == set(infos)  # every segment in the PNG is listed, and only those
        for seg_id, info in infos.items():
            m = ids == seg_id
            ys, xs = np.nonzero(m)
            assert info["area"] == m.sum()
            assert info["bbox"] == [
                xs.min(),
                ys.min(),
                xs.max() - xs.min() + 1,
                ys.max() - ys.min() + 1,
            ]
            assert info["category_id"] in cats
        stem = Path(ann["file_name"]).stem
        doc = read_labelme(DATA / "src" / f"{stem}.json")
        raster = rasterize(doc.shapes, (doc.image_height, doc.image_width), LABELS)
        assert np.array_equal(ids == 0, raster.cls <= 0)  # void = background and __ignore__
        dog_segments = [s for s in infos.values() if s["category_id"] == 2]
        assert len(dog_segments) <= 1  # stuff: one segment per class
        cat_instances = {k for k, i in enumerate(raster.instances, 1) if i.label == "cat"}
        cat_shown = {k for k in cat_instances if (raster.ins == k).any()}
        assert len([s for s in infos.values() if s["category_id"] == 1]) == len(cat_shown)
        for k in cat_shown:  # a thing segment is exactly one instance
            seg_ids = np.unique(ids[raster.ins == k])
            assert len(seg_ids) == 1 and np.array_equal(ids == seg_ids[0], raster.ins == k)


def test_unknown_stuff_class_is_refused(tmp_path):
    with pytest.raises(ExportError, match="--stuff names classes not in the labels file: sky"):
        export_dataset(
            "coco-panoptic", DATA / "src", tmp_path / "p", ExportOptions(LABELS, stuff=("sky",))
        )
