"""Slow ``set_image`` / fast ``predict`` over a :class:`SamModel` (numpy in, numpy out).

Coordinates: points are (N, 2) float (x, y) and boxes XYXY, both in original-image pixels.
Masks are (C, H, W) bool indexed [c, y, x].
"""

from __future__ import annotations

import numpy as np
import torch

from labeldesk.core.errors import ModelError
from labeldesk.models.sam.cache import ImageEmbedding, image_key
from labeldesk.models.sam.model import SamModel
from labeldesk.models.sam.transforms import (
    resize_longest_side,
    resized_shape,
    transform_boxes,
    transform_coords,
)


def _as_float_array(value: object, name: str, shape_tail: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelError(f"{name} must be numeric, got {type(value).__name__}") from None
    if arr.shape[-len(shape_tail) :] != shape_tail or not np.all(np.isfinite(arr)):
        raise ModelError(f"{name} must be finite with shape (..., {shape_tail}), got {arr.shape}")
    return arr


class SamPredictor:
    """Computes an image embedding once, then answers prompts against it.

    Args:
        model: a loaded :class:`SamModel` (eval mode). The predictor runs on ``model.device``.
    """

    def __init__(self, model: SamModel) -> None:
        self.model = model.eval()
        self.reset_image()

    # ----------------------------------------------------------------- image / embedding
    def reset_image(self) -> None:
        """Forget the current image and embedding."""
        self.features: torch.Tensor | None = None
        self.original_size: tuple[int, int] | None = None
        self.input_size: tuple[int, int] | None = None
        self.image_hash: str | None = None  # image_key() of the RGB image, when known

    @property
    def is_image_set(self) -> bool:
        return self.features is not None

    @property
    def device(self) -> torch.device:
        return self.model.device

    def to(self, device: str | torch.device) -> SamPredictor:
        """Move the model (and the current embedding) to ``device``."""
        self.model.to(device)
        if self.features is not None:
            self.features = self.features.to(device)
        return self

    def set_image(self, image: np.ndarray, image_format: str = "RGB") -> None:
        """Run the image encoder on ``image``: (H, W, 3) uint8 in ``image_format`` order."""
        if image_format not in ("RGB", "BGR"):
            raise ModelError(f"image_format must be 'RGB' or 'BGR', not {image_format!r}")
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ModelError(
                f"image must be an (H, W, 3) uint8 array, got {image.shape} {image.dtype}"
            )
        if image.shape[0] < 1 or image.shape[1] < 1:
            raise ModelError(f"image is empty: {image.shape}")
        if image_format != "RGB":
            image = np.ascontiguousarray(image[..., ::-1])
        image_hash = image_key(image)
        if self.model.config.image_format != "RGB":
            image = np.ascontiguousarray(image[..., ::-1])
        resized = resize_longest_side(image, self.model.image_size)
        tensor = torch.as_tensor(np.ascontiguousarray(resized), device=self.device)
        tensor = tensor.permute(2, 0, 1).unsqueeze(0)
        with torch.inference_mode():
            features = self.model.encode(self.model.preprocess(tensor))
        self.features = features
        self.original_size = (int(image.shape[0]), int(image.shape[1]))
        self.input_size = (int(resized.shape[0]), int(resized.shape[1]))
        self.image_hash = image_hash

    def holds_image(self, image: np.ndarray) -> bool:
        """True when the current embedding was computed from this RGB image (by content)."""
        return self.features is not None and self.image_hash == image_key(image)

    def get_image_embedding(self) -> torch.Tensor:
        """The current embedding, (1, C, E, E) float32 on the model's device."""
        self._require_image()
        assert self.features is not None
        return self.features

    def get_embedding(self) -> ImageEmbedding:
        """The current embedding as a read-only, cacheable :class:`ImageEmbedding`."""
        self._require_image()
        assert self.features is not None and self.original_size and self.input_size
        arr = self.features.detach().to("cpu", torch.float32).numpy().copy()
        arr.setflags(write=False)
        return ImageEmbedding(
            arr, self.original_size, self.input_size, self.model.model_id, self.image_hash
        )

    def set_embedding(self, item: ImageEmbedding) -> None:
        """Use a precomputed embedding (from :meth:`get_embedding` or a cache) for ``item``'s image."""
        if item.model_id != self.model.model_id:
            raise ModelError(
                f"embedding was made by model {item.model_id!r}, not by {self.model.model_id!r}"
            )
        grid = self.model.config.embedding_size
        if (
            item.embedding.ndim != 4
            or item.embedding.shape[0] != 1
            or item.embedding.shape[2:]
            != (
                grid,
                grid,
            )
        ):
            raise ModelError(
                f"embedding shape {item.embedding.shape} does not fit this model (1, C, {grid}, {grid})"
            )
        expected = resized_shape(*item.original_size, self.model.image_size)
        if tuple(item.input_size) != expected:
            raise ModelError(
                f"embedding input_size {item.input_size} does not match {item.original_size} "
                f"resized to {self.model.image_size} ({expected})"
            )
        self.features = torch.as_tensor(np.array(item.embedding), device=self.device)
        self.original_size = tuple(item.original_size)  # type: ignore[assignment]
        self.input_size = tuple(item.input_size)  # type: ignore[assignment]
        self.image_hash = item.image_hash

    def _require_image(self) -> None:
        if self.features is None:
            raise ModelError("no image is set: call set_image() or set_embedding() first")

    # ----------------------------------------------------------------------- transforms
    def transform_coords(self, coords: np.ndarray) -> np.ndarray:
        """(..., 2) original-pixel (x, y) -> float64 model-input pixels."""
        self._require_image()
        assert self.original_size is not None
        return transform_coords(coords, self.original_size, self.model.image_size)

    def transform_boxes(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) or (4,) original-pixel XYXY -> (N, 4) float64 model-input pixels."""
        self._require_image()
        assert self.original_size is not None
        return transform_boxes(boxes, self.original_size, self.model.image_size)

    # ------------------------------------------------------------------------- predict
    def predict(
        self,
        point_coords: np.ndarray | None = None,
        point_labels: np.ndarray | None = None,
        box: np.ndarray | None = None,
        mask_input: np.ndarray | None = None,
        multimask_output: bool = True,
        return_logits: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Masks for one set of prompts on the current image.

        Args:
            point_coords: (N, 2) float (x, y) original pixels, or None.
            point_labels: (N,) int, 1 = foreground, 0 = background (required with points).
            box: (4,) XYXY original pixels, or None.
            mask_input: (1, 4E, 4E) low-res logits from a previous call (its best mask), or None.
            multimask_output: three masks (True) or one (False).
            return_logits: return float logits instead of bool masks.

        Returns:
            masks (C, H, W) bool (float32 logits with return_logits), iou (C,) float32 and
            low_res_logits (C, 4E, 4E) float32, where C is 3 or 1.
        """
        self._require_image()
        coords_t = labels_t = box_t = mask_t = None
        if point_coords is not None:
            if point_labels is None:
                raise ModelError("point_labels must be given with point_coords")
            coords = _as_float_array(point_coords, "point_coords", (2,)).reshape(-1, 2)
            labels = np.asarray(point_labels).reshape(-1)
            if labels.shape[0] != coords.shape[0]:
                raise ModelError(
                    f"point_labels has {labels.shape[0]} entries for {coords.shape[0]} points"
                )
            if not np.isin(labels, (0, 1)).all():
                raise ModelError("point_labels must be 0 (background) or 1 (foreground)")
            model_coords = self.transform_coords(coords).astype(np.float32)
            coords_t = torch.as_tensor(model_coords, device=self.device)[None]
            labels_t = torch.as_tensor(labels.astype(np.int64), device=self.device)[None]
        if box is not None:
            boxes = _as_float_array(box, "box", (4,)).reshape(-1, 4)
            if boxes.shape[0] != 1:
                raise ModelError(f"box must be one XYXY box, got {boxes.shape[0]} boxes")
            box_t = torch.as_tensor(
                self.transform_boxes(boxes).astype(np.float32), device=self.device
            )
        if mask_input is not None:
            side = 4 * self.model.config.embedding_size
            arr = np.asarray(mask_input, dtype=np.float32)
            if arr.shape not in ((side, side), (1, side, side)):
                raise ModelError(f"mask_input must be (1, {side}, {side}) logits, got {arr.shape}")
            mask_t = torch.as_tensor(arr.reshape(1, 1, side, side), device=self.device)
        masks, iou, low = self.predict_torch(
            coords_t, labels_t, box_t, mask_t, multimask_output, return_logits
        )
        return masks[0].cpu().numpy(), iou[0].cpu().numpy(), low[0].cpu().numpy()

    def predict_torch(
        self,
        point_coords: torch.Tensor | None,
        point_labels: torch.Tensor | None,
        boxes: torch.Tensor | None = None,
        mask_input: torch.Tensor | None = None,
        multimask_output: bool = True,
        return_logits: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Batched prompts already in model-input pixels (see :meth:`transform_coords`).

        Args:
            point_coords: (B, N, 2) float32 (x, y); point_labels (B, N) int.
            boxes: (B, 4) float32 XYXY.
            mask_input: (B, 1, 4E, 4E) float32 logits.

        Returns:
            masks (B, C, H, W) bool (or float logits), iou (B, C), low_res_logits (B, C, 4E, 4E).
        """
        self._require_image()
        assert self.features is not None and self.input_size and self.original_size
        if point_coords is None and boxes is None and mask_input is None:
            raise ModelError("predict needs at least one prompt: points, a box or a mask")
        with torch.inference_mode():
            low, iou = self.model.decode(
                self.features, point_coords, point_labels, boxes, mask_input, multimask_output
            )
            masks = self.model.postprocess_masks(low, self.input_size, self.original_size)
            if not return_logits:
                masks = masks > self.model.mask_threshold
        return masks, iou, low
