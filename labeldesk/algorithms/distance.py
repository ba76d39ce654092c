"""Mask boundaries and exact Euclidean distance transforms, in 2-D and 3-D, with spacing.

- :func:`mask_edges` is MONAI's surface: the pixels of the mask that are not in its binary
  erosion by the cross-shaped (4- / 6-connected) structuring element, with everything outside
  the array counted as background (``scipy.ndimage.binary_erosion`` with its defaults, which
  ``monai.metrics.utils.get_mask_edges`` applies to the masks cropped with a 1-pixel margin).
- :func:`distance_to` is the exact Euclidean distance from every element to the nearest True
  element of ``features``, in physical units when ``spacing`` is given (one value per array
  axis, as MONAI's ``spacing`` and scipy's ``sampling``). 2-D with equal spacing on both axes
  uses OpenCV's exact transform (``DIST_MASK_PRECISE``, Felzenszwalb-Huttenlocher, float32);
  3-D with square pixels runs it slice by slice and finishes across slices with the same
  algorithm in numpy; anything else (unequal in-plane spacing) uses :func:`exact_edt`
  below, one numpy pass per axis, all lines of a pass in lock-step.

scipy is not a dependency of labeldesk: OpenCV covers the common case (photos in pixels) at
C speed, and the general case is ~100 lines of numpy here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np


def check_spacing(spacing: Any, ndim: int, name: str = "spacing") -> np.ndarray:
    """``spacing`` as ``ndim`` positive finite floats (one number = the same on every axis)."""
    if spacing is None:
        return np.ones(ndim, dtype=np.float64)
    arr = np.atleast_1d(np.asarray(spacing, dtype=np.float64))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a number or {ndim} numbers, got shape {arr.shape}")
    if arr.size == 1:
        arr = np.repeat(arr, ndim)
    if arr.size != ndim:
        raise ValueError(f"{name} must have one value per axis ({ndim}), got {arr.size}")
    if not (np.isfinite(arr).all() and (arr > 0).all()):
        raise ValueError(f"{name} must be positive and finite, got {arr.tolist()}")
    return arr


def mask_edges(mask: np.ndarray) -> np.ndarray:
    """The boundary of a bool mask of any dimension (see the module docstring)."""
    m = np.asarray(mask, dtype=bool)
    if m.ndim == 2 and m.size:
        kernel = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
        eroded = cv2.erode(
            m.view(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0
        ).view(bool)
        return m & ~eroded
    padded = np.pad(m, 1, constant_values=False)
    inner = tuple(slice(1, -1) for _ in range(m.ndim))
    eroded = m.copy()
    for axis in range(m.ndim):
        for step in (-1, 1):
            sl = list(inner)
            sl[axis] = slice(1 + step, padded.shape[axis] - 1 + step)
            eroded &= padded[tuple(sl)]
    return m & ~eroded


def _envelope(g: np.ndarray, s2: float) -> np.ndarray:
    """``f[l, p] = min_q g[l, q] + s2 * (p - q)**2`` for every line ``l`` (exact).

    Felzenszwalb-Huttenlocher lower envelope of parabolas, run for all lines at once; ``g``
    holds squared distances, ``inf`` where a line has no feature yet.
    """
    lines, n = g.shape
    out = np.full((lines, n), np.inf)
    if n == 0 or lines == 0:
        return out
    v = np.zeros((lines, n), dtype=np.int64)  # positions of the envelope's parabolas
    z = np.zeros((lines, n + 1))  # z[k]..z[k+1]: where parabola k is lowest
    k = np.full(lines, -1, dtype=np.int64)  # index of the last parabola, -1 = none yet
    for q in range(n):
        gq = g[:, q]
        rows = np.flatnonzero(np.isfinite(gq))
        if rows.size == 0:
            continue
        fq = gq[rows] + s2 * q * q
        old = k[rows] >= 0
        start = rows[~old]
        rows_k, fk = rows[old], fq[old]
        s_all = np.empty(rows_k.size)
        todo = np.arange(rows_k.size)
        while todo.size:  # pop the parabolas that the new one hides (z[0] = -inf stops it)
            r = rows_k[todo]
            kr = k[r]
            vk = v[r, kr]
            s = (fk[todo] - (g[r, vk] + s2 * vk * vk)) / (2.0 * s2 * (q - vk))
            s_all[todo] = s
            pop = s <= z[r, kr]
            k[r[pop]] -= 1
            todo = todo[pop]
        k[rows_k] += 1
        v[rows_k, k[rows_k]] = q
        z[rows_k, k[rows_k]] = s_all
        z[rows_k, k[rows_k] + 1] = np.inf
        k[start] = 0
        v[start, 0] = q
        z[start, 0] = -np.inf
        z[start, 1] = np.inf
    have = np.flatnonzero(k >= 0)
    if have.size == 0:
        return out
    j = np.zeros(have.size, dtype=np.int64)
    for p in range(n):
        while True:
            adv = z[have, j + 1] < p
            if not adv.any():
                break
            j[adv] += 1
        vj = v[have, j]
        out[have, p] = s2 * (p - vj) ** 2 + g[have, vj]
    return out


def exact_edt(features: np.ndarray, *, spacing: Sequence[float] | np.ndarray | None = None):
    """Exact Euclidean distance (float64) from every element to the nearest True element of
    ``features`` (any dimension), with ``spacing`` per axis; ``inf`` everywhere if none."""
    feat = np.asarray(features, dtype=bool)
    sp = check_spacing(spacing, feat.ndim)
    sq = np.where(feat, 0.0, np.inf)
    for axis in range(feat.ndim):
        moved = np.moveaxis(sq, axis, -1)
        shape = moved.shape
        flat = np.ascontiguousarray(moved).reshape(-1, shape[-1])
        sq = np.moveaxis(_envelope(flat, float(sp[axis]) ** 2).reshape(shape), -1, axis)
    return np.sqrt(sq)


def distance_to(features: np.ndarray, *, spacing: Sequence[float] | np.ndarray | None = None):
    """Exact Euclidean distance to the nearest True element of ``features`` (see the module
    docstring); ``inf`` everywhere when ``features`` has no True element."""
    feat = np.asarray(features, dtype=bool)
    sp = check_spacing(spacing, feat.ndim)
    if not feat.any():
        return np.full(feat.shape, np.inf)
    if feat.ndim == 2 and sp[0] == sp[1]:
        src = np.ascontiguousarray((~feat).view(np.uint8))
        dist = cv2.distanceTransform(src, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        return dist.astype(np.float64) * sp[0]
    if feat.ndim == 3 and sp[1] == sp[2]:
        return _slices_then_depth(feat, sp)
    return exact_edt(feat, spacing=sp)


def _slice_squares(feat: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """Squared exact in-slice distances (OpenCV per slice; ``inf`` in empty slices)."""
    sq = np.full(feat.shape, np.inf)
    for k in range(feat.shape[0]):
        if feat[k].any():
            src = np.ascontiguousarray((~feat[k]).view(np.uint8))
            d = cv2.distanceTransform(src, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
            sq[k] = (d.astype(np.float64) * sp[1]) ** 2
    return sq


def _points_3d(feat: np.ndarray, pts: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """Exact distances at the True elements of ``pts`` (3-D, square pixels): the in-slice
    squares of every slice at each point's ``(y, x)``, plus the squared gap between slices,
    minimised over the slices. Only the points are visited across slices."""
    sq = _slice_squares(feat, sp)
    ks, ys, xs = np.nonzero(pts)
    out = np.empty(ks.size)
    slices = np.arange(feat.shape[0], dtype=np.float64)[:, None]
    step = max(1, 4_000_000 // max(feat.shape[0], 1))
    for i in range(0, ks.size, step):
        k, y, x = ks[i : i + step], ys[i : i + step], xs[i : i + step]
        gap = (slices - k[None, :]) ** 2 * float(sp[0]) ** 2
        out[i : i + step] = np.sqrt((sq[:, y, x] + gap).min(axis=0))
    return out


def _slices_then_depth(feat: np.ndarray, sp: np.ndarray) -> np.ndarray:
    """3-D with square pixels: OpenCV's exact transform in every slice, then the exact
    envelope across slices (the second pass of :func:`exact_edt`)."""
    depth, h, w = feat.shape
    sq = _slice_squares(feat, sp)
    lines = np.ascontiguousarray(sq.reshape(depth, h * w).T)
    return np.sqrt(_envelope(lines, float(sp[0]) ** 2).T.reshape(depth, h, w))


LOCAL_MARGIN = 48  # pixels around each boundary's box in distances_at
MAX_PARTS = 256  # more separate boundaries than this: one transform over everything
CELL = 8  # parts are found on a grid of CELL x CELL pixels


def _points_distance(
    features: np.ndarray, ys: np.ndarray, xs: np.ndarray, sp: np.ndarray
) -> np.ndarray:
    """Exact distance to ``features`` (2-D, has a True element) at the points ``(ys, xs)``."""
    if sp[0] == sp[1]:
        src = np.ascontiguousarray((~features).view(np.uint8))
        dist = cv2.distanceTransform(src, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        return dist[ys, xs].astype(np.float64) * sp[0]
    return exact_edt(features, spacing=sp)[ys, xs]


def _parts(h: int, w: int, coords: list[tuple[np.ndarray, np.ndarray]]):
    """Label the CELL x CELL cells that hold any of the points ``coords`` by 8-connected
    group; returns ``(n, cell labels, boxes (x, y, w, h) in pixels)``."""
    gh, gw = -(-h // CELL), -(-w // CELL)
    cells = np.zeros((gh, gw), dtype=np.uint8)
    for ys, xs in coords:
        cells[ys // CELL, xs // CELL] = 1
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cells, connectivity=8)
    return n, labels, stats[1:, :4].astype(np.int64) * CELL


def _local(
    feat: np.ndarray,
    ys: np.ndarray,
    xs: np.ndarray,
    sp: np.ndarray,
    parts: tuple[int, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Distances to ``feat`` at ``(ys, xs)``, part by part (see :func:`distances_at`)."""
    n, labels, boxes = parts
    h, w = feat.shape
    m = LOCAL_MARGIN
    out = np.full(ys.size, np.nan)
    part = labels[ys // CELL, xs // CELL]
    order = np.argsort(part, kind="stable")
    starts = np.searchsorted(part[order], np.arange(1, n + 1))
    limit = m * float(sp.min())
    for k in range(1, n):
        idx = order[starts[k - 1] : starts[k]]
        if idx.size == 0:
            continue
        x, y, bw, bh = boxes[k - 1]
        x0, y0 = max(int(x) - m, 0), max(int(y) - m, 0)
        x1, y1 = min(int(x + bw) + m, w), min(int(y + bh) + m, h)
        local = feat[y0:y1, x0:x1]
        if not local.any():
            continue
        d = _points_distance(local, ys[idx] - y0, xs[idx] - x0, sp)
        ok = d <= limit
        out[idx[ok]] = d[ok]
    todo = np.isnan(out)
    if todo.any():
        out[todo] = _points_distance(feat, ys[todo], xs[todo], sp)
    return out


def boundary_distances(
    ea: np.ndarray, eb: np.ndarray, *, spacing: Sequence[float] | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(distances_at(ea, eb), distances_at(eb, ea))``: both directions between two point
    sets (boundaries) of the same shape, sharing the work; see :func:`distances_at`."""
    a = np.asarray(ea, dtype=bool)
    b = np.asarray(eb, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"eb must have the shape of ea {a.shape}, got {b.shape}")
    sp = check_spacing(spacing, a.ndim)
    if a.ndim != 2 or not a.any() or not b.any():
        return distances_at(a, b, spacing=sp), distances_at(b, a, spacing=sp)
    (ya, xa), (yb, xb) = np.nonzero(a), np.nonzero(b)
    h, w = a.shape
    parts = _parts(h, w, [(ya, xa), (yb, xb)])
    m = LOCAL_MARGIN
    boxes = parts[2]
    area = int(((boxes[:, 2] + 2 * m) * (boxes[:, 3] + 2 * m)).sum())
    if parts[0] - 1 > MAX_PARTS or area > 0.5 * h * w:
        return _points_distance(a, yb, xb, sp), _points_distance(b, ya, xa, sp)
    return _local(a, yb, xb, sp, parts), _local(b, ya, xa, sp, parts)


def distances_at(
    features: np.ndarray,
    where: np.ndarray,
    *,
    spacing: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """``distance_to(features)[where]`` (float64, in the order of ``np.nonzero(where)``),
    computed in 2-D on small boxes where that is exact.

    Each separate boundary (8-connected part of ``where | features`` on a grid of 8x8-pixel
    cells) is measured in its own box grown by ``LOCAL_MARGIN`` pixels. A distance found there
    is exact when it is at most the margin: a feature outside the box is farther than that.
    The points whose distance is larger (or whose box holds no feature) are measured again
    over the whole array. On a big image whose boundaries are small and far apart this saves
    most of the transform.
    """
    feat = np.asarray(features, dtype=bool)
    pts = np.asarray(where, dtype=bool)
    if feat.shape != pts.shape:
        raise ValueError(f"where must have the shape of features {feat.shape}, got {pts.shape}")
    sp = check_spacing(spacing, feat.ndim)
    count = int(np.count_nonzero(pts))
    if count == 0:
        return np.empty(0)
    if not feat.any():
        return np.full(count, np.inf)
    if feat.ndim == 3 and sp[1] == sp[2]:
        return _points_3d(feat, pts, sp)
    if feat.ndim != 2:
        return distance_to(feat, spacing=sp)[pts]
    ys, xs = np.nonzero(pts)
    h, w = feat.shape
    fy, fx = np.nonzero(feat)
    parts = _parts(h, w, [(ys, xs), (fy, fx)])
    m = LOCAL_MARGIN
    boxes = parts[2]
    area = int(((boxes[:, 2] + 2 * m) * (boxes[:, 3] + 2 * m)).sum())
    if parts[0] - 1 > MAX_PARTS or area > 0.5 * h * w:
        return _points_distance(feat, ys, xs, sp)
    return _local(feat, ys, xs, sp, parts)
