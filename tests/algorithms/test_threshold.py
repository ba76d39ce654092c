from __future__ import annotations

import cv2
import numpy as np
import pytest

from labeldesk.algorithms import otsu_threshold, threshold_mask


def two_level(dtype=np.uint8, lo=40, hi=200) -> tuple[np.ndarray, np.ndarray]:
    img = np.full((30, 50), lo, dtype)
    obj = np.zeros((30, 50), bool)
    obj[5:20, 10:35] = True
    img[obj] = hi
    return img, obj


def test_manual_range_is_inclusive_in_image_units() -> None:
    img = np.arange(256, dtype=np.uint8).reshape(16, 16)
    m = threshold_mask(img, method="manual", low=100, high=120)
    assert m.dtype == bool and m.shape == (16, 16)
    assert np.array_equal(np.flatnonzero(m), np.arange(100, 121))
    # open ends and fractional limits
    assert threshold_mask(img, method="manual", low=250).sum() == 6
    assert threshold_mask(img, method="manual", high=9.5).sum() == 10
    assert threshold_mask(img, method="manual", low=10.2, high=10.8).sum() == 0


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_otsu_separates_two_levels_any_dtype(dtype) -> None:
    img, obj = two_level(dtype, 40, 200)
    assert np.array_equal(threshold_mask(img), obj)
    t = otsu_threshold(img)
    assert 40 <= t < 200


def test_otsu_matches_opencv_on_uint8() -> None:
    rng = np.random.default_rng(0)
    img = np.clip(rng.normal(90, 20, (64, 64)), 0, 255).astype(np.uint8)
    img[16:48, 16:48] = np.clip(rng.normal(170, 20, (32, 32)), 0, 255).astype(np.uint8)
    t_cv, ref = cv2.threshold(img, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    assert otsu_threshold(img) == t_cv
    assert np.array_equal(threshold_mask(img), ref.astype(bool))


def test_otsu_uses_only_roi_pixels_and_clears_outside() -> None:
    # left half: 0 vs 100; right half: 150 vs 250. Global Otsu would split 100|150.
    img = np.zeros((20, 40), np.uint8)
    img[:, :20] = 0
    img[5:15, 5:15] = 100
    img[:, 20:] = 150
    img[5:15, 25:35] = 250
    roi = np.zeros(img.shape, bool)
    roi[:, 20:] = True
    m = threshold_mask(img, roi=roi)
    expect = np.zeros(img.shape, bool)
    expect[5:15, 25:35] = True
    assert np.array_equal(m, expect)
    assert 150 <= otsu_threshold(img, roi=roi) < 250


def test_constant_image_has_no_foreground() -> None:
    assert not threshold_mask(np.full((5, 5), 7, np.uint8)).any()
    assert not threshold_mask(np.full((5, 5), 0.3, np.float32)).any()


def test_channel_picks_rgb_plane_and_luminance_by_default() -> None:
    img = np.zeros((10, 10, 3), np.uint8)
    img[:, 5:, 0] = 200  # red right half
    img[:5, :, 2] = 200  # blue top half
    r = threshold_mask(img, method="manual", low=100, channel=0)
    b = threshold_mask(img, method="manual", low=100, channel=2)
    assert r[:, 5:].all() and not r[:, :5].any()
    assert b[:5].all() and not b[5:].any()
    # luminance 0.299 R + 0.114 B: red (60) is above 30, blue alone (23) is not
    lum = threshold_mask(img, method="manual", low=30)
    assert lum[:, 5:].all() and not lum[:, :5].any()


def test_uint16_manual_in_native_units() -> None:
    img, obj = two_level(np.uint16, 1000, 3000)
    assert np.array_equal(threshold_mask(img, method="manual", low=2000, high=4095), obj)
    assert not threshold_mask(img, method="manual", low=3001).any()


def test_adaptive_follows_illumination_ramp() -> None:
    ramp = np.linspace(0, 150, 120, dtype=np.float32)[None, :].repeat(60, 0)
    img = ramp.copy()
    dots = np.zeros(img.shape, bool)
    for x in range(10, 120, 20):
        dots[25:35, x : x + 6] = True
    img[dots] += 40
    u8 = img.astype(np.uint8)
    glob = threshold_mask(u8)  # Otsu cannot handle the ramp
    assert not np.array_equal(glob, dots)
    for im in (u8, img):
        m = threshold_mask(im, method="adaptive", block_size=21, offset=-5)
        assert (m & dots).sum() >= 0.95 * dots.sum()
        assert (m & ~dots).sum() <= 0.01 * (~dots).sum()


def test_default_block_size_is_odd_and_works() -> None:
    img, obj = two_level()
    m = threshold_mask(img, method="adaptive", offset=-1)
    assert m.shape == obj.shape and (m & obj).sum() > 0


def test_empty_roi_gives_empty_mask() -> None:
    img, _ = two_level()
    assert not threshold_mask(img, roi=np.zeros(img.shape, bool)).any()
