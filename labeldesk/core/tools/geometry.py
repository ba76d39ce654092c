"""Boolean operations and simplification of selected objects (shapely), each one undo step.

* :func:`boolean_op` combines the selected objects (``"union"``, ``"subtract"``,
  ``"intersect"``). The first selected object is the base: subtract removes the others from
  it, and the result takes its label, group and place in z-order. Polygons, rectangles,
  oriented rectangles and circles are combined as vector geometry; a result that is one
  polygon stays a polygon, several parts become polygons sharing a group_id, and a result
  with holes becomes a mask object rasterized with labelme's rules
  (:func:`labeldesk.algorithms.rasterize.polygons_to_mask`). When a mask object takes part,
  everything is combined as pixels and the result is a mask object.
* :func:`simplify_selected` simplifies polygons and line strips with a tolerance in pixels.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from labeldesk.algorithms.rasterize import polygons_to_mask, shape_to_mask
from labeldesk.core.commands import AddShapes, EditShape, RemoveShapes
from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.selection import Selection
from labeldesk.core.shapes import Shape
from labeldesk.core.tools.hit import shape_bounds

OPS = ("union", "subtract", "intersect")
AREA_TYPES = ("polygon", "rectangle", "oriented_rectangle", "circle", "mask")


def to_geometry(shape: Shape) -> BaseGeometry:
    """A shapely polygon for an area object (not masks); raises LabeldeskError otherwise."""
    t, pts = shape.shape_type, shape.points
    if t in ("polygon", "oriented_rectangle"):
        geom = Polygon(pts)
    elif t == "rectangle":
        (x1, y1), (x2, y2) = pts.min(axis=0), pts.max(axis=0)
        geom = Polygon([(x1, y1), (x2, y1), (x2, y2), (x1, y2)])
    elif t == "circle":
        r = float(np.hypot(*(pts[1] - pts[0])))
        geom = shapely.Point(pts[0]).buffer(r, quad_segs=max(8, min(64, int(r))))
    else:
        raise LabeldeskError(
            f"a {t} has no area; boolean operations need polygons, rectangles, circles or masks"
        )
    return geom if geom.is_valid else shapely.make_valid(geom)


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    """The polygonal parts of ``geom`` (lines and points of a touching result dropped)."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def _ring(coords) -> np.ndarray:
    return np.asarray(coords, dtype=np.float64)[:-1, :2]


def _mask_from_polygons(
    parts: list[Polygon], size: tuple[int, int] | None
) -> tuple[int, int, np.ndarray]:
    """Rasterize polygons with holes: ``(x0, y0, mask)`` cropped to the drawn pixels."""
    minx, miny, maxx, maxy = MultiPolygon(parts).bounds
    x0, y0 = max(0, math.floor(minx)), max(0, math.floor(miny))
    x1, y1 = math.ceil(maxx) + 1, math.ceil(maxy) + 1
    if size is not None:
        x1, y1 = min(x1, size[0]), min(y1, size[1])
    if x1 <= x0 or y1 <= y0:
        raise LabeldeskError("the result lies outside the image")
    off = np.array([x0, y0], dtype=np.float64)
    rings = []
    for p in parts:
        rings.append(_ring(p.exterior.coords) - off)
        rings.extend(_ring(h.coords) - off for h in p.interiors)
    mask = polygons_to_mask((y1 - y0, x1 - x0), [r for r in rings if len(r) >= 3])
    return x0, y0, mask


def _shape_mask(shape: Shape, x0: int, y0: int, h: int, w: int) -> np.ndarray:
    """``shape`` rasterized (labelme rules) into the window ``[x0, x0+w) x [y0, y0+h)``."""
    pts = shape.points - np.array([x0, y0], dtype=np.float64)
    return shape_to_mask((h, w), pts, shape.shape_type, mask=shape.mask)


def _mask_shape(base: Shape, x0: int, y0: int, mask: np.ndarray) -> Shape:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        raise LabeldeskError("the result is empty")
    r1, r2, c1, c2 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    crop = mask[r1 : r2 + 1, c1 : c2 + 1].copy()
    return Shape(
        label=base.label,
        points=np.array([[x0 + c1, y0 + r1], [x0 + c2, y0 + r2]], dtype=np.float64),
        shape_type="mask",
        group_id=base.group_id,
        description=base.description,
        flags=dict(base.flags),
        mask=crop,
    )


def _combine_pixels(doc: Document, shapes: list[Shape], op: str) -> list[Shape]:
    boxes = np.array([shape_bounds(s) for s in shapes])
    x0, y0 = math.floor(boxes[:, 0].min()), math.floor(boxes[:, 1].min())
    x1, y1 = math.ceil(boxes[:, 2].max()) + 1, math.ceil(boxes[:, 3].max()) + 1
    if doc.image_width > 0 and doc.image_height > 0:
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(x1, doc.image_width), min(y1, doc.image_height)
    if x1 <= x0 or y1 <= y0:
        raise LabeldeskError("the objects lie outside the image")
    h, w = y1 - y0, x1 - x0
    acc = _shape_mask(shapes[0], x0, y0, h, w)
    for s in shapes[1:]:
        m = _shape_mask(s, x0, y0, h, w)
        acc = acc | m if op == "union" else acc & ~m if op == "subtract" else acc & m
    return [_mask_shape(shapes[0], x0, y0, acc)]


def _combine_vectors(doc: Document, shapes: list[Shape], op: str) -> list[Shape]:
    geoms = [to_geometry(s) for s in shapes]
    if op == "union":
        result = shapely.union_all(geoms)
    elif op == "intersect":
        result = shapely.intersection_all(geoms)
    else:
        result = geoms[0].difference(shapely.union_all(geoms[1:]))
    parts = [p for p in _polygons(result) if p.area > 1e-9]
    if not parts:
        raise LabeldeskError(f"the {op} of the selected objects is empty")
    base = shapes[0]
    if any(p.interiors for p in parts):
        size = (doc.image_width, doc.image_height) if doc.image_width > 0 else None
        return [_mask_shape(base, *_mask_from_polygons(parts, size))]
    group = base.group_id
    if len(parts) > 1 and group is None:
        group = max((s.group_id for s in doc.shapes if s.group_id is not None), default=0) + 1
    out = []
    for p in parts:
        out.append(
            Shape(
                label=base.label,
                points=_ring(p.exterior.coords),
                shape_type="polygon",
                group_id=group,
                description=base.description,
                flags=dict(base.flags),
            )
        )
    return out


def boolean_op(doc: Document, sel: Selection, op: str) -> list[int]:
    """Combine the selected objects with ``op``; one undo step. Returns the new indices.

    The inputs are replaced by the result, which is selected. Raises LabeldeskError when
    fewer than two objects are selected, one is locked or has no area, or the result is empty.
    """
    if op not in OPS:
        raise ValueError(f"op must be one of {', '.join(OPS)}, got {op!r}")
    by_uid = {s.uid: i for i, s in enumerate(doc.shapes)}
    idx = [by_uid[u] for u in sel.uids() if u in by_uid]  # selection order: first = base
    if len(idx) < 2:
        raise LabeldeskError(f"select at least two objects to {op} them")
    shapes = [doc.shapes[i] for i in idx]
    for s in shapes:
        if s.locked:
            raise LabeldeskError(f"'{s.label}' is locked; unlock it first")
        if s.shape_type not in AREA_TYPES:
            raise LabeldeskError(f"a {s.shape_type} has no area and cannot be combined")
    if any(s.shape_type == "mask" for s in shapes):
        result = _combine_pixels(doc, shapes, op)
    else:
        result = _combine_vectors(doc, shapes, op)
    at = min(idx)
    with doc.group(op.capitalize()):
        doc.execute(RemoveShapes(idx))
        doc.execute(AddShapes(result, list(range(at, at + len(result)))))
    sel.set(s.uid for s in result)
    return list(range(at, at + len(result)))


def simplify_points(points: np.ndarray, tolerance: float, closed: bool) -> np.ndarray:
    """Douglas-Peucker simplification keeping the topology; ``(N, 2)`` -> ``(M, 2)``."""
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 pixels, got {tolerance}")
    pts = np.asarray(points, dtype=np.float64)
    if closed:
        if len(pts) < 4:
            return pts.copy()
        poly = Polygon(pts)
        if not poly.is_valid:
            ring = shapely.LineString(np.vstack([pts, pts[:1]]))
            return _ring(ring.simplify(tolerance, preserve_topology=False).coords)
        return _ring(poly.simplify(tolerance, preserve_topology=True).exterior.coords)
    if len(pts) < 3:
        return pts.copy()
    return np.asarray(shapely.LineString(pts).simplify(tolerance, preserve_topology=True).coords)[
        :, :2
    ]


def simplify_selected(doc: Document, sel: Selection, tolerance: float) -> int:
    """Simplify the selected unlocked polygons and line strips (one step); returns the count."""
    changed = []
    for i in sel.indices(doc):
        s = doc.shapes[i]
        if s.locked or s.shape_type not in ("polygon", "linestrip"):
            continue
        new = simplify_points(s.points, tolerance, s.shape_type == "polygon")
        if len(new) >= (3 if s.shape_type == "polygon" else 2) and len(new) < len(s.points):
            changed.append((i, new))
    if changed:
        with doc.group("Simplify"):
            for i, new in changed:
                doc.execute(EditShape(i, "Simplify", points=new))
    return len(changed)
