"""Small pieces shared by the panels: colour swatches and the non-modal message bar."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from PySide6.QtCore import Qt, QTimer
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
