"""What the canvas shows for an image that cannot be read (issue 11, item 1).

The canvas, the title and the document must always agree with the selected file: when an
image cannot be decoded, the window shows this placeholder (a grey picture that says why)
under the bad file's name, and there is no document, so no edit can go anywhere.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import cv2
import numpy as np

from labeldesk.ui.workers.images import LoadedImage

WIDTH, HEIGHT = 640, 360


def placeholder_pixels(name: str, reason: str) -> np.ndarray:
    """A ``(HEIGHT, WIDTH)`` uint8 grey picture with the file name and the reason written on it."""
    img = np.full((HEIGHT, WIDTH), 64, np.uint8)
    lines = [f"Cannot show {name}"[:60], ""] + textwrap.wrap(reason, 62)[:9]
    y = 40
    for i, line in enumerate(lines):
        scale, thick = (0.8, 2) if i == 0 else (0.5, 1)
        cv2.putText(img, line, (20, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 230, thick, cv2.LINE_AA)
        y += 36 if i == 0 else 26
    return img


def placeholder_item(path: Path, reason: str) -> LoadedImage:
    """A :class:`LoadedImage` for ``path`` that holds the placeholder and no document."""
    pixels = placeholder_pixels(path.name, reason)
    return LoadedImage(path, pixels, pixels, None, reason, None)
