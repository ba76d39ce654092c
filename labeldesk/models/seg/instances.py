"""Object instances from a predicted label map (numpy + OpenCV).

Without a boundary map, each 8-connected component of a class is one object. With a
boundary probability map, touching objects of one class are split by a marker watershed:
markers are the connected "cores" (class pixels with boundary probability below the
threshold); they then grow into the rest of the class's pixels in order of increasing
boundary probability (the boundary band is flooded in ``levels`` steps, each by repeated
one-pixel dilation), so two objects meet along the ridge of the boundary map. Class pixels
that no marker reaches become objects of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Instance:
    """One predicted object.

    Attributes:
        class_id: label value, 1..K (``class_names[class_id - 1]``).
        class_name: the class's name.
        mask: ``(H, W)`` bool, indexed ``[y, x]``.
        score: mean confidence of the model over the mask (1.0 when none was given).
        bbox: inclusive ``(x0, y0, x1, y1)`` pixel box of the mask.
    """

    class_id: int
    class_name: str
    mask: np.ndarray
    score: float
    bbox: tuple[int, int, int, int]

    @property
    def area(self) -> int:
        return int(self.mask.sum())


def split_touching(
    mask: np.ndarray,
    boundary: np.ndarray,
    *,
    threshold: float = 0.5,
    min_core_area: int = 4,
    levels: int = 8,
) -> np.ndarray:
    """Split one class's ``(H, W)`` bool ``mask`` into objects; returns ``(H, W)`` int32 ids
    (0 outside the mask, 1..n inside), using the ``(H, W)`` float boundary probability."""
    full = np.zeros(mask.shape, np.int32)
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return full
    window = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    full[window] = _split_window(mask[window], boundary[window], threshold, min_core_area, levels)
    return full


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
    # renumber 1..n
    uniq = np.unique(out)
    lut = np.zeros(int(uniq.max()) + 1, np.int32)
    lut[uniq] = np.arange(len(uniq), dtype=np.int32)
    if uniq[0] != 0:
        lut[uniq] += 1
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
    out: list[Instance] = []
    for cid in range(1, len(class_names) + 1):
        mask = labels == cid
        if not mask.any():
            continue
        if boundary is not None:
            ids = split_touching(mask, boundary, threshold=boundary_threshold)
            n = int(ids.max()) + 1
        else:
            n, ids = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
        found = []
        for k, (y0, y1, x0, x1) in _boxes(ids, n).items():
            sub = ids[y0 : y1 + 1, x0 : x1 + 1] == k
            area = int(sub.sum())
            if area < min_area:
                continue
            m = np.zeros(labels.shape, bool)
            m[y0 : y1 + 1, x0 : x1 + 1] = sub
            score = 1.0
            if confidence is not None:
                score = float(confidence[y0 : y1 + 1, x0 : x1 + 1][sub].mean())
            found.append(Instance(cid, class_names[cid - 1], m, score, (x0, y0, x1, y1)))
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
