from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms.interpolate import (
    fill_between,
    interpolate_masks,
    interpolate_polygons,
    match_rings,
    resample_ring,
    signed_distance,
)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / max(float(a.sum() + b.sum()), 1.0)


def _sphere(n: int = 128, r: float = 40.0) -> np.ndarray:
    """``S[z, y, x]`` bool ball of radius ``r`` centred in an ``n`` cube."""
    z, y, x = np.indices((n, n, n), dtype=np.float64) - (n - 1) / 2
    return x * x + y * y + z * z <= r * r


def test_sphere_from_two_key_slices_20_apart() -> None:
    ball = _sphere()
    c = 64
    lo, hi = c - 10, c + 10
    filled = fill_between({lo: ball[lo], hi: ball[hi]}, range(lo + 1, hi))
    dice = [_dice(filled[i], ball[i]) for i in range(lo + 1, hi)]
    assert min(dice) >= 0.95, dice
    pred = np.stack([filled[i] for i in range(lo + 1, hi)])
    assert _dice(pred, ball[lo + 1 : hi]) >= 0.97


def test_masks_translate_and_keys_are_kept() -> None:
    a = np.zeros((60, 80), bool)
    a[20:40, 10:30] = True
    b = np.roll(a, 30, axis=1)
    mid = interpolate_masks(a, b, [0.0, 0.5, 1.0])
    assert np.array_equal(mid[0], a) and np.array_equal(mid[2], b)
    want = np.roll(a, 15, axis=1)
    assert _dice(mid[1], want) > 0.97


def test_mask_vanishes_towards_empty_side() -> None:
    a = np.zeros((50, 50), bool)
    a[10:40, 10:40] = True
    out = interpolate_masks(a, np.zeros_like(a), [0.25, 0.5, 0.75, 1.0])
    areas = [int(m.sum()) for m in out]
    assert areas[0] > areas[1] > areas[2] > 0 and areas[3] == 0
    assert out[2][25, 25]  # shrinks towards the middle


def test_signed_distance_sign_and_zero_level() -> None:
    m = np.zeros((20, 20), bool)
    m[5:15, 5:15] = True
    d = signed_distance(m)
    assert d[10, 10] < -4 and d[0, 0] > 4
    assert d[5, 10] == pytest.approx(-0.5) and d[4, 10] == pytest.approx(0.5)


def test_polygon_correspondence_handles_shift_and_orientation() -> None:
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    a = np.column_stack([50 + 20 * np.cos(t), 50 + 10 * np.sin(t)])
    b = a[::-1] + [30.0, 0.0]  # reversed orientation and shifted start
    b = np.roll(b, 13, axis=0)
    ra, rb = match_rings(a, b)
    assert np.abs(rb - ra - [30.0, 0.0]).max() < 1.0  # every vertex paired with its twin
    (mid,) = interpolate_polygons(a, b, [0.5])
    assert np.abs(mid.mean(axis=0) - [65.0, 50.0]).max() < 0.5
    assert np.ptp(mid[:, 0]) == pytest.approx(40.0, abs=1.0)


def test_resample_is_even_and_validates() -> None:
    sq = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    r = resample_ring(sq, 8)
    assert np.allclose(np.hypot(*np.diff(np.vstack([r, r[:1]]), axis=0).T), 5.0)
    with pytest.raises(ValueError, match="a must be an"):
        interpolate_polygons(np.zeros((2, 2)), sq, [0.5])
    with pytest.raises(ValueError, match="one shape"):
        interpolate_masks(np.zeros((4, 4)), np.zeros((5, 4)), [0.5])
