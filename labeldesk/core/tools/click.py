"""The click tool (Qt-free): segment an object from clicks, without a model.

Driven like the SAM tool: a left click marks the object, a right click (or Shift+click) marks
background, a left drag draws a box the object lies in; every click recomputes the mask with
:func:`labeldesk.algorithms.click_segment` (the previous mask is refined) through the runner,
in a worker thread in the app. Backspace drops the last click or box and shows the mask from
before it again; Enter accepts the mask into one object of the active class (one undo step);
Esc clears. The clean-up and outline options are the other mask tools' (see
:mod:`labeldesk.core.tools.classical_base`).

This module and the algorithm are all a tool needs: the declarations below give it its key,
toolbar button, options and worker lane.
"""

from __future__ import annotations

import numpy as np

from labeldesk import algorithms as alg
from labeldesk.core.tools.base import DRAG_PX, PointerEvent, Preview, ToolContext, register_tool
from labeldesk.core.tools.classical_base import ClassicalTool, Runner

MARK_PX = 6.0  # screen pixels: half-size of the plus / cross drawn on a click

Click = tuple[float, float, bool]  # (x, y, positive)
Box = tuple[float, float, float, float]


@register_tool
class ClickTool(ClassicalTool):
    """Click segmentation: positive / negative clicks in, one object out (see module docs)."""

    name = "click"
    title = "Click segment"
    shortcuts = ("K",)
    icon = "mdi6.cursor-default-click-outline"
    tip = "Click segment (no model): click the object, right-click what is not it"
    order = 110

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx, runner)
        self.clicks: list[Click] = []
        self.box: Box | None = None
        self._order: list[str] = []  # "click" or "box", for Backspace
        self._masks: list[np.ndarray | None] = []  # the mask after each input, for Backspace
        self._press: tuple[float, float, frozenset[str]] | None = None
        self._drag: Box | None = None

    @property
    def hint(self) -> str:
        if not self._order:
            return "Click segment: click the object (right or Shift+click: not this), or drag a box"
        state = "computing…" if self._pending else "Enter accepts"
        return f"Click segment: {state}; click to refine, Backspace undoes a click, Esc clears"

    def has_input(self) -> bool:
        return bool(self._order) or self._drag is not None

    # -- events -----------------------------------------------------------------------------
    def pointer(self, ev: PointerEvent) -> bool:
        self._scale = ev.scale
        if ev.kind in ("press", "double"):
            if ev.button == "right":
                self._add_click(ev.x, ev.y, False)
                return True
            if ev.button == "left":
                self._press = (ev.x, ev.y, ev.modifiers)
                return True
            return False
        if ev.kind == "move" and self._press is not None and ev.button == "left":
            x0, y0, _ = self._press
            if self._drag is not None or np.hypot(ev.x - x0, ev.y - y0) > ev.tolerance(DRAG_PX):
                self._drag = (*self.ctx.clamp(x0, y0), *self.ctx.clamp(ev.x, ev.y))
                self.notify()
            return True
        if ev.kind == "release" and ev.button == "left" and self._press is not None:
            x0, y0, mods = self._press
            self._press = None
            if self._drag is not None:
                bx0, by0, bx1, by1 = self._drag
                self._drag = None
                if abs(bx1 - bx0) >= 1 and abs(by1 - by0) >= 1:
                    self.box = (min(bx0, bx1), min(by0, by1), max(bx0, bx1), max(by0, by1))
                    self._push("box")
                else:
                    self.notify()
            else:
                self._add_click(x0, y0, "shift" not in mods)
            return True
        return False

    def _add_click(self, x: float, y: float, positive: bool) -> None:
        size = self.ctx.image_size()
        if size is not None and not (0 <= x < size[0] and 0 <= y < size[1]):
            self.ctx.message(f"{self.title}: the click ({x:.0f}, {y:.0f}) is outside the image")
            return
        self.clicks.append((float(x), float(y), positive))
        self._push("click")

    def _push(self, what: str) -> None:
        self._masks.append(self.mask)  # the mask before this input
        self._order.append(what)
        self.run()

    # -- computing ---------------------------------------------------------------------------
    def run(self) -> None:
        img = self.image()
        if img is None or not self._order:
            return
        clicks, box, previous = list(self.clicks), self.box, self.mask
        if not any(c[2] for c in clicks) and previous is None and box is None:
            self.ctx.message(f"{self.title}: click on the object first (left click)")
            self.notify()
            return
        ibox = None if box is None else tuple(int(np.floor(v)) for v in box)

        def job() -> np.ndarray:
            return alg.click_segment(img, clicks, box=ibox, previous=previous)

        self.compute(job)

    def clear_inputs(self) -> None:
        self.clicks, self.box, self._order, self._masks = [], None, [], []
        self._press = self._drag = None

    def undo_input(self) -> None:
        """Drop the last click or box; show the mask from before it."""
        if not self._order:
            return
        last = self._order.pop()
        before = self._masks.pop()
        if last == "click":
            self.clicks.pop()
        else:
            self.box = None
        if not self._order:
            self.cancel()
            return
        self.drop_result()  # a result on its way is for the dropped input
        self.mask = before
        if before is None:
            self.run()
        self.notify()

    def preview(self) -> Preview:
        pv = super().preview()
        r = MARK_PX / max(self._scale, 1e-9)
        for x, y, positive in self.clicks:
            if positive:  # a plus in a circle
                pv.polylines += [
                    np.array([[x - r, y], [x + r, y]]),
                    np.array([[x, y - r], [x, y + r]]),
                ]
            else:  # a cross in a circle
                pv.polylines += [
                    np.array([[x - r, y - r], [x + r, y + r]]),
                    np.array([[x - r, y + r], [x + r, y - r]]),
                ]
            pv.circles.append((x, y, r * 1.4))
        pv.rect = self._drag if self._drag is not None else self.box
        return pv
