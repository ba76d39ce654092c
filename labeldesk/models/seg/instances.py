"""Object instances from a predicted label map (numpy + OpenCV).

Without a boundary map, each 8-connected component of a class is one object. With a
boundary probability map, touching objects of one class are split by a marker watershed:
markers are the connected "cores" (class pixels with boundary probability below the
threshold); they then grow into the rest of the class's pixels in order of increasing
boundary probability (the boundary band is flooded in ``levels`` steps, each by repeated
one-pixel dilation), so two objects meet along the ridge of the boundary map. Class pixels
that no marker reaches become objects of their own.

Each :class:`Instance` keeps its mask cropped to its box (``crop`` + ``origin``), so finding
n objects costs about the image once per class plus the objects' boxes, not n full images.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

MIN_CORE_AREA = 4  # watershed markers: cores with fewer pixels are dropped
LEVELS = 8  # watershed: the boundary band is flooded in this many steps


@dataclass
class Instance:
    """One predicted object, stored as a mask cropped to its box.

    Attributes:
        class_id: label value, 1..K (``class_names[class_id - 1]``).
        class_name: the class's name.
        crop: ``(h, w)`` bool mask cut to the object's box, indexed ``[y, x]``.
        origin: ``(x0, y0)`` of ``crop``'s top-left pixel in the image.
        image_shape: ``(H, W)`` of the image the object was found in.
        score: mean confidence of the model over the mask (1.0 when none was given).
        area: pixels in the mask.

    ``mask`` (the full ``(H, W)`` bool mask) is built on each access: prefer ``crop`` and
    ``origin``, which cost the box's pixels rather than the image's.
    """

    class_id: int
    class_name: str
    crop: np.ndarray
    origin: tuple[int, int]
    image_shape: tuple[int, int]
    score: float
    area: int

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """Inclusive ``(x0, y0, x1, y1)`` pixel box of the mask."""
        x0, y0 = self.origin
        h, w = self.crop.shape
        return x0, y0, x0 + w - 1, y0 + h - 1

    @property
    def mask(self) -> np.ndarray:
        """The full ``(H, W)`` bool mask (a new array each time)."""
        return self.full_mask(self.image_shape)

    def full_mask(self, shape: tuple[int, int] | None = None) -> np.ndarray:
        """``(H, W)`` bool mask for an image of ``shape`` (default: :attr:`image_shape`);
        the part of the crop outside ``shape`` is dropped."""
        h, w = self.image_shape if shape is None else (int(shape[0]), int(shape[1]))
        out = np.zeros((h, w), bool)
        x0, y0 = self.origin
        if x0 < w and y0 < h:
            out[y0 : y0 + self.crop.shape[0], x0 : x0 + self.crop.shape[1]] = self.crop[
                : h - y0, : w - x0
            ]
        return out


def split_touching(
    mask: np.ndarray,
    boundary: np.ndarray,
    *,
    threshold: float = 0.5,
    min_core_area: int = MIN_CORE_AREA,
    levels: int = LEVELS,
) -> np.ndarray:
    """Split one class's ``(H, W)`` bool ``mask`` into objects; returns ``(H, W)`` int32 ids
    (0 outside the mask, 1..n inside), using the ``(H, W)`` float boundary probability."""
    full = np.zeros(mask.shape, np.int32)
    window = _window(mask)
    if window is not None:
        full[window] = _split_window(
            mask[window], boundary[window], threshold, min_core_area, levels
        )
    return full


def _window(mask: np.ndarray) -> tuple[slice, slice] | None:
    """``(rows, columns)`` slices of the box of an ``(H, W)`` bool mask; None if empty."""
    x, y, w, h = cv2.boundingRect(np.ascontiguousarray(mask).view(np.uint8))
    return (slice(y, y + h), slice(x, x + w)) if w and h else None


def _split_window(
    mask: np.ndarray, boundary: np.ndarray, threshold: float, min_core_area: int, levels: int
) -> np.ndarray:
    core = (mask & (boundary < threshold)).astype(np.uint8)
    n, markers = cv2.connectedComponents(core, connectivity=4)
    if n > 1 and min_core_area > 1:
        areas = np.bincount(markers.ravel(), minlength=n)
        small = areas < min_core_area
        small[0] = False
        if small.any():
            markers[small[markers]] = 0
    ids = markers.astype(np.float32)
    kernel = np.ones((3, 3), np.uint8)
    for level in np.linspace(threshold, 1.0, levels + 1)[1:]:
        allowed = mask & (boundary <= level + 1e-6)
        for _ in range(mask.shape[0] + mask.shape[1]):
            todo = allowed & (ids == 0)
            if not todo.any():
                break
            grown = cv2.dilate(ids, kernel)
            new = todo & (grown > 0)
            if not new.any():
                break
            ids[new] = grown[new]
    out = ids.astype(np.int32)
    leftover = (mask & (out == 0)).astype(np.uint8)
    if leftover.any():
        m, extra = cv2.connectedComponents(leftover, connectivity=8)
        top = out.max()
        out[extra > 0] = extra[extra > 0] + top
    # renumber 1..n in order of the old ids
    present = np.bincount(out.ravel(), minlength=1) > 0
    present[0] = True
    lut = (np.cumsum(present) - 1).astype(np.int32)
    return lut[out]


def instances_from_labels(
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    confidence: np.ndarray | None = None,
    boundary: np.ndarray | None = None,
    min_area: int = 16,
    boundary_threshold: float = 0.5,
) -> list[Instance]:
    """Objects of every class in an ``(H, W)`` uint8 label map, ordered by class then area
    (largest first).

    Args:
        labels: 0 = background, ``i`` = ``class_names[i - 1]``.
        confidence: ``(H, W)`` float per-pixel confidence for the instance scores.
        boundary: ``(H, W)`` float boundary probability; when given, touching objects of one
            class are split (see :func:`split_touching`).
        min_area: objects with fewer pixels are dropped.
    """
    if labels.ndim != 2:
        raise ValueError(f"labels must be (H, W), got shape {labels.shape}")
    shape = (int(labels.shape[0]), int(labels.shape[1]))
    out: list[Instance] = []
    for cid in range(1, len(class_names) + 1):
        mask = labels == cid
        window = _window(mask)
        if window is None:
            continue
        if boundary is not None:
            # split inside the class's box; ids and boxes are relative to (ox, oy)
            rows, cols = window
            oy, ox = rows.start, cols.start
            ids = _split_window(
                mask[rows, cols], boundary[rows, cols], boundary_threshold, MIN_CORE_AREA, LEVELS
            )
            boxes = _boxes(ids, int(ids.max()) + 1)
        else:
            ox = oy = 0
            n, ids, stats, _ = cv2.connectedComponentsWithStats(
                mask.view(np.uint8), connectivity=8, ltype=cv2.CV_32S
            )
            boxes = {
                k: (int(y), int(y + h - 1), int(x), int(x + w - 1))
                for k, (x, y, w, h, area) in enumerate(stats[1:].tolist(), start=1)
                if area >= min_area
            }
        found = []
        for k, (y0, y1, x0, x1) in boxes.items():
            sub = ids[y0 : y1 + 1, x0 : x1 + 1] == k
            area = int(np.count_nonzero(sub))
            if area < min_area:
                continue
            score = 1.0
            if confidence is not None:
                score = float(confidence[oy + y0 : oy + y1 + 1, ox + x0 : ox + x1 + 1][sub].mean())
            origin = (ox + x0, oy + y0)
            found.append(Instance(cid, class_names[cid - 1], sub, origin, shape, score, area))
        found.sort(key=lambda inst: -inst.area)
        out.extend(found)
    return out


def _boxes(ids: np.ndarray, n: int) -> dict[int, tuple[int, int, int, int]]:
    """Inclusive ``(y0, y1, x0, x1)`` box of each id 1..n-1 present in ``ids``."""
    ys, xs = np.nonzero(ids)
    if len(ys) == 0:
        return {}
    k = ids[ys, xs]
    y0 = np.full(n, np.iinfo(np.int64).max)
    x0 = y0.copy()
    y1 = np.full(n, -1)
    x1 = y1.copy()
    np.minimum.at(y0, k, ys)
    np.minimum.at(x0, k, xs)
    np.maximum.at(y1, k, ys)
    np.maximum.at(x1, k, xs)
    return {
        int(i): (int(y0[i]), int(y1[i]), int(x0[i]), int(x1[i])) for i in range(1, n) if y1[i] >= 0
    }
