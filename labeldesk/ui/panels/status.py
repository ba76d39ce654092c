"""The status bar: the tool's hint, cursor position in image pixels, pixel value, zoom, index."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget


def pixel_text(image: np.ndarray, x: float, y: float) -> str:
    """The measured value at image pixel ``(x, y)`` (``"[r g b]"``), "" outside the image."""
    h, w = image.shape[:2]
    if not (0 <= x < w and 0 <= y < h):
        return ""
    value = image[int(y), int(x)]
    values = np.atleast_1d(value)
    return "[" + " ".join(f"{v:g}" for v in values.tolist()) + "]"


class StatusBar(QStatusBar):
    """Permanent fields on the right, the active tool's hint on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, QLabel] = {}
        for key in ("hint", "position", "pixel", "zoom", "index"):
            label = QLabel(self)
            label.setObjectName(f"status.{key}")
            self.fields[key] = label
            if key == "hint":
                self.addWidget(label, 1)
            else:
                self.addPermanentWidget(label)

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
