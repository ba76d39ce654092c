"""Train-your-own segmentation: networks, dataset, training, saving and prediction.

Importing this package does not import torch: the names below are loaded on first use
(``from labeldesk.models.seg import train`` imports torch then). The torch-free parts are
:mod:`.config`, :mod:`.dataset`, :mod:`.augment`, :mod:`.metrics`, :mod:`.instances`,
:mod:`.uncertainty`, :mod:`.folder` and :mod:`.synthetic`.

The API in one place::

    from labeldesk.models import seg
    samples, notes = seg.samples_from_folder(folder, class_names)   # labelme JSONs
    gen = seg.train(samples, class_names, {"max_steps": 1000}, seed=0, cancel=event)
    result = seg.run_training(gen, on_event=print)                   # or iterate gen
    seg.save_model(result.model, folder / "model.pt")                # + model.json
    model = seg.load_model(folder / "model.pt", classes=class_names)
    labels, confidence = seg.predict(model, image)
    pred = seg.predict_instances(model, image)   # .instances, .uncertainty
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AugmentConfig": "config",
    "TrainConfig": "config",
    "Sample": "dataset",
    "TrainingDataError": "dataset",
    "prepare_samples": "dataset",
    "split_samples": "dataset",
    "samples_from_folder": "folder",
    "Instance": "instances",
    "instances_from_labels": "instances",
    "uncertainty_score": "uncertainty",
    "build_network": "networks",
    "network_config": "networks",
    "SegModel": "model",
    "save_model": "model",
    "load_model": "model",
    "check_classes": "model",
    "predict": "prediction",
    "predict_proba": "prediction",
    "predict_instances": "prediction",
    "SegPrediction": "prediction",
    "train": "training",
    "run_training": "training",
    "TrainEvent": "training",
    "TrainResult": "training",
}

__all__ = [
    "AugmentConfig",
    "build_network",
    "check_classes",
    "Instance",
    "instances_from_labels",
    "load_model",
    "network_config",
    "predict",
    "predict_instances",
    "predict_proba",
    "prepare_samples",
    "run_training",
    "Sample",
    "samples_from_folder",
    "save_model",
    "SegModel",
    "SegPrediction",
    "split_samples",
    "train",
    "TrainConfig",
    "TrainEvent",
    "TrainingDataError",
    "TrainResult",
    "uncertainty_score",
]

if TYPE_CHECKING:
    from labeldesk.models.seg.config import AugmentConfig, TrainConfig
    from labeldesk.models.seg.dataset import (
        Sample,
        TrainingDataError,
        prepare_samples,
        split_samples,
    )
    from labeldesk.models.seg.folder import samples_from_folder
    from labeldesk.models.seg.instances import Instance, instances_from_labels
    from labeldesk.models.seg.model import SegModel, check_classes, load_model, save_model
    from labeldesk.models.seg.networks import build_network, network_config
    from labeldesk.models.seg.prediction import (
        SegPrediction,
        predict,
        predict_instances,
        predict_proba,
    )
    from labeldesk.models.seg.training import TrainEvent, TrainResult, run_training, train
    from labeldesk.models.seg.uncertainty import uncertainty_score


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
