"""Prompts and results of promptable segmentation models (SAM, SAM 2.1), Qt- and torch-free.

The tools (:mod:`labeldesk.core.tools.sam`) make :class:`SamPrompt` requests; the model layer
(:mod:`labeldesk.models.assist`) and the window's worker answer with :class:`SamResult`.
Both sides import them from here.

Coordinates: points ``(x, y)`` float image pixels; masks ``(h, w)`` bool indexed ``[y, x]``
cropped to their box, placed at ``origin`` ``(x0, y0)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from labeldesk.core.convert import paste_crop

__all__ = ["PredictFn", "Reply", "SamPrompt", "SamResult"]


@dataclass(frozen=True)
class SamPrompt:
    """One request for a mask.

    points: ``(N, 2)`` float64 ``(x, y)``; labels: ``(N,)`` int64, 1 positive, 0 negative.
    box: ``(x0, y0, x1, y1)`` or None. mask_input: ``(1, 4E, 4E)`` float32 low-res logits of
    the previous mask, or None. multimask: ask for three masks and keep the best (a single
    point is ambiguous). hover: a preview for the pointer position, not a click.
    """

    serial: int
    points: np.ndarray
    labels: np.ndarray
    box: tuple[float, float, float, float] | None = None
    mask_input: np.ndarray | None = None
    multimask: bool = True
    hover: bool = False


@dataclass(frozen=True)
class SamResult:
    """The best mask for prompt ``serial``: ``mask`` ``(h, w)`` bool at ``origin`` ``(x0, y0)``
    in an image of ``size`` ``(H, W)``; ``score`` the predicted IoU; ``low_res`` ``(1, 4E, 4E)``
    float32 logits to feed back."""

    serial: int
    mask: np.ndarray
    origin: tuple[int, int]
    size: tuple[int, int]
    score: float
    low_res: np.ndarray | None = None

    @property
    def empty(self) -> bool:
        return not bool(self.mask.any())

    def full_mask(self) -> np.ndarray:
        """The mask as ``(H, W)`` bool."""
        return paste_crop(self.mask, self.origin, self.size)


Reply = Callable[["SamResult | str"], None]
PredictFn = Callable[[SamPrompt, Reply], None]
