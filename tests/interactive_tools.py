"""The tools the robot user drives (tests/robot_user.py), ours and the plain-library baselines.

Click tools take ``(image, clicks, previous)``; box tools ``(image, box_or_points, clicks,
previous)`` with corrective clicks as disc scribbles. Every baseline is the plain library call
a person would otherwise make, at full resolution:

- ``cv2.grabCut`` from the box, 5 iterations (corrections: the previous result as probable
  labels plus definite discs at the clicks, 5 more iterations);
- DEXTR-style GrabCut: the tight box of the four extreme points, definite-foreground discs at
  them, 5 iterations (corrections as above);
- ``cv2.floodFill`` from each positive click (floating range 20 per channel), minus the fills
  from negative clicks.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from labeldesk.algorithms import (
    auto_proposals,
    click_segment,
    grabcut,
    region_grow,
    threshold_mask,
)
from labeldesk.algorithms._validate import to_rgb8

from .robot_user import Click, discs

DISC = 5  # radius of a corrective click's scribble disc, px
EXTREME_DISC = 3  # radius of the plain DEXTR-style GrabCut's foreground discs


def unit(image: np.ndarray) -> float:
    """Image units per uint8 level (the tools' tolerances are on the uint8 scale)."""
    if image.dtype == np.uint8:
        return 1.0
    return max(float(image.max()) - float(image.min()), 1e-12) / 255.0


# ---------------------------------------------------------------- click tools


def tool_click_segment(
    image: np.ndarray, clicks: list[Click], prev: np.ndarray | None
) -> np.ndarray:
    return click_segment(image, clicks, previous=prev)


def _seeded_union(
    grow: Callable[[tuple[int, int], np.ndarray | None], np.ndarray],
    shape: tuple[int, int],
    clicks: list[Click],
) -> np.ndarray:
    """Union of the regions grown from the positive clicks, kept out of the regions grown from
    the negative ones (a negative click takes away what grows from it)."""
    neg = np.zeros(shape, bool)
    for x, y, positive in clicks:
        if not positive:
            neg |= grow((x, y), None)
    out = np.zeros(shape, bool)
    for x, y, positive in clicks:
        if positive:
            if neg[y, x]:
                neg[y, x] = False
            out |= grow((x, y), ~neg)
    return out


def make_region_grow(tolerance: float) -> Callable[..., np.ndarray]:
    def tool(image: np.ndarray, clicks: list[Click], prev: np.ndarray | None) -> np.ndarray:
        tol = tolerance * unit(image)

        def grow(seed: tuple[int, int], roi: np.ndarray | None) -> np.ndarray:
            return region_grow(image, seed, tolerance=tol, roi=roi)

        return _seeded_union(grow, image.shape[:2], clicks)

    return tool


def tool_flood_fill(image: np.ndarray, clicks: list[Click], prev: np.ndarray | None) -> np.ndarray:
    rgb = to_rgb8(image)
    h, w = rgb.shape[:2]

    def grow(seed: tuple[int, int], roi: np.ndarray | None) -> np.ndarray:
        ff = np.zeros((h + 2, w + 2), np.uint8)
        if roi is not None:
            ff[1:-1, 1:-1][~roi] = 1  # a filled mask pixel is a wall
        flags = 8 | cv2.FLOODFILL_MASK_ONLY | (2 << 8)
        cv2.floodFill(rgb, ff, seed, (0, 0, 0), (20,) * 3, (20,) * 3, flags)
        return ff[1:-1, 1:-1] == 2

    return _seeded_union(grow, (h, w), clicks)


def tool_threshold_click(
    image: np.ndarray, clicks: list[Click], prev: np.ndarray | None
) -> np.ndarray:
    """Otsu's threshold of the image, the side the first click is on, the connected parts at
    the positive clicks, without the parts at negative clicks."""
    bright = _otsu_mask(image)
    x0, y0 = clicks[0][0], clicks[0][1]
    side = bright if bright[y0, x0] else ~bright
    n, comp = cv2.connectedComponents(side.view(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    for x, y, positive in clicks:
        if comp[y, x]:
            keep[comp[y, x]] = positive
    keep[0] = False
    return keep[comp]


def _otsu_mask(image: np.ndarray) -> np.ndarray:
    key = (image.__array_interface__["data"][0], image.shape, image.dtype.str)
    return _otsu_cached(key, image)


_OTSU: dict[tuple[object, ...], np.ndarray] = {}


def _otsu_cached(key: tuple[object, ...], image: np.ndarray) -> np.ndarray:
    if key not in _OTSU:
        _OTSU.clear()
        _OTSU[key] = threshold_mask(image, method="otsu")
    return _OTSU[key]


def tool_auto_click(image: np.ndarray, clicks: list[Click], prev: np.ndarray | None) -> np.ndarray:
    """One-click auto-segment: of the image's ranked proposals (``auto_proposals``, at most 60),
    the one holding the most positive and fewest negative clicks, the better-ranked on ties;
    nothing when no proposal holds a positive click."""
    props = _proposals(image)
    best, best_key = None, None
    for rank, p in enumerate(props):
        x0, y0 = p.origin
        ph, pw = p.mask.shape
        hits = 0
        for x, y, positive in clicks:
            inside = x0 <= x < x0 + pw and y0 <= y < y0 + ph and bool(p.mask[y - y0, x - x0])
            hits += (1 if positive else -1) if inside else 0
        key = (hits, -rank)
        if hits > 0 and (best_key is None or key > best_key):
            best, best_key = p, key
    if best is None:
        return np.zeros(image.shape[:2], bool)
    return best.full_mask(image.shape[:2])


_PROPS: dict[tuple[object, ...], list] = {}


def _proposals(image: np.ndarray) -> list:
    key = (image.__array_interface__["data"][0], image.shape, image.dtype.str)
    if key not in _PROPS:
        _PROPS.clear()
        _PROPS[key] = auto_proposals(image)
    return _PROPS[key]


# ---------------------------------------------------------------- box tools


def tool_grabcut_box(
    image: np.ndarray, box: np.ndarray, clicks: list[Click], prev: np.ndarray | None
) -> np.ndarray:
    fg, bg = discs(image.shape[:2], clicks, DISC)
    return grabcut(image, box=tuple(box), fg_scribbles=fg, bg_scribbles=bg)


def tool_grabcut_extreme(
    image: np.ndarray, pts: np.ndarray, clicks: list[Click], prev: np.ndarray | None
) -> np.ndarray:
    fg, bg = discs(image.shape[:2], clicks, DISC)
    return grabcut(image, extreme_points=pts, fg_scribbles=fg, bg_scribbles=bg)


def _plain_correct(
    rgb: np.ndarray, labels: np.ndarray, prev: np.ndarray, clicks: list[Click]
) -> np.ndarray:
    """Re-run plain GrabCut from the previous result (probable labels) with definite discs."""
    lab = labels.copy()
    movable = (lab == cv2.GC_PR_FGD) | (lab == cv2.GC_PR_BGD)
    lab[movable] = np.where(prev[movable], cv2.GC_PR_FGD, cv2.GC_PR_BGD)
    fg, bg = discs(lab.shape, clicks, DISC)
    lab[fg] = cv2.GC_FGD
    lab[bg] = cv2.GC_BGD
    return _grabcut_mask(rgb, lab)


def _grabcut_mask(rgb: np.ndarray, lab: np.ndarray) -> np.ndarray:
    is_fg = np.isin(lab, (cv2.GC_FGD, cv2.GC_PR_FGD))
    if is_fg.any() and not is_fg.all():
        cv2.grabCut(rgb, lab, None, np.zeros((1, 65)), np.zeros((1, 65)), 5, cv2.GC_INIT_WITH_MASK)
    return np.isin(lab, (cv2.GC_FGD, cv2.GC_PR_FGD))


def _box_labels(shape: tuple[int, int], x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    lab = np.full(shape, cv2.GC_BGD, np.uint8)
    lab[y0 : y1 + 1, x0 : x1 + 1] = cv2.GC_PR_FGD
    if not (lab == cv2.GC_BGD).any():  # box = whole image: its frame is probable background
        lab[[0, -1], :] = cv2.GC_PR_BGD
        lab[:, [0, -1]] = cv2.GC_PR_BGD
    return lab


def plain_grabcut_box(
    image: np.ndarray, box: np.ndarray, clicks: list[Click], prev: np.ndarray | None
) -> np.ndarray:
    rgb = to_rgb8(image)
    x0, y0, x1, y1 = (int(v) for v in box)
    lab = _box_labels(rgb.shape[:2], x0, y0, x1, y1)
    if not clicks or prev is None:
        mask = np.zeros(rgb.shape[:2], np.uint8)
        rect = (x0, y0, x1 - x0 + 1, y1 - y0 + 1)
        cv2.grabCut(rgb, mask, rect, np.zeros((1, 65)), np.zeros((1, 65)), 5, cv2.GC_INIT_WITH_RECT)
        return np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD))
    return _plain_correct(rgb, lab, prev, clicks)


def plain_dextr(
    image: np.ndarray, pts: np.ndarray, clicks: list[Click], prev: np.ndarray | None
) -> np.ndarray:
    rgb = to_rgb8(image)
    p = np.round(pts).astype(int)
    x0, y0 = p.min(axis=0)
    x1, y1 = p.max(axis=0)
    lab = _box_labels(rgb.shape[:2], x0, y0, x1, y1)
    for x, y in p:
        cv2.circle(lab, (int(x), int(y)), EXTREME_DISC, cv2.GC_FGD, -1)
    if not clicks or prev is None:
        return _grabcut_mask(rgb, lab)
    return _plain_correct(rgb, lab, prev, clicks)


CLICK_TOOLS: dict[str, Callable[..., np.ndarray]] = {
    "click_segment": tool_click_segment,
    "region_grow tol 10 (app default)": make_region_grow(10),
    "region_grow tol 25": make_region_grow(25),
    "threshold (Otsu) + click": tool_threshold_click,
    "auto-segment click-on-object": tool_auto_click,
    "plain cv2.floodFill (baseline)": tool_flood_fill,
}

BOX_TOOLS: dict[str, tuple[Callable[..., np.ndarray], bool]] = {
    "grabcut(box=)": (tool_grabcut_box, False),
    "plain cv2.grabCut box (baseline)": (plain_grabcut_box, False),
    "grabcut(extreme_points=)": (tool_grabcut_extreme, True),
    "plain DEXTR-style GrabCut (baseline)": (plain_dextr, True),
}

__all__ = ["BOX_TOOLS", "CLICK_TOOLS"]
