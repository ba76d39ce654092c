from __future__ import annotations

import cv2
import numpy as np

from labeldesk.algorithms import fill_holes, largest_component, remove_small, smooth_mask


def blobs() -> np.ndarray:
    m = np.zeros((40, 60), bool)
    m[5:25, 5:25] = True  # 400 px
    m[30:35, 40:45] = True  # 25 px
    m[10, 50] = True  # 1 px
    return m


def test_largest_component() -> None:
    m = blobs()
    out = largest_component(m)
    assert out.sum() == 400 and out[5:25, 5:25].all()
    assert not largest_component(np.zeros((4, 4), bool)).any()
    diag = np.eye(5, dtype=bool)
    assert largest_component(diag).sum() == 5
    assert largest_component(diag, connectivity=4).sum() == 1
    assert m.sum() == 426  # input untouched


def test_remove_small() -> None:
    m = blobs()
    assert remove_small(m, min_area=2).sum() == 425
    assert remove_small(m, min_area=26).sum() == 400
    assert remove_small(m, min_area=0).sum() == 426
    assert remove_small(m.astype(np.uint8), min_area=2).dtype == bool


def test_fill_holes_only_enclosed_background() -> None:
    m = np.zeros((30, 30), bool)
    m[5:25, 5:25] = True
    m[10:15, 10:15] = False  # 25 px hole
    m[18:20, 18:20] = False  # 4 px hole
    m[0:10, 27:30] = True
    m[3:6, 28] = False  # touches the border through the right edge? no: enclosed on 3 sides only
    m[3:6, 29] = False
    out = fill_holes(m)
    assert out[10:15, 10:15].all() and out[18:20, 18:20].all()
    assert not out[3:6, 29].any()  # open to the border: not a hole
    small_only = fill_holes(m, max_area=10)
    assert small_only[18:20, 18:20].all() and not small_only[10:15, 10:15].any()


def test_fill_holes_diagonal_gap_does_not_leak() -> None:
    ring = np.zeros((9, 9), np.uint8)
    cv2.circle(ring, (4, 4), 3, 1, 1)  # 8-connected outline with diagonal steps
    out = fill_holes(ring.astype(bool))
    assert ring.sum() == 16 and out.sum() == 29  # the 13 interior pixels, nothing outside
    assert out[2:7, 3:6].all() and out[3:6, 2:7].all()
    assert not out[[0, 8], :].any() and out[1].sum() == 1 and out[7].sum() == 1


def test_smooth_mask_removes_jaggies_keeps_area() -> None:
    rng = np.random.default_rng(0)
    m = np.zeros((80, 80), bool)
    m[20:60, 20:60] = True
    noise = rng.random(m.shape) < 0.15
    edge = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3))) > 0
    jag = m ^ (noise & edge)
    out = smooth_mask(jag, radius=2)
    assert abs(int(out.sum()) - int(m.sum())) < 0.03 * m.sum()
    assert (out != m).sum() < (jag != m).sum()
    assert np.array_equal(smooth_mask(jag, radius=0), jag)
    spur = m.copy()
    spur[40, 60:70] = True  # one-pixel spur
    assert not smooth_mask(spur, radius=1.5)[40, 63:70].any()
