"""Click segmentation without a model: positive and negative clicks give one object mask.

``click_segment(image, clicks, box=..., previous=...)`` is what a "click tool" calls after
every click: the clicks so far (positive: on the object, negative: on something that is not),
an optional box the object lies in, and the previous result, which the next result refines.

Method (chosen on the real-image benchmark, benchmarks/bench_interactive.py): GrabCut on a
crop, with a disc at every click as a hard constraint (object / background), where the clicks
also say where the object is:

- first click: the object's box is guessed by walking 16 rays from the click over a small
  copy of the image until the colour changes clearly (at least a twentieth of the image
  across, grown by a third), and GrabCut runs from that box as from a drawn one;
- later clicks: the previous result is the starting guess (probable object inside, probable
  background outside, in its box grown by an eighth); a positive click it missed adds the ray
  box around the click (capped at three times the click's distance to the result, so a click
  that mends an edge stays local); a negative click inside it turns the pixels of its colour
  around it (as far as three times its distance to the result's edge) to probable background;
- only the connected parts that contain a positive click are kept.

The crop is scaled down to at most 200 px for the graph cut (``graphcut._run``; 3 GrabCut
iterations for the first click, 2 after), so the cost hardly grows with the image. On the real
set (benchmarks/bench_interactive.py, 33 photo objects) NoC@85 is 6.8 (GrabCut on a fixed crop
around the click with a flood-fill guess: 8.7; region growing: 16.7 at tolerance 25).
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
from labeldesk.algorithms.graphcut import _keep_seeded, _run

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
    user_box: Window | None = None if box is None else check_box(box, shape, "box")

    # the object's region R (a box: outside it is background) and the crop W around it
    fresh = [p for p in pos if prev is None or not prev[p[1], p[0]]]  # clicks prev missed
    extents = [_extent(img, p) for p in fresh]
    if prev is not None and fresh:  # near the previous result, a click only mends its edge
        extents = [_cap(e, p, _distance_to(prev, p)) for e, p in zip(extents, fresh, strict=True)]
    region: Window | None = user_box
    if region is None:
        region = None if prev is None else mask_window(prev)
        for ext in extents:
            region = union_window(region, ext)
        for px, py in pos:
            region = union_window(region, (px, py, px + 1, py + 1))
        assert region is not None
        rw, rh = region[2] - region[0], region[3] - region[1]
        region = grow_window(region, max(4, max(rw, rh) // 8), shape)
    rw, rh = region[2] - region[0], region[3] - region[1]
    win = grow_window(region, max(8, max(rw, rh) // 4), shape)
    x0, y0, x1, y1 = win
    ch, cw = y1 - y0, x1 - x0
    inside = np.zeros((ch, cw), bool)
    inside[region[1] - y0 : region[3] - y0, region[0] - x0 : region[2] - x0] = True

    labels = np.full((ch, cw), cv2.GC_BGD, np.uint8)
    if prev is None:  # GrabCut from the inferred box
        labels[inside] = cv2.GC_PR_FGD
    else:  # the previous result is the starting guess; what it missed around new clicks too
        labels[inside] = np.where(crop(prev, win)[inside], cv2.GC_PR_FGD, cv2.GC_PR_BGD)
        for ex0, ey0, ex1, ey1 in extents:
            box_c = labels[max(0, ey0 - y0) : ey1 - y0, max(0, ex0 - x0) : ex1 - x0]
            box_c[box_c == cv2.GC_PR_BGD] = cv2.GC_PR_FGD
        # a negative click inside the previous result: the pixels of its colour around it,
        # as far as the click is from the result's edge, become probable background
        for px, py in neg:
            if prev[py, px]:
                r = int(3 * _distance_to(~prev, (px, py)) + 4)
                _similar_to_bgd(img, labels, win, (px, py), r)
    if not (labels == cv2.GC_BGD).any():  # the region is the whole image: a probable frame
        frame = np.zeros((ch, cw), bool)
        frame[[0, -1], :] = frame[:, [0, -1]] = True
        labels[frame & (labels == cv2.GC_PR_FGD)] = cv2.GC_PR_BGD

    radius = _disc_radius(region)
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

    iterations = 3 if prev is None else 2  # fewer than grabcut: an answer per click is due
    # no full-resolution boundary pass here: an answer per click within ~100 ms matters more
    bgm = bg_m if bg_m.any() else None
    result = _run(crop(img, win), labels, fg_m, bgm, iterations, CLICK_SIDE, refine=False)
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


def _disc_radius(win: Window) -> int:
    side = max(win[2] - win[0], win[3] - win[1])
    return int(np.clip(round(side / 60), 2, 8))


RAYS = 16
CLICK_SIDE = 200  # the graph cut works on a crop scaled to at most this many pixels across
EXTENT_SIDE = 384  # the extent guess works on a copy at most this many pixels across


def _extent(img: np.ndarray, click: tuple[int, int]) -> Window:
    """A guess of the clicked object's box: from the click, walk 16 rays over a small,
    smoothed copy until the colour differs clearly from the click's; the box of the ray ends,
    grown by a third (objects are rarely star-convex from one point)."""
    h, w = img.shape[:2]
    step = max(1, -(-max(h, w) // EXTENT_SIDE))  # every step-th pixel: no full-size pass
    scale = 1.0 / step
    rgb = to_rgb8(np.ascontiguousarray(img[::step, ::step]))
    sh, sw = rgb.shape[:2]
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), 1.0), cv2.COLOR_RGB2LAB).astype(np.float32)
    cx = min(sw - 1, int(click[0] * scale))
    cy = min(sh - 1, int(click[1] * scale))
    patch = lab[max(0, cy - 2) : cy + 3, max(0, cx - 2) : cx + 3].reshape(-1, 3)
    colour = patch.mean(axis=0)
    tol = float(np.clip(12.0 + 2.5 * np.linalg.norm(patch.std(axis=0)), 12.0, 30.0))
    length = int(np.hypot(sh, sw))
    t = np.arange(1, length, dtype=np.float32)
    ang = np.arange(RAYS, dtype=np.float32) * (2 * np.pi / RAYS)
    xs = cx + np.outer(np.cos(ang), t)
    ys = cy + np.outer(np.sin(ang), t)
    valid = (xs >= 0) & (xs <= sw - 1) & (ys >= 0) & (ys <= sh - 1)
    xi = np.clip(np.round(xs), 0, sw - 1).astype(np.intp)
    yi = np.clip(np.round(ys), 0, sh - 1).astype(np.intp)
    far = np.linalg.norm(lab[yi, xi] - colour, axis=2) > tol
    stop = far | ~valid
    # the first step where the ray leaves the object's colour (or the image)
    first = np.where(stop.any(axis=1), np.argmax(stop, axis=1), length - 1)
    ex = cx + np.cos(ang) * t[np.maximum(first - 1, 0)]
    ey = cy + np.sin(ang) * t[np.maximum(first - 1, 0)]
    ex = np.append(ex, cx)
    ey = np.append(ey, cy)
    # at least a twentieth of the image across around the click: one ray ending on a texture
    # detail must not make the guess a speck
    least = 0.05 * max(sh, sw)
    bx0, bx1 = min(ex.min(), cx - least), max(ex.max(), cx + least)
    by0, by1 = min(ey.min(), cy - least), max(ey.max(), cy + least)
    gx, gy = (bx1 - bx0) / 3 + 2, (by1 - by0) / 3 + 2
    x0 = int(max(0, (bx0 - gx) / scale))
    y0 = int(max(0, (by0 - gy) / scale))
    x1 = int(min(w, (bx1 + gx) / scale + 1))
    y1 = int(min(h, (by1 + gy) / scale + 1))
    return x0, y0, max(x1, x0 + 2), max(y1, y0 + 2)


def _distance_to(mask: np.ndarray, p: tuple[int, int]) -> float:
    """Distance from pixel ``p`` to the nearest True pixel of ``mask`` (looked for in a window
    that doubles until it finds one)."""
    h, w = mask.shape
    half = 32
    while True:
        x0, y0 = max(0, p[0] - half), max(0, p[1] - half)
        sub = mask[y0 : p[1] + half + 1, x0 : p[0] + half + 1]
        if sub.any():
            ys, xs = np.nonzero(sub)
            d = float(np.sqrt(((xs + x0 - p[0]) ** 2 + (ys + y0 - p[1]) ** 2).min()))
            if d <= half or (x0 == 0 and y0 == 0 and half >= max(h, w)):
                return d
        if half >= max(h, w):
            return float(max(h, w))
        half *= 2


def _cap(ext: Window, p: tuple[int, int], dist: float) -> Window:
    """``ext`` limited to a square of half-side ``3 * dist + 4`` around ``p``."""
    r = int(3 * dist + 4)
    return (
        max(ext[0], p[0] - r),
        max(ext[1], p[1] - r),
        min(ext[2], p[0] + r + 1),
        min(ext[3], p[1] + r + 1),
    )


def _similar_to_bgd(
    img: np.ndarray, labels: np.ndarray, win: Window, p: tuple[int, int], r: int
) -> None:
    """Within ``r`` of click ``p``, probable-object pixels whose colour is near the click's
    become probable background (in place, on the crop's labels)."""
    x0, y0 = win[:2]
    ax0, ay0 = max(win[0], p[0] - r), max(win[1], p[1] - r)
    ax1, ay1 = min(win[2], p[0] + r + 1), min(win[3], p[1] + r + 1)
    sub = cv2.GaussianBlur(to_rgb8(img[ay0:ay1, ax0:ax1]), (0, 0), 1.0)
    lab = cv2.cvtColor(sub, cv2.COLOR_RGB2LAB).astype(np.float32)
    cy, cx = p[1] - ay0, p[0] - ax0
    patch = lab[max(0, cy - 2) : cy + 3, max(0, cx - 2) : cx + 3].reshape(-1, 3)
    tol = float(np.clip(12.0 + 2.5 * np.linalg.norm(patch.std(axis=0)), 12.0, 30.0))
    near = np.linalg.norm(lab - patch.mean(axis=0), axis=2) <= tol
    part = labels[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0]
    part[near & (part == cv2.GC_PR_FGD)] = cv2.GC_PR_BGD
