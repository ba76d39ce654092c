"""The "Tool options" dock: it renders the active tool's declared options.

Each tool lists its settings as :class:`~labeldesk.core.tools.options.Option` entries; the
dock builds one widget per option name (shared by the tools that declare it, so a value
carries over), grouped in boxes by ``group``, and shows the rows of the active tool. A
``"range"`` option is a two-handle slider over the tool's histogram. The dock has no code for
any particular tool: it shows and reads values, and
:class:`~labeldesk.ui.tools.controller.ToolController` passes them to the tool.
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

from labeldesk.core.tools import TOOLS
from labeldesk.core.tools.options import Option, holds


class RangeSlider(QWidget):
    """Two handles on one groove over an optional histogram: ``(low, high)`` ints in
    ``[bottom, top]``, ``low <= high``. Drag a handle; a press moves the nearer one there.
    The bounds follow the image (:meth:`set_bounds`: a 16-bit image spans its own values)."""

    changed = Signal(int, int)

    def __init__(self, top: int = 255, parent: QWidget | None = None, bottom: int = 0) -> None:
        super().__init__(parent)
        self.bottom, self.top = bottom, top
        self._low, self._high = bottom, top
        self._drag: int | None = None  # 0: the low handle, 1: the high one
        self._hist: np.ndarray | None = None
        self.setMinimumSize(160, 56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Enter keeps going to the canvas

    def values(self) -> tuple[int, int]:
        return self._low, self._high

    def set_bounds(self, bottom: int, top: int) -> None:
        """Span ``[bottom, top]``; the handles go to the ends (values of another range mean
        nothing here). Emits nothing."""
        bottom, top = int(bottom), max(int(top), int(bottom) + 1)
        if (bottom, top) != (self.bottom, self.top):
            self.bottom, self.top = bottom, top
            self._low, self._high = bottom, top
            self._hist = None
            self.update()

    def set_values(self, low: float, high: float, *, emit: bool = True) -> None:
        low, high = sorted(int(np.clip(round(v), self.bottom, self.top)) for v in (low, high))
        if (low, high) != (self._low, self._high):
            self._low, self._high = low, high
            self.update()
            if emit:
                self.changed.emit(low, high)

    def set_histogram(self, counts: np.ndarray | None) -> None:
        """Pixel counts in equal bins over ``[bottom, top + 1)`` (one per value for 8-bit),
        drawn behind the groove (square-root scaled)."""
        self._hist = counts
        self.update()

    def _x(self, v: float) -> float:
        return 7 + (v - self.bottom) / (self.top - self.bottom) * (self.width() - 14)

    def _value(self, x: float) -> int:
        span = self.top - self.bottom
        return self.bottom + int(round((x - 7) / max(1, self.width() - 14) * span))

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
            per_bin = (self.top - self.bottom + 1) / len(bars)
            for i, b in enumerate(bars):
                v = self.bottom + i * per_bin
                inside = self._low <= v <= self._high
                p.fillRect(QRectF(self._x(v), gy - 8 - b, step, b), on if inside else off)
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
        v = int(np.clip(v, self.bottom, self.top))
        if self._drag == 0:
            self.set_values(min(v, self._high), self._high)
        else:
            self.set_values(self._low, max(v, self._low))


def _spin(opt: Option) -> QAbstractSpinBox:
    box: Any = QDoubleSpinBox() if opt.kind == "float" else QSpinBox()
    if opt.kind == "float":
        box.setDecimals(opt.decimals)
        box.setRange(opt.low, opt.high)
        box.setSingleStep(opt.step)
    else:
        box.setRange(int(opt.low), int(opt.high))
        box.setSingleStep(int(opt.step))
    box.setValue(opt.default)
    box.setKeyboardTracking(False)
    if opt.special:
        box.setSpecialValueText(opt.special)
    return box


class RangeEditor(QWidget):
    """A ``"range"`` option: the slider over the histogram, the two numbers, a note line."""

    changed = Signal()

    def __init__(self, opt: Option, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        top = int(opt.high)
        self.slider = RangeSlider(top)
        self.low, self.high = QSpinBox(), QSpinBox()
        for spin, v in ((self.low, opt.default[0]), (self.high, opt.default[1])):
            spin.setRange(int(opt.low), top)
            spin.setValue(int(v))
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._spins_changed)
        self.slider.set_values(*opt.default, emit=False)
        self.note = QLabel()
        rows = QHBoxLayout()
        rows.addWidget(self.low)
        rows.addWidget(QLabel("to"))
        rows.addWidget(self.high)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.slider)
        box.addLayout(rows)
        box.addWidget(self.note)
        self.slider.changed.connect(self._slider_changed)

    def value(self) -> tuple[int, int]:
        return self.slider.values()

    def set_value(self, value: tuple[int, int]) -> None:
        self.slider.set_values(*value, emit=False)
        self._show()

    def set_bounds(self, low: int, high: int) -> bool:
        """Span ``[low, high]`` (the image's values); when that changes, the range becomes all
        of it. Returns whether it changed. Emits nothing."""
        before = (self.slider.bottom, self.slider.top)
        self.slider.set_bounds(low, high)
        if (self.slider.bottom, self.slider.top) == before:
            return False
        for spin in (self.low, self.high):
            with QSignalBlocker(spin):
                spin.setRange(self.slider.bottom, self.slider.top)
        self._show()
        return True

    def set_editable(self, on: bool) -> None:
        for w in (self.slider, self.low, self.high):
            w.setEnabled(on)

    def _show(self) -> None:
        low, high = self.slider.values()
        with QSignalBlocker(self.low), QSignalBlocker(self.high):
            self.low.setValue(low)
            self.high.setValue(high)

    def _slider_changed(self, _low: int, _high: int) -> None:
        self._show()
        self.changed.emit()

    def _spins_changed(self, _value: int) -> None:
        self.slider.set_values(self.low.value(), self.high.value())
        self._show()


class ToolOptions(QWidget):
    """The "Tool options" dock (see module docs).

    ``widgets``: option name -> its widget; ``groups``: group title -> its box; ``options``:
    option name -> its declaration. Signals: ``changed(name)`` (the person changed option
    ``name``), ``done_editing()`` (a number was typed: give the keyboard back to the canvas).
    """

    changed = Signal(str)
    done_editing = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options: dict[str, Option] = {}
        self.widgets: dict[str, QWidget] = {}
        self.groups: dict[str, QGroupBox] = {}
        self._forms: dict[str, QFormLayout] = {}
        self._shown: tuple[Option, ...] = ()
        self.status = QLabel()
        self._box = QVBoxLayout(self)
        self._box.addWidget(self.status)
        self._box.addStretch(1)
        for cls in TOOLS.values():  # every registered tool's options, in declaration order
            for opt in cls.options:
                self.add_option(opt)
        # as wide as its widest page: switching tools must not resize (and re-render) the canvas
        self.setMinimumWidth(self.sizeHint().width())

    # -- building ------------------------------------------------------------------------------
    def add_option(self, opt: Option) -> None:
        """Make the widget of ``opt`` (once per name; a later declaration shares it)."""
        if opt.name in self.options:
            return
        self.options[opt.name] = opt
        group = self.groups.get(opt.group)
        if group is None:
            group = self.groups[opt.group] = QGroupBox(opt.group)
            self._forms[opt.group] = QFormLayout(group)
            self._box.insertWidget(len(self.groups) - 1, group)  # above the status line
        w: Any
        if opt.kind == "bool":
            w = QCheckBox(opt.label)
            w.setChecked(bool(opt.default))
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Enter / Esc keep going to the canvas
            w.toggled.connect(lambda _on, n=opt.name: self._changed(n))
            self._forms[opt.group].addRow(w)
        else:
            if opt.kind == "choice":
                w = QComboBox()
                for text, value in opt.choices:
                    w.addItem(text, value)
                w.setCurrentIndex(max(0, w.findData(opt.default)))
                w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                w.currentIndexChanged.connect(lambda _i, n=opt.name: self._changed(n))
            elif opt.kind == "range":
                w = RangeEditor(opt)
                w.changed.connect(lambda n=opt.name: self._changed(n))
            else:
                w = _spin(opt)
                w.valueChanged.connect(lambda _v, n=opt.name: self._changed(n))
            self._forms[opt.group].addRow(opt.label, w)
        for spin in [w] if isinstance(w, QAbstractSpinBox) else w.findChildren(QAbstractSpinBox):
            spin.editingFinished.connect(self.done_editing.emit)
        self.widgets[opt.name] = w

    # -- reading -------------------------------------------------------------------------------
    def value(self, name: str) -> Any:
        """The value option ``name`` shows."""
        w: Any = self.widgets[name]
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, RangeEditor):
            return w.value()
        return w.value()

    def values(self, options: tuple[Option, ...] | None = None) -> dict[str, Any]:
        """Name -> value of ``options`` (default: the ones shown)."""
        return {o.name: self.value(o.name) for o in (self._shown if options is None else options)}

    def set_value(self, name: str, value: Any) -> None:
        """Show ``value`` for option ``name`` without emitting ``changed``."""
        w: Any = self.widgets[name]
        with QSignalBlocker(w):
            if isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, QComboBox):
                w.setCurrentIndex(max(0, w.findData(value)))
            elif isinstance(w, RangeEditor):
                w.set_value(value)
            else:
                w.setValue(value)
        self._update_rows()

    def _changed(self, name: str) -> None:
        self._update_rows()
        self.changed.emit(name)

    # -- showing -------------------------------------------------------------------------------
    def show_for(self, tool: Any, image: np.ndarray | None) -> None:
        """Show the rows of ``tool``'s options; colour-only choices only for colour images."""
        for opt in tool.options:
            self.add_option(opt)  # a tool registered after the dock was built
        self._shown = tuple(tool.options)
        names = {o.name for o in self._shown}
        for title, group in self.groups.items():
            form = self._forms[title]
            rows = [o for o in self.options.values() if o.group == title]
            group.setVisible(any(o.name in names for o in rows))
            for o in rows:
                form.setRowVisible(self.widgets[o.name], o.name in names)
        colour = image is not None and image.ndim == 3
        for opt in self._shown:
            if opt.kind == "choice" and opt.colour_only:
                w: Any = self.widgets[opt.name]
                for i in range(w.count()):
                    if w.itemData(i) in opt.colour_only:
                        w.model().item(i).setEnabled(colour)
                if not colour and w.currentData() in opt.colour_only:
                    w.setCurrentIndex(0)
        self._update_rows()
        self.follow(tool)

    def _update_rows(self) -> None:
        """Apply ``visible_if`` / ``enabled_if`` of the options shown."""
        values = {o.name: self.value(o.name) for o in self._shown}
        for opt in self._shown:
            w: Any = self.widgets[opt.name]
            if opt.visible_if is not None:
                self._forms[opt.group].setRowVisible(w, holds(opt.visible_if, values))
            on = holds(opt.enabled_if, values)
            if isinstance(w, RangeEditor):
                w.set_editable(on)
            else:
                w.setEnabled(on)

    def follow(self, tool: Any) -> None:
        """Show the values the tool changes itself (``live`` options)."""
        for opt in self._shown:
            if opt.live:
                self.set_value(opt.name, tool.option(opt.name))

    def set_histogram(self, counts: np.ndarray | None, split: float | None, note: str) -> None:
        """The histogram under the range options shown; while one is not editable it shows
        the range the tool's own ``split`` keeps."""
        for opt in self._shown:
            if opt.kind != "range":
                continue
            w: Any = self.widgets[opt.name]
            w.slider.set_histogram(counts)
            if split is not None and not w.slider.isEnabled():
                w.set_value((np.floor(split) + 1, w.slider.top))
            w.note.setText(note)

    def set_bounds(self, name: str, bounds: tuple[int, int] | None) -> bool:
        """The span of the ``"range"`` option ``name`` for the open image (None: its declared
        ``low`` / ``high``); see :meth:`RangeEditor.set_bounds`."""
        w: Any = self.widgets.get(name)
        if not isinstance(w, RangeEditor):
            return False
        opt = self.options[name]
        low, high = bounds if bounds is not None else (int(opt.low), int(opt.high))
        return w.set_bounds(low, high)

    def set_busy(self, busy: bool) -> None:
        if busy or self.status.text() == "Computing…":
            self.status.setText("Computing…" if busy else "")

    def set_timing(self, seconds: float) -> None:
        self.status.setText(f"Preview in {seconds * 1000:.0f} ms")
