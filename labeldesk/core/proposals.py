"""Proposed regions (Qt- and torch-free): the :class:`Proposal` type every source returns,
and the classical source that needs no model.

:func:`classical_proposals` picks object-like regions of
:func:`labeldesk.algorithms.auto.auto_segment`'s partition (watershed superpixels merged by
CIELAB colour). The model sources (SAM automatic mask generation, a trained model) are in
:mod:`labeldesk.models.proposals`; reviewing proposals is the tool of
:mod:`labeldesk.core.tools.review`. Each source is a :mod:`labeldesk.core.jobs` job: it yields
``Progress`` and returns a list of :class:`Proposal`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from labeldesk.algorithms.auto import auto_segment
from labeldesk.algorithms.imaging import to_rgb8
from labeldesk.core.convert import crop_mask, paste_crop, shape_from_crop
from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import Job, Progress
from labeldesk.core.shapes import Shape

__all__ = ["Proposal", "as_rgb", "classical_proposals"]

Steps = Job["list[Proposal]"]


@dataclass
class Proposal:
    """One proposed region.

    mask: ``(h, w)`` bool, cropped to the region's box; origin: ``(x0, y0)`` of the crop in
    the image; label: a class name (trained model) or None (let the user choose); score: the
    source's confidence in [0, 1]; source: ``"sam"``, ``"model"`` or ``"classical"``.
    """

    mask: np.ndarray
    origin: tuple[int, int]
    label: str | None
    score: float
    source: str

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.mask))

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """Inclusive ``(x0, y0, x1, y1)``."""
        h, w = self.mask.shape
        return self.origin[0], self.origin[1], self.origin[0] + w - 1, self.origin[1] + h - 1

    def full_mask(self, size: tuple[int, int]) -> np.ndarray:
        """``(H, W)`` bool for an image of ``size`` ``(H, W)``."""
        return paste_crop(self.mask, self.origin, size)

    def to_shape(self, label: str | None = None) -> Shape | None:
        """One object (polygon, or mask with holes/parts) labelled ``label`` or its own label."""
        return shape_from_crop(self.mask, self.origin, label or self.label or "object")

    @classmethod
    def from_mask(
        cls, mask: np.ndarray, label: str | None, score: float, source: str
    ) -> Proposal | None:
        crop, origin = crop_mask(np.asarray(mask, dtype=bool))
        return cls(crop, origin, label, float(score), source) if crop.size else None


def as_rgb(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB from an ``(H, W)`` gray, RGB or RGBA uint8 display image."""
    arr = np.asarray(image)
    if (
        arr.dtype != np.uint8
        or arr.ndim not in (2, 3)
        or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4))
    ):
        raise ModelError(
            f"image must be (H, W), (H, W, 3) or (H, W, 4) uint8, got {arr.shape} {arr.dtype}"
        )
    return to_rgb8(arr)


# -- classical (no model) ------------------------------------------------------------------------
def classical_proposals(
    image: np.ndarray,
    *,
    min_fraction: float = 0.0015,
    max_fraction: float = 0.35,
    min_edge_score: float = 0.4,
    max_count: int = 80,
) -> Steps:
    """Regions of :func:`auto_segment`'s partition that look like objects or object parts.

    A region's score is its colour contrast ``d`` (CIELAB distance of its mean colour to
    the mean of the 3-pixel ring around it) as ``1 - exp(-d / 20)``: 0.4 for d = 10,
    0.86 for d = 40. It is kept when its area is between ``min_fraction`` and
    ``max_fraction`` of the image, it covers at most half of any image side it touches (sky,
    ground and walls do not), and, when it touches the border, its score is at least
    ``min_edge_score`` (patches of a smooth background gradient are not objects). At most
    ``max_count``, the most contrasted first.
    """
    rgb = as_rgb(image)
    yield Progress.at(0.0, "segmenting (no model)")
    try:
        labels = auto_segment(rgb)
    except ValueError as exc:
        raise ModelError(f"auto-segment: {exc}") from exc
    yield Progress.at(0.7, "picking regions")
    h, w = labels.shape
    total = h * w
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), 1.0), cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[:, :, 0] *= 100.0 / 255.0  # OpenCV's 8-bit L is 0..255, a and b are offset by 128
    lab[:, :, 1:] -= 128.0
    n = int(labels.max()) + 1
    areas = np.bincount(labels.ravel(), minlength=n)
    kernel = np.ones((7, 7), np.uint8)
    out: list[Proposal] = []
    for k in range(1, n):
        if not (min_fraction * total <= areas[k] <= max_fraction * total):
            continue
        mask = labels == k
        crop, (x0, y0) = crop_mask(mask)
        ch, cw = crop.shape
        border = (
            max(crop[0].sum() if y0 == 0 else 0, crop[-1].sum() if y0 + ch == h else 0) / w,
            max(crop[:, 0].sum() if x0 == 0 else 0, crop[:, -1].sum() if x0 + cw == w else 0) / h,
        )
        if max(border) > 0.5:
            continue
        ys, xs = (
            slice(max(0, y0 - 4), min(h, y0 + ch + 4)),
            slice(max(0, x0 - 4), min(w, x0 + cw + 4)),
        )
        local = mask[ys, xs].astype(np.uint8)
        ring = (cv2.dilate(local, kernel) > 0) & ~local.astype(bool)
        inside = lab[ys, xs][local.astype(bool)].mean(axis=0)
        outside = lab[ys, xs][ring].mean(axis=0) if ring.any() else inside
        score = 1.0 - float(np.exp(-np.linalg.norm(inside - outside) / 20.0))
        if score < min_edge_score and (x0 == 0 or y0 == 0 or x0 + cw == w or y0 + ch == h):
            continue
        out.append(Proposal(crop, (x0, y0), None, score, "classical"))
    out.sort(key=lambda p: -p.score)
    yield Progress.at(1.0, f"{len(out[:max_count])} regions")
    return out[:max_count]
