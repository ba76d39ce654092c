from __future__ import annotations

import cv2
import numpy as np

from labeldesk.algorithms import grabcut

from .robot import iou


def scene(h: int = 120, w: int = 160) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    img = np.empty((h, w, 3), np.float32)
    img[:] = (60, 120, 60)
    obj = np.zeros((h, w), np.uint8)
    cv2.ellipse(obj, (80, 60), (40, 28), 15, 0, 360, 1, -1)
    obj = obj.astype(bool)
    img[obj] = (200, 80, 70)
    img += rng.normal(0, 8, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), obj


def bbox(m: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(m)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def test_box_segments_object_and_nothing_outside_box() -> None:
    img, obj = scene()
    box = bbox(obj)
    m = grabcut(img, box=box)
    assert m.dtype == bool and m.shape == obj.shape
    assert iou(m, obj) > 0.95
    x0, y0, x1, y1 = box
    outside = np.ones(obj.shape, bool)
    outside[y0 : y1 + 1, x0 : x1 + 1] = False
    assert not m[outside].any()


def test_box_corners_in_any_order_and_gray_uint16_float() -> None:
    img, obj = scene()
    x0, y0, x1, y1 = bbox(obj)
    ref = grabcut(img, box=(x0, y0, x1, y1))
    assert np.array_equal(grabcut(img, box=(x1, y1, x0, y0)), ref)
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    for im in (gray, gray.astype(np.uint16) * 16, gray.astype(np.float32) / 255):
        assert iou(grabcut(im, box=(x0, y0, x1, y1)), obj) > 0.9


def test_extreme_points_are_forced_into_the_mask() -> None:
    img, obj = scene()
    ys, xs = np.nonzero(obj)
    pts = np.array(
        [
            (xs.min(), ys[xs == xs.min()][0]),
            (xs[ys == ys.min()][0], ys.min()),
            (xs.max(), ys[xs == xs.max()][0]),
            (xs[ys == ys.max()][0], ys.max()),
        ],
        float,
    )
    m = grabcut(img, extreme_points=pts)
    assert iou(m, obj) > 0.93
    for x, y in pts.astype(int):
        assert m[y, x]


def test_scribbles_are_hard_constraints() -> None:
    img, obj = scene()
    fg = np.zeros(obj.shape, bool)
    fg[58:62, 60:100] = True
    bg = np.zeros(obj.shape, bool)
    bg[5:8, :] = True
    bg[112:115, :] = True
    m = grabcut(img, fg_scribbles=fg, bg_scribbles=bg)  # scribbles only, no box
    assert iou(m, obj) > 0.9
    # a background scribble across the object cuts it there, whatever the colours say; with
    # no foreground input the largest part is kept
    cut = np.zeros(obj.shape, bool)
    cut[:, 100:103] = True
    m2 = grabcut(img, box=bbox(obj), bg_scribbles=cut)
    assert not m2[:, 100:].any() and iou(m2, obj & (np.arange(160) < 100)) > 0.93
    # a foreground scribble on background is kept (and joins the result)
    extra = np.zeros(obj.shape, bool)
    extra[100:103, 20:30] = True
    m3 = grabcut(img, box=(10, 20, 130, 110), fg_scribbles=extra)
    assert m3[extra].all()
    # ... also outside the box, which then grows to take it in; the boxed object stays
    far = np.zeros(obj.shape, bool)
    far[100:103, 3:12] = True
    m4 = grabcut(img, box=bbox(obj), fg_scribbles=far)
    assert m4[far].all() and iou(m4 & ~far, obj) > 0.95


def test_only_parts_touching_foreground_inputs_are_kept() -> None:
    img, obj = scene()
    # a second red blob inside the box but away from the scribble
    img2 = img.copy()
    blob = np.zeros(obj.shape, np.uint8)
    cv2.circle(blob, (140, 105), 8, 1, -1)
    img2[blob > 0] = (200, 80, 70)
    fg = np.zeros(obj.shape, bool)
    fg[60, 70:90] = True
    m = grabcut(img2, box=(30, 20, 155, 118), fg_scribbles=fg)
    assert not m[blob > 0].any()
    assert iou(m, obj) > 0.9


def test_cost_does_not_grow_with_image_and_crop_is_downscaled() -> None:
    img, obj = scene()
    big = np.zeros((2000, 3000, 3), np.uint8)
    big[:] = (60, 120, 60)
    big[1000:1120, 2000:2160] = img
    x0, y0, x1, y1 = bbox(obj)
    m = grabcut(big, box=(x0 + 2000, y0 + 1000, x1 + 2000, y1 + 1000))
    assert iou(m[1000:1120, 2000:2160], obj) > 0.95 and m.sum() == m[1000:1120, 2000:2160].sum()
    # a box larger than max_side is scaled down for the cut and back up
    up = cv2.resize(img, (640, 480), interpolation=cv2.INTER_LINEAR)
    obj_up = cv2.resize(obj.astype(np.uint8), (640, 480), interpolation=cv2.INTER_NEAREST) > 0
    assert iou(grabcut(up, box=bbox(obj_up), max_side=128), obj_up) > 0.93


def test_box_covering_the_whole_image_still_works() -> None:
    img, obj = scene()
    m = grabcut(img, box=(0, 0, img.shape[1] - 1, img.shape[0] - 1))
    assert iou(m, obj) > 0.8
