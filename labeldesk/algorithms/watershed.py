"""Marker-controlled watershed from scribbles."""

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
    to_rgb8,
)

# 4-neighbour offsets (dy, dx) used to give watershed-line pixels a label
_NEIGHBOURS = ((0, 1), (0, -1), (1, 0), (-1, 0))


def check_markers(markers: Any, shape: tuple[int, int], name: str = "markers") -> np.ndarray:
    """``markers`` as an ``(H, W)`` integer or bool array (not copied); shape and type only.

    The values are checked on the part that is used, by :func:`_check_values`.
    """
    arr = np.asarray(markers)
    if arr.dtype != bool and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be an integer label map (0 = unknown), got {describe(arr)}")
    if arr.shape != tuple(shape):
        raise ValueError(
            f"{name} must have the image's shape (H, W) = {tuple(shape)}, got {describe(arr)}"
        )
    return arr


def _check_values(arr: np.ndarray, roi: np.ndarray | None = None) -> np.ndarray:
    """``arr`` (a crop of the markers) as a fresh int32 label map, zero outside ``roi``.

    Values must be >= 0 and below 2**31 - 1, and at least one seed must remain.
    """
    if arr.dtype != bool and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0:
            raise ValueError(f"markers must be >= 0 (0 = unknown, 1..K = seeds), got {lo}")
        if hi >= 2**31 - 1:
            raise ValueError(f"markers labels must be below 2**31 - 1, got {hi}")
    out = arr.astype(np.int32)
    if roi is not None:
        out[~roi] = 0  # seeds outside the roi do not count
    if not out.any():
        if roi is not None:
            raise ValueError("markers has no seed inside roi: draw a scribble inside the region")
        raise ValueError(f"markers is empty: draw at least one scribble (all {arr.size} are 0)")
    return out


def marker_watershed(
    image: Any, markers: Any, *, roi: Any = None, smoothing: float = 1.0
) -> np.ndarray:
    """Flood the image from labelled seeds; every pixel gets the label of the seed that wins.

    The image is smoothed with a Gaussian (``smoothing`` px) and flooded by OpenCV's
    Meyer watershed; its one-pixel watershed lines are then given the label of the 4-neighbour
    whose colour is closest, so the labels tile the image (or the roi).

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` RGB, uint8/uint16/float.
        markers: ``(H, W)`` int label map: 0 = unknown, 1..K = seeds (e.g. 1 from foreground
            scribbles, 2 from background scribbles).
        roi: optional ``(H, W)`` bool mask; only seeds inside it count, the flood runs on its
            bounding box (so a 1000x1000 roi costs the same in any image) and pixels outside
            it are 0 in the result.
        smoothing: Gaussian sigma in pixels applied first (0: none).

    Returns:
        ``(H, W)`` int32 label map: the seed labels everywhere (inside ``roi``), 0 outside it.

    Raises:
        ValueError: bad image, markers of the wrong shape or type, no seed (inside the roi).
    """
    img = check_image(image)
    h, w = img.shape[:2]
    mk = check_markers(markers, (h, w))
    roi_m = optional_mask(roi, (h, w), "roi")
    sigma = float(smoothing)
    if not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"smoothing must be >= 0, got {smoothing!r}")
    out = np.zeros((h, w), dtype=np.int32)
    win: tuple[int, int, int, int] | None
    if roi_m is None:
        win = (0, 0, w, h)
        labels = _check_values(mk)
    else:
        win = mask_window(roi_m)
        if win is None:
            raise ValueError("roi is empty: it selects no pixel")
        labels = _check_values(crop(mk, win), crop(roi_m, win))
    x0, y0, x1, y1 = win
    sub = to_rgb8(crop(img, win))
    if sigma > 0:
        sub = cv2.GaussianBlur(sub, (0, 0), sigma)
    # OpenCV marks the image's outer frame as watershed line: pad by one pixel so it does not
    # overwrite seeds drawn on the border, and crop the pad off afterwards
    padded = cv2.copyMakeBorder(labels, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.watershed(cv2.copyMakeBorder(sub, 1, 1, 1, 1, cv2.BORDER_REPLICATE), padded)
    labels = padded[1:-1, 1:-1].copy()
    _fill_lines(labels, sub)
    if roi_m is not None:
        labels[~crop(roi_m, win)] = 0
    out[y0:y1, x0:x1] = labels
    return out


def _fill_lines(labels: np.ndarray, image: np.ndarray) -> None:
    """Give each watershed-line pixel (-1) the label of its most similar labelled 4-neighbour."""
    img = image.astype(np.int32)
    while True:  # lines are 1 px wide: one pass fills nearly all of them
        line = labels < 0
        if not line.any():
            return
        ys, xs = np.nonzero(line)
        best = np.full(len(ys), np.iinfo(np.int64).max, dtype=np.int64)
        pick = np.zeros(len(ys), dtype=np.int32)
        for dy, dx in _NEIGHBOURS:
            ny = np.clip(ys + dy, 0, labels.shape[0] - 1)
            nx = np.clip(xs + dx, 0, labels.shape[1] - 1)
            lab = labels[ny, nx]
            diff = img[ny, nx] - img[ys, xs]
            dist = (diff * diff).sum(axis=-1) if diff.ndim == 2 else diff * diff
            better = (lab > 0) & (dist < best)
            best[better] = dist[better]
            pick[better] = lab[better]
        if not (pick > 0).any():  # nothing labelled next to them (cannot happen with seeds)
            labels[ys, xs] = 0
            return
        labels[ys, xs] = np.where(pick > 0, pick, -1)
