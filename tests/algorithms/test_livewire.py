from __future__ import annotations

import cv2
import numpy as np

from labeldesk.algorithms import LiveWireMap, live_wire, polygons_to_mask

from .robot import iou


def square_scene(noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    img = np.full((100, 120), 60, np.float32)
    img[30:70, 40:90] = 180
    if noise:
        img += np.random.default_rng(0).normal(0, noise, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), (img > 120)


def test_path_snaps_to_the_edge_between_clicks() -> None:
    img, _ = square_scene(noise=8)
    # clicks a few pixels off the top edge (y = 30); the straight line would run at y = 26..27
    path = live_wire(img, [(42, 26), (88, 27)])
    assert path.shape[1] == 2 and path.dtype == np.float64
    assert tuple(path[0]) == (42, 26) and tuple(path[-1]) == (88, 27)
    middle = path[(path[:, 0] > 50) & (path[:, 0] < 80)]
    assert np.all(np.abs(middle[:, 1] - 29.5) <= 1.0)  # on the edge (row 29 or 30)
    steps = np.abs(np.diff(path, axis=0))
    assert steps.max() <= 1  # 8-connected pixel path


def test_closed_contour_encloses_the_object() -> None:
    img, obj = square_scene(noise=5)
    clicks = [(40, 30), (89, 30), (89, 69), (40, 69)]
    path = live_wire(img, clicks, closed=True)
    assert tuple(path[0]) != tuple(path[-1])  # the first point is not repeated
    m = polygons_to_mask(img.shape, [path])
    assert iou(m, obj) > 0.95


def test_colour_edges_count_when_brightness_is_equal() -> None:
    # red and green of equal luminance: a gray-only cost would not see the edge
    img = np.zeros((60, 80, 3), np.uint8)
    img[:] = (190, 90, 110)
    img[:, 40:] = (80, 148, 100)
    assert (
        abs(
            int(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[0, 0])
            - int(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[0, 79])
        )
        <= 1
    )
    path = live_wire(img, [(36, 5), (36, 55)])
    middle = path[(path[:, 1] > 15) & (path[:, 1] < 45)]
    assert np.all(np.abs(middle[:, 0] - 39.5) <= 1.0)


def test_roi_keeps_the_path_inside() -> None:
    img = np.full((60, 80), 100, np.uint8)
    img[:, 40:] = 200  # a strong edge at x = 40, outside the roi
    roi = np.zeros(img.shape, bool)
    roi[:, :30] = True
    path = live_wire(img, [(5, 5), (25, 55)], roi=roi)
    assert roi[path[:, 1].astype(int), path[:, 0].astype(int)].all()


def test_map_answers_many_targets_from_one_anchor() -> None:
    img, _ = square_scene()
    lw = LiveWireMap(img, (40, 30), radius=60)
    assert lw.contains((89, 69)) and not lw.contains((119, 99))
    a = lw.path_to((89, 30))
    b = lw.path_to((40, 69))
    assert tuple(a[0]) == tuple(b[0]) == (40, 30)
    assert tuple(a[-1]) == (89, 30) and tuple(b[-1]) == (40, 69)


def test_duplicate_points_and_uint16_float() -> None:
    img, _ = square_scene(noise=3)
    p = live_wire(img, [(42, 30), (42, 30), (80, 30)])
    assert tuple(p[0]) == (42, 30) and tuple(p[-1]) == (80, 30)
    for im in (img.astype(np.uint16) * 200, img.astype(np.float32) / 255):
        q = live_wire(im, [(42, 26), (88, 27)])
        mid = q[(q[:, 0] > 50) & (q[:, 0] < 80)]
        assert np.all(np.abs(mid[:, 1] - 29.5) <= 1.0)
