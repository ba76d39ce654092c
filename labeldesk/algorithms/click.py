"""Click segmentation without a model: positive and negative clicks give one object mask.

``click_segment(image, clicks, box=..., previous=...)`` is what a "click tool" calls after
every click: the clicks so far (positive: on the object, negative: on something that is not),
an optional box the object lies in, and the previous result, which the next result refines.

Method: GrabCut on a crop around the clicks (and the previous mask / box), with a disc at
every click as a hard constraint (object for a positive click, background for a negative one).
The crop is scaled down for the graph cut (see ``graphcut._run``). Only the connected parts
of the result that contain a positive click are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms._validate import (
    Window,
    check_box,
    check_image,
    check_points,
    crop,
    grow_window,
    mask_window,
    optional_mask,
    pixel,
    to_rgb8,
    union_window,
)
from labeldesk.algorithms.graphcut import MAX_SIDE, _keep_seeded, _run

Click = tuple[float, float, bool]


def click_segment(
    image: Any,
    clicks: Sequence[Any],
    *,
    box: Any = None,
    previous: Any = None,
) -> np.ndarray:
    """Segment the object the clicks point at.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` RGB, uint8/uint16/float.
        clicks: ``(x, y, positive)`` triples in the order they were made; ``positive`` is True
            for a click on the object and False for a click on background (or on another
            object). At least one positive click, or a non-empty ``previous``, is needed.
        box: optional ``(x0, y0, x1, y1)``, inclusive corners: the object lies inside it.
        previous: optional ``(H, W)`` bool mask, the result before the last click; it is the
            starting guess that the clicks correct.

    Returns:
        ``(H, W)`` bool mask; every positive click's pixel is in it and every negative click's
        pixel is not.

    Raises:
        ValueError: bad image, clicks that are not ``(x, y, positive)`` or are outside the image,
            no positive click (and no previous mask), a zero-size box or a previous mask of the
            wrong shape.
    """
    img = check_image(image)
    h, w = img.shape[:2]
    shape = (h, w)
    pos, neg = check_clicks(clicks, shape)
    prev = optional_mask(previous, shape, "previous")
    if prev is not None and not prev.any():
        prev = None
    if not pos and prev is None:
        raise ValueError("clicks need at least one positive click (on the object)")
    region: Window | None = None if box is None else check_box(box, shape, "box")

    win = _window(shape, pos, neg, prev, region)
    x0, y0, x1, y1 = win
    ch, cw = y1 - y0, x1 - x0
    radius = _disc_radius(win)
    fg = np.zeros((ch, cw), np.uint8)
    bg = np.zeros((ch, cw), np.uint8)
    for px, py in pos:
        cv2.circle(fg, (px - x0, py - y0), radius, 1, -1)
    for px, py in neg:
        cv2.circle(bg, (px - x0, py - y0), radius, 1, -1)
    fg_m, bg_m = fg.astype(bool), bg.astype(bool)
    # a negative click wins over a positive disc it overlaps, but never its own pixel
    fg_m &= ~bg_m
    for px, py in pos:
        fg_m[py - y0, px - x0] = True
        bg_m[py - y0, px - x0] = False

    labels = np.full((ch, cw), cv2.GC_PR_BGD, np.uint8)
    if prev is not None:
        labels[crop(prev, win)] = cv2.GC_PR_FGD
    else:
        labels[_colour_guess(crop(img, win), [(px - x0, py - y0) for px, py in pos])] = (
            cv2.GC_PR_FGD
        )
    if region is not None:
        outside = np.ones((ch, cw), bool)
        outside[region[1] - y0 : region[3] - y0, region[0] - x0 : region[2] - x0] = False
        labels[outside] = cv2.GC_BGD
    else:  # the crop's frame is background unless it is the image's edge
        if y0 > 0:
            labels[0, :] = cv2.GC_BGD
        if y1 < h:
            labels[-1, :] = cv2.GC_BGD
        if x0 > 0:
            labels[:, 0] = cv2.GC_BGD
        if x1 < w:
            labels[:, -1] = cv2.GC_BGD
    result = _run(crop(img, win), labels, fg_m, bg_m if bg_m.any() else None, 5, MAX_SIDE)
    seeds = np.zeros((ch, cw), bool)
    for px, py in pos:
        seeds[py - y0, px - x0] = True
    if not pos:  # negative clicks only: keep what is left of the previous mask
        seeds = crop(prev, win) & result  # type: ignore[arg-type]
    result = _keep_seeded(result, seeds, largest=False)
    out = np.zeros(shape, bool)
    out[y0:y1, x0:x1] = result
    if prev is not None and not pos:
        out[y0:y1, x0:x1] &= crop(prev, win)
    return out


def check_clicks(
    clicks: Any, shape: tuple[int, int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``clicks`` as the integer pixels of the positive and of the negative clicks."""
    if clicks is None or isinstance(clicks, str | bytes):
        raise ValueError(f"clicks must be a sequence of (x, y, positive), got {clicks!r:.60}")
    try:
        items = list(clicks)
    except TypeError:
        raise ValueError(
            f"clicks must be a sequence of (x, y, positive), got {clicks!r:.60}"
        ) from None
    pos: list[tuple[int, int]] = []
    neg: list[tuple[int, int]] = []
    for i, item in enumerate(items):
        try:
            x, y, positive = item
        except (TypeError, ValueError):
            raise ValueError(f"clicks[{i}] must be (x, y, positive), got {item!r:.60}") from None
        if not isinstance(positive, bool | np.bool_ | int | np.integer) or positive not in (
            0,
            1,
        ):
            raise ValueError(f"clicks[{i}]: positive must be True or False, got {positive!r:.40}")
        pt = check_points([(x, y)], shape, f"clicks[{i}]")[0]
        (pos if positive else neg).append(pixel(pt))
    return pos, neg


def _window(
    shape: tuple[int, int],
    pos: list[tuple[int, int]],
    neg: list[tuple[int, int]],
    prev: np.ndarray | None,
    region: Window | None,
) -> Window:
    """The crop: the box if given, else clicks and previous mask grown by a margin."""
    h, w = shape
    if region is not None:
        rw, rh = region[2] - region[0], region[3] - region[1]
        return grow_window(region, max(8, max(rw, rh) // 10), shape)
    win: Window | None = None if prev is None else mask_window(prev)
    for px, py in pos + neg:
        win = union_window(win, (px, py, px + 1, py + 1))
    assert win is not None
    ww, wh = win[2] - win[0], win[3] - win[1]
    # a single click says nothing about size: look at a window a fifth of the image across
    margin = max(max(ww, wh) // 2, min(h, w) // 5, 24)
    return grow_window(win, margin, shape)


def _disc_radius(win: Window) -> int:
    side = max(win[2] - win[0], win[3] - win[1])
    return int(np.clip(round(side / 100), 2, 8))


def _colour_guess(sub: np.ndarray, seeds: list[tuple[int, int]]) -> np.ndarray:
    """A first guess of the object: pixels of similar colour connected to a positive click
    (flood fill of the lightly smoothed crop, tolerance from the colour spread at the click)."""
    rgb = cv2.GaussianBlur(to_rgb8(sub), (0, 0), 1.5)
    h, w = rgb.shape[:2]
    guess = np.zeros((h, w), bool)
    for sx, sy in seeds:
        patch = rgb[max(0, sy - 3) : sy + 4, max(0, sx - 3) : sx + 4].reshape(-1, 3)
        tol = float(np.clip(2.5 * patch.std(axis=0).max(), 12, 40))
        ff = np.zeros((h + 2, w + 2), np.uint8)
        flags = 8 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (1 << 8)
        cv2.floodFill(rgb, ff, (sx, sy), (0, 0, 0), (tol,) * 3, (tol,) * 3, flags)
        guess |= ff[1:-1, 1:-1].astype(bool)
    return guess
