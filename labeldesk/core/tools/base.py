"""The Qt-free tool interface: events in image coordinates in, commands and previews out.

A *tool* turns pointer and key events into document commands (one gesture = one undo step)
and into a :class:`Preview` the canvas draws over the image. Tools never import Qt, so tests
drive them with synthetic :class:`PointerEvent` / :class:`KeyEvent` objects::

    ctx = ToolContext(doc, Selection(), active_label=lambda: "cat")
    tool = TOOLS["polygon"](ctx)
    for x, y in [(10, 10), (50, 10), (50, 40)]:
        tool.pointer(PointerEvent("press", x, y))
        tool.pointer(PointerEvent("release", x, y))
    tool.key(KeyEvent("Enter"))          # the polygon is now doc.shapes[-1]

Coordinates are image pixels ``(x, y)`` as floats; pixel ``(i, j)`` covers ``[i, i+1) x
[j, j+1)``. Tools register themselves in :data:`TOOLS` (name -> class), the way a plugin would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from labeldesk.core.events import DocEvent, Signal
from labeldesk.core.tools.options import Option

if TYPE_CHECKING:
    from labeldesk.core.document import Document
    from labeldesk.core.prompts import PredictFn
    from labeldesk.core.selection import Selection
    from labeldesk.core.shapes import Shape

RGB = tuple[int, int, int]
DRAG_PX = 4.0  # screen pixels: a press-release further apart than this is a drag
MODIFIERS = ("shift", "ctrl", "alt")
NO_MODS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PointerEvent:
    """A mouse/pen event in image coordinates.

    Attributes:
        kind: ``"press"``, ``"move"``, ``"release"`` or ``"double"`` (a double click; it replaces
            the second press of the pair, as Qt sends it).
        x, y: image pixel coordinates (float).
        button: the button pressed/released; for ``"move"`` the button held during a drag,
            ``""`` when none is held (hover).
        modifiers: a subset of ``{"shift", "ctrl", "alt"}`` (Cmd maps to ``"ctrl"`` on macOS).
        scale: screen pixels per image pixel, so hit tolerances stay constant on screen.
    """

    kind: str
    x: float
    y: float
    button: str = "left"
    modifiers: frozenset[str] = NO_MODS
    scale: float = 1.0

    @property
    def xy(self) -> np.ndarray:
        """The position as a ``(2,)`` float64 array ``(x, y)``."""
        return np.array([self.x, self.y], dtype=np.float64)

    def tolerance(self, screen_px: float = 6.0) -> float:
        """``screen_px`` screen pixels expressed in image pixels (for hit tests)."""
        return screen_px / max(self.scale, 1e-9)


@dataclass(frozen=True)
class KeyEvent:
    """A key press with a Qt-independent key name.

    ``key`` is ``"Enter"`` (Return and Enter), ``"Escape"``, ``"Backspace"``, ``"Delete"``,
    ``"Tab"`` (Shift+Tab arrives as ``"Tab"`` with ``"shift"``), ``"Left"``, ``"Right"``,
    ``"Up"``, ``"Down"``, ``"Space"``, ``"["``, ``"]"``, or the character for other printable
    keys (letters upper-case: ``"A"``). ``modifiers`` as in :class:`PointerEvent`.
    """

    key: str
    modifiers: frozenset[str] = NO_MODS


@dataclass
class ToolContext:
    """What tools may use. One per canvas; mutable so the window can swap the document.

    Attributes:
        document: the open document (replace it when another image is opened, then call
            ``tool.cancel()`` on the active tool).
        selection: the selection shared with the layers panel.
        active_label: returns the class new objects take (the window's current class).
        brush_size: brush/eraser diameter in image pixels (``[``/``]`` change it).
        image: returns the displayed image array ``(H, W[, C])`` uint8, or None; for tools that
            look at pixels (classical segmentation, SAM prompts).
        message: shows a short text in the status bar (errors, "needs 3 points"...).
        measured: returns the image's measured pixels (any depth: the 16-bit values the pixel
            readout shows), or None when only ``image`` is known; for tools that work on the
            image's own values (the threshold tool).
        sam_predict: the promptable model's ``predict(prompt, reply)`` (see
            :mod:`labeldesk.core.prompts`) while one is loaded, else None; the SAM tool uses it.
    """

    document: Document
    selection: Selection
    active_label: Callable[[], str] = lambda: "object"
    brush_size: int = 16
    image: Callable[[], np.ndarray | None] = lambda: None
    message: Callable[[str], None] = lambda text: None
    measured: Callable[[], np.ndarray | None] = lambda: None
    sam_predict: PredictFn | None = None
    min_brush: ClassVar[int] = 1
    max_brush: ClassVar[int] = 1000

    def image_size(self) -> tuple[int, int] | None:
        """``(width, height)`` of the document's image, or None when unknown (0)."""
        d = self.document
        if d.image_width > 0 and d.image_height > 0:
            return d.image_width, d.image_height
        return None

    def clamp(self, x: float, y: float) -> tuple[float, float]:
        """Clamp a point into the image (``[0, W-1] x [0, H-1]``, as labelme does)."""
        size = self.image_size()
        if size is None:
            return float(x), float(y)
        w, h = size
        return float(min(max(x, 0.0), w - 1)), float(min(max(y, 0.0), h - 1))

    def color(self, label: str | None = None) -> RGB:
        """The class colour of ``label`` (default: the active label)."""
        return self.document.classes.color_of(self.active_label() if label is None else label)


@dataclass
class Preview:
    """What a tool wants drawn over the image; everything in image coordinates.

    Attributes:
        color: ``(r, g, b)`` for the lines, fills and patches below.
        polylines: open paths, each ``(N, 2)`` float ``(x, y)``.
        polygons: closed, translucently filled paths, each ``(N, 2)``.
        circles: ``(cx, cy, r)`` outlines (r in image px).
        points: vertex handles as one ``(N, 2)`` array (drawn at a fixed screen size).
        marker: a highlighted handle ``(x, y)`` (e.g. "click here to close"), or None.
        rect: a rubber band ``(x1, y1, x2, y2)``, or None.
        brush: the brush outline ``(x, y, diameter)``, or None.
        mask: a translucent patch ``(h, w)`` bool at image pixel ``mask_origin`` ``(x0, y0)``.
        mask_erase: draw ``mask`` as "to be erased" (grey hatch) rather than in ``color``.
        ghosts: shapes drawn *instead of* the document's shapes with the same uid while a
            drag is in progress (the document changes only when the gesture ends).
        hover: uid of the object under the pointer (highlighted), or None.
        hover_vertex: ``(uid, vertex index)`` under the pointer, or None.
    """

    color: RGB = (255, 255, 255)
    polylines: list[np.ndarray] = field(default_factory=list)
    polygons: list[np.ndarray] = field(default_factory=list)
    circles: list[tuple[float, float, float]] = field(default_factory=list)
    points: np.ndarray | None = None
    marker: tuple[float, float] | None = None
    rect: tuple[float, float, float, float] | None = None
    brush: tuple[float, float, float] | None = None
    mask: np.ndarray | None = None
    mask_origin: tuple[int, int] = (0, 0)
    mask_erase: bool = False
    ghosts: list[Shape] = field(default_factory=list)
    hover: int | None = None
    hover_vertex: tuple[int, int] | None = None


RunnerKind = Literal["mask", "plain"]
HistogramJob = Callable[[], "tuple[np.ndarray, float | None, str]"]


class Tool:
    """Base of every tool. Subclasses set ``name``, ``title``, ``keys`` and override handlers.

    A tool declares itself with class attributes, from which the window builds its action
    (menu entry, toolbar button, key), the options dock and the worker lane; nothing in the
    UI names a particular tool:

    * ``shortcuts``: default key sequences of its action (``("T",)``); ``icon``: a qtawesome
      icon name; ``tip``: the tooltip (the keys are appended); ``section`` / ``order``: its
      place in the Tools menu and toolbar (sections are separated; lower first).
    * ``options``: a tuple of :class:`~labeldesk.core.tools.options.Option`, rendered by the
      options dock; values come back through :meth:`set_options`.
    * ``runner_kind``: ``None`` (the tool computes nothing slow), ``"plain"`` (the window gives
      it a ``runner(job, done)`` whose Qt-free ``job`` runs in a worker thread) or ``"mask"``
      (the same, and the worker applies the ``in_runner`` clean-up options to the mask
      ``job`` returns). A tool with a runner kind has a ``runner`` attribute.

    Contract:
        * ``pointer(ev)`` / ``key(ev)`` return True when the event was used (the canvas then
          stops it; unused keys go on to the window's shortcuts).
        * The document is changed only through commands (``doc.execute`` / ``doc.group``);
          one gesture is one undo step. Errors a user can cause are raised as
          :class:`~labeldesk.core.errors.LabeldeskError`; the canvas shows them as a message
          and calls :meth:`cancel`.
        * After anything that changes :meth:`preview` or :attr:`hint`, call :meth:`notify`;
          the canvas listens to :attr:`changed` (``DocEvent("preview")``).
        * ``keys``: the key names this tool may handle; :meth:`wants_key` says whether it
          would use one now, and the canvas then claims it ahead of the window's shortcuts.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    keys: ClassVar[frozenset[str]] = frozenset({"Escape"})
    cursor: ClassVar[str] = "cross"  # "cross", "arrow" or "none" (the tool draws its own)
    shortcuts: ClassVar[tuple[str, ...]] = ()
    icon: ClassVar[str] = "mdi6.magic-staff"
    tip: ClassVar[str] = ""
    section: ClassVar[int] = 1
    order: ClassVar[int] = 1000
    options: ClassVar[tuple[Option, ...]] = ()
    runner_kind: ClassVar[RunnerKind | None] = None

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.changed = Signal()

    # -- overridable -----------------------------------------------------------------------
    @property
    def hint(self) -> str:
        """One line for the status bar: what the next click/key does."""
        return ""

    def pointer(self, ev: PointerEvent) -> bool:
        return False

    def key(self, ev: KeyEvent) -> bool:
        return False

    def wants_key(self, ev: KeyEvent) -> bool:
        """Would :meth:`key` use ``ev`` now? (The canvas then takes the key ahead of the
        window's shortcuts.) Default: ``ev.key in self.keys`` while :meth:`busy`."""
        return ev.key in self.keys and self.busy()

    def preview(self) -> Preview | None:
        return None

    def cancel(self) -> None:
        """Drop any gesture in progress without changing the document."""

    def busy(self) -> bool:
        """True while a gesture is in progress (the window may refuse to switch images)."""
        return False

    def can_accept(self) -> bool:
        """Would Enter accept something now (or once a pending result arrives)?"""
        return self.busy()

    # -- options (see labeldesk.core.tools.options) ----------------------------------------------
    def option(self, name: str) -> Any:
        """The current value of option ``name``: the tool's attribute, else the context's."""
        if hasattr(self, name):
            return getattr(self, name)
        return getattr(self.ctx, name)

    def set_options(self, values: dict[str, Any]) -> None:
        """Take option values (name -> value) from the UI, then :meth:`options_changed`."""
        for name, value in values.items():
            if hasattr(self, name) or not hasattr(self.ctx, name):
                setattr(self, name, value)
            else:
                setattr(self.ctx, name, value)
        self.options_changed(values)

    def options_changed(self, names: Iterable[str]) -> None:
        """Options ``names`` changed (also ``in_runner`` ones, which the tool does not
        hold): recompute the preview if they affect it. Default: nothing."""

    def option_bounds(self, name: str) -> tuple[int, int] | None:
        """The ``(low, high)`` the ``"range"`` option ``name`` spans for the open image when it
        depends on the image (a 16-bit image's threshold range), else None (the declared
        ``low`` / ``high``)."""
        return None

    def histogram_request(self, image: np.ndarray) -> tuple[object, HistogramJob] | None:
        """A ``(key, job)`` for the histogram a ``"range"`` option is drawn over, or None.

        ``job()`` (run in a worker) returns ``(counts (N,), split or None, note)``: the
        pixel counts in N equal bins over the option's range (:meth:`option_bounds`; one bin
        per value for 8-bit), a threshold the tool would pick itself (shown while the range is not
        editable), and a line of text for the dock. ``key`` changes when the histogram
        would (the UI skips a request whose key it has shown)."""
        return None

    # -- helpers -----------------------------------------------------------------------------
    def notify(self) -> None:
        """Tell the canvas that the preview or hint changed."""
        self.changed.emit(DocEvent("preview"))

    @property
    def doc(self) -> Document:
        return self.ctx.document


TOOLS: dict[str, type[Tool]] = {}


def register_tool(cls: type[Tool]) -> type[Tool]:
    """Class decorator: add ``cls`` to :data:`TOOLS` under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    TOOLS[cls.name] = cls
    return cls


def modifiers(*names: str) -> frozenset[str]:
    """``frozenset`` of modifier names, checked (``modifiers("shift", "alt")``)."""
    bad = [n for n in names if n not in MODIFIERS]
    if bad:
        raise ValueError(f"unknown modifiers {bad}; expected some of {MODIFIERS}")
    return frozenset(names)
