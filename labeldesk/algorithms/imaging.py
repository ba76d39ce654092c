"""Image conversion to 8 bits and to RGB: the one set of rules every layer uses.

``algorithms``, ``io`` (display, export), ``core`` (proposals) and ``models`` (training,
prediction) all import these, so an image becomes 8-bit the same way everywhere; which
*window* (the input values mapped to 0..255) is the only choice a caller makes:

* ``"minmax"``: the image's finite minimum..maximum (no clipping; NaN and inf become 0).
  Algorithms (OpenCV needs 8 bits) and the dataset exports (the VOC/COCO ``JPEGImages``)
  use it: 12-bit or [0, 1] data keep all their contrast.
* ``"percentile"``: the 0.5..99.5 percentiles of a sample (:func:`display_range`), clipped:
  what the app shows for 16-bit and float images, and what models are fed (they see what
  the person sees).
* ``"full"``: the dtype's full range: 0..65535 for uint16, 0..1 for float.
* ``(lo, hi)``: an explicit window (window / level set by the person).

uint8 images are never rescaled. Values are rounded to the nearest integer. The alpha of an
RGBA image is dropped, or with ``keep_alpha`` scaled by its dtype's full range (never
windowed). Arrays are ``(H, W)``, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["Window", "display_range", "minmax_range", "to_rgb8", "to_uint8", "value_window"]

Window = Literal["minmax", "percentile", "full"] | tuple[float, float]


def display_range(
    image: np.ndarray, *, low: float = 0.5, high: float = 99.5
) -> tuple[float, float]:
    """Percentile window ``(lo, hi)`` for showing a 16-bit or float image (sampled for speed;
    non-finite values ignored; ``hi > lo`` always)."""
    step = max(1, int(np.sqrt(image.shape[0] * image.shape[1] / 250_000)))
    sample = image[::step, ::step]
    sample = sample[np.isfinite(sample)] if sample.dtype.kind == "f" else sample
    if sample.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(sample, [low, high])
    if hi <= lo:
        lo, hi = float(sample.min()), float(sample.max())
    return float(lo), float(hi if hi > lo else lo + 1)


def minmax_range(image: np.ndarray) -> tuple[float, float] | None:
    """The finite minimum and maximum, or None when no value is finite."""
    if image.dtype.kind != "f":
        return float(image.min()), float(image.max())
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        return None
    return float(finite.min()), float(finite.max())


def value_window(image: np.ndarray, window: Window = "minmax") -> tuple[float, float] | None:
    """The input values ``(lo, hi)`` that ``window`` maps to 0..255 (see module docs)."""
    if isinstance(window, tuple):
        lo, hi = float(window[0]), float(window[1])
        if not hi > lo:
            raise ValueError(f"window must have hi > lo, got {window}")
        return lo, hi
    if window == "minmax":
        return minmax_range(image)
    if window == "percentile":
        return display_range(image)
    if window == "full":
        return (0.0, 65535.0) if image.dtype == np.uint16 else (0.0, 1.0)
    raise ValueError(f"window must be 'minmax', 'percentile', 'full' or (lo, hi), got {window!r}")


def _scale(data: np.ndarray, win: tuple[float, float] | None) -> np.ndarray:
    if win is None:
        return np.zeros(data.shape, np.uint8)
    lo, hi = win
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    values = data.astype(np.float64)
    finite = np.isfinite(values)
    out = np.where(finite, (values - lo) * scale, 0.0)
    return np.rint(np.clip(out, 0.0, 255.0)).astype(np.uint8)


def to_uint8(
    image: np.ndarray, window: Window = "minmax", *, keep_alpha: bool = False
) -> np.ndarray:
    """The image as uint8 with the same layout (see module docs for ``window``).

    uint8 is returned as is (alpha dropped unless ``keep_alpha``); other depths are mapped
    through the window, colour channels together. Raises ValueError for a bad window.
    """
    rgba = image.ndim == 3 and image.shape[2] == 4
    colour = image[..., :3] if rgba else image
    if image.dtype == np.uint8:
        return image if (keep_alpha or not rgba) else colour
    out = _scale(colour, value_window(colour, window))
    if rgba and keep_alpha:
        full = 65535.0 if image.dtype == np.uint16 else 1.0
        alpha = _scale(image[..., 3], (0.0, full))
        out = np.dstack([out, alpha])
    return out


def to_rgb8(image: np.ndarray, window: Window = "minmax") -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB, C-contiguous (what OpenCV's watershed and GrabCut and the
    models need): gray (or one channel) repeated, alpha dropped, deeper images windowed."""
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    out = to_uint8(arr, window)
    if out.ndim == 2:
        out = np.repeat(out[:, :, None], 3, axis=2)
    return np.ascontiguousarray(out)
