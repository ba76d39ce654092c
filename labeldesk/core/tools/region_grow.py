"""The region-growing tool (Qt-free): press on the object, drag away to grow it.

The tolerance grows with the distance dragged (``units_per_px`` image units per screen pixel,
added to the last tolerance); Shift+press adds another region to the result. See
:mod:`labeldesk.core.tools.classical` for how results flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from labeldesk import algorithms as alg
from labeldesk.core.tools.base import PointerEvent, Preview, ToolContext, register_tool
from labeldesk.core.tools.classical_base import MASK_OPTIONS, ClassicalTool, Runner, pixel_of
from labeldesk.core.tools.options import Option

REGION_OPTIONS = (
    Option("start_tolerance", "Tolerance", "float", 10.0, "Region grow", high=441, decimals=1,
           live=True),
    Option("edge_weight", "Edge weight", "float", 1.0, "Region grow", high=10, step=0.1,
           decimals=2, live=True),
)  # fmt: skip


@register_tool
class RegionGrowTool(ClassicalTool):
    """Region growing: press on the object, drag away to raise the tolerance.

    Attributes the UI may set: ``start_tolerance`` (image units, uint8 scale), ``units_per_px``
    (tolerance added per screen pixel dragged), ``edge_weight`` (passed to
    :func:`~labeldesk.algorithms.region_grow`). A press outside the image gives a message.
    """

    name = "region_grow"
    title = "Region grow"
    shortcuts = ("Shift+R",)
    icon = "mdi6.format-color-fill"
    tip = "Region grow: press, drag to grow"
    order = 210
    options = (*REGION_OPTIONS, *MASK_OPTIONS)

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

    def option(self, name: str) -> Any:
        if name == "start_tolerance" and self.seeds:
            return self.seeds[-1][1]  # the tolerance set by dragging
        return super().option(name)

    def options_changed(self, names: Iterable[str]) -> None:
        names = set(names)
        if self.seeds and "start_tolerance" in names:
            self.seeds[-1] = (self.seeds[-1][0], self.start_tolerance)
        if self.seeds and names & {"start_tolerance", "edge_weight"}:
            self.run()
        else:
            super().options_changed(names)

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

    def preview(self) -> Preview:
        pv = super().preview()
        if self.seeds:
            pv.points = np.array([[x + 0.5, y + 0.5] for (x, y), _ in self.seeds], np.float64)
        return pv
