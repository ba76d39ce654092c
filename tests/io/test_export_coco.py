"""COCO export: loads in pycocotools, annToMask equals our pixels, polygons vs RLE."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from labeldesk.cli import main
from labeldesk.io.export import ExportOptions, export_dataset, read_labels, run_to_end
from labeldesk.io.export.outline import corner_outlines
from labeldesk.io.export.raster import rasterize
from labeldesk.io.labelme import read_labelme

DATA = Path(__file__).resolve().parents[1] / "data" / "export"
LABELS = read_labels(DATA / "labels.txt")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools on numpy 2


def load_coco(path: Path) -> COCO:
    coco = COCO()
    coco.dataset = json.loads(path.read_text())
    coco.createIndex()
    return coco


def export_coco(src, out, **options):
    task = export_dataset("coco", src, out, ExportOptions(LABELS, **options), workers=1)
    return run_to_end(task)


def expected_objects(json_path: Path):
    """(label, visible pixels) of every exported object, from the reference maps."""
    doc = read_labelme(json_path)
    raster = rasterize(doc.shapes, (doc.image_height, doc.image_width), LABELS)
    out = []
    for k, inst in enumerate(raster.instances, start=1):
        if inst.value > 0 and (raster.ins == k).any():
            out.append((inst.label, raster.ins == k, inst))
    return out


def test_loads_in_pycocotools_and_masks_equal_our_pixels(tmp_path):
    out = tmp_path / "coco"
    report = export_coco(DATA / "src", out)
    assert report.exit_code == 0, report.lines()
    coco = COCO(str(out / "annotations.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["cat", "dog", "bird"]
    assert coco.getCatIds() == [1, 2, 3]
    for img in coco.loadImgs(coco.getImgIds()):
        assert (out / img["file_name"]).is_file()
        stem = Path(img["file_name"]).stem
        expected = expected_objects(DATA / "src" / f"{stem}.json")
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[img["id"]]))
        assert len(anns) == len(expected)  # one annotation per instance (label, group_id)
        for ann, (label, mask, _) in zip(anns, expected, strict=True):
            assert coco.cats[ann["category_id"]]["name"] == label
            got = coco.annToMask(ann).astype(bool)
            assert np.array_equal(got, mask), (stem, label)
            ys, xs = np.nonzero(mask)
            assert ann["area"] == mask.sum()
            assert ann["bbox"] == [
                xs.min(),
                ys.min(),
                xs.max() - xs.min() + 1,
                ys.max() - ys.min() + 1,
            ]
            assert ann["iscrowd"] == 0


def test_polygons_for_shapes_rle_for_masks_and_holes(tmp_path):
    out = tmp_path / "coco"
    export_coco(DATA / "src", out)
    coco = load_coco(out / "annotations.json")
    image = next(i for i in coco.dataset["images"] if "all_shapes" in i["file_name"])
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
    expected = expected_objects(DATA / "src/all_shapes.json")
    doc = read_labelme(DATA / "src/all_shapes.json")
    kinds = {}
    for ann, (_, mask, inst) in zip(anns, expected, strict=True):
        seg = ann["segmentation"]
        types = {doc.shapes[i].shape_type for i in inst.shapes}
        has_hole = corner_outlines(mask)[1]
        if "mask" in types or has_hole:
            assert isinstance(seg, dict) and isinstance(seg["counts"], str), types
        else:
            assert isinstance(seg, list), types
            assert all(len(p) >= 8 and len(p) % 2 == 0 for p in seg)  # real rings
        for t in types:
            kinds.setdefault(t, set()).add("rle" if isinstance(seg, dict) else "polygon")
    assert kinds["mask"] == {"rle"}
    assert kinds["circle"] == {"polygon"} and kinds["point"] == {"polygon"}
    assert kinds["line"] == {"polygon"}  # a rasterized 10 px line, not a 2-point polygon
    assert "rle" in kinds["rectangle"]  # the dog rectangle has a _background_ hole in it
    assert len(anns) == 10  # 12 instances less _background_ and __ignore__


def test_rle_everywhere_and_hidden_objects_reported(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DATA / "src/overlap.png", src)
    doc = json.loads((DATA / "src/overlap.json").read_text())
    doc["shapes"].append(  # a dog that a later cat hides entirely
        {"label": "dog", "points": [[6, 0], [7, 1]], "shape_type": "rectangle", "group_id": 9}
    )
    doc["shapes"].append(
        {"label": "cat", "points": [[6, 0], [7, 1]], "shape_type": "rectangle", "group_id": 1}
    )
    (src / "overlap.json").write_text(json.dumps(doc))
    out = tmp_path / "coco"
    report = export_coco(src, out, segmentation="rle", noviz=True)
    assert report.exit_code == 0
    assert [w for _, w in report.warnings] == [
        "object 'dog' (shape 4) is hidden by later shapes or lies outside the image; not exported"
    ]
    coco = load_coco(out / "annotations.json")
    anns = coco.dataset["annotations"]
    assert [a["id"] for a in anns] == [1, 2, 3]
    assert all(isinstance(a["segmentation"], dict) for a in anns)
    cat_pieces = coco.annToMask(anns[2]).astype(bool)
    assert cat_pieces.sum() == 6 and cat_pieces[5, :2].all() and cat_pieces[0:2, 6:8].all()
    assert not (out / "Visualization").exists()


def test_cli_writes_images_and_visualizations(tmp_path):
    out = tmp_path / "coco"
    args = ["export", "coco", str(DATA / "src"), str(out), "--labels", str(DATA / "labels.txt")]
    assert main(args) == 0
    data = json.loads((out / "annotations.json").read_text())
    assert [i["file_name"] for i in data["images"]] == [
        "JPEGImages/all_shapes.jpg",
        "JPEGImages/overlap.jpg",
    ]
    assert sorted(p.name for p in (out / "Visualization").iterdir()) == [
        "all_shapes.jpg",
        "overlap.jpg",
    ]
    # polygons decode the same way in pycocotools' low-level API
    h, w = data["images"][0]["height"], data["images"][0]["width"]
    for ann in data["annotations"]:
        if isinstance(ann["segmentation"], list):
            rle = mask_utils.merge(mask_utils.frPyObjects(ann["segmentation"], h, w))
            assert mask_utils.area(rle) == ann["area"]


def test_rle_from_a_crop_is_the_same_as_pycocotools_encode():
    from labeldesk.io.export.coco import encode_rle

    rng = np.random.default_rng(3)
    for trial in range(400):
        h, w = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        full = rng.random((h, w)) < rng.uniform(0.05, 1.0)
        if trial % 5 == 0:
            full[:, : max(1, w // 3)] = True  # runs that wrap from one column to the next
        ys, xs = np.nonzero(full)
        if ys.size == 0:
            continue
        crop = full[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        got = encode_rle(crop, int(xs.min()), int(ys.min()), (h, w))
        want = mask_utils.encode(np.asfortranarray(full.astype(np.uint8)))
        assert got["counts"] == want["counts"] and list(got["size"]) == [h, w], trial
