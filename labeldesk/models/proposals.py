"""Proposed regions for one image, from whichever source is available.

* ``sam``: SAM automatic mask generation (point grid, quality and stability filters, NMS,
  small-region clean-up) with a loaded checkpoint;
* ``model``: a segmentation model trained on the user's labels (its classes become labels);
* ``classical``: no model at all: :func:`labeldesk.algorithms.auto.auto_segment`
  (watershed superpixels merged by CIELAB colour; see that module for why), whose partition
  is filtered to object-sized regions.

Each source is a :mod:`labeldesk.core.jobs` job: it yields ``Progress`` and returns a list of
:class:`Proposal` (cancel by closing it). Torch is imported only by the model sources.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from labeldesk.core.convert import crop_mask, paste_crop, shape_from_crop
from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import Job, Progress, run_job, scaled
from labeldesk.core.shapes import Shape

Steps = Job["list[Proposal]"]

# where a trained model's sidecar JSON may be in a project folder, first match wins:
# ".labeldesk/model.json" is where the training dialog and `labeldesk train` save by default
TRAINED_MODEL_NAMES = (".labeldesk/model.json", "model.json", "labeldesk-model.json")


@dataclass
class Proposal:
    """One proposed region.

    mask: ``(h, w)`` bool, cropped to the region's box; origin: ``(x0, y0)`` of the crop in
    the image; label: a class name (trained model) or None (let the user choose); score: the
    source's confidence in [0, 1]; source: ``"sam"``, ``"model"`` or ``"classical"``.
    """

    mask: np.ndarray
    origin: tuple[int, int]
    label: str | None
    score: float
    source: str

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.mask))

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """Inclusive ``(x0, y0, x1, y1)``."""
        h, w = self.mask.shape
        return self.origin[0], self.origin[1], self.origin[0] + w - 1, self.origin[1] + h - 1

    def full_mask(self, size: tuple[int, int]) -> np.ndarray:
        """``(H, W)`` bool for an image of ``size`` ``(H, W)``."""
        return paste_crop(self.mask, self.origin, size)

    def to_shape(self, label: str | None = None) -> Shape | None:
        """One object (polygon, or mask with holes/parts) labelled ``label`` or its own label."""
        return shape_from_crop(self.mask, self.origin, label or self.label or "object")

    @classmethod
    def from_mask(
        cls, mask: np.ndarray, label: str | None, score: float, source: str
    ) -> Proposal | None:
        crop, origin = crop_mask(np.asarray(mask, dtype=bool))
        return cls(crop, origin, label, float(score), source) if crop.size else None


def as_rgb(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB from an ``(H, W)`` gray, RGB or RGBA uint8 display image."""
    arr = np.asarray(image)
    if (
        arr.dtype != np.uint8
        or arr.ndim not in (2, 3)
        or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4))
    ):
        raise ModelError(
            f"image must be (H, W), (H, W, 3) or (H, W, 4) uint8, got {arr.shape} {arr.dtype}"
        )
    if arr.ndim == 2 or arr.shape[2] == 1:
        return np.ascontiguousarray(
            np.repeat(arr.reshape(arr.shape[0], arr.shape[1], 1), 3, axis=2)
        )
    return np.ascontiguousarray(arr[:, :, :3])


# -- classical (no model) ------------------------------------------------------------------------
def _auto_segment() -> Any:
    try:
        from labeldesk.algorithms import auto_segment  # type: ignore[attr-defined]
    except ImportError:
        from labeldesk.algorithms.auto import auto_segment
    return auto_segment


def classical_proposals(
    image: np.ndarray,
    *,
    min_fraction: float = 0.0015,
    max_fraction: float = 0.35,
    min_edge_score: float = 0.4,
    max_count: int = 80,
) -> Steps:
    """Regions of :func:`auto_segment`'s partition that look like objects or object parts.

    A region's score is its colour contrast ``d`` (CIELAB distance of its mean colour to
    the mean of the 3-pixel ring around it) as ``1 - exp(-d / 20)``: 0.4 for d = 10,
    0.86 for d = 40. It is kept when its area is between ``min_fraction`` and
    ``max_fraction`` of the image, it covers at most half of any image side it touches (sky,
    ground and walls do not), and, when it touches the border, its score is at least
    ``min_edge_score`` (patches of a smooth background gradient are not objects). At most
    ``max_count``, the most contrasted first.
    """
    rgb = as_rgb(image)
    yield Progress.at(0.0, "segmenting (no model)")
    try:
        labels = _auto_segment()(rgb)
    except ValueError as exc:
        raise ModelError(f"auto-segment: {exc}") from exc
    yield Progress.at(0.7, "picking regions")
    h, w = labels.shape
    total = h * w
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), 1.0), cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[:, :, 0] *= 100.0 / 255.0  # OpenCV's 8-bit L is 0..255, a and b are offset by 128
    lab[:, :, 1:] -= 128.0
    n = int(labels.max()) + 1
    areas = np.bincount(labels.ravel(), minlength=n)
    kernel = np.ones((7, 7), np.uint8)
    out: list[Proposal] = []
    for k in range(1, n):
        if not (min_fraction * total <= areas[k] <= max_fraction * total):
            continue
        mask = labels == k
        crop, (x0, y0) = crop_mask(mask)
        ch, cw = crop.shape
        border = (
            max(crop[0].sum() if y0 == 0 else 0, crop[-1].sum() if y0 + ch == h else 0) / w,
            max(crop[:, 0].sum() if x0 == 0 else 0, crop[:, -1].sum() if x0 + cw == w else 0) / h,
        )
        if max(border) > 0.5:
            continue
        ys, xs = (
            slice(max(0, y0 - 4), min(h, y0 + ch + 4)),
            slice(max(0, x0 - 4), min(w, x0 + cw + 4)),
        )
        local = mask[ys, xs].astype(np.uint8)
        ring = (cv2.dilate(local, kernel) > 0) & ~local.astype(bool)
        inside = lab[ys, xs][local.astype(bool)].mean(axis=0)
        outside = lab[ys, xs][ring].mean(axis=0) if ring.any() else inside
        score = 1.0 - float(np.exp(-np.linalg.norm(inside - outside) / 20.0))
        if score < min_edge_score and (x0 == 0 or y0 == 0 or x0 + cw == w or y0 + ch == h):
            continue
        out.append(Proposal(crop, (x0, y0), None, score, "classical"))
    out.sort(key=lambda p: -p.score)
    yield Progress.at(1.0, f"{len(out[:max_count])} regions")
    return out[:max_count]


# -- SAM automatic mask generation ---------------------------------------------------------------
def sam_proposals(
    predictor: Any,
    image: np.ndarray,
    *,
    points_per_side: int = 16,
    points_per_batch: int = 64,
    pred_iou_thresh: float = 0.86,
    stability_score_thresh: float = 0.92,
    min_region_area: int = 100,
    max_fraction: float = 0.9,
    reuse_embedding: bool = True,
) -> Steps:
    """SAM automatic mask generation over a ``points_per_side`` grid (see
    :class:`labeldesk.models.sam.SamAutomaticMaskGenerator`); the predictor's embedding is
    reused when it is for this image. Masks larger than ``max_fraction`` of the image are
    dropped (the whole picture is not an object). Score: the predicted IoU."""
    from labeldesk.models.sam import SamAutomaticMaskGenerator

    generator: Any = SamAutomaticMaskGenerator
    if type(predictor).__module__.startswith("labeldesk.models.sam2"):
        from labeldesk.models.sam2 import Sam2AutomaticMaskGenerator

        generator = Sam2AutomaticMaskGenerator

    rgb = as_rgb(image)
    gen = generator(
        predictor,
        points_per_side=points_per_side,
        points_per_batch=points_per_batch,
        pred_iou_thresh=pred_iou_thresh,
        stability_score_thresh=stability_score_thresh,
        min_mask_region_area=min_region_area,
    )
    records = yield from scaled(gen.generate_steps(rgb, reuse_embedding=reuse_embedding), 0, 0.95)
    total_px = rgb.shape[0] * rgb.shape[1]
    out = []
    for rec in records:
        if rec["area"] > max_fraction * total_px or rec["area"] < 1:
            continue
        prop = Proposal.from_mask(rec["segmentation"], None, float(rec["predicted_iou"]), "sam")
        if prop is not None:
            out.append(prop)
    yield Progress.at(1.0, f"{len(out)} masks")
    return out


# -- a model trained on the user's labels --------------------------------------------------------
def find_trained_model(folder: str | os.PathLike[str] | None) -> Path | None:
    """The trained model's sidecar JSON in a project ``folder``, or None: the first of
    :data:`TRAINED_MODEL_NAMES` that has its ``.pt`` beside it and says it is a labeldesk
    model (so a labelme file ``model.json`` next to a stray ``model.pt`` is not taken)."""
    if folder is None:
        return None
    for name in TRAINED_MODEL_NAMES:
        path = Path(folder) / name
        if path.is_file() and path.with_suffix(".pt").is_file() and is_trained_model(path):
            return path
    return None


def is_trained_model(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` (a ``.pt`` or ``.json``) is a labeldesk trained model (its sidecar
    JSON says ``"format": "labeldesk-seg"``)."""
    import json

    sidecar = Path(path).with_suffix(".json")
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") == "labeldesk-seg"


def model_proposals(model: Any, image: np.ndarray, *, min_area: int = 64) -> Steps:
    """Objects predicted by a trained ``labeldesk.models.seg`` model, labelled with its
    classes; score: the model's mean confidence over the object."""
    from labeldesk.models.seg import predict_instances

    rgb = as_rgb(image)
    yield Progress.at(0.0, "running the trained model")
    pred = predict_instances(model, rgb, min_area=min_area)
    yield Progress.at(0.9, "collecting objects")
    # an Instance is already cropped to its box: no full-image mask is built per object
    out = [
        Proposal(inst.crop, inst.origin, inst.class_name, float(inst.score), "model")
        for inst in pred.instances
        if inst.crop.size and inst.area > 0
    ]
    out.sort(key=lambda p: -p.area)
    yield Progress.at(1.0, f"{len(out)} objects")
    return out


def run_steps(steps: Steps) -> list[Proposal]:
    """Drive a proposals generator to the end (headless use) and return its result."""
    return run_job(steps)
