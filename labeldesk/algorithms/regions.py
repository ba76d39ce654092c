"""Object proposals without a model: hierarchical region merging with boundary-aware ranking.

``auto_proposals(image)`` returns up to ``max_count`` ranked regions that are likely objects.
It is selective search (Uijlings et al. 2013) on :func:`labeldesk.algorithms.auto_segment`'s
superpixels, ranked by how strong the image edges along each region's outline are:

1. Superpixels: watershed from grid seeds on a copy at most ``work_side`` pixels across
   (``auto._superpixels``), in CIELAB.
2. Every strategy merges neighbours greedily, most similar first, until one region is left,
   and every region made on the way is a candidate. Similarity (lower merges first) is the
   colour distance of the two regions' mean CIELAB colours relative to their spread, plus a
   size term (small regions merge first, so the hierarchy grows evenly over the image) and a
   fill term (regions whose union fills their joint box merge first). Strategies differ in
   the colour weight and the superpixel size, for diversity.
3. A candidate's score is the mean edge strength (CIELAB gradient, relative to the image's
   median) along its outline, the image border counting as a weak edge, so regions cut out
   by strong edges rank first and pieces of one surface or of the background rank last.
4. Near-duplicates (IoU >= ``overlap``, computed exactly from the superpixels they hold) are
   dropped, best first; at most ``max_count`` remain. Their masks are scaled back to the image.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms._validate import check_image, to_rgb8
from labeldesk.algorithms.auto import _gradient, _superpixels

CELL = 10  # superpixel grid spacing at working resolution, px
# (colour weight, size weight, fill weight) of each merging strategy
STRATEGIES = ((1.0, 1.0, 1.0), (1.0, 0.0, 0.0), (0.5, 2.0, 1.0))
SIZE_CLASSES = 6
HOLE = 0.05  # holes smaller than this fraction of a proposal's area are filled
BORDER_EDGE = 0.5  # the image border counts as an edge of this relative strength


@dataclass
class RegionProposal:
    """A proposed region: ``mask`` cropped to its box at ``origin`` ``(x0, y0)``; ``score``
    (higher: more object-like), ``area`` in pixels."""

    mask: np.ndarray
    origin: tuple[int, int]
    score: float

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.mask))

    def full_mask(self, size: tuple[int, int]) -> np.ndarray:
        """``(H, W)`` bool for an image of ``size`` ``(H, W)``."""
        out = np.zeros(size, bool)
        x0, y0 = self.origin
        h, w = self.mask.shape
        out[y0 : y0 + h, x0 : x0 + w] = self.mask
        return out


def auto_proposals(
    image: Any,
    *,
    max_count: int = 60,
    work_side: int = 512,
    min_area: float = 0.0005,
    max_area: float = 0.9,
    overlap: float = 0.8,
) -> list[RegionProposal]:
    """Ranked object proposals for ``image`` (best first).

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` RGB, uint8/uint16/float.
        max_count: at most this many proposals.
        work_side: the longest side of the working copy, in pixels.
        min_area, max_area: proposals outside this range of image fractions are dropped.
        overlap: a proposal overlapping a better one with IoU >= this is dropped.

    Raises:
        ValueError: bad image or options.
    """
    img = check_image(image)
    h, w = img.shape[:2]
    if isinstance(max_count, bool) or not isinstance(max_count, int) or max_count < 1:
        raise ValueError(f"max_count must be an int >= 1, got {max_count!r}")
    if not 0 <= min_area < max_area <= 1:
        raise ValueError(f"need 0 <= min_area < max_area <= 1, got {min_area!r}, {max_area!r}")
    if not 0 < overlap <= 1:
        raise ValueError(f"overlap must be in (0, 1], got {overlap!r}")
    if int(work_side) < 32:
        raise ValueError(f"work_side must be >= 32, got {work_side!r}")
    rgb = to_rgb8(img)
    scale = min(1.0, work_side / max(h, w))
    small = rgb
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    smooth = cv2.GaussianBlur(small, (0, 0), 1.0)
    lab = cv2.cvtColor(smooth, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[:, :, 0] *= 100.0 / 255.0
    lab[:, :, 1:] -= 128.0
    grad = _gradient(lab)
    grad /= max(float(np.median(grad)), 1e-3)
    sh, sw = grad.shape
    total = sh * sw
    labels = _superpixels(smooth, grad, CELL) - 1
    labels[labels < 0] = 0
    areas = np.bincount(labels.ravel()).astype(np.float64)
    n = len(areas)
    cands: list[tuple[float, np.ndarray]] = []
    for wc, ws, wf in STRATEGIES:
        cands += _hierarchy(labels, lab, grad, wc, ws, wf)
    # by size class (log area), best first within each; picked in turn from each class so that
    # small and large objects both get proposals
    bounds = np.geomspace(min_area, max_area, SIZE_CLASSES + 1)
    classes: list[list[tuple[float, np.ndarray]]] = [[] for _ in range(SIZE_CLASSES)]
    for score, members in cands:
        frac = areas[members].sum() / total
        if min_area <= frac <= max_area:
            k = min(SIZE_CLASSES - 1, int(np.searchsorted(bounds, frac, side="right")) - 1)
            classes[k].append((score, members))
    for c in classes:
        c.sort(key=lambda t: -t[0])
    kept: list[tuple[float, np.ndarray]] = []
    kept_sets: list[np.ndarray] = []
    pos = [0] * SIZE_CLASSES
    while len(kept) < max_count and any(pos[k] < len(classes[k]) for k in range(SIZE_CLASSES)):
        for k in range(SIZE_CLASSES):
            while pos[k] < len(classes[k]):
                score, members = classes[k][pos[k]]
                pos[k] += 1
                member = np.zeros(n, bool)
                member[members] = True
                if not any(_set_iou(member, m, areas) >= overlap for m in kept_sets):
                    kept.append((score, member))
                    kept_sets.append(member)
                    break
            if len(kept) >= max_count:
                break
    kept.sort(key=lambda t: -t[0])
    kept = [(score, member[labels]) for score, member in kept]
    # holes filled, the near-duplicates that makes dropped (IoU on a quarter-size copy)
    solid: list[tuple[float, np.ndarray]] = []
    thumbs: list[np.ndarray] = []
    for score, mask in kept:
        m = _solid(mask)
        if m.sum() > max_area * total:
            continue
        t = m[::4, ::4]
        if any(np.count_nonzero(t & u) >= overlap * np.count_nonzero(t | u) for u in thumbs):
            continue
        solid.append((score, m))
        thumbs.append(t)
    out = []
    for score, mask in solid:
        full = mask
        if scale < 1.0:
            full = cv2.resize(full.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
            full = _solid(full)
        ys = np.flatnonzero(full.any(axis=1))
        xs = np.flatnonzero(full.any(axis=0))
        if ys.size == 0:
            continue
        crop = full[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]
        out.append(RegionProposal(np.ascontiguousarray(crop), (int(xs[0]), int(ys[0])), score))
    return out


def _solid(mask: np.ndarray) -> np.ndarray:
    """The largest connected part of ``mask`` with its small holes filled (specks and
    pinholes would make a proposal a mask shape instead of a polygon; a large hole is
    another object in front and stays)."""
    n, comp, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
    if n > 2:
        mask = comp == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    inv = np.pad((~mask).view(np.uint8), 1)
    n, comp, stats, _ = cv2.connectedComponentsWithStats(inv, connectivity=4)
    if n > 2:  # background parts that do not touch the border are holes: fill the small ones
        small = stats[:, cv2.CC_STAT_AREA] < HOLE * np.count_nonzero(mask)
        small[0] = small[comp[0, 0]] = False
        mask = mask | small[comp[1:-1, 1:-1]]
    return mask


def _set_iou(a: np.ndarray, b: np.ndarray, areas: np.ndarray) -> float:
    """IoU of two regions given as superpixel membership vectors."""
    return float(areas[a & b].sum() / max(1.0, areas[a | b].sum()))


def _hierarchy(
    labels: np.ndarray, lab: np.ndarray, grad: np.ndarray, wc: float, ws: float, wf: float
) -> list[tuple[float, np.ndarray]]:
    """Merge to one region; every region made (and every superpixel) with its edge score."""
    h, w = labels.shape
    n = int(labels.max()) + 1
    total = float(h * w)
    flat = labels.ravel()
    area = np.bincount(flat, minlength=n).astype(np.float64)
    chans = [lab[:, :, c].ravel().astype(np.float64) for c in range(3)]
    sums = np.stack([np.bincount(flat, v, minlength=n) for v in chans], 1)
    squares = np.bincount(flat, sum(v * v for v in chans), minlength=n)
    ys, xs = np.indices((h, w))
    bx0 = np.full(n, w, np.int64)
    by0 = np.full(n, h, np.int64)
    np.minimum.at(bx0, flat, xs.ravel())
    np.minimum.at(by0, flat, ys.ravel())
    bx1 = np.zeros(n, np.int64)
    by1 = np.zeros(n, np.int64)
    np.maximum.at(bx1, flat, xs.ravel())
    np.maximum.at(by1, flat, ys.ravel())
    # shared boundary of neighbouring superpixels: length and summed edge strength
    a = np.concatenate([labels[:, :-1].ravel(), labels[:-1, :].ravel()])
    b = np.concatenate([labels[:, 1:].ravel(), labels[1:, :].ravel()])
    g = np.concatenate(
        [
            np.maximum(grad[:, :-1], grad[:, 1:]).ravel(),
            np.maximum(grad[:-1, :], grad[1:, :]).ravel(),
        ]
    )
    diff = a != b
    lo, hi, g = np.minimum(a, b)[diff], np.maximum(a, b)[diff], g[diff]
    key = lo.astype(np.int64) * n + hi
    uk, inv = np.unique(key, return_inverse=True)
    length = np.bincount(inv).astype(np.float64)
    gsum = np.bincount(inv, g)
    # the image border as a weak edge
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    blen = np.bincount(border, minlength=n).astype(np.float64)
    edges: list[dict[int, list[float]]] = [{} for _ in range(2 * n)]
    for k, ln, gs in zip(uk.tolist(), length.tolist(), gsum.tolist(), strict=True):
        i, j = divmod(k, n)
        edges[i][j] = [ln, gs]
        edges[j][i] = [ln, gs]
    cap = 2 * n
    r_area = area.tolist() + [0.0] * n
    r_sum = sums.tolist() + [[0.0, 0.0, 0.0]] * n
    r_sq = squares.tolist() + [0.0] * n
    r_box = [
        list(t) for t in zip(bx0.tolist(), by0.tolist(), bx1.tolist(), by1.tolist(), strict=True)
    ]
    r_box += [[0, 0, 0, 0]] * n
    r_blen = [0.0] * cap
    r_bg = [0.0] * cap
    for i in range(n):
        r_blen[i] = sum(e[0] for e in edges[i].values()) + blen[i]
        r_bg[i] = sum(e[1] for e in edges[i].values()) + BORDER_EDGE * blen[i]
    members: list[np.ndarray | None] = [np.array([i]) for i in range(n)] + [None] * n
    alive = [True] * n + [False] * n

    r_mean: list[list[float]] = [[0.0, 0.0, 0.0]] * cap
    r_spread = [0.0] * cap

    def update(i: int) -> None:
        a = max(r_area[i], 1.0)
        m = [v / a for v in r_sum[i]]
        r_mean[i] = m
        var = r_sq[i] / a - (m[0] * m[0] + m[1] * m[1] + m[2] * m[2])
        r_spread[i] = math.sqrt(max(0.0, var))

    for i in range(n):
        update(i)

    def cost(i: int, j: int) -> float:
        mi, si, mj, sj = r_mean[i], r_spread[i], r_mean[j], r_spread[j]
        d = math.sqrt((mi[0] - mj[0]) ** 2 + (mi[1] - mj[1]) ** 2 + (mi[2] - mj[2]) ** 2)
        c = d / (0.5 * (si + sj) + 2.0)
        size = (r_area[i] + r_area[j]) / total
        bi, bj = r_box[i], r_box[j]
        bw = max(bi[2], bj[2]) - min(bi[0], bj[0]) + 1
        bh = max(bi[3], bj[3]) - min(bi[1], bj[1]) + 1
        fill = (bw * bh - r_area[i] - r_area[j]) / total
        return wc * c + ws * 4.0 * size + wf * 4.0 * fill

    def score(i: int, nbrs: dict[int, list[float]]) -> float:
        return r_bg[i] / max(r_blen[i], 1.0)

    heap = [(cost(i, j), i, j) for i in range(n) for j in edges[i] if i < j]
    heapq.heapify(heap)
    out: list[tuple[float, np.ndarray]] = []
    for i in range(n):
        out.append((score(i, edges[i]), members[i]))  # type: ignore[arg-type]
    nxt = n
    while heap and nxt < cap:
        _, i, j = heapq.heappop(heap)
        if not (alive[i] and alive[j]):
            continue
        c = nxt
        nxt += 1
        alive[i] = alive[j] = False
        alive[c] = True
        r_area[c] = r_area[i] + r_area[j]
        r_sum[c] = [u + v for u, v in zip(r_sum[i], r_sum[j], strict=True)]
        r_sq[c] = r_sq[i] + r_sq[j]
        update(c)
        bi, bj = r_box[i], r_box[j]
        r_box[c] = [min(bi[0], bj[0]), min(bi[1], bj[1]), max(bi[2], bj[2]), max(bi[3], bj[3])]
        shared = edges[i].get(j, [0.0, 0.0])
        r_blen[c] = r_blen[i] + r_blen[j] - 2 * shared[0]
        r_bg[c] = r_bg[i] + r_bg[j] - 2 * shared[1]
        nb: dict[int, list[float]] = {}
        for src in (i, j):
            for k, e in edges[src].items():
                if k in (i, j):
                    continue
                acc = nb.setdefault(k, [0.0, 0.0])
                acc[0] += e[0]
                acc[1] += e[1]
                del edges[k][src]
        for k, e in nb.items():
            edges[k][c] = e
        edges[c] = nb
        edges[i] = {}
        edges[j] = {}
        members[c] = np.concatenate([members[i], members[j]])  # type: ignore[list-item]
        members[i] = members[j] = None
        out.append((score(c, nb), members[c]))  # type: ignore[arg-type]
        for k in nb:
            heapq.heappush(heap, (cost(c, k), c, k))
    return out
