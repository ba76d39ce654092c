"""Input checks and conversions shared by the segmentation functions.

Every check raises ``ValueError`` with a message that names the argument and, where it helps,
its shape and dtype, so the app can show it in the status bar as it is.

Conventions: images are ``(H, W)`` gray or ``(H, W, 3)`` RGB, uint8/uint16/float; points are
``(x, y)`` pixels where integer coordinates are pixel centres (Pillow's and labelme's
rasterization convention), so a fractional point belongs to the nearest pixel; masks are
``(H, W)`` bool indexed ``[y, x]``.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms import imaging

# (x0, y0, x1, y1), x1/y1 exclusive: a window into an image
Window = tuple[int, int, int, int]


def describe(arr: np.ndarray) -> str:
    return f"shape {tuple(arr.shape)}, dtype {arr.dtype}"


def check_image(image: Any, name: str = "image") -> np.ndarray:
    """``image`` as an ``(H, W)`` or ``(H, W, 3)`` uint8/uint16/float array (not copied).

    ``(H, W, 1)`` is taken as gray. Float images must be finite.
    """
    if image is None:
        raise ValueError(f"{name} is missing (got None)")
    arr = np.asarray(image)
    ok_dtype = arr.dtype in (np.uint8, np.uint16) or np.issubdtype(arr.dtype, np.floating)
    if not ok_dtype:
        raise ValueError(f"{name} must be uint8, uint16 or float, got {describe(arr)}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError(f"{name} must have shape (H, W) or (H, W, 3) RGB, got {describe(arr)}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} is empty: {describe(arr)}")
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values ({describe(arr)})")
    return arr


def check_mask(mask: Any, shape: tuple[int, int], name: str) -> np.ndarray:
    """``mask`` as an ``(H, W)`` bool array matching ``shape``; any non-zero value is True."""
    arr = np.asarray(mask)
    if arr.dtype != bool and not (np.issubdtype(arr.dtype, np.integer) or arr.dtype.kind == "f"):
        raise ValueError(f"{name} must be a bool mask, got {describe(arr)}")
    if arr.shape != tuple(shape):
        raise ValueError(
            f"{name} must have the image's shape (H, W) = {tuple(shape)}, got {describe(arr)}"
        )
    return arr if arr.dtype == bool else arr != 0


def optional_mask(mask: Any, shape: tuple[int, int], name: str) -> np.ndarray | None:
    return None if mask is None else check_mask(mask, shape, name)


def check_points(
    points: Any, shape: tuple[int, int], name: str, *, min_count: int = 1
) -> np.ndarray:
    """``points`` as ``(N, 2)`` float64 ``(x, y)``, every one inside an image of ``shape``."""
    try:
        arr = np.array(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (N, 2) numbers (x, y), got {points!r:.60}") from None
    if arr.ndim == 1 and arr.size == 2:
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2) as (x, y), got shape {arr.shape}")
    if len(arr) < min_count:
        raise ValueError(f"{name} needs at least {min_count} points, got {len(arr)}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite coordinates")
    h, w = shape
    for x, y in arr:
        if not (-0.5 <= x < w - 0.5 and -0.5 <= y < h - 0.5):
            raise ValueError(
                f"{name}: point (x, y) = ({x:g}, {y:g}) is outside the image "
                f"(width {w}, height {h})"
            )
    return arr


def check_point(point: Any, shape: tuple[int, int], name: str) -> tuple[int, int]:
    """One ``(x, y)`` point inside the image, as the integer pixel ``(x, y)`` it falls in."""
    arr = np.array(point, dtype=np.float64) if _is_numeric(point) else None
    if arr is None or arr.shape != (2,):
        raise ValueError(f"{name} must be one point (x, y), got {point!r:.60}")
    pts = check_points(arr.reshape(1, 2), shape, name)
    return pixel(pts[0])


def pixel(pt: np.ndarray) -> tuple[int, int]:
    """The integer pixel ``(x, y)`` a point falls in (nearest pixel centre)."""
    return int(np.floor(pt[0] + 0.5)), int(np.floor(pt[1] + 0.5))


def _is_numeric(value: Any) -> bool:
    try:
        np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def check_box(box: Any, shape: tuple[int, int], name: str = "box") -> Window:
    """``(x0, y0, x1, y1)`` as an integer window clipped to the image, ``x1``/``y1`` exclusive.

    The box is inclusive of both corners (labelme's rectangle rule): pixel ``(x, y)`` is inside
    when ``x0 <= x <= x1`` and ``y0 <= y <= y1`` after rounding to pixel centres. Corners may
    come in any order. A box that covers no pixel, or less than 2 pixels across, is rejected.
    """
    try:
        arr = np.array(box, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (x0, y0, x1, y1), got {box!r:.60}") from None
    if arr.shape != (4,) or not np.isfinite(arr).all():
        raise ValueError(f"{name} must be 4 finite numbers (x0, y0, x1, y1), got {box!r:.60}")
    h, w = shape
    xa, xb = sorted((arr[0], arr[2]))
    ya, yb = sorted((arr[1], arr[3]))
    x0, y0 = max(0, int(np.floor(xa + 0.5))), max(0, int(np.floor(ya + 0.5)))
    x1, y1 = min(w, int(np.floor(xb + 0.5)) + 1), min(h, int(np.floor(yb + 0.5)) + 1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise ValueError(
            f"{name} {tuple(float(v) for v in arr)} has zero size inside the image "
            f"(width {w}, height {h}); drag a box at least 2 pixels wide and high"
        )
    return x0, y0, x1, y1


def mask_window(mask: np.ndarray) -> Window | None:
    """The bounding window of the True pixels (x1/y1 exclusive), or None if there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(mask[y0:y1].any(axis=0))
    return int(cols[0]), y0, int(cols[-1]) + 1, y1


def grow_window(win: Window, margin: int, shape: tuple[int, int]) -> Window:
    x0, y0, x1, y1 = win
    h, w = shape
    return max(0, x0 - margin), max(0, y0 - margin), min(w, x1 + margin), min(h, y1 + margin)


def union_window(a: Window | None, b: Window | None) -> Window | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def crop(arr: np.ndarray, win: Window) -> np.ndarray:
    x0, y0, x1, y1 = win
    return arr[y0:y1, x0:x1]


def to_gray(image: np.ndarray) -> np.ndarray:
    """Luminance (ITU-R BT.601, as OpenCV) of an RGB image in its own units; gray unchanged."""
    if image.ndim == 2:
        return image
    if image.dtype == np.float64:
        image = image.astype(np.float32)
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An 8-bit version for OpenCV functions that need one: uint8 passes through; uint16 and
    float are stretched from their minimum to their maximum (:mod:`.imaging`, ``"minmax"``),
    so 12-bit or [0, 1] data keep their contrast."""
    return imaging.to_uint8(image, "minmax")


def to_rgb8(image: np.ndarray) -> np.ndarray:
    """8-bit, 3-channel, C-contiguous (what cv2.watershed and cv2.grabCut require)."""
    return imaging.to_rgb8(image, "minmax")
