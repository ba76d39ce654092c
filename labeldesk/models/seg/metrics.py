"""IoU and Dice per class from a confusion matrix (numpy only).

Metrics are accumulated over all held-out pixels (dataset-level, not averaged per image);
pixels labeled 255 are ignored. A class that appears neither in the truth nor in the
prediction has no score (``None`` in the dicts, NaN in the arrays).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

IGNORE = 255


def confusion(pred: np.ndarray, truth: np.ndarray, num_classes: int) -> np.ndarray:
    """``(C, C)`` int64 counts, rows = truth, columns = prediction; truth 255 is skipped.

    Args:
        pred, truth: ``(H, W)`` integer label maps of the same shape.
    """
    if pred.shape != truth.shape:
        raise ValueError(f"pred shape {pred.shape} != truth shape {truth.shape}")
    keep = truth != IGNORE
    t = truth[keep].astype(np.int64)
    p = pred[keep].astype(np.int64)
    ok = (t < num_classes) & (p < num_classes)
    idx = t[ok] * num_classes + p[ok]
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_dice(conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class IoU ``tp / (tp + fp + fn)`` and Dice ``2 tp / (2 tp + fp + fn)``, float64,
    NaN where ``tp + fp + fn == 0``."""
    tp = np.diag(conf).astype(np.float64)
    fp = conf.sum(axis=0) - tp
    fn = conf.sum(axis=1) - tp
    denom = tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(denom > 0, tp / denom, np.nan)
        dice = np.where(denom > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    return iou, dice


def summarize(conf: np.ndarray, class_names: Sequence[str]) -> dict[str, Any]:
    """A JSON-ready summary: ``{"iou": {name: v}, "dice": {...}, "mean_iou", "mean_dice",
    "pixel_accuracy"}``. Names are ``["background", *class_names]``; the means are over the
    foreground classes that have a score (background's IoU is listed but not averaged)."""
    iou, dice = iou_dice(conf)
    names = ["background", *class_names]

    def clean(v: float) -> float | None:
        return None if math.isnan(v) else round(float(v), 6)

    fg_iou = iou[1:][~np.isnan(iou[1:])]
    fg_dice = dice[1:][~np.isnan(dice[1:])]
    total = conf.sum()
    return {
        "iou": {n: clean(v) for n, v in zip(names, iou, strict=True)},
        "dice": {n: clean(v) for n, v in zip(names, dice, strict=True)},
        "mean_iou": round(float(fg_iou.mean()), 6) if len(fg_iou) else 0.0,
        "mean_dice": round(float(fg_dice.mean()), 6) if len(fg_dice) else 0.0,
        "pixel_accuracy": round(float(np.trace(conf) / total), 6) if total else 0.0,
    }
