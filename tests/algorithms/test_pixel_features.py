"""Pixel features for the pixel classifier and splitting touching objects."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms.pixel_features import SIGMAS, feature_names, pixel_features
from labeldesk.algorithms.split_objects import split_objects


def disc(h: int, w: int, cy: float, cx: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return (yy - cy) ** 2 + (xx - cx) ** 2 < r * r


def test_gray_and_equal_channel_images_give_one_channel_of_features() -> None:
    gray = (disc(48, 64, 24, 32, 10) * 200).astype(np.uint8)
    f = pixel_features(gray)
    assert f.shape == (48, 64, len(feature_names(1))) and f.dtype == np.float32
    assert len(feature_names(1)) == 1 + 8 * len(SIGMAS)
    same = pixel_features(np.repeat(gray[:, :, None], 3, axis=2))
    np.testing.assert_allclose(f, same, atol=1e-5)  # OpenCV threads may round differently
    # uint16 scaled to 0-1 gives the same features as the uint8 image it came from
    np.testing.assert_allclose(pixel_features(gray.astype(np.uint16) * 257), f, atol=1e-4)
    colour = np.dstack([gray, gray // 2, 255 - gray])
    assert pixel_features(colour).shape[2] == 3 * f.shape[2]
    assert pixel_features(colour, channels=1).shape[2] == f.shape[2]
    assert pixel_features(gray, channels=3).shape[2] == 3 * f.shape[2]


def test_features_respond_where_they_should() -> None:
    img = (disc(64, 64, 32, 32, 12) * 1.0).astype(np.float32)
    f = pixel_features(img, sigmas=(2.0,))
    names = feature_names(1, (2.0,))
    grad = f[:, :, names.index("c0_gradient_2")]
    log = f[:, :, names.index("c0_log_2")]
    # the gradient peaks on the rim (radius 12), not at the centre or far outside
    assert grad[32, 20] > 5 * grad[32, 32] and grad[32, 20] > 5 * grad[32, 2]
    # inside a bright disc near its edge the Laplacian is negative, outside positive
    assert log[32, 22] < 0 < log[32, 18]
    h1, h2 = f[:, :, names.index("c0_hess_1_2")], f[:, :, names.index("c0_hess_2_2")]
    st1, st2 = f[:, :, names.index("c0_st_1_2")], f[:, :, names.index("c0_st_2_2")]
    assert np.all(h1 >= h2 - 1e-6) and np.all(st1 >= st2 - 1e-6) and np.all(st2 >= -1e-6)


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="image"):
        pixel_features(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError, match="sigmas"):
        pixel_features(np.zeros((4, 4), np.uint8), sigmas=(0,))
    with pytest.raises(ValueError, match="channels"):
        pixel_features(np.zeros((4, 4), np.uint8), channels=2)


def test_split_objects_cuts_two_touching_discs_along_the_neck() -> None:
    mask = disc(60, 100, 30, 35, 15) | disc(60, 100, 30, 62, 15) | disc(60, 100, 30, 90, 6)
    labels = split_objects(mask)
    assert labels.max() == 3 and np.array_equal(labels > 0, mask)
    left, right = labels[30, 30], labels[30, 67]
    assert left != right and left > 0 and right > 0
    areas = sorted(int((labels == i).sum()) for i in (left, right))
    assert areas[1] - areas[0] <= 0.05 * areas[1]  # cut in the middle
    cut = [x for x in range(35, 63) if labels[30, x] != labels[30, x - 1]]
    assert cut and all(46 <= x <= 51 for x in cut)
    # min_area drops the small disc; a mask with nothing gives nothing
    assert split_objects(mask, min_area=200).max() == 2
    assert split_objects(np.zeros((5, 5), bool)).max() == 0
    with pytest.raises(ValueError, match="min_distance"):
        split_objects(mask, min_distance=-1)
