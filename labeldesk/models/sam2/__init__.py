"""SAM 2.1 (Hiera tiny / small / base_plus / large) in plain torch, Qt-free.

Importing this package does not import torch; every name below is loaded on first use.

Public API::

    from labeldesk.models.sam2 import load_sam2, Sam2Predictor, Sam2AutomaticMaskGenerator

    model = load_sam2("sam2.1_hiera_tiny.pt", device="auto")     # variant from the keys
    predictor = Sam2Predictor(model)
    predictor.set_image(rgb_uint8)
    masks, iou, low_res = predictor.predict(point_coords=np.array([[x, y]]),
                                            point_labels=np.array([1]))
    proposals = Sam2AutomaticMaskGenerator(model, points_per_side=16).generate(rgb_uint8)

    video = Sam2VideoPredictor(model)                            # frames read lazily
    state = video.init_state(frames)                             # sequence or (count, callable)
    video.add_points(state, frame_index=0, obj_id=1, points=[[x, y]], labels=[1])
    for frame_index, logits_by_obj in video.propagate(state):
        ...
"""

from __future__ import annotations

import importlib
import os
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_EXPORTS = {
    "load_sam2": "checkpoint",
    "detect_sam2_variant": "checkpoint",
    "is_sam2_state": "checkpoint",
    "KNOWN_SAM2_CHECKPOINTS": "known",
    "Sam2Model": "model",
    "build_sam2": "model",
    "Sam2Config": "config",
    "OFFICIAL_CONFIGS": "config",
    "config_from_reference": "config",
    "Sam2Predictor": "predictor",
    "Sam2AutomaticMaskGenerator": "amg",
    "Sam2VideoPredictor": "video",
    "VideoState": "video",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
