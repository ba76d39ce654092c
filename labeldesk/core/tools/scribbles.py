"""More classical tools (see the package :mod:`.classical`): marker watershed and GrabCut.

Both paint object scribbles with a left drag and background scribbles with a right drag (or
Shift+left drag), ``ctx.brush_size`` pixels wide; :meth:`_StrokeTool.scribble_paths` gives the
strokes to UIs that draw them in their own style. :class:`LiveWireTool` lives in
:mod:`.livewire` (re-exported here).
"""

from __future__ import annotations

import cv2
import numpy as np

from labeldesk import algorithms as alg
from labeldesk.core.tools.base import DRAG_PX, PointerEvent, Preview, ToolContext, register_tool
from labeldesk.core.tools.brush import Stroke
from labeldesk.core.tools.classical_base import MASK_OPTIONS, ClassicalTool, Runner, pixel_of
from labeldesk.core.tools.livewire import LiveWireTool
from labeldesk.core.tools.options import Option

SCRIBBLE_WIDTH = Option(
    "brush_size", "Scribble width", "int", 16, "Scribbles", low=1, high=200, live=True
)


class _StrokeTool(ClassicalTool):
    """Paints object / background scribbles with ``ctx.brush_size``."""

    options = (SCRIBBLE_WIDTH, *MASK_OPTIONS)

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

    def preview(self) -> Preview:
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
    shortcuts = ("W",)
    icon = "mdi6.waves"
    tip = "Watershed: scribble object (left) / background (right)"
    order = 220

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
    shortcuts = ("Shift+G",)
    icon = "mdi6.selection-drag"
    tip = "GrabCut: box or 4 extreme points"
    order = 230

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
            self.drop_result()

    def preview(self) -> Preview:
        pv = super().preview()
        if self._drag is not None:
            pv.rect = self._drag
        elif self.box is not None:
            x0, y0, x1, y1 = self.box
            pv.rect = (min(x0, x1), min(y0, y1), max(x0, x1) + 1, max(y0, y1) + 1)
        if self.points:
            pv.points = np.array(self.points, np.float64) + 0.5
        return pv


__all__ = ["GrabCutTool", "LiveWireTool", "WatershedTool"]
