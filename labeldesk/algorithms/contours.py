"""Masks to polygons with holes, the exact partner of :func:`rasterize.polygons_to_mask`.

Vertices are pixel centres (integer ``(x, y)``), the convention labelme's Pillow rasterization
uses, so with ``tolerance=0`` the round trip is exact::

    polygons_to_mask(mask.shape, mask_to_polygons(mask, tolerance=0)) == mask

Foreground is 8-connected and background 4-connected (OpenCV's contour convention). Each
8-connected part gives one :class:`Polygon`: its outer boundary traced through its own edge
pixels, and one hole ring per enclosed background region traced through the hole's own edge
pixels. A part lying inside another's hole (an island) is a polygon of its own; the hole ring
around it encloses it, and because rasterizing toggles (even-odd), the island comes back.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import cv2
import numpy as np

from labeldesk.algorithms.postprocess import check_binary
from labeldesk.algorithms.rasterize import shape_to_mask


class Polygon(NamedTuple):
    """One part: ``exterior`` ``(N, 2)`` float64 ``(x, y)`` ring and its hole rings."""

    exterior: np.ndarray
    holes: list[np.ndarray]


def _outer_rings(mask: np.ndarray) -> list[np.ndarray]:
    """``(N, 2)`` int rings around the outermost 8-connected parts of a uint8 mask."""
    found, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [c.reshape(-1, 2) for c in found]


def _fill(ring: np.ndarray) -> tuple[tuple[int, int], np.ndarray]:
    """The pixels labelme's polygon drawing covers for ``ring``, in the ring's bounding box.

    Returns ``((x0, y0), fill)``: the box corner and a uint8 0/1 array of the box's size.
    """
    x0, y0 = ring.min(axis=0)
    x1, y1 = ring.max(axis=0)
    local = _as_polygon((ring - (x0, y0)).astype(np.float64))
    fill = shape_to_mask((int(y1 - y0) + 1, int(x1 - x0) + 1), local, "polygon")
    return (int(x0), int(y0)), fill.view(np.uint8)


def _as_polygon(pts: np.ndarray) -> np.ndarray:
    """At least 3 points: a dot or a two-point line repeats its points."""
    if len(pts) >= 3:
        return pts
    return np.concatenate([pts, pts[::-1]])[:3] if len(pts) == 2 else np.repeat(pts, 3, axis=0)


def _output(ring: np.ndarray, offset: np.ndarray, tolerance: float) -> np.ndarray:
    c: np.ndarray = ring.reshape(-1, 1, 2).astype(np.int32)
    if tolerance > 0 and len(c) > 3:
        simple = cv2.approxPolyDP(c, tolerance, True)
        if len(simple) >= 3:
            c = simple
    return _as_polygon(c.reshape(-1, 2).astype(np.float64)) + offset


def _decompose(
    part: np.ndarray, offset: np.ndarray, tolerance: float, min_area: int, out: list[Polygon]
) -> None:
    """Append polygons whose even-odd fill is exactly ``part`` (uint8 0/1, offset in image).

    For each outermost ring: its fill minus ``part`` is what the holes must take away; the
    holes' fills minus that is what must come back (islands, and pixels that hang on to the
    part by a diagonal inside a hole), recursively. Each step works in the ring's box.
    """
    for ring in _outer_rings(part):
        (x0, y0), fill = _fill(ring)
        local = part[y0 : y0 + fill.shape[0], x0 : x0 + fill.shape[1]]
        if min_area and int((fill & local).sum()) < min_area:
            continue
        rest = np.ascontiguousarray(fill & (1 - local))
        holes: list[np.ndarray] = []
        nested: list[Polygon] = []
        for hole in _outer_rings(rest) if rest.any() else []:
            (hx, hy), hole_fill = _fill(hole)
            hole_rest = rest[hy : hy + hole_fill.shape[0], hx : hx + hole_fill.shape[1]]
            if min_area and int((hole_fill & hole_rest).sum()) < min_area:
                continue
            holes.append(_output(hole, offset + (x0, y0), tolerance))
            back = np.ascontiguousarray(hole_fill & (1 - hole_rest))
            if back.any():
                _decompose(back, offset + (x0 + hx, y0 + hy), tolerance, min_area, nested)
        out.append(Polygon(_output(ring, offset, tolerance), holes))
        out.extend(nested)


def mask_to_polygons(mask: Any, *, tolerance: float, min_area: int = 0) -> list[Polygon]:
    """The parts of ``mask`` as polygons with holes.

    Args:
        mask: ``(H, W)`` bool mask.
        tolerance: Douglas-Peucker tolerance in pixels; 0 keeps every corner (exact round
            trip through :func:`polygons_to_mask`), 1 to 2 gives a labelme-friendly number of
            points.
        min_area: parts and holes covering fewer pixels are dropped (0 keeps all).

    Returns:
        :class:`Polygon` s: one per 8-connected part, each followed by the parts lying in its
        holes; rarely, a pixel that hangs on to its part only by a diagonal across a hole comes
        as a polygon of its own, so that the round trip stays exact. Rings have >= 3 points
        (points repeat for parts one pixel thin). Vertices are pixel centres.
    """
    m = check_binary(mask)
    tol = float(tolerance)
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tolerance must be >= 0 (pixels), got {tolerance!r}")
    if isinstance(min_area, bool) or not isinstance(min_area, int | np.integer) or min_area < 0:
        raise ValueError(f"min_area must be an int >= 0 (pixels), got {min_area!r}")
    out: list[Polygon] = []
    if not m.any():
        return out
    x, y, bw, bh = cv2.boundingRect(m.view(np.uint8))
    part = np.ascontiguousarray(m[y : y + bh, x : x + bw]).view(np.uint8)
    _decompose(part, np.array([x, y], dtype=np.float64), tol, int(min_area), out)
    return out
