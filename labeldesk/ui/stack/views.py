"""Cross-sections of a volume beside the slice being labeled: the plane through the cursor's
row (coronal for axial slices) and column (sagittal), drawn with the aspect the voxel spacing
gives, the current slice marked; a click on either jumps to the slice clicked."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

WIDTH = 260  # screen pixels across each view
MAX_HEIGHT = 2 * WIDTH  # a tall plane (many slices, few columns) is narrowed to keep its aspect


class PlaneView(QLabel):
    """One cross-section; ``clicked(slice)``."""

    clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._rows = 0
        self._flip = False

    def show_plane(self, rgb: np.ndarray, rows: int, flip: bool) -> None:
        self._rows, self._flip = rows, flip
        h, w = rgb.shape[:2]
        image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.setPixmap(QPixmap.fromImage(image))
        self.setFixedSize(w, h)

    def slice_at(self, y: float) -> int:
        """The slice under widget row ``y``."""
        if self._rows == 0 or self.height() == 0:
            return 0
        k = int(y * self._rows / self.height())
        k = min(max(k, 0), self._rows - 1)
        return self._rows - 1 - k if self._flip else k

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.clicked.emit(self.slice_at(event.position().y()))


class CrossViews(QWidget):
    """Both cross-sections; ``frame_chosen(int)``."""

    frame_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row_view, self.column_view = PlaneView(self), PlaneView(self)
        self.row_title, self.column_title = QLabel(self), QLabel(self)
        box = QHBoxLayout(self)
        box.setContentsMargins(4, 2, 4, 2)
        for title, view in ((self.row_title, self.row_view), (self.column_title, self.column_view)):
            col = QVBoxLayout()
            col.addWidget(title)
            col.addWidget(view)
            col.addStretch(1)
            box.addLayout(col)
            view.clicked.connect(self.frame_chosen)
        box.addStretch(1)
        self.setMinimumWidth(2 * WIDTH + 24)  # the dock takes its room when shown, not later

    def update_views(
        self,
        section: Callable[[str, int], np.ndarray],
        display: Callable[[np.ndarray], np.ndarray],
        spacing: tuple[float, float, float],
        cursor: tuple[int, int],
        frame: int,
        flip: bool,
    ) -> None:
        """Redraw for the cursor ``(x, y)`` (frame pixels) and the current ``frame``."""
        sx, sy, sz = spacing
        x, y = cursor
        for view, title, axis, index, across in (
            (self.row_view, self.row_title, "row", y, sx),
            (self.column_view, self.column_title, "column", x, sy),
        ):
            plane = display(section(axis, index))  # (slices, n) uint8
            rows, cols = plane.shape[:2]
            tall = WIDTH * rows * sz / max(cols * across, 1e-9)
            width = WIDTH if tall <= MAX_HEIGHT else max(1, round(WIDTH * MAX_HEIGHT / tall))
            height = max(1, round(min(tall, MAX_HEIGHT)))
            small = cv2.resize(plane, (width, height), interpolation=cv2.INTER_LINEAR)
            rgb = np.dstack([small] * 3) if small.ndim == 2 else small[..., :3].copy()
            rgb[min(height - 1, int((frame + 0.5) * height / rows))] = (255, 60, 60)
            if flip:  # the last slice on top (superior up for axial slices)
                rgb = rgb[::-1]
            view.show_plane(np.ascontiguousarray(rgb), rows, flip)
            name = "y" if axis == "row" else "x"
            title.setText(f"{'Coronal' if axis == 'row' else 'Sagittal'} plane at {name} = {index}")
