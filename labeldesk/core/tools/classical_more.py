"""More classical tools (see :mod:`.classical`): marker watershed, GrabCut and live-wire.

Watershed and GrabCut paint object scribbles with a left drag and background scribbles with a right drag (or
Shift+left drag), ``ctx.brush_size`` pixels wide; :meth:`_StrokeTool.scribble_paths` gives
the strokes to UIs that draw them in their own style.
"""

from __future__ import annotations

import cv2
import numpy as np

from labeldesk import algorithms as alg
from labeldesk.core.commands import AddShapes
from labeldesk.core.shapes import Shape
from labeldesk.core.tools.base import (
    KeyEvent,
    PointerEvent,
    Preview,
    Tool,
    ToolContext,
    register_tool,
)
from labeldesk.core.tools.brush import Stroke
from labeldesk.core.tools.classical import DRAG_PX, ClassicalTool, Runner, pixel_of


class _StrokeTool(ClassicalTool):
    """Paints object / background scribbles with ``ctx.brush_size``."""

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx, runner)
        self.strokes: list[tuple[bool, Stroke, list[tuple[float, float]]]] = []  # (fg, ...)
        self._live: tuple[bool, Stroke, list[tuple[float, float]]] | None = None

    def begin_stroke(self, ev: PointerEvent, fg: bool) -> None:
        size = self.ctx.image_size()
        stroke = Stroke(self.ctx.brush_size, clip=size)
        stroke.add(ev.x, ev.y)
        self._live = (fg, stroke, [(ev.x, ev.y)])
        self.notify()

    def extend_stroke(self, ev: PointerEvent) -> None:
        if self._live is not None:
            self._live[1].add(ev.x, ev.y)
            self._live[2].append((ev.x, ev.y))
            self.notify()

    def end_stroke(self) -> bool:
        """Keep the stroke being drawn; True when there was one."""
        if self._live is None:
            return False
        self.strokes.append(self._live)
        self._live = None
        return True

    def scribbles(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """``(fg, bg)`` ``(H, W)`` bool masks of the strokes."""
        masks = (np.zeros(shape, bool), np.zeros(shape, bool))
        for fg, stroke, _ in self.strokes:
            fp = stroke.footprint()
            if fp is not None:
                x0, y0, m = fp
                masks[0 if fg else 1][y0 : y0 + m.shape[0], x0 : x0 + m.shape[1]] |= m
        return masks

    def has_input(self) -> bool:
        return bool(self.strokes) or self._live is not None

    def clear_inputs(self) -> None:
        self.strokes, self._live = [], None

    def scribble_paths(self) -> list[tuple[np.ndarray, bool, float]]:
        """``(path (N, 2) float (x, y), is_foreground, diameter)`` per stroke, for UIs that
        draw scribbles in their own style."""
        live = [self._live] if self._live is not None else []
        return [(np.asarray(p, np.float64), fg, s.diameter) for fg, s, p in [*self.strokes, *live]]

    def preview(self) -> Preview | None:
        pv = super().preview()
        for path, fg, diameter in self.scribble_paths():
            pv.polylines.append(path)
            if not fg:  # background strokes are beaded with small circles
                step = max(1, len(path) // 12)
                pv.circles += [(x, y, diameter / 2) for x, y in path[::step]]
        return pv


@register_tool
class WatershedTool(_StrokeTool):
    """Marker watershed from object (left) and background (right / Shift+left) scribbles."""

    name = "watershed"
    title = "Watershed"

    @property
    def hint(self) -> str:
        fg = any(s[0] for s in self.strokes)
        bg = any(not s[0] for s in self.strokes)
        if not (fg and bg):
            need = "the object (left drag)" if not fg else "the background (right drag)"
            return f"Watershed: scribble on {need}"
        return "Watershed: scribble to correct, Backspace undoes a stroke, Enter accepts"

    def pointer(self, ev: PointerEvent) -> bool:
        self._scale = ev.scale
        if ev.kind == "press" and ev.button in ("left", "right"):
            self.begin_stroke(ev, fg=ev.button == "left" and "shift" not in ev.modifiers)
        elif ev.kind == "move" and ev.button in ("left", "right") and self._live is not None:
            self.extend_stroke(ev)
        elif ev.kind == "release" and self.end_stroke():
            self.run()
        else:
            return False
        return True

    def run(self) -> None:
        img = self.image()
        if img is None:
            return
        fg, bg = self.scribbles(img.shape[:2])
        if not fg.any() or not bg.any():
            self.notify()
            return

        def job() -> np.ndarray:
            markers = np.zeros(img.shape[:2], np.int32)
            markers[bg] = 2
            markers[fg] = 1
            x, y, w, h = cv2.boundingRect((fg | bg).view(np.uint8))
            grow = max(w, h) // 2 + 16
            roi = np.zeros(img.shape[:2], bool)
            roi[max(0, y - grow) : y + h + grow, max(0, x - grow) : x + w + grow] = True
            return alg.marker_watershed(img, markers, roi=roi) == 1

        self.compute(job)

    def undo_input(self) -> None:
        self.strokes.pop()
        self.mask = None
        if self.strokes:
            self.run()
        else:
            self.cancel()


@register_tool
class GrabCutTool(_StrokeTool):
    """GrabCut from a box or four extreme points, corrected with scribbles."""

    name = "grabcut"
    title = "GrabCut"

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx, runner)
        self.box: tuple[int, int, int, int] | None = None
        self.points: list[tuple[int, int]] = []
        self._press: tuple[float, float, str] | None = None
        self._drag: tuple[float, float, float, float] | None = None
        self._order: list[str] = []  # "box", "point", "stroke": for Backspace

    @property
    def hint(self) -> str:
        if self.box is None and len(self.points) < 4:
            return f"GrabCut: drag a box, or click the object's 4 extreme points ({len(self.points)}/4)"
        return "GrabCut: left drag marks object, right drag background; Enter accepts"

    def has_input(self) -> bool:
        return bool(self._order) or self._live is not None or self._drag is not None

    def _ready(self) -> bool:
        return self.box is not None or len(self.points) == 4

    def pointer(self, ev: PointerEvent) -> bool:
        self._scale = ev.scale
        if ev.kind == "press" and ev.button in ("left", "right"):
            fg = ev.button == "left" and "shift" not in ev.modifiers
            if self._ready():
                self.begin_stroke(ev, fg)
            elif ev.button == "left":
                self._press = (ev.x, ev.y, ev.button)
        elif ev.kind == "move" and self._live is not None:
            self.extend_stroke(ev)
        elif ev.kind == "move" and self._press is not None:
            x0, y0, _ = self._press
            if self._drag is not None or np.hypot(ev.x - x0, ev.y - y0) > ev.tolerance(DRAG_PX):
                self._drag = (*self.ctx.clamp(x0, y0), *self.ctx.clamp(ev.x, ev.y))
                self.notify()
        elif ev.kind == "release" and self.end_stroke():
            self._order.append("stroke")
            self.run()
        elif ev.kind == "release" and self._press is not None:
            if self._drag is not None:
                (ax, ay), (bx, by) = pixel_of(*self._drag[:2]), pixel_of(*self._drag[2:])
                self.box, self.points = (ax, ay, bx, by), []
                self._order = [o for o in self._order if o != "point"] + ["box"]
            else:
                self.points.append(pixel_of(*self.ctx.clamp(*self._press[:2])))
                self._order.append("point")
            self._press = self._drag = None
            if self._ready():
                self.run()
            else:
                self.notify()
        else:
            return False
        return True

    def run(self) -> None:
        img = self.image()
        if img is None or not self._ready():
            return
        fg, bg = self.scribbles(img.shape[:2])
        box = self.box
        pts = np.array(self.points, np.float64) if box is None else None

        def job() -> np.ndarray:
            return alg.grabcut(img, box=box, extreme_points=pts, fg_scribbles=fg, bg_scribbles=bg)

        self.compute(job)

    def clear_inputs(self) -> None:
        super().clear_inputs()
        self.box, self.points, self._order = None, [], []
        self._press = self._drag = None

    def undo_input(self) -> None:
        if not self._order:
            return
        last = self._order.pop()
        if last == "stroke":
            self.strokes.pop()
        elif last == "point":
            self.points.pop()
        else:
            self.box = None
        if self._ready():
            self.run()
        else:
            self.mask, self._crop = None, None
            self.notify()

    def preview(self) -> Preview | None:
        pv = super().preview()
        if self._drag is not None:
            pv.rect = self._drag
        elif self.box is not None:
            x0, y0, x1, y1 = self.box
            pv.rect = (min(x0, x1), min(y0, y1), max(x0, x1) + 1, max(y0, y1) + 1)
        if self.points:
            pv.points = np.array(self.points, np.float64) + 0.5
        return pv


@register_tool
class LiveWireTool(Tool):
    """Intelligent scissors: click anchors, the path snaps to edges; accepts a polygon."""

    name = "live_wire"
    title = "Live wire"
    keys = frozenset({"Enter", "Escape", "Backspace"})

    def __init__(self, ctx: ToolContext) -> None:
        super().__init__(ctx)
        self.anchors: list[tuple[int, int]] = []
        self.legs: list[np.ndarray] = []  # path from anchor i to anchor i + 1, (N, 2) pixels
        self.tolerance = 1.0  # polygon simplification on accept, pixels
        self._map: alg.LiveWireMap | None = None
        self._tail: np.ndarray | None = None  # path from the last anchor to the pointer

    @property
    def hint(self) -> str:
        if not self.anchors:
            return "Live wire: click on the object's boundary to start"
        return "Live wire: click to fix the path, double-click or Enter closes it, Backspace undoes"

    def busy(self) -> bool:
        return bool(self.anchors)

    def path_to(self, x: int, y: int) -> np.ndarray | None:
        """The snapped path from the last anchor to pixel ``(x, y)`` (a new map when needed)."""
        img = self.ctx.image()
        if img is None or not self.anchors:
            return None
        ax, ay = self.anchors[-1]
        if self._map is None or self._map.anchor != (ax, ay) or not self._map.contains((x, y)):
            radius = int(min(2000, max(200, 1.5 * np.hypot(x - ax, y - ay))))
            try:
                self._map = alg.LiveWireMap(
                    img[..., :3] if img.ndim == 3 else img, (ax, ay), radius=radius
                )
            except ValueError as exc:
                self.ctx.message(f"{self.title}: {exc}")
                return None
        return self._map.path_to((x, y))

    def pointer(self, ev: PointerEvent) -> bool:
        x, y = pixel_of(*self.ctx.clamp(ev.x, ev.y))
        if ev.kind == "move":
            self._tail = self.path_to(x, y) if self.anchors else None
            self.notify()
            return bool(self.anchors)
        if ev.button != "left" or ev.kind not in ("press", "double"):
            return ev.kind == "release" and bool(self.anchors)
        if self.anchors and (x, y) != self.anchors[-1]:
            leg = self.path_to(x, y)
            if leg is None:
                return True
            self.legs.append(leg)
        if not self.anchors or (x, y) != self.anchors[-1]:
            self.anchors.append((x, y))
        self._tail = None
        if ev.kind == "double":
            self.accept()
        self.notify()
        return True

    def path(self, *, closed: bool = False) -> np.ndarray:
        """The fixed path so far, ``(N, 2)`` float pixel ``(x, y)``; ``closed`` adds the leg
        back to the first anchor."""
        legs = list(self.legs)
        if closed and len(self.anchors) >= 2:
            back = self.path_to(*self.anchors[0])
            if back is not None:
                legs.append(back)
        if not legs:
            return np.array(self.anchors, np.float64).reshape(-1, 2)
        return np.concatenate([legs[0]] + [leg[1:] for leg in legs[1:]])

    def accept(self) -> Shape | None:
        """Close the path and add it as a polygon of the active class (one undo step)."""
        ring = self.path(closed=True)
        if len(np.unique(ring, axis=0)) < 3:
            self.ctx.message(f"{self.title}: click at least 2 anchors around the object")
            return None
        ring = cv2.approxPolyDP(ring.astype(np.int32).reshape(-1, 1, 2), self.tolerance, True)
        pts = ring.reshape(-1, 2).astype(np.float64)
        if len(np.unique(pts, axis=0)) < 3:
            self.ctx.message(f"{self.title}: the path encloses no area")
            return None
        shape = Shape(self.ctx.active_label(), pts, "polygon")
        self.doc.execute(AddShapes([shape]))
        self.ctx.selection.set([shape.uid])
        self.cancel()
        return shape

    def key(self, ev: KeyEvent) -> bool:
        if not self.anchors:
            return False
        if ev.key == "Enter":
            self.accept()
        elif ev.key == "Escape":
            self.cancel()
        elif ev.key == "Backspace":
            self.anchors.pop()
            if self.legs:
                self.legs.pop()
            self._tail = None
            self.notify()
        else:
            return False
        return True

    def cancel(self) -> None:
        if self.anchors or self._tail is not None:
            self.anchors, self.legs, self._tail, self._map = [], [], None, None
            self.notify()

    def preview(self) -> Preview | None:
        if not self.anchors:
            return None
        # paths are pixel indices; the canvas draws pixel i over [i, i+1): show centres
        lines = [self.path() + 0.5]
        if self._tail is not None:
            lines.append(self._tail + 0.5)
        anchors = np.array(self.anchors, np.float64) + 0.5
        return Preview(color=self.ctx.color(), polylines=lines, points=anchors)
