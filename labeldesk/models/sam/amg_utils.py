"""Helpers for automatic mask generation: point grids, stability, boxes, NMS, clean-up.

Boxes are XYXY with *inclusive* integer pixel extents (a one-pixel mask at (x, y) has box
(x, y, x, y)); masks are (..., H, W) indexed [y, x].
"""

from __future__ import annotations

import cv2
import numpy as np
import torch


def point_grid(n_per_side: int) -> np.ndarray:
    """(n*n, 2) float64 (x, y) cell centres of an n x n grid on [0, 1]^2, rows (y) outermost."""
    if n_per_side < 1:
        raise ValueError(f"points_per_side must be >= 1, got {n_per_side}")
    offset = 1.0 / (2 * n_per_side)
    side = np.linspace(offset, 1 - offset, n_per_side)
    xs = np.tile(side[None, :], (n_per_side, 1))
    ys = np.tile(side[:, None], (1, n_per_side))
    return np.stack([xs, ys], axis=-1).reshape(-1, 2)


def stability_score(logits: torch.Tensor, threshold: float, offset: float) -> torch.Tensor:
    """IoU between the masks thresholded at ``threshold + offset`` and ``threshold - offset``.

    logits (N, H, W) -> (N,) float32. NaN where both are empty.
    """
    inter = (logits > (threshold + offset)).sum(dim=(-1, -2), dtype=torch.int32)
    union = (logits > (threshold - offset)).sum(dim=(-1, -2), dtype=torch.int32)
    return inter / union


def masks_to_boxes(masks: torch.Tensor) -> torch.Tensor:
    """(N, H, W) bool -> (N, 4) int64 inclusive XYXY; an empty mask gives (0, 0, 0, 0)."""
    n, h, w = masks.shape
    if n == 0:
        return torch.zeros((0, 4), dtype=torch.int64, device=masks.device)
    rows = masks.any(dim=-1)  # (N, H)
    cols = masks.any(dim=-2)  # (N, W)
    ys = torch.arange(h, device=masks.device)
    xs = torch.arange(w, device=masks.device)
    bottom = torch.where(rows, ys, -1).amax(dim=-1)
    top = torch.where(rows, ys, h).amin(dim=-1)
    right = torch.where(cols, xs, -1).amax(dim=-1)
    left = torch.where(cols, xs, w).amin(dim=-1)
    boxes = torch.stack([left, top, right, bottom], dim=-1)
    empty = (right < left) | (bottom < top)
    return torch.where(empty[:, None], torch.zeros_like(boxes), boxes)


def box_iou_matrix(boxes: torch.Tensor) -> torch.Tensor:
    """(N, 4) XYXY -> (N, N) IoU with area (x1 - x0) * (y1 - y0); NaN for two empty boxes."""
    boxes = boxes.to(torch.float32)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    lt = torch.maximum(boxes[:, None, :2], boxes[None, :, :2])
    rb = torch.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area[:, None] + area[None, :] - inter)


def box_nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy NMS: indices (int64) of kept boxes in decreasing score order.

    A box is dropped when its IoU with a higher-scoring kept box is > ``iou_threshold``. Ties in
    score keep the earlier index first (stable sort).
    """
    if boxes.shape[0] == 0:
        return torch.zeros((0,), dtype=torch.int64, device=boxes.device)
    order = torch.sort(scores, descending=True, stable=True).indices
    over = (box_iou_matrix(boxes[order]) > iou_threshold).cpu().numpy()
    suppressed = np.zeros(len(order), dtype=bool)
    keep: list[int] = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= over[i]
    return order[torch.as_tensor(keep, dtype=torch.int64, device=order.device)]


def box_near_crop_edge(
    boxes: torch.Tensor, crop_box: list[int], orig_box: list[int], atol: float = 20.0
) -> torch.Tensor:
    """(N,) bool: box touches (within ``atol``) a crop edge that is not also an image edge.

    ``boxes`` are in crop coordinates; crop_box / orig_box are XYXY in image coordinates.
    """
    crop_t = torch.as_tensor(crop_box, dtype=torch.float32, device=boxes.device)
    orig_t = torch.as_tensor(orig_box, dtype=torch.float32, device=boxes.device)
    shifted = boxes.float() + torch.as_tensor(
        [crop_box[0], crop_box[1], crop_box[0], crop_box[1]],
        dtype=torch.float32,
        device=boxes.device,
    )
    near_crop = torch.isclose(shifted, crop_t[None, :], atol=atol, rtol=0)
    near_image = torch.isclose(shifted, orig_t[None, :], atol=atol, rtol=0)
    return (near_crop & ~near_image).any(dim=1)


def remove_small_regions(mask: np.ndarray, area_thresh: int, mode: str) -> tuple[np.ndarray, bool]:
    """Fill holes (``mode="holes"``) or drop islands (``"islands"``) smaller than area_thresh.

    mask (H, W) bool -> (new mask, changed). 8-connectivity (OpenCV). When every island is
    small, the largest one is kept.
    """
    if mode not in ("holes", "islands"):
        raise ValueError(f"mode must be 'holes' or 'islands', not {mode!r}")
    holes = mode == "holes"
    working = (holes ^ mask).astype(np.uint8)
    n_labels, regions, stats, _ = cv2.connectedComponentsWithStats(working, connectivity=8)
    sizes = stats[1:, cv2.CC_STAT_AREA]
    small = [i + 1 for i, s in enumerate(sizes) if s < area_thresh]
    if not small:
        return mask, False
    fill = [0, *small]
    if not holes:
        fill = [i for i in range(n_labels) if i not in fill]
        if not fill:
            fill = [int(np.argmax(sizes)) + 1]
    return np.isin(regions, fill), True


def mask_to_uncompressed_rle(mask: np.ndarray) -> dict[str, object]:
    """(H, W) bool -> COCO uncompressed RLE {"size": [H, W], "counts": [...]} (column-major)."""
    h, w = mask.shape
    flat = np.asarray(mask, dtype=bool).T.reshape(-1)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        counts = [0, *counts]
    return {"size": [h, w], "counts": counts}
