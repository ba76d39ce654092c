from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from labeldesk.algorithms import Polygon, mask_to_polygons, polygons_to_mask, shape_to_mask


def ring_mask() -> np.ndarray:
    m = np.zeros((50, 70), bool)
    m[5:45, 5:65] = True
    m[15:35, 15:55] = False  # hole
    m[20:30, 25:45] = True  # island in the hole
    m[40:43, 67:69] = True  # separate small part
    return m


def test_polygons_with_holes_and_islands_round_trip_exactly() -> None:
    m = ring_mask()
    polys = mask_to_polygons(m, tolerance=0)
    assert all(isinstance(p, Polygon) for p in polys)
    assert len(polys) == 3
    outer = max(polys, key=lambda p: len(p.exterior) and np.ptp(p.exterior[:, 0]))
    assert len(outer.holes) == 1
    assert np.array_equal(polygons_to_mask(m.shape, polys), m)
    for p in polys:  # vertices are pixel centres of the part, (x, y) order, >= 3 points
        assert p.exterior.shape[1] == 2 and len(p.exterior) >= 3
        xs, ys = p.exterior[:, 0].astype(int), p.exterior[:, 1].astype(int)
        assert m[ys, xs].all()


def test_simplified_polygons_are_close_and_short() -> None:
    m = np.zeros((200, 200), np.uint8)
    cv2.circle(m, (100, 100), 80, 1, -1)
    cv2.circle(m, (100, 100), 30, 0, -1)
    m = m.astype(bool)
    exact = mask_to_polygons(m, tolerance=0)
    simple = mask_to_polygons(m, tolerance=1.0)
    assert len(simple) == 1 and len(simple[0].holes) == 1
    assert len(simple[0].exterior) < len(exact[0].exterior) / 3
    back = polygons_to_mask(m.shape, simple)
    assert (back & m).sum() / (back | m).sum() > 0.98


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (5, 1), (3, 3)])
def test_tiny_parts_stay_valid_polygons(shape) -> None:
    m = np.ones(shape, bool)
    polys = mask_to_polygons(m, tolerance=2)
    assert len(polys) == 1 and len(polys[0].exterior) >= 3
    assert np.array_equal(polygons_to_mask(shape, mask_to_polygons(m, tolerance=0)), m)


def test_min_area_drops_small_parts_and_holes() -> None:
    m = ring_mask()
    m[10, 10] = False  # a 1-pixel hole
    polys = mask_to_polygons(m, tolerance=0, min_area=10)
    assert len(polys) == 2  # the 6-px part is gone
    outer = polys[0]
    assert len(outer.holes) == 1  # the 1-px hole is gone
    assert mask_to_polygons(np.zeros((5, 5), bool), tolerance=1) == []


def test_pixels_hanging_on_by_a_diagonal_inside_a_hole() -> None:
    # the pixel at (x=3, y=3) touches the part only diagonally across the hole
    m = np.array(
        [
            [1, 1, 1, 1, 1, 1, 1],
            [1, 0, 0, 0, 0, 0, 1],
            [1, 0, 1, 0, 0, 0, 1],
            [1, 0, 0, 1, 0, 0, 1],
            [1, 0, 0, 0, 0, 0, 1],
            [1, 1, 1, 1, 1, 1, 1],
        ],
        bool,
    )
    assert np.array_equal(polygons_to_mask(m.shape, mask_to_polygons(m, tolerance=0)), m)


@settings(max_examples=150, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 24), st.integers(1, 24))))
def test_round_trip_is_exact_for_any_mask(m: np.ndarray) -> None:
    assert np.array_equal(polygons_to_mask(m.shape, mask_to_polygons(m, tolerance=0)), m)


def test_polygons_to_mask_keeps_plain_ring_behaviour() -> None:
    outer = np.array([[2, 2], [20, 2], [20, 20], [2, 20]], float)
    hole = np.array([[8, 8], [14, 8], [14, 14], [8, 14]], float)
    plain = polygons_to_mask((25, 25), [outer, hole])
    ref = shape_to_mask((25, 25), outer) ^ shape_to_mask((25, 25), hole)
    assert np.array_equal(plain, ref)
    assert np.array_equal(polygons_to_mask((25, 25), [(outer, [hole])]), ref)
    # a ring partly outside the image is clipped the way Pillow clips it
    big = np.array([[-5, -5], [30, 3], [10, 40]], float)
    assert np.array_equal(polygons_to_mask((25, 25), [big]), shape_to_mask((25, 25), big))
    with pytest.raises(ValueError, match="at least 3 points, got 2"):
        polygons_to_mask((5, 5), [[[0, 0], [1, 1]]])
