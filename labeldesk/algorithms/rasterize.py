"""Rasterize labelme shapes exactly as labelme does, so the same JSON gives the same pixels.

labelme draws with Pillow's ``ImageDraw``: polygons even-odd filled with their outline,
rectangles inclusive of both corners, circles as ellipses of radius ``|rim - centre|``, lines
and linestrips ``line_width`` (10) pixels wide (linestrips with rounded joints, Pillow's
``joint="curve"``, as labelme 7.x draws them; ``joint=None`` gives labelme 6.x's notched turns),
points as discs of radius ``point_size`` (5);
a mask shape pastes its bitmap at the integer corner of its box. Shapes are drawn in order,
later ones over earlier ones.

Everything here is pure numpy/Pillow. Coordinates are ``(x, y)`` pixels; masks are ``(H, W)``
bool indexed ``[y, x]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from PIL import Image, ImageDraw

LINE_WIDTH = 10
POINT_SIZE = 5
LINESTRIP_JOINT: str | None = "curve"  # labelme >= 7; None = labelme 6.x


class ShapeLike(Protocol):
    """What rasterizing needs of a shape (``labeldesk.core.Shape`` satisfies it)."""

    label: str
    group_id: int | None
    shape_type: str
    points: Any  # (N, 2) float (x, y)
    mask: np.ndarray | None


def _check_size(size: Sequence[int]) -> tuple[int, int]:
    if len(size) < 2 or int(size[0]) <= 0 or int(size[1]) <= 0:
        raise ValueError(f"size must be (height, width) with positive values, got {tuple(size)!r}")
    return int(size[0]), int(size[1])


def mask_corner(points: Any) -> tuple[int, int]:
    """The pixel ``(x, y)`` where a mask shape's bitmap starts: its first point rounded as
    labelme 7.9.1 does (half to even), not truncated."""
    x, y = np.round(np.asarray(points, dtype=np.float64).reshape(-1, 2)[0]).astype(int)
    return int(x), int(y)


def mask_shape_to_mask(size: Sequence[int], points: Any, crop: np.ndarray) -> np.ndarray:
    """Place a mask shape's bitmap ``crop`` at its box corner; returns an ``(H, W)`` bool mask.

    ``points`` is ``[[x1, y1], [x2, y2]]``; the corner is rounded to int as labelme 7.9.1 does.
    Parts of the crop outside the image are clipped.
    """
    h, w = _check_size(size)
    out = np.zeros((h, w), dtype=bool)
    x1, y1 = mask_corner(points)  # labelme 7.9.1
    crop = np.asarray(crop, dtype=bool)
    ch, cw = crop.shape
    ys0, xs0 = max(0, -y1), max(0, -x1)
    yd0, xd0 = max(0, y1), max(0, x1)
    yd1, xd1 = min(h, y1 + ch), min(w, x1 + cw)
    if yd1 > yd0 and xd1 > xd0:
        out[yd0:yd1, xd0:xd1] = crop[ys0 : ys0 + yd1 - yd0, xs0 : xs0 + xd1 - xd0]
    return out


def draw_shape(
    draw: ImageDraw.ImageDraw,
    points: Any,
    shape_type: str,
    value: int = 1,
    *,
    line_width: int = LINE_WIDTH,
    point_size: int = POINT_SIZE,
    joint: str | None = LINESTRIP_JOINT,
) -> None:
    """Draw one non-mask shape with ``value`` on a Pillow canvas, with labelme's rules.

    ``joint`` is how linestrip turns are drawn: ``"curve"`` (labelme 7.x) or None (6.x).
    """
    xy = [(float(x), float(y)) for x, y in np.asarray(points, dtype=np.float64).reshape(-1, 2)]
    if shape_type == "circle":
        if len(xy) != 2:
            raise ValueError(f"a circle needs 2 points (centre, rim), got {len(xy)}")
        (cx, cy), (px, py) = xy
        d = math.hypot(cx - px, cy - py)
        draw.ellipse([cx - d, cy - d, cx + d, cy + d], outline=value, fill=value)
    elif shape_type == "rectangle":
        if len(xy) != 2:
            raise ValueError(f"a rectangle needs 2 points, got {len(xy)}")
        (x0, y0), (x1, y1) = xy
        draw.rectangle(
            [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], outline=value, fill=value
        )
    elif shape_type in ("line", "linestrip"):
        if len(xy) < 2:
            raise ValueError(f"a {shape_type} needs at least 2 points, got {len(xy)}")
        if shape_type == "linestrip" and joint is not None:
            draw.line(xy=xy, fill=value, width=line_width, joint=joint)
        else:
            draw.line(xy=xy, fill=value, width=line_width)
    elif shape_type == "point":
        if len(xy) != 1:
            raise ValueError(f"a point needs 1 point, got {len(xy)}")
        cx, cy = xy[0]
        r = point_size
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=value, fill=value)
    elif shape_type in ("polygon", "oriented_rectangle"):
        if len(xy) < 3:
            raise ValueError(f"a {shape_type} needs at least 3 points, got {len(xy)}")
        draw.polygon(xy=xy, outline=value, fill=value)
    else:
        raise ValueError(f"unknown shape_type {shape_type!r}")


def shape_to_mask(
    size: Sequence[int],
    points: Any,
    shape_type: str = "polygon",
    *,
    mask: np.ndarray | None = None,
    line_width: int = LINE_WIDTH,
    point_size: int = POINT_SIZE,
    joint: str | None = LINESTRIP_JOINT,
) -> np.ndarray:
    """Rasterize one shape to an ``(H, W)`` bool mask, as labelme's ``shape_to_mask`` does.

    Args:
        size: ``(height, width)`` of the image.
        points: ``(N, 2)`` ``(x, y)`` points.
        shape_type: a labelme shape type.
        mask: the bitmap crop, for ``shape_type="mask"``.
    """
    h, w = _check_size(size)
    if shape_type == "mask":
        if mask is None:
            raise ValueError("a mask shape needs its mask bitmap")
        return mask_shape_to_mask((h, w), points, mask)
    canvas = Image.new("L", (w, h), 0)
    draw_shape(
        ImageDraw.Draw(canvas),
        points,
        shape_type,
        1,
        line_width=line_width,
        point_size=point_size,
        joint=joint,
    )
    return np.asarray(canvas, dtype=bool)


def polygons_to_mask(size: Sequence[int], polygons: Iterable[Any]) -> np.ndarray:
    """Even-odd fill of polygons, each a plain ring or an ``(exterior, holes)`` pair.

    Every ring is drawn with labelme's rule (outline included) and toggles the pixels it
    covers, so a hole listed after its outer ring is cut out. An ``(exterior, holes)`` pair
    (what :func:`labeldesk.algorithms.mask_to_polygons` returns) toggles its exterior and each
    of its holes the same way. For the output of ``mask_to_polygons(mask, tolerance=0)`` this
    gives back ``mask`` exactly. Returns ``(H, W)`` bool.
    """
    h, w = _check_size(size)
    out = np.zeros((h, w), dtype=bool)

    def toggle(poly: Any) -> None:
        pts = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
        if len(pts) < 3:
            raise ValueError(f"polygons must have at least 3 points, got {len(pts)}")
        # a ring inside the image is drawn in its own box (the same pixels: the shift is whole
        # pixels); one that crosses the border is drawn full size, as Pillow clips it
        x0 = int(np.floor(pts[:, 0].min())) - 1
        y0 = int(np.floor(pts[:, 1].min())) - 1
        x1 = int(np.ceil(pts[:, 0].max())) + 2
        y1 = int(np.ceil(pts[:, 1].max())) + 2
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            out[:] ^= shape_to_mask((h, w), pts, "polygon")
        else:
            out[y0:y1, x0:x1] ^= shape_to_mask((y1 - y0, x1 - x0), pts - (x0, y0), "polygon")

    for poly in polygons:
        if _is_pair(poly):
            exterior, holes = poly
            toggle(exterior)
            for hole in holes:
                toggle(hole)
        else:
            toggle(poly)
    return out


def _is_pair(poly: Any) -> bool:
    """Whether ``poly`` is ``(exterior, holes)`` rather than a plain ``(N, 2)`` ring."""
    if isinstance(poly, np.ndarray) or len(poly) != 2:
        return False
    return np.ndim(poly[0]) == 2


def shapes_to_label(
    size: Sequence[int],
    shapes: Iterable[ShapeLike],
    label_to_value: Mapping[str, int],
    *,
    instance_dtype: type = np.int32,
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, Any]]]:
    """Class and instance maps of ``shapes`` drawn in order, as labelme's ``shapes_to_label``.

    An instance is ``(label, group_id)``; a shape without a group_id is its own instance.
    Instance ids start at 1 in order of first appearance and are never wrapped.

    Returns:
        ``(cls, ins, instances)``: ``cls`` ``(H, W)`` int32 class values, ``ins`` ``(H, W)``
        instance ids (``instance_dtype``), and the list of instance keys (index + 1 = id).

    Raises:
        KeyError: a shape's label is not in ``label_to_value`` (the caller reports it).
    """
    h, w = _check_size(size)
    cls = np.zeros((h, w), dtype=np.int32)
    ins: np.ndarray = np.zeros((h, w), dtype=instance_dtype)
    instances: list[tuple[str, Any]] = []
    index: dict[tuple[str, Any], int] = {}
    for n, shape in enumerate(shapes):
        group = shape.group_id if shape.group_id is not None else ("__shape__", n)
        key = (shape.label, group)
        if key not in index:
            instances.append(key)
            index[key] = len(instances)
        cls_id = label_to_value[shape.label]
        m = shape_to_mask((h, w), shape.points, shape.shape_type, mask=shape.mask)
        cls[m] = cls_id
        ins[m] = index[key]
    return cls, ins, instances
