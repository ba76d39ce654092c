"""Result masks become one polygon, or one mask object when they have holes or parts."""

from __future__ import annotations

import numpy as np

from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.core.convert import mask_to_shape


def test_square_becomes_polygon_with_same_pixels() -> None:
    m = np.zeros((50, 60), bool)
    m[10:30, 20:45] = True
    s = mask_to_shape(m, "cat", tolerance=0)
    assert s.shape_type == "polygon" and s.label == "cat"
    got = shape_to_mask(m.shape, s.points, s.shape_type)
    assert (got == m).all()


def test_ring_becomes_mask_object_with_exact_pixels() -> None:
    yy, xx = np.mgrid[:80, :80]
    r = np.hypot(yy - 40, xx - 40)
    m = (r < 30) & (r > 12)
    s = mask_to_shape(m, "donut")
    assert s.shape_type == "mask"
    s.validate()
    assert (shape_to_mask(m.shape, s.points, "mask", mask=s.mask) == m).all()


def test_specks_dropped_and_empty_gives_none() -> None:
    m = np.zeros((40, 40), bool)
    m[5:25, 5:25] = True
    m[35, 35] = True  # a one-pixel speck
    s = mask_to_shape(m, "a", min_area=10)
    assert s.shape_type == "polygon"
    assert mask_to_shape(np.zeros((10, 10), bool), "a") is None
    assert mask_to_shape(m & False, "a") is None


def test_two_parts_become_one_mask_object() -> None:
    m = np.zeros((40, 40), bool)
    m[2:12, 2:12] = True
    m[20:30, 20:30] = True
    s = mask_to_shape(m, "pair", group_id=4)
    assert s.shape_type == "mask" and s.group_id == 4 and s.mask.sum() == 200
