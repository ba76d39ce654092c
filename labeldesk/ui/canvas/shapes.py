"""Drawing the document's objects: one layer item, a software raster, a cache at low zoom.

The layer keeps render data derived from the document (rebuilt for the objects a
``doc.changed`` event names) and draws them in z-order with :mod:`.raster` (OpenCV, about
15x faster than QPainter's antialiased fills):

* when the whole annotation fits in ``CACHE_MAX_PIXELS`` at the current zoom (fit and
  moderate zooms) and there are many objects, it is rendered once into a cached image and a
  repaint is one ``drawImage``; while zooming the stale cache is drawn scaled and re-rendered
  when the zoom rests (``REST_MS``);
* otherwise the visible part of the view is rendered (objects culled by their bounds) and
  kept until the view moves or the objects change, so preview and hover repaints are cheap;
* objects under ``TINY_PX`` on screen are drawn as dots (level of detail);
* selected, hovered and dragged objects are drawn on top with QPainter, with vertex handles.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, qRgba
from PySide6.QtWidgets import QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from labeldesk.core.document import Document
from labeldesk.core.events import DocEvent
from labeldesk.core.selection import Selection
from labeldesk.ui.canvas.raster import MASK_ALPHA, Batch, Entry, entry_from_shape, render

CACHE_MAX_PIXELS = 6_000_000
CACHE_MIN_OBJECTS = 200
REST_MS = 150
SELECTED_ALPHA, HOVER_ALPHA = 110, 90
HANDLE_PX = 7.0


def path_from_points(pts: np.ndarray, closed: bool) -> QPainterPath:
    """A QPainterPath through ``(N, 2)`` points (closed for polygons)."""
    ls = np.asarray(pts, dtype=np.float64).tolist()
    path = QPainterPath(QPointF(*ls[0]))
    for x, y in ls[1:]:
        path.lineTo(x, y)
    if closed:
        path.closeSubpath()
    return path


def _qt_data(e: Entry) -> QPainterPath | QImage | None:
    """The entry's QPainterPath, or for masks an Indexed8 QImage sharing the bitmap."""
    if e.qt is not None:
        return e.qt
    t, pts = e.shape_type, e.points
    if t in ("polygon", "oriented_rectangle"):
        e.qt = path_from_points(pts, True)
    elif t == "rectangle":
        e.qt = QPainterPath()
        (x1, y1), (x2, y2) = pts.min(axis=0), pts.max(axis=0)
        e.qt.addRect(QRectF(x1, y1, x2 - x1, y2 - y1))
    elif t == "circle":
        e.qt = QPainterPath()
        r = float(np.hypot(*(pts[1] - pts[0])))
        e.qt.addEllipse(QPointF(*pts[0]), r, r)
    elif t in ("line", "linestrip"):
        e.qt = path_from_points(pts, False)
    elif t == "mask" and e.mask is not None:
        ref = np.ascontiguousarray(e.mask).view(np.uint8)
        h, w = ref.shape
        img = QImage(ref.data, w, h, ref.strides[0], QImage.Format.Format_Indexed8)
        img.setColorTable([qRgba(0, 0, 0, 0), qRgba(*e.rgb, MASK_ALPHA)])
        e.qt = (img, ref)
    return e.qt


def draw_entry(
    painter: QPainter, e: Entry, s: float, *, fill_alpha: int = SELECTED_ALPHA, width: float = 2.5
) -> None:
    """Draw one object with QPainter (highlights, ghosts); the painter maps image coordinates."""
    color = QColor(*e.rgb)
    data = _qt_data(e)
    x1, y1, x2, y2 = e.bounds
    pen = QPen(color, width)
    pen.setCosmetic(True)
    if e.shape_type == "mask":
        if isinstance(data, tuple):
            painter.drawImage(QRectF(x1, y1, x2 - x1, y2 - y1), data[0])
        dash = QPen(QColor(255, 255, 255), 1.0, Qt.PenStyle.DashLine)
        dash.setCosmetic(True)
        painter.setPen(dash)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(x1, y1, x2 - x1, y2 - y1))
        return
    if e.shape_type == "point":
        painter.setPen(QPen(QColor(255, 255, 255), 1.5 / s))
        painter.setBrush(color)
        r = 5.0 / s
        painter.drawEllipse(QPointF(*e.points[0]), r, r)
        return
    painter.setPen(pen)
    closed = e.shape_type in ("polygon", "oriented_rectangle", "rectangle", "circle")
    if closed:
        fill = QColor(color)
        fill.setAlpha(fill_alpha)
        painter.setBrush(QBrush(fill))
    else:
        painter.setBrush(Qt.BrushStyle.NoBrush)
    if isinstance(data, QPainterPath):
        painter.drawPath(data)


def _dpr(painter: QPainter) -> float:
    """Physical pixels per logical pixel of the painted device (2 on most HiDPI screens)."""
    dev = painter.device()
    return float(dev.devicePixelRatioF()) if dev is not None else 1.0


def draw_handles(
    painter: QPainter, pts: np.ndarray | None, color: QColor, s: float, size: float = HANDLE_PX
) -> None:
    """Vertex handles: squares of ``size`` screen pixels at ``pts`` ``(N, 2)``."""
    if pts is None or not len(pts):
        return
    pen = QPen(QColor(255, 255, 255), 1.0)
    pen.setCosmetic(True)
    painter.setPen(pen)
    painter.setBrush(color)
    half = size / 2 / s
    for x, y in np.asarray(pts).tolist():
        painter.drawRect(QRectF(x - half, y - half, 2 * half, 2 * half))


class ShapeLayer(QGraphicsObject):
    """Draws a document's objects; see the module docstring. Scene units are image pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsObject.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setZValue(1)
        self.doc: Document | None = None
        self.selection: Selection | None = None
        self.image_rect = QRectF()
        self.hidden: frozenset[int] = frozenset()  # uids the preview draws instead (drags)
        self.hover: int | None = None
        self.hover_vertex: tuple[int, int] | None = None
        self._entries: dict[int, Entry] = {}
        self._order: list[int] = []
        self._batch = Batch([])
        self._dirty_all = True
        self._dirty: set[int] = set()
        self._version = 0
        self._cache: tuple[np.ndarray, QImage] | None = None
        self._cache_key: tuple = ()
        self._cache_rect = QRectF()
        self._cache_scale = 0.0
        self._view: tuple[np.ndarray, QImage] | None = None  # last render of the visible part
        self._view_key: tuple = ()
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(REST_MS)
        self._timer.timeout.connect(self._rest)
        self.stats = {"renders": 0, "cached": False}

    # -- document ----------------------------------------------------------------------------
    def set_document(self, doc: Document | None, selection: Selection | None) -> None:
        if self.doc is not None:
            self.doc.changed.disconnect(self.on_doc_event)
        if self.selection is not None:
            self.selection.changed.disconnect(self.on_selection)
        self.doc, self.selection = doc, selection
        if doc is not None:
            doc.changed.connect(self.on_doc_event)
        if selection is not None:
            selection.changed.connect(self.on_selection)
        self.invalidate()

    def invalidate(self) -> None:
        """Rebuild all render data on the next paint (after a recolour, a new image...)."""
        self.prepareGeometryChange()
        self._dirty_all = True
        self._version += 1
        self.update()

    def on_doc_event(self, ev: DocEvent) -> None:
        if ev.kind in ("history", "selection", "flags"):
            return
        if ev.kind == "changed" and not self._dirty_all and self.doc is not None:
            shapes = self.doc.shapes
            self._dirty.update(shapes[i].uid for i in ev.indices if i < len(shapes))
            self._version += 1
            self.update()
            return
        self.invalidate()

    def on_selection(self, ev: DocEvent) -> None:
        self.update()

    def sync(self) -> None:
        """Bring render data up to date with the document (cheap when nothing changed)."""
        doc = self.doc
        if doc is None:
            if self._order:
                self._entries, self._order, self._batch = {}, [], Batch([])
            self._dirty_all, self._dirty = False, set()
            return
        if not (self._dirty_all or self._dirty):
            return
        colors: dict[str, tuple[int, int, int]] = {}

        def color_of(label: str) -> tuple[int, int, int]:
            if label not in colors:
                colors[label] = tuple(int(v) for v in doc.classes.color_of(label))
            return colors[label]

        if self._dirty_all:
            self._entries = {s.uid: entry_from_shape(s, color_of(s.label)) for s in doc.shapes}
            self._order = [s.uid for s in doc.shapes]
        else:
            for s in doc.shapes:
                if s.uid in self._dirty:
                    self._entries[s.uid] = entry_from_shape(s, color_of(s.label))
        self._batch = Batch([self._entries[u] for u in self._order])
        self._dirty_all, self._dirty = False, set()

    def entries(self) -> list[Entry]:
        """Render data in z-order (after :meth:`sync`)."""
        self.sync()
        return list(self._batch.entries)

    def content_rect(self) -> QRectF:
        """The image rect united with every object's bounds."""
        b = self._batch.bounds
        r = QRectF(self.image_rect)
        if len(b):
            x1, y1 = b[:, 0].min(), b[:, 1].min()
            r = r.united(QRectF(x1, y1, b[:, 2].max() - x1, b[:, 3].max() - y1))
        return r

    def boundingRect(self) -> QRectF:
        return self.content_rect().adjusted(-20, -20, 20, 20)

    # -- painting ----------------------------------------------------------------------------
    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        before = self.content_rect()
        self.sync()
        if self.content_rect() != before:
            self.prepareGeometryChange()
        if not self._order:
            return
        xf = painter.worldTransform()
        s = math.hypot(xf.m11(), xf.m12())
        area = self.content_rect()
        pixels = area.width() * s * area.height() * s * _dpr(painter) ** 2
        cached = len(self._order) >= CACHE_MIN_OBJECTS and pixels <= CACHE_MAX_PIXELS
        self.stats["cached"] = cached
        painter.save()
        if cached:
            self._paint_cached(painter, s, area)
        else:
            self._paint_visible(painter, s)
        painter.restore()
        self._paint_highlights(painter, s)

    def _paint_visible(self, painter: QPainter, s: float) -> None:
        """Render what the device shows (kept until the view moves or the objects change, so
        preview and hover repaints cost one ``drawImage``)."""
        xf = painter.worldTransform()
        dev = xf.mapRect(self.content_rect())
        if painter.device() is not None:
            dev = dev.intersected(QRectF(0, 0, painter.device().width(), painter.device().height()))
        x0, y0 = math.floor(dev.left()), math.floor(dev.top())
        w, h = math.ceil(dev.right()) - x0, math.ceil(dev.bottom()) - y0
        if w <= 0 or h <= 0:
            return
        dpr = _dpr(painter)
        key = (self._version, self.hidden, xf.m11(), xf.m22(), xf.dx(), xf.dy(), x0, y0, w, h, dpr)
        if self._view is None or self._view_key != key:
            inv, _ = xf.inverted()
            o = inv.map(QPointF(x0, y0))
            pw, ph = math.ceil(w * dpr), math.ceil(h * dpr)
            buf = render(self._batch, s * dpr, o.x(), o.y(), pw, ph, skip=self.hidden)
            self.stats["renders"] += 1
            img = QImage(buf.data, pw, ph, 4 * pw, QImage.Format.Format_ARGB32_Premultiplied)
            img.setDevicePixelRatio(dpr)
            self._view, self._view_key = (buf, img), key
        painter.resetTransform()
        painter.drawImage(QPointF(x0, y0), self._view[1])

    def _paint_cached(self, painter: QPainter, s: float, area: QRectF) -> None:
        key = (self._version, self.hidden, _dpr(painter))
        if self._cache is None or self._cache_key != key:
            self._render_cache(s, area, key)
        elif abs(self._cache_scale - s) > 1e-9 * s:
            self._timer.start()  # the stale cache is drawn scaled; re-render when zoom rests
        xf = painter.worldTransform()
        cr = self._cache_rect
        d0 = xf.map(QPointF(cr.left(), cr.top()))
        d1 = xf.map(QPointF(cr.right(), cr.bottom()))
        painter.resetTransform()
        img = self._cache[1]
        if abs(self._cache_scale - s) <= 1e-9 * s:
            painter.drawImage(QPointF(round(d0.x()), round(d0.y())), img)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(QRectF(d0, d1), img)

    def _rest(self) -> None:
        self._cache_key = ()
        self.update()

    def _render_cache(self, s: float, area: QRectF, key: tuple) -> None:
        dpr = key[-1]
        ps = s * dpr  # physical pixels per image pixel (HiDPI screens)
        w, h = max(1, math.ceil(area.width() * ps)), max(1, math.ceil(area.height() * ps))
        buf = render(self._batch, ps, area.left(), area.top(), w, h, skip=self.hidden)
        img = QImage(buf.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(dpr)
        self._cache = (buf, img)
        self._cache_rect = QRectF(area.left(), area.top(), w / ps, h / ps)
        self._cache_scale = s
        self._cache_key = key
        self.stats["renders"] += 1

    def _paint_highlights(self, painter: QPainter, s: float) -> None:
        selected = set(self.selection.uids()) if self.selection is not None else set()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if selected:
            for uid in self._order:
                e = self._entries[uid]
                if uid in selected and uid not in self.hidden and e.visible:
                    draw_entry(painter, e, s)
                    if e.shape_type != "mask":
                        draw_handles(painter, e.points, QColor(*e.rgb), s)
        hover = self._entries.get(self.hover) if self.hover is not None else None
        if (
            hover is not None
            and hover.visible
            and hover.uid not in self.hidden
            and hover.uid not in selected
        ):
            draw_entry(painter, hover, s, fill_alpha=HOVER_ALPHA, width=2.0)
        hv = self.hover_vertex
        if hv is not None and hv[0] in self._entries and hv[0] not in self.hidden:
            e = self._entries[hv[0]]
            if 0 <= hv[1] < len(e.points) and e.shape_type != "mask":
                draw_handles(
                    painter, e.points[hv[1] : hv[1] + 1], QColor(255, 255, 255), s, HANDLE_PX * 1.6
                )
