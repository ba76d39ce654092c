"""Interpolation between key frames or slices: polygons and masks.

Polygons: both rings are resampled to the same number of points evenly spaced along their
length, given the same orientation, and the cyclic shift that pairs them best (least squared
distance once both are centred) is chosen; each in-between ring is the vertex-wise blend.

Masks: signed-distance interpolation, as 3D Slicer's "fill between slices": each key mask
becomes its signed distance map (negative inside, in pixels, zero half-way between a
boundary pixel and its outside neighbour), the maps are blended linearly, and the in-between
mask is where the blend is below zero. With ``align`` (the default) each key's map is first
moved so that both centroids sit on the in-between centroid, so a moving object that does not
overlap itself between the keys is carried instead of vanishing (for keys that share a centroid,
as slices of a sphere do, this changes nothing). A shape that is absent on one side shrinks to
nothing towards its medial axis.

Pure numpy/OpenCV; points are ``(N, 2)`` float ``(x, y)``; masks ``(H, W)`` bool ``[y, x]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np


def _ring(points: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 3:
        raise ValueError(f"{name} must be an (N, 2) ring with N >= 3, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def signed_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def resample_ring(points: np.ndarray, n: int) -> np.ndarray:
    """``n`` points evenly spaced along the closed ring ``points`` (starting at its first)."""
    ring = _ring(points, "points")
    closed = np.vstack([ring, ring[:1]])
    seg = np.hypot(*np.diff(closed, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = cum[-1]
    if total <= 0:
        return np.repeat(ring[:1], n, axis=0)
    at = np.linspace(0.0, total, n, endpoint=False)
    x = np.interp(at, cum, closed[:, 0])
    y = np.interp(at, cum, closed[:, 1])
    return np.column_stack([x, y])


def match_rings(
    a: np.ndarray, b: np.ndarray, *, n: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` resampled to ``n`` points each, ``b`` turned and shifted to pair with ``a``.

    ``n`` defaults to twice the larger vertex count (at least 64, at most 1024).
    """
    a, b = _ring(a, "a"), _ring(b, "b")
    n = n or int(min(1024, max(64, 2 * max(len(a), len(b)))))
    ra, rb = resample_ring(a, n), resample_ring(b, n)
    if np.sign(signed_area(ra)) != np.sign(signed_area(rb)):
        rb = rb[::-1].copy()
    ca, cb = ra - ra.mean(axis=0), rb - rb.mean(axis=0)
    # cost[s] = sum_i |ca[i] - cb[i + s]|^2 = const - 2 * circular correlation, via FFT
    corr = np.zeros(n)
    for d in range(2):
        corr += np.real(np.fft.ifft(np.conj(np.fft.fft(ca[:, d])) * np.fft.fft(cb[:, d])))
    shift = int(np.argmax(corr))
    return ra, np.roll(rb, -shift, axis=0)


def interpolate_polygons(a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
    """Rings between ``a`` (t = 0) and ``b`` (t = 1), one ``(n, 2)`` ring per ``t``."""
    ra, rb = match_rings(a, b)
    return [(1.0 - float(t)) * ra + float(t) * rb for t in ts]


def _mask(mask: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be an (H, W) mask, got shape {arr.shape}")
    return arr.astype(bool)


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32: minus the distance to the outside inside, plus outside (pixels).

    The zero level lies half-way between a boundary pixel and its outside neighbour. An
    empty mask gives +inf everywhere; a full one -inf.
    """
    m = _mask(mask, "mask")
    if not m.any():
        return np.full(m.shape, np.inf, np.float32)
    if m.all():
        return np.full(m.shape, -np.inf, np.float32)
    u8 = m.astype(np.uint8)
    inside = cv2.distanceTransform(u8, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    outside = cv2.distanceTransform(1 - u8, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.where(m, 0.5 - inside, outside - 0.5).astype(np.float32)


def _centroid(m: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(m)
    return np.array([xs.mean(), ys.mean()])


def _moved(d: np.ndarray, shift: np.ndarray) -> np.ndarray:
    if not np.any(np.abs(shift) > 1e-6):
        return d
    m = np.array([[1, 0, shift[0]], [0, 1, shift[1]]], dtype=np.float32)
    h, w = d.shape
    return np.asarray(
        cv2.warpAffine(d, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    )


def interpolate_masks(
    a: np.ndarray, b: np.ndarray, ts: Sequence[float], *, align: bool = True
) -> list[np.ndarray]:
    """Masks between ``a`` (t = 0) and ``b`` (t = 1) by signed-distance blending."""
    ma, mb = _mask(a, "a"), _mask(b, "b")
    if ma.shape != mb.shape:
        raise ValueError(f"a and b must have one shape, got {ma.shape} and {mb.shape}")
    if not ma.any() and not mb.any():
        return [np.zeros(ma.shape, bool) for _ in ts]
    da, db = signed_distance(ma), signed_distance(mb)
    if not ma.any() or not mb.any():
        # an absent side: the present shape's level sinks so that it ends exactly there
        if ma.any():
            d, ts_from = da, [float(t) for t in ts]
        else:
            d, ts_from = db, [1.0 - float(t) for t in ts]
        d = np.nan_to_num(d, neginf=-1e6)
        depth = float(-d.min()) + 0.5
        return [d < -float(t) * depth if t < 1 else np.zeros(ma.shape, bool) for t in ts_from]
    da = np.nan_to_num(da, neginf=-1e6, posinf=1e6)
    db = np.nan_to_num(db, neginf=-1e6, posinf=1e6)
    move = _centroid(mb) - _centroid(ma) if align and ma.any() and mb.any() else np.zeros(2)
    out = []
    for t in ts:
        t = float(t)
        if t <= 0.0 or t >= 1.0:
            out.append((ma if t <= 0.0 else mb).copy())
            continue
        blend = (1.0 - t) * _moved(da, t * move) + t * _moved(db, (t - 1.0) * move)
        out.append(blend < 0)
    return out


def fill_between(keys: dict[int, np.ndarray], indices: Sequence[int]) -> dict[int, np.ndarray]:
    """Masks for ``indices`` from the nearest key masks on either side (``keys``: index -> mask).

    Indices outside the keys' range are left out.
    """
    order = sorted(keys)
    out: dict[int, np.ndarray] = {}
    for i in indices:
        lo = max((k for k in order if k <= i), default=None)
        hi = min((k for k in order if k >= i), default=None)
        if lo is None or hi is None:
            continue
        if lo == hi:
            out[i] = _mask(keys[lo], f"keys[{lo}]").copy()
            continue
        t = (i - lo) / (hi - lo)
        out[i] = interpolate_masks(keys[lo], keys[hi], [t])[0]
    return out
