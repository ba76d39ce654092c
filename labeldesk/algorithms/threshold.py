"""Global (Otsu, manual range) and adaptive (local mean) thresholding."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms._validate import (
    check_image,
    crop,
    describe,
    mask_window,
    optional_mask,
    to_gray,
)

METHODS = ("otsu", "manual", "adaptive")


def _channel(image: np.ndarray, channel: int | None) -> np.ndarray:
    """The 2-D plane to threshold: luminance for RGB when ``channel`` is None."""
    if channel is None:
        return to_gray(image)
    if isinstance(channel, bool) or not isinstance(channel, int | np.integer):
        raise ValueError(f"channel must be None or an int (0 = R, 1 = G, 2 = B), got {channel!r}")
    n = 1 if image.ndim == 2 else image.shape[2]
    if not 0 <= channel < n:
        raise ValueError(
            f"channel {channel} does not exist in image of {describe(image)} "
            f"(valid: 0..{n - 1}, or None for luminance)"
        )
    return image if image.ndim == 2 else image[:, :, int(channel)]


def _otsu_from_hist(hist: np.ndarray, centres: np.ndarray) -> float:
    """Otsu's threshold from a histogram; pixels with value > threshold are foreground."""
    hist = hist.astype(np.float64)
    total = hist.sum()
    if total == 0:
        return float(centres[0])
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * centres)
    w1 = total - w0
    mean_all = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * w0 - m0 * total) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = -1.0
    k = int(np.argmax(between))
    if between[k] < 0:  # one value only: everything at or below it is background
        return float(centres[-1])
    # the threshold lies between bin k and bin k + 1; for uint8 this is exactly bin k
    return float(centres[k])


def _otsu(plane: np.ndarray, roi: np.ndarray | None) -> float:
    mask8 = None if roi is None else roi.view(np.uint8)
    if plane.dtype == np.uint8:
        hist = cv2.calcHist([plane], [0], mask8, [256], [0, 256]).ravel()
        return _otsu_from_hist(hist, np.arange(256, dtype=np.float64))
    values = plane if roi is None else plane[roi]
    if values.size == 0:
        return 0.0
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return lo
    bins = 4096
    step = (hi - lo) / bins
    idx = np.minimum(((values.astype(np.float64) - lo) / step).astype(np.int64), bins - 1)
    hist = np.bincount(idx.ravel(), minlength=bins)
    # bin k holds values in [lo + k*step, lo + (k+1)*step): its upper edge separates the classes
    return _otsu_from_hist(hist, lo + step * (np.arange(bins) + 1.0))


def otsu_threshold(image: Any, *, channel: int | None = None, roi: Any = None) -> float:
    """Otsu's threshold of ``image`` (in the image's own units), computed over ``roi`` only.

    ``threshold_mask(image, method="otsu")`` marks the pixels strictly above this value. Useful
    to start a manual range slider where Otsu would put it.
    """
    img = check_image(image)
    roi_m = optional_mask(roi, img.shape[:2], "roi")
    return _otsu(_channel(img, channel), roi_m)


def _default_block(h: int, w: int) -> int:
    b = max(3, min(h, w) // 8)
    return b if b % 2 else b + 1


def threshold_mask(
    image: Any,
    *,
    method: str = "otsu",
    low: float | None = None,
    high: float | None = None,
    block_size: int | None = None,
    offset: float = 0.0,
    channel: int | None = None,
    roi: Any = None,
) -> np.ndarray:
    """Threshold one plane of ``image`` into a bool mask.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` RGB, uint8/uint16/float.
        method: ``"otsu"`` marks pixels above Otsu's threshold (computed from the ``roi``
            pixels only); ``"manual"`` marks ``low <= value <= high``; ``"adaptive"`` marks
            pixels above their local mean minus ``offset`` over a ``block_size`` square.
        low, high: the manual range, in the image's own units (0..255 for uint8, 0..65535 for
            uint16, as is for float); either may be None for an open end. Only for "manual".
        block_size: odd window side for "adaptive", >= 3; default ``min(H, W) // 8``.
        offset: subtracted from the local mean for "adaptive" (image units); a positive
            offset takes in pixels a little darker than their surroundings.
        channel: None thresholds luminance (gray images: the image); 0, 1, 2 pick R, G, B.
        roi: optional ``(H, W)`` bool mask; pixels outside it are False and do not count for
            Otsu's threshold. The work is done on the roi's bounding box only.

    Returns:
        ``(H, W)`` bool mask. Dark objects: use "manual" with ``high`` or invert the mask
        inside the roi.

    Raises:
        ValueError: unknown method, bad range, bad block size, bad channel, or bad image/roi.
    """
    img = check_image(image)
    h, w = img.shape[:2]
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    roi_m = optional_mask(roi, (h, w), "roi")
    win = (0, 0, w, h) if roi_m is None else mask_window(roi_m)
    if method == "manual":
        if low is None and high is None:
            raise ValueError("method='manual' needs low and/or high (the value range to keep)")
        lo = -np.inf if low is None else float(low)
        hi = np.inf if high is None else float(high)
        if np.isnan(lo) or np.isnan(hi):
            raise ValueError(f"low and high must be numbers, got low={low!r}, high={high!r}")
        if lo > hi:
            raise ValueError(f"low ({lo:g}) must not be above high ({hi:g})")
    if method == "adaptive":
        if block_size is None:
            block_size = _default_block(h, w)
        if isinstance(block_size, bool) or not isinstance(block_size, int | np.integer):
            raise ValueError(f"block_size must be an odd int >= 3, got {block_size!r}")
        if block_size < 3 or block_size % 2 == 0:
            raise ValueError(f"block_size must be an odd int >= 3, got {block_size}")
        if not np.isfinite(float(offset)):
            raise ValueError(f"offset must be a finite number, got {offset!r}")
    out = np.zeros((h, w), dtype=bool)
    if win is None:  # empty roi
        return out
    sub_roi = None if roi_m is None else crop(roi_m, win)
    plane = _channel(crop(img, win), channel)
    if method == "manual":
        res = _range(plane, lo, hi)
    elif method == "otsu":
        res = _range(plane, _otsu(plane, sub_roi), np.inf, open_low=True)
    else:
        assert block_size is not None  # set above for "adaptive"
        res = _adaptive(plane, int(block_size), float(offset))
    if sub_roi is not None:
        res &= sub_roi
    if win == (0, 0, w, h):
        return res  # a fresh array: no need to copy it into ``out``
    x0, y0, x1, y1 = win
    out[y0:y1, x0:x1] = res
    return out


def _range(plane: np.ndarray, lo: float, hi: float, *, open_low: bool = False) -> np.ndarray:
    """``lo <= plane <= hi`` (``lo < plane`` when ``open_low``) as a fresh bool array."""
    if plane.dtype in (np.uint8, np.uint16):
        top = 255 if plane.dtype == np.uint8 else 65535
        if np.isinf(lo):
            first = 0 if lo < 0 else top + 1
        else:
            first = max(0, int(np.floor(lo)) + 1 if open_low else int(np.ceil(lo)))
        last = min(int(np.floor(hi)), top) if np.isfinite(hi) else (top if hi > 0 else -1)
        if first > last:
            return np.zeros(plane.shape, dtype=bool)
        out = cv2.inRange(np.ascontiguousarray(plane), first, last)  # 0 / 255
        np.bitwise_and(out, 1, out=out)  # 0 / 1: a valid bool buffer
        return out.view(bool)
    res = plane > lo if open_low else plane >= lo
    if np.isfinite(hi):
        res &= plane <= hi
    return res


def _adaptive(plane: np.ndarray, block: int, offset: float) -> np.ndarray:
    if plane.dtype == np.uint8 and float(offset).is_integer():
        out = cv2.adaptiveThreshold(
            np.ascontiguousarray(plane),
            1,
            cv2.ADAPTIVE_THRESH_MEAN_C,
            cv2.THRESH_BINARY,
            block,
            offset,
        )
        return out.view(bool)
    f = plane.astype(np.float32)
    mean = cv2.boxFilter(f, -1, (block, block), borderType=cv2.BORDER_REPLICATE)
    return f > mean - np.float32(offset)
