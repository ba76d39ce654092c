"""The status bar: the tool's hint, cursor position in image pixels, pixel value, zoom, index.

Every text in it is elided to the room there is (the full text in the tooltip): a long hint or
model name never widens the window (issue 11, item 3: 1280 -> 1550 px, remembered at the next
start, pushing the docks off screen). Labels other parts of the app add with
``addPermanentWidget`` get the same treatment.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QWidget

PERMANENT_MAX_WIDTH = 320  # a permanent label (model name...) never takes more than this


def pixel_text(image: np.ndarray, x: float, y: float) -> str:
    """The measured value at image pixel ``(x, y)`` (``"[r g b]"``), "" outside the image."""
    h, w = image.shape[:2]
    if not (0 <= x < w and 0 <= y < h):
        return ""
    value = image[int(y), int(x)]
    values = np.atleast_1d(value)
    return "[" + " ".join(f"{v:g}" for v in values.tolist()) + "]"


class ElidedLabel(QLabel):
    """A one-line label that shows ``…`` instead of growing; the full text is its tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setWordWrap(False)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.setToolTip(text if text else "")

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(8, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(min(hint.width(), PERMANENT_MAX_WIDTH), hint.height())

    def elided(self) -> str:
        """The text as shown at the current width."""
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, max(0, self.contentsRect().width())
        )

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        rect = self.contentsRect()
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), self.elided())


class ElidedProgressBar(QProgressBar):
    """A status-bar progress bar whose text stays on one line, elided to the bar's width
    (the percentage kept, the message shortened with ``…``); the full text is its tooltip
    (issue 11, item 3: "segmenting (no / model)" wrapped and was clipped)."""

    PADDING = 8  # room the style leaves around the label

    def setFormat(self, format: str) -> None:  # noqa: N802, A002 - Qt's names
        super().setFormat(format)
        self.setToolTip(format.replace("%p", "").replace("  ", " ").strip(" %"))

    def full_text(self) -> str:
        """The text unelided (the format with ``%p`` filled in), on one line."""
        return " ".join(super().text().split())

    def text(self) -> str:  # the style paints what this returns
        full = self.full_text()
        room = max(0, self.contentsRect().width() - self.PADDING)
        metrics = self.fontMetrics()
        if metrics.horizontalAdvance(full) <= room:
            return full
        fmt = self.format()
        cut = fmt.find("%p")
        if cut > 0:  # shorten the message, keep the percentage
            head = " ".join(fmt[:cut].split())
            tail = full[len(head) :] if full.startswith(head) else ""
            if tail:
                left = room - metrics.horizontalAdvance(tail)
                short = metrics.elidedText(head, Qt.TextElideMode.ElideRight, max(0, left))
                if short:
                    return short + tail
        return metrics.elidedText(full, Qt.TextElideMode.ElideRight, room)


def keep_narrow(widget: QWidget) -> None:
    """Make a status-bar widget someone else made unable to widen the window."""
    if isinstance(widget, QLabel) and not isinstance(widget, ElidedLabel):
        widget.setWordWrap(False)
        widget.setMinimumWidth(1)  # overrides the text-wide minimum size hint
        widget.setMaximumWidth(PERMANENT_MAX_WIDTH)
        # its text width when there is room (Ignored squeezed it to 1 px beside the stretching
        # hint), down to 1 px when there is none: it never widens the window
        widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)


class StatusBar(QStatusBar):
    """Permanent fields on the right, the active tool's hint on the left (all elided)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, QLabel] = {}
        for key in ("hint", "position", "pixel", "zoom", "index"):
            label = ElidedLabel(self)
            label.setObjectName(f"status.{key}")
            self.fields[key] = label
            if key == "hint":
                self.addWidget(label, 1)
            else:
                label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
                self.addPermanentWidget(label)

    def addPermanentWidget(self, widget: QWidget, stretch: int | None = 0) -> None:  # noqa: N802
        keep_narrow(widget)
        super().addPermanentWidget(widget, stretch or 0)

    def addWidget(self, widget: QWidget, stretch: int | None = 0) -> None:  # noqa: N802
        keep_narrow(widget)
        super().addWidget(widget, stretch or 0)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())

    def set_hint(self, text: str) -> None:
        self.fields["hint"].setText(text)

    def set_zoom(self, zoom: float) -> None:
        self.fields["zoom"].setText(f"{zoom * 100:.0f} %")

    def set_index(self, index: int, count: int) -> None:
        self.fields["index"].setText(f"{index + 1} / {count}" if count else "")

    def set_cursor(self, image: np.ndarray | None, x: float, y: float) -> None:
        """Cursor at image ``(x, y)``; ``image`` holds the measured pixels (any depth)."""
        self.fields["position"].setText(f"x {x:.0f}  y {y:.0f}")
        self.fields["pixel"].setText(pixel_text(image, x, y) if image is not None else "")
