"""SAM 2.1 automatic mask generation: SAM 1's generator (grid, filters, NMS, clean-up, output
records) driving the SAM 2 predictor (square resize, padding point, direct upsampling)."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from labeldesk.core.errors import ModelError
from labeldesk.models.sam.amg import (
    OUTPUT_MODES,
    SamAutomaticMaskGenerator,
    _Candidates,
    _crop_mask,
)
from labeldesk.models.sam.amg_utils import (
    box_near_crop_edge,
    masks_to_boxes,
    point_grid,
    stability_score,
)
from labeldesk.models.sam2.model import Sam2Model
from labeldesk.models.sam2.predictor import Sam2Predictor


class Sam2AutomaticMaskGenerator(SamAutomaticMaskGenerator):
    """Segment everything with a SAM 2.1 model; same arguments and results as
    :class:`~labeldesk.models.sam.SamAutomaticMaskGenerator` (``multimask_output`` True as
    in SAM 2's generator; ``crop_n_layers`` must be 0)."""

    def __init__(
        self,
        model: Sam2Model | Sam2Predictor,
        *,
        points_per_side: int = 32,
        points_per_batch: int = 64,
        pred_iou_thresh: float = 0.8,
        stability_score_thresh: float = 0.95,
        stability_score_offset: float = 1.0,
        box_nms_thresh: float = 0.7,
        min_mask_region_area: int = 0,
        output_mode: str = "binary_mask",
        crop_n_layers: int = 0,
        multimask_output: bool = True,
    ) -> None:
        if crop_n_layers != 0:
            raise ModelError("crop_n_layers > 0 (zoom-in crops) is not implemented; use 0")
        if output_mode not in OUTPUT_MODES:
            raise ModelError(f"output_mode {output_mode!r} is not one of {OUTPUT_MODES}")
        if points_per_batch < 1:
            raise ModelError(f"points_per_batch must be >= 1, got {points_per_batch}")
        self.predictor = model if isinstance(model, Sam2Predictor) else Sam2Predictor(model)  # type: ignore[assignment]
        self.grid = point_grid(points_per_side)
        self.points_per_batch = points_per_batch
        self.pred_iou_thresh = pred_iou_thresh
        self.stability_score_thresh = stability_score_thresh
        self.stability_score_offset = stability_score_offset
        self.box_nms_thresh = box_nms_thresh
        self.min_mask_region_area = min_mask_region_area
        self.output_mode = output_mode
        self.multimask_output = multimask_output
        self.upscale_chunk = 16

    def _process_batch(self, points: np.ndarray, size: tuple[int, int], found: _Candidates) -> None:
        pred: Sam2Predictor = self.predictor  # type: ignore[assignment]
        model = pred.model
        feats = pred.features
        assert feats is not None
        coords = torch.as_tensor(pred.transform_coords(points), device=pred.device)
        labels = torch.ones((coords.shape[0], 1), dtype=torch.int64, device=pred.device)
        thr = model.mask_threshold
        with torch.inference_mode():
            masks, iou, *_ = model.decode(
                feats.image_embed, feats.high_res, coords[:, None, :], labels
            )
            low, iou = model.sam_mask_decoder.select(masks, iou, self.multimask_output)
            n_out = low.shape[1]
            low, iou = low.flatten(0, 1), iou.flatten(0, 1)
            point_of = np.repeat(points, n_out, axis=0)
            keep = torch.arange(low.shape[0], device=low.device)
            if self.pred_iou_thresh > 0.0:
                keep = keep[iou[keep] > self.pred_iou_thresh]
            full = [0, 0, size[1], size[0]]
            for start in range(0, keep.shape[0], self.upscale_chunk):
                idx = keep[start : start + self.upscale_chunk]
                logits = F.interpolate(
                    low[idx][:, None], size=size, mode="bilinear", align_corners=False
                )[:, 0]
                stab = stability_score(logits, thr, self.stability_score_offset)
                ok = torch.ones_like(stab, dtype=torch.bool)
                if self.stability_score_thresh > 0.0:
                    ok = stab >= self.stability_score_thresh
                binary = logits > thr
                boxes = masks_to_boxes(binary)
                ok &= ~box_near_crop_edge(boxes, full, full)
                masks_np = binary.cpu().numpy()
                boxes_np = boxes.cpu().numpy()
                for j in torch.nonzero(ok).flatten().tolist():
                    found.crops.append(_crop_mask(masks_np[j], boxes_np[j]))
                    found.boxes.append(boxes_np[j])
                    found.iou.append(float(iou[idx[j]]))
                    found.stability.append(float(np.nan_to_num(stab[j].item())))
                    found.points.append(point_of[int(idx[j])])
