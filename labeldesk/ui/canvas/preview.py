"""Drawing a tool's :class:`~labeldesk.core.tools.base.Preview` over the image."""

from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, qRgba
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from labeldesk.core.classes import ClassCatalogue
from labeldesk.core.tools.base import Preview
from labeldesk.ui.canvas.raster import entry_from_shape
from labeldesk.ui.canvas.shapes import draw_entry, draw_handles, path_from_points

HUGE = 1e9


def contrast_color(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black for a light colour, white for a dark one."""
    r, g, b = rgb
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


EDGE_MAX_PIXELS = 16_000_000  # larger previews skip the edge (it would cost the GUI thread)


def mask_with_edge(mask: np.ndarray) -> np.ndarray:
    """``(h, w)`` uint8: 0 outside, 1 inside, 2 on the mask's one-pixel inner edge (no edge
    for masks over :data:`EDGE_MAX_PIXELS`)."""
    if mask.size > EDGE_MAX_PIXELS:
        return np.ascontiguousarray(mask).view(np.uint8)
    inside = np.ascontiguousarray(mask, dtype=np.uint8)
    padded = cv2.copyMakeBorder(inside, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    core = cv2.erode(padded, np.ones((3, 3), np.uint8))[1:-1, 1:-1]
    out = inside.copy()
    out[(inside == 1) & (core == 0)] = 2
    return out


class PreviewItem(QGraphicsItem):
    """Draws the active tool's preview (scene units = image pixels), above everything else."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(10)
        self.preview: Preview | None = None
        self.classes: ClassCatalogue | None = None
        self._mask_img: QImage | None = None
        self._mask_ref: np.ndarray | None = None

    def set_preview(self, preview: Preview | None, classes: ClassCatalogue | None) -> None:
        self.preview, self.classes = preview, classes
        self._mask_img = self._mask_ref = None
        if preview is not None and preview.mask is not None and preview.mask.size:
            ref = mask_with_edge(preview.mask)
            h, w = ref.shape
            img = QImage(ref.data, w, h, ref.strides[0], QImage.Format.Format_Indexed8)
            r, g, b = (200, 200, 200) if preview.mask_erase else preview.color
            er, eg, eb = contrast_color((r, g, b))
            # the edge in a contrasting colour: the result stays visible over objects of the
            # same class colour (issue 11, item 5)
            img.setColorTable([qRgba(0, 0, 0, 0), qRgba(r, g, b, 150), qRgba(er, eg, eb, 255)])
            self._mask_img, self._mask_ref = img, ref
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(-HUGE / 2, -HUGE / 2, HUGE, HUGE)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        pv = self.preview
        if pv is None:
            return
        xf = painter.worldTransform()
        s = math.hypot(xf.m11(), xf.m12())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        color = QColor(*pv.color)
        if self._mask_img is not None:
            x0, y0 = pv.mask_origin
            h, w = self._mask_ref.shape
            painter.drawImage(QRectF(x0, y0, w, h), self._mask_img)
        for g in pv.ghosts:
            rgb = self.classes.color_of(g.label) if self.classes is not None else pv.color
            e = entry_from_shape(g, rgb)
            draw_entry(painter, e, s)
            draw_handles(painter, None if g.shape_type == "mask" else g.points, QColor(*e.rgb), s)
        pen = QPen(color, 2.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        fill = QColor(color)
        fill.setAlpha(60)
        for poly in pv.polygons:
            if len(poly) >= 2:
                painter.setBrush(fill)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.drawPath(path_from_points(np.asarray(poly), True))
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        halo = QPen(QColor(*contrast_color(pv.color), 200), 4.0)
        halo.setCosmetic(True)
        for line in pv.polylines:  # strokes: a contrasting halo under the class colour
            if len(line) >= 2:
                path = path_from_points(np.asarray(line), False)
                painter.setPen(halo)
                painter.drawPath(path)
                painter.setPen(pen)
                painter.drawPath(path)
        edge = QPen(QColor(*contrast_color(pv.color)), 1.5)
        edge.setCosmetic(True)
        for cx, cy, r in pv.circles:  # background beads: outlined, never lost in the overlay
            painter.setPen(edge)
            painter.setBrush(fill)
            painter.drawEllipse(QPointF(cx, cy), r, r)
        painter.setPen(pen)
        draw_handles(painter, pv.points, color, s)
        if pv.marker is not None:
            draw_handles(painter, np.array([pv.marker]), QColor(255, 255, 255), s, size=12.0)
        if pv.rect is not None:
            x1, y1, x2, y2 = pv.rect
            band = QPen(QColor(255, 255, 255), 1.0, Qt.PenStyle.DashLine)
            band.setCosmetic(True)
            painter.setPen(band)
            painter.setBrush(QColor(120, 170, 255, 40))
            painter.drawRect(QRectF(x1, y1, x2 - x1, y2 - y1))
        if pv.brush is not None:
            x, y, d = pv.brush
            for c, wdt in ((QColor(0, 0, 0, 160), 3.0), (QColor(255, 255, 255), 1.0)):
                bp = QPen(c, wdt)
                bp.setCosmetic(True)
                painter.setPen(bp)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(QPointF(x, y), max(d / 2, 1.0 / s), max(d / 2, 1.0 / s))


class OverlayItem(QGraphicsItem):
    """A translucent RGBA image at an image-pixel offset (proposals from SAM, classical tools)."""

    def __init__(self, rgba: np.ndarray, x0: int, y0: int) -> None:
        super().__init__()
        self.setZValue(5)
        arr = np.ascontiguousarray(rgba)
        if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 4:
            raise ValueError(f"overlay must be (h, w, 4) uint8 RGBA, got {arr.shape} {arr.dtype}")
        h, w = arr.shape[:2]
        self._ref = arr
        self._img = QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGBA8888)
        self._rect = QRectF(x0, y0, w, h)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        xf = painter.worldTransform()
        painter.setRenderHint(
            QPainter.RenderHint.SmoothPixmapTransform, math.hypot(xf.m11(), xf.m12()) < 1
        )
        painter.drawImage(self._rect, self._img)
