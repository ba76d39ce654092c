"""Masks to polygons that give back the same pixels, in COCO's and in labelme's convention."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from pycocotools import mask as mask_utils

from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.io.export.outline import bridge_rings, center_polygons, corner_outlines

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def random_masks(seed: int, count: int, h: int = 40, w: int = 50):
    rng = np.random.default_rng(seed)
    for i in range(count):
        m = np.zeros((h, w), bool)
        for _ in range(int(rng.integers(1, 4))):
            kind = str(rng.choice(["polygon", "circle", "line", "point", "rectangle"]))
            n = {"polygon": int(rng.integers(3, 8)), "point": 1}.get(kind, 2)
            m |= shape_to_mask((h, w), rng.uniform(-5, max(h, w) + 5, (n, 2)), kind)
        if i % 4 == 0:
            m &= rng.random((h, w)) > 0.05  # ragged edges, pinholes, diagonal contacts
        yield m


def coco_decode(rings, h, w):
    polys = [r.ravel().astype(float).tolist() for r in rings]
    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polys, h, w))).astype(bool)


def test_corner_outlines_decode_exactly_in_pycocotools():
    exact = 0
    for m in random_masks(0, 300):
        rings, holes = corner_outlines(m)
        if not m.any():
            assert rings == []
            continue
        assert all(len(r) >= 4 for r in rings)
        if not holes:
            assert np.array_equal(coco_decode(rings, *m.shape), m)
            exact += 1
    assert exact > 150


def test_corner_outlines_of_a_crop_and_a_rectangle():
    m = np.zeros((5, 6), bool)
    m[1:3, 2:5] = True  # pixels x 2..4, y 1..2
    rings, holes = corner_outlines(m[1:3, 2:5], x0=2, y0=1)
    assert not holes
    assert sorted(map(tuple, rings[0].tolist())) == [(2, 1), (2, 3), (5, 1), (5, 3)]
    m[2, 3] = False
    m[1:4, 1:6] = True
    m[2, 3] = False
    assert corner_outlines(m)[1]  # a hole


def test_center_polygons_redraw_exactly_with_labelme_rule():
    checked = 0
    for m in random_masks(1, 300):
        polygons, ok = center_polygons(m)
        if not ok:
            continue
        canvas = Image.new("L", (m.shape[1], m.shape[0]), 0)
        draw = ImageDraw.Draw(canvas)
        for p in polygons:
            draw.polygon([tuple(map(float, q)) for q in p], outline=1, fill=1)
        assert np.array_equal(np.asarray(canvas, bool), m)
        checked += 1
    assert checked > 150


def test_bridged_ring_covers_all_pieces():
    m = np.zeros((20, 30), bool)
    m[2:6, 2:8] = True
    m[10:18, 20:28] = True
    m[12:15, 5:9] = True
    rings, _ = corner_outlines(m)
    assert len(rings) == 3
    ring = bridge_rings(rings)
    got = coco_decode([ring], 20, 30)
    assert np.array_equal(got, m)
