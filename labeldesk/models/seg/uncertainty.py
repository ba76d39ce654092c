"""How unsure a model is about an image, to choose what to label next (numpy only).

The score of an image is the **mean normalised entropy over its foreground-ish pixels**:

- per pixel, ``H = -sum_c p_c log p_c / log C`` (0 = certain, 1 = all ``C`` outputs equal);
- "foreground-ish" pixels are those the model does not call background with confidence,
  ``p_background < 0.95`` (objects, their edges, and anything it hesitates on);
- the score is the mean of ``H`` over those pixels times ``min(1, sqrt(share / 0.05))``,
  ``share`` being the fraction of the image they cover: a few doubtful pixels on an
  otherwise sure image rank below a doubtful region covering 5 % of the image or more;
  an image the model calls background everywhere, with confidence, scores 0.

Sort unlabeled images by this score, highest first: those are where a label teaches the
model most. It ranks images for one model; it is not a calibrated probability of error.
"""

from __future__ import annotations

import math

import numpy as np

FOREGROUND_BELOW = 0.95
FULL_SHARE = 0.05


def entropy_map(probs: np.ndarray) -> np.ndarray:
    """Normalised entropy ``(H, W)`` float32 in [0, 1] of ``(C, H, W)`` softmax outputs."""
    c = probs.shape[0]
    if c < 2:
        return np.zeros(probs.shape[1:], np.float32)
    p = np.clip(probs.astype(np.float32), 1e-7, 1.0)
    return (-(p * np.log(p)).sum(axis=0) / math.log(c)).astype(np.float32)


def uncertainty_score(probs: np.ndarray, *, foreground_below: float = FOREGROUND_BELOW) -> float:
    """The image's uncertainty in [0, 1] from ``(C, H, W)`` softmax outputs (channel 0 =
    background); see the module docstring for the definition."""
    if probs.ndim != 3 or probs.shape[0] < 2:
        raise ValueError(f"probs must be (C, H, W) with C >= 2, got shape {probs.shape}")
    region = probs[0] < foreground_below
    n = int(region.sum())
    if n == 0:
        return 0.0
    share = n / region.size
    return float(entropy_map(probs)[region].mean() * min(1.0, math.sqrt(share / FULL_SHARE)))
