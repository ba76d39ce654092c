"""Proposed regions (Qt- and torch-free): the :class:`Proposal` type every source returns,
and the classical source that needs no model.

:func:`classical_proposals` gives ranked object proposals from
:func:`labeldesk.algorithms.auto_proposals` (hierarchical merging of watershed superpixels). The model sources (SAM automatic mask generation, a trained model) are in
:mod:`labeldesk.models.proposals`; reviewing proposals is the tool of
:mod:`labeldesk.core.tools.review`. Each source is a :mod:`labeldesk.core.jobs` job: it yields
``Progress`` and returns a list of :class:`Proposal`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labeldesk.algorithms.imaging import to_rgb8
from labeldesk.algorithms.regions import auto_proposals
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
    max_fraction: float = 0.9,
    max_count: int = 60,
) -> Steps:
    """Ranked object proposals without a model: :func:`labeldesk.algorithms.auto_proposals`
    (hierarchical merging of watershed superpixels, ranked by the edge strength along each
    region's outline; see that module). Regions between ``min_fraction`` and
    ``max_fraction`` of the image, at most ``max_count``, best first; a proposal's score is
    its edge strength ``e`` (relative to the image's median edge) as ``1 - exp(-e / 3)``.
    """
    rgb = as_rgb(image)
    yield Progress.at(0.0, "segmenting (no model)")
    try:
        found = auto_proposals(
            rgb, max_count=max_count, min_area=min_fraction, max_area=max_fraction
        )
    except ValueError as exc:
        raise ModelError(f"auto-segment: {exc}") from exc
    out = [
        Proposal(p.mask, p.origin, None, 1.0 - float(np.exp(-p.score / 3.0)), "classical")
        for p in found
    ]
    yield Progress.at(1.0, f"{len(out)} regions")
    return out
