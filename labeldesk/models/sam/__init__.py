"""SAM-family models (SAM ViT-B/L/H and MobileSAM) in plain torch, Qt-free.

Importing this package does not import torch; every name below is loaded on first use.

Public API::

    from labeldesk.models.sam import load_sam, SamPredictor, SamAutomaticMaskGenerator

    model = load_sam("sam_vit_b_01ec64.pth", device="auto")     # -> SamModel (eval)
    predictor = SamPredictor(model)
    predictor.set_image(rgb_uint8)                               # slow: image encoder
    masks, iou, low_res = predictor.predict(                     # fast: per click
        point_coords=np.array([[x, y]]), point_labels=np.array([1]))
    masks, iou, low_res = predictor.predict(                     # feed back the best mask
        point_coords=..., point_labels=..., mask_input=low_res[iou.argmax()][None],
        multimask_output=False)

    proposals = SamAutomaticMaskGenerator(model, points_per_side=16).generate(rgb_uint8)

    cache = EmbeddingCache(max_bytes=512 << 20)                  # skip the encoder next time
    key = image_key(rgb_uint8)
    if (hit := cache.get(key, model.model_id)) is not None:
        predictor.set_embedding(hit)
    else:
        predictor.set_image(rgb_uint8)
        cache.put(key, predictor.get_embedding())

GPU out-of-memory -> CPU fallback (for the worker)::

    from labeldesk.models.device import run_with_cpu_fallback
    _, message = run_with_cpu_fallback(lambda: predictor.set_image(img),
                                       move_to_cpu=lambda: predictor.to("cpu"),
                                       current_device=predictor.device.type)

Names:
    load_sam(path, device="auto", *, config=None, precision="fp32") -> SamModel
    load_state_dict_file(path) -> dict; detect_variant(state_dict) -> "vit_b"|"vit_l"|"vit_h"|"vit_t"
    build_sam(config_or_name) -> SamModel with random weights; SamConfig, config_from_dict,
    OFFICIAL_CONFIGS; SamPredictor; SamAutomaticMaskGenerator; EmbeddingCache, ImageEmbedding,
    image_key; KNOWN_CHECKPOINTS (KnownCheckpoint: name, variant, file_name, size_bytes, url,
    sha256, license).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

# Submodules import torch at their top; the package is always imported first, so this makes
# the first torch import see the same OpenMP setting as labeldesk.models.device.import_torch().
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_EXPORTS = {
    "load_sam": "checkpoint",
    "load_state_dict_file": "checkpoint",
    "detect_variant": "checkpoint",
    "KNOWN_CHECKPOINTS": "known",
    "KnownCheckpoint": "known",
    "build_sam": "model",
    "SamModel": "model",
    "SamConfig": "config",
    "config_from_dict": "config",
    "OFFICIAL_CONFIGS": "config",
    "SamPredictor": "predictor",
    "SamAutomaticMaskGenerator": "amg",
    "EmbeddingCache": "cache",
    "ImageEmbedding": "cache",
    "image_key": "cache",
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
