"""Mask clean-up: largest component, hole filling, small-part removal, smoothing.

Every function takes an ``(H, W)`` bool mask (any 0/non-zero array is accepted) and returns a
new ``(H, W)`` bool mask; the input is never modified.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms._validate import describe


def check_binary(mask: Any, name: str = "mask") -> np.ndarray:
    """``mask`` as a 2-D bool array."""
    if mask is None:
        raise ValueError(f"{name} is missing (got None)")
    arr = np.asarray(mask)
    if arr.dtype != bool and not (np.issubdtype(arr.dtype, np.integer) or arr.dtype.kind == "f"):
        raise ValueError(f"{name} must be a bool mask, got {describe(arr)}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (H, W), got {describe(arr)}")
    return arr if arr.dtype == bool else arr != 0


def _connectivity(connectivity: Any) -> int:
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    return int(connectivity)


def _components(mask: np.ndarray, connectivity: int) -> tuple[int, np.ndarray, np.ndarray]:
    if mask.size == 0:
        return 1, np.zeros(mask.shape, np.int32), np.zeros((1, 5), np.int32)
    n, comp, stats, _ = cv2.connectedComponentsWithStats(
        np.ascontiguousarray(mask.view(np.uint8)), connectivity=connectivity
    )
    return n, comp, stats


def largest_component(mask: Any, *, connectivity: int = 8) -> np.ndarray:
    """The largest connected part of ``mask`` (the first one found on a tie); empty stays empty."""
    m = check_binary(mask)
    n, comp, stats = _components(m, _connectivity(connectivity))
    if n <= 1:
        return np.zeros(m.shape, dtype=bool)
    return comp == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def remove_small(mask: Any, *, min_area: int, connectivity: int = 8) -> np.ndarray:
    """``mask`` without its connected parts of fewer than ``min_area`` pixels."""
    m = check_binary(mask)
    if isinstance(min_area, bool) or not isinstance(min_area, int | np.integer) or min_area < 0:
        raise ValueError(f"min_area must be an int >= 0 (pixels), got {min_area!r}")
    n, comp, stats = _components(m, _connectivity(connectivity))
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[comp]


def fill_holes(mask: Any, *, max_area: int | None = None) -> np.ndarray:
    """``mask`` with its holes filled: background parts that do not touch the image border.

    Holes are background regions 4-connected among themselves (so a diagonal gap in an
    8-connected outline does not leak). ``max_area`` fills only holes up to that many pixels.
    """
    m = check_binary(mask)
    if max_area is not None and (
        isinstance(max_area, bool) or not isinstance(max_area, int | np.integer) or max_area < 0
    ):
        raise ValueError(f"max_area must be None or an int >= 0 (pixels), got {max_area!r}")
    n, comp, stats = _components(~m, 4)
    if n <= 1:
        return m.copy()
    border = np.unique(np.concatenate([comp[0, :], comp[-1, :], comp[:, 0], comp[:, -1]]))
    is_hole = np.ones(n, dtype=bool)
    is_hole[0] = False  # label 0 is the mask itself
    is_hole[border] = False
    if max_area is not None:
        is_hole &= stats[:, cv2.CC_STAT_AREA] <= max_area
    return m | is_hole[comp]


def smooth_mask(mask: Any, *, radius: float = 2.0) -> np.ndarray:
    """Smooth the outline of ``mask``: Gaussian blur of sigma ``radius`` px, then 0.5 cut.

    Jagged steps and one-pixel spurs go, corners round off by about ``radius``, and the area
    stays close to the original (straight edges do not move). ``radius`` 0 returns a copy.
    """
    m = check_binary(mask)
    r = float(radius)
    if not np.isfinite(r) or r < 0:
        raise ValueError(f"radius must be >= 0 (pixels), got {radius!r}")
    if r == 0 or m.size == 0:
        return m.copy()
    soft = cv2.GaussianBlur(m.astype(np.float32), (0, 0), r, borderType=cv2.BORDER_REPLICATE)
    return soft > 0.5
