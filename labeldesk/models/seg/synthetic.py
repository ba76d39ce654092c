"""A synthetic two-class segmentation set for tests and benchmarks (numpy + OpenCV only).

Each image has a textured, coloured background (smooth blotches plus noise) and a few
objects of two classes: ``"disc"`` (filled circles with fine diagonal stripes) and
``"square"`` (rotated squares with a dotted texture). Object colours are drawn from the same
range as the background's, so a network must use texture and shape rather than colour alone.
With ``touching=True`` some objects are placed against others (drawn behind them, so they
share an edge); otherwise objects never touch.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from labeldesk.models.seg.dataset import Sample

CLASS_NAMES = ("disc", "square")


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    small = rng.uniform(40, 200, size=(4, 4, 3)).astype(np.float32)
    img = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
    img += rng.normal(0, 12, size=(size, size, 3)).astype(np.float32)
    return img


def _texture(kind: int, rng: np.random.Generator, size: int) -> np.ndarray:
    """``(size, size)`` float32 texture in [-1, 1]: stripes (kind 1) or dots (kind 2)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    phase = rng.uniform(0, 2 * math.pi)
    if kind == 1:
        period = rng.uniform(3.0, 5.0)
        return np.sign(np.sin((xx + yy) * (2 * math.pi / period) + phase)).astype(np.float32)
    period = rng.uniform(4.0, 6.0)
    return (
        np.sin(xx * 2 * math.pi / period + phase) * np.sin(yy * 2 * math.pi / period + phase) > 0.3
    ).astype(np.float32) * 2.0 - 1.0


def _object_mask(kind: int, size: int, cx: float, cy: float, r: float, angle: float) -> np.ndarray:
    canvas = np.zeros((size, size), np.uint8)
    if kind == 1:
        cv2.circle(
            canvas,
            (int(round(cx * 16)), int(round(cy * 16))),
            int(round(r * 16)),
            1,
            -1,
            cv2.LINE_8,
            4,
        )
    else:
        box = cv2.boxPoints(((cx, cy), (2 * r * 0.9, 2 * r * 0.9), angle))
        cv2.fillPoly(canvas, [np.round(box * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    return canvas.astype(bool)


def make_sample(
    rng: np.random.Generator, size: int = 64, *, max_objects: int = 4, touching: bool = False
) -> Sample:
    """One synthetic image: ``image`` (size, size, 3) uint8 RGB, ``label`` (size, size) uint8
    (0 background, 1 disc, 2 square) and ``instances`` (size, size) int32."""
    img = _background(rng, size)
    label = np.zeros((size, size), np.uint8)
    instances = np.zeros((size, size), np.int32)
    n = int(rng.integers(1, max_objects + 1))
    placed: list[tuple[float, float, float]] = []
    next_id = 1
    for _ in range(n * 10):
        if len(placed) >= n:
            break
        r = rng.uniform(size * 0.08, size * 0.16)
        if touching and placed and rng.random() < 0.6:
            px, py, pr = placed[int(rng.integers(len(placed)))]
            a = rng.uniform(0, 2 * math.pi)
            cx, cy = px + (pr + r - 2) * math.cos(a), py + (pr + r - 2) * math.sin(a)
        else:
            cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
        kind = int(rng.integers(1, 3))
        mask = _object_mask(kind, size, cx, cy, r, rng.uniform(0, 90))
        overlap = mask & (label != 0)
        if not mask.any() or overlap.sum() > (0.25 * mask.sum() if touching else 0):
            continue
        mask &= ~overlap  # a touching object is drawn behind the ones already placed
        colour = rng.uniform(40, 200, size=3).astype(np.float32)
        tex = _texture(kind, rng, size)
        obj = colour[None, None, :] + tex[..., None] * rng.uniform(25, 45)
        img[mask] = obj[mask] + rng.normal(0, 8, size=(int(mask.sum()), 3))
        label[mask] = kind
        instances[mask] = next_id
        next_id += 1
        placed.append((cx, cy, r))
    image = np.clip(img, 0, 255).astype(np.uint8)
    return Sample(image, label, instances, name=f"synthetic-{len(placed)}")


def make_samples(
    n: int, size: int = 64, *, seed: int = 0, max_objects: int = 4, touching: bool = False
) -> list[Sample]:
    """``n`` synthetic samples, the same for the same arguments."""
    rng = np.random.default_rng(seed)
    return [make_sample(rng, size, max_objects=max_objects, touching=touching) for _ in range(n)]
