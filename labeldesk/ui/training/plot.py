"""The training dialog's live plot: loss per step above the validation IoU (pyqtgraph)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget


def smoothed(values: list[float]) -> np.ndarray:
    """Centred moving average over about 1/30 of the points (shorter at the ends), so the
    smoothed curve does not lag behind the raw one."""
    v = np.asarray(values, np.float64)
    half = len(v) // 60
    if half < 1:
        return v
    c = np.concatenate([[0.0], np.cumsum(v)])
    i = np.arange(len(v))
    lo, hi = np.maximum(0, i - half), np.minimum(len(v), i + half + 1)
    return (c[hi] - c[lo]) / (hi - lo)


class LivePlot(QWidget):
    """Loss per step (raw, and smoothed) above the validation IoU (mean, and per class), on a
    shared step axis. Points are buffered and drawn at most ~7 times a second."""

    def __init__(self, parent: QWidget | None = None) -> None:
        import pyqtgraph as pg  # imported on first use: it costs about half a second

        super().__init__(parent)
        self.pg = pg
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setMinimumHeight(240)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view)
        self.loss_plot = self.view.addPlot(row=0, col=0)
        self.iou_plot = self.view.addPlot(row=1, col=0)
        self.iou_plot.setXLink(self.loss_plot)
        self.loss_plot.setLabel("left", "loss")
        self.iou_plot.setLabel("left", "validation IoU")
        self.iou_plot.setLabel("bottom", "step")
        self.iou_plot.setYRange(-0.07, 1.07, padding=0)
        self.iou_plot.getViewBox().setMouseEnabled(y=False)
        ticks = [(v, f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1.0)]
        self.iou_plot.getAxis("left").setTicks([ticks])
        self.legend = self.iou_plot.addLegend(offset=(8, 4), colCount=6)
        for p in (self.loss_plot, self.iou_plot):
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setMenuEnabled(False)
            p.getAxis("left").setWidth(48)
        self.raw = self.loss_plot.plot(pen=pg.mkPen((128, 128, 128, 110), width=1))
        self.smooth = self.loss_plot.plot(pen=pg.mkPen((13, 110, 253), width=2))
        self.best_lines = [pg.InfiniteLine(angle=90, pen=pg.mkPen((46, 160, 67), width=1,
                           style=Qt.PenStyle.DashLine)) for _ in range(2)]  # fmt: skip
        self.loss_plot.addItem(self.best_lines[0])
        self.iou_plot.addItem(self.best_lines[1])
        self.mean_curve: Any = None
        self.class_curves: dict[str, Any] = {}
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.val_steps: list[int] = []
        self.val_mean: list[float] = []
        self.val_class: dict[str, list[float]] = {}
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.refresh)
        self.reset({})

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        self.view.setBackground(pal.color(QPalette.ColorRole.Base))
        self.legend.setLabelTextColor(text)
        for p in (self.loss_plot, self.iou_plot):
            for side in ("left", "bottom"):
                p.getAxis(side).setTextPen(text)
                p.getAxis(side).setPen(text)
        self._timer.start()  # redraw only while shown
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._timer.stop()
        super().hideEvent(event)

    def reset(self, class_colors: dict[str, tuple[int, int, int]]) -> None:
        """Forget every point; one IoU curve per class, in its colour."""
        pg = self.pg
        self.steps, self.losses = [], []
        self.val_steps, self.val_mean = [], []
        self.legend.clear()
        for curve in [self.mean_curve, *self.class_curves.values()]:
            if curve is not None:
                self.iou_plot.removeItem(curve)
        self.mean_curve = self.iou_plot.plot(
            pen=pg.mkPen((13, 110, 253), width=2.5), symbol="o", symbolSize=6,
            symbolBrush=(13, 110, 253), name="mean",
        )  # fmt: skip
        self.class_curves = {
            name: self.iou_plot.plot(pen=pg.mkPen(color, width=1.6), name=name)
            for name, color in class_colors.items()
        }
        self.val_class = {name: [] for name in class_colors}
        for line in self.best_lines:
            line.hide()
        self._dirty = True
        self.refresh()

    def add_step(self, step: int, loss: float) -> None:
        self.steps.append(step)
        self.losses.append(loss)
        self._dirty = True

    def add_validation(
        self, step: int, mean_iou: float, iou: dict[str, float | None], best: bool
    ) -> None:
        self.val_steps.append(step)
        self.val_mean.append(mean_iou)
        for name, values in self.val_class.items():
            v = iou.get(name)
            values.append(float("nan") if v is None else v)
        if best:
            for line in self.best_lines:
                line.setValue(step)
                line.show()
        self._dirty = True

    def refresh(self) -> None:
        """Draw the buffered points (the timer calls this; tests may too)."""
        if not self._dirty:
            return
        self._dirty = False
        self.raw.setData(self.steps, self.losses)
        self.smooth.setData(self.steps, smoothed(self.losses))
        self.mean_curve.setData(self.val_steps, self.val_mean)
        for name, curve in self.class_curves.items():
            curve.setData(self.val_steps, self.val_class[name], connect="finite")
