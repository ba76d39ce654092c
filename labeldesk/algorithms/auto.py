"""Automatic segmentation without a model: watershed superpixels merged by colour.

Why this method: it needs only OpenCV's core modules (SLIC and Felzenszwalb-Huttenlocher live
in ``opencv-contrib``'s ximgproc, which we do not ship, and pure-Python versions are too slow
at photo sizes); watershed boundaries follow image edges, and merging neighbouring regions by
their mean CIELAB colour (a perceptual distance, so one setting works across photos) yields
regions at the scale of objects and object parts, which is what a one-click "pick a region"
tool needs. Steps:

1. Work on a copy scaled to at most ``work_side`` pixels across, smoothed, in CIELAB.
2. Seeds on a regular grid (spacing ``cell`` px), each moved to the lowest colour gradient
   near it, are flooded by OpenCV's watershed: compact superpixels that stop at edges.
3. Neighbouring regions are merged greedily, most similar first, while the CIELAB distance
   between their mean colours, relative to their colour spread (so that one noisy or textured
   surface merges while two flat ones of slightly different colour stay apart), stays below
   ``threshold``; regions still smaller than ``min_area`` then join their most similar
   neighbour.
4. The labels are scaled back and their boundaries re-flooded at full resolution in a band
   of the scaling's width, so region edges are pixel-accurate on large images too.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms._validate import check_image, to_rgb8
from labeldesk.algorithms.watershed import _fill_lines


def auto_segment(
    image: Any,
    *,
    threshold: float = 1.5,
    floor: float = 2.0,
    min_area: float = 0.001,
    cell: int = 12,
    work_side: int = 512,
) -> np.ndarray:
    """Partition ``image`` into regions of similar colour bounded by edges.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` RGB, uint8/uint16/float (uint16 and float are
            stretched to 8 bits from their minimum to their maximum first).
        threshold: merge neighbours while their CIELAB mean-colour distance, divided by their
            mean colour spread plus ``floor``, is below this (larger: fewer, bigger regions).
        floor: CIELAB distance added to the spread, so that flat regions need a visible
            contrast (about ``threshold * floor``) to stay apart.
        min_area: regions smaller than this fraction of the image are merged into their most
            similar neighbour.
        cell: superpixel grid spacing at working resolution, in pixels.
        work_side: the longest side of the working copy, in pixels.

    Returns:
        ``(H, W)`` int32 label map, labels 1..K numbered by decreasing area (no 0).

    Raises:
        ValueError: bad image or options.
    """
    img = check_image(image)
    h, w = img.shape[:2]
    if not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a number >= 0, got {threshold!r}")
    if not np.isfinite(floor) or floor <= 0:
        raise ValueError(f"floor must be > 0 (CIELAB distance), got {floor!r}")
    if not 0 <= min_area < 1:
        raise ValueError(f"min_area must be a fraction in [0, 1), got {min_area!r}")
    if int(cell) < 2 or int(work_side) < 16:
        raise ValueError(f"cell must be >= 2 and work_side >= 16, got {cell!r}, {work_side!r}")
    rgb = to_rgb8(img)
    scale = min(1.0, work_side / max(h, w))
    small = rgb
    if scale < 1.0:
        small = cv2.resize(
            rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    smooth = cv2.GaussianBlur(small, (0, 0), 1.0)
    lab = cv2.cvtColor(smooth, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[:, :, 0] *= 100.0 / 255.0  # OpenCV's 8-bit L is 0..255; CIELAB L is 0..100
    lab[:, :, 1:] -= 128.0
    grad = _gradient(lab)
    labels = _superpixels(smooth, grad, int(cell))
    labels = _merge(labels, lab, float(threshold), float(floor), min_area * labels.size)
    if scale < 1.0:
        labels = _refine(
            cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST), rgb, 1 / scale
        )
    return _by_area(labels)


def _gradient(lab: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    return np.sqrt((gx * gx + gy * gy).sum(axis=2))


def _superpixels(rgb: np.ndarray, grad: np.ndarray, cell: int) -> np.ndarray:
    """Watershed from grid seeds moved to the gradient minimum of their neighbourhood."""
    h, w = grad.shape
    markers = np.zeros((h, w), dtype=np.int32)
    r = max(1, cell // 4)
    n = 0
    for y in range(cell // 2, h, cell):
        for x in range(cell // 2, w, cell):
            y0, x0 = max(0, y - r), max(0, x - r)
            win = grad[y0 : y + r + 1, x0 : x + r + 1]
            k = int(np.argmin(win))
            dy, dx = divmod(k, win.shape[1])
            n += 1
            markers[y0 + dy, x0 + dx] = n
    if n == 0:
        markers[h // 2, w // 2] = 1
    padded = cv2.copyMakeBorder(markers, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.watershed(cv2.copyMakeBorder(rgb, 1, 1, 1, 1, cv2.BORDER_REPLICATE), padded)
    labels = padded[1:-1, 1:-1].copy()
    _fill_lines(labels, rgb)
    return labels


def _merge(
    labels: np.ndarray, lab: np.ndarray, threshold: float, floor: float, min_pixels: float
) -> np.ndarray:
    """Greedy merging on the region adjacency graph.

    The cost of merging two neighbours is the CIELAB distance between their mean colours
    divided by their mean colour spread (standard deviation) plus ``floor``: a contrast of 6
    between two flat regions keeps them apart, while superpixels of one noisy or textured
    surface, whose means differ by more than that, still merge.
    """
    n = int(labels.max()) + 1
    flat = labels.ravel()
    area = np.bincount(flat, minlength=n).astype(np.float64)
    chans = [lab[:, :, c].ravel().astype(np.float64) for c in range(3)]
    sums = np.stack([np.bincount(flat, v, minlength=n) for v in chans], 1)
    squares = np.bincount(flat, sum(v * v for v in chans), minlength=n)
    a = np.concatenate([labels[:, :-1].ravel(), labels[:-1, :].ravel()])
    b = np.concatenate([labels[:, 1:].ravel(), labels[1:, :].ravel()])
    diff = a != b
    pairs = np.unique(np.stack([np.minimum(a, b)[diff], np.maximum(a, b)[diff]], 1), axis=0)
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for i, j in pairs.tolist():
        nbrs[i].add(j)
        nbrs[j].add(i)
    parent = list(range(n))
    version = [0] * n
    # per-region statistics as Python floats: the merge loop is scalar work
    area_l = area.tolist()
    sums_l = sums.tolist()
    squares_l = squares.tolist()
    mean: list[list[float]] = [[0.0, 0.0, 0.0] for _ in range(n)]
    spread = [0.0] * n

    def update(i: int) -> None:
        if area_l[i] > 0:
            m = [v / area_l[i] for v in sums_l[i]]
            mean[i] = m
            var = squares_l[i] / area_l[i] - (m[0] * m[0] + m[1] * m[1] + m[2] * m[2])
            spread[i] = math.sqrt(max(0.0, var))

    for i in range(n):
        update(i)

    def cost(i: int, j: int) -> float:
        a, b = mean[i], mean[j]
        d = math.sqrt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2)
        return d / (0.5 * (spread[i] + spread[j]) + floor)

    def union(i: int, j: int) -> None:
        """Merge j into i."""
        parent[j] = i
        area_l[i] += area_l[j]
        sums_l[i] = [u + v for u, v in zip(sums_l[i], sums_l[j], strict=True)]
        squares_l[i] += squares_l[j]
        update(i)
        for k in nbrs[j]:
            nbrs[k].discard(j)
            if k != i:
                nbrs[k].add(i)
                nbrs[i].add(k)
        nbrs[j] = set()
        version[i] += 1
        version[j] += 1

    heap = [(cost(i, j), i, j, 0, 0) for i in range(n) for j in nbrs[i] if i < j]
    heapq.heapify(heap)
    while heap:
        d, i, j, vi, vj = heapq.heappop(heap)
        if d >= threshold:
            break
        if parent[i] != i or parent[j] != j or version[i] != vi or version[j] != vj:
            continue
        union(i, j)
        for k in nbrs[i]:
            heapq.heappush(heap, (cost(i, k), i, k, version[i], version[k]))
    # small regions go to their most similar neighbour, smallest first
    small = sorted(
        (i for i in range(n) if parent[i] == i and 0 < area_l[i] < min_pixels),
        key=lambda i: area_l[i],
    )
    for i in small:
        if parent[i] != i or area_l[i] >= min_pixels or not nbrs[i]:
            continue
        union(min(nbrs[i], key=lambda k: cost(i, k)), i)
    root = np.arange(n)
    for i in range(n):
        r = i
        while parent[r] != r:
            r = parent[r]
        root[i] = r
    return root[labels].astype(np.int32)


def _refine(labels: np.ndarray, rgb: np.ndarray, band: float) -> np.ndarray:
    """Re-flood a band around the region boundaries at full resolution."""
    k = 2 * int(np.ceil(band)) + 1
    edge = (
        cv2.morphologyEx(labels.astype(np.float32), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
        > 0
    )
    unknown = cv2.dilate(edge.view(np.uint8), np.ones((k, k), np.uint8)) > 0
    markers = labels.copy()
    markers[unknown] = 0
    if not markers.any():
        return labels
    padded = cv2.copyMakeBorder(markers, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    smooth = cv2.GaussianBlur(rgb, (0, 0), 1.0)
    cv2.watershed(cv2.copyMakeBorder(smooth, 1, 1, 1, 1, cv2.BORDER_REPLICATE), padded)
    out = padded[1:-1, 1:-1].copy()
    _fill_lines(out, smooth)
    return out


def _by_area(labels: np.ndarray) -> np.ndarray:
    """Relabel 1..K by decreasing area."""
    ids, counts = np.unique(labels, return_counts=True)
    order = ids[np.argsort(-counts, kind="stable")]
    lut = np.zeros(int(ids.max()) + 1, dtype=np.int32)
    lut[order] = np.arange(1, len(order) + 1, dtype=np.int32)
    return lut[labels]
