from __future__ import annotations

import cv2
import numpy as np
import pytest

from labeldesk.algorithms import click_segment

from .robot import iou


def scene(h: int = 200, w: int = 260) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An orange ellipse (target) touching a blue disc, on noisy green."""
    rng = np.random.default_rng(5)
    img = np.empty((h, w, 3), np.float32)
    img[:] = (60, 120, 60)
    obj = np.zeros((h, w), np.uint8)
    cv2.ellipse(obj, (110, 100), (50, 34), 20, 0, 360, 1, -1)
    other = np.zeros((h, w), np.uint8)
    cv2.circle(other, (190, 120), 30, 1, -1)
    obj_b, other_b = obj.astype(bool), other.astype(bool) & ~obj.astype(bool)
    img[obj_b] = (210, 120, 40)
    img[other_b] = (50, 70, 200)
    img += rng.normal(0, 8, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), obj_b, other_b


def test_one_positive_click_finds_the_object() -> None:
    img, obj, other = scene()
    m = click_segment(img, [(110, 100, True)])
    assert m.dtype == bool and m.shape == obj.shape
    assert iou(m, obj) > 0.9
    assert not (m & other).any()


def test_negative_click_removes_a_wrong_part_and_is_honoured() -> None:
    img, obj, other = scene()
    # the object is the ellipse and the disc together: a positive click on each
    both = click_segment(img, [(110, 100, True), (190, 120, True)])
    assert iou(both, obj | other) > 0.85
    assert both[120, 190] and both[100, 110]
    m = click_segment(img, [(110, 100, True), (190, 120, False)], previous=both)
    assert not m[120, 190] and m[100, 110]
    assert iou(m, obj) > 0.85


def test_gray_uint16_float_and_box() -> None:
    img, obj, _ = scene()
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    for im in (gray, gray.astype(np.uint16) * 200, gray.astype(np.float32) / 255):
        assert iou(click_segment(im, [(110, 100, True)]), obj) > 0.8
    ys, xs = np.nonzero(obj)
    box = (xs.min(), ys.min(), xs.max(), ys.max())
    m = click_segment(img, [(110, 100, True)], box=box)
    assert iou(m, obj) > 0.9
    outside = np.ones(obj.shape, bool)
    outside[box[1] : box[3] + 1, box[0] : box[2] + 1] = False
    assert not m[outside].any()


def test_negative_clicks_only_shrink_the_previous_mask() -> None:
    img, obj, other = scene()
    m = click_segment(img, [(190, 120, False)], previous=obj | other)
    assert not m[120, 190]
    assert not (m & ~(obj | other)).any()


@pytest.mark.parametrize(
    ("clicks", "message"),
    [
        ([], "at least one positive click"),
        ([(10, 10, False)], "at least one positive click"),
        ([(10, 10)], r"clicks\[0\] must be \(x, y, positive\)"),
        ([(10, 10, True), (500, 10, True)], r"clicks\[1\].*outside the image"),
        ([(10, 10, "yes")], r"clicks\[0\]: positive must be True or False"),
        (None, "clicks must be a sequence"),
    ],
)
def test_bad_clicks_are_refused_with_a_clear_message(clicks: object, message: str) -> None:
    img, _, _ = scene()
    with pytest.raises(ValueError, match=message):
        click_segment(img, clicks)  # type: ignore[arg-type]


def test_bad_previous_and_image() -> None:
    img, _, _ = scene()
    with pytest.raises(ValueError, match="previous must have the image's shape"):
        click_segment(img, [(10, 10, True)], previous=np.zeros((5, 5), bool))
    with pytest.raises(ValueError, match="image must"):
        click_segment(np.zeros((5, 5, 4), np.uint8), [(1, 1, True)])
