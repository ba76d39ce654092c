"""The "Tool options" dock of the classical tools: a two-handle range slider over the
histogram, threshold method / channel / invert, region-grow tolerance and edge weight,
scribble width, clean-up (fill holes, largest part, minimum area) and polygon simplification.

The dock only shows and reads values; :class:`~labeldesk.ui.classical.controller.
ClassicalController` passes them to the active tool.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
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

MASK_TOOLS = ("threshold", "region_grow", "watershed", "grabcut")  # tools with a mask result


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
        # the row shows for a region-grow tool with an edge term (``edge_weight``)
        self.groups["region"].layout().setRowVisible(self.edge, hasattr(tool, "edge_weight"))
        self.follow(tool)

    def follow(self, tool: Any) -> None:
        """Show the tool's own values (the tolerance set by dragging, its edge weight)."""
        if tool.name == "region_grow":
            tol = tool.seeds[-1][1] if tool.seeds else tool.start_tolerance
            with QSignalBlocker(self.tolerance):
                self.tolerance.setValue(tol)
            if hasattr(tool, "edge_weight"):
                with QSignalBlocker(self.edge):
                    self.edge.setValue(tool.edge_weight)
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
