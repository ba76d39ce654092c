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
from labeldesk.models.sam.cache import ImageEmbedding, image_key
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
        self.keep_input = False  # keep the preprocessed S x S input (for inspection)
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
        self.preprocessed = x if self.keep_input else None
        self.original_size = (int(image.shape[0]), int(image.shape[1]))
        self.image_hash = image_key(image)

    def holds_image(self, image: np.ndarray) -> bool:
        return self.features is not None and self.image_hash == image_key(image)

    def to(self, device: str | torch.device) -> Sam2Predictor:
        """Move the model (and the current features) to ``device``."""
        self.model.to(device)
        f = self.features
        if f is not None:
            self.features = ImageFeatures(
                f.level2.to(device),
                f.image_embed.to(device),
                [t.to(device) for t in f.high_res],
                f.pos.to(device),
            )
        return self

    def get_embedding(self) -> ImageEmbedding:
        """The current features as one cacheable array: ``image_embed`` (C x E x E), then the
        stride-4 and stride-8 maps, packed as (1, 4C, E, E) float32 (read-only)."""
        feats, size = self._require_image()
        parts = [feats.image_embed, *feats.high_res]
        flat = torch.cat([t.detach().to("cpu", torch.float32).reshape(-1) for t in parts])
        c, e = feats.image_embed.shape[1], feats.image_embed.shape[-1]
        arr = flat.numpy().reshape(1, 4 * c, e, e).copy()
        arr.setflags(write=False)
        s = self.model.image_size
        return ImageEmbedding(arr, size, (s, s), self.model.model_id, self.image_hash)

    def set_embedding(self, item: ImageEmbedding) -> None:
        """Use features from :meth:`get_embedding` (e.g. from the embedding cache)."""
        if item.model_id != self.model.model_id:
            raise ModelError(
                f"embedding was made by model {item.model_id!r}, not by {self.model.model_id!r}"
            )
        c, e = self.model.config.d_model, self.model.config.embedding_size
        if tuple(item.embedding.shape) != (1, 4 * c, e, e):
            raise ModelError(
                f"embedding shape {item.embedding.shape} does not fit this model (1, {4 * c}, {e}, {e})"
            )
        flat = torch.as_tensor(np.array(item.embedding).reshape(-1), device=self.device)
        n = c * e * e
        embed = flat[:n].reshape(1, c, e, e)
        hr0 = flat[n : 3 * n].reshape(1, c // 8, 4 * e, 4 * e)
        hr1 = flat[3 * n :].reshape(1, c // 4, 2 * e, 2 * e)
        level2 = embed - self.model.no_mem_embed.detach().view(1, -1, 1, 1)
        self.features = ImageFeatures(level2, embed, [hr0, hr1], torch.empty(0))
        self.original_size = (int(item.original_size[0]), int(item.original_size[1]))
        self.image_hash = item.image_hash
        self.preprocessed = None

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
                feats.image_embed, feats.high_res, c_t, l_t, mask_t, empty_point=False
            )
            low, iou = self.model.sam_mask_decoder.select(all_masks, all_iou, multimask_output)
            logits = F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
            masks = logits > self.model.mask_threshold
            low = torch.clamp(low, -32.0, 32.0)
        out = [t.detach().cpu().numpy() for t in (masks, iou, low, logits)]
        if not batched:
            out = [a[0] for a in out]
        return Sam2Prediction(
            masks=out[0],
            iou=out[1],
            low_res=out[2],
            logits=out[3],
            all_iou=all_iou.detach().cpu().numpy(),
            object_score=score.detach().cpu().numpy(),
            all_low_res=all_masks.detach().cpu().numpy(),
            sparse=sparse.detach().cpu().numpy(),
            dense=dense.detach().cpu().numpy(),
            tokens=tokens.detach().cpu().numpy(),
        )
