"""The SAM prompt tool (Qt-free): points and a box in, a mask preview out.

:class:`SamTool` ("sam" in :data:`TOOLS`): left click adds a positive point, right click or
Shift+click a negative one, a left drag draws a box. Every change sends a
:class:`~labeldesk.core.prompts.SamPrompt` to a *predict* callback the UI provides
(``SamTool(ctx, predict=...)``, or :attr:`ToolContext.sam_predict` set by the assist
controller); the callback answers later, from any
event-loop turn, by calling ``reply(SamResult | str)`` (a string is an error message). The
previous low-resolution mask is fed back with each new prompt (as CVAT does); Backspace
drops the last prompt and shows its predecessor's mask again; Enter accepts the mask into
one object of the active class with :func:`~labeldesk.core.convert.shape_from_crop` (one
undo step); Esc clears.

Reviewing auto-segment proposals is :mod:`labeldesk.core.tools.review`; the prompt and result
types are in :mod:`labeldesk.core.prompts` and the crop helpers in :mod:`labeldesk.core.convert`
(both re-exported here).

Coordinates: points ``(x, y)`` float image pixels; masks ``(h, w)`` bool indexed ``[y, x]``
cropped to their box, placed at ``origin`` ``(x0, y0)``.
"""

from __future__ import annotations

import itertools

import numpy as np

from labeldesk.core.commands import AddShapes
from labeldesk.core.convert import crop_mask, paste_crop, shape_from_crop
from labeldesk.core.prompts import PredictFn, Reply, SamPrompt, SamResult
from labeldesk.core.shapes import Shape
from labeldesk.core.tools.base import (
    DRAG_PX,
    KeyEvent,
    PointerEvent,
    Preview,
    Tool,
    ToolContext,
    register_tool,
)

__all__ = [
    "PredictFn",
    "Reply",
    "SamPrompt",
    "SamResult",
    "SamTool",
    "crop_mask",
    "paste_crop",
    "shape_from_crop",
]

MARK_PX = 6.0  # screen pixels: half-size of the plus / cross drawn on a prompt point
_serials = itertools.count(1)


@register_tool
class SamTool(Tool):
    """Segment Anything prompts: points and a box in, a mask preview out (see module docs)."""

    name = "sam"
    title = "SAM (Segment Anything)"
    shortcuts = ("S",)
    icon = "mdi6.auto-fix"
    order = 100
    tip = "SAM: click the object, right-click what is not it"
    keys = frozenset({"Enter", "Escape", "Backspace"})
    cursor = "cross"

    def __init__(self, ctx: ToolContext, predict: PredictFn | None = None) -> None:
        super().__init__(ctx)
        self.predict_fn = predict
        self.hover_preview = False  # the UI turns it on when a prediction is fast enough
        self._actions: list[tuple] = []  # ("point", x, y, label) or ("box", x0, y0, x1, y1)
        self._results: list[SamResult | None] = []  # the mask after each action
        self._pending: dict[int, int] = {}  # serial -> action index
        self._hover: SamResult | None = None
        self._hover_serial = 0
        self._press: tuple[float, float, frozenset[str]] | None = None
        self._drag: tuple[float, float, float, float] | None = None
        self._accept_when_ready = False
        self._scale = 1.0

    # -- state ------------------------------------------------------------------------------
    def _predictor(self) -> PredictFn | None:
        return self.predict_fn or self.ctx.sam_predict

    def busy(self) -> bool:
        return bool(self._actions) or self._drag is not None

    @property
    def hint(self) -> str:
        if self._predictor() is None:
            return "SAM: load a model first (Tools ▸ Model Manager…)"
        if not self._actions:
            return "SAM: click the object (right or Shift+click: not this), or drag a box"
        state = "waiting for the model…" if self._pending else "Enter accepts"
        return f"SAM: {state}; click to refine, Backspace undoes a prompt, Esc clears"

    @property
    def result(self) -> SamResult | None:
        """The mask for the current prompts (None while it is being computed)."""
        return self._results[-1] if self._results else None

    def prompt(self, *, hover: tuple[float, float] | None = None) -> SamPrompt | None:
        """The prompt for the current actions (plus a positive ``hover`` point), or None."""
        pts = [(a[1], a[2]) for a in self._actions if a[0] == "point"]
        lbl = [a[3] for a in self._actions if a[0] == "point"]
        if hover is not None:
            pts.append(hover)
            lbl.append(1)
        boxes = [a[1:] for a in self._actions if a[0] == "box"]
        box = tuple(float(v) for v in boxes[-1]) if boxes else None
        if not pts and box is None:
            return None
        n = len(self._actions) - (0 if hover is not None else 1)
        prev = self._results[n - 1] if 0 < n <= len(self._results) else None
        last_is_box = hover is None and self._actions and self._actions[-1][0] == "box"
        mask_input = prev.low_res if prev is not None and not last_is_box else None
        multimask = len(pts) == 1 and box is None and mask_input is None
        return SamPrompt(
            next(_serials),
            np.array(pts, dtype=np.float64).reshape(-1, 2),
            np.array(lbl, dtype=np.int64),
            box,  # type: ignore[arg-type]
            mask_input,
            multimask,
            hover is not None,
        )

    # -- events -----------------------------------------------------------------------------
    def pointer(self, ev: PointerEvent) -> bool:
        self._scale = ev.scale
        if ev.kind in ("press", "double"):
            if ev.button == "right":
                self._add(("point", *self.ctx.clamp(ev.x, ev.y), 0))
                return True
            if ev.button == "left":
                self._press = (ev.x, ev.y, ev.modifiers)
                return True
            return False
        if ev.kind == "move":
            if self._press is not None and ev.button == "left":
                x0, y0, _ = self._press
                if self._drag is not None or np.hypot(ev.x - x0, ev.y - y0) > ev.tolerance(DRAG_PX):
                    self._drag = (*self.ctx.clamp(x0, y0), *self.ctx.clamp(ev.x, ev.y))
                    self.notify()
                return True
            if ev.button == "" and self.hover_preview:
                self._request_hover(ev.x, ev.y)
            return False
        if ev.kind == "release" and ev.button == "left" and self._press is not None:
            x0, y0, mods = self._press
            self._press = None
            if self._drag is not None:
                bx0, by0, bx1, by1 = self._drag
                self._drag = None
                if abs(bx1 - bx0) >= 1 and abs(by1 - by0) >= 1:
                    box = (min(bx0, bx1), min(by0, by1), max(bx0, bx1), max(by0, by1))
                    self._add(("box", *box))
                else:
                    self.notify()
            else:
                label = 0 if "shift" in mods else 1
                self._add(("point", *self.ctx.clamp(x0, y0), label))
            return True
        return False

    def key(self, ev: KeyEvent) -> bool:
        if ev.key == "Enter" and self._actions:
            self.accept()
        elif ev.key == "Backspace" and self._actions:
            self.undo_prompt()
        elif ev.key == "Escape" and self.busy():
            self.cancel()
        else:
            return False
        return True

    # -- requests and replies ---------------------------------------------------------------
    def _add(self, action: tuple) -> None:
        self._actions.append(action)
        self._results.append(None)
        self._hover = None
        self._request()

    def _request(self) -> None:
        prompt = self.prompt()
        predict = self._predictor()
        if prompt is None or predict is None:
            if predict is None:
                self.ctx.message("SAM: no model is loaded (Tools ▸ Model Manager…)")
            self.notify()
            return
        self._pending = {prompt.serial: len(self._actions) - 1}
        self.notify()
        predict(prompt, self._reply_for(prompt.serial))

    def _request_hover(self, x: float, y: float) -> None:
        predict = self._predictor()
        if predict is None or self._pending or self.ctx.image_size() is None:
            return
        w, h = self.ctx.image_size()  # type: ignore[misc]
        if not (0 <= x < w and 0 <= y < h):
            return
        prompt = self.prompt(hover=(x, y))
        if prompt is None:
            return
        self._hover_serial = prompt.serial
        predict(prompt, self._reply_for(prompt.serial))

    def _reply_for(self, serial: int) -> Reply:
        return lambda answer: self.deliver(serial, answer)

    def deliver(self, serial: int, answer: SamResult | str) -> None:
        """Take the model's answer to prompt ``serial`` (stale answers are ignored)."""
        if isinstance(answer, str):
            if self._pending.pop(serial, None) is not None:
                self._accept_when_ready = False
                self.ctx.message(answer)
                self.notify()
            return
        if serial == self._hover_serial and serial not in self._pending:
            if not self._pending:
                self._hover = answer
                self.notify()
            return
        index = self._pending.pop(serial, None)
        if index is None or index >= len(self._results):
            return
        self._results[index] = answer
        if self._accept_when_ready and index == len(self._results) - 1:
            self.accept()
            return
        self.notify()

    # -- finishing ---------------------------------------------------------------------------
    def accept(self) -> Shape | None:
        """Add the current mask as one object of the active class (one undo step)."""
        if self._pending:
            self._accept_when_ready = True
            self.ctx.message("SAM: accepting when the mask is ready…")
            return None
        self._accept_when_ready = False
        res = self.result
        if res is None:
            self.ctx.message("SAM: no mask to accept yet")
            return None
        shape = shape_from_crop(res.mask, res.origin, self.ctx.active_label())
        if shape is None:
            self.ctx.message("SAM: the mask is empty or too small to keep; add points")
            return None
        self.doc.execute(AddShapes([shape]))
        self.ctx.selection.set([shape.uid])
        self.cancel()
        return shape

    def undo_prompt(self) -> None:
        """Drop the last point or box; show the mask of the prompts before it."""
        if not self._actions:
            return
        self._actions.pop()
        self._results.pop()
        self._pending.clear()
        self._hover = None
        self._accept_when_ready = False
        if self._actions and self._results[-1] is None:
            self._request()
        else:
            self.notify()

    def cancel(self) -> None:
        if self._actions or self._drag is not None or self._hover is not None or self._pending:
            self._actions, self._results = [], []
            self._pending.clear()
            self._hover = None
            self._drag = self._press = None
            self._accept_when_ready = False
            self.notify()

    def preview(self) -> Preview | None:
        res = self.result
        if self._hover is not None and not self._pending:
            res = self._hover
        if not self._actions and self._drag is None and res is None:
            return None
        pv = Preview(color=self.ctx.color())
        if res is not None and not res.empty:
            pv.mask, pv.mask_origin = res.mask, res.origin
        r = MARK_PX / max(self._scale, 1e-9)
        for a in self._actions:
            if a[0] != "point":
                continue
            x, y = a[1], a[2]
            if a[3] == 1:  # positive: a plus in a circle
                pv.polylines += [
                    np.array([[x - r, y], [x + r, y]]),
                    np.array([[x, y - r], [x, y + r]]),
                ]
            else:  # negative: a cross in a circle
                pv.polylines += [
                    np.array([[x - r, y - r], [x + r, y + r]]),
                    np.array([[x - r, y + r], [x + r, y - r]]),
                ]
            pv.circles.append((x, y, r * 1.4))
        boxes = [a[1:] for a in self._actions if a[0] == "box"]
        pv.rect = self._drag if self._drag is not None else (tuple(boxes[-1]) if boxes else None)  # type: ignore[assignment]
        return pv
