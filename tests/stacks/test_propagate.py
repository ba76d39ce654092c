from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms.propagate import propagate_mask
from tests.stacks.scenes import moving_ellipse


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / max(float((a | b).sum()), 1.0)


def test_moving_deforming_object_30_frames() -> None:
    frames, masks = moving_ellipse(30)
    mask = masks[0]
    ious = []
    for i in range(1, 30):
        mask = propagate_mask(frames[i - 1], frames[i], mask)
        ious.append(_iou(mask, masks[i]))
    print(f"mean IoU {np.mean(ious):.3f} last {ious[-1]:.3f}")
    assert np.mean(ious) >= 0.8
    copy = np.mean([_iou(masks[0], m) for m in masks[1:]])
    assert np.mean(ious) > copy + 0.3  # far better than keeping the first mask


def test_empty_mask_and_bad_shapes() -> None:
    img = np.zeros((20, 30, 3), np.uint8)
    assert not propagate_mask(img, img, np.zeros((20, 30), bool)).any()
    with pytest.raises(ValueError, match="must share"):
        propagate_mask(img, img, np.zeros((10, 30), bool))
    with pytest.raises(ValueError, match="prev_image"):
        propagate_mask(np.zeros((2, 3, 4, 5)), img, np.zeros((20, 30), bool))


def test_uint16_frames() -> None:
    frames, masks = moving_ellipse(4)
    f16 = [(f.astype(np.uint16) * 200) for f in frames]
    out = propagate_mask(f16[0], f16[1], masks[0], refine=False)
    assert _iou(out, masks[1]) > 0.85
