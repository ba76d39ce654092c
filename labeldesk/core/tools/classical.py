"""Classical segmentation tools (Qt-free): threshold, region grow, watershed, GrabCut, live-wire.

Each tool turns pointer/key events into inputs for a :mod:`labeldesk.algorithms` function and
shows its result as a translucent mask preview; Enter accepts it into one object of the active
class (a polygon, or a mask object when it has holes or several parts; one undo step), Esc
drops everything, Backspace drops the last input. Importing this module registers the five
tools in :data:`~labeldesk.core.tools.base.TOOLS` (threshold and region grow are here,
watershed and GrabCut in :mod:`.classical_more`, live-wire in :mod:`.classical_livewire`, their
shared base :class:`ClassicalTool` in :mod:`.classical_base`; all are importable from here):

=============  ==============================================================================
name           gestures
=============  ==============================================================================
threshold      the UI sets ``method``/``low``/``high``/``channel``/``invert``/... with
               :meth:`ThresholdTool.set_params`; a left drag limits it to a box; a click keeps
               only the part under the click (click outside the mask: keep all again).
region_grow    press on the object and drag away from it: the tolerance grows with the
               distance dragged (``units_per_px`` image units per screen pixel, added to the
               last tolerance); Shift+press adds another region to the result.
watershed      left drag paints object scribbles, right drag (or Shift+left) background ones;
               the flood runs on the scribbles' box grown by half its size.
grabcut        left drag draws the box, or four left clicks place the extreme points; then
               left drags paint object scribbles and right drags (Shift+left) background ones.
live_wire      click anchors along the boundary; the path follows edges to the pointer;
               double-click or Enter closes it back to the first anchor and accepts a polygon.
               Edge maps are built through the runner; clicks and Enter made meanwhile wait
               and are replayed in order when the map arrives.
=============  ==============================================================================

Slow work (the tool's computation, and on Enter the mask-to-object step) goes through
``runner(job, done)``: the default runs ``job()`` at once and calls ``done(result)``; the UI
may pass a runner that calls ``job`` in a worker thread and ``done`` on the GUI thread later
(a ``ValueError`` raised by ``job`` must be passed to ``done`` as the result). Results may
arrive late, out of order, or not at all for a request a newer one superseded before it
started. Every request has a serial: a result newer than the one shown replaces it (so a
fast drag keeps showing progress), an older one is dropped, and the latest request decides
when the tool is no longer pending (latest wins). Enter while a result is pending accepts it
when it arrives; a new request or Esc while the object is being made drops it. Bad input (an
image of the wrong kind, an empty box, a seed outside the image...) is shown with
``ctx.message`` and never raised.

Pointer coordinates follow :mod:`~labeldesk.core.tools.base` (pixel ``(i, j)`` covers
``[i, i+1) x [j, j+1)``), so a click picks pixel ``floor(x), floor(y)``; result masks are
``(H, W)`` bool, previews are cropped to their box.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from labeldesk import algorithms as alg
from labeldesk.core.tools.base import PointerEvent, Preview, ToolContext, register_tool
from labeldesk.core.tools.classical_base import (
    DRAG_PX,
    ClassicalTool,
    Runner,
    pixel_of,
    run_inline,
)

# importing the tools next door registers them too
from labeldesk.core.tools.classical_livewire import LiveWireTool
from labeldesk.core.tools.classical_more import GrabCutTool, WatershedTool

__all__ = [
    "DRAG_PX",
    "ClassicalTool",
    "GrabCutTool",
    "LiveWireTool",
    "RegionGrowTool",
    "Runner",
    "ThresholdTool",
    "WatershedTool",
    "pixel_of",
    "run_inline",
]


@register_tool
class ThresholdTool(ClassicalTool):
    """Threshold the image (see module docs); parameters come from the UI's controls."""

    name = "threshold"
    title = "Threshold"

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx, runner)
        self.params: dict[str, Any] = {"method": "otsu"}
        self.invert = False
        self.box: tuple[int, int, int, int] | None = None  # (x0, y0, x1, y1) inclusive
        self.pick: tuple[int, int] | None = None
        self._press: tuple[float, float] | None = None
        self._drag: tuple[float, float, float, float] | None = None

    @property
    def hint(self) -> str:
        return "Threshold: drag a box to limit it, click a part to keep only it, Enter accepts"

    def set_params(self, *, invert: bool | None = None, **params: Any) -> None:
        """Change ``threshold_mask`` options (method, low, high, block_size, offset, channel)
        or ``invert``, and recompute. Unknown names give a message."""
        if invert is not None:
            self.invert = bool(invert)
        self.params.update(params)
        self.run()

    def has_input(self) -> bool:
        return self.box is not None or self.pick is not None

    def run(self) -> None:
        img = self.image()
        if img is None:
            return
        params, box, pick, invert = dict(self.params), self.box, self.pick, self.invert

        def job() -> np.ndarray:
            roi = None
            if box is not None:
                roi = np.zeros(img.shape[:2], bool)
                roi[box[1] : box[3] + 1, box[0] : box[2] + 1] = True
            try:
                m = alg.threshold_mask(img, roi=roi, **params)
            except TypeError as exc:  # an option threshold_mask does not have
                raise ValueError(str(exc)) from None
            if invert:
                m = ~m if roi is None else roi & ~m
            if pick is not None and m[pick[1], pick[0]]:
                _, comp = cv2.connectedComponents(m.view(np.uint8), connectivity=8)
                m = comp == comp[pick[1], pick[0]]
            return m

        self.compute(job)

    def pointer(self, ev: PointerEvent) -> bool:
        self._scale = ev.scale
        if ev.button != "left":
            return False
        if ev.kind == "press":
            self._press = (ev.x, ev.y)
        elif ev.kind == "move" and self._press is not None:
            x0, y0 = self._press
            if self._drag is not None or np.hypot(ev.x - x0, ev.y - y0) > ev.tolerance(DRAG_PX):
                self._drag = (*self.ctx.clamp(x0, y0), *self.ctx.clamp(ev.x, ev.y))
                self.notify()
        elif ev.kind == "release" and self._press is not None:
            if self._drag is not None:
                (ax, ay), (bx, by) = pixel_of(*self._drag[:2]), pixel_of(*self._drag[2:])
                self.box, self.pick = (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)), None
            else:
                px, py = pixel_of(*self.ctx.clamp(*self._press))
                inside = self.mask is not None and self.mask[py, px]
                self.pick = (px, py) if inside else None
            self._press = self._drag = None
            self.run()
        else:
            return False
        return True

    def clear_inputs(self) -> None:
        self.box = self.pick = None
        self._press = self._drag = None

    def undo_input(self) -> None:
        if self.pick is not None:
            self.pick = None
        else:
            self.box = None
        self.run()

    def preview(self) -> Preview | None:
        pv = super().preview()
        if self._drag is not None:
            pv.rect = self._drag
        elif self.box is not None:
            x0, y0, x1, y1 = self.box
            pv.rect = (x0, y0, x1 + 1, y1 + 1)
        return pv


@register_tool
class RegionGrowTool(ClassicalTool):
    """Region growing: press on the object, drag away to raise the tolerance.

    Attributes the UI may set: ``start_tolerance`` (image units, uint8 scale), ``units_per_px``
    (tolerance added per screen pixel dragged), ``edge_weight`` (passed to
    :func:`~labeldesk.algorithms.region_grow`). A press outside the image gives a message.
    """

    name = "region_grow"
    title = "Region grow"

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx, runner)
        self.start_tolerance = 10.0  # image units (uint8 scale; scaled for other dtypes)
        self.units_per_px = 0.5  # tolerance added per screen pixel dragged
        self.edge_weight = 1.0  # region_grow's edge term (0: plain colour distance)
        self.seeds: list[tuple[tuple[int, int], float]] = []  # (seed, tolerance), united
        self._press: tuple[float, float] | None = None
        self._base_tol = 0.0

    @property
    def hint(self) -> str:
        if not self.seeds:
            return "Region grow: press on the object and drag away to grow it"
        tol = self.seeds[-1][1]
        return f"Region grow: tolerance {tol:.4g}; Shift+press adds a region, Enter accepts"

    def has_input(self) -> bool:
        return bool(self.seeds)

    def _unit(self, img: np.ndarray) -> float:
        """Image units per uint8 level: 1 for uint8, 257 for uint16, the range/255 for float."""
        if img.dtype == np.uint8:
            return 1.0
        if img.dtype == np.uint16:
            return 257.0
        return (
            max(
                float(np.ptp(img[:: max(1, img.shape[0] // 256), :: max(1, img.shape[1] // 256)])),
                1e-12,
            )
            / 255
        )

    def pointer(self, ev: PointerEvent) -> bool:
        self._scale = ev.scale
        if ev.button != "left":
            return False
        if ev.kind == "press":
            img = self.image()
            if img is None:
                return True
            seed = pixel_of(ev.x, ev.y)
            if not (0 <= seed[0] < img.shape[1] and 0 <= seed[1] < img.shape[0]):
                self.ctx.message(
                    f"{self.title}: the seed ({ev.x:.0f}, {ev.y:.0f}) is outside the image; "
                    "press on the object"
                )
                self._press = None
                return True
            tol = self.seeds[-1][1] if self.seeds else self.start_tolerance * self._unit(img)
            if "shift" not in ev.modifiers:
                self.seeds = []
            self.seeds.append((seed, tol))
            self._press = (ev.x, ev.y)
            self._base_tol = tol
            self.run()
        elif ev.kind == "move" and self._press is not None:
            img = self.image()
            if img is None:
                return True
            dist = float(np.hypot(ev.x - self._press[0], ev.y - self._press[1])) * ev.scale
            tol = self._base_tol + dist * self.units_per_px * self._unit(img)
            self.seeds[-1] = (self.seeds[-1][0], tol)
            self.run()
        elif ev.kind == "release" and self._press is not None:
            self._press = None
        else:
            return False
        return True

    def run(self) -> None:
        img = self.image()
        if img is None or not self.seeds:
            return
        seeds, edge_weight = list(self.seeds), self.edge_weight

        def job() -> np.ndarray:
            m = np.zeros(img.shape[:2], bool)
            for seed, tol in seeds:
                m |= alg.region_grow(img, seed, tolerance=tol, edge_weight=edge_weight)
            return m

        self.compute(job)

    def clear_inputs(self) -> None:
        self.seeds, self._press = [], None

    def undo_input(self) -> None:
        self.seeds.pop()
        if self.seeds:
            self.run()
        else:
            self.cancel()

    def preview(self) -> Preview | None:
        pv = super().preview()
        if self.seeds:
            pv.points = np.array([[x + 0.5, y + 0.5] for (x, y), _ in self.seeds], np.float64)
        return pv
