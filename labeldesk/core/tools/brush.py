"""Brush and eraser: paint labelme ``mask`` objects; one stroke is one undo step.

The brush paints the selected mask object, or when no mask object is selected creates a new
one of the active class (and selects it, so the next strokes extend it; Esc deselects to start
another). The eraser clears pixels of the selected mask objects, or when none is selected of
every visible, unlocked mask object the stroke touches. ``[`` and ``]`` change the diameter
(``ctx.brush_size``, image pixels).
"""

from __future__ import annotations

import cv2
import numpy as np

from labeldesk.core.commands import AddShapes, PaintMask
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.shapes import Shape, mask_box
from labeldesk.core.tools.base import KeyEvent, PointerEvent, Preview, Tool, register_tool

_SHIFT = 4  # OpenCV fixed-point bits: sub-pixel stroke positions
_GROW = 64  # pixels added on each side when the stroke canvas grows


class Stroke:
    """A growing bool footprint of discs of ``diameter`` swept along a path.

    Pixel ``(i, j)`` (centre ``(j + 0.5, i + 0.5)``) is painted when the centre lies within
    about ``diameter / 2`` of the path. ``clip`` ``(W, H)`` keeps the footprint in the image.
    """

    def __init__(self, diameter: float, clip: tuple[int, int] | None = None) -> None:
        self.diameter = max(1.0, float(diameter))
        self.clip = clip
        self.x0 = self.y0 = 0
        self.canvas = np.zeros((0, 0), dtype=np.uint8)
        self.last: tuple[float, float] | None = None

    def _ensure(self, x1: int, y1: int, x2: int, y2: int) -> None:
        """Grow the canvas to cover pixels ``[x1, x2) x [y1, y2)``."""
        h, w = self.canvas.shape
        if h and x1 >= self.x0 and y1 >= self.y0 and x2 <= self.x0 + w and y2 <= self.y0 + h:
            return
        if h:
            x1, y1 = min(x1, self.x0), min(y1, self.y0)
            x2, y2 = max(x2, self.x0 + w), max(y2, self.y0 + h)
        nx0, ny0 = x1 - _GROW, y1 - _GROW
        grown = np.zeros((y2 - y1 + 2 * _GROW, x2 - x1 + 2 * _GROW), dtype=np.uint8)
        if h:
            grown[self.y0 - ny0 : self.y0 - ny0 + h, self.x0 - nx0 : self.x0 - nx0 + w] = (
                self.canvas
            )
        self.canvas, self.x0, self.y0 = grown, nx0, ny0

    def add(self, x: float, y: float) -> None:
        """Extend the stroke to ``(x, y)`` (image coordinates)."""
        r = self.diameter / 2
        px, py = self.last if self.last is not None else (x, y)
        self._ensure(
            int(np.floor(min(x, px) - r)) - 1,
            int(np.floor(min(y, py) - r)) - 1,
            int(np.ceil(max(x, px) + r)) + 2,
            int(np.ceil(max(y, py) + r)) + 2,
        )
        scale = 1 << _SHIFT

        def fp(ux: float, uy: float) -> tuple[int, int]:
            return round((ux - 0.5 - self.x0) * scale), round((uy - 0.5 - self.y0) * scale)

        radius = max(0, round((r - 0.5) * scale))
        cv2.circle(self.canvas, fp(x, y), radius, 1, -1, cv2.LINE_8, _SHIFT)
        if self.last is not None and (px, py) != (x, y):
            cv2.circle(self.canvas, fp(px, py), radius, 1, -1, cv2.LINE_8, _SHIFT)
            thick = max(1, round(self.diameter))
            cv2.line(self.canvas, fp(px, py), fp(x, y), 1, thick, cv2.LINE_8, _SHIFT)
        self.last = (x, y)

    def footprint(self) -> tuple[int, int, np.ndarray] | None:
        """``(x0, y0, mask)``: the painted pixels cropped tight (and to the image), or None."""
        canvas, x0, y0 = self.canvas, self.x0, self.y0
        if self.clip is not None and canvas.size:
            w, h = self.clip
            cx1, cy1 = max(0, -x0), max(0, -y0)
            cx2 = max(cx1, min(canvas.shape[1], w - x0))
            cy2 = max(cy1, min(canvas.shape[0], h - y0))
            canvas, x0, y0 = canvas[cy1:cy2, cx1:cx2], x0 + cx1, y0 + cy1
        if not canvas.size or not canvas.any():
            return None
        rows, cols = np.flatnonzero(canvas.any(axis=1)), np.flatnonzero(canvas.any(axis=0))
        r1, r2, c1, c2 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        return x0 + int(c1), y0 + int(r1), canvas[r1:r2, c1:c2].astype(bool)


class _PaintTool(Tool):
    keys = frozenset({"[", "]", "Escape"})
    cursor = "none"
    erase = False

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._stroke: Stroke | None = None
        self._cursor: tuple[float, float] | None = None

    def busy(self) -> bool:
        return self._stroke is not None

    def _selected_masks(self) -> list[int]:
        doc = self.doc
        return [i for i in self.ctx.selection.indices(doc) if doc.shapes[i].shape_type == "mask"]

    def pointer(self, ev: PointerEvent) -> bool:
        self._cursor = (ev.x, ev.y)
        if ev.kind == "move":
            if self._stroke is not None:
                self._stroke.add(ev.x, ev.y)
            self.notify()
            return self._stroke is not None
        if ev.button != "left":
            return False
        if ev.kind in ("press", "double"):
            self._stroke = Stroke(self.ctx.brush_size, self.ctx.image_size())
            self._stroke.add(ev.x, ev.y)
            self.notify()
            return True
        if ev.kind == "release" and self._stroke is not None:
            stroke, self._stroke = self._stroke, None
            stroke.add(ev.x, ev.y)
            self.notify()
            fp = stroke.footprint()
            if fp is not None:
                self.commit(*fp)
            return True
        return False

    def commit(self, x0: int, y0: int, footprint: np.ndarray) -> None:
        raise NotImplementedError

    def key(self, ev: KeyEvent) -> bool:
        if ev.key in ("[", "]"):
            size = self.ctx.brush_size
            new = size * 1.25 if ev.key == "]" else size / 1.25
            new = max(size + 1, round(new)) if ev.key == "]" else min(size - 1, round(new))
            self.ctx.brush_size = int(min(max(new, self.ctx.min_brush), self.ctx.max_brush))
            self.notify()
            return True
        if ev.key == "Escape":
            if self._stroke is not None:
                self.cancel()
                return True
            if len(self.ctx.selection):
                self.ctx.selection.clear()
                self.notify()
                return True
        return False

    def wants_key(self, ev: KeyEvent) -> bool:
        if ev.key in ("[", "]"):
            return True
        return ev.key == "Escape" and (self._stroke is not None or len(self.ctx.selection) > 0)

    def cancel(self) -> None:
        if self._stroke is not None:
            self._stroke = None
            self.notify()

    def preview(self) -> Preview | None:
        pv = Preview(color=self._color())
        if self._cursor is not None:
            pv.brush = (self._cursor[0], self._cursor[1], float(self.ctx.brush_size))
        if self._stroke is not None and self._stroke.canvas.size:
            pv.mask = self._stroke.canvas.view(bool)
            pv.mask_origin = (self._stroke.x0, self._stroke.y0)
            pv.mask_erase = self.erase
        return pv

    def _color(self) -> tuple[int, int, int]:
        masks = self._selected_masks()
        return self.ctx.color(self.doc.shapes[masks[-1]].label if masks else None)


@register_tool
class BrushTool(_PaintTool):
    name = "brush"
    title = "Brush"
    shortcuts = ("B",)
    icon = "mdi6.brush"
    order = 70

    @property
    def hint(self) -> str:
        target = (
            "the selected mask"
            if self._selected_masks()
            else f"a new '{self.ctx.active_label()}' mask"
        )
        return f"Paint {target}; [ ] size ({self.ctx.brush_size} px); Esc starts a new object"

    def commit(self, x0: int, y0: int, footprint: np.ndarray) -> None:
        masks = self._selected_masks()
        doc = self.doc
        if masks:
            i = masks[-1]
            if doc.shapes[i].locked:
                raise LabeldeskError(f"'{doc.shapes[i].label}' is locked; unlock it to paint")
            doc.execute(PaintMask(i, x0, y0, footprint, True))
            return
        h, w = footprint.shape
        shape = Shape(
            label=self.ctx.active_label(),
            points=np.array([[x0, y0], [x0 + w - 1, y0 + h - 1]], dtype=np.float64),
            shape_type="mask",
            mask=footprint,
        )
        shape.validate()
        doc.execute(AddShapes([shape]))
        self.ctx.selection.set([shape.uid])


@register_tool
class EraserTool(_PaintTool):
    name = "eraser"
    title = "Eraser"
    shortcuts = ("Shift+B",)
    icon = "mdi6.eraser"
    order = 80
    erase = True

    @property
    def hint(self) -> str:
        target = "the selected masks" if self._selected_masks() else "any mask under the stroke"
        return f"Erase from {target}; [ ] size ({self.ctx.brush_size} px)"

    def commit(self, x0: int, y0: int, footprint: np.ndarray) -> None:
        doc = self.doc
        targets = self._selected_masks()
        if not targets:
            targets = [
                i
                for i, s in enumerate(doc.shapes)
                if s.shape_type == "mask" and s.visible and not s.locked
            ]
        h, w = footprint.shape
        touched = [i for i in targets if _overlaps(doc.shapes[i], x0, y0, footprint)]
        if not touched:
            return
        locked = [doc.shapes[i].label for i in touched if doc.shapes[i].locked]
        if locked:
            raise LabeldeskError(f"'{locked[0]}' is locked; unlock it to erase")
        with doc.group("Erase"):
            for i in touched:
                doc.execute(PaintMask(i, x0, y0, footprint, False))


def _overlaps(shape: Shape, x0: int, y0: int, footprint: np.ndarray) -> bool:
    """True when any painted pixel of ``footprint`` at ``(x0, y0)`` is set in the mask."""
    if shape.mask is None:
        return False
    bx1, by1, bx2, by2 = mask_box(shape.points)
    h, w = footprint.shape
    ix1, iy1 = max(bx1, x0), max(by1, y0)
    ix2, iy2 = min(bx2 + 1, x0 + w), min(by2 + 1, y0 + h)
    if ix2 <= ix1 or iy2 <= iy1:
        return False
    m = shape.mask[iy1 - by1 : iy2 - by1, ix1 - bx1 : ix2 - bx1]
    f = footprint[iy1 - y0 : iy2 - y0, ix1 - x0 : ix2 - x0]
    return bool((m & f).any())
