"""SAM 2.1 image predictor: slow ``set_image``, fast ``predict`` (numpy in, numpy out).

Differs from SAM 1: the image is resized to a square S x S (aspect ratio not kept, no
padding), a box is passed as two leading points labelled 2 and 3, a padding point is always
appended, single-mask output uses the stability fallback, and the low-res logits are resized
straight to the original size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from labeldesk.core.errors import ModelError
from labeldesk.models.sam.cache import image_key
from labeldesk.models.sam2.model import ImageFeatures, Sam2Model


@dataclass
class Sam2Prediction:
    """Everything one ``predict`` call computed (for inspection and tests)."""

    masks: np.ndarray  # (C, H, W) bool, or (B, C, H, W) for batched boxes
    iou: np.ndarray
    low_res: np.ndarray  # clamped to [-32, 32]
    logits: np.ndarray  # full-resolution float logits
    all_iou: np.ndarray  # (B, 4) raw decoder iou
    object_score: np.ndarray  # (B, 1)
    all_low_res: np.ndarray  # (B, 4, 4E, 4E) unclamped
    sparse: np.ndarray
    dense: np.ndarray
    tokens: np.ndarray  # (B, 4, C) mask-token outputs


def _floats(value: object, name: str, tail: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelError(f"{name} must be numeric, got {type(value).__name__}") from None
    if arr.ndim == 0 or arr.shape[-1] != tail or not np.all(np.isfinite(arr)):
        raise ModelError(f"{name} must be finite with shape (..., {tail}), got {arr.shape}")
    return arr


class Sam2Predictor:
    """Computes the image features once, then answers prompts against them."""

    def __init__(self, model: Sam2Model) -> None:
        self.model = model.eval()
        self.reset_image()

    def reset_image(self) -> None:
        self.features: ImageFeatures | None = None
        self.original_size: tuple[int, int] | None = None
        self.image_hash: str | None = None
        self.preprocessed: torch.Tensor | None = None

    @property
    def is_image_set(self) -> bool:
        return self.features is not None

    @property
    def device(self) -> torch.device:
        return self.model.device

    def set_image(self, image: np.ndarray) -> None:
        """Run the encoder on an (H, W, 3) uint8 RGB image."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ModelError(
                f"image must be an (H, W, 3) uint8 array, got {image.shape} {image.dtype}"
            )
        if image.shape[0] < 1 or image.shape[1] < 1:
            raise ModelError(f"image is empty: {image.shape}")
        tensor = torch.as_tensor(np.ascontiguousarray(image), device=self.device)
        tensor = tensor.permute(2, 0, 1).unsqueeze(0)
        with torch.inference_mode():
            x = self.model.preprocess(tensor)
            self.features = self.model.encode(x)
        self.preprocessed = x
        self.original_size = (int(image.shape[0]), int(image.shape[1]))
        self.image_hash = image_key(image)

    def holds_image(self, image: np.ndarray) -> bool:
        return self.features is not None and self.image_hash == image_key(image)

    def _require_image(self) -> tuple[ImageFeatures, tuple[int, int]]:
        if self.features is None or self.original_size is None:
            raise ModelError("no image is set: call set_image() first")
        return self.features, self.original_size

    def transform_coords(self, coords: np.ndarray) -> np.ndarray:
        """(..., 2) original pixels (x, y) -> float32 model pixels (x/W*S, y/H*S)."""
        _, (h, w) = self._require_image()
        c = np.asarray(coords, dtype=np.float32).copy()
        c[..., 0] = c[..., 0] / np.float32(w)
        c[..., 1] = c[..., 1] / np.float32(h)
        return c * np.float32(self.model.image_size)

    def predict(
        self,
        point_coords: np.ndarray | None = None,
        point_labels: np.ndarray | None = None,
        box: np.ndarray | None = None,
        mask_input: np.ndarray | None = None,
        multimask_output: bool = True,
        return_logits: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Masks (C, H, W), iou (C,), low-res logits (C, 4E, 4E); with a (B, 4) ``box`` array
        of several boxes, each output gets a leading B axis. As SAM 1's ``predict``."""
        p = self.predict_full(point_coords, point_labels, box, mask_input, multimask_output)
        masks = p.logits if return_logits else p.masks
        return masks, p.iou, p.low_res

    def predict_full(
        self,
        point_coords: np.ndarray | None = None,
        point_labels: np.ndarray | None = None,
        box: np.ndarray | None = None,
        mask_input: np.ndarray | None = None,
        multimask_output: bool = True,
    ) -> Sam2Prediction:
        """Like :meth:`predict`, returning every intermediate as a :class:`Sam2Prediction`."""
        feats, (h, w) = self._require_image()
        coords: np.ndarray | None = None
        labels: np.ndarray | None = None
        batched = False
        if point_coords is not None:
            if point_labels is None:
                raise ModelError("point_labels must be given with point_coords")
            pts = _floats(point_coords, "point_coords", 2).reshape(-1, 2)
            lab = np.asarray(point_labels).reshape(-1)
            if lab.shape[0] != pts.shape[0]:
                raise ModelError(
                    f"point_labels has {lab.shape[0]} entries for {pts.shape[0]} points"
                )
            if not np.isin(lab, (0, 1)).all():
                raise ModelError("point_labels must be 0 (background) or 1 (foreground)")
            coords = self.transform_coords(pts)[None]
            labels = lab.astype(np.int64)[None]
        if box is not None:
            boxes = _floats(box, "box", 4)
            batched = boxes.ndim == 2 and boxes.shape[0] > 1
            corners = self.transform_coords(boxes.reshape(-1, 2, 2))
            box_labels = np.tile(np.array([[2, 3]], dtype=np.int64), (corners.shape[0], 1))
            if coords is not None and labels is not None:
                if corners.shape[0] != 1:
                    raise ModelError("points can be combined with one box only")
                coords = np.concatenate([corners, coords], axis=1)
                labels = np.concatenate([box_labels, labels], axis=1)
            else:
                coords, labels = corners, box_labels
        mask_t = None
        if mask_input is not None:
            side = 4 * self.model.config.embedding_size
            arr = np.asarray(mask_input, dtype=np.float32)
            if arr.size != side * side:
                raise ModelError(f"mask_input must be (1, {side}, {side}) logits, got {arr.shape}")
            mask_t = torch.as_tensor(arr.reshape(1, 1, side, side), device=self.device)
        if coords is None and mask_t is None:
            raise ModelError("predict needs at least one prompt: points, a box or a mask")
        dev = self.device
        with torch.inference_mode():
            c_t = torch.as_tensor(coords, device=dev) if coords is not None else None
            l_t = torch.as_tensor(labels, device=dev) if labels is not None else None
            all_masks, all_iou, tokens, score, sparse, dense = self.model.decode(
                feats.image_embed, feats.high_res, c_t, l_t, mask_t
            )
            low, iou = self.model.sam_mask_decoder.select(all_masks, all_iou, multimask_output)
            logits = F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
            masks = logits > self.model.mask_threshold
            low = torch.clamp(low, -32.0, 32.0)
        out = [t.cpu().numpy() for t in (masks, iou, low, logits)]
        if not batched:
            out = [a[0] for a in out]
        return Sam2Prediction(
            *out,
            all_iou=all_iou.cpu().numpy(),
            object_score=score.cpu().numpy(),
            all_low_res=all_masks.cpu().numpy(),
            sparse=sparse.cpu().numpy(),
            dense=dense.cpu().numpy(),
            tokens=tokens.cpu().numpy(),
        )
