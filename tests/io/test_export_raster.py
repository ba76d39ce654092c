"""The export's class/object maps: same pixels as the reference rasterizer, labels parsing."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms.rasterize import shapes_to_label
from labeldesk.core.errors import ExportError
from labeldesk.core.shapes import Shape
from labeldesk.io.export.labels import parse_labels, read_labels
from labeldesk.io.export.raster import rasterize

LABELS = parse_labels(["__ignore__", "_background_", "cat", "dog"])
COUNTS = {"polygon": 5, "rectangle": 2, "circle": 2, "line": 2, "linestrip": 4, "point": 1,
          "oriented_rectangle": 4, "mask": 2}  # fmt: skip


def random_shapes(rng: np.random.Generator, h: int, w: int, n: int) -> list[Shape]:
    shapes = []
    for _ in range(n):
        kind = str(rng.choice(list(COUNTS)))
        label = str(
            rng.choice(["cat", "dog", "__ignore__", "_background_"], p=[0.4, 0.4, 0.1, 0.1])
        )
        gid = int(rng.integers(0, 3)) if rng.random() < 0.3 else None
        if kind == "mask":
            x0, y0 = int(rng.integers(-8, w)), int(rng.integers(-8, h))
            mh, mw = int(rng.integers(1, 15)), int(rng.integers(1, 15))
            bitmap = rng.random((mh, mw)) < 0.6
            pts = [[x0, y0], [x0 + mw - 1, y0 + mh - 1]]
            shapes.append(Shape(label, pts, "mask", group_id=gid, mask=bitmap))
            continue
        pts = rng.uniform(-10, max(h, w) + 10, (COUNTS[kind], 2))
        if rng.random() < 0.3:
            pts = np.round(pts)
        shapes.append(Shape(label, pts, kind, group_id=gid))
    return shapes


def test_maps_equal_reference_rasterizer_for_every_shape_type():
    rng = np.random.default_rng(0)
    for trial in range(60):
        h, w = int(rng.integers(8, 50)), int(rng.integers(8, 50))
        shapes = random_shapes(rng, h, w, int(rng.integers(1, 12)))
        raster = rasterize(shapes, (h, w), LABELS)
        cls, ins, keys = shapes_to_label((h, w), shapes, LABELS.values)
        ins[cls == -1] = 0  # labelme2voc's rule for __ignore__ pixels
        assert np.array_equal(raster.cls, cls), trial
        assert np.array_equal(raster.ins, ins), trial
        assert [(i.label, i.group_id) for i in raster.instances] == [
            (k[0], k[1] if isinstance(k[1], int) else None) for k in keys
        ]
        for k in range(1, len(raster.instances) + 1):
            vis = raster.visible(k)
            full = ins == k
            if vis is None:
                assert not full.any()
                continue
            crop, x0, y0 = vis
            assert crop.sum() == full.sum()
            assert np.array_equal(full[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]], crop)


def test_unknown_labels_are_skipped_and_listed():
    shapes = [
        Shape("cat", [[0, 0], [3, 3]], "rectangle"),
        Shape("zebra", [[2, 2], [5, 5]], "rectangle"),
        Shape("zebra", [[6, 6], [7, 7]], "rectangle"),
    ]
    raster = rasterize(shapes, (10, 10), LABELS)
    assert raster.unknown == ["zebra"]
    assert len(raster.instances) == 1
    assert raster.cls[4, 4] == 0 and raster.cls[3, 3] == 1


def test_instance_ids_never_wrap():
    shapes = [Shape("cat", [[i % 30, i // 30]], "point") for i in range(600)]
    raster = rasterize(shapes, (40, 40), LABELS)
    assert raster.ins.max() == 600
    assert raster.ins[19, 29] == 600  # the last point, drawn last


def test_labels_file_values(tmp_path):
    f = tmp_path / "labels.txt"
    f.write_text("__ignore__\n_background_\ncat\ndog\n\n")
    labels = read_labels(f)
    assert labels.names == ("_background_", "cat", "dog")
    assert labels.values == {"_background_": 0, "cat": 1, "dog": 2, "__ignore__": -1}
    # both special lines optional; classes still start at 1
    assert read_labels("cat,dog").values == {"_background_": 0, "cat": 1, "dog": 2}
    assert not read_labels("cat,dog").has_ignore
    # a blank line keeps its number, as in labelme
    assert parse_labels(["_background_", "cat", "", "dog"]).values["dog"] == 3


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["cat", "cat"], "listed twice"),
        (["cat", "__ignore__"], "__ignore__ may only be the first line"),
        (["cat", "_background_"], "_background_ may only be the first line"),
        (["__ignore__", "_background_"], "no classes"),
    ],
)
def test_bad_labels_files_are_refused(lines, message):
    with pytest.raises(ExportError, match=message):
        parse_labels(lines, "labels.txt")


def test_missing_labels_file(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        read_labels(tmp_path / "nope.txt")


def test_mask_corners_rounded_as_labelme_791() -> None:
    """Issue 11: the export pastes a mask shape's bitmap at its corner rounded as labelme 7.9.1
    does (the goldens were drawn by labelme 7.9.1 itself), not truncated: fractional corners,
    halves, and corners off the image."""
    import json
    from pathlib import Path

    data = Path(__file__).parents[1] / "data" / "labelme"
    doc = json.loads((data / "shapes_79.json").read_text())
    h, w = doc["size"]
    golden = np.unpackbits(np.load(data / "shapes_79_masks.npz")["masks"], axis=-1, count=w)
    checked = 0
    for i, s in enumerate(doc["shapes"]):
        if s["shape_type"] != "mask":
            continue
        shape = Shape("cat", s["points"], "mask", mask=np.array(s["bitmap"], bool))
        raster = rasterize([shape], (h, w), LABELS)
        want = golden[i].astype(bool)
        assert np.array_equal(raster.ins == 1, want), s["points"]
        vis = raster.visible(1)
        assert vis is not None and int(vis[0].sum()) == int(want.sum()), s["points"]
        checked += 1
    assert checked == 6
