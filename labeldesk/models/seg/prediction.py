"""Running a trained :class:`~.model.SegModel` on an image: numpy in, numpy out.

Images up to ``tile_size`` on each side run in one pass (reflect-padded to the network's
stride). Larger images are cut into overlapping ``tile_size`` tiles whose softmax outputs are
blended with weights that fall off towards tile edges, so there are no seams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from labeldesk.core.errors import ModelError
from labeldesk.models.device import import_torch
from labeldesk.models.seg.dataset import TrainingDataError, as_rgb
from labeldesk.models.seg.instances import Instance, instances_from_labels
from labeldesk.models.seg.model import SegModel
from labeldesk.models.seg.uncertainty import uncertainty_score

torch = import_torch()


@dataclass
class SegPrediction:
    """Everything one prediction gives.

    Attributes:
        labels: ``(H, W)`` uint8, 0 = background, ``i`` = ``class_names[i - 1]``.
        confidence: ``(H, W)`` float32, the winning class's probability.
        probs: ``(C, H, W)`` float32 softmax over background + classes.
        boundary: ``(H, W)`` float32 edge probability, or None when the model has no
            boundary channel.
        uncertainty: the image's "label me next" score (see :mod:`.uncertainty`).
        instances: objects, each a bool mask cropped to its box (see :mod:`.instances`).
    """

    labels: np.ndarray
    confidence: np.ndarray
    probs: np.ndarray
    boundary: np.ndarray | None
    uncertainty: float
    instances: list[Instance] = field(default_factory=list)


def _tiles(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    step = max(1, tile - overlap)
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def _ramp(length: int, overlap: int) -> np.ndarray:
    """1-D blending weight: rises over ``overlap`` pixels at each end, never 0."""
    if overlap <= 0:
        return np.ones(length, np.float32)
    i = np.arange(length, dtype=np.float32)
    return np.clip(np.minimum(i + 1, length - i) / (overlap + 1), 1e-3, 1.0)


def _run(model: SegModel, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Probabilities ``(C, h, w)`` and boundary ``(h, w)`` (or None) for one ``(h, w, 3)``
    uint8 tile whose sides are multiples of the stride."""
    probs, bnd = _run_batch(model, batch[None])
    return probs[0], None if bnd is None else bnd[0]


def _run_batch(model: SegModel, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Probabilities ``(B, C, h, w)`` and boundaries ``(B, h, w)`` (or None) for a ``(B, h,
    w, 3)`` uint8 batch of tiles whose sides are multiples of the stride. On a GPU the batch
    goes through pinned memory with a non-blocking copy, and the network runs in fp16."""
    device = model.device
    mean = torch.tensor(model.mean, dtype=torch.float32, device=device).view(1, 3, 1, 1)
    std = torch.tensor(model.std, dtype=torch.float32, device=device).view(1, 3, 1, 1)
    host = torch.from_numpy(np.ascontiguousarray(batch))
    if device.type == "cuda":
        host = host.pin_memory()
    x = host.to(device, non_blocking=True).permute(0, 3, 1, 2).float()
    x = ((x - mean) / std).contiguous(memory_format=torch.channels_last)
    with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=device.type == "cuda"):
        out = model.network(x)
    out = out.float()
    k = model.arch["num_classes"]
    probs = torch.softmax(out[:, :k], dim=1).cpu().numpy()
    bnd = torch.sigmoid(out[:, k]).cpu().numpy() if model.has_boundary else None
    return probs, bnd


def predict_proba(
    model: SegModel,
    image: np.ndarray,
    *,
    tile_size: int = 1024,
    overlap: int = 64,
    cancel: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Softmax ``(C, H, W)`` float32 over background + classes, and the boundary probability
    ``(H, W)`` float32 (None without a boundary channel).

    Args:
        image: ``(H, W, 3)`` uint8 RGB or ``(H, W)`` gray (converted to RGB).
        tile_size: largest side run in one pass (rounded down to the network stride).
        overlap: pixels shared by neighbouring tiles.
        cancel: called between tiles; when it returns True, :class:`InterruptedError` is
            raised so that a caller (training's validation, a worker) can stop early.
    """
    try:
        rgb, _ = as_rgb(image)
    except TrainingDataError as exc:
        raise ModelError(str(exc)) from exc
    if getattr(model, "kind", "") == "forest":  # the pixel classifier (.forest)
        return model.predict_proba(rgb), None  # type: ignore[attr-defined]
    h, w = rgb.shape[:2]
    stride = model.stride
    tile = max(stride, tile_size // stride * stride)
    overlap = min(overlap, tile // 2)
    # pad so each side is at least one stride multiple and fits whole tiles
    ph = (-h) % stride if h <= tile else 0
    pw = (-w) % stride if w <= tile else 0
    padded = cv2.copyMakeBorder(rgb, 0, ph, 0, pw, cv2.BORDER_REFLECT_101) if (ph or pw) else rgb
    hp, wp = padded.shape[:2]
    th, tw = min(tile, hp), min(tile, wp)
    k = model.arch["num_classes"]
    probs = np.zeros((k, hp, wp), np.float32)
    bnd = np.zeros((hp, wp), np.float32) if model.has_boundary else None
    weight = np.zeros((hp, wp), np.float32)
    ys, xs = _tiles(hp, th, overlap), _tiles(wp, tw, overlap)
    win = (
        _ramp(th, overlap if len(ys) > 1 else 0)[:, None]
        * _ramp(tw, overlap if len(xs) > 1 else 0)[None, :]
    )
    was_training = model.network.training
    model.network.eval()
    try:
        with torch.inference_mode():
            for y in ys:
                for x in xs:
                    if cancel is not None and cancel():
                        raise InterruptedError("prediction cancelled")
                    p, b = _run(model, padded[y : y + th, x : x + tw])
                    probs[:, y : y + th, x : x + tw] += p * win
                    if bnd is not None and b is not None:
                        bnd[y : y + th, x : x + tw] += b * win
                    weight[y : y + th, x : x + tw] += win
    finally:
        model.network.train(was_training)
    probs = probs[:, :h, :w] / weight[None, :h, :w]
    if bnd is not None:
        bnd = bnd[:h, :w] / weight[:h, :w]
    return probs, bnd


def predict_proba_batch(
    model: SegModel, images: list[np.ndarray], *, tile_size: int = 1024
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """:func:`predict_proba` for several images. Images of one size that fit a single tile go
    through the network as one batch (the GPU stays busy instead of waiting on each image);
    anything else falls back to one image at a time. The results equal the one-image calls up
    to float rounding of the batched kernels."""
    rgbs = []
    for image in images:
        try:
            rgbs.append(as_rgb(image)[0])
        except TrainingDataError as exc:
            raise ModelError(str(exc)) from exc
    stride = model.stride
    tile = max(stride, tile_size // stride * stride)
    shapes = {r.shape[:2] for r in rgbs}
    if (
        len(rgbs) < 2
        or len(shapes) != 1
        or getattr(model, "kind", "") == "forest"
        or max(next(iter(shapes))) > tile
    ):
        return [predict_proba(model, r, tile_size=tile_size) for r in rgbs]
    h, w = rgbs[0].shape[:2]
    ph, pw = (-h) % stride, (-w) % stride
    batch = np.stack(
        [
            cv2.copyMakeBorder(r, 0, ph, 0, pw, cv2.BORDER_REFLECT_101) if (ph or pw) else r
            for r in rgbs
        ]
    )
    was_training = model.network.training
    model.network.eval()
    try:
        with torch.inference_mode():
            probs, bnd = _run_batch(model, batch)
    finally:
        model.network.train(was_training)
    return [
        (probs[i, :, :h, :w], None if bnd is None else bnd[i, :h, :w]) for i in range(len(rgbs))
    ]


def predict(
    model: SegModel, image: np.ndarray, *, tile_size: int = 1024, overlap: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """``(labels (H, W) uint8, confidence (H, W) float32)`` for one image.

    ``labels`` holds 0 for background and ``i`` for ``model.class_names[i - 1]``;
    ``confidence`` is the probability of the chosen label at each pixel.
    """
    probs, _ = predict_proba(model, image, tile_size=tile_size, overlap=overlap)
    return probs.argmax(axis=0).astype(np.uint8), probs.max(axis=0)


def predict_instances(
    model: SegModel,
    image: np.ndarray,
    *,
    min_area: int = 16,
    boundary_threshold: float = 0.5,
    tile_size: int = 1024,
    overlap: int = 64,
) -> SegPrediction:
    """Labels, confidence, uncertainty and object instances for one image.

    Instances are connected components of each class; when the model has a boundary channel
    touching objects of one class are split by a marker watershed on the boundary probability
    (see :func:`.instances.instances_from_labels`). Components under ``min_area`` pixels are
    dropped.
    """
    probs, bnd = predict_proba(model, image, tile_size=tile_size, overlap=overlap)
    return prediction_from_proba(
        model, probs, bnd, min_area=min_area, boundary_threshold=boundary_threshold
    )


def prediction_from_proba(
    model: SegModel,
    probs: np.ndarray,
    bnd: np.ndarray | None,
    *,
    min_area: int = 16,
    boundary_threshold: float = 0.5,
) -> SegPrediction:
    """The :class:`SegPrediction` of softmax ``probs`` ``(C, H, W)`` and boundary ``bnd``
    (see :func:`predict_instances`)."""
    labels = probs.argmax(axis=0).astype(np.uint8)
    confidence = probs.max(axis=0)
    if getattr(model, "kind", "") == "forest":  # touching objects: distance watershed
        from labeldesk.models.seg.forest_train import label_instances

        objs = label_instances(labels, model.class_names, confidence=confidence, min_area=min_area)
        return SegPrediction(labels, confidence, probs, bnd, uncertainty_score(probs), objs)
    objs = instances_from_labels(
        labels,
        model.class_names,
        confidence=confidence,
        boundary=bnd,
        min_area=min_area,
        boundary_threshold=boundary_threshold,
    )
    return SegPrediction(labels, confidence, probs, bnd, uncertainty_score(probs), objs)
