"""Reviewing proposed regions (Qt-free): the review tool and the overlay that shows them.

:class:`ProposalTool` shows a set of :class:`~labeldesk.core.proposals.Proposal` (from
auto-segment: :mod:`labeldesk.core.proposals`, :mod:`labeldesk.models.proposals`): click selects one (Shift/Ctrl+click adds), a class hotkey
1-9 accepts the selected (or hovered) ones with that class, double click accepts one with the
active class, Delete/Backspace rejects the selected ones, Esc rejects the rest. Each accept is
one undo step. It is not in :data:`~labeldesk.core.tools.TOOLS`: the assist UI makes one per
set of proposals.

Review that cannot mislabel:

* Enter accepts only the proposals that already carry a class (a trained model's); a
  classless proposal gets a class only from the person: a class key on the ones picked, a
  double click (the active class, one proposal), or the explicit :meth:`accept_all_as` ("Accept
  all N as <class>", a command that shows the count).
* Accepting never selects what it adds, so a class key pressed next only picks the class
  for what comes after; it relabels objects only when the person selected them (the rule
  CVAT follows: a label key changes the object the person activated, otherwise the default
  label for new objects).
* Every accepted object is marked machine-made (:func:`labeldesk.core.machine.mark_machine`
  with the proposals' ``source``) until a person saves the image.

:func:`render_proposals` paints the open proposals into one RGBA overlay.

Coordinates: points ``(x, y)`` float image pixels; masks ``(h, w)`` bool indexed ``[y, x]``
cropped to their box, placed at ``origin`` ``(x0, y0)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from labeldesk.core.commands import AddShapes
from labeldesk.core.convert import shape_from_crop
from labeldesk.core.machine import mark_machine
from labeldesk.core.proposals import Proposal
from labeldesk.core.shapes import Shape
from labeldesk.core.tools.base import KeyEvent, PointerEvent, Preview, Tool, ToolContext


def outline(crop: np.ndarray, origin: tuple[int, int]) -> list[np.ndarray]:
    """Outer contours of a cropped mask as ``(N, 2)`` float ``(x, y)`` image-pixel rings."""
    m = np.pad(np.asarray(crop, dtype=np.uint8), 1)
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    off = np.array([origin[0] - 1 + 0.5, origin[1] - 1 + 0.5])
    return [np.vstack([c[:, 0, :], c[:1, 0, :]]) + off for c in contours if len(c) >= 2]


class ProposalTool(Tool):
    """Review proposed regions: accept with a class, or reject (see module docs).

    ``open`` lists the indices of ``items`` still proposed; ``selected`` those picked.
    ``on_finish`` is called once nothing is left to review. ``version`` grows whenever
    ``open`` or ``selected`` change (the UI redraws its overlay then). ``source`` (``"model"``,
    ``"sam"``, ``"classical"``...) is what accepted objects are marked as made by.
    """

    name = "proposals"
    title = "Review proposals"
    keys = frozenset({"Enter", "Escape", "Delete", "Backspace", *"123456789"})
    cursor = "arrow"

    def __init__(
        self,
        ctx: ToolContext,
        items: Sequence[Proposal],
        on_finish: Callable[[], None] | None = None,
        source: str = "proposals",
    ) -> None:
        super().__init__(ctx)
        self.items = list(items)
        self.source = source or "proposals"
        self.open: list[int] = list(range(len(self.items)))
        self.selected: list[int] = []
        self.hover: int | None = None
        self.on_finish = on_finish
        self.version = 0
        self._outlines: dict[int, list[np.ndarray]] = {}

    @property
    def hint(self) -> str:
        classed = len(self.classed())
        enter = f"Enter accepts the {classed} with a class, " if classed else ""
        return (
            f"{len(self.open)} proposed: click to pick, 1-9 accepts as that class, double-click "
            f"as the active class, {enter}Delete rejects, Esc rejects the rest"
        )

    def classed(self) -> list[int]:
        """The open proposals that carry a class of their own (a trained model's)."""
        return [i for i in self.open if self.items[i].label]

    def classless(self) -> list[int]:
        """The open proposals without a class."""
        return [i for i in self.open if not self.items[i].label]

    def busy(self) -> bool:
        return bool(self.open)

    def hit(self, x: float, y: float) -> int | None:
        """The smallest open proposal covering pixel ``(x, y)``, or None."""
        best, best_area = None, None
        xi, yi = int(np.floor(x)), int(np.floor(y))
        for i in self.open:
            it = self.items[i]
            x0, y0 = it.origin
            h, w = it.mask.shape
            if x0 <= xi < x0 + w and y0 <= yi < y0 + h and it.mask[yi - y0, xi - x0]:
                area = int(np.count_nonzero(it.mask))
                if best_area is None or area < best_area:
                    best, best_area = i, area
        return best

    def _targets(self) -> list[int]:
        if self.selected:
            return list(self.selected)
        return [self.hover] if self.hover is not None else []

    def wants_key(self, ev: KeyEvent) -> bool:
        if not self.open or ev.key not in self.keys:
            return False
        if ev.key in ("Enter", "Escape"):
            return True
        return bool(self._targets())

    def pointer(self, ev: PointerEvent) -> bool:
        if ev.kind == "move" and ev.button == "":
            hit = self.hit(ev.x, ev.y)
            if hit != self.hover:
                self.hover = hit
                self.notify()
            return False
        if ev.button != "left" or ev.kind not in ("press", "double"):
            return ev.kind == "release" and ev.button == "left"
        hit = self.hit(ev.x, ev.y)
        if ev.kind == "double" and hit is not None:
            self.accept([hit], self.ctx.active_label())
        elif {"shift", "ctrl"} & ev.modifiers and hit is not None:
            self.select(
                [i for i in self.selected if i != hit]
                if hit in self.selected
                else [*self.selected, hit]
            )
        else:
            self.select([] if hit is None else [hit])
        return True

    def key(self, ev: KeyEvent) -> bool:
        if not self.open:
            return False
        if ev.key == "Enter":
            self.accept_classed()
        elif ev.key == "Escape":
            self.reject(list(self.open))
        elif ev.key in ("Delete", "Backspace") and self._targets():
            self.reject(self._targets())
        elif len(ev.key) == 1 and ev.key.isdigit() and self._targets():
            cls = self.doc.classes.by_hotkey(ev.key)
            if cls is None:
                self.ctx.message(f"No class has the key {ev.key}")
            else:
                self.accept(self._targets(), cls.name)
        else:
            return False
        return True

    # -- operations (also used by the proposals list) ----------------------------------------
    def select(self, indices: Sequence[int]) -> None:
        chosen = [i for i in dict.fromkeys(indices) if i in self.open]
        if chosen != self.selected:
            self.selected = chosen
            self._bump()

    def accept_classed(self) -> list[Shape]:
        """Enter: accept the open proposals that carry a class; the classless ones stay open
        (a message says how to give them one). Returns the shapes added."""
        classed, classless = self.classed(), self.classless()
        if classless:
            self.ctx.message(
                f"{len(classless)} proposed region{'s have' if len(classless) != 1 else ' has'} "
                "no class: pick and press a class key (1-9), or use "
                f"Accept All {len(classless)} as {self.ctx.active_label()}"
            )
        return self.accept(classed) if classed else []

    def accept_all_as(self, label: str) -> list[Shape]:
        """The explicit bulk accept: every open proposal as ``label`` (one undo step)."""
        return self.accept(list(self.open), label)

    def accept(self, indices: Sequence[int], label: str | None = None) -> list[Shape]:
        """Add ``indices`` as objects labelled ``label`` or else each proposal's own label
        (a proposal with neither is left open); one undo step. The objects are marked
        machine-made and not selected. Returns the shapes added."""
        take = [
            i for i in dict.fromkeys(indices) if i in self.open and (label or self.items[i].label)
        ]
        shapes: list[Shape] = []
        for i in take:
            it = self.items[i]
            shape = shape_from_crop(it.mask, it.origin, label or it.label or "")
            if shape is not None:
                shapes.append(mark_machine(shape, self.source))
        if shapes:
            classes = self.doc.classes
            for s in shapes:
                if s.label not in classes:
                    classes.ensure(s.label)
            self.doc.execute(AddShapes(shapes))
        self._close(take)
        return shapes

    def reject(self, indices: Sequence[int]) -> None:
        self._close([i for i in indices if i in self.open])

    def _close(self, indices: Sequence[int]) -> None:
        gone = set(indices)
        if not gone:
            return
        self.open = [i for i in self.open if i not in gone]
        self.selected = [i for i in self.selected if i not in gone]
        if self.hover in gone:
            self.hover = None
        self._bump()
        if not self.open and self.on_finish is not None:
            self.on_finish()

    def _bump(self) -> None:
        self.version += 1
        self.notify()

    def cancel(self) -> None:
        if self.hover is not None:
            self.hover = None
            self.notify()

    def preview(self) -> Preview | None:
        pv = Preview(color=(255, 255, 255))
        for i in self.selected:
            if i not in self._outlines:
                self._outlines[i] = outline(self.items[i].mask, self.items[i].origin)
            pv.polylines += self._outlines[i]
        if self.hover is not None:
            it = self.items[self.hover]
            pv.mask, pv.mask_origin = it.mask, it.origin
        return pv if (pv.polylines or pv.mask is not None) else None


def render_proposals(
    items: Sequence[Proposal],
    indices: Sequence[int],
    size: tuple[int, int],
    colors: Sequence[tuple[int, int, int]],
    *,
    alpha: int = 110,
    edge_alpha: int = 230,
) -> tuple[np.ndarray, int, int] | None:
    """An RGBA overlay of ``items[indices]``: ``(rgba (h, w, 4) uint8, x0, y0)`` cropped to
    what it shows, or None. ``colors[k]`` colours ``items[indices[k]]``; larger proposals are
    drawn first so smaller ones stay visible; edges are drawn more opaque."""
    if not indices:
        return None
    boxes = []
    for i in indices:
        x0, y0 = items[i].origin
        h, w = items[i].mask.shape
        boxes.append((x0, y0, min(x0 + w, size[1]), min(y0 + h, size[0])))
    bx0, by0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    bx1, by1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    if bx1 <= bx0 or by1 <= by0:
        return None
    rgba = np.zeros((by1 - by0, bx1 - bx0, 4), dtype=np.uint8)
    order = sorted(
        range(len(indices)), key=lambda k: -int(np.count_nonzero(items[indices[k]].mask))
    )
    kernel = np.ones((3, 3), np.uint8)
    for k in order:
        it = items[indices[k]]
        x0, y0, x1, y1 = boxes[k]
        m = it.mask[: y1 - y0, : x1 - x0].astype(np.uint8)
        edge = m & ~cv2.erode(m, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
        region = rgba[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0]
        region[m.astype(bool)] = (*colors[k], alpha)
        region[edge.astype(bool)] = (*colors[k], edge_alpha)
    return rgba, bx0, by0
