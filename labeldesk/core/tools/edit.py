"""The edit tool: select, move, reshape and nudge objects.

* click selects (Ctrl/Shift+click toggles), a drag on empty space rubber-band selects the
  objects wholly inside the band (Ctrl/Shift adds), Tab / Shift+Tab cycle through the objects;
* dragging a selected or hovered object moves every selected object; dragging a vertex moves it;
* Alt+click on an edge inserts a vertex there (and drags it until release);
* Shift+click on a vertex, or Backspace with a vertex under the pointer (or the last vertex
  touched), deletes it (polygons keep 3, line strips 2);
* arrow keys nudge the selection by 1 pixel (Shift: 10); Esc clears the selection.

Each gesture is one undo step. Locked objects can be selected but not changed; hidden objects
are not hit. While dragging, the changed objects are shown as ``Preview.ghosts``; the document
changes once, on release.
"""

from __future__ import annotations

import numpy as np

from labeldesk.core.commands import EditShape
from labeldesk.core.shapes import POINT_COUNTS, Shape
from labeldesk.core.tools.base import (
    DRAG_PX,
    KeyEvent,
    PointerEvent,
    Preview,
    Tool,
    register_tool,
)
from labeldesk.core.tools.hit import ShapeIndex, nearest_edge, nearest_vertex

HIT_PX = 6.0  # screen pixels of tolerance for vertices and edges
NUDGE = {"Left": (-1, 0), "Right": (1, 0), "Up": (0, -1), "Down": (0, 1)}


def translated(shape: Shape, dx: float, dy: float) -> Shape:
    """A copy of ``shape`` (same uid) moved by ``(dx, dy)``; masks move by whole pixels."""
    out = shape.copy()
    if shape.shape_type == "mask":
        dx, dy = round(dx), round(dy)
    out.points = out.points + np.array([dx, dy], dtype=np.float64)
    return out


@register_tool
class EditTool(Tool):
    name = "edit"
    title = "Edit"
    shortcuts = ("E", "Ctrl+J")
    icon = "mdi6.cursor-default-outline"
    section = 0
    order = 0
    keys = frozenset({"Escape", "Backspace", "Tab", "Left", "Right", "Up", "Down"})
    cursor = "arrow"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = ShapeIndex()
        self._mode = ""  # "", "press", "move", "vertex", "band"
        self._press: PointerEvent | None = None
        self._cur: PointerEvent | None = None
        self._vertex: tuple[int, int] | None = None  # (uid, index) being dragged
        self._inserted = False
        self._ghosts: list[Shape] = []
        self._originals: list[Shape] = []
        self._hover: int | None = None
        self._hover_vertex: tuple[int, int] | None = None
        self._last_vertex: tuple[int, int] | None = None
        self._band_add = False

    @property
    def hint(self) -> str:
        if self._mode == "band":
            return "Release to select the objects inside the box"
        return (
            "Click/drag to select and move; drag a vertex; Alt+click an edge adds a vertex, "
            "Shift+click deletes one; arrows nudge; Tab cycles"
        )

    def busy(self) -> bool:
        return self._mode != ""

    # -- helpers -------------------------------------------------------------------------------
    def _shape(self, uid: int) -> tuple[int, Shape] | None:
        for i, s in enumerate(self.doc.shapes):
            if s.uid == uid:
                return i, s
        return None

    def _find_vertex(self, ev: PointerEvent, under: int | None) -> tuple[int, int] | None:
        """``(uid, vertex)`` near the pointer on a selected object or the object under it."""
        doc = self.doc
        tol = ev.tolerance(HIT_PX)
        order = self.ctx.selection.indices(doc)[::-1]
        if under is not None and under not in order:
            order.append(under)
        for i in order:
            s = doc.shapes[i]
            if not s.visible:
                continue
            v = nearest_vertex(s, ev.x, ev.y, tol)
            if v is not None:
                return s.uid, v
        return None

    def _editable(self, indices: list[int]) -> list[int]:
        locked = [i for i in indices if self.doc.shapes[i].locked]
        if locked:
            self.ctx.message(f"'{self.doc.shapes[locked[0]].label}' is locked")
        return [i for i in indices if not self.doc.shapes[i].locked]

    # -- pointer -------------------------------------------------------------------------------
    def pointer(self, ev: PointerEvent) -> bool:
        if ev.kind == "move":
            return self._move(ev)
        if ev.button != "left":
            return False
        if ev.kind in ("press", "double"):
            self._on_press(ev)
            return True
        if ev.kind == "release":
            self._on_release(ev)
            return True
        return False

    def _on_press(self, ev: PointerEvent) -> None:
        doc, sel = self.doc, self.ctx.selection
        self._press = self._cur = ev
        tol = ev.tolerance(HIT_PX)
        under = self.index.shape_at(doc, ev.x, ev.y, tol)
        toggle = bool(ev.modifiers & {"ctrl", "shift"})
        vertex = self._find_vertex(ev, under)
        if vertex is not None and "alt" not in ev.modifiers:
            found = self._shape(vertex[0])
            if found is None:
                return
            i, s = found
            self._last_vertex = vertex
            if "shift" in ev.modifiers:
                self._mode = ""
                self.delete_vertex(*vertex)
                return
            if s.uid not in sel:
                sel.set([s.uid])
            if not self._editable([i]):
                self._mode = ""
                return
            self._mode, self._vertex, self._inserted = "vertex", vertex, False
            self._ghosts = [s.copy()]
            return
        if "alt" in ev.modifiers:
            cands = self.ctx.selection.indices(doc)[::-1] + ([under] if under is not None else [])
            for i in cands:
                s = doc.shapes[i]
                edge = nearest_edge(s, ev.x, ev.y, tol) if s.visible else None
                if edge is None or s.shape_type == "line":
                    continue
                if not self._editable([i]):
                    return
                at, p = edge
                ghost = s.copy()
                ghost.points = np.insert(ghost.points, at, p, axis=0)
                sel.set([s.uid])
                self._mode, self._vertex, self._inserted = "vertex", (s.uid, at), True
                self._ghosts = [ghost]
                self._last_vertex = (s.uid, at)
                self.notify()
                return
        if under is None:
            self._mode, self._band_add = "band", toggle
            return
        uid = doc.shapes[under].uid
        if toggle:
            sel.toggle(uid)
            self._mode = ""
            return
        if uid not in sel:
            sel.set([uid])
        self._mode = "press"

    def _move(self, ev: PointerEvent) -> bool:
        if not self._mode:
            self._update_hover(ev)
            return False
        p = self._press
        if p is None:
            return False
        self._cur = ev
        dx, dy = ev.x - p.x, ev.y - p.y
        if self._mode == "press" and np.hypot(dx, dy) * ev.scale > DRAG_PX:
            idx = self._editable(self.ctx.selection.indices(self.doc))
            self._mode = "move" if idx else ""
            self._ghosts = [self.doc.shapes[i] for i in idx]
            self._originals = list(self._ghosts)
        if self._mode == "move":
            self._ghosts = [translated(s, dx, dy) for s in self._originals]
        elif self._mode == "vertex" and self._vertex is not None:
            ghost = self._ghosts[0]
            ghost.points[self._vertex[1]] = self.ctx.clamp(ev.x, ev.y)
        self.notify()
        return True

    def _update_hover(self, ev: PointerEvent) -> None:
        under = self.index.shape_at(self.doc, ev.x, ev.y, ev.tolerance(HIT_PX))
        hover = self.doc.shapes[under].uid if under is not None else None
        vertex = self._find_vertex(ev, under)
        if (hover, vertex) != (self._hover, self._hover_vertex):
            self._hover, self._hover_vertex = hover, vertex
            self.notify()

    def _on_release(self, ev: PointerEvent) -> None:
        mode, self._mode = self._mode, ""
        ghosts, self._ghosts = self._ghosts, []
        doc = self.doc
        present = {s.uid for s in doc.shapes}
        ghosts = [g for g in ghosts if g.uid in present]  # the document may have changed
        if mode == "band" and self._press is not None:
            p = self._press
            x1, x2 = sorted((p.x, ev.x))
            y1, y2 = sorted((p.y, ev.y))
            inside = self.index.inside(doc, x1, y1, x2, y2)
            uids = [doc.shapes[i].uid for i in inside]
            if self._band_add:
                self.ctx.selection.set([*self.ctx.selection.uids(), *uids])
            else:
                self.ctx.selection.set(uids)
        elif mode == "move" and ghosts:
            press = self._press
            if press is not None and (ev.x, ev.y) != (press.x, press.y):
                with doc.group("Move objects" if len(ghosts) > 1 else "Move object"):
                    for g in ghosts:
                        doc.execute(EditShape(doc.index_of(g.uid), "Move object", points=g.points))
        elif mode == "vertex" and ghosts:
            g = ghosts[0]
            i = doc.index_of(g.uid)
            if self._inserted or not np.array_equal(g.points, doc.shapes[i].points):
                text = "Insert vertex" if self._inserted else "Move vertex"
                doc.execute(EditShape(i, text, points=g.points))
        self._press = None
        self.notify()

    # -- keys --------------------------------------------------------------------------------
    def key(self, ev: KeyEvent) -> bool:
        sel = self.ctx.selection
        if ev.key == "Escape":
            if self._mode:
                self.cancel()
                return True
            if len(sel):
                sel.clear()
                return True
            return False
        if self._mode:
            return False
        if ev.key in NUDGE:
            idx = sel.indices(self.doc)
            if not idx:
                return False
            step = 10 if "shift" in ev.modifiers else 1
            self.nudge(idx, NUDGE[ev.key][0] * step, NUDGE[ev.key][1] * step)
            return True
        if ev.key == "Tab":
            self.cycle(-1 if "shift" in ev.modifiers else 1)
            return True
        if ev.key == "Backspace":
            target = self._hover_vertex or self._last_vertex
            if target is None or self._shape(target[0]) is None:
                return False
            self.delete_vertex(*target)
            return True
        return False

    def wants_key(self, ev: KeyEvent) -> bool:
        has_sel = len(self.ctx.selection.indices(self.doc)) > 0
        if ev.key == "Escape":
            return bool(self._mode) or has_sel
        if ev.key in NUDGE:
            return has_sel and not self._mode
        if ev.key == "Tab":
            return len(self.doc.shapes) > 0
        if ev.key == "Backspace":
            target = self._hover_vertex or self._last_vertex
            return target is not None and self._shape(target[0]) is not None
        return False

    def nudge(self, indices: list[int], dx: float, dy: float) -> None:
        """Move the objects at ``indices`` by ``(dx, dy)`` image pixels: one undo step."""
        doc = self.doc
        idx = self._editable(indices)
        if not idx:
            return
        with doc.group("Nudge"):
            for i in idx:
                doc.execute(EditShape(i, "Nudge", points=translated(doc.shapes[i], dx, dy).points))

    def cycle(self, step: int = 1) -> None:
        """Select the next (``step=1``) or previous visible object in z-order."""
        doc, sel = self.doc, self.ctx.selection
        visible = [i for i, s in enumerate(doc.shapes) if s.visible]
        if not visible:
            return
        current = sel.indices(doc)
        if not current:
            nxt = visible[0] if step > 0 else visible[-1]
        else:
            ref = current[-1] if step > 0 else current[0]
            after = [i for i in visible if (i > ref if step > 0 else i < ref)]
            nxt = (
                (after[0] if step > 0 else after[-1])
                if after
                else (visible[0] if step > 0 else visible[-1])
            )
        sel.set([doc.shapes[nxt].uid])

    def delete_vertex(self, uid: int, vertex: int) -> bool:
        """Delete vertex ``vertex`` of object ``uid`` (one undo step); False when not allowed."""
        found = self._shape(uid)
        if found is None:
            return False
        i, s = found
        if s.shape_type not in ("polygon", "linestrip"):
            self.ctx.message(f"a {s.shape_type} has a fixed number of points")
            return False
        if not self._editable([i]):
            return False
        lo = POINT_COUNTS[s.shape_type][0]
        if len(s.points) <= lo or not 0 <= vertex < len(s.points):
            self.ctx.message(f"a {s.shape_type} needs at least {lo} points")
            return False
        self.doc.execute(EditShape(i, "Delete vertex", points=np.delete(s.points, vertex, axis=0)))
        self._hover_vertex = self._last_vertex = None
        self.notify()
        return True

    def cancel(self) -> None:
        self._mode, self._ghosts, self._press = "", [], None
        self.notify()

    def preview(self) -> Preview | None:
        pv = Preview(hover=self._hover, hover_vertex=self._hover_vertex, ghosts=list(self._ghosts))
        if self._mode == "band" and self._press is not None and self._cur is not None:
            p, c = self._press, self._cur
            pv.rect = (min(p.x, c.x), min(p.y, c.y), max(p.x, c.x), max(p.y, c.y))
        return pv
