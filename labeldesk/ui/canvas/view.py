"""The canvas: a QGraphicsView that shows the image, the document's objects and the tool preview.

It holds no annotation state: it draws ``document.shapes`` (refreshed on ``doc.changed``),
translates Qt mouse/key events into Qt-free :class:`~labeldesk.core.tools.base.PointerEvent` /
:class:`~labeldesk.core.tools.base.KeyEvent` for the active tool, and draws that tool's
:class:`~labeldesk.core.tools.base.Preview` on top. Scene units are image pixels.

Mouse: wheel (and Ctrl+wheel) zooms at the cursor; middle-drag or Space+drag pans. Keys: the
active tool gets first go (the keys it ``wants_key`` are claimed ahead of window shortcuts);
arrow keys the tool does not use pan; everything else goes on to the window.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QTransform, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.events import DocEvent
from labeldesk.core.selection import Selection
from labeldesk.core.tools.base import KeyEvent, PointerEvent, Tool
from labeldesk.ui.canvas.keys import key_name, modifier_names
from labeldesk.ui.canvas.preview import OverlayItem, PreviewItem
from labeldesk.ui.canvas.pyramid import ImageItem, ImagePyramid
from labeldesk.ui.canvas.shapes import ShapeLayer

MIN_ZOOM, MAX_ZOOM = 1 / 256, 64.0
WHEEL_STEP = 1.0015  # zoom factor per 1/8 degree of wheel rotation (one notch = 1.2x)
ARROWS = {"Left": (-1, 0), "Right": (1, 0), "Up": (0, -1), "Down": (0, 1)}
_CURSORS = {
    "cross": Qt.CursorShape.CrossCursor,
    "arrow": Qt.CursorShape.ArrowCursor,
    "none": Qt.CursorShape.CrossCursor,
}
_BUTTONS = {
    Qt.MouseButton.LeftButton: "left",
    Qt.MouseButton.RightButton: "right",
    Qt.MouseButton.MiddleButton: "middle",
}


class Canvas(QGraphicsView):
    """Image + annotation view with zoom, pan and tool dispatch.

    Signals:
        cursor_moved(float, float): the pointer position in image pixels ``(x, y)``.
        zoom_changed(float): the new zoom (screen pixels per image pixel; 1.0 = 100 %).
        hint_changed(str): the active tool's status-bar hint.
        tool_changed(object): another tool (or None) became the active tool.
        message(str): an error or notice for the status bar (a tool refused an edit...).
        double_clicked(float, float): a left double click at image ``(x, y)``, after the tool
            had it (the window may open the label dialog for the object there).
    """

    cursor_moved = Signal(float, float)
    zoom_changed = Signal(float)
    hint_changed = Signal(str)
    tool_changed = Signal(object)
    message = Signal(str)
    double_clicked = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self._scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setScene(self._scene)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QColor(48, 48, 52))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._image_item = ImageItem()
        self._layer = ShapeLayer()
        self._preview = PreviewItem()
        for item in (self._image_item, self._layer, self._preview):
            self._scene.addItem(item)
        self._overlays: dict[str, OverlayItem] = {}
        self._doc: Document | None = None
        self._selection: Selection | None = None
        self._image: np.ndarray | None = None
        self._pyramid: ImagePyramid | None = None
        self._tool: Tool | None = None
        self._hint = ""
        self._pan_from: QPointF | None = None
        self._space = False
        self._mouse: QPointF | None = None  # last pointer position over the viewport
        self._zoom = 1.0
        self._update_scene_rect()

    # -- content -----------------------------------------------------------------------------
    def set_document(self, doc: Document | None, selection: Selection | None = None) -> None:
        """Show ``doc``'s objects (None: none) and follow its changes and ``selection``."""
        if self._tool is not None:
            self._tool.cancel()
        self._doc = doc
        self._selection = (
            selection if selection is not None else (Selection() if doc is not None else None)
        )
        self._layer.set_document(doc, self._selection)
        self._layer.image_rect = self.image_rect()
        self._update_scene_rect()
        self._on_tool_changed(DocEvent("preview"))

    def document(self) -> Document | None:
        return self._doc

    def set_image(
        self, image: np.ndarray | None, levels: dict[int, np.ndarray] | None = None
    ) -> None:
        """Show a display image ``(H, W)``, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8.

        The array is referenced, not copied (do not modify it afterwards); a pyramid of
        reduced levels is built from it lazily, tile by tile. None clears the image. Call
        :meth:`fit` afterwards to show it whole. Raises ValueError for other arrays.
        ``levels``: the pyramid's coarse levels built beforehand (``coarse_levels``).
        """
        self._pyramid = ImagePyramid(image, levels=levels) if image is not None else None
        self._image = None if self._pyramid is None else self._pyramid.image
        self._image_item.set_pyramid(self._pyramid)
        self._layer.image_rect = self.image_rect()
        self._layer.invalidate()
        self._update_scene_rect()

    def image(self) -> np.ndarray | None:
        """The display image shown (the array given to :meth:`set_image`)."""
        return self._image

    def pyramid(self) -> ImagePyramid | None:
        return self._pyramid

    def image_rect(self) -> QRectF:
        """The image's rect in scene (= image pixel) coordinates; the document's size if no image."""
        if self._pyramid is not None:
            return QRectF(0, 0, self._pyramid.width, self._pyramid.height)
        if self._doc is not None and self._doc.image_width > 0:
            return QRectF(0, 0, self._doc.image_width, self._doc.image_height)
        return QRectF()

    def refresh(self) -> None:
        """Rebuild everything drawn from the document (after a class recolour, say)."""
        self._layer.invalidate()
        self._on_tool_changed(DocEvent("preview"))

    def set_overlay(self, key: str, rgba: np.ndarray | None, x0: int = 0, y0: int = 0) -> None:
        """Show (or with None remove) a translucent overlay named ``key``.

        ``rgba`` is ``(h, w, 4)`` uint8 RGBA (not premultiplied) placed with its top-left at
        image pixel ``(x0, y0)``; keep it cropped to what it shows (it is referenced, not
        copied). Overlays sit above the objects and below the tool preview.
        """
        old = self._overlays.pop(key, None)
        if old is not None:
            self._scene.removeItem(old)
        if rgba is not None:
            item = OverlayItem(rgba, int(x0), int(y0))
            self._overlays[key] = item
            self._scene.addItem(item)

    def overlay_keys(self) -> list[str]:
        return list(self._overlays)

    # -- tools -------------------------------------------------------------------------------
    def set_tool(self, tool: Tool | None) -> None:
        """Make ``tool`` the active tool (the previous one is cancelled); emits
        ``tool_changed`` when it is another tool."""
        changed = tool is not self._tool
        if self._tool is not None:
            self._tool.cancel()
            self._tool.changed.disconnect(self._on_tool_changed)
        self._tool = tool
        if tool is not None:
            tool.changed.connect(self._on_tool_changed)
        self.viewport().setCursor(
            _CURSORS.get(tool.cursor if tool else "arrow", Qt.CursorShape.ArrowCursor)
        )
        self._on_tool_changed(DocEvent("preview"))
        if changed:
            self.tool_changed.emit(tool)

    def tool(self) -> Tool | None:
        """The active tool."""
        return self._tool

    def _on_tool_changed(self, ev: DocEvent) -> None:
        tool = self._tool
        pv = tool.preview() if tool is not None else None
        classes = self._doc.classes if self._doc is not None else None
        self._preview.set_preview(pv, classes)
        hidden = frozenset(g.uid for g in pv.ghosts) if pv is not None else frozenset()
        layer = self._layer
        hover = pv.hover if pv is not None else None
        hover_vertex = pv.hover_vertex if pv is not None else None
        if (hidden, hover, hover_vertex) != (layer.hidden, layer.hover, layer.hover_vertex):
            layer.hidden, layer.hover, layer.hover_vertex = hidden, hover, hover_vertex
            layer.update()
        hint = tool.hint if tool is not None else ""
        if hint != self._hint:
            self._hint = hint
            self.hint_changed.emit(hint)

    def hint(self) -> str:
        return self._hint

    def _dispatch(self, call, ev) -> bool:
        """Run a tool handler; a LabeldeskError becomes a message and cancels the gesture."""
        if self._tool is None or self._doc is None:
            return False
        try:
            return bool(call(ev))
        except LabeldeskError as exc:
            self._tool.cancel()
            self.message.emit(str(exc))
            return True

    # -- zoom and pan --------------------------------------------------------------------------
    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self._zoom

    def set_zoom(self, zoom: float, anchor: tuple[float, float] | None = None) -> None:
        """Set the zoom (screen px per image px), keeping the image point under ``anchor``
        (viewport pixels; default: the mouse if it is over the view, else the centre) fixed."""
        zoom = float(min(max(zoom, MIN_ZOOM), MAX_ZOOM))
        a = self._anchor(anchor)
        fixed = self._to_scene(a)
        self._zoom = zoom
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self._update_scene_rect()
        self._put(fixed, a)
        self.zoom_changed.emit(zoom)

    def zoom_by(self, factor: float, anchor: tuple[float, float] | None = None) -> None:
        """Multiply the zoom by ``factor`` (see :meth:`set_zoom` for the anchor)."""
        self.set_zoom(self._zoom * factor, anchor)

    def fit(self) -> None:
        """Zoom so the whole image is visible and centred."""
        r = self.image_rect()
        vp = self.viewport().rect()
        if r.isEmpty() or vp.width() < 2 or vp.height() < 2:
            return
        zoom = min((vp.width() - 8) / r.width(), (vp.height() - 8) / r.height())
        self._zoom = float(min(max(zoom, MIN_ZOOM), MAX_ZOOM))
        self.setTransform(QTransform.fromScale(self._zoom, self._zoom))
        self._update_scene_rect()
        self._put(r.center(), QPointF(vp.width() / 2, vp.height() / 2))
        self.zoom_changed.emit(self._zoom)

    def zoom_100(self) -> None:
        """Zoom to 100 % (one image pixel per screen pixel), keeping the view centre."""
        vp = self.viewport().rect()
        self.set_zoom(1.0, (vp.width() / 2, vp.height() / 2))

    def pan_by(self, dx: float, dy: float) -> None:
        """Scroll the view by ``(dx, dy)`` screen pixels."""
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(dx))
        v.setValue(v.value() + round(dy))

    def center_on_object(self, uid: int) -> None:
        """Scroll (without zooming) so the object with ``uid`` is in view."""
        if self._doc is None:
            return
        for s in self._doc.shapes:
            if s.uid == uid:
                x1, y1, x2, y2 = s.bounds()
                vp = self.viewport().rect()
                shown = QRectF(
                    self._to_scene(QPointF(0, 0)), self._to_scene(QPointF(vp.width(), vp.height()))
                )
                if not shown.contains(QRectF(x1, y1, x2 - x1, y2 - y1)):
                    self._put(
                        QPointF((x1 + x2) / 2, (y1 + y2) / 2),
                        QPointF(vp.width() / 2, vp.height() / 2),
                    )
                return

    def image_to_widget(self, x: float, y: float) -> tuple[float, float]:
        """Image pixel coordinates -> viewport widget coordinates."""
        p = self.viewportTransform().map(QPointF(x, y))
        return p.x(), p.y()

    def widget_to_image(self, x: float, y: float) -> tuple[float, float]:
        """Viewport widget coordinates -> image pixel coordinates."""
        p = self._to_scene(QPointF(x, y))
        return p.x(), p.y()

    def _to_scene(self, p: QPointF) -> QPointF:
        inv, _ = self.viewportTransform().inverted()
        return inv.map(p)

    def _anchor(self, anchor: tuple[float, float] | None) -> QPointF:
        if anchor is not None:
            return QPointF(*anchor)
        if self._mouse is not None:
            return QPointF(self._mouse)
        vp = self.viewport().rect()
        return QPointF(vp.width() / 2, vp.height() / 2)

    def _put(self, scene_pt: QPointF, widget_pt: QPointF) -> None:
        """Scroll so that ``scene_pt`` shows at viewport position ``widget_pt``."""
        now = self.viewportTransform().map(scene_pt)
        self.pan_by(now.x() - widget_pt.x(), now.y() - widget_pt.y())

    def _update_scene_rect(self) -> None:
        """Scene = image plus a viewport of margin on each side, so any point can be centred."""
        r = self.image_rect()
        if r.isEmpty():
            r = QRectF(0, 0, 1, 1)
        vp = self.viewport().rect()
        mx, my = vp.width() / self._zoom, vp.height() / self._zoom
        self.setSceneRect(r.adjusted(-mx, -my, mx, my))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        centre = self._to_scene(QPointF(self.viewport().width() / 2, self.viewport().height() / 2))
        super().resizeEvent(event)
        self._update_scene_rect()
        self._put(centre, QPointF(self.viewport().width() / 2, self.viewport().height() / 2))

    # -- Qt events -----------------------------------------------------------------------------
    def _pointer(self, kind: str, event: QMouseEvent, button: str) -> PointerEvent:
        p = self._to_scene(event.position())
        return PointerEvent(
            kind, p.x(), p.y(), button, modifier_names(event.modifiers()), self._zoom
        )

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            pos = event.position()
            self.zoom_by(WHEEL_STEP**delta, (pos.x(), pos.y()))
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        button = _BUTTONS.get(event.button(), "")
        if button == "middle" or (button == "left" and self._space):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if self._dispatch(
            self._tool.pointer if self._tool else None, self._pointer("press", event, button)
        ):
            event.accept()
        else:
            event.ignore()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        button = _BUTTONS.get(event.button(), "")
        if button == "middle" or self._space:
            return
        ev = self._pointer("double", event, button)
        self._dispatch(self._tool.pointer if self._tool else None, ev)
        if button == "left":
            self.double_clicked.emit(ev.x, ev.y)
        event.accept()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._mouse = None
        super().leaveEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._mouse = QPointF(event.position())
        if self._pan_from is not None:
            d = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(-d.x(), -d.y())
            event.accept()
            return
        held = event.buttons()
        button = next((n for b, n in _BUTTONS.items() if held & b), "")
        ev = self._pointer("move", event, button)
        self.cursor_moved.emit(ev.x, ev.y)
        self._dispatch(self._tool.pointer if self._tool else None, ev)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self._restore_cursor()
            event.accept()
            return
        button = _BUTTONS.get(event.button(), "")
        self._dispatch(
            self._tool.pointer if self._tool else None, self._pointer("release", event, button)
        )
        event.accept()

    def _restore_cursor(self) -> None:
        if self._space:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            shape = self._tool.cursor if self._tool else "arrow"
            self.viewport().setCursor(_CURSORS.get(shape, Qt.CursorShape.ArrowCursor))

    def _key_event(self, event: QKeyEvent) -> KeyEvent | None:
        name = key_name(event)
        return KeyEvent(name, modifier_names(event.modifiers())) if name else None

    def event(self, event: QEvent) -> bool:  # noqa: D401 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride:
            kev = self._key_event(event)
            if kev is not None and self._claims(kev):
                event.accept()
                return True
        return super().event(event)

    def _claims(self, kev: KeyEvent) -> bool:
        """Keys the canvas takes ahead of the window's shortcuts."""
        if "ctrl" in kev.modifiers or "alt" in kev.modifiers:
            return False
        if kev.key in ARROWS or kev.key == "Space":
            return True
        tool = self._tool
        return tool is not None and self._doc is not None and tool.wants_key(kev)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002
        return False if self._tool is not None else super().focusNextPrevChild(next)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        kev = self._key_event(event)
        if kev is None:
            event.ignore()
            return
        if self._dispatch(self._tool.key if self._tool else None, kev):
            event.accept()
            return
        if kev.key in ARROWS and not ({"ctrl", "alt"} & kev.modifiers):
            dx, dy = ARROWS[kev.key]
            step = (0.5 if "shift" in kev.modifiers else 0.125) * min(
                self.viewport().width(), self.viewport().height()
            )
            self.pan_by(dx * step, dy * step)
            event.accept()
            return
        if kev.key == "Space" and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        event.ignore()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._restore_cursor()
            event.accept()
            return
        event.ignore()

    def focusOutEvent(self, event) -> None:  # noqa: N802
        self._space = False
        super().focusOutEvent(event)
