"""Annotation objects: one labelme shape each.

Points are ``(N, 2)`` float64 arrays of ``(x, y)`` image pixels. A ``mask`` shape keeps its
bitmap as an ``(h, w)`` bool crop whose inclusive integer box is ``points`` =
``[[x1, y1], [x2, y2]]`` (labelme's convention), so ``h = y2 - y1 + 1`` and ``w = x2 - x1 + 1``.
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labeldesk.core.errors import InvalidShapeError

SHAPE_TYPES = (
    "polygon",
    "rectangle",
    "circle",
    "line",
    "linestrip",
    "point",
    "oriented_rectangle",
    "mask",
)

# shape type -> (minimum, maximum) number of points; None = no maximum
POINT_COUNTS: dict[str, tuple[int, int | None]] = {
    "polygon": (3, None),
    "rectangle": (2, 2),
    "circle": (2, 2),
    "line": (2, 2),
    "linestrip": (2, None),
    "point": (1, 1),
    "oriented_rectangle": (4, 4),
    "mask": (2, 2),
}

_uids = itertools.count(1)


def next_uid() -> int:
    """A process-unique id so views can follow an object while its index changes."""
    return next(_uids)


def as_points(points: Any) -> np.ndarray:
    """``points`` as a fresh ``(N, 2)`` float64 array; raises InvalidShapeError otherwise."""
    try:
        arr = np.array(points, dtype=np.float64)
    except OverflowError as exc:
        raise InvalidShapeError(
            "points must be numbers a float can hold (one is too large)"
        ) from exc
    except RecursionError as exc:
        raise InvalidShapeError("points are nested too deeply") from exc
    except (TypeError, ValueError) as exc:
        raise InvalidShapeError(f"points must be numbers, got {_short(points)}") from exc
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidShapeError(f"points must have shape (N, 2), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidShapeError("points must be finite numbers")
    return arr


def _short(value: Any) -> str:
    """A bounded repr for messages (never the whole of a huge or deeply nested value)."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        return f"a {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."


def check_point_count(shape_type: str, n: int) -> None:
    """Raise InvalidShapeError when ``n`` points do not fit ``shape_type``."""
    if shape_type not in POINT_COUNTS:
        raise InvalidShapeError(
            f"unknown shape_type {shape_type!r}; expected one of {', '.join(SHAPE_TYPES)}"
        )
    lo, hi = POINT_COUNTS[shape_type]
    if n < lo or (hi is not None and n > hi):
        need = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
        raise InvalidShapeError(f"a {shape_type} needs {need} points, got {n}")


def mask_box(points: np.ndarray) -> tuple[int, int, int, int]:
    """Inclusive integer box ``(x1, y1, x2, y2)`` of a mask shape's two points."""
    (x1, y1), (x2, y2) = np.asarray(points, dtype=np.float64)[:2].astype(int)
    return int(x1), int(y1), int(x2), int(y2)


@dataclass(eq=False)
class Shape:
    """One annotation object (a labelme shape) plus labeldesk's per-object state.

    ``extra`` holds keys of the file's shape dict that labelme does not define; they are
    written back unchanged. ``locked`` is written as an extra ``"locked": true`` key only when
    set (labelme keeps unknown keys); ``visible`` is view state and is not saved.
    """

    label: str
    points: np.ndarray
    shape_type: str = "polygon"
    group_id: int | None = None
    description: str = ""
    flags: dict[str, bool] = field(default_factory=dict)
    mask: np.ndarray | None = None
    locked: bool = False
    visible: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    uid: int = field(default_factory=next_uid)
    # the mask's base64 text as read, with the fingerprint of the bitmap it encodes: written
    # back unchanged (exact, and no slow PNG encode) while the bitmap is the same
    mask_text: tuple[int, str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.points = as_points(self.points)
        if self.mask is not None:
            self.mask = np.asarray(self.mask, dtype=bool)

    def validate(self) -> None:
        """Raise InvalidShapeError when the points or mask do not fit the shape type."""
        check_point_count(self.shape_type, len(self.points))
        if self.shape_type == "mask":
            if self.mask is None or self.mask.ndim != 2:
                raise InvalidShapeError("a mask shape needs a 2-D bitmap")
            x1, y1, x2, y2 = mask_box(self.points)
            want = (y2 - y1 + 1, x2 - x1 + 1)
            if self.mask.shape != want:
                raise InvalidShapeError(
                    f"mask bitmap is {self.mask.shape[1]}x{self.mask.shape[0]} but its box "
                    f"({x1}, {y1})-({x2}, {y2}) is {want[1]}x{want[0]}"
                )

    def copy(self, *, new_uid: bool = False) -> Shape:
        """A deep copy (arrays and dicts copied); ``new_uid`` gives it a fresh identity."""
        return Shape(
            label=self.label,
            points=self.points.copy(),
            shape_type=self.shape_type,
            group_id=self.group_id,
            description=self.description,
            flags=dict(self.flags),
            mask=None if self.mask is None else self.mask.copy(),
            locked=self.locked,
            visible=self.visible,
            extra=_deep_copy_json(self.extra),
            uid=next_uid() if new_uid else self.uid,
            mask_text=self.mask_text,
        )

    def same_as(self, other: Shape) -> bool:
        """True when both hold the same data (identity ``uid`` included)."""
        return self.state() == other.state()

    def state(self) -> tuple:
        """A hashable, comparable snapshot of everything the shape holds."""
        mask = None if self.mask is None else (self.mask.shape, self.mask.tobytes())
        return (
            self.uid,
            self.label,
            self.shape_type,
            self.points.shape,
            self.points.tobytes(),
            self.group_id,
            self.description,
            tuple(sorted(self.flags.items())),
            mask,
            self.locked,
            self.visible,
            repr(self.extra),
        )

    def nbytes(self) -> int:
        """Approximate memory held by this shape, for the undo budget."""
        return 200 + self.points.nbytes + (0 if self.mask is None else self.mask.nbytes)

    def bounds(self) -> tuple[float, float, float, float]:
        """``(x_min, y_min, x_max, y_max)`` of the points (a circle includes its radius)."""
        pts = self.points
        if self.shape_type == "circle" and len(pts) == 2:
            r = float(np.hypot(*(pts[1] - pts[0])))
            cx, cy = pts[0]
            return cx - r, cy - r, cx + r, cy + r
        return (
            float(pts[:, 0].min()),
            float(pts[:, 1].min()),
            float(pts[:, 0].max()),
            float(pts[:, 1].max()),
        )


@dataclass
class KeptShape:
    """A shape labelme opens but labeldesk cannot draw (unknown type, two-point polygon, mask
    whose bitmap and box disagree...). It is kept exactly as read and written back unchanged
    at its place in the file's shape list; ``reason`` says why it cannot be drawn.
    """

    position: int
    raw: dict[str, Any]
    reason: str

    @property
    def label(self) -> str:
        label = self.raw.get("label")
        return label if isinstance(label, str) else ""

    @property
    def shape_type(self) -> str:
        kind = self.raw.get("shape_type")
        return kind if isinstance(kind, str) else "polygon"

    def describe(self) -> str:
        """``"cannot draw <type> 'label': reason"`` for panels and reports."""
        return f"cannot draw {self.shape_type} {self.label!r}: {self.reason}"


def mask_fingerprint(mask: np.ndarray) -> int:
    """A checksum of a bitmap and its size (for :attr:`Shape.mask_text`)."""
    bits = np.packbits(np.asarray(mask, dtype=bool))
    return zlib.crc32(bits.tobytes(), zlib.crc32(repr(mask.shape).encode()))


def _deep_copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy_json(v) for v in value]
    return value
