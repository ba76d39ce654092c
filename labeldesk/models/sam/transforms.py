"""Longest-side resize and prompt coordinate transforms (numpy + Pillow, no torch).

An (H, W) image is resized so that its longest side becomes S; prompts given in original
pixels (x, y) are scaled into that resized frame.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def resized_shape(height: int, width: int, long_side: int) -> tuple[int, int]:
    """(new_h, new_w) with the longest side = ``long_side``, each rounded half up."""
    scale = long_side * 1.0 / max(height, width)
    return int(height * scale + 0.5), int(width * scale + 0.5)


def resize_longest_side(image: np.ndarray, long_side: int) -> np.ndarray:
    """(H, W, 3) uint8 -> (new_h, new_w, 3) uint8 with Pillow's (antialiased) BILINEAR filter."""
    new_h, new_w = resized_shape(image.shape[0], image.shape[1], long_side)
    pil = Image.fromarray(np.ascontiguousarray(image))
    return np.array(pil.resize((new_w, new_h), Image.Resampling.BILINEAR))


def transform_coords(
    coords: np.ndarray, original_size: tuple[int, int], long_side: int
) -> np.ndarray:
    """(..., 2) float (x, y) original pixels -> float64 resized-frame pixels."""
    old_h, old_w = original_size
    new_h, new_w = resized_shape(old_h, old_w, long_side)
    out = np.array(coords, dtype=np.float64, copy=True)
    out[..., 0] = out[..., 0] * (new_w / old_w)
    out[..., 1] = out[..., 1] * (new_h / old_h)
    return out


def transform_boxes(
    boxes: np.ndarray, original_size: tuple[int, int], long_side: int
) -> np.ndarray:
    """(..., 4) XYXY original pixels -> (N, 4) float64 resized-frame pixels."""
    corners = np.asarray(boxes, dtype=np.float64).reshape(-1, 2, 2)
    return transform_coords(corners, original_size, long_side).reshape(-1, 4)
