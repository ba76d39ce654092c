from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms import region_grow


def scene(dtype=np.uint8) -> tuple[np.ndarray, np.ndarray]:
    img = np.full((60, 80), 50, np.float64)
    obj = np.zeros((60, 80), bool)
    obj[10:40, 20:60] = True
    img[obj] = 150
    img[45:55, 5:15] = 150  # same level but not connected to the object
    return img.astype(dtype), obj


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_grows_the_connected_region_only(dtype) -> None:
    img, obj = scene(dtype)
    m = region_grow(img, (40, 25), tolerance=30)
    assert m.dtype == bool and m.shape == img.shape
    assert np.array_equal(m, obj)  # the separate 150-patch is not included


def test_seed_is_x_y_not_row_col() -> None:
    img, obj = scene()
    # (x=25, y=5) is background above the object; (x=5, y=25) too. (x=30, y=20) is inside.
    assert region_grow(img, (30, 20), tolerance=30)[20, 30]
    assert not region_grow(img, (30, 5), tolerance=30)[obj].any()


def test_tolerance_in_image_units_and_monotonic() -> None:
    img = np.tile(np.arange(0, 200, 2, dtype=np.uint8), (20, 1))  # columns 0, 2, 4, ...
    m10 = region_grow(img, (50, 10), tolerance=10, smoothing=0, edge_weight=0)
    cols = np.flatnonzero(m10.any(axis=0))
    assert cols.min() == 45 and cols.max() == 55  # |2x - 100| <= 10
    m20 = region_grow(img, (50, 10), tolerance=20, smoothing=0, edge_weight=0)
    assert (m10 <= m20).all() and m20.sum() > m10.sum()


def test_colour_distance_is_euclidean_over_rgb() -> None:
    img = np.zeros((10, 30, 3), np.uint8)
    img[:, 10:20] = (30, 40, 0)  # distance 50 from black
    img[:, 20:] = (30, 40, 60)  # distance ~78 from black
    m = region_grow(img, (2, 5), tolerance=55, smoothing=0, edge_weight=0)
    assert m[:, :20].all() and not m[:, 20:].any()


def test_roi_limits_the_region_and_4_connectivity() -> None:
    img = np.zeros((20, 20), np.uint8)
    img[10:, :] = 255
    roi = np.zeros(img.shape, bool)
    roi[:, :8] = True
    m = region_grow(img, (2, 2), tolerance=5, roi=roi)
    assert np.array_equal(m, roi & (img == 0))
    diag = np.full((5, 5), 255, np.uint8)
    diag[[0, 1, 2], [0, 1, 2]] = 0
    assert (
        region_grow(diag, (0, 0), tolerance=5, smoothing=0, edge_weight=0, connectivity=4).sum()
        == 1
    )
    assert (
        region_grow(diag, (0, 0), tolerance=5, smoothing=0, edge_weight=0, connectivity=8).sum()
        == 3
    )


def test_edge_term_stops_at_a_weak_blurred_boundary() -> None:
    """Two touching regions 40 levels apart, boundary blurred: at tolerance 45 plain colour
    distance leaks into the neighbour, the edge term keeps the region."""
    img = np.full((60, 120), 100, np.float32)
    img[:, 60:] = 140
    import cv2

    img = cv2.GaussianBlur(img, (0, 0), 1.0).astype(np.uint8)
    plain = region_grow(img, (20, 30), tolerance=45, edge_weight=0)
    edged = region_grow(img, (20, 30), tolerance=45, edge_weight=3.0)
    assert plain[:, 70:].all()
    assert not edged[:, 62:].any() and edged[:, :57].all()


def test_seed_pixel_always_included_and_large_region_grows_window() -> None:
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 255, (50, 50)).astype(np.uint8)
    assert region_grow(noisy, (25, 25), tolerance=0)[25, 25]
    big = np.zeros((700, 900), np.uint8)  # larger than the first window
    m = region_grow(big, (450, 350), tolerance=1)
    assert m.all()
