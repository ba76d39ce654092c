"""Cross-sections of a volume beside the slice being labeled: the plane through the cursor's
row (coronal for axial slices) and column (sagittal), drawn with the aspect the voxel spacing
gives, the current slice marked; a click on either jumps to the slice clicked."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

WIDTH = 260  # screen pixels across each view
MAX_HEIGHT = 2 * WIDTH  # a tall plane (many slices, few columns) is narrowed to keep its aspect
DOCK_HEIGHT = 260  # the dock's first height: Layers and Classes keep their room (scrolls)
MIN_DOCK_HEIGHT = 180  # enough to see a plane (and its red line) at once


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
        self.line_y = 0

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
            line = min(height - 1, int((frame + 0.5) * height / rows))
            rgb[line] = (255, 60, 60)
            if flip:  # the last slice on top (superior up for axial slices)
                rgb = rgb[::-1]
                line = height - 1 - line
            self.line_y = line  # the red line's row in the views (the dock scrolls to it)
            view.show_plane(np.ascontiguousarray(rgb), rows, flip)
            name = "y" if axis == "row" else "x"
            title.setText(f"{'Coronal' if axis == 'row' else 'Sagittal'} plane at {name} = {index}")


class CrossViewsArea(QScrollArea):
    """The cross-sections in a scroll area that asks for :data:`DOCK_HEIGHT` at most, so a
    volume's dock does not squeeze the docks beside it (drag its edge for more)."""

    def __init__(self, views: CrossViews, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidget(views)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(views.minimumWidth() + self.verticalScrollBar().sizeHint().width())

    def follow(self) -> None:
        """Scroll so that the current frame's red line is in view."""
        views = self.widget()
        assert isinstance(views, CrossViews)
        self.ensureVisible(0, views.row_view.y() + views.line_y, 0, 40)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        return QSize(hint.width(), min(hint.height(), DOCK_HEIGHT))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.minimumWidth(), MIN_DOCK_HEIGHT)
