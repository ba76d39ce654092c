"""COCO import: RLE -> mask shapes, exact pixels, and the labelme -> COCO -> labelme round trip."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.cli import main
from labeldesk.core.errors import ExportError
from labeldesk.io.export import import_coco, read_labels, run_to_end
from labeldesk.io.export.importers import add_shapes, mask_to_shapes
from labeldesk.io.export.raster import rasterize
from labeldesk.io.labelme import read_labelme

DATA = Path(__file__).resolve().parents[1] / "data" / "export"
LABELS = read_labels(DATA / "labels.txt")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def objects(json_path: Path, labels=LABELS) -> list[tuple[str, bytes]]:
    """Every object's (label, visible pixels), sorted: what a round trip must keep."""
    doc = read_labelme(json_path)
    raster = rasterize(doc.shapes, (doc.image_height, doc.image_width), labels)
    out = []
    for k, inst in enumerate(raster.instances, start=1):
        mask = raster.ins == k
        if inst.value > 0 and mask.any():
            out.append((inst.label, np.packbits(mask).tobytes()))
    return sorted(out)


@pytest.mark.parametrize("segmentation", ["polygon", "rle"])
def test_labelme_coco_labelme_keeps_every_instance(tmp_path, segmentation):
    coco_dir, back = tmp_path / "coco", tmp_path / "back"
    args = ["export", "coco", str(DATA / "src"), str(coco_dir), "--labels", str(DATA / "labels.txt"),
            "--segmentation", segmentation, "--noviz"]  # fmt: skip
    assert main(args) == 0
    assert (
        main(["import", "coco", str(coco_dir / "annotations.json"), str(coco_dir), str(back)]) == 0
    )
    labels = read_labels(back / "labels.txt")
    assert labels.names == ("_background_", "cat", "dog", "bird")
    for stem in ("all_shapes", "overlap"):
        doc = read_labelme(back / f"{stem}.json")  # its imagePath points at the COCO image
        assert doc.image_file().resolve() == (coco_dir / "JPEGImages" / f"{stem}.jpg").resolve()
        assert objects(back / f"{stem}.json", labels) == objects(DATA / "src" / f"{stem}.json")
    doc = read_labelme(back / "all_shapes.json")
    kinds = [s.shape_type for s in doc.shapes]
    if segmentation == "rle":
        assert set(kinds) == {"mask"}
    else:
        assert "polygon" in kinds and "mask" in kinds  # masks and holes stay mask shapes
    cats = [s.shape_type for s in read_labelme(back / "overlap.json").shapes if s.label == "cat"]
    # RLE always becomes mask shapes; the two-piece cat has a 1-pixel-thin piece that no
    # polygon can hold, so it is one mask shape either way
    assert cats == (["mask", "mask"] if segmentation == "rle" else ["polygon", "mask"])


def test_mask_to_shapes_exact_polygons_grouped_pieces_and_fallback():
    mask = np.zeros((12, 16), bool)
    mask[1:5, 1:6] = True
    mask[6:11, 8:15] = True
    mask[7, 10] = False  # a one-pixel hole in the second piece
    shapes = mask_to_shapes(mask, "cat")
    assert [s.shape_type for s in shapes] == ["mask"]
    assert shapes[0].points.tolist() == [[1, 1], [14, 10]]
    mask[7, 10] = True
    shapes = mask_to_shapes(mask, "cat")
    assert [s.shape_type for s in shapes] == ["polygon", "polygon"]
    drawn = np.zeros_like(mask)
    for s in shapes:
        drawn |= shape_to_mask(mask.shape, s.points, "polygon")
    assert np.array_equal(drawn, mask)
    grouped: list = []
    add_shapes(grouped, shapes, [])
    assert {s.group_id for s in grouped} == {1}


def write_foreign_coco(folder: Path) -> Path:
    """A COCO file as other tools write it: 0-based polygons, compressed and crowd RLE."""
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(folder / "a.jpg")
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(folder / "b.jpg")
    blob = np.zeros((20, 30), np.uint8, order="F")
    blob[5:15, 18:28] = 1
    blob[8:11, 21:24] = 0  # a hole
    rle = mask_utils.encode(blob)
    crowd = np.zeros((20, 30), np.uint8)
    crowd[0:3, 0:30] = 1
    counts = []  # uncompressed column-major RLE, as COCO writes crowd regions
    flat = crowd.flatten(order="F")
    value, run = 0, 0
    for v in flat:
        if v != value:
            counts.append(run)
            value, run = v, 0
        run += 1
    counts.append(run)
    data = {
        "images": [{"id": 7, "file_name": "a.jpg", "height": 20, "width": 30},
                   {"id": 8, "file_name": "sub/b.jpg", "height": 20, "width": 30},
                   {"id": 9, "file_name": "gone.jpg", "height": 20, "width": 30}],
        "categories": [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 1, "iscrowd": 0,
             "segmentation": [[2.0, 4.0, 12.5, 4.0, 12.5, 16.0, 2.0, 16.0]]},
            {"id": 2, "image_id": 7, "category_id": 3, "iscrowd": 0,
             "segmentation": {"size": [20, 30], "counts": rle["counts"].decode()}},
            {"id": 3, "image_id": 7, "category_id": 1, "iscrowd": 1,
             "segmentation": {"size": [20, 30], "counts": counts}},
            {"id": 4, "image_id": 8, "category_id": 5, "iscrowd": 0,
             "segmentation": [[1, 1, 5, 1, 5, 5]]},
        ],
    }  # fmt: skip
    path = folder / "instances.json"
    path.write_text(json.dumps(data))
    return path, blob.astype(bool), crowd.astype(bool)


def test_foreign_coco_file(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    ann, blob, crowd = write_foreign_coco(src)
    out = tmp_path / "out"
    assert main(["import", "coco", str(ann), str(src), str(out), "--copy-images"]) == 1
    err = capsys.readouterr().err
    assert "gone.jpg: its image file was not found" in err
    assert "annotation 4: unknown category_id 5; skipped" in err
    assert (out / "a.jpg").is_file() and (out / "b.jpg").is_file()  # b found by its base name
    doc = read_labelme(out / "a.json")
    assert doc.image_path == "a.jpg" and (doc.image_height, doc.image_width) == (20, 30)
    labels = read_labels(out / "labels.txt")
    assert labels.names == ("_background_", "person", "car")
    person, car, crowd_shape = doc.shapes
    assert (person.label, person.shape_type) == ("person", "polygon")
    polygon = [[2.0, 4.0, 12.5, 4.0, 12.5, 16.0, 2.0, 16.0]]
    coco_pixels = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygon, 20, 30)))
    raster = rasterize(doc.shapes, (20, 30), labels)
    assert np.array_equal(raster.ins == 1, coco_pixels.astype(bool))  # as annToMask decodes it
    assert car.shape_type == "mask" and np.array_equal(raster.ins == 2, blob)  # the hole kept
    assert crowd_shape.description == "crowd" and np.array_equal(raster.ins == 3, crowd)


def test_keep_vertices(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    ann, _, _ = write_foreign_coco(src)
    run_to_end(import_coco(ann, src, tmp_path / "out", keep_vertices=True, workers=1))
    person = read_labelme(tmp_path / "out/a.json").shapes[0]
    assert person.points.tolist() == [[2.0, 4.0], [12.5, 4.0], [12.5, 16.0], [2.0, 16.0]]


def test_bad_coco_file_is_refused(tmp_path):
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(ExportError, match="not a COCO file"):
        import_coco(tmp_path / "x.json", tmp_path, tmp_path / "out")
    with pytest.raises(ExportError, match="does not exist"):
        import_coco(tmp_path / "nope.json", tmp_path, tmp_path / "out")
    shutil.rmtree(tmp_path)
