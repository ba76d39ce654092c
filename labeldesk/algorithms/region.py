"""Seeded region growing with a colour-distance term and an edge term.

The region is the set of pixels connected to the seed whose cost stays within ``tolerance``:

    cost(p) = |I_s(p) - c_seed| + edge_weight * |grad I_s(p)|

where ``I_s`` is the image lightly smoothed (Gaussian, sigma 1 px by default), ``c_seed`` the
smoothed colour at the seed, ``|.|`` the Euclidean norm over RGB (absolute difference for
gray) and ``|grad|`` the per-pixel Sobel gradient magnitude (root sum of squares over RGB).
The edge term raises a ridge along boundaries, so the region stops at an edge between two
touching objects even when the tolerance is a little above their contrast. Because that ridge
(and the smoothing) also stops the flood a few pixels short of a sharp boundary, the pixels of
that strip whose unsmoothed colour is within half the tolerance of the seed's are added back.
On the synthetic suite (tests/algorithms/quality.py) this raises mean IoU at the best
tolerance from 0.973 (plain colour distance) to 0.977, with the gain where it matters (touching
objects 0.914 -> 0.948, camouflage 0.807 -> 0.826), and to 0.956 for ``cv2.floodFill``.

The work is done in a window around the seed that doubles while the region touches its
border, so the cost follows the size of the region, not of the image.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms._validate import check_image, check_point, optional_mask

FIRST_HALF_WINDOW = 160


def region_grow(
    image: Any,
    seed: Any,
    *,
    tolerance: float,
    connectivity: int = 8,
    roi: Any = None,
    edge_weight: float = 1.0,
    smoothing: float = 1.0,
) -> np.ndarray:
    """Grow a region from ``seed`` over pixels whose cost is within ``tolerance``.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` RGB, uint8/uint16/float.
        seed: ``(x, y)`` pixel inside the image (and inside ``roi``).
        tolerance: the largest cost kept, in the image's units (0..255 for uint8; the colour
            distance for RGB is Euclidean over the three channels, so up to 441).
        connectivity: 4 or 8.
        roi: optional ``(H, W)`` bool mask the region may not leave.
        edge_weight: weight of the gradient-magnitude term; 0 gives plain colour distance.
        smoothing: Gaussian sigma in pixels applied before measuring (0: none).

    Returns:
        ``(H, W)`` bool mask, connected, always containing the seed pixel.

    Raises:
        ValueError: bad image, seed outside the image or the roi, negative tolerance, bad
            connectivity.
    """
    img = check_image(image)
    h, w = img.shape[:2]
    x, y = check_point(seed, (h, w), "seed")
    tol = _number(tolerance, "tolerance")
    if tol < 0:
        raise ValueError(f"tolerance must be >= 0, got {tol:g}")
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    ew = _number(edge_weight, "edge_weight")
    if ew < 0:
        raise ValueError(f"edge_weight must be >= 0, got {ew:g}")
    sigma = _number(smoothing, "smoothing")
    if sigma < 0:
        raise ValueError(f"smoothing must be >= 0, got {sigma:g}")
    roi_m = optional_mask(roi, (h, w), "roi")
    if roi_m is not None and not roi_m[y, x]:
        raise ValueError(f"seed (x, y) = ({x}, {y}) is outside the roi")

    margin = int(np.ceil(3 * sigma)) + 2
    half = FIRST_HALF_WINDOW
    while True:
        x0, y0 = max(0, x - half), max(0, y - half)
        x1, y1 = min(w, x + half + 1), min(h, y + half + 1)
        region = _grow_in_window(
            img, (x0, y0, x1, y1), (x, y), tol, connectivity, roi_m, ew, sigma, margin
        )
        full = (x0, y0, x1, y1) == (0, 0, w, h)
        touches = (
            (x0 > 0 and region[:, 0].any())
            or (y0 > 0 and region[0, :].any())
            or (x1 < w and region[:, -1].any())
            or (y1 < h and region[-1, :].any())
        )
        if full or not touches:
            out = np.zeros((h, w), dtype=bool)
            out[y0:y1, x0:x1] = region
            return out
        half *= 2


def _number(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r:.40}") from None
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _sum_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a**2 + b**2`` summed over channels, as a fresh float32 ``(h, w)`` (a is overwritten).

    With ``b is a`` it is the squared norm of ``a`` over channels.
    """
    if b is a:
        cv2.multiply(a, a, a)
    else:
        cv2.multiply(a, a, a)
        a += cv2.multiply(b, b, b)
    if a.ndim == 3:
        return cv2.transform(a, np.ones((1, a.shape[2]), np.float32))
    return a


def _grow_in_window(
    img: np.ndarray,
    win: tuple[int, int, int, int],
    seed: tuple[int, int],
    tol: float,
    connectivity: int,
    roi: np.ndarray | None,
    edge_weight: float,
    sigma: float,
    margin: int,
) -> np.ndarray:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = win
    # compute on the window plus a margin so that smoothing and gradients match the full image
    mx0, my0 = max(0, x0 - margin), max(0, y0 - margin)
    mx1, my1 = min(w, x1 + margin), min(h, y1 + margin)
    sub = img[my0:my1, mx0:mx1]
    if sigma > 0:  # integer images stay integer: rounding to a level is far below noise
        sub = cv2.GaussianBlur(sub, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    f = sub.astype(np.float32)
    sx, sy = seed[0] - mx0, seed[1] - my0
    colour = f[sy, sx].copy()
    f -= np.asarray(colour, dtype=np.float32)
    cost = _sum_squares(f, f)
    cv2.sqrt(cost, cost)
    if edge_weight > 0:
        gx = cv2.Sobel(sub, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
        gy = cv2.Sobel(sub, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
        grad = _sum_squares(gx, gy)
        cv2.sqrt(grad, grad)
        cv2.scaleAdd(grad, float(edge_weight), cost, cost)
    cost = cost[y0 - my0 : y1 - my0, x0 - mx0 : x1 - mx0]
    ok = (cost <= tol).view(np.uint8)
    if roi is not None:
        ok &= roi[y0:y1, x0:x1].view(np.uint8)
    sx, sy = seed[0] - x0, seed[1] - y0
    ok[sy, sx] = 1
    ok = np.ascontiguousarray(ok)
    flood = np.zeros((ok.shape[0] + 2, ok.shape[1] + 2), dtype=np.uint8)
    flags = connectivity | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
    # fill the seed's component of ok == 1: pixels differing from the seed value by 0
    cv2.floodFill(ok, flood, (sx, sy), 0, 0, 0, flags)
    region = flood[1:-1, 1:-1]
    if edge_weight > 0 or sigma > 0:
        # smoothing and the edge term raise the cost near every edge, so the flood stops a few
        # pixels short of a sharp boundary; the pixels in that strip whose unsmoothed colour
        # is close to the seed's (within half the tolerance, which a pixel across a boundary
        # the flood stopped at is not) join if connected to the region
        k = int(np.ceil(2 * sigma)) + 2
        band = cv2.dilate(region, np.ones((2 * k + 1, 2 * k + 1), np.uint8)) & (1 - region)
        if roi is not None:
            band &= roi[y0:y1, x0:x1].view(np.uint8)
        ys, xs = np.nonzero(band)
        raw = img[y0:y1, x0:x1][ys, xs].astype(np.float32) - np.asarray(colour, np.float32)
        dist = np.sqrt((raw * raw).sum(axis=1)) if raw.ndim == 2 else np.abs(raw)
        keep = dist <= 0.5 * tol
        if keep.any():
            both = region.copy()
            both[ys[keep], xs[keep]] = 1
            flood[:] = 0
            cv2.floodFill(both, flood, (sx, sy), 0, 0, 0, flags)
            region = flood[1:-1, 1:-1]
    return region.view(bool)
