"""Automatic mask generation: prompt SAM with a point grid, filter, de-duplicate, clean up.

Only the whole image is processed (``crop_n_layers=0``); multi-crop zoom-in layers are not
implemented. Results are dicts with the official keys:

- ``segmentation``: (H, W) bool (``output_mode="binary_mask"``), or a COCO RLE dict
  (``"uncompressed_rle"`` / ``"coco_rle"``)
- ``bbox``: [x, y, w, h] of the inclusive pixel extent (w = x_max - x_min)
- ``area`` (pixels), ``predicted_iou``, ``stability_score``
- ``point_coords``: [[x, y]] the prompt point in image pixels
- ``crop_box``: [x, y, w, h] of the processed crop (the whole image)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import Job, Progress, run_job
from labeldesk.models.sam.amg_utils import (
    box_near_crop_edge,
    box_nms,
    mask_to_uncompressed_rle,
    masks_to_boxes,
    point_grid,
    remove_small_regions,
    stability_score,
)
from labeldesk.models.sam.model import SamModel
from labeldesk.models.sam.predictor import SamPredictor

OUTPUT_MODES = ("binary_mask", "uncompressed_rle", "coco_rle")


@dataclass
class _Candidates:
    """Masks kept so far, each stored cropped to its box to save memory."""

    crops: list[np.ndarray]  # (h_i, w_i) bool
    boxes: list[np.ndarray]  # (4,) int64 inclusive XYXY
    iou: list[float]
    stability: list[float]
    points: list[np.ndarray]  # (2,) float64 (x, y)

    def subset(self, idx: list[int]) -> _Candidates:
        return _Candidates(
            [self.crops[i] for i in idx],
            [self.boxes[i] for i in idx],
            [self.iou[i] for i in idx],
            [self.stability[i] for i in idx],
            [self.points[i] for i in idx],
        )


def _full_mask(crop: np.ndarray, box: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    x0, y0 = int(box[0]), int(box[1])
    mask[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
    return mask


def _crop_mask(mask: np.ndarray, box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = (int(v) for v in box)
    return mask[y0 : y1 + 1, x0 : x1 + 1].copy()


class SamAutomaticMaskGenerator:
    """Segment everything in an image with a SAM model and a regular grid of point prompts.

    Args:
        model: a loaded :class:`SamModel` (or a :class:`SamPredictor` to reuse).
        points_per_side: grid size n (n*n prompts).
        points_per_batch: prompts decoded together (memory vs speed).
        pred_iou_thresh: keep masks whose predicted IoU is > this (0 disables).
        stability_score_thresh: keep masks whose stability is >= this (0 disables).
        stability_score_offset: logit offset used by the stability score.
        box_nms_thresh: box IoU above which the lower-scoring mask is dropped.
        min_mask_region_area: fill holes and drop islands smaller than this (0 disables).
        output_mode: one of :data:`OUTPUT_MODES`.
        crop_n_layers: must be 0 (zoom-in crops are not implemented).
    """

    def __init__(
        self,
        model: SamModel | SamPredictor,
        *,
        points_per_side: int = 32,
        points_per_batch: int = 64,
        pred_iou_thresh: float = 0.88,
        stability_score_thresh: float = 0.95,
        stability_score_offset: float = 1.0,
        box_nms_thresh: float = 0.7,
        min_mask_region_area: int = 0,
        output_mode: str = "binary_mask",
        crop_n_layers: int = 0,
    ) -> None:
        if crop_n_layers != 0:
            raise ModelError("crop_n_layers > 0 (zoom-in crops) is not implemented; use 0")
        if output_mode not in OUTPUT_MODES:
            raise ModelError(f"output_mode {output_mode!r} is not one of {OUTPUT_MODES}")
        if points_per_batch < 1:
            raise ModelError(f"points_per_batch must be >= 1, got {points_per_batch}")
        self.predictor = model if isinstance(model, SamPredictor) else SamPredictor(model)
        self.grid = point_grid(points_per_side)
        self.points_per_batch = points_per_batch
        self.pred_iou_thresh = pred_iou_thresh
        self.stability_score_thresh = stability_score_thresh
        self.stability_score_offset = stability_score_offset
        self.box_nms_thresh = box_nms_thresh
        self.min_mask_region_area = min_mask_region_area
        self.output_mode = output_mode
        # Full-resolution logits are made for this many prompts at a time (bounds memory).
        self.upscale_chunk = 16

    def generate(self, image: np.ndarray) -> list[dict[str, Any]]:
        """Masks for ``image`` (H, W, 3) uint8 RGB, in NMS order (highest predicted IoU first;
        with ``min_mask_region_area`` masks left unchanged by the clean-up come first)."""
        return run_job(self.generate_steps(image))

    def generate_steps(
        self, image: np.ndarray, *, reuse_embedding: bool = False
    ) -> Job[list[dict[str, Any]]]:
        """Like :meth:`generate`, as a :mod:`labeldesk.core.jobs` job; cancel by closing.

        It yields ``Progress(done, total, message)``: step 0 is the image encoder, then one
        step per point batch, then the clean-up.
        With ``reuse_embedding`` the predictor's current embedding (e.g. set from a cache) is
        used instead of running the encoder, if it was made from this very image (same
        content hash; an embedding set without a known image hash is not reused).
        """
        h, w = int(image.shape[0]), int(image.shape[1])
        batches = [
            self.grid[i : i + self.points_per_batch] * np.array([[w, h]], dtype=np.float64)
            for i in range(0, len(self.grid), self.points_per_batch)
        ]
        total = len(batches) + 2
        yield Progress(0, total, "encoding the image")
        pred = self.predictor
        if not (reuse_embedding and pred.holds_image(image)):
            pred.set_image(image)
        yield Progress(1, total, f"mask batch 0 of {len(batches)}")
        found = _Candidates([], [], [], [], [])
        for i, points in enumerate(batches):
            self._process_batch(points, (h, w), found)
            yield Progress(2 + i, total, f"mask batch {i + 1} of {len(batches)}")
        result = self._finish(found, (h, w))
        yield Progress(total, total, "cleaning up")
        return result

    def _process_batch(self, points: np.ndarray, size: tuple[int, int], found: _Candidates) -> None:
        pred, model = self.predictor, self.predictor.model
        assert pred.input_size is not None and pred.features is not None
        coords = torch.as_tensor(
            pred.transform_coords(points).astype(np.float32), device=pred.device
        )
        labels = torch.ones((coords.shape[0], 1), dtype=torch.int64, device=pred.device)
        with torch.inference_mode():
            low, iou = model.decode(pred.features, coords[:, None, :], labels, None, None, True)
            n_out = low.shape[1]
            low, iou = low.flatten(0, 1), iou.flatten(0, 1)
            point_of = np.repeat(points, n_out, axis=0)
            keep = torch.arange(low.shape[0], device=low.device)
            if self.pred_iou_thresh > 0.0:
                keep = keep[iou[keep] > self.pred_iou_thresh]
            for start in range(0, keep.shape[0], self.upscale_chunk):
                idx = keep[start : start + self.upscale_chunk]
                logits = model.postprocess_masks(low[idx][:, None], pred.input_size, size)[:, 0]
                stab = stability_score(logits, model.mask_threshold, self.stability_score_offset)
                ok = torch.ones_like(stab, dtype=torch.bool)
                if self.stability_score_thresh > 0.0:
                    ok = stab >= self.stability_score_thresh
                masks = logits > model.mask_threshold
                boxes = masks_to_boxes(masks)
                ok &= ~box_near_crop_edge(boxes, [0, 0, size[1], size[0]], [0, 0, size[1], size[0]])
                masks_np = masks.cpu().numpy()
                boxes_np = boxes.cpu().numpy()
                for j in torch.nonzero(ok).flatten().tolist():
                    found.crops.append(_crop_mask(masks_np[j], boxes_np[j]))
                    found.boxes.append(boxes_np[j])
                    found.iou.append(float(iou[idx[j]]))
                    found.stability.append(float(stab[j]))
                    found.points.append(point_of[int(idx[j])])

    def _finish(self, found: _Candidates, size: tuple[int, int]) -> list[dict[str, Any]]:
        if found.boxes:
            keep = box_nms(
                torch.as_tensor(np.stack(found.boxes)).float(),
                torch.as_tensor(found.iou, dtype=torch.float32),
                self.box_nms_thresh,
            )
            found = found.subset(keep.tolist())
        if self.min_mask_region_area > 0 and found.boxes:
            found = self._clean_small_regions(found, size)
        crop_box = [0, 0, size[1], size[0]]
        out: list[dict[str, Any]] = []
        for crop, box, iou, stab, point in zip(
            found.crops, found.boxes, found.iou, found.stability, found.points, strict=True
        ):
            mask = _full_mask(crop, box, size)
            x0, y0, x1, y1 = (int(v) for v in box)
            out.append(
                {
                    "segmentation": self._encode(mask),
                    "area": int(crop.sum()),
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "predicted_iou": iou,
                    "point_coords": [[float(point[0]), float(point[1])]],
                    "stability_score": stab,
                    "crop_box": list(crop_box),
                }
            )
        return out

    def _clean_small_regions(self, found: _Candidates, size: tuple[int, int]) -> _Candidates:
        """Fill small holes, drop small islands, then NMS again preferring unchanged masks."""
        masks, scores = [], []
        for crop, box in zip(found.crops, found.boxes, strict=True):
            mask = _full_mask(crop, box, size)
            mask, changed_holes = remove_small_regions(mask, self.min_mask_region_area, "holes")
            mask, changed_islands = remove_small_regions(mask, self.min_mask_region_area, "islands")
            masks.append(mask)
            scores.append(0.0 if (changed_holes or changed_islands) else 1.0)
        boxes = masks_to_boxes(torch.as_tensor(np.stack(masks)))
        # The official generator uses max(box_nms_thresh, crop_nms_thresh=0.7) here.
        thresh = max(self.box_nms_thresh, 0.7)
        keep = box_nms(boxes.float(), torch.as_tensor(scores), thresh).tolist()
        boxes_np = boxes.numpy()
        for i in keep:
            if scores[i] == 0.0:
                found.boxes[i] = boxes_np[i]
                found.crops[i] = _crop_mask(masks[i], boxes_np[i])
        return found.subset(keep)

    def _encode(self, mask: np.ndarray) -> Any:
        if self.output_mode == "binary_mask":
            return mask
        rle = mask_to_uncompressed_rle(mask)
        if self.output_mode == "uncompressed_rle":
            return rle
        from pycocotools import mask as mask_utils

        coco = mask_utils.frPyObjects(rle, *mask.shape[:2])
        coco["counts"] = coco["counts"].decode("utf-8")
        return coco
