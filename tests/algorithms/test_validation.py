"""Bad input gives a ValueError whose message names the argument (and the shape/dtype)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from labeldesk.algorithms import (
    LiveWireMap,
    auto_segment,
    fill_holes,
    grabcut,
    largest_component,
    live_wire,
    marker_watershed,
    mask_to_polygons,
    region_grow,
    remove_small,
    smooth_mask,
    threshold_mask,
)

H, W = 40, 60
IMG = np.zeros((H, W), np.uint8)
IMG[10:30, 20:40] = 200


def markers() -> np.ndarray:
    m = np.zeros((H, W), np.int32)
    m[20, 30] = 1
    m[2, 2] = 2
    return m


ALL_IMAGE_FUNCS = [
    lambda im: threshold_mask(im),
    lambda im: region_grow(im, (30, 20), tolerance=10),
    lambda im: marker_watershed(im, np.ones(im.shape[:2], np.int32) if np.ndim(im) >= 2 else 1),
    lambda im: grabcut(im, box=(1, 1, 5, 5)),
    lambda im: live_wire(im, [(1, 1), (5, 5)]),
    lambda im: auto_segment(im),
]


@pytest.mark.parametrize("func", ALL_IMAGE_FUNCS)
@pytest.mark.parametrize(
    ("image", "pattern"),
    [
        (
            np.zeros((H, W), np.int32),
            r"image must be uint8, uint16 or float, got shape \(40, 60\), dtype int32",
        ),
        (
            np.zeros((H, W), bool),
            r"image must be uint8, uint16 or float, got shape \(40, 60\), dtype bool",
        ),
        (
            np.zeros((H, W, 4), np.uint8),
            r"image must have shape \(H, W\) or \(H, W, 3\) RGB, got shape \(40, 60, 4\), dtype uint8",
        ),
        (np.zeros((2, H, W, 3), np.uint8), r"image must have shape .* got shape \(2, 40, 60, 3\)"),
        (np.zeros(W, np.uint8), r"image must have shape .* got shape \(60,\)"),
        (np.zeros((0, W), np.uint8), r"image is empty: shape \(0, 60\)"),
        (
            np.full((H, W), np.nan, np.float32),
            r"image contains NaN or infinite values \(shape \(40, 60\), dtype float32\)",
        ),
        (None, r"image is missing"),
    ],
)
def test_bad_image_names_image_and_shape(func, image, pattern) -> None:
    with pytest.raises(ValueError, match=pattern):
        func(image)


def test_seed_outside_image() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape("seed: point (x, y) = (60, 5) is outside the image (width 60, height 40)"),
    ):
        region_grow(IMG, (60, 5), tolerance=10)
    with pytest.raises(ValueError, match=re.escape("seed: point (x, y) = (-3, 5) is outside")):
        region_grow(IMG, (-3, 5), tolerance=10)
    with pytest.raises(ValueError, match=r"seed must be one point \(x, y\)"):
        region_grow(IMG, (1, 2, 3), tolerance=10)
    with pytest.raises(ValueError, match=r"seed must be one point"):
        region_grow(IMG, "centre", tolerance=10)


def test_seed_outside_roi_and_bad_options() -> None:
    roi = np.zeros((H, W), bool)
    roi[:10, :10] = True
    with pytest.raises(ValueError, match=r"seed \(x, y\) = \(30, 20\) is outside the roi"):
        region_grow(IMG, (30, 20), tolerance=10, roi=roi)
    with pytest.raises(ValueError, match="tolerance must be >= 0, got -1"):
        region_grow(IMG, (30, 20), tolerance=-1)
    with pytest.raises(ValueError, match="tolerance must be a number"):
        region_grow(IMG, (30, 20), tolerance="a lot")
    with pytest.raises(ValueError, match="connectivity must be 4 or 8, got 6"):
        region_grow(IMG, (30, 20), tolerance=1, connectivity=6)
    with pytest.raises(
        ValueError,
        match=r"roi must have the image's shape \(H, W\) = \(40, 60\), got shape \(10, 10\)",
    ):
        region_grow(IMG, (3, 3), tolerance=1, roi=np.ones((10, 10), bool))


def test_empty_markers_and_bad_markers() -> None:
    with pytest.raises(
        ValueError, match=r"markers is empty: draw at least one scribble \(all 2400 are 0\)"
    ):
        marker_watershed(IMG, np.zeros((H, W), np.int32))
    with pytest.raises(
        ValueError,
        match=r"markers must have the image's shape \(H, W\) = \(40, 60\), got shape \(60, 40\)",
    ):
        marker_watershed(IMG, np.ones((W, H), np.int32))
    with pytest.raises(
        ValueError,
        match=r"markers must be an integer label map \(0 = unknown\), got shape \(40, 60\), dtype float64",
    ):
        marker_watershed(IMG, np.ones((H, W)))
    with pytest.raises(ValueError, match=r"markers must be >= 0"):
        marker_watershed(IMG, -np.ones((H, W), np.int32))
    roi = np.zeros((H, W), bool)
    roi[30:, 50:] = True
    with pytest.raises(ValueError, match="markers has no seed inside roi"):
        marker_watershed(IMG, markers(), roi=roi)


def test_grabcut_bad_inputs() -> None:
    with pytest.raises(
        ValueError,
        match=r"box \(5.0, 5.0, 5.0, 20.0\) has zero size inside the image \(width 60, height 40\)",
    ):
        grabcut(IMG, box=(5, 5, 5, 20))
    with pytest.raises(ValueError, match="box .* has zero size"):
        grabcut(IMG, box=(100, 100, 200, 200))  # entirely outside
    with pytest.raises(ValueError, match=r"box must be 4 finite numbers \(x0, y0, x1, y1\)"):
        grabcut(IMG, box=(1, 2, 3))
    with pytest.raises(ValueError, match="grabcut needs a box, extreme_points or scribbles"):
        grabcut(IMG)
    with pytest.raises(ValueError, match="grabcut needs some foreground"):
        grabcut(IMG, bg_scribbles=markers() == 2)
    with pytest.raises(ValueError, match=r"extreme_points must have shape \(4, 2\), got \(5, 2\)"):
        grabcut(IMG, extreme_points=[(1, 1)] * 5)
    with pytest.raises(ValueError, match=r"extreme_points needs at least 4 points, got 2"):
        grabcut(IMG, extreme_points=[(1, 1), (3, 3)])
    with pytest.raises(
        ValueError, match=r"extreme_points: point \(x, y\) = \(70, 1\) is outside the image"
    ):
        grabcut(IMG, extreme_points=[(1, 1), (70, 1), (3, 3), (4, 4)])
    with pytest.raises(ValueError, match="extreme_points span a zero-size box"):
        grabcut(IMG, extreme_points=[(5, 1), (5, 9), (5, 3), (5, 4)])
    with pytest.raises(ValueError, match=r"fg_scribbles must have the image's shape"):
        grabcut(IMG, box=(1, 1, 9, 9), fg_scribbles=np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="iterations must be an int >= 1, got 0"):
        grabcut(IMG, box=(1, 1, 9, 9), iterations=0)


def test_threshold_bad_options() -> None:
    with pytest.raises(
        ValueError, match="method must be one of otsu, manual, adaptive, got 'median'"
    ):
        threshold_mask(IMG, method="median")
    with pytest.raises(ValueError, match="method='manual' needs low and/or high"):
        threshold_mask(IMG, method="manual")
    with pytest.raises(ValueError, match=r"low \(9\) must not be above high \(3\)"):
        threshold_mask(IMG, method="manual", low=9, high=3)
    with pytest.raises(ValueError, match="block_size must be an odd int >= 3, got 4"):
        threshold_mask(IMG, method="adaptive", block_size=4)
    with pytest.raises(
        ValueError, match=r"channel 1 does not exist in image of shape \(40, 60\), dtype uint8"
    ):
        threshold_mask(IMG, channel=1)
    with pytest.raises(ValueError, match="channel must be None or an int"):
        threshold_mask(IMG, channel="red")


def test_live_wire_bad_inputs() -> None:
    with pytest.raises(ValueError, match="points needs at least 2 points, got 1"):
        live_wire(IMG, [(3, 3)])
    with pytest.raises(
        ValueError, match=r"points must have shape \(N, 2\) as \(x, y\), got shape \(2, 3\)"
    ):
        live_wire(IMG, [(3, 3, 1), (4, 4, 1)])
    with pytest.raises(
        ValueError, match=r"points: point \(x, y\) = \(3, 40\) is outside the image"
    ):
        live_wire(IMG, [(3, 3), (3, 40)])
    roi = np.zeros((H, W), bool)
    roi[:20] = True
    with pytest.raises(ValueError, match=r"points: \(x, y\) = \(3, 30\) is outside the roi"):
        live_wire(IMG, [(3, 3), (3, 30)], roi=roi)
    lw = LiveWireMap(IMG, (30, 20), radius=5)
    with pytest.raises(ValueError, match=r"outside the live-wire window \(25, 15, 36, 26\)"):
        lw.path_to((3, 3))


def test_mask_functions_bad_inputs() -> None:
    for fn in (largest_component, fill_holes, smooth_mask):
        with pytest.raises(
            ValueError, match=r"mask must have shape \(H, W\), got shape \(2, 3, 4\)"
        ):
            fn(np.zeros((2, 3, 4), bool))
        with pytest.raises(ValueError, match="mask must be a bool mask, got shape"):
            fn(np.zeros((2, 3), object))
    with pytest.raises(ValueError, match="min_area must be an int >= 0"):
        remove_small(np.zeros((3, 3), bool), min_area=-1)
    with pytest.raises(ValueError, match="radius must be >= 0"):
        smooth_mask(np.zeros((3, 3), bool), radius=-2)
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        mask_to_polygons(np.zeros((3, 3), bool), tolerance=-1)
    with pytest.raises(ValueError, match="connectivity must be 4 or 8"):
        largest_component(np.zeros((3, 3), bool), connectivity=2)
