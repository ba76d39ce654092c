"""Agreement between two segmentations: Dice, IoU, Hausdorff, HD95 and ASSD.

Masks are bool arrays of any dimension (``(H, W)`` images, ``(D, H, W)`` volumes); ``ref`` is
the reference (MONAI's ``y``), ``test`` the one being scored (MONAI's ``y_pred``).
``spacing`` gives the size of a pixel / voxel along each *array axis* (``(sy, sx)`` for an
``(H, W)`` image, ``(sz, sy, sx)`` for a volume; one number = the same on every axis), so
distances come out in those units; without it they are in pixels.

The numbers are MONAI's (``monai.metrics``; ``tests/algorithms/test_metrics.py`` checks
them within 1e-6 on random and edge-case masks in 2-D and 3-D with anisotropic spacing):

- ``dice`` = ``compute_dice``, ``iou`` = ``compute_iou``;
- ``hausdorff`` = ``compute_hausdorff_distance``, ``hausdorff95`` = the same with
  ``percentile=95`` (the larger of the two directed 95th percentiles, linear interpolation);
- ``assd`` = ``compute_average_surface_distance(symmetric=True)``: the mean of the distances
  from each boundary pixel of one mask to the other boundary, both directions pooled.

Boundaries are MONAI's (:func:`labeldesk.algorithms.distance.mask_edges`); the distances come
from exact Euclidean distance transforms of the boundaries, computed on the box around the
two masks (a 1-pixel margin, as MONAI crops), never from pairwise point sets.

Empty masks (defined, never an error):

=====================  ======  ======  ===========================
ref / test             dice    iou     hausdorff, hausdorff95, assd
=====================  ======  ======  ===========================
both empty             NaN     NaN     NaN (nothing to compare)
one of them empty      0.0     0.0     inf (no boundary to reach)
=====================  ======  ======  ===========================

MONAI agrees except in two places, both deliberate: with its default ``ignore_empty=True``
``compute_dice`` / ``compute_iou`` give NaN whenever ``ref`` is empty, which would hide a
class that ``test`` draws where ``ref`` has none (here 0.0, MONAI's value with
``ignore_empty=False``); and for HD95 with one empty side MONAI's ``torch.quantile`` of an
all-``inf`` tensor interpolates ``inf - inf`` and gives NaN or inf depending on the number of
boundary pixels (here always inf).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms.distance import boundary_distances, check_spacing, mask_edges

NAN = float("nan")
INF = float("inf")

Spacing = float | Sequence[float] | np.ndarray | None


@dataclass(frozen=True)
class Scores:
    """The five measures of one pair of masks, with the pixel counts behind Dice and IoU."""

    dice: float
    iou: float
    hausdorff: float
    hausdorff95: float
    assd: float
    ref_pixels: int = 0
    test_pixels: int = 0
    overlap: int = 0

    def as_dict(self) -> dict[str, float]:
        return {
            "dice": self.dice,
            "iou": self.iou,
            "hausdorff": self.hausdorff,
            "hausdorff95": self.hausdorff95,
            "assd": self.assd,
        }


def _pair(ref: Any, test: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(ref)
    b = np.asarray(test)
    if a.shape != b.shape:
        raise ValueError(
            f"ref and test must have the same shape, got ref {a.shape} and test {b.shape}"
        )
    if a.ndim not in (2, 3):
        raise ValueError(f"ref must be a 2-D or 3-D mask, got shape {a.shape}")
    return a.astype(bool, copy=False), b.astype(bool, copy=False)


def overlap_scores(ref_pixels: int, test_pixels: int, overlap: int) -> tuple[float, float]:
    """``(dice, iou)`` from pixel counts (see the table in the module docstring)."""
    total = ref_pixels + test_pixels
    if total == 0:
        return NAN, NAN
    return 2.0 * overlap / total, overlap / (total - overlap)


def dice(ref: Any, test: Any) -> float:
    """Dice coefficient ``2|A&B| / (|A|+|B|)``; NaN when both are empty."""
    a, b = _pair(ref, test)
    return overlap_scores(int(a.sum()), int(b.sum()), int((a & b).sum()))[0]


def iou(ref: Any, test: Any) -> float:
    """Intersection over union ``|A&B| / |A|B|``; NaN when both are empty."""
    a, b = _pair(ref, test)
    return overlap_scores(int(a.sum()), int(b.sum()), int((a & b).sum()))[1]


def _box(mask: np.ndarray) -> tuple[slice, ...] | None:
    """Slices of the box around the True elements grown by one on each side (clipped)."""
    if mask.ndim == 2:
        if not mask.any():
            return None
        x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
        return slice(max(y - 1, 0), y + h + 1), slice(max(x - 1, 0), x + w + 1)
    out = []
    for axis in range(mask.ndim):
        other = tuple(i for i in range(mask.ndim) if i != axis)
        idx = np.flatnonzero(mask.any(axis=other))
        if idx.size == 0:
            return None
        out.append(slice(max(int(idx[0]) - 1, 0), int(idx[-1]) + 2))
    return tuple(out)


def _distances(a: np.ndarray, b: np.ndarray, sp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Directed boundary distances ``(b -> a, a -> b)`` of two crops (see surface_distances)."""
    ea, eb = mask_edges(a), mask_edges(b)
    if not ea.any() and not eb.any():
        return np.empty(0), np.empty(0)
    if not ea.any() or not eb.any():
        n = int(max(ea.sum(), eb.sum()))
        return np.full(n, np.inf), np.full(n, np.inf)
    return boundary_distances(ea, eb, spacing=sp)


def surface_distances(
    ref: Any, test: Any, *, spacing: Spacing = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distances from each boundary pixel of ``test`` to the boundary of ``ref``, and from each
    boundary pixel of ``ref`` to that of ``test`` (float64, MONAI's order and values).

    With one mask empty both arrays hold ``inf`` once per boundary pixel of the other (as
    MONAI's ``get_surface_distance``); with both empty both are empty.
    """
    a, b = _pair(ref, test)
    sp = check_spacing(spacing, a.ndim)
    box = _box(a | b)
    if box is None:
        return np.empty(0), np.empty(0)
    return _distances(a[box], b[box], sp)


def monai_percentile(values: np.ndarray, q: float) -> float:
    """The ``q``-th percentile with linear interpolation, computed as ``torch.quantile`` does
    it on MONAI's float32 distances (float32 rank, weight and interpolation), so that HD95
    equals MONAI's to float32 precision; the float64 rank differs by up to ~1e-5 relative."""
    vals = np.sort(np.asarray(values, dtype=np.float32))
    rank = np.float32(q / 100.0) * np.float32(vals.size - 1)
    lo = int(np.floor(rank))
    hi = min(int(np.ceil(rank)), vals.size - 1)
    w = np.float32(rank - np.float32(lo))
    a, b = vals[lo], vals[hi]
    if w < 0.5:
        return float(a + w * (b - a))
    return float(b - (b - a) * (np.float32(1.0) - w))


def _summarise(to_ref: np.ndarray, to_test: np.ndarray) -> tuple[float, float, float]:
    """``(hausdorff, hausdorff95, assd)`` from the two directed distance arrays."""
    if to_ref.size == 0 and to_test.size == 0:
        return NAN, NAN, NAN
    if not (np.isfinite(to_ref).all() and np.isfinite(to_test).all()):
        return INF, INF, INF
    hd = max(float(to_ref.max()), float(to_test.max()))
    hd95 = max(monai_percentile(to_ref, 95), monai_percentile(to_test, 95))
    assd = float(np.concatenate([to_ref, to_test]).mean())
    return hd, hd95, assd


def hausdorff(
    ref: Any, test: Any, *, spacing: Spacing = None, percentile: float | None = None
) -> float:
    """Symmetric Hausdorff distance, or with ``percentile`` (e.g. 95) the larger of the two
    directed percentiles; NaN when both masks are empty, inf when one is."""
    to_ref, to_test = surface_distances(ref, test, spacing=spacing)
    if percentile is not None and not 0 <= percentile <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {percentile}")
    if to_ref.size == 0 and to_test.size == 0:
        return NAN
    if not (np.isfinite(to_ref).all() and np.isfinite(to_test).all()):
        return INF
    if percentile is None:
        return max(float(to_ref.max()), float(to_test.max()))
    return max(monai_percentile(to_ref, percentile), monai_percentile(to_test, percentile))


def assd(ref: Any, test: Any, *, spacing: Spacing = None) -> float:
    """Average symmetric surface distance; NaN when both masks are empty, inf when one is."""
    return _summarise(*surface_distances(ref, test, spacing=spacing))[2]


def mask_scores(ref: Any, test: Any, *, spacing: Spacing = None) -> Scores:
    """All five measures of one pair of masks, the boundaries and transforms computed once."""
    a, b = _pair(ref, test)
    sp = check_spacing(spacing, a.ndim)
    na, nb, both = int(a.sum()), int(b.sum()), int((a & b).sum())
    d, j = overlap_scores(na, nb, both)
    box = _box(a | b)
    if box is None:
        return Scores(d, j, NAN, NAN, NAN, na, nb, both)
    hd, hd95, sd = _summarise(*_distances(a[box], b[box], sp))
    return Scores(d, j, hd, hd95, sd, na, nb, both)


def label_scores(
    ref_map: np.ndarray,
    test_map: np.ndarray,
    values: Iterable[int],
    *,
    spacing: Spacing = None,
) -> dict[int, Scores]:
    """:class:`Scores` of ``ref_map == v`` against ``test_map == v`` for every class value ``v``
    (label maps of the same shape, any integer dtype); everything past finding the class's
    pixels is computed in the class's own box."""
    a = np.asarray(ref_map)
    b = np.asarray(test_map)
    if a.shape != b.shape:
        raise ValueError(
            f"ref_map and test_map must have the same shape, got {a.shape} and {b.shape}"
        )
    sp = check_spacing(spacing, a.ndim)
    vals = [int(v) for v in values]
    out: dict[int, Scores] = {}
    if not vals:
        return out
    for v in vals:
        ma, mb = a == v, b == v
        union = ma | mb
        box = _box(union)
        if box is None:
            out[v] = Scores(NAN, NAN, NAN, NAN, NAN, 0, 0, 0)
            continue
        ca, cb = ma[box], mb[box]
        na, nb = int(np.count_nonzero(ca)), int(np.count_nonzero(cb))
        both = int(np.count_nonzero(ca & cb))
        d, j = overlap_scores(na, nb, both)
        hd, hd95, sd = _summarise(*_distances(ca, cb, sp))
        out[v] = Scores(d, j, hd, hd95, sd, na, nb, both)
    return out
