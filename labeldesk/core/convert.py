"""Turn a result mask (from a classical tool, SAM, auto-segment or a trained model) into one
annotation object: a polygon when it is a single part without holes, else a mask object.

One accepted result is one object, so it stays one instance in every export.

The work is done on the mask's bounding box, so its cost follows the size of the object, not
of the image (a 400 px disc in a 4000x3000 mask: a few ms); a mask of several parts, or of
one part with holes, becomes a mask object without tracing any contour.

Masks that travel between the models, the tools and the UI are kept cropped to their box:
:func:`crop_mask` cuts an ``(H, W)`` bool mask to ``(crop (h, w) bool, origin (x0, y0))``,
:func:`paste_crop` puts it back, and :func:`shape_from_crop` makes the object straight from
the crop.
"""

from __future__ import annotations

import cv2
import numpy as np

from labeldesk.algorithms.contours import mask_to_polygons
from labeldesk.algorithms.postprocess import check_binary
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


def _box(m: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` (exclusive ends) around the set pixels of a bool mask, or None."""
    x, y, w, h = cv2.boundingRect(m.view(np.uint8))
    return None if w == 0 or h == 0 else (x, y, x + w, y + h)


def _parts(m: np.ndarray, min_area: int) -> tuple[np.ndarray, int]:
    """``(m without parts under min_area px, number of 8-connected parts left)``."""
    n, comp, stats, _ = cv2.connectedComponentsWithStats(m.view(np.uint8), connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= max(1, min_area)
    kept = int(keep.sum())
    return (m if kept == n - 1 else keep[comp]), kept


def _has_hole(part: np.ndarray) -> bool:
    """Whether a one-part bool mask encloses background (4-connected, not reaching the edge)."""
    background = np.pad(~part, 1, constant_values=True).view(np.uint8)
    n, _ = cv2.connectedComponents(background, connectivity=4)
    return n > 2  # label 0 is the part, 1 the outside


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
    becomes a polygon simplified with ``tolerance`` pixels (vertices at pixel centres,
    ``(N, 2)`` float ``(x, y)``); anything else (several parts, holes) becomes a labelme mask
    object cropped to its box (``points`` = inclusive box corners), which keeps every pixel.
    """
    m = np.ascontiguousarray(check_binary(mask), dtype=bool)
    box = _box(m)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    crop, parts = _parts(np.ascontiguousarray(m[y0:y1, x0:x1]), min_area)
    if parts == 0:
        return None
    if parts == 1 and not _has_hole(crop):
        polygons = mask_to_polygons(crop, tolerance=tolerance)
        if len(polygons) == 1 and not polygons[0].holes and len(polygons[0].exterior) >= 3:
            pts = polygons[0].exterior
            if len(np.unique(pts, axis=0)) >= 3:
                return Shape(label, pts + (x0, y0), "polygon", group_id=group_id)
    bx0, by0, bx1, by1 = _box(crop) or (0, 0, 0, 0)
    cropped = crop[by0:by1, bx0:bx1].copy()
    corners = np.array([[x0 + bx0, y0 + by0], [x0 + bx1 - 1, y0 + by1 - 1]], dtype=np.float64)
    return Shape(label, corners, "mask", mask=cropped, group_id=group_id)


def crop_mask(mask: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """``(crop, (x0, y0))`` of an ``(H, W)`` bool mask cut to its box (``(0, 0)`` crop if empty).

    ``crop`` is a new C-contiguous ``(h, w)`` bool array indexed ``[y, x]``; ``(x0, y0)`` is
    the image pixel of its top-left corner.
    """
    ys = np.flatnonzero(mask.any(axis=1))
    if ys.size == 0:
        return np.zeros((0, 0), bool), (0, 0)
    xs = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = int(ys[0]), int(ys[-1]), int(xs[0]), int(xs[-1])
    return np.ascontiguousarray(mask[y0 : y1 + 1, x0 : x1 + 1], dtype=bool), (x0, y0)


def paste_crop(crop: np.ndarray, origin: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """An ``(H, W)`` bool mask (``size``) with ``crop`` placed at ``origin`` ``(x0, y0)``; the
    part of the crop outside the image is dropped."""
    out = np.zeros(size, dtype=bool)
    x0, y0 = origin
    h, w = crop.shape
    out[y0 : y0 + h, x0 : x0 + w] = crop[: max(0, size[0] - y0), : max(0, size[1] - x0)]
    return out


def shape_from_crop(
    crop: np.ndarray,
    origin: tuple[int, int],
    label: str,
    *,
    tolerance: float = 1.0,
    min_area: int = 10,
) -> Shape | None:
    """:func:`mask_to_shape` of a cropped ``(h, w)`` bool mask whose top-left pixel is
    ``origin`` ``(x0, y0)``, with the object placed back in image coordinates."""
    padded = np.pad(np.asarray(crop, dtype=bool), 1)
    shape = mask_to_shape(padded, label, tolerance=tolerance, min_area=min_area)
    if shape is None:
        return None
    offset = np.array([origin[0] - 1, origin[1] - 1], dtype=np.float64)
    return Shape(label, shape.points + offset, shape.shape_type, mask=shape.mask)
