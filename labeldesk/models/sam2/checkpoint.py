"""Loading SAM 2.1 checkpoints safely and strictly, recognising the variant from the keys.

Files are read with ``torch.load(weights_only=True)`` only (via the SAM 1 loader, which
refuses anything that needs code execution); ``{"model": state_dict}`` (the official layout)
and plain state dicts are accepted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import torch

from labeldesk.core.errors import ModelError
from labeldesk.models.device import select_device
from labeldesk.models.sam.checkpoint import describe_mismatch, load_state_dict_file
from labeldesk.models.sam2.config import OFFICIAL_CONFIGS, Sam2Config, config_from_reference
from labeldesk.models.sam2.known import KNOWN_SAM2_CHECKPOINTS  # noqa: F401
from labeldesk.models.sam2.model import Sam2Model

SAM2_KEY_PREFIXES = ("image_encoder.trunk.", "sam_mask_decoder.", "memory_attention.")


def is_sam2_state(state: Mapping[str, Any]) -> bool:
    """True when a state_dict has SAM 2's layout (Hiera trunk, SAM 2 heads)."""
    return any(k.startswith("image_encoder.trunk.") for k in state) and any(
        k.startswith("sam_mask_decoder.") for k in state
    )


def detect_sam2_variant(state: Mapping[str, Any]) -> str:
    """ "tiny", "small", "base_plus" or "large" from keys and shapes (meta tensors work)."""
    if not is_sam2_state(state):
        raise ModelError("not a SAM 2 checkpoint: no image_encoder.trunk / sam_mask_decoder keys")
    try:
        dim = int(state["image_encoder.trunk.patch_embed.proj.weight"].shape[0])
    except KeyError:
        raise ModelError("SAM 2 checkpoint without image_encoder.trunk.patch_embed") from None
    pattern = re.compile(r"image_encoder\.trunk\.blocks\.(\d+)\.")
    blocks = {int(m.group(1)) for k in state if (m := pattern.match(k))}
    depth = max(blocks) + 1 if blocks else 0
    for name, cfg in OFFICIAL_CONFIGS.items():
        if cfg.embed_dim == dim and sum(cfg.stages) == depth:
            return name
    raise ModelError(
        f"a SAM 2 Hiera with embed_dim {dim} and {depth} blocks is not an official SAM 2.1 "
        "variant (tiny/small/base_plus/large); pass its config to load it"
    )


def resolve_config(config: Sam2Config | Mapping[str, Any] | str | PathLike[str]) -> Sam2Config:
    """A config object, a variant name, a resolved hydra dict, or a JSON file holding one."""
    if isinstance(config, Sam2Config):
        return config
    if isinstance(config, Mapping):
        return config_from_reference(config)
    if isinstance(config, str) and config in OFFICIAL_CONFIGS:
        return OFFICIAL_CONFIGS[config]
    path = Path(config)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read SAM 2 model config ({exc})") from None
    return config_from_reference(data, name=path.stem)


def load_sam2(
    path: str | PathLike[str],
    device: str = "auto",
    *,
    config: Sam2Config | Mapping[str, Any] | str | PathLike[str] | None = None,
) -> Sam2Model:
    """Load a SAM 2.1 checkpoint strictly and return the model in eval mode (float32).

    Raises:
        ModelError: unsafe or unreadable file, unknown variant, missing/unexpected keys.
    """
    path = Path(path)
    state = load_state_dict_file(path)
    if is_sam2_state(state) and "no_obj_embed_spatial" not in state:
        raise ModelError(
            f"{path}: this looks like a SAM 2.0 checkpoint (no no_obj_embed_spatial); only the "
            "SAM 2.1 checkpoints (sam2.1_hiera_*.pt) are supported"
        )
    if config is not None:
        cfg = resolve_config(config)
    else:
        cfg = OFFICIAL_CONFIGS[detect_sam2_variant(state)]
    with torch.device("meta"):
        model = Sam2Model(cfg)
    describe_mismatch(path, model, state)
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    model.load_state_dict(state, strict=True, assign=True)
    model.requires_grad_(False)
    stat = path.stat()
    ident = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    model.model_id = f"{cfg.name}:{hashlib.sha1(ident.encode()).hexdigest()[:12]}"
    return model.eval().to(select_device(device))


def is_sam2_file(path: str | PathLike[str]) -> bool:
    """True when ``path`` holds a SAM 2 state_dict (plain or under "model"). Only the keys are
    looked at (``weights_only`` + ``mmap``: no tensor data is read); False when unreadable."""
    try:
        obj = torch.load(Path(path), weights_only=True, map_location="cpu", mmap=True)
    except Exception:
        return False
    if isinstance(obj, Mapping) and isinstance(obj.get("model"), Mapping):
        obj = obj["model"]
    return isinstance(obj, Mapping) and is_sam2_state(obj)
