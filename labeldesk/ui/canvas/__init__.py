"""The annotation canvas (QGraphicsView): image pyramid, objects, tool previews, overlays."""

from labeldesk.ui.canvas.view import Canvas

__all__ = ["Canvas"]
