"""Turn a result mask (from a classical tool, SAM, auto-segment or a trained model) into one
annotation object: a polygon when it is a single part without holes, else a mask object.

One accepted result is one object, so it stays one instance in every export.
"""

from __future__ import annotations

import cv2
import numpy as np

from labeldesk.algorithms.contours import mask_to_polygons
from labeldesk.core.shapes import Shape


def clean_parts(mask: np.ndarray, *, min_area: int) -> np.ndarray:
    """``mask`` without 8-connected parts smaller than ``min_area`` pixels (a new array)."""
    m = np.ascontiguousarray(mask, dtype=bool)
    if min_area <= 1 or not m.any():
        return m.copy()
    n, comp, stats, _ = cv2.connectedComponentsWithStats(m.view(np.uint8), connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[comp]


def mask_to_shape(
    mask: np.ndarray,
    label: str,
    *,
    tolerance: float = 1.0,
    min_area: int = 10,
    group_id: int | None = None,
) -> Shape | None:
    """One object for an ``(H, W)`` bool mask in image coordinates, or None when empty.

    Parts smaller than ``min_area`` pixels are dropped first. A single part without holes
    becomes a polygon simplified with ``tolerance`` pixels; anything else (several parts,
    holes) becomes a labelme mask object cropped to its box, which keeps every pixel.
    """
    m = clean_parts(mask, min_area=min_area)
    polygons = mask_to_polygons(m, tolerance=tolerance)
    if not polygons:
        return None
    if len(polygons) == 1 and not polygons[0].holes and len(polygons[0].exterior) >= 3:
        pts = polygons[0].exterior
        if len(np.unique(pts, axis=0)) >= 3:
            return Shape(label, pts, "polygon", group_id=group_id)
    ys, xs = np.nonzero(m)
    x1, y1, x2, y2 = int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())
    crop = m[y1 : y2 + 1, x1 : x2 + 1].copy()
    return Shape(label, [[x1, y1], [x2, y2]], "mask", mask=crop, group_id=group_id)
