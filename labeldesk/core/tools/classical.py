"""Classical segmentation tools (Qt-free): threshold, region grow, watershed, GrabCut, live-wire.

Each tool turns pointer/key events into inputs for a :mod:`labeldesk.algorithms` function and
shows its result as a translucent mask preview; Enter accepts it into one object of the active
class (a polygon, or a mask object when it has holes or several parts; one undo step), Esc
drops everything, Backspace drops the last input. Importing this module registers the five
tools in :data:`~labeldesk.core.tools.base.TOOLS` (watershed, GrabCut and live-wire are in
:mod:`.classical_more`, imported at the end of this module):

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
=============  ==============================================================================

Slow work goes through ``runner(job, done)``: the default runs ``job()`` at once and calls
``done(result)``; the UI may pass a runner that calls ``job`` in a worker thread and ``done``
on the GUI thread later (a ``ValueError`` raised by ``job`` must be passed to ``done`` as the
result). Every request has a serial and only the latest result is shown (the latest wins);
Enter while a result is pending accepts it when it arrives. Bad input (an image of the wrong
kind, an empty box...) is shown with ``ctx.message`` and never raised.

Pointer coordinates follow :mod:`~labeldesk.core.tools.base` (pixel ``(i, j)`` covers
``[i, i+1) x [j, j+1)``), so a click picks pixel ``floor(x), floor(y)``; result masks are
``(H, W)`` bool, previews are cropped to their box.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from labeldesk import algorithms as alg
from labeldesk.core.commands import AddShapes
from labeldesk.core.convert import mask_to_shape
from labeldesk.core.shapes import Shape
from labeldesk.core.tools.base import (
    KeyEvent,
    PointerEvent,
    Preview,
    Tool,
    ToolContext,
    register_tool,
)
from labeldesk.core.tools.sam import crop_mask

Runner = Callable[[Callable[[], Any], Callable[[Any], None]], None]
DRAG_PX = 4.0  # screen pixels: a press-release further apart than this is a drag


def run_inline(job: Callable[[], Any], done: Callable[[Any], None]) -> None:
    """The default runner: compute now; a ValueError (bad user input) becomes the result."""
    try:
        result = job()
    except ValueError as exc:
        result = exc
    done(result)


def pixel_of(x: float, y: float) -> tuple[int, int]:
    """The pixel ``(column, row)`` a pointer position falls in."""
    return int(np.floor(x)), int(np.floor(y))


class ClassicalTool(Tool):
    """Shared state: the current result mask, the runner, post-processing and accept.

    Attributes the UI may set: ``fill_holes`` (fill holes before accepting), ``largest_only``
    (keep the largest part), ``min_area`` (drop parts smaller than this, pixels),
    ``tolerance`` (polygon simplification on accept, pixels).
    """

    keys = frozenset({"Enter", "Escape", "Backspace"})

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx)
        self.runner: Runner = runner or run_inline
        self.fill_holes = False
        self.largest_only = False
        self.min_area = 10
        self.tolerance = 1.0
        self.mask: np.ndarray | None = None  # the latest result, (H, W) bool
        self._serial = 0
        self._pending = False
        self._accept_when_ready = False
        self._scale = 1.0
        self._crop: tuple[np.ndarray, tuple[int, int]] | None = None

    # -- inputs ----------------------------------------------------------------------------
    def image(self) -> np.ndarray | None:
        """The image as ``(H, W)`` or ``(H, W, 3)`` (alpha dropped), or None with a message."""
        img = self.ctx.image()
        if img is None:
            self.ctx.message(f"{self.title}: no image is open")
            return None
        if img.ndim == 3 and img.shape[2] == 4:
            img = img[:, :, :3]
        return img

    def has_input(self) -> bool:
        return False

    def busy(self) -> bool:
        return self.has_input() or self.mask is not None or self._pending

    # -- computing ---------------------------------------------------------------------------
    def compute(self, job: Callable[[], np.ndarray | None]) -> None:
        """Run ``job`` through the runner; its mask replaces the preview if still the latest."""
        self._serial += 1
        serial = self._serial
        self._pending = True
        self.notify()
        self.runner(job, lambda result: self._deliver(serial, result))

    def _deliver(self, serial: int, result: Any) -> None:
        if serial != self._serial:
            return  # a newer request is on its way
        self._pending = False
        if isinstance(result, Exception):
            self._accept_when_ready = False
            self.ctx.message(f"{self.title}: {result}")
        else:
            self.mask = None if result is None else np.asarray(result, dtype=bool)
            self._crop = None
            if self._accept_when_ready:
                self.accept()
                return
        self.notify()

    def result(self) -> np.ndarray | None:
        """The mask Enter would accept: the latest result with the clean-up options applied."""
        if self.mask is None:
            return None
        m = self.mask
        if self.fill_holes:
            m = alg.fill_holes(m)
        if self.largest_only:
            m = alg.largest_component(m)
        return m

    # -- finishing ---------------------------------------------------------------------------
    def accept(self) -> Shape | None:
        """Add the result as one object of the active class (one undo step)."""
        if self._pending:
            self._accept_when_ready = True
            return None
        self._accept_when_ready = False
        m = self.result()
        shape = None
        if m is not None:
            shape = mask_to_shape(
                m, self.ctx.active_label(), tolerance=self.tolerance, min_area=self.min_area
            )
        if shape is None:
            self.ctx.message(f"{self.title}: nothing to accept yet")
            return None
        self.doc.execute(AddShapes([shape]))
        self.ctx.selection.set([shape.uid])
        self.cancel()
        return shape

    def cancel(self) -> None:
        self._serial += 1  # results still on their way are dropped
        self._pending = self._accept_when_ready = False
        self.mask, self._crop = None, None
        self.clear_inputs()
        self.notify()

    def clear_inputs(self) -> None:
        """Forget the tool's own inputs (subclasses)."""

    def undo_input(self) -> None:
        """Drop the last input and recompute (subclasses)."""

    def key(self, ev: KeyEvent) -> bool:
        if ev.key == "Enter" and (self.mask is not None or self._pending):
            self.accept()
        elif ev.key == "Escape" and self.busy():
            self.cancel()
        elif ev.key == "Backspace" and self.has_input():
            self.undo_input()
        else:
            return False
        return True

    def preview(self) -> Preview | None:
        pv = Preview(color=self.ctx.color())
        m = self.result()
        if m is not None:
            if self._crop is None:
                self._crop = crop_mask(m)
            crop, origin = self._crop
            if crop.size:
                pv.mask, pv.mask_origin = crop, origin
        return pv


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
    """Region growing: press on the object, drag away to raise the tolerance."""

    name = "region_grow"
    title = "Region grow"

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx, runner)
        self.start_tolerance = 10.0  # image units (uint8 scale; scaled for other dtypes)
        self.units_per_px = 0.5  # tolerance added per screen pixel dragged
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
            seed = pixel_of(*self.ctx.clamp(ev.x, ev.y))
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
        seeds = list(self.seeds)

        def job() -> np.ndarray:
            m = np.zeros(img.shape[:2], bool)
            for seed, tol in seeds:
                m |= alg.region_grow(img, seed, tolerance=tol)
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


# watershed, GrabCut and live-wire live next door; importing them registers them too
from labeldesk.core.tools import classical_more  # noqa: E402, F401
