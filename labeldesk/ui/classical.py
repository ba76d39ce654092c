"""Classical segmentation in the window: threshold, region grow, watershed, GrabCut, live-wire.

``install(window)`` is the only entry point (one call in the composition root, before
``window.apply_settings()`` so user key bindings apply to these actions too)::

    from labeldesk.ui.classical import install
    window.classical = install(window)

It adds Tools ▸ Threshold (T), Region grow (Shift+R), Watershed (W), GrabCut (Shift+G), Live
wire (I) to the Tools menu and toolbar, a "Tool options" dock shown while one of them is
active, and one worker thread. The tools are the Qt-free ones of
:mod:`labeldesk.core.tools.classical`, registered again as the small subclasses below, so
that everything slow runs in that thread and the GUI thread only draws:

* previews go through a runner (latest request of a tool wins) that also applies the
  clean-up options (fill holes, largest part) there, on the result's bounding box;
* Enter turns the mask into a shape there (:class:`AcceptInWorker`: 0.2-3 s on 12 MP);
* live-wire edge maps (0.5-4 s per anchor) are built there (:class:`BackgroundLiveWire`).

Enter accepts into one object of the active class (one undo step), Esc cancels; bad input
(a seed outside the image, missing scribbles, a zero-size box, an image of the wrong dtype)
ends as a status-bar message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from labeldesk import algorithms as alg
from labeldesk.core.commands import AddShapes
from labeldesk.core.convert import mask_to_shape
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.tools import TOOLS, KeyEvent, PointerEvent, Preview, ToolContext
from labeldesk.core.tools.classical import (
    ClassicalTool,
    RegionGrowTool,
    Runner,
    ThresholdTool,
    pixel_of,
    run_inline,
)
from labeldesk.core.tools.classical_more import GrabCutTool, LiveWireTool, WatershedTool
from labeldesk.ui.actions import ActionManager, ActionSpec, normalize
from labeldesk.ui.workers.base import Worker, WorkerHost

# tool name -> (default key, qtawesome icon, tip)
ACTIONS: dict[str, tuple[str, str, str]] = {
    "threshold": ("T", "mdi6.circle-half-full", "Threshold: live preview, options in the dock"),
    "region_grow": ("Shift+R", "mdi6.format-color-fill", "Region grow: press, drag to grow"),
    "watershed": ("W", "mdi6.waves", "Watershed: scribble object (left) / background (right)"),
    "grabcut": ("Shift+G", "mdi6.selection-drag", "GrabCut: box or 4 extreme points"),
    "live_wire": ("I", "mdi6.scissors-cutting", "Live wire: click along the boundary"),
}
MASK_TOOLS = ("threshold", "region_grow", "watershed", "grabcut")


def cleanup(mask: np.ndarray, *, fill: bool, largest: bool) -> np.ndarray:
    """``mask`` ``(H, W)`` bool with holes filled / only its largest part, worked out on the
    mask's bounding box (exact: everything outside it is background joined to the border)."""
    if not (fill or largest):
        return mask
    ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if ys.size == 0:
        return mask
    win = (slice(ys[0], ys[-1] + 1), slice(xs[0], xs[-1] + 1))
    part = mask[win]
    if largest:
        part = alg.largest_component(part)
    if fill:
        part = alg.fill_holes(part)
    out = np.zeros_like(mask)
    out[win] = part
    return out


class AcceptInWorker(ClassicalTool):
    """Mixin: Enter turns the mask into a shape through ``accept_runner`` (``mask_to_shape``
    takes 0.2 s for a 400 px disc and over 2 s for a busy mask on a 4000x3000 image), then
    adds it in the GUI thread as one undo step. Esc or a new result meanwhile drops it."""

    accept_runner: Runner | None = None
    _converting: int | None = None  # the serial of the result being converted

    def accept(self) -> Any:
        if self.accept_runner is None or self._pending or self.mask is None:
            return super().accept()  # waits for a pending result, or says there is none
        if self._converting == self._serial:
            return None
        m, label, serial = self.result(), self.ctx.active_label(), self._serial
        tolerance, min_area = self.tolerance, self.min_area

        def job() -> Any:
            return mask_to_shape(m, label, tolerance=tolerance, min_area=min_area)

        def done(shape: Any) -> None:
            if serial != self._serial or self._converting != serial:
                return  # cancelled, or a newer result came meanwhile
            self._converting = None
            if shape is None or isinstance(shape, Exception):
                self.ctx.message(f"{self.title}: {shape or 'nothing to accept yet'}")
            else:
                self.doc.execute(AddShapes([shape]))
                self.ctx.selection.set([shape.uid])
                self.cancel()

        self._converting = serial
        self.accept_runner(job, done)
        return None

    def cancel(self) -> None:
        self._converting = None
        super().cancel()

    def busy(self) -> bool:
        return super().busy() or self._converting == self._serial


# the app's versions of the mask tools (registered by install())
class AppThreshold(AcceptInWorker, ThresholdTool): ...


class AppRegionGrow(AcceptInWorker, RegionGrowTool): ...


class AppWatershed(AcceptInWorker, WatershedTool): ...


class AppGrabCut(AcceptInWorker, GrabCutTool): ...


class BackgroundLiveWire(LiveWireTool):
    """:class:`LiveWireTool` whose edge maps are built by ``runner`` (a worker thread).

    Until the map around the last anchor is ready the pointer shows a straight rubber band;
    clicks, a double-click and Enter made meanwhile wait in order and are replayed when it
    arrives, so no input is lost and the GUI thread never builds a map. With the default
    inline runner it behaves as :class:`LiveWireTool`.
    """

    def __init__(self, ctx: ToolContext, runner: Runner | None = None) -> None:
        super().__init__(ctx)
        self.runner: Runner = runner or run_inline
        self._maps: dict[tuple[int, int], alg.LiveWireMap] = {}  # by anchor, the latest few
        self._asked: tuple[tuple[int, int], tuple[int, int, int, int]] | None = None
        self._waiting: list[PointerEvent | str] = []  # clicks and "accept", in order
        self._hover: tuple[float, float] | None = None
        self._serial = 0

    def _ready(self, x: int, y: int) -> alg.LiveWireMap | None:
        m = self._maps.get(self.anchors[-1]) if self.anchors else None
        return m if m is not None and m.contains((x, y)) else None

    def _request(self, x: int, y: int) -> None:
        """Build the map from the last anchor that reaches pixel ``(x, y)`` (latest wins)."""
        img, size = self.ctx.image(), self.ctx.image_size()
        if img is None or size is None:
            return
        (ax, ay), (w, h) = self.anchors[-1], size
        r = int(min(2000, max(200, 1.5 * np.hypot(x - ax, y - ay))))
        win = (max(0, ax - r), max(0, ay - r), min(w, ax + r + 1), min(h, ay + r + 1))
        if self._asked is not None and self._asked[0] == (ax, ay):
            x0, y0, x1, y1 = self._asked[1]
            if x0 <= x < x1 and y0 <= y < y1:
                return  # on its way
        self._serial += 1
        serial, anchor, self._asked = self._serial, (ax, ay), ((ax, ay), win)
        img = img[..., :3] if img.ndim == 3 else img

        def job() -> alg.LiveWireMap:
            return alg.LiveWireMap(img, anchor, window=win)

        self.runner(job, lambda result: self._arrived(serial, anchor, result))

    def _arrived(self, serial: int, anchor: tuple[int, int], result: Any) -> None:
        if serial != self._serial:
            return
        if isinstance(result, Exception):  # not asked again until the pointer leaves it
            self._waiting.clear()
            self.ctx.message(f"{self.title}: {result}")
        else:
            self._asked = None
            self._maps = {a: m for a, m in self._maps.items() if a in self.anchors[-3:]}
            self._maps[anchor] = result
            self._drain()
            if self._hover is not None and not self._waiting:
                super().pointer(PointerEvent("move", *self._hover, ""))
        self.notify()

    def _drain(self) -> None:
        """Replay waiting clicks / accept while the maps they need are ready."""
        while self._waiting:
            item = self._waiting[0]
            if isinstance(item, str):  # "accept": needs the leg back to the first anchor
                if len(self.anchors) >= 2 and self._ready(*self.anchors[0]) is None:
                    self._request(*self.anchors[0])
                    return
                self._waiting.pop(0)
                super().accept()
                continue
            x, y = pixel_of(*self.ctx.clamp(item.x, item.y))
            if self.anchors and (x, y) != self.anchors[-1] and self._ready(x, y) is None:
                self._request(x, y)
                return
            self._waiting.pop(0)
            super().pointer(item)

    def path_to(self, x: int, y: int) -> np.ndarray | None:
        if not self.anchors:
            return None
        if self._ready(x, y) is None:
            self._request(x, y)  # an inline runner has built it when this returns
        m = self._ready(x, y)
        return None if m is None else m.path_to((x, y))

    def pointer(self, ev: PointerEvent) -> bool:
        if ev.kind == "move":
            self._hover = (ev.x, ev.y)
            if self._waiting:
                self.notify()
                return True
            return super().pointer(ev)
        if ev.button == "left" and ev.kind in ("press", "double") and self.anchors:
            x, y = pixel_of(*self.ctx.clamp(ev.x, ev.y))
            if self._waiting or ((x, y) != self.anchors[-1] and self._ready(x, y) is None):
                self._waiting.append(ev)
                self._drain()
                self.notify()
                return True
        return super().pointer(ev)

    def accept(self) -> Any:
        if self._waiting or (len(self.anchors) >= 2 and self._ready(*self.anchors[0]) is None):
            if "accept" not in self._waiting:
                self._waiting.append("accept")
            self._drain()
            self.notify()
            return None
        return super().accept()

    def key(self, ev: KeyEvent) -> bool:
        if ev.key == "Backspace" and self._waiting:
            self._waiting.pop()
            self.notify()
            return True
        return super().key(ev)

    def busy(self) -> bool:
        return super().busy() or bool(self._waiting)

    def cancel(self) -> None:
        self._serial += 1
        self._asked, self._hover, self._maps = None, None, {}
        had = bool(self._waiting)
        self._waiting.clear()
        super().cancel()
        if had:
            self.notify()

    def preview(self) -> Preview | None:
        pv = super().preview()
        if pv is None:
            return None
        clicks = [(e.x, e.y) for e in self._waiting if not isinstance(e, str)]
        if clicks:
            pv.points = np.concatenate([pv.points, np.array(clicks, np.float64)])
        if self._hover is not None:
            x, y = pixel_of(*self.ctx.clamp(*self._hover))
            if self._waiting or self._ready(x, y) is None:  # rubber band until the map is in
                ax, ay = clicks[-1] if clicks else np.array(self.anchors[-1]) + 0.5
                pv.polylines.append(np.array([[ax, ay], self._hover], np.float64))
        return pv


class RangeSlider(QWidget):
    """Two handles on one groove over an optional histogram: ``(low, high)`` ints in
    ``[0, top]``, ``low <= high``. Drag a handle; a press moves the nearer one there."""

    changed = Signal(int, int)

    def __init__(self, top: int = 255, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.top = top
        self._low, self._high = 0, top
        self._drag: int | None = None  # 0: the low handle, 1: the high one
        self._hist: np.ndarray | None = None
        self.setMinimumSize(160, 56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Enter keeps going to the canvas

    def values(self) -> tuple[int, int]:
        return self._low, self._high

    def set_values(self, low: float, high: float, *, emit: bool = True) -> None:
        low, high = sorted(int(np.clip(round(v), 0, self.top)) for v in (low, high))
        if (low, high) != (self._low, self._high):
            self._low, self._high = low, high
            self.update()
            if emit:
                self.changed.emit(low, high)

    def set_histogram(self, counts: np.ndarray | None) -> None:
        """``(top + 1,)`` pixel counts drawn behind the groove (square-root scaled)."""
        self._hist = counts
        self.update()

    def _x(self, v: float) -> float:
        return 7 + v / self.top * (self.width() - 14)

    def _value(self, x: float) -> int:
        return int(round((x - 7) / max(1, self.width() - 14) * self.top))

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        pal = self.palette()
        on, off = pal.color(QPalette.ColorRole.Highlight), pal.color(QPalette.ColorRole.Mid)
        if not self.isEnabled():  # Otsu / adaptive: shows the split, not a control
            on.setAlpha(110)
        gy = self.height() - 8.0
        if self._hist is not None and self._hist.max() > 0:
            bars = np.sqrt(self._hist / self._hist.max()) * (gy - 10)
            step = (self.width() - 14) / len(bars)
            for i, b in enumerate(bars):
                inside = self._low <= i <= self._high
                p.fillRect(QRectF(self._x(i), gy - 8 - b, step, b), on if inside else off)
        p.fillRect(QRectF(7, gy - 2, self.width() - 14, 4), off)
        lo, hi = self._x(self._low), self._x(self._high)
        p.fillRect(QRectF(lo, gy - 2, hi - lo, 4), on)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(on, 1.5))
        p.setBrush(pal.color(QPalette.ColorRole.Button))
        for x in (lo, hi):
            p.drawEllipse(QPointF(x, gy), 6, 6)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        v = self._value(event.position().x())
        dl, dh = abs(v - self._low), abs(v - self._high)
        self._drag = 0 if dl < dh or (dl == dh and v < self._low) else 1
        self._move(v)

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802
        if self._drag is not None:
            self._move(self._value(event.position().x()))

    def mouseReleaseEvent(self, _event: Any) -> None:  # noqa: N802
        self._drag = None

    def _move(self, v: int) -> None:
        v = int(np.clip(v, 0, self.top))
        if self._drag == 0:
            self.set_values(min(v, self._high), self._high)
        else:
            self.set_values(self._low, max(v, self._low))


def _spin(lo: float, hi: float, value: float, step: float = 1.0, decimals: int = 0) -> Any:
    box = QDoubleSpinBox() if decimals else QSpinBox()
    if decimals:
        box.setDecimals(decimals)
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setValue(value)
    box.setKeyboardTracking(False)
    return box


class ToolOptions(QWidget):
    """The "Tool options" dock: the active classical tool's settings (see module docs).

    Signals: ``threshold_changed()``, ``region_changed(tolerance, edge_weight)``,
    ``cleanup_changed(rerun)`` (fill holes / largest part: True; min area / polygon
    tolerance, used on accept only: False), ``brush_changed(px)``, ``done_editing()`` (a
    number was typed: give the keyboard back to the canvas).
    """

    threshold_changed = Signal()
    region_changed = Signal(float, float)
    cleanup_changed = Signal(bool)
    brush_changed = Signal(int)
    done_editing = Signal()

    METHODS = (("Otsu (automatic)", "otsu"), ("Manual range", "manual"), ("Adaptive", "adaptive"))
    CHANNELS = (("Luminance", None), ("Red", 0), ("Green", 1), ("Blue", 2))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.method, self.channel = QComboBox(), QComboBox()
        for text, value in self.METHODS:
            self.method.addItem(text, value)
        for text, value in self.CHANNELS:
            self.channel.addItem(text, value)
        self.range = RangeSlider(255)
        self.low, self.high = _spin(0, 255, 0), _spin(0, 255, 255)
        self.block = _spin(1, 1001, 1, 2)
        self.block.setSpecialValueText("auto")
        self.offset = _spin(-100, 100, 0, 1, 1)
        self.invert = QCheckBox("Invert (keep the other side)")
        self.otsu = QLabel()
        self.tolerance = _spin(0, 441, 10, 1, 1)
        self.edge = _spin(0, 10, 1, 0.1, 2)
        self.brush = _spin(1, 200, 16)
        self.fill, self.largest = QCheckBox("Fill holes"), QCheckBox("Largest part only")
        self.min_px = _spin(0, 1_000_000, 10, 10)
        self.simplify = _spin(0, 20, 1, 0.25, 2)
        self.status = QLabel()
        self.groups: dict[str, QGroupBox] = {}
        rows = QHBoxLayout()
        rows.addWidget(self.low)
        rows.addWidget(QLabel("to"))
        rows.addWidget(self.high)
        # fmt: off
        layout = {
            "threshold": [("Method", self.method), ("", self.range), ("Range", rows), ("", self.otsu),
                          ("Block size", self.block), ("Offset", self.offset),
                          ("Channel", self.channel), ("", self.invert)],
            "region": [("Tolerance", self.tolerance), ("Edge weight", self.edge)],
            "scribbles": [("Scribble width", self.brush)],
            "cleanup": [("", self.fill), ("", self.largest), ("Min area (px)", self.min_px)],
            "polygon": [("Simplify (px)", self.simplify)],
        }
        titles = {"threshold": "Threshold", "region": "Region grow", "scribbles": "Scribbles",
                  "cleanup": "Clean-up", "polygon": "Outline"}
        # fmt: on
        box = QVBoxLayout(self)
        for key, items in layout.items():
            group = self.groups[key] = QGroupBox(titles[key])
            form = QFormLayout(group)
            for label, w in items:
                (form.addRow(label, w) if label else form.addRow(w))  # type: ignore[func-returns-value]
            box.addWidget(group)
        box.addWidget(self.status)
        box.addStretch(1)
        for w in (self.method, self.channel, self.invert, self.fill, self.largest):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Enter / Esc keep going to the canvas
        self.method.currentIndexChanged.connect(self._method_changed)
        self.range.changed.connect(self._range_changed)
        for w in (self.channel,):
            w.currentIndexChanged.connect(lambda _i: self.threshold_changed.emit())
        self.invert.toggled.connect(lambda _on: self.threshold_changed.emit())
        for spin in (self.low, self.high):
            spin.valueChanged.connect(self._spins_changed)
        for spin in (self.block, self.offset):
            spin.valueChanged.connect(lambda _v: self.threshold_changed.emit())
        for spin in (self.tolerance, self.edge):
            spin.valueChanged.connect(
                lambda _v: self.region_changed.emit(self.tolerance.value(), self.edge.value())
            )
        self.brush.valueChanged.connect(lambda v: self.brush_changed.emit(int(v)))
        for check in (self.fill, self.largest):
            check.toggled.connect(lambda _on: self.cleanup_changed.emit(True))
        for spin in (self.min_px, self.simplify):
            spin.valueChanged.connect(lambda _v: self.cleanup_changed.emit(False))
        for spin in self.findChildren(QAbstractSpinBox):
            spin.editingFinished.connect(self.done_editing.emit)
        self._method_changed()
        # as wide as its widest page: switching tools must not resize (and re-render) the canvas
        self.setMinimumWidth(self.sizeHint().width())

    # -- reading -------------------------------------------------------------------------------
    def threshold_params(self) -> dict[str, Any]:
        """Options for ``ThresholdTool.set_params`` (``threshold_mask`` names + invert)."""
        low, high = self.range.values()
        block = int(self.block.value())
        return {
            "method": self.method.currentData(),
            "low": low,
            "high": high,
            "block_size": None if block < 3 else block,
            "offset": float(self.offset.value()),
            "channel": self.channel.currentData(),
            "invert": self.invert.isChecked(),
        }

    def fill_holes(self) -> bool:
        return self.fill.isChecked()

    def largest_only(self) -> bool:
        return self.largest.isChecked()

    def min_area(self) -> int:
        return int(self.min_px.value())

    def polygon_tolerance(self) -> float:
        return float(self.simplify.value())

    # -- showing -------------------------------------------------------------------------------
    def show_for(self, tool: Any, image: np.ndarray | None) -> None:
        """Show the groups that apply to ``tool``; colour channels only for colour images."""
        name = tool.name
        shown = {
            "threshold": name == "threshold",
            "region": name == "region_grow",
            "scribbles": name in ("watershed", "grabcut"),
            "cleanup": name in MASK_TOOLS,
            "polygon": True,
        }
        for key, on in shown.items():
            self.groups[key].setVisible(on)
        colour = image is not None and image.ndim == 3
        for i in range(1, self.channel.count()):
            self.channel.model().item(i).setEnabled(colour)
        if not colour and self.channel.currentIndex() != 0:
            with QSignalBlocker(self.channel):
                self.channel.setCurrentIndex(0)
        # RegionGrowTool has no edge term yet: the row appears once it has ``edge_weight``
        self.groups["region"].layout().setRowVisible(self.edge, hasattr(tool, "edge_weight"))
        self.follow(tool)

    def follow(self, tool: Any) -> None:
        """Show values the tool changed itself (the tolerance set by dragging)."""
        if tool.name == "region_grow":
            tol = tool.seeds[-1][1] if tool.seeds else tool.start_tolerance
            with QSignalBlocker(self.tolerance):
                self.tolerance.setValue(tol)
        with QSignalBlocker(self.brush):
            self.brush.setValue(tool.ctx.brush_size)

    def set_histogram(self, counts: np.ndarray | None, otsu: float | None) -> None:
        """The histogram under the range slider; for Otsu, the range Otsu keeps."""
        self.range.set_histogram(counts)
        if otsu is not None and self.method.currentData() == "otsu":
            self.range.set_values(np.floor(otsu) + 1, 255, emit=False)
            self._show_range()
        self.otsu.setText("" if otsu is None else f"Otsu's threshold: {otsu:.0f}")

    def set_busy(self, busy: bool) -> None:
        if busy or self.status.text() == "Computing…":
            self.status.setText("Computing…" if busy else "")

    def set_timing(self, seconds: float) -> None:
        self.status.setText(f"Preview in {seconds * 1000:.0f} ms")

    # -- threshold controls --------------------------------------------------------------------
    def _method_changed(self, _index: int = 0) -> None:
        method = self.method.currentData()
        for w in (self.range, self.low, self.high):
            w.setEnabled(method == "manual")
        form = self.groups["threshold"].layout()
        for w in (self.block, self.offset):
            form.setRowVisible(w, method == "adaptive")  # type: ignore[attr-defined]
        self.threshold_changed.emit()

    def _show_range(self) -> None:
        low, high = self.range.values()
        with QSignalBlocker(self.low), QSignalBlocker(self.high):
            self.low.setValue(low)
            self.high.setValue(high)

    def _range_changed(self, _low: int, _high: int) -> None:
        self._show_range()
        self.threshold_changed.emit()

    def _spins_changed(self, _value: float) -> None:
        self.range.set_values(self.low.value(), self.high.value())
        self._show_range()


class ClassicalController(QObject):
    """The worker, the runner given to the tools, the options dock (see module docs)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.host = WorkerHost(Worker(), name="labeldesk-classical")
        self.timings: dict[str, list[float]] = {}  # tool name -> request-to-result seconds
        self._tool: Any = None
        self._histogram_of: tuple[Any, ...] | None = None
        self.options = ToolOptions(window)
        self.dock = QDockWidget("Tool options", window)
        self.dock.setObjectName("dock.tool_options")
        self.dock.setWidget(self.options)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        files = getattr(window, "docks", {}).get("files")
        if files is not None:  # under the file list, which rarely needs the whole height
            window.splitDockWidget(files, self.dock, Qt.Orientation.Vertical)
        self.dock.hide()
        self.options.threshold_changed.connect(self._threshold_params)
        self.options.cleanup_changed.connect(self._cleanup_changed)
        self.options.region_changed.connect(self._region_params)
        self.options.done_editing.connect(lambda: window.canvas.setFocus())
        self.options.brush_changed.connect(lambda px: setattr(window.ctx, "brush_size", px))
        self.host.busy_changed.connect(self.options.set_busy)
        window.canvas.hint_changed.connect(lambda _hint: self.sync())
        window.session.loaded.connect(self._on_loaded)
        self._canvas, self._viewport = window.canvas, window.canvas.viewport()
        self._canvas.installEventFilter(self)
        self._viewport.installEventFilter(self)
        window.installEventFilter(self)
        window.destroyed.connect(self._host_stopper())
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)
        # restoreState() in apply_settings() may show the dock for a non-classical tool
        QTimer.singleShot(0, self, self._hide_if_idle)

    # -- the runner --------------------------------------------------------------------------
    def runner(self, name: str, *, clean: bool = True) -> Runner:
        """A runner for tool ``name``: ``job`` runs in the worker thread, the newest request
        of that tool wins, a ValueError becomes the result, the clean-up options are applied
        there, and ``done`` runs in the GUI thread."""

        def run(job: Callable[[], Any], done: Callable[[Any], None]) -> None:
            if not self.host.is_running():
                return  # the window is closing
            fill, largest = (self.options.fill_holes(), self.options.largest_only())
            start = time.perf_counter()

            def work() -> Any:
                try:
                    out = job()
                except ValueError as exc:
                    return exc
                if clean and isinstance(out, np.ndarray) and out.dtype == bool:
                    out = cleanup(out, fill=fill, largest=largest)
                return out

            def finish(result: Any) -> None:
                if not isinstance(result, Exception):
                    runs = self.timings.setdefault(name, [])
                    runs.append(time.perf_counter() - start)
                    del runs[:-50]
                    self.options.set_timing(runs[-1])
                try:
                    done(result)
                except LabeldeskError as exc:  # accept-when-ready refused the shape
                    self.window.show_message(str(exc), "status")

            self.host.submit(
                work,
                key=f"classical.{name}",
                on_result=finish,
                on_error=lambda message: finish(RuntimeError(message)),
            )

        return run

    # -- following the active tool -------------------------------------------------------------
    def classical_tool(self) -> Any:
        """The active tool when it is one of ours, else None."""
        tool = self.window.canvas.tool()
        return tool if tool is not None and tool.name in ACTIONS else None

    def sync(self) -> None:
        """Give a newly active tool our runner and options; show or hide the dock."""
        tool = self.classical_tool()
        if tool is self._tool:
            return
        if self._tool is not None:
            self._tool.changed.disconnect(self._on_tool_event)
        self._tool, self._histogram_of = tool, None
        if tool is None:
            self.dock.hide()
            return
        if hasattr(tool, "runner"):
            tool.runner = self.runner(tool.name, clean=tool.name in MASK_TOOLS)
        if isinstance(tool, AcceptInWorker):
            tool.accept_runner = self.runner(f"{tool.name}.accept", clean=False)
        self._apply_cleanup(tool)
        self.options.show_for(tool, self.window.ctx.image())
        self.dock.setWindowTitle(f"Tool options: {tool.title}")
        self.dock.show()
        tool.changed.connect(self._on_tool_event)
        if tool.name == "threshold" and not tool.busy():
            self._threshold_params()

    def _on_tool_event(self, _event: Any) -> None:
        tool = self._tool
        if tool is None:
            return
        self.options.follow(tool)
        if tool.name == "threshold":
            self._request_histogram(tool)

    def _request_histogram(self, tool: Any) -> None:
        """Histogram and Otsu's threshold of the plane the threshold tool works on (its box)."""
        img = self.window.ctx.image()
        channel = self.options.threshold_params()["channel"]
        what = (id(img), channel, tool.box)
        if img is None or what == self._histogram_of:
            return
        self._histogram_of = what
        box = tool.box

        def job() -> tuple[np.ndarray, float]:
            sub = img[..., :3] if img.ndim == 3 else img
            if box is not None:
                sub = sub[box[1] : box[3] + 1, box[0] : box[2] + 1]
            if channel is not None:
                plane = sub[..., channel]
            else:
                plane = cv2.cvtColor(sub, cv2.COLOR_RGB2GRAY) if sub.ndim == 3 else sub
            counts = cv2.calcHist([np.ascontiguousarray(plane)], [0], None, [256], [0, 256])
            return counts.ravel(), alg.otsu_threshold(sub, channel=channel)

        self.host.submit(
            job,
            key="classical.histogram",
            on_result=lambda r: self.options.set_histogram(*r),
            on_error=lambda _m: self.options.set_histogram(None, None),
        )

    def _hide_if_idle(self) -> None:
        if self.classical_tool() is None:
            self.dock.hide()

    def _on_loaded(self) -> None:
        tool = self.classical_tool()
        if tool is not None:
            self.options.show_for(tool, self.window.ctx.image())
            if tool.name == "threshold":
                self._threshold_params()

    def _threshold_params(self) -> None:
        tool = self.classical_tool()
        if tool is not None and tool.name == "threshold" and self.window.session.doc is not None:
            params = self.options.threshold_params()
            tool.set_params(invert=params.pop("invert"), **params)
            self._request_histogram(tool)

    def _region_params(self, tolerance: float, edge_weight: float) -> None:
        tool = self.classical_tool()
        if tool is None or tool.name != "region_grow":
            return
        tool.start_tolerance = tolerance
        if hasattr(tool, "edge_weight"):
            tool.edge_weight = edge_weight
        if tool.seeds:
            tool.seeds[-1] = (tool.seeds[-1][0], tolerance)
            tool.run()

    def _apply_cleanup(self, tool: Any) -> None:
        """Clean-up happens in the runner; the tool keeps only the accept-time options."""
        if isinstance(tool, ClassicalTool):
            tool.fill_holes = tool.largest_only = False
            tool.min_area = self.options.min_area()
        tool.tolerance = self.options.polygon_tolerance()

    def _cleanup_changed(self, rerun: bool) -> None:
        tool = self.classical_tool()
        if tool is None:
            return
        self._apply_cleanup(tool)
        if rerun and tool.name == "threshold":
            self._threshold_params()  # like any threshold option: preview again
        elif rerun and isinstance(tool, ClassicalTool) and tool.mask is not None:
            tool.run()

    # -- guards: a seed outside the image, Enter with nothing to accept ------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Close and obj is self.window:
            QTimer.singleShot(0, self._after_close)
        elif kind == QEvent.Type.MouseButtonPress and obj is self._viewport:
            return self._seed_outside(event)
        elif kind == QEvent.Type.KeyPress and obj is self._canvas:
            return self._nothing_to_accept(event)
        return False

    def _seed_outside(self, event: Any) -> bool:
        """Region grow: a press outside the image is refused with a message (not clamped)."""
        tool = self.classical_tool()
        if tool is None or tool.name != "region_grow" or self.window.session.doc is None:
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        x, y = self._canvas.widget_to_image(event.position().x(), event.position().y())
        if self._canvas.image_rect().contains(x, y):
            return False
        self.window.show_message(
            f"{tool.title}: the seed ({x:.0f}, {y:.0f}) is outside the image; press on the object",
            "status",
        )
        return True

    def _nothing_to_accept(self, event: Any) -> bool:
        """Enter before there is a result: say what is missing."""
        tool = self.classical_tool()
        if tool is None or self.window.session.doc is None:
            return False
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter) or (
            event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            return False
        if isinstance(tool, LiveWireTool):
            empty = not tool.anchors
        else:
            empty = tool.mask is None and not self.host.is_busy()
        if empty:
            what = tool.hint.split(": ", 1)[-1]
            self.window.show_message(f"{tool.title}: nothing to accept yet ({what})", "status")
        return empty

    # -- the end -------------------------------------------------------------------------------
    def _after_close(self) -> None:
        try:
            visible = self.window.isVisible()
        except RuntimeError:  # the window is gone
            visible = False
        if not visible:
            self.stop()

    def _host_stopper(self) -> Callable[..., None]:
        host = self.host  # not self: the controller dies with the window

        def stop(*_args: Any) -> None:
            try:
                if host.is_running():
                    host.stop()
            except RuntimeError:  # Qt objects already gone (interpreter exit)
                pass

        return stop

    def stop(self) -> None:
        """End the worker thread (idempotent); called when the window closes or the app quits."""
        if self.host.is_running():
            self.host.stop()


# -- installation ------------------------------------------------------------------------------
def _declare(manager: ActionManager, spec: ActionSpec) -> None:
    """Create ``spec``'s QAction, or take over a plain declaration of the same id (the tool
    loop in builtin_actions declares every tool registered before the window was built)."""
    if spec.id not in manager.actions:
        manager.add(spec)
        return
    manager.registry._specs[spec.id] = spec  # noqa: SLF001 - ActionRegistry has no replace()
    action = manager.actions[spec.id]
    action.setText(spec.text)
    action.setToolTip(spec.tip)
    manager.bindings[spec.id] = [normalize(s) for s in spec.shortcuts]
    action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
    colors = getattr(manager, "_colors", None)
    if colors is not None:
        manager.refresh_icons(*colors)


def install(window: Any) -> ClassicalController:
    """Add the classical tools to ``window`` (a MainWindow); returns the controller."""
    for cls in (AppThreshold, AppRegionGrow, AppWatershed, AppGrabCut, BackgroundLiveWire):
        TOOLS[cls.name] = cls  # the app's versions: their heavy work runs in our worker
    ctl = ClassicalController(window)
    manager = window.actions
    for name, (key, icon, tip) in ACTIONS.items():
        taken = {
            normalize(s)
            for other, seqs in manager.bindings.items()
            if other != f"tool.{name}"
            for s in seqs
        }
        keys = tuple(k for k in (key,) if normalize(k) not in taken)
        title = TOOLS[name].title
        spec = ActionSpec(
            f"tool.{name}",
            title,
            "Tools",
            lambda w, n=name: w.set_tool(n),
            keys,
            icon,
            tip=f"{tip} ({', '.join(keys)})" if keys else tip,
            section=1,
            checkable=True,
            group="tools",
            toolbar="tools",
        )
        _declare(manager, spec)
        manager[spec.id].toggled.connect(lambda _on: ctl.sync())
    window.classical = ctl
    return ctl
