"""One image's class and instance maps, drawn once and shared by every exporter.

The pixels are labelme's (``labeldesk.algorithms.rasterize``: same Pillow drawing, shapes in
file order, later over earlier, instance = ``(label, group_id)``), drawn straight onto two
int32 Pillow canvases instead of one full-size mask per shape, which gives the same pixels
much faster (``tests/io/test_export_raster.py`` checks it against ``shapes_to_label``).
Shapes whose label is not in the labels file are skipped and reported, never guessed.

Maps are ``(H, W)`` int32 indexed ``[y, x]``: ``cls`` holds class values (-1 = ``__ignore__``,
0 = background), ``ins`` instance ids (1 = first instance in file order; 0 = none, also under
``__ignore__`` pixels, as labelme's exporter does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from labeldesk.algorithms.rasterize import LINE_WIDTH, POINT_SIZE, draw_shape, mask_corner
from labeldesk.core.shapes import Shape
from labeldesk.io.export.labels import IGNORE_VALUE, LabelSet


@dataclass
class Instance:
    """One exported object: every shape with the same ``(label, group_id)``.

    Attributes:
        label, group_id: the instance key (``group_id`` None = a single shape).
        value: the class value of ``label``.
        shapes: indices of its shapes in the document, in drawing order.
        box: inclusive ``(x0, y0, x1, y1)`` that holds all its pixels, clipped to the image;
            None when every shape lies outside the image.
        has_mask: one of its shapes is a ``mask`` shape.
    """

    label: str
    group_id: int | None
    value: int
    shapes: list[int] = field(default_factory=list)
    box: tuple[int, int, int, int] | None = None
    has_mask: bool = False


@dataclass
class Raster:
    """Class map, instance map and the instances of one image (see the module docstring)."""

    cls: np.ndarray
    ins: np.ndarray
    instances: list[Instance]
    unknown: list[str]

    @property
    def size(self) -> tuple[int, int]:
        return self.cls.shape[0], self.cls.shape[1]

    def visible(self, k: int) -> tuple[np.ndarray, int, int] | None:
        """The visible pixels of instance id ``k`` (1-based) as a tight ``(h, w)`` bool crop
        and its top-left ``(x0, y0)``; None when later shapes hide it entirely."""
        inst = self.instances[k - 1]
        if inst.box is None:
            return None
        x0, y0, x1, y1 = inst.box
        crop = self.ins[y0 : y1 + 1, x0 : x1 + 1] == k
        rows = np.flatnonzero(crop.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(crop.any(axis=0))
        r0, r1, c0, c1 = rows[0], rows[-1], cols[0], cols[-1]
        return crop[r0 : r1 + 1, c0 : c1 + 1], x0 + int(c0), y0 + int(r0)


def _shape_box(shape: Shape, h: int, w: int) -> tuple[int, int, int, int] | None:
    """Inclusive pixel box that holds everything the shape draws, clipped; None if outside."""
    if shape.shape_type == "mask":
        x0, y0 = mask_corner(shape.points)  # rounded, as labelme 7.9.1
        mh, mw = shape.mask.shape if shape.mask is not None else (0, 0)
        bx = (x0, y0, x0 + mw - 1, y0 + mh - 1)
    else:
        margin = {"line": LINE_WIDTH, "linestrip": LINE_WIDTH, "point": POINT_SIZE + 2}.get(
            shape.shape_type, 2
        )
        xa, ya, xb, yb = shape.bounds()
        if shape.shape_type == "point":
            xa, ya, xb, yb = xa - POINT_SIZE, ya - POINT_SIZE, xb + POINT_SIZE, yb + POINT_SIZE
        bx = (
            math.floor(xa) - margin,
            math.floor(ya) - margin,
            math.ceil(xb) + margin,
            math.ceil(yb) + margin,
        )
    x0, y0, x1, y1 = max(bx[0], 0), max(bx[1], 0), min(bx[2], w - 1), min(bx[3], h - 1)
    if x1 < x0 or y1 < y0:
        return None
    return x0, y0, x1, y1


def _union(a: tuple[int, int, int, int] | None, b: tuple[int, int, int, int] | None):
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _paste_mask(canvas: Image.Image, shape: Shape, value: int) -> None:
    """Set ``value`` where the mask shape's bitmap is true (corner rounded as labelme 7.9.1
    rounds it, :func:`~labeldesk.algorithms.rasterize.mask_corner`)."""
    if shape.mask is None or shape.mask.size == 0:
        return
    x0, y0 = mask_corner(shape.points)
    stencil = Image.fromarray(shape.mask.astype(np.uint8) * 255)
    h, w = shape.mask.shape
    canvas.paste(value, (x0, y0, x0 + w, y0 + h), stencil)


def rasterize(shapes: Sequence[Shape], size: tuple[int, int], labels: LabelSet) -> Raster:
    """Draw ``shapes`` (file order) into class and instance maps of ``size = (H, W)``.

    Shapes whose label is not in ``labels`` are not drawn and do not take an instance id;
    their labels are listed in ``Raster.unknown``. Instance ids are never wrapped.
    """
    h, w = int(size[0]), int(size[1])
    # One canvas of instance ids is enough: every pixel of an instance has its class, so
    # the class map is a lookup of the instance map (drawing both would draw twice).
    ins_im = Image.new("I", (w, h), 0)
    ins_draw = ImageDraw.Draw(ins_im)
    instances: list[Instance] = []
    index: dict[tuple[str, object], int] = {}
    unknown: list[str] = []
    for n, shape in enumerate(shapes):
        value = labels.value_of(shape.label)
        if value is None:
            if shape.label not in unknown:
                unknown.append(shape.label)
            continue
        key = (shape.label, shape.group_id if shape.group_id is not None else ("shape", n))
        k = index.get(key)
        if k is None:
            instances.append(Instance(shape.label, shape.group_id, value))
            k = index[key] = len(instances)
        inst = instances[k - 1]
        inst.shapes.append(n)
        inst.box = _union(inst.box, _shape_box(shape, h, w))
        if shape.shape_type == "mask":
            inst.has_mask = True
            _paste_mask(ins_im, shape, k)
        else:
            draw_shape(ins_draw, shape.points, shape.shape_type, k)
    ins = np.array(ins_im, dtype=np.int32)
    lut = np.array([0] + [i.value for i in instances], dtype=np.int32)
    cls = lut[ins]
    if labels.has_ignore:
        ins[cls == IGNORE_VALUE] = 0
    return Raster(cls, ins, instances, unknown)
