"""Live-wire (intelligent scissors), Qt-free: click anchors, the path snaps to edges.

Each anchor needs an edge map (:class:`~labeldesk.algorithms.LiveWireMap`, 0.5-4 s on a
large window of a 12 MP image), built through ``runner(job, done)`` as the other classical
tools compute (see :mod:`.classical`): with the default inline runner the map is there when
the call returns; with a worker-thread runner the pointer shows a straight rubber band until
it arrives, and clicks, a double-click and Enter made meanwhile wait and are replayed in
order, so no input is lost and the caller's thread never builds a map. A map that arrives
after a newer request was made is still used while its anchor is the last one (a click inside
its window need not wait for the newer, larger map), unless a newer map of that anchor is in.

Anchors and paths are pixel indices ``(x, y)``; the preview draws pixel centres.
"""

from __future__ import annotations

from typing import Any

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
from labeldesk.core.tools.classical_base import SIMPLIFY, Runner, pixel_of, run_inline

Anchor = tuple[int, int]
Window = tuple[int, int, int, int]  # (x0, y0, x1, y1), ends exclusive
ACCEPT = "accept"  # a waiting Enter / double-click close, in :attr:`LiveWireTool._waiting`


@register_tool
class LiveWireTool(Tool):
    """Intelligent scissors: click anchors, the path snaps to edges; accepts a polygon.

    Attributes the UI may set: ``runner`` (builds edge maps), ``tolerance`` (polygon
    simplification on accept, pixels).
    """

    name = "live_wire"
    title = "Live wire"
    keys = frozenset({"Enter", "Escape", "Backspace"})
    shortcuts = ("I",)
    icon = "mdi6.scissors-cutting"
    tip = "Live wire: click along the boundary"
    order = 240
    options = (SIMPLIFY,)
    runner_kind = "plain"

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx)
        self.runner: Runner = runner or run_inline
        self.anchors: list[Anchor] = []
        self.legs: list[np.ndarray] = []  # path from anchor i to anchor i + 1, (N, 2) pixels
        self.tolerance = 1.0
        self._tail: np.ndarray | None = None  # path from the last anchor to the pointer
        self._maps: dict[Anchor, tuple[int, alg.LiveWireMap]] = {}  # anchor -> (serial, map)
        self._asked: tuple[Anchor, Window] | None = None  # the map on its way
        self._waiting: list[PointerEvent | str] = []  # clicks and ACCEPT, in order
        self._hover: tuple[float, float] | None = None
        self._serial = 0
        self._draining = False

    @property
    def hint(self) -> str:
        if not self.anchors:
            return "Live wire: click on the object's boundary to start"
        return "Live wire: click to fix the path, double-click or Enter closes it, Backspace undoes"

    def busy(self) -> bool:
        return bool(self.anchors) or bool(self._waiting)

    def can_accept(self) -> bool:
        return bool(self.anchors)

    # -- edge maps ---------------------------------------------------------------------------
    def _ready(self, x: int, y: int) -> alg.LiveWireMap | None:
        """The map of the last anchor when it reaches pixel ``(x, y)``."""
        entry = self._maps.get(self.anchors[-1]) if self.anchors else None
        return entry[1] if entry is not None and entry[1].contains((x, y)) else None

    def _request(self, x: int, y: int) -> None:
        """Ask for the map from the last anchor that reaches pixel ``(x, y)`` (latest wins)."""
        img = self.ctx.image()
        if img is None or not self.anchors:
            return
        img = img[..., :3] if img.ndim == 3 else img
        (ax, ay), (h, w) = self.anchors[-1], img.shape[:2]
        r = int(min(2000, max(200, 1.5 * np.hypot(x - ax, y - ay))))
        win = (max(0, ax - r), max(0, ay - r), min(w, ax + r + 1), min(h, ay + r + 1))
        if self._asked is not None and self._asked[0] == (ax, ay):
            x0, y0, x1, y1 = self._asked[1]
            if x0 <= x < x1 and y0 <= y < y1:
                return  # on its way (or failed there: not asked again until the pointer leaves)
        self._serial += 1
        serial, anchor, self._asked = self._serial, (ax, ay), ((ax, ay), win)

        def job() -> alg.LiveWireMap:
            return alg.LiveWireMap(img, anchor, window=win)

        self.runner(job, lambda result: self._arrived(serial, anchor, result))

    def _arrived(self, serial: int, anchor: Anchor, result: Any) -> None:
        latest = serial == self._serial
        if isinstance(result, Exception):
            if latest:  # an older request's error: the newer one will tell
                self._waiting.clear()
                self.ctx.message(f"{self.title}: {result}")
                self.notify()
            return
        if not self.anchors or anchor != self.anchors[-1]:
            return  # cancelled, or that anchor was taken back
        if anchor in self._maps and self._maps[anchor][0] > serial:
            return  # a newer map of this anchor is in
        if latest:
            self._asked = None
        self._maps = {a: m for a, m in self._maps.items() if a in self.anchors[-3:]}
        self._maps[anchor] = (serial, result)
        self._drain()
        if self._hover is not None and not self._waiting and self.anchors:
            self._tail = self.path_to(*pixel_of(*self.ctx.clamp(*self._hover)))
        self.notify()

    def _drain(self) -> None:
        """Replay waiting clicks / accept while the maps they need are ready."""
        if self._draining:
            return  # the loop below goes on
        self._draining = True
        try:
            while self._waiting:
                item = self._waiting[0]
                if isinstance(item, str):  # ACCEPT: needs the leg back to the first anchor
                    target, needed = self.anchors[0], len(self.anchors) >= 2
                else:
                    target = pixel_of(*self.ctx.clamp(item.x, item.y))
                    needed = bool(self.anchors) and target != self.anchors[-1]
                if needed and self._ready(*target) is None:
                    self._request(*target)  # an inline runner has built it on return
                    if self._ready(*target) is None:
                        return  # _arrived drains again
                self._waiting.pop(0)
                if isinstance(item, str):
                    self._close()
                else:
                    self._click(item)
        finally:
            self._draining = False

    def path_to(self, x: int, y: int) -> np.ndarray | None:
        """The snapped path ``(N, 2)`` from the last anchor to pixel ``(x, y)``, or None while
        its map is not ready (it is requested)."""
        if not self.anchors:
            return None
        if self._ready(x, y) is None:
            self._request(x, y)
        m = self._ready(x, y)
        return None if m is None else m.path_to((x, y))

    # -- events ------------------------------------------------------------------------------
    def pointer(self, ev: PointerEvent) -> bool:
        if ev.kind == "move":
            self._hover = (ev.x, ev.y)
            if not self._waiting:
                x, y = pixel_of(*self.ctx.clamp(ev.x, ev.y))
                self._tail = self.path_to(x, y) if self.anchors else None
            self.notify()
            return bool(self.anchors)
        if ev.button != "left" or ev.kind not in ("press", "double"):
            return ev.kind == "release" and bool(self.anchors)
        x, y = pixel_of(*self.ctx.clamp(ev.x, ev.y))
        if self.anchors and (
            self._waiting or ((x, y) != self.anchors[-1] and self._ready(x, y) is None)
        ):
            self._waiting.append(ev)  # replayed when its map is in
            self._drain()
            self.notify()
            return True
        self._click(ev)
        return True

    def _click(self, ev: PointerEvent) -> None:
        """Fix the path to the click (its map is ready), or start one; a double-click closes."""
        x, y = pixel_of(*self.ctx.clamp(ev.x, ev.y))
        if self.anchors and (x, y) != self.anchors[-1]:
            leg = self.path_to(x, y)
            if leg is None:
                return
            self.legs.append(leg)
        if not self.anchors or (x, y) != self.anchors[-1]:
            self.anchors.append((x, y))
        self._tail = None
        if ev.kind == "double":
            self.accept()
        self.notify()

    def path(self, *, closed: bool = False) -> np.ndarray:
        """The fixed path so far, ``(N, 2)`` float pixel ``(x, y)``; ``closed`` adds the leg
        back to the first anchor (when its map is ready)."""
        legs = list(self.legs)
        if closed and len(self.anchors) >= 2:
            back = self.path_to(*self.anchors[0])
            if back is not None:
                legs.append(back)
        if not legs:
            return np.array(self.anchors, np.float64).reshape(-1, 2)
        return np.concatenate([legs[0]] + [leg[1:] for leg in legs[1:]])

    def accept(self) -> Shape | None:
        """Close the path and add it as a polygon of the active class (one undo step); waits
        (returns None) while earlier clicks or the closing leg's map are on their way."""
        if self._waiting or (len(self.anchors) >= 2 and self._ready(*self.anchors[0]) is None):
            if ACCEPT not in self._waiting:
                self._waiting.append(ACCEPT)
            self._drain()
            self.notify()
            return None
        return self._close()

    def _close(self) -> Shape | None:
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
        elif ev.key == "Backspace" and self._waiting:
            self._waiting.pop()
            self.notify()
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
        busy = self.busy() or self._tail is not None
        self._serial += 1  # maps on their way are dropped
        self.anchors, self.legs, self._tail, self._waiting = [], [], None, []
        self._asked, self._hover, self._maps = None, None, {}
        if busy:
            self.notify()

    def preview(self) -> Preview | None:
        if not self.anchors:
            return None
        # paths are pixel indices; the canvas draws pixel i over [i, i+1): show centres
        lines = [self.path() + 0.5]
        if self._tail is not None and not self._waiting:
            lines.append(self._tail + 0.5)
        points = np.array(self.anchors, np.float64) + 0.5
        clicks = [(e.x, e.y) for e in self._waiting if not isinstance(e, str)]
        if clicks:
            points = np.concatenate([points, np.array(clicks, np.float64)])
        if self._hover is not None:
            x, y = pixel_of(*self.ctx.clamp(*self._hover))
            if self._waiting or self._ready(x, y) is None:  # rubber band until the map is in
                ax, ay = clicks[-1] if clicks else np.array(self.anchors[-1]) + 0.5
                lines.append(np.array([[ax, ay], self._hover], np.float64))
        return Preview(color=self.ctx.color(), polylines=lines, points=points)
