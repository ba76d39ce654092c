"""Small pieces shared by the panels: colour swatches and the non-modal message bar."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

RGB = tuple[int, int, int]


@lru_cache(maxsize=512)
def swatch(rgb: RGB, size: int = 14, hollow: bool = False) -> QIcon:
    """A rounded square of colour ``rgb`` (the class colour everywhere in the app)."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = QColor(*rgb)
    p.setPen(color.darker(140))
    p.setBrush(Qt.BrushStyle.NoBrush if hollow else color)
    p.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    p.end()
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
        icon.addPixmap(pix, mode)  # the class colour stays true on a selected row
    return icon


class MessageBar(QFrame):
    """A banner above the canvas for messages that must not block: a bad file, a restore offer.

    ``show_message(text, level, actions)``: ``level`` is ``"info"``, ``"warning"`` or
    ``"error"``; ``actions`` are ``(button text, callback)`` pairs; any button closes the
    bar. Info messages without actions hide themselves after a few seconds.

    :meth:`overlay_on` floats it over the top of a widget (the canvas) instead of taking room
    in a layout, so showing it never moves the canvas under the cursor. ``context`` is what
    the message is about (the image shown then); the window hides a message about another
    image when it moves on.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self._label = QLabel(self)
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self._label, 1)
        self._buttons: list[QPushButton] = []
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        self._close = close
        self._layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.context: object = None
        self._host: QWidget | None = None
        self.hide()

    def overlay_on(self, host: QWidget) -> None:
        """Float over the top edge of ``host`` (full width), following its resizes."""
        self.setParent(host)
        self._host = host
        self.setAutoFillBackground(True)
        host.installEventFilter(self)
        self._place()

    def _place(self) -> None:
        host = self._host
        if host is None:
            return
        width = host.width()
        height = self._layout.totalHeightForWidth(width)
        self.setGeometry(0, 0, width, max(height, self.sizeHint().height()))
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._host and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def hide_if_about_other(self, context: object) -> None:
        """Hide a message without buttons that was about something else than ``context``."""
        if self.isVisible() and not self._buttons and self.context not in (None, context):
            self.hide()

    def text(self) -> str:
        return self._label.text()

    def buttons(self) -> list[QPushButton]:
        return list(self._buttons)

    def show_message(
        self,
        text: str,
        level: str = "info",
        actions: list[tuple[str, Callable[[], None]]] | None = None,
    ) -> None:
        for b in self._buttons:
            b.deleteLater()
        self._buttons = []
        self._label.setText(text)
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        for title, callback in actions or []:
            button = QPushButton(title, self)
            button.clicked.connect(lambda _=False, cb=callback: (self.hide(), cb()))
            self._layout.insertWidget(self._layout.count() - 1, button)
            self._buttons.append(button)
        self._timer.stop()
        if level == "info" and not actions:
            self._timer.start(6000)
        self.show()
        self._place()
