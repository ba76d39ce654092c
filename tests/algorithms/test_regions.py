from __future__ import annotations

import cv2
import numpy as np
import pytest

from labeldesk.algorithms import RegionProposal, auto_proposals

from .robot import iou


def scene() -> tuple[np.ndarray, list[np.ndarray]]:
    """Three objects of different size and colour on a noisy, shaded background."""
    rng = np.random.default_rng(2)
    h, w = 240, 320
    img = np.zeros((h, w, 3), np.float32)
    img[:] = np.linspace(90, 130, w, dtype=np.float32)[None, :, None]
    objs = []
    for (cx, cy, ax, ay), colour in (
        ((90, 110, 55, 40), (200, 60, 50)),
        ((230, 70, 30, 22), (40, 60, 190)),
        ((240, 180, 12, 12), (230, 220, 60)),
    ):
        m = np.zeros((h, w), np.uint8)
        cv2.ellipse(m, (cx, cy), (ax, ay), 10, 0, 360, 1, -1)
        img[m.astype(bool)] = colour
        objs.append(m.astype(bool))
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), objs


def test_every_object_is_found_among_a_few_ranked_proposals() -> None:
    img, objs = scene()
    props = auto_proposals(img, max_count=20)
    assert 1 <= len(props) <= 20
    assert all(isinstance(p, RegionProposal) for p in props)
    scores = [p.score for p in props]
    assert scores == sorted(scores, reverse=True)
    masks = [p.full_mask(img.shape[:2]) for p in props]
    for obj in objs:
        assert max(iou(m, obj) for m in masks) > 0.85
    # near-duplicates are dropped
    for i in range(len(masks)):
        for j in range(i):
            assert iou(masks[i], masks[j]) < 0.8


def test_gray_and_uint16_and_large_images() -> None:
    img, objs = scene()
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.uint16) * 64
    props = auto_proposals(gray, max_count=30)
    masks = [p.full_mask(gray.shape) for p in props]
    assert max(iou(m, objs[2]) for m in masks) > 0.8  # the red one has the background's luminance
    big = cv2.resize(img, (1280, 960), interpolation=cv2.INTER_NEAREST)
    big_obj = cv2.resize(objs[1].view(np.uint8), (1280, 960), interpolation=cv2.INTER_NEAREST)
    props = auto_proposals(big, max_count=30)
    assert max(iou(p.full_mask(big.shape[:2]), big_obj > 0) for p in props) > 0.85


def test_bad_options_are_refused() -> None:
    img, _ = scene()
    with pytest.raises(ValueError, match="max_count"):
        auto_proposals(img, max_count=0)
    with pytest.raises(ValueError, match="min_area"):
        auto_proposals(img, min_area=0.5, max_area=0.1)
    with pytest.raises(ValueError, match="image must"):
        auto_proposals(np.zeros((4, 4, 2), np.uint8))
