"""Drawing tools: polygon, rectangle, circle, line, linestrip and point.

Each finished object is one :class:`~labeldesk.core.commands.AddShapes` command (one undo step),
takes ``ctx.active_label()`` and becomes the selection. Points are clamped into the image as
labelme does. Two-point tools accept both click-click and press-drag-release.
"""

from __future__ import annotations

import numpy as np

from labeldesk.core.commands import AddShapes
from labeldesk.core.shapes import Shape
from labeldesk.core.tools.base import (
    DRAG_PX,
    KeyEvent,
    PointerEvent,
    Preview,
    Tool,
    register_tool,
)

CLOSE_PX = 8.0  # screen pixels: clicking this close to the first vertex closes a polygon


class _DrawTool(Tool):
    """Shared by the drawing tools: the shape type made and how it is added."""

    shape_type = "polygon"
    cursor = "cross"

    def _add(self, points: np.ndarray) -> Shape:
        shape = Shape(label=self.ctx.active_label(), points=points, shape_type=self.shape_type)
        shape.validate()
        self.doc.execute(AddShapes([shape]))
        self.ctx.selection.set([shape.uid])
        return shape

    def _point(self, ev: PointerEvent) -> np.ndarray:
        return np.array(self.ctx.clamp(ev.x, ev.y), dtype=np.float64)


class _MultiPointTool(_DrawTool):
    """Click vertices; Enter or double-click finishes; Backspace drops the last; Esc cancels."""

    min_points = 3
    closed = True
    keys = frozenset({"Enter", "Escape", "Backspace"})

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._pts: list[np.ndarray] = []
        self._cursor: np.ndarray | None = None
        self._near_first = False

    @property
    def hint(self) -> str:
        what = self.shape_type
        if not self._pts:
            return f"Click to start a {what}"
        close = ", click the first vertex" if self.closed else ""
        return f"{len(self._pts)} points: click to add, Enter or double-click{close} to finish, Backspace undoes a point, Esc cancels"

    def busy(self) -> bool:
        return bool(self._pts)

    def _is_near_first(self, ev: PointerEvent) -> bool:
        if not self.closed or len(self._pts) < self.min_points:
            return False
        return float(np.hypot(*(self._pts[0] - ev.xy))) <= ev.tolerance(CLOSE_PX)

    def pointer(self, ev: PointerEvent) -> bool:
        if ev.kind == "move":
            self._cursor = self._point(ev)
            self._near_first = self._is_near_first(ev)
            self.notify()
            return bool(self._pts)
        if ev.button != "left":
            return False
        if ev.kind == "press":
            if self._is_near_first(ev):
                self.finish()
            else:
                self._append(self._point(ev))
            return True
        if ev.kind == "double":
            p = self._point(ev)
            if not self._pts or float(np.hypot(*(self._pts[-1] - p))) > ev.tolerance(DRAG_PX):
                self._append(p)
            self.finish()
            return True
        return ev.kind == "release" and bool(self._pts)

    def _append(self, p: np.ndarray) -> None:
        if self._pts and np.array_equal(self._pts[-1], p):
            return
        self._pts.append(p)
        self.notify()

    def key(self, ev: KeyEvent) -> bool:
        if not self._pts:
            return False
        if ev.key == "Enter":
            self.finish()
        elif ev.key == "Backspace":
            self._pts.pop()
            self.notify()
        elif ev.key == "Escape":
            self.cancel()
        else:
            return False
        return True

    def finish(self) -> Shape | None:
        """Add the object from the points clicked so far (a message if there are too few)."""
        if len(self._pts) < self.min_points:
            size = self.ctx.image_size()
            if size is not None and min(size) < 2 and self._pts:
                # clicks are clamped into the image: on a 1-pixel-wide image they coincide
                self.ctx.message(
                    f"the image is {size[0]}x{size[1]} pixels: every click lands on the same "
                    f"pixel, so a {self.shape_type} cannot be drawn (use the point tool)"
                )
                self._pts = []
                self.notify()
                return None
            self.ctx.message(f"a {self.shape_type} needs at least {self.min_points} points")
            return None
        pts = np.array(self._pts)
        self._pts = []
        self.notify()
        return self._add(pts)

    def cancel(self) -> None:
        if self._pts:
            self._pts = []
            self.notify()

    def preview(self) -> Preview | None:
        if not self._pts:
            return None
        pts = np.array(self._pts)
        line = np.vstack([pts, self._cursor[None]]) if self._cursor is not None else pts
        pv = Preview(color=self.ctx.color(), polylines=[line], points=pts)
        if self.closed and len(pts) >= 2:
            pv.polygons = [line]
        if self._near_first:
            pv.marker = (float(pts[0, 0]), float(pts[0, 1]))
        return pv


@register_tool
class PolygonTool(_MultiPointTool):
    name = "polygon"
    title = "Polygon"
    shortcuts = ("P", "Ctrl+N")
    icon = "mdi6.vector-polygon"
    order = 10
    shape_type = "polygon"


@register_tool
class LineStripTool(_MultiPointTool):
    name = "linestrip"
    title = "Line strip"
    shortcuts = ("Shift+L",)
    icon = "mdi6.vector-polyline"
    order = 50
    shape_type = "linestrip"
    min_points = 2
    closed = False


class _TwoPointTool(_DrawTool):
    """First point on press; the second on the next click, or on release after a drag."""

    keys = frozenset({"Escape"})

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._start: np.ndarray | None = None
        self._press: PointerEvent | None = None
        self._cursor: np.ndarray | None = None

    @property
    def hint(self) -> str:
        if self._start is None:
            return f"Click or drag to draw a {self.shape_type}"
        return "Click the second point; Esc cancels"

    def busy(self) -> bool:
        return self._start is not None

    def pointer(self, ev: PointerEvent) -> bool:
        if ev.kind == "move":
            self._cursor = self._point(ev)
            if self._start is not None:
                self.notify()
            return self._start is not None
        if ev.button != "left":
            return False
        p = self._point(ev)
        if ev.kind in ("press", "double"):
            if self._start is None:
                self._start, self._press, self._cursor = p, ev, p
                self.notify()
            else:
                self._finish(p)
            return True
        if ev.kind == "release" and self._press is not None and self._start is not None:
            moved = np.hypot(ev.x - self._press.x, ev.y - self._press.y) * ev.scale
            self._press = None
            if moved > DRAG_PX:
                self._finish(p)
            return True
        return False

    def _finish(self, p: np.ndarray) -> None:
        start = self._start
        self._start = self._press = None
        self.notify()
        if start is None:
            return
        problem = self.degenerate(start, p)
        if problem:
            self.ctx.message(problem)
            return
        self._add(np.array([start, p]))

    def degenerate(self, a: np.ndarray, b: np.ndarray) -> str:
        """Why ``a``-``b`` makes no object (empty string when it does)."""
        return "" if np.hypot(*(b - a)) > 0 else f"the {self.shape_type} has no size"

    def key(self, ev: KeyEvent) -> bool:
        if ev.key == "Escape" and self._start is not None:
            self.cancel()
            return True
        return False

    def cancel(self) -> None:
        if self._start is not None:
            self._start = self._press = None
            self.notify()

    def preview(self) -> Preview | None:
        if self._start is None or self._cursor is None:
            return None
        return self.shape_preview(self._start, self._cursor)

    def shape_preview(self, a: np.ndarray, b: np.ndarray) -> Preview:
        return Preview(
            color=self.ctx.color(), polylines=[np.array([a, b])], points=np.array([a, b])
        )


@register_tool
class RectangleTool(_TwoPointTool):
    name = "rectangle"
    title = "Rectangle"
    shortcuts = ("R", "Ctrl+R")
    icon = "mdi6.vector-square"
    order = 20
    shape_type = "rectangle"

    def degenerate(self, a: np.ndarray, b: np.ndarray) -> str:
        w, h = np.abs(b - a)
        return "" if w >= 1 and h >= 1 else "a rectangle must be at least 1 pixel wide and high"

    def shape_preview(self, a: np.ndarray, b: np.ndarray) -> Preview:
        ring = np.array([a, [b[0], a[1]], b, [a[0], b[1]]])
        return Preview(color=self.ctx.color(), polygons=[ring], points=np.array([a, b]))


@register_tool
class CircleTool(_TwoPointTool):
    name = "circle"
    title = "Circle"
    shortcuts = ("C",)
    icon = "mdi6.circle-outline"
    order = 30
    shape_type = "circle"

    @property
    def hint(self) -> str:
        if self._start is None:
            return "Click the centre, then the rim (or drag from the centre)"
        return "Click a point on the rim; Esc cancels"

    def degenerate(self, a: np.ndarray, b: np.ndarray) -> str:
        return "" if np.hypot(*(b - a)) >= 1 else "a circle needs a radius of at least 1 pixel"

    def shape_preview(self, a: np.ndarray, b: np.ndarray) -> Preview:
        r = float(np.hypot(*(b - a)))
        return Preview(
            color=self.ctx.color(),
            circles=[(float(a[0]), float(a[1]), r)],
            polylines=[np.array([a, b])],
            points=np.array([a, b]),
        )


@register_tool
class LineTool(_TwoPointTool):
    name = "line"
    title = "Line"
    shortcuts = ("L",)
    icon = "mdi6.vector-line"
    order = 40
    shape_type = "line"


@register_tool
class PointTool(_DrawTool):
    name = "point"
    title = "Point"
    shortcuts = ("Shift+P",)
    icon = "mdi6.circle-small"
    order = 60
    shape_type = "point"
    keys = frozenset()

    @property
    def hint(self) -> str:
        return "Click to place a point"

    def pointer(self, ev: PointerEvent) -> bool:
        if ev.button == "left" and ev.kind in ("press", "double"):
            self._add(self._point(ev)[None])
            return True
        return False
