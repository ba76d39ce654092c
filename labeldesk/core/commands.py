"""The commands that change a document. Each one is a single, exactly reversible edit.

Each follows :class:`labeldesk.core.history.Command`: ``do(shapes)`` and ``undo(shapes)`` act
on the document's :class:`~labeldesk.core.shapelist.ShapeList` (run them through
``Document.execute``). Commands keep only what they need to go back: removed shapes, old
attribute values, or for mask painting the changed bounding box of the bitmap (before and
after).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from labeldesk.core.errors import InvalidShapeError
from labeldesk.core.shapes import Shape, as_points, mask_box

if TYPE_CHECKING:
    from labeldesk.core.shapelist import ShapeList

EDITABLE = (
    "label",
    "points",
    "group_id",
    "description",
    "flags",
    "locked",
    "visible",
    "shape_type",
    "mask",
)


class AddShapes:
    """Insert shapes at ``indices`` (ascending, positions in the final list); default: append."""

    def __init__(self, shapes: Sequence[Shape], indices: Sequence[int] | None = None) -> None:
        self.shapes = list(shapes)
        self.indices = list(indices) if indices is not None else None
        self.text = "Add " + ("object" if len(self.shapes) == 1 else f"{len(self.shapes)} objects")

    def do(self, shapes: ShapeList) -> None:
        if self.indices is None:
            n = len(shapes)
            self.indices = list(range(n, n + len(self.shapes)))
        shapes.insert(self.indices, self.shapes)

    def undo(self, shapes: ShapeList) -> None:
        assert self.indices is not None, "undo before do"
        shapes.remove(self.indices)

    def nbytes(self) -> int:
        return 64 + sum(s.nbytes() for s in self.shapes)


class RemoveShapes:
    """Remove the shapes at ``indices``."""

    def __init__(self, indices: Sequence[int]) -> None:
        self.indices = sorted(set(indices))
        self.removed: list[Shape] = []
        self.text = "Delete " + (
            "object" if len(self.indices) == 1 else f"{len(self.indices)} objects"
        )

    def do(self, shapes: ShapeList) -> None:
        self.removed = shapes.remove(self.indices)

    def undo(self, shapes: ShapeList) -> None:
        shapes.insert(self.indices, self.removed)

    def nbytes(self) -> int:
        return 64 + sum(s.nbytes() for s in self.removed)


class EditShape:
    """Set attributes of the shape at ``index`` (points, label, group_id, flags, mask...)."""

    def __init__(self, index: int, text: str = "Edit object", **changes: Any) -> None:
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValueError(
                f"cannot edit {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)}"
            )
        if "points" in changes:
            changes["points"] = as_points(changes["points"])
        if changes.get("mask") is not None:
            changes["mask"] = np.asarray(changes["mask"], dtype=bool).copy()
        self.index = index
        self.new = changes
        self.old: dict[str, Any] = {}
        self.text = text

    def do(self, shapes: ShapeList) -> None:
        shape = shapes[self.index]
        self.old = {k: _copy(getattr(shape, k)) for k in self.new}
        for k, v in self.new.items():
            setattr(shape, k, _copy(v))
        try:
            shape.validate()
        except InvalidShapeError:
            for k, v in self.old.items():
                setattr(shape, k, v)
            raise
        shapes.touch([self.index])

    def undo(self, shapes: ShapeList) -> None:
        shape = shapes[self.index]
        for k, v in self.old.items():
            setattr(shape, k, _copy(v))
        shapes.touch([self.index])

    def nbytes(self) -> int:
        return (
            128
            + sum(_size(v) for v in self.new.values())
            + sum(_size(v) for v in self.old.values())
        )


class Reorder:
    """Put the shapes in a new order: ``order[i]`` is the old index of the new i-th shape."""

    def __init__(self, order: Sequence[int], text: str = "Reorder objects") -> None:
        self.order = list(order)
        self.text = text

    def do(self, shapes: ShapeList) -> None:
        shapes.reorder(self.order)  # checks that it is a permutation

    def undo(self, shapes: ShapeList) -> None:
        inverse = [0] * len(self.order)
        for new, old in enumerate(self.order):
            inverse[old] = new
        shapes.reorder(inverse)

    def nbytes(self) -> int:
        return 64 + 8 * len(self.order)


class PaintMask:
    """Paint (``value=True``) or erase a mask shape's bitmap with a stroke.

    ``stroke`` is an ``(h, w)`` bool footprint placed with its top-left corner at image pixel
    ``(x0, y0)``. The mask's box grows to hold a painted stroke. Only the stroke's box is kept,
    before and after, plus the old box when it grew.
    """

    def __init__(
        self, index: int, x0: int, y0: int, stroke: np.ndarray, value: bool = True
    ) -> None:
        self.index = index
        self.x0, self.y0 = int(x0), int(y0)
        self.stroke = np.asarray(stroke, dtype=bool)
        self.value = bool(value)
        self.before: np.ndarray | None = None
        self.old_points: np.ndarray | None = None
        self.old_mask_shape: tuple[int, int] | None = None
        self.text = "Paint" if value else "Erase"

    def do(self, shapes: ShapeList) -> None:
        shape = shapes[self.index]
        mask = shape.mask
        if shape.shape_type != "mask" or mask is None:
            raise InvalidShapeError("only mask objects can be painted")
        h, w = self.stroke.shape
        bx1, by1, bx2, by2 = mask_box(shape.points)
        self.old_points = shape.points.copy()
        if self.value:
            nx1, ny1 = min(bx1, self.x0), min(by1, self.y0)
            nx2, ny2 = max(bx2, self.x0 + w - 1), max(by2, self.y0 + h - 1)
            if (nx1, ny1, nx2, ny2) != (bx1, by1, bx2, by2):
                grown = np.zeros((ny2 - ny1 + 1, nx2 - nx1 + 1), dtype=bool)
                grown[by1 - ny1 : by2 - ny1 + 1, bx1 - nx1 : bx2 - nx1 + 1] = mask
                shape.mask = mask = grown
                shape.points = np.array([[nx1, ny1], [nx2, ny2]], dtype=np.float64)
                bx1, by1 = nx1, ny1
        region = _clip_region(mask.shape, self.y0 - by1, self.x0 - bx1, h, w)
        if region is not None:
            (ys, xs), (ss_y, ss_x) = region
            self.before = mask[ys, xs].copy()
            mask[ys, xs][self.stroke[ss_y, ss_x]] = self.value
        shapes.touch([self.index])

    def undo(self, shapes: ShapeList) -> None:
        shape = shapes[self.index]
        mask = shape.mask
        assert mask is not None and self.old_points is not None, "undo before do"
        bx1, by1, _, _ = mask_box(shape.points)
        h, w = self.stroke.shape
        region = _clip_region(mask.shape, self.y0 - by1, self.x0 - bx1, h, w)
        if region is not None and self.before is not None:
            (ys, xs), _ = region
            mask[ys, xs] = self.before
        ox1, oy1, ox2, oy2 = mask_box(self.old_points)
        if (ox1, oy1) != (bx1, by1) or mask.shape != (oy2 - oy1 + 1, ox2 - ox1 + 1):
            shape.mask = mask[oy1 - by1 : oy2 - by1 + 1, ox1 - bx1 : ox2 - bx1 + 1].copy()
        shape.points = self.old_points.copy()
        shapes.touch([self.index])

    def nbytes(self) -> int:
        return 128 + self.stroke.nbytes + (0 if self.before is None else self.before.nbytes)


def _clip_region(
    shape: tuple[int, int], oy: int, ox: int, h: int, w: int
) -> tuple[tuple[slice, slice], tuple[slice, slice]] | None:
    """Slices of a ``shape`` array covered by an ``(h, w)`` patch at ``(oy, ox)``, and of the patch."""
    y0, x0 = max(0, oy), max(0, ox)
    y1, x1 = min(shape[0], oy + h), min(shape[1], ox + w)
    if y1 <= y0 or x1 <= x0:
        return None
    return (slice(y0, y1), slice(x0, x1)), (slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox))


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return dict(value)
    return value


def _size(value: Any) -> int:
    return value.nbytes if isinstance(value, np.ndarray) else 32
