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

Everything runs on the crop scaled down to at most 200 px (the small grid: labels, click
discs, the negative click's colour test, GrabCut with 3 iterations for the first click and 2
after, the connected parts); only the result is scaled up, once, into the crop, so the cost
hardly grows with the image (4000x3000, object half the image: ~60-75 ms CPU per click, was
~240). The grid samples the image as a nearest-neighbour resize of full-size labels would, so
results match the earlier full-size construction. On the real set
(benchmarks/bench_interactive.py, 33 photo objects) NoC@85 is 6.7 (GrabCut on a fixed crop
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
from labeldesk.algorithms.graphcut import _keep_seeded

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
    # everything below works on the crop scaled down to at most CLICK_SIDE px (the small
    # grid); only the final mask is scaled up, once, into the crop
    grid = _Grid(win, CLICK_SIDE)
    sw, sh = grid.size
    small = grid.image(img)
    sx0, sy0 = grid.lo(region[0], region[1])
    sx1, sy1 = grid.lo(region[2], region[3])
    inside = np.zeros((sh, sw), bool)
    inside[sy0:sy1, sx0:sx1] = True
    prev_s = None if prev is None else grid.mask(prev)

    labels = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    if prev_s is None:  # GrabCut from the inferred box
        labels[inside] = cv2.GC_PR_FGD
    else:  # the previous result is the starting guess; what it missed around new clicks too
        labels[inside] = np.where(prev_s[inside], cv2.GC_PR_FGD, cv2.GC_PR_BGD)
        for ext in extents:
            ex0, ey0 = grid.lo(ext[0], ext[1])
            ex1, ey1 = grid.lo(ext[2], ext[3])
            box_c = labels[ey0:ey1, ex0:ex1]
            box_c[box_c == cv2.GC_PR_BGD] = cv2.GC_PR_FGD
        # a negative click inside the previous result: the pixels of its colour around it,
        # as far as the click is from the result's edge, become probable background
        for px, py in neg:
            if prev is not None and prev[py, px]:
                r = 3 * _distance_to(~prev, (px, py)) + 4
                _similar_to_bgd(img, labels, grid, (px, py), int(r))
    if not (labels == cv2.GC_BGD).any():  # the region is the whole image: a probable frame
        frame = np.zeros((sh, sw), bool)
        frame[[0, -1], :] = frame[:, [0, -1]] = True
        labels[frame & (labels == cv2.GC_PR_FGD)] = cv2.GC_PR_BGD

    # discs at the clicks: hard constraints (a negative one wins over a positive disc it
    # overlaps, but never over the positive click's own pixel)
    radius = _disc_radius(region)
    for points, value in ((neg, cv2.GC_BGD), (pos, cv2.GC_FGD)):
        for px, py in points:
            grid.disc(labels, (px, py), radius, value)
    for px, py in pos:
        sx, sy = grid.at(px, py)
        labels[sy, sx] = cv2.GC_FGD

    iterations = 3 if prev is None else 2  # fewer than grabcut: an answer per click is due
    is_fg = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))
    if is_fg.any() and not is_fg.all():  # GrabCut needs samples of both classes
        bgd_model = np.zeros((1, 65), np.float64)
        fgd_model = np.zeros((1, 65), np.float64)
        cv2.setRNGSeed(0)  # GrabCut's k-means start is random: same clicks, same mask
        cv2.grabCut(
            small, labels, (0, 0, 1, 1), bgd_model, fgd_model, iterations, cv2.GC_INIT_WITH_MASK
        )
    result = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))
    # only the connected parts with a positive click (found on the small grid)
    seeds = np.zeros((sh, sw), bool)
    for px, py in pos:
        sx, sy = grid.at(px, py)
        seeds[sy, sx] = True
    if not pos and prev_s is not None:  # negative clicks only: what is left of the previous
        seeds = prev_s & result
    result = _keep_seeded(result, seeds, largest=False)

    out = np.zeros(shape, bool)
    sub = out[y0:y1, x0:x1]
    if grid.scale < 1.0:  # the one full-size step: scaled up into the crop, nothing more
        prob = cv2.resize(result.astype(np.float32), (cw, ch), interpolation=cv2.INTER_LINEAR)
        np.greater(prob, 0.5, out=sub)
    else:
        sub[:] = result
    # outside the region is background; the click discs hold at full resolution
    ry0, ry1 = region[1] - y0, region[3] - y0
    rx0, rx1 = region[0] - x0, region[2] - x0
    sub[:ry0] = False
    sub[ry1:] = False
    sub[:, :rx0] = False
    sub[:, rx1:] = False
    view = sub.view(np.uint8)
    for px, py in pos:
        cv2.circle(view, (px - x0, py - y0), radius, 1, -1)
    for px, py in neg:
        cv2.circle(view, (px - x0, py - y0), radius, 0, -1)
    for px, py in pos:
        sub[py - y0, px - x0] = True
    if prev is not None and not pos:
        sub &= crop(prev, win)
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
    img: np.ndarray, labels: np.ndarray, grid: _Grid, p: tuple[int, int], r: int
) -> None:
    """Within ``r`` of click ``p``, probable-object pixels (of the small grid's ``labels``)
    whose colour is near the click's become probable background (in place). The colours are
    read at full resolution, every k-th pixel on a big crop (k from the grid)."""
    win, k = grid.win, grid.step
    ax0, ay0 = max(win[0], p[0] - r), max(win[1], p[1] - r)
    ax1, ay1 = min(win[2], p[0] + r + 1), min(win[3], p[1] + r + 1)
    i0, j0 = grid.lo(ax0, ay0)
    i1, j1 = grid.lo(ax1, ay1)
    if i1 <= i0 or j1 <= j0:
        return
    sub = to_rgb8(np.ascontiguousarray(img[ay0:ay1:k, ax0:ax1:k]))
    sub = cv2.GaussianBlur(sub, (0, 0), max(0.5, 1.0 / k))
    lab = cv2.cvtColor(sub, cv2.COLOR_RGB2LAB).astype(np.float32)
    cy, cx = (p[1] - ay0) // k, (p[0] - ax0) // k
    patch = lab[max(0, cy - 2) : cy + 3, max(0, cx - 2) : cx + 3].reshape(-1, 3)
    tol = float(np.clip(12.0 + 2.5 * np.linalg.norm(patch.std(axis=0)), 12.0, 30.0))
    # the colours at the full-resolution pixels the small grid samples
    ys = np.minimum((grid.ys[j0:j1] + win[1] - ay0) // k, lab.shape[0] - 1).astype(np.intp)
    xs = np.minimum((grid.xs[i0:i1] + win[0] - ax0) // k, lab.shape[1] - 1).astype(np.intp)
    sampled = lab[ys[:, None], xs[None, :]]
    near = np.linalg.norm(sampled - patch.mean(axis=0), axis=2) <= tol
    part = labels[j0:j1, i0:i1]
    part[near & (part == cv2.GC_PR_FGD)] = cv2.GC_PR_BGD


class _Grid:
    """The crop ``win`` of the image scaled down to at most ``side`` px across: the grid the
    graph cut works on, and the mapping of full-resolution pixels onto it."""

    def __init__(self, win: Window, side: int) -> None:
        self.win = win
        ch, cw = win[3] - win[1], win[2] - win[0]
        self.scale = min(1.0, side / max(ch, cw))
        if self.scale < 1.0:
            self.size = (max(2, round(cw * self.scale)), max(2, round(ch * self.scale)))
        else:
            self.size = (cw, ch)
        self.fx = self.size[0] / cw  # small px per full px, per axis
        self.fy = self.size[1] / ch
        self.step = max(1, int(0.5 / self.scale)) if self.scale < 1.0 else 1
        # the full-resolution pixel each small pixel samples (OpenCV's nearest-neighbour rule)
        self.xs = np.minimum(np.floor(np.arange(self.size[0]) * (cw / self.size[0])), cw - 1)
        self.ys = np.minimum(np.floor(np.arange(self.size[1]) * (ch / self.size[1])), ch - 1)

    def at(self, x: int, y: int) -> tuple[int, int]:
        """The small pixel a full-resolution pixel falls in."""
        sx = min(self.size[0] - 1, int((x - self.win[0]) * self.fx))
        sy = min(self.size[1] - 1, int((y - self.win[1]) * self.fy))
        return sx, sy

    def lo(self, x: int, y: int) -> tuple[int, int]:
        """A full-resolution window's corner on the small grid: the first small pixel whose
        nearest full-resolution sample is at or past it (as a nearest-neighbour resize of a
        full-size label map would give; an end corner is exclusive on both grids)."""
        sx = int(np.searchsorted(self.xs, x - self.win[0], side="left"))
        sy = int(np.searchsorted(self.ys, y - self.win[1], side="left"))
        return sx, sy

    def disc(self, labels: np.ndarray, p: tuple[int, int], radius: int, value: int) -> None:
        """Every small pixel that a full-resolution disc at ``p`` touches gets ``value`` (so
        a small disc survives the scaling)."""
        d = 2 * radius + 1
        local = np.zeros((d, d), np.uint8)
        cv2.circle(local, (radius, radius), radius, 1, -1)
        ys, xs = np.nonzero(local)
        xs = np.clip(xs + p[0] - radius, self.win[0], self.win[2] - 1) - self.win[0]
        ys = np.clip(ys + p[1] - radius, self.win[1], self.win[3] - 1) - self.win[1]
        sx = np.minimum((xs * self.fx).astype(np.intp), self.size[0] - 1)
        sy = np.minimum((ys * self.fy).astype(np.intp), self.size[1] - 1)
        labels[sy, sx] = value

    def image(self, img: np.ndarray) -> np.ndarray:
        """The crop as RGB uint8 on the small grid (area-averaged from a copy that reads every
        k-th pixel, k about half the reduction, so no full-size pass over a big crop)."""
        sub = crop(img, self.win)
        if self.scale < 1.0:
            sub = np.ascontiguousarray(sub[:: self.step, :: self.step])
        rgb = to_rgb8(sub)
        if self.scale < 1.0:
            rgb = cv2.resize(rgb, self.size, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(rgb)

    def mask(self, mask: np.ndarray) -> np.ndarray:
        """A full-resolution bool mask's crop on the small grid (nearest pixel)."""
        sub = crop(mask, self.win)
        if self.scale >= 1.0:
            return sub.copy()
        return cv2.resize(sub.view(np.uint8), self.size, interpolation=cv2.INTER_NEAREST) > 0
