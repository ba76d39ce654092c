"""Masks to polygons that give back exactly the same pixels.

Two pixel conventions meet here:

- COCO (pycocotools): a pixel ``(x, y)`` is the unit square ``[x, x+1) x [y, y+1)``. The
  polygon along the pixel *edges* of a mask region (vertices on pixel corners) rasterizes in
  pycocotools to exactly that region: :func:`corner_outlines`.
- labelme (Pillow): a pixel is the point ``(x, y)`` and a polygon is filled together with its
  outline. The polygon through the centres of a region's boundary pixels rasterizes to
  exactly that region when it has no holes: :func:`center_polygons`.

Callers still compare the result with the mask (cheap) and fall back to RLE / mask shapes
when a polygon cannot hold it (holes, one-pixel-thin parts).
"""

from __future__ import annotations

import cv2
import numpy as np


def _drop_collinear(ring: np.ndarray) -> np.ndarray:
    """Remove repeated and collinear vertices of a closed ``(N, 2)`` integer ring."""
    keep = np.any(ring != np.roll(ring, 1, axis=0), axis=1)
    ring = ring[keep] if keep.any() else ring[:1]
    if len(ring) < 3:
        return ring
    prev, nxt = np.roll(ring, 1, axis=0), np.roll(ring, -1, axis=0)
    a, b = ring - prev, nxt - ring
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    dot = a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]
    return ring[(cross != 0) | (dot < 0)]


def corner_outlines(crop: np.ndarray, x0: int = 0, y0: int = 0) -> tuple[list[np.ndarray], bool]:
    """Outer outlines of a mask along pixel edges, in image corner coordinates.

    Args:
        crop: ``(h, w)`` bool mask (a crop of the image).
        x0, y0: position of the crop's top-left pixel in the image.
    Returns:
        ``(rings, has_holes)``: one ``(N, 2)`` int ``(x, y)`` ring per 8-connected part
        (pixels touching only at a corner may share one ring, pinched at that corner), and
        whether the mask has holes (which the rings do not describe).
    """
    crop = np.asarray(crop, dtype=np.uint8)
    if not crop.any():
        return [], False
    # Doubling every pixel puts the boundary pixels' centres a quarter pixel inside the
    # edges, so rounding them outwards gives the corners.
    big = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    big = cv2.copyMakeBorder(big, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    contours, hierarchy = cv2.findContours(big, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    rings: list[np.ndarray] = []
    has_holes = False
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        if parent >= 0:
            has_holes = True
            continue
        # big pixel u (border removed: u - 1) maps to corner (u - 1 + 1) // 2 = u // 2
        pts = contour[:, 0, :].astype(np.int64) // 2
        rings.append(_drop_collinear(pts) + (x0, y0))
    return rings, has_holes


def center_polygons(crop: np.ndarray, x0: int = 0, y0: int = 0) -> tuple[list[np.ndarray], bool]:
    """Polygons through the centres of a mask's boundary pixels (labelme convention).

    Returns ``(polygons, ok)``: ``(N, 2)`` float ``(x, y)`` polygons in image coordinates, one
    per 8-connected part, and whether they can describe the mask (no holes, no part thinner
    than a polygon, i.e. every polygon has at least 3 vertices).
    """
    crop = np.asarray(crop, dtype=np.uint8)
    if not crop.any():
        return [], False
    contours, hierarchy = cv2.findContours(crop, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    polygons: list[np.ndarray] = []
    ok = True
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        if parent >= 0:
            ok = False
            continue
        pts = contour[:, 0, :].astype(np.float64) + (x0, y0)
        if len(pts) < 3:
            ok = False
        polygons.append(pts)
    return polygons, ok


def bridge_rings(rings: list[np.ndarray]) -> np.ndarray:
    """Join several rings into one ring with zero-width bridges (for one-polygon formats).

    Each ring is entered at its vertex nearest to the previous ring and left the same way
    back, so the joined ring covers the same area. Returns ``(N, 2)``.
    """
    if len(rings) == 1:
        return rings[0]
    joined = rings[0].astype(np.float64)
    for ring in rings[1:]:
        ring = ring.astype(np.float64)
        d = ((joined[:, None, :] - ring[None, :, :]) ** 2).sum(axis=2)
        i, j = np.unravel_index(int(np.argmin(d)), d.shape)
        entry = np.roll(ring, -j, axis=0)
        joined = np.concatenate(
            [joined[: i + 1], entry, entry[:1], joined[i : i + 1], joined[i + 1 :]]
        )
    return joined
