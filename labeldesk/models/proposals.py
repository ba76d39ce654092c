"""Proposed regions for one image, from whichever source is available.

* ``sam``: SAM automatic mask generation (point grid, quality and stability filters, NMS,
  small-region clean-up) with a loaded checkpoint;
* ``model``: a segmentation model trained on the user's labels (its classes become labels);
* ``classical``: no model at all: :func:`labeldesk.core.proposals.classical_proposals`
  (torch-free, in core with the :class:`~labeldesk.core.proposals.Proposal` type).

Each source is a :mod:`labeldesk.core.jobs` job: it yields ``Progress`` and returns a list of
:class:`Proposal` (cancel by closing it). Torch is imported only by the model sources.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.core.jobs import Job, Progress, run_job, scaled

# the shared type and the classical source live in core (no torch); importable from here too
from labeldesk.core.proposals import Proposal, as_rgb, classical_proposals

__all__ = [
    "TRAINED_MODEL_NAMES",
    "Proposal",
    "as_rgb",
    "classical_proposals",
    "find_trained_model",
    "is_trained_model",
    "model_batch_proposals",
    "model_proposals",
    "run_steps",
    "sam_proposals",
]

Steps = Job["list[Proposal]"]

# where a trained model's sidecar JSON may be in a project folder, first match wins:
# ".labeldesk/model.json" is where the training dialog and `labeldesk train` save by default
TRAINED_MODEL_NAMES = (".labeldesk/model.json", "model.json", "labeldesk-model.json")


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
    :data:`TRAINED_MODEL_NAMES` that has its ``.pt`` (a pixel classifier: ``.npz``) beside it
    and says it is a labeldesk model (so a labelme file ``model.json`` next to a stray
    ``model.pt`` is not taken)."""
    if folder is None:
        return None
    for name in TRAINED_MODEL_NAMES:
        path = Path(folder) / name
        weights = path.with_suffix(".pt").is_file() or path.with_suffix(".npz").is_file()
        if path.is_file() and weights and is_trained_model(path):  # .npz: a pixel classifier
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
    out = _instance_proposals(pred)
    yield Progress.at(1.0, f"{len(out)} objects")
    return out


def model_batch_proposals(
    model: Any, images: list[np.ndarray], *, min_area: int = 64
) -> list[list[Proposal]]:
    """:func:`model_proposals` for several images, same-size ones in one network pass (see
    :func:`labeldesk.models.seg.prediction.predict_proba_batch`)."""
    from labeldesk.models.seg.prediction import predict_proba_batch, prediction_from_proba

    outputs = predict_proba_batch(model, [as_rgb(im) for im in images])
    return [
        _instance_proposals(prediction_from_proba(model, probs, bnd, min_area=min_area))
        for probs, bnd in outputs
    ]


def _instance_proposals(pred: Any) -> list[Proposal]:
    # an Instance is already cropped to its box: no full-image mask is built per object
    out = [
        Proposal(inst.crop, inst.origin, inst.class_name, float(inst.score), "model")
        for inst in pred.instances
        if inst.crop.size and inst.area > 0
    ]
    out.sort(key=lambda p: -p.area)
    return out


def run_steps(steps: Steps) -> list[Proposal]:
    """Drive a proposals generator to the end (headless use) and return its result."""
    return run_job(steps)
