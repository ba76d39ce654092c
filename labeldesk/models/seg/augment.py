"""Segmentation augmentations in numpy/OpenCV, reproducible from a ``numpy.random.Generator``.

One crop is made in a single resampling: a random scale, a small rotation and an optional
elastic displacement are composed into one ``cv2.remap`` (bilinear for the image, nearest for
the label and instance maps, so no label values are invented). Pixels that come from outside
the image get label 255 ("ignore") and a mirrored image. Then come flips, 90-degree turns and
colour jitter. Arrays are indexed ``[y, x]``; points ``(x, y)``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from labeldesk.models.seg.config import AugmentConfig

IGNORE = 255


def crop_maps(
    image_shape: tuple[int, int],
    size: int,
    rng: np.random.Generator,
    cfg: AugmentConfig,
    *,
    centre: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates ``(map_x, map_y)``, each ``(size, size)`` float32, of a random crop.

    Args:
        image_shape: ``(H, W)`` of the source image.
        size: side of the output crop.
        centre: ``(x, y)`` source point to centre the crop on; random when None.
    """
    h, w = image_shape
    scale = float(np.exp(rng.uniform(math.log(cfg.scale_range[0]), math.log(cfg.scale_range[1]))))
    angle = math.radians(rng.uniform(-cfg.rotate_deg, cfg.rotate_deg)) if cfg.rotate_deg else 0.0
    half = size / (2.0 * scale)  # half the crop side, in source pixels
    if centre is None:
        cx = (
            rng.uniform(half, w - half)
            if w > 2 * half
            else w / 2.0 + rng.uniform(-1, 1) * (half - w / 2.0)
        )
        cy = (
            rng.uniform(half, h - half)
            if h > 2 * half
            else h / 2.0 + rng.uniform(-1, 1) * (half - h / 2.0)
        )
    else:
        jitter = rng.uniform(-0.25, 0.25, size=2) * half
        cx, cy = centre[0] + jitter[0], centre[1] + jitter[1]
    c, s = math.cos(angle) / scale, math.sin(angle) / scale
    u = np.arange(size, dtype=np.float32) - (size - 1) / 2.0
    uu, vv = np.meshgrid(u, u)
    map_x = (cx - 0.5 + c * uu - s * vv).astype(np.float32)
    map_y = (cy - 0.5 + s * uu + c * vv).astype(np.float32)
    if cfg.elastic > 0:
        dx, dy = elastic_field(size, rng, cfg.elastic, cfg.elastic_sigma)
        map_x += dx
        map_y += dy
    return map_x, map_y


def elastic_field(
    size: int, rng: np.random.Generator, amplitude: float, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Smooth random displacements ``(dx, dy)``, each ``(size, size)`` float32, whose largest
    magnitude is about ``amplitude`` pixels (Simard et al. 2003)."""
    out = []
    for _ in range(2):
        noise = rng.uniform(-1.0, 1.0, size=(size, size)).astype(np.float32)
        field = cv2.GaussianBlur(noise, (0, 0), sigmaX=max(sigma, 0.5))
        peak = float(np.abs(field).max()) or 1.0
        out.append(field * (amplitude / peak))
    return out[0], out[1]


def color_jitter(
    image: np.ndarray, rng: np.random.Generator, strength: float, hue: float
) -> np.ndarray:
    """Random brightness, contrast, saturation and hue of an ``(H, W, 3)`` uint8 RGB image."""
    if strength <= 0 and hue <= 0:
        return image
    img: np.ndarray = image.astype(np.float32)
    if strength > 0:
        b, c, s = 1.0 + rng.uniform(-strength, strength, size=3)
        img *= b
        mean = img.mean()
        img = (img - mean) * c + mean
        gray = img @ np.array([0.299, 0.587, 0.114], np.float32)
        img = (img - gray[..., None]) * s + gray[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    if hue > 0:
        shift = int(round(rng.uniform(-hue, hue) * 180))
        if shift:
            hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
            hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + shift) % 180).astype(np.uint8)
            img = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return img


def augment_crop(
    image: np.ndarray,
    label: np.ndarray,
    instances: np.ndarray | None,
    size: int,
    rng: np.random.Generator,
    cfg: AugmentConfig,
    *,
    centre: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One augmented ``size`` x ``size`` crop.

    Args:
        image: ``(H, W, 3)`` uint8 RGB.
        label: ``(H, W)`` uint8 (255 = ignore).
        instances: ``(H, W)`` int instance ids, or None.
        centre: ``(x, y)`` to centre the crop on (before jitter), or None for a random place.

    Returns:
        ``(image (S, S, 3) uint8, label (S, S) uint8, instances (S, S) int32 or None)``.
    """
    map_x, map_y = crop_maps(label.shape, size, rng, cfg, centre=centre)
    img = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    lab = cv2.remap(
        label, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=IGNORE
    )
    ins = None
    if instances is not None:
        ins = cv2.remap(
            instances.astype(np.float32),
            map_x,
            map_y,
            cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        ).astype(np.int32)
    arrays = [img, lab] + ([ins] if ins is not None else [])
    if cfg.hflip and rng.random() < 0.5:
        arrays = [a[:, ::-1] for a in arrays]
    if cfg.vflip and rng.random() < 0.5:
        arrays = [a[::-1] for a in arrays]
    if cfg.rot90:
        k = int(rng.integers(4))
        if k:
            arrays = [np.rot90(a, k, axes=(0, 1)) for a in arrays]
    arrays = [np.ascontiguousarray(a) for a in arrays]
    img = color_jitter(arrays[0], rng, cfg.color, cfg.hue)
    return img, arrays[1], (arrays[2] if ins is not None else None)
