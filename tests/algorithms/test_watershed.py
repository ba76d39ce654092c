from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms import marker_watershed


def two_regions(dtype=np.uint8) -> np.ndarray:
    img = np.full((50, 70), 40, np.float64)
    img[:, 35:] = 200
    return img.astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_labels_tile_the_image_and_follow_the_edge(dtype) -> None:
    img = two_regions(dtype)
    mk = np.zeros(img.shape, np.int32)
    mk[25, 10] = 1
    mk[25, 60] = 2
    lab = marker_watershed(img, mk)
    assert lab.dtype == np.int32 and lab.shape == img.shape
    assert set(np.unique(lab)) == {1, 2}  # no -1 watershed lines, no 0
    assert (lab[:, :34] == 1).all() and (lab[:, 36:] == 2).all()


def test_seeds_on_the_border_and_rgb() -> None:
    img = np.zeros((30, 30, 3), np.uint8)
    img[:, 15:] = (0, 200, 0)
    mk = np.zeros((30, 30), np.int32)
    mk[0, 0] = 1
    mk[29, 29] = 2
    lab = marker_watershed(img, mk)
    assert lab[0, 0] == 1 and lab[29, 29] == 2
    assert (lab[:, :14] == 1).all() and (lab[:, 16:] == 2).all()


def test_roi_restricts_output_and_seeds() -> None:
    img = two_regions()
    mk = np.zeros(img.shape, np.int32)
    mk[25, 20] = 1
    mk[25, 50] = 2
    mk[2, 2] = 3  # outside the roi: ignored
    roi = np.zeros(img.shape, bool)
    roi[10:40, 15:60] = True
    lab = marker_watershed(img, mk, roi=roi)
    assert (lab[~roi] == 0).all()
    assert set(np.unique(lab[roi])) == {1, 2}
    assert (lab[10:40, 15:34] == 1).all()


def test_many_labels_and_bool_markers() -> None:
    img = np.zeros((20, 60), np.uint8)
    img[:, 20:40] = 120
    img[:, 40:] = 240
    mk = np.zeros(img.shape, np.int64)
    mk[10, 5], mk[10, 30], mk[10, 55] = 7, 300, 12
    lab = marker_watershed(img, mk)
    assert (lab[:, :19] == 7).all() and (lab[:, 21:39] == 300).all() and (lab[:, 41:] == 12).all()
    one = marker_watershed(img, img == 240)  # bool: one label floods everything
    assert (one == 1).all()


def test_inputs_not_modified() -> None:
    img = two_regions()
    mk = np.zeros(img.shape, np.int32)
    mk[25, 10], mk[25, 60] = 1, 2
    before = mk.copy(), img.copy()
    marker_watershed(img, mk)
    assert np.array_equal(mk, before[0]) and np.array_equal(img, before[1])
