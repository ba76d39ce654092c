"""Objects from a binary mask: connected components, touching ones split by a
distance-transform watershed.

The markers are the peaks of the Euclidean distance to the background (a pixel that is the
largest within ``min_distance``, at least ``min_distance / 2`` from the edge); peaks closer
than ``min_distance`` to each other are merged, so a roundish object has one marker and two
touching ones have two. Each component's pixels are then flooded from its markers in order of
decreasing distance (level by level, each level by repeated one-pixel dilation of the
labels), which cuts two touching discs along their neck. A component without a marker stays one object.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms.postprocess import check_binary

MAX_LEVELS = 64  # the distance range is flooded in at most this many steps


def _default_distance(dist: np.ndarray, labels: np.ndarray, count: int) -> float:
    """Half the median object radius (the largest inside distance of each component)."""
    if count <= 1:
        return 3.0
    radii = np.zeros(count, np.float32)
    np.maximum.at(radii, labels.ravel(), dist.ravel())
    return max(3.0, 0.6 * float(np.median(radii[1:])))


def _flood(markers: np.ndarray, dist: np.ndarray, binary: np.ndarray) -> np.ndarray:
    """Grow ``markers`` (int32, 0 = none) over ``binary`` from high to low ``dist``."""
    labels = markers.astype(np.float32)
    top = float(dist.max())
    levels = max(1, min(MAX_LEVELS, int(np.ceil(top))))
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for i in range(1, levels + 1):
        allowed = binary & (dist >= top * (1 - i / levels))
        band = top / levels
        steps = int(np.ceil(band)) * 2 + 2 if i < levels else binary.size  # last: until done
        for _ in range(steps):
            todo = allowed & (labels == 0)
            if not todo.any():
                break
            grown = cv2.dilate(labels, cross)
            take = todo & (grown > 0)
            if not take.any():
                break
            labels[take] = grown[take]
    return labels.astype(np.int32)


def split_objects(mask: Any, *, min_distance: float | None = None, min_area: int = 0) -> np.ndarray:
    """``(H, W)`` int32 label map of the objects in ``mask`` (0 = background, 1..n objects).

    Args:
        mask: ``(H, W)`` bool (or 0/1) mask.
        min_distance: markers closer than this (pixels) are one object; None picks 0.6 x the
            median object radius (at least 3).
        min_area: objects with fewer pixels are dropped.

    Raises:
        ValueError: ``mask`` is not a 2-D binary mask, or a bad option.
    """
    binary = check_binary(mask)
    if min_distance is not None and not (np.isfinite(min_distance) and min_distance > 0):
        raise ValueError(f"min_distance must be a positive number, got {min_distance}")
    if min_area < 0:
        raise ValueError(f"min_area must be >= 0, got {min_area}")
    m8 = binary.astype(np.uint8)
    count, comp = cv2.connectedComponents(m8, connectivity=8)
    if count <= 1:
        return np.zeros(binary.shape, np.int32)
    dist = cv2.distanceTransform(m8, cv2.DIST_L2, 5)
    r = float(min_distance) if min_distance is not None else _default_distance(dist, comp, count)
    size = 2 * int(round(r)) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    smooth = cv2.GaussianBlur(dist, (0, 0), 1.0)
    peaks = (smooth >= cv2.dilate(smooth, kernel)) & (dist >= r / 2) & binary
    half = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size // 2 * 2 + 1, size // 2 * 2 + 1))
    merged = np.bitwise_and(cv2.dilate(peaks.astype(np.uint8), half), m8)
    n_markers, markers = cv2.connectedComponents(merged, connectivity=8)
    # components without a peak keep one marker of their own
    has_marker = np.zeros(count, bool)
    has_marker[comp[markers > 0]] = True
    lonely = ~has_marker[comp] & binary
    markers = markers.astype(np.int32)
    markers[lonely] = comp[lonely] + n_markers
    flooded = _flood(markers, dist, binary)
    # renumber 1..n, dropping small objects
    ids, inverse, areas = np.unique(flooded, return_inverse=True, return_counts=True)
    keep = (ids > 0) & (areas >= max(1, min_area))
    lut = np.zeros(len(ids), np.int32)
    lut[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    return lut[inverse.reshape(flooded.shape)]
