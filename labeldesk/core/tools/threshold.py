"""The threshold tool (Qt-free): a live threshold of the image, limited by a box or a click.

The options (method, range, adaptive block and offset, channel, invert) are declared in
:attr:`ThresholdTool.options` and come from the options dock; a left drag limits the
threshold to a box, a click keeps only the part under the click (a click outside the mask
keeps all again). See :mod:`labeldesk.core.tools.classical` for how results flow.

A 16-bit image (or a CT's int16, or floats spanning 255 units or more) is thresholded on its
own values (``ToolContext.measured``, what the pixel readout shows), not on the 8-bit
display: the range option then spans the image's values (:meth:`ThresholdTool.option_bounds`)
and the histogram is drawn over that span.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import cv2
import numpy as np

from labeldesk import algorithms as alg
from labeldesk.core.tools.base import (
    DRAG_PX,
    HistogramJob,
    PointerEvent,
    Preview,
    ToolContext,
    register_tool,
)
from labeldesk.core.tools.classical_base import MASK_OPTIONS, ClassicalTool, Runner, pixel_of
from labeldesk.core.tools.options import Option

_G = "Threshold"
_ADAPTIVE = ("method", ("adaptive",))
THRESHOLD_OPTIONS = (
    Option("method", "Method", "choice", "otsu", _G, choices=(
        ("Otsu (automatic)", "otsu"), ("Manual range", "manual"), ("Adaptive", "adaptive"))),
    Option("range", "Range", "range", (0, 255), _G, high=255,
           enabled_if=("method", ("manual",))),
    Option("block_size", "Block size", "int", 1, _G, low=1, high=1001, step=2, special="auto",
           visible_if=_ADAPTIVE),
    Option("offset", "Offset", "float", 0.0, _G, low=-100, high=100, decimals=1,
           visible_if=_ADAPTIVE),
    Option("channel", "Channel", "choice", None, _G, choices=(
        ("Luminance", None), ("Red", 0), ("Green", 1), ("Blue", 2)), colour_only=(0, 1, 2)),
    Option("invert", "Invert (keep the other side)", "bool", False, _G),
)  # fmt: skip


def measured_values(raw: np.ndarray) -> np.ndarray | None:
    """The values a threshold runs on for measured pixels deeper than 8 bits, or None when
    the 8-bit display serves as well: uint16 as it is; other integers (a CT's int16 HU) as
    float32, exact; floats when they span at least 255 units (whole-number steps on the range
    slider are then as fine as the display's 256 levels). Alpha is dropped."""
    if raw.ndim == 3 and raw.shape[2] == 4:
        raw = raw[:, :, :3]
    if not (raw.ndim == 2 or (raw.ndim == 3 and raw.shape[2] in (1, 3))) or raw.size == 0:
        return None
    if raw.dtype == np.uint16:
        return raw
    if raw.dtype.kind in "iu" and raw.dtype != np.uint8:
        return raw.astype(np.float32)
    if raw.dtype.kind == "f":
        finite = np.isfinite(raw)
        if not finite.all():
            return None
        values = raw.astype(np.float32, copy=False)
        return values if float(values.max()) - float(values.min()) >= 255 else None
    return None


@register_tool
class ThresholdTool(ClassicalTool):
    """Threshold the image (see module docs); parameters come from the UI's controls."""

    name = "threshold"
    title = "Threshold"
    shortcuts = ("T",)
    icon = "mdi6.circle-half-full"
    tip = "Threshold: live preview, options in the dock"
    order = 200
    options = (*THRESHOLD_OPTIONS, *MASK_OPTIONS)

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx, runner)
        self.params: dict[str, Any] = {"method": "otsu"}
        self.invert = False
        self.box: tuple[int, int, int, int] | None = None  # (x0, y0, x1, y1) inclusive
        self.pick: tuple[int, int] | None = None
        self._press: tuple[float, float] | None = None
        self._drag: tuple[float, float, float, float] | None = None
        # (measured pixels, the values thresholded or None, their (min, max)), for one image
        self._values: tuple[np.ndarray, np.ndarray | None, tuple[int, int] | None] | None = None

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

    def image(self) -> np.ndarray | None:
        """The values thresholded: the measured pixels of a deeper-than-8-bit image (see
        :func:`measured_values`), else the display image."""
        raw = self.ctx.measured()
        if raw is None or raw.dtype == np.uint8:
            return super().image()
        if self._values is None or self._values[0] is not raw:
            values = measured_values(raw)
            bounds = None
            if values is not None:
                lo, hi = int(np.floor(values.min())), int(np.ceil(values.max()))
                bounds = (lo, max(hi, lo + 1))
            self._values = (raw, values, bounds)
        return self._values[1] if self._values[1] is not None else super().image()

    def option_bounds(self, name: str) -> tuple[int, int] | None:
        """``"range"`` spans a deeper image's values ``(min, max)``; 8-bit: None (0..255)."""
        if name != "range" or self.image() is None or self._values is None:
            return None
        raw, _values, bounds = self._values
        return bounds if raw is self.ctx.measured() else None

    # -- options (the dock's values live in ``params``) ---------------------------------------
    def option(self, name: str) -> Any:
        p = self.params
        if name == "range":
            return (p.get("low", 0), p.get("high", 255))
        if name == "block_size":
            return p.get("block_size") or 1
        if name in ("method", "offset", "channel"):
            return p.get(name, {"method": "otsu", "offset": 0.0, "channel": None}[name])
        return super().option(name)

    def set_options(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name == "range":
                self.params["low"], self.params["high"] = value
            elif name == "block_size":
                self.params["block_size"] = None if value < 3 else int(value)
            elif name in ("method", "offset", "channel"):
                self.params[name] = value
            else:
                setattr(self, name, value)
        self.options_changed(values)

    def options_changed(self, names: Iterable[str]) -> None:
        rerun = {o.name for o in self.options if not o.on_accept}
        if rerun.intersection(names):
            self.run()  # a threshold previews without any input

    def histogram_request(self, image: np.ndarray) -> tuple[object, HistogramJob] | None:
        """The histogram of the plane thresholded (within the box), and Otsu's threshold:
        256 bins over ``option_bounds("range")`` (a 16-bit image) or one per 8-bit value."""
        channel, box = self.params.get("channel"), self.box
        values = self.image()
        if values is not None and values.shape[:2] == image.shape[:2]:
            image = values
        bounds = self.option_bounds("range") or (0, 255)

        def job() -> tuple[np.ndarray, float | None, str]:
            sub = image[..., :3] if image.ndim == 3 else image
            if box is not None:
                sub = sub[box[1] : box[3] + 1, box[0] : box[2] + 1]
            if channel is not None:
                plane = sub[..., channel]
            else:
                plane = cv2.cvtColor(sub, cv2.COLOR_RGB2GRAY) if sub.ndim == 3 else sub
            lo, hi = bounds
            counts = cv2.calcHist([np.ascontiguousarray(plane)], [0], None, [256], [lo, hi + 1])
            otsu = alg.otsu_threshold(sub, channel=channel)
            return counts.ravel(), otsu, f"Otsu's threshold: {otsu:.0f}"

        return (id(image), channel, box), job

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

    def preview(self) -> Preview:
        pv = super().preview()
        if self._drag is not None:
            pv.rect = self._drag
        elif self.box is not None:
            x0, y0, x1, y1 = self.box
            pv.rect = (x0, y0, x1 + 1, y1 + 1)
        return pv
