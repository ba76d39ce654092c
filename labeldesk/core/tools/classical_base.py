"""The base of the classical segmentation tools (Qt-free): runner, result, accept.

See :mod:`labeldesk.core.tools.classical` for the tools and how results flow through a runner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import numpy as np

from labeldesk import algorithms as alg
from labeldesk.core.commands import AddShapes
from labeldesk.core.convert import crop_mask, mask_to_shape
from labeldesk.core.shapes import Shape
from labeldesk.core.tools.base import DRAG_PX, KeyEvent, Preview, RunnerKind, Tool, ToolContext
from labeldesk.core.tools.options import Option

__all__ = [
    "DRAG_PX",
    "MASK_OPTIONS",
    "SIMPLIFY",
    "ClassicalTool",
    "Runner",
    "pixel_of",
    "run_inline",
]

Runner = Callable[[Callable[[], Any], Callable[[Any], None]], None]

# the options every mask tool shows (shared widgets: a value carries over between tools)
FILL_HOLES = Option("fill_holes", "Fill holes", "bool", False, "Clean-up", in_runner=True)
LARGEST_ONLY = Option(
    "largest_only", "Largest part only", "bool", False, "Clean-up", in_runner=True
)
MIN_AREA = Option(
    "min_area", "Min area (px)", "int", 10, "Clean-up", high=1_000_000, step=10, on_accept=True
)
SIMPLIFY = Option(
    "tolerance", "Simplify (px)", "float", 1.0, "Outline", high=20, step=0.25, decimals=2,
    on_accept=True,
)  # fmt: skip
MASK_OPTIONS = (FILL_HOLES, LARGEST_ONLY, MIN_AREA, SIMPLIFY)


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
    ``tolerance`` (polygon simplification on accept, pixels), ``runner`` (see
    :mod:`labeldesk.core.tools.classical`).
    """

    keys = frozenset({"Enter", "Escape", "Backspace"})
    options: ClassVar[tuple[Option, ...]] = MASK_OPTIONS
    runner_kind: ClassVar[RunnerKind | None] = "mask"

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx)
        self.runner: Runner = runner or run_inline
        self.fill_holes = False
        self.largest_only = False
        self.min_area = 10
        self.tolerance = 1.0
        self.mask: np.ndarray | None = None  # the newest result so far, (H, W) bool
        self._serial = 0  # the latest request
        self._shown = 0  # the request whose result is shown; older results are dropped
        self._pending = False  # the latest request's result has not arrived yet
        self._accept_when_ready = False
        self._converting: int | None = None  # the serial whose mask is being made an object
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

    def run(self) -> None:
        """Compute the result for the current inputs (subclasses)."""

    def can_accept(self) -> bool:
        return self.mask is not None or self._pending or self._converting == self._serial

    def options_changed(self, names: Iterable[str]) -> None:
        """An option that shapes the preview changed: recompute a result that is shown."""
        rerun = {o.name for o in self.options if not o.on_accept}
        if rerun.intersection(names) and self.mask is not None:
            self.run()

    def busy(self) -> bool:
        return (
            self.has_input()
            or self.mask is not None
            or self._pending
            or self._converting == self._serial
        )

    # -- computing ---------------------------------------------------------------------------
    def compute(self, job: Callable[[], np.ndarray | None]) -> None:
        """Run ``job`` through the runner; its mask replaces the preview unless a newer one is
        shown already."""
        self._serial += 1
        serial = self._serial
        self._pending = True
        self.notify()
        self.runner(job, lambda result: self._deliver(serial, result))

    def _deliver(self, serial: int, result: Any) -> None:
        if serial <= self._shown:
            return  # older than the result shown, or cancelled since
        latest = serial == self._serial
        if isinstance(result, Exception):
            if not latest:
                return  # the newer request on its way will tell
            self._accept_when_ready = False
            self.ctx.message(f"{self.title}: {result}")
        else:
            self.mask = None if result is None else np.asarray(result, dtype=bool)
            self._crop = None
        self._shown = serial
        if latest:
            self._pending = False
            if self._accept_when_ready and not isinstance(result, Exception):
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
        """Add the result as one object of the active class (one undo step).

        The mask becomes an object through the runner (:func:`mask_to_shape` may take a while
        on a busy mask); returns the shape when it was added before this returns (the inline
        runner), else None (a pending result, or an object still being made).
        """
        if self._pending:
            self._accept_when_ready = True
            return None
        self._accept_when_ready = False
        if self._converting == self._serial:
            return None  # on its way
        m = self.result()
        if m is None:
            self.ctx.message(f"{self.title}: nothing to accept yet")
            return None
        serial, label = self._serial, self.ctx.active_label()
        tolerance, min_area = self.tolerance, self.min_area
        added: list[Shape] = []

        def job() -> Shape | None:
            return mask_to_shape(m, label, tolerance=tolerance, min_area=min_area)

        def done(shape: Any) -> None:
            if serial != self._serial or self._converting != serial:
                return  # cancelled, or a newer result came meanwhile
            self._converting = None
            if not isinstance(shape, Shape):
                self.ctx.message(f"{self.title}: {shape or 'nothing to accept yet'}")
                self.notify()
                return
            self.doc.execute(AddShapes([shape]))
            self.ctx.selection.set([shape.uid])
            self.cancel()
            added.append(shape)

        self._converting = serial
        self.notify()
        self.runner(job, done)
        return added[0] if added else None

    def cancel(self) -> None:
        self._converting = None
        self.clear_inputs()
        self.drop_result()  # results still on their way are dropped

    def drop_result(self) -> None:
        """Forget the result shown and any on its way (the inputs stay)."""
        self._serial += 1
        self._shown = self._serial
        self._pending = self._accept_when_ready = False
        self.mask, self._crop = None, None
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

    def preview(self) -> Preview:
        pv = Preview(color=self.ctx.color())
        m = self.result()
        if m is not None:
            if self._crop is None:
                self._crop = crop_mask(m)
            crop, origin = self._crop
            if crop.size:
                pv.mask, pv.mask_origin = crop, origin
        return pv
