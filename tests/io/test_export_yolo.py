"""YOLO segmentation export: layout, class indices, normalised polygons that hold the pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from labeldesk.cli import main
from labeldesk.io.export import read_labels
from labeldesk.io.export.raster import rasterize
from labeldesk.io.labelme import read_labelme

DATA = Path(__file__).resolve().parents[1] / "data" / "export"
LABELS = read_labels(DATA / "labels.txt")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools on numpy 2


def test_yolo_layout_and_polygons(tmp_path, capsys):
    out = tmp_path / "yolo"
    args = ["export", "yolo", str(DATA / "src"), str(out), "--labels", str(DATA / "labels.txt"),
            "--val-fraction", "0.5"]  # fmt: skip
    assert main(args) == 0
    yaml = (out / "data.yaml").read_text()
    assert "train: images/train\nval: images/val\nnc: 3\n" in yaml
    assert '  0: "cat"\n  1: "dog"\n  2: "bird"\n' in yaml
    assert (out / "classes.txt").read_text() == "cat\ndog\nbird\n"
    images = sorted(p.relative_to(out).as_posix() for p in out.glob("images/*/*.jpg"))
    labels = sorted(p.relative_to(out).as_posix() for p in out.glob("labels/*/*.txt"))
    assert len(images) == 2 and {Path(p).parent.name for p in images} == {"train", "val"}
    assert labels == [p.replace("images", "labels").replace(".jpg", ".txt") for p in images]
    warnings = capsys.readouterr().err
    assert "has holes, which YOLO polygons cannot hold" in warnings

    txt = next(out.glob("labels/*/overlap.txt")).read_text().splitlines()
    doc = read_labelme(DATA / "src/overlap.json")
    raster = rasterize(doc.shapes, (6, 8), LABELS)
    assert [int(line.split()[0]) for line in txt] == [0, 1, 0]  # cat, dog, cat
    for k, line in enumerate(txt, start=1):
        coords = np.array(line.split()[1:], dtype=float).reshape(-1, 2)
        assert coords.min() >= 0 and coords.max() <= 1
        ring = (coords * (8, 6)).ravel().tolist()
        # the ring runs along pixel edges: area-based rasterization gives back the pixels
        got = mask_utils.decode(mask_utils.frPyObjects([ring], 6, 8)).squeeze().astype(bool)
        assert np.array_equal(got, raster.ins == k), k
