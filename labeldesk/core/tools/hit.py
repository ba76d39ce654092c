"""Hit tests in image coordinates: which object, vertex or edge is under a point.

All functions take points as ``(N, 2)`` float ``(x, y)`` arrays and a tolerance in image
pixels (the caller converts screen pixels with ``PointerEvent.tolerance``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from labeldesk.core.events import DocEvent
from labeldesk.core.shapes import Shape, mask_box

if TYPE_CHECKING:
    from labeldesk.core.document import Document

CLOSED = ("polygon", "oriented_rectangle")


def point_in_polygon(pts: np.ndarray, x: float, y: float) -> bool:
    """Even-odd test of ``(x, y)`` against the closed ring ``pts`` ``(N, 2)``."""
    if len(pts) < 3:
        return False
    xs, ys = pts[:, 0], pts[:, 1]
    xn, yn = np.roll(xs, -1), np.roll(ys, -1)
    crosses = (ys > y) != (yn > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = xs + (y - ys) * (xn - xs) / (yn - ys)
    return bool(np.count_nonzero(crosses & (x < xint)) % 2)


def segment_distances(
    pts: np.ndarray, x: float, y: float, closed: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Distances from ``(x, y)`` to each segment of ``pts`` and the projected points.

    Segment ``i`` joins vertex ``i`` to ``i + 1`` (to 0 for the last one when ``closed``).
    Returns ``(d, proj)``: ``(S,)`` float distances and ``(S, 2)`` nearest points.
    """
    a = pts if closed else pts[:-1]
    b = np.roll(pts, -1, axis=0) if closed else pts[1:]
    ab = b - a
    p = np.array([x, y], dtype=np.float64)
    denom = np.einsum("ij,ij->i", ab, ab)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(denom > 0, np.einsum("ij,ij->i", p - a, ab) / denom, 0.0)
    t = np.clip(t, 0.0, 1.0)
    proj = a + t[:, None] * ab
    return np.hypot(*(proj - p).T), proj


def nearest_vertex(shape: Shape, x: float, y: float, tol: float) -> int | None:
    """Index of the vertex within ``tol`` of ``(x, y)`` closest to it, or None (masks: None)."""
    if shape.shape_type == "mask" or len(shape.points) == 0:
        return None
    d = np.hypot(shape.points[:, 0] - x, shape.points[:, 1] - y)
    i = int(np.argmin(d))
    return i if d[i] <= tol else None


def nearest_edge(shape: Shape, x: float, y: float, tol: float) -> tuple[int, np.ndarray] | None:
    """For polygons and linestrips: ``(insert_index, point)`` of the nearest edge within tol.

    ``insert_index`` is where a vertex inserted on that edge goes in ``shape.points``.
    """
    if shape.shape_type not in (*CLOSED, "linestrip", "line") or len(shape.points) < 2:
        return None
    d, proj = segment_distances(shape.points, x, y, shape.shape_type in CLOSED)
    i = int(np.argmin(d))
    if d[i] > tol:
        return None
    return i + 1, proj[i]


def shape_contains(shape: Shape, x: float, y: float, tol: float) -> bool:
    """True when ``(x, y)`` is on ``shape``: inside an area, or within ``tol`` of a line/point."""
    t = shape.shape_type
    pts = shape.points
    if t in CLOSED:
        if point_in_polygon(pts, x, y):
            return True
        return bool(segment_distances(pts, x, y, True)[0].min() <= tol)
    if t == "rectangle":
        x1, x2 = sorted(pts[:, 0])
        y1, y2 = sorted(pts[:, 1])
        return x1 - tol <= x <= x2 + tol and y1 - tol <= y <= y2 + tol
    if t == "circle":
        r = float(np.hypot(*(pts[1] - pts[0])))
        return float(np.hypot(x - pts[0, 0], y - pts[0, 1])) <= r + tol
    if t in ("line", "linestrip"):
        return bool(segment_distances(pts, x, y, False)[0].min() <= max(tol, 5.0))
    if t == "point":
        return float(np.hypot(x - pts[0, 0], y - pts[0, 1])) <= max(tol, 5.0)
    if t == "mask" and shape.mask is not None:
        x1, y1, _, _ = mask_box(pts)
        i, j = int(np.floor(y)) - y1, int(np.floor(x)) - x1
        h, w = shape.mask.shape
        return 0 <= i < h and 0 <= j < w and bool(shape.mask[i, j])
    return False


def shape_bounds(shape: Shape) -> tuple[float, float, float, float]:
    """``(x1, y1, x2, y2)`` covering what is drawn (a mask's box includes its last pixel)."""
    if shape.shape_type == "mask":
        x1, y1, x2, y2 = mask_box(shape.points)
        return float(x1), float(y1), float(x2 + 1), float(y2 + 1)
    return shape.bounds()


class ShapeIndex:
    """Cached bounds of a document's shapes for fast hit tests (rebuilt after changes).

    ``candidates`` returns visible shape indices whose bounds (grown by ``tol``) hold a point,
    top-most (last drawn) first.
    """

    def __init__(self) -> None:
        self._doc: Document | None = None
        self._bounds = np.zeros((0, 4))
        self._visible = np.zeros(0, dtype=bool)
        self._dirty = True

    def _on_change(self, ev: DocEvent) -> None:
        if ev.kind not in ("history", "selection", "preview"):
            self._dirty = True

    def _sync(self, doc: Document) -> None:
        if doc is not self._doc:
            if self._doc is not None:
                self._doc.changed.disconnect(self._on_change)
            self._doc = doc
            doc.changed.connect(self._on_change)
            self._dirty = True
        if self._dirty:
            shapes = doc.shapes
            self._bounds = np.array([shape_bounds(s) for s in shapes], dtype=np.float64).reshape(
                -1, 4
            )
            self._visible = np.array([s.visible for s in shapes], dtype=bool)
            self._dirty = False

    def candidates(self, doc: Document, x: float, y: float, tol: float) -> list[int]:
        self._sync(doc)
        b = self._bounds
        ok = self._visible & (b[:, 0] - tol <= x) & (x <= b[:, 2] + tol)
        ok &= (b[:, 1] - tol <= y) & (y <= b[:, 3] + tol)
        return [int(i) for i in np.flatnonzero(ok)[::-1]]

    def inside(self, doc: Document, x1: float, y1: float, x2: float, y2: float) -> list[int]:
        """Visible shapes whose bounds lie wholly inside the box, in z-order."""
        self._sync(doc)
        b = self._bounds
        ok = self._visible & (b[:, 0] >= x1) & (b[:, 1] >= y1) & (b[:, 2] <= x2) & (b[:, 3] <= y2)
        return [int(i) for i in np.flatnonzero(ok)]

    def shape_at(self, doc: Document, x: float, y: float, tol: float) -> int | None:
        """Index of the top-most visible shape under ``(x, y)``, or None."""
        for i in self.candidates(doc, x, y, tol):
            if shape_contains(doc.shapes[i], x, y, tol):
                return i
        return None

    def shapes_at(self, doc: Document, x: float, y: float, tol: float) -> list[int]:
        """Indices of every visible shape under ``(x, y)``, top-most first."""
        return [
            i for i in self.candidates(doc, x, y, tol) if shape_contains(doc.shapes[i], x, y, tol)
        ]
