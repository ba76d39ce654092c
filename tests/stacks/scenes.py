"""A synthetic clip: a textured ellipse that moves, turns and changes shape over a texture."""

from __future__ import annotations

import cv2
import numpy as np


def _texture(h: int, w: int, seed: int, cells: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.random((h // cells + 2, w // cells + 2, 3)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)[:h, :w]


def moving_ellipse(
    n: int = 30, h: int = 240, w: int = 320
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``n`` RGB uint8 frames and the object's true masks."""
    bg = _texture(h, w, 0, 12) * 0.6 + 0.2
    fg_big = _texture(2 * h, 2 * w, 1, 6)
    fg_big = fg_big * np.array([0.5, 0.3, 0.2], np.float32) + np.array([0.5, 0.2, 0.1], np.float32)
    frames, masks = [], []
    for i in range(n):
        sx, sy = w / 320, h / 240
        cx, cy = (80 + 5.0 * i) * sx, (110 + 30 * np.sin(i / 6.0)) * sy
        ax, ay = (40 + 8 * np.sin(i / 5.0)) * sx, (26 + 6 * np.cos(i / 4.0)) * sy
        angle = 4.0 * i
        m = np.zeros((h, w), np.uint8)
        cv2.ellipse(m, ((cx, cy), (2 * ax, 2 * ay), angle), 1, -1)
        mask = m.astype(bool)
        # the object's texture moves with it
        ox, oy = int(round(cx)) - w // 2, int(round(cy)) - h // 2
        fg = fg_big[h // 2 - oy : h // 2 - oy + h, w // 2 - ox : w // 2 - ox + w]
        img = np.where(mask[..., None], fg, bg)
        frames.append(np.clip(img * 255, 0, 255).astype(np.uint8))
        masks.append(mask)
    return frames, masks
