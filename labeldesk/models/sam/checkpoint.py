"""Loading SAM-family checkpoints safely, recognising the variant, known official files.

Only ``torch.load(path, weights_only=True, map_location="cpu")`` is ever used: a file that
needs code execution to unpickle is refused with a :class:`ModelError` naming it.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import torch

from labeldesk.core.errors import ModelError
from labeldesk.models.device import select_device
from labeldesk.models.sam.config import OFFICIAL_CONFIGS, SamConfig, config_from_dict
from labeldesk.models.sam.known import KNOWN_CHECKPOINTS, KnownCheckpoint  # noqa: F401
from labeldesk.models.sam.model import SamModel

_VIT_VARIANTS = {(768, 12): "vit_b", (1024, 24): "vit_l", (1280, 32): "vit_h"}


def _refusal_reason(exc: Exception) -> str:
    """Why torch's safe loader refused a file, in our words: the blocked global named, and
    never torch's hint to re-run with ``weights_only=False`` (that would run the file's code)."""
    text = str(exc)
    match = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if match:
        return f"it needs the Python object {match.group(1)}, which weights alone never do"
    match = re.search(r"WeightsUnpickler error:\s*([^\n.]+)", text)
    if match:
        return match.group(1).strip()
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and "weights_only" not in line and "documentation" not in line
    ]
    return lines[-1][:200] if lines else type(exc).__name__


def not_a_checkpoint(path: str | PathLike[str]) -> str | None:
    """What ``path`` is when it is plainly not a PyTorch checkpoint (a JSON or text file, an
    image), from its first bytes; None when it may be one."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return None
    if head.startswith((b"PK\x03\x04", b"\x80")):  # torch zip archive, legacy pickle
        return None
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")):
        return "an image file"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):
        if b'"shapes"' in head or b'"imagePath"' in head:
            return "a labelme annotation (JSON)"
        return "a JSON file"
    if head and all(b in b"\t\r\n" or 32 <= b < 127 for b in head):
        return "a text file"
    return None


def load_state_dict_file(path: str | PathLike[str]) -> dict[str, torch.Tensor]:
    """Read a checkpoint as a plain {key: tensor} state_dict, safely.

    Accepts a plain state_dict, or a dict wrapping one under "model" or "state_dict"; a
    "module." prefix on every key (DataParallel) is removed. Floating tensors stay as stored.

    Raises:
        ModelError: the file is missing, unreadable, needs code execution, or holds no tensors.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: checkpoint file not found")
    what = not_a_checkpoint(path)
    if what is not None:
        raise ModelError(
            f"{path}: not a readable PyTorch checkpoint: this is {what}. A model is a SAM, "
            "MobileSAM or SAM 2.1 checkpoint (.pth/.pt), or a model trained in labeldesk: "
            "MODEL.json with its MODEL.pt (network) or MODEL.npz (pixel classifier) beside it."
        )
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            obj = torch.load(path, weights_only=True, map_location="cpu")
    except MemoryError:
        raise ModelError(f"{path}: not enough memory to read the checkpoint") from None
    except Exception as exc:
        import pickle

        if isinstance(exc, pickle.UnpicklingError):
            raise ModelError(
                f"{path}: refused to load: unpickling it would need code execution, so it is not "
                f"a plain weights file ({_refusal_reason(exc)}). Use the official .pth/.pt "
                "checkpoint, or re-save just its state_dict."
            ) from None
        raise ModelError(f"{path}: not a readable PyTorch checkpoint ({exc!r})") from None
    if isinstance(obj, Mapping) and not all(isinstance(v, torch.Tensor) for v in obj.values()):
        for key in ("model", "state_dict"):
            inner = obj.get(key)
            if isinstance(inner, Mapping):
                obj = inner
                break
    if not isinstance(obj, Mapping) or not obj:
        raise ModelError(f"{path}: the checkpoint is not a state_dict (got {type(obj).__name__})")
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ModelError(
            f"{path}: state_dict entries are not tensors: {', '.join(map(str, bad[:5]))}"
        )
    state = {str(k): v for k, v in obj.items()}
    if all(k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}
    return state


def _count_indices(state: Mapping[str, Any], prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    found = {int(m.group(1)) for k in state if (m := pattern.match(k))}
    return max(found) + 1 if found else 0


def detect_variant(state: Mapping[str, Any]) -> str:
    """Name of the official variant ("vit_b", "vit_l", "vit_h" or "vit_t") of a state_dict.

    Only keys and shapes are read (tensors on the "meta" device work). Raises ModelError
    describing what the checkpoint looks like when it is not an official SAM/MobileSAM.
    """
    keys = set(state)
    if any(
        k.startswith(("image_encoder.trunk.", "sam_mask_decoder.", "memory_attention."))
        for k in keys
    ):
        raise ModelError(
            "this is a SAM 2 checkpoint; only SAM (ViT-B/L/H) and MobileSAM are supported"
        )
    if "mask_decoder.hf_token.weight" in keys:
        raise ModelError(
            "this is an HQ-SAM checkpoint; only SAM (ViT-B/L/H) and MobileSAM are supported"
        )
    if (
        not any(k.startswith("mask_decoder.") for k in keys)
        or "prompt_encoder.no_mask_embed.weight" not in keys
    ):
        sample = ", ".join(sorted(keys)[:4])
        raise ModelError(
            f"not a SAM checkpoint: no prompt encoder / mask decoder keys (keys start {sample})"
        )
    prompt_dim = int(state["prompt_encoder.no_mask_embed.weight"].shape[-1])
    if "image_encoder.patch_embed.proj.weight" in keys:
        dim = int(state["image_encoder.patch_embed.proj.weight"].shape[0])
        depth = _count_indices(state, "image_encoder.blocks.")
        variant = _VIT_VARIANTS.get((dim, depth))
        if variant is None or prompt_dim != 256:
            raise ModelError(
                f"a SAM ViT with embed_dim {dim}, depth {depth} and prompt dim {prompt_dim} is not "
                "an official variant; pass its config to load it"
            )
        return variant
    if "image_encoder.patch_embed.seq.0.c.weight" in keys:
        dims = [int(state["image_encoder.patch_embed.seq.2.c.weight"].shape[0])]
        for i in range(3):
            k = f"image_encoder.layers.{i}.downsample.conv1.c.weight"
            if k in keys:
                dims.append(int(state[k].shape[0]))
        depths = [_count_indices(state, f"image_encoder.layers.{i}.blocks.") for i in range(4)]
        if dims == [64, 128, 160, 320] and depths == [2, 2, 6, 2] and prompt_dim == 256:
            return "vit_t"
        raise ModelError(
            f"a TinyViT SAM with stage widths {dims} and depths {depths} is not MobileSAM; "
            "pass its config to load it"
        )
    raise ModelError("unknown SAM image encoder: neither a ViT (patch_embed.proj) nor TinyViT")


def describe_mismatch(path: Path, model: Any, state: Mapping[str, torch.Tensor]) -> None:
    """Raise ModelError naming what of ``state`` does not fit ``model`` (SAM or SAM 2.1):
    missing and unexpected keys, wrong shapes; return when it fits."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        f"{k} {tuple(state[k].shape)} != {expected[k]}"
        for k in expected
        if k in state and tuple(state[k].shape) != expected[k]
    ]
    if not (missing or unexpected or wrong):
        return
    parts = []
    for label, items in (
        ("missing keys", missing),
        ("unexpected keys", unexpected),
        ("wrong shapes", wrong),
    ):
        if items:
            more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
            parts.append(f"{len(items)} {label}: {', '.join(items[:5])}{more}")
    raise ModelError(
        f"{path}: checkpoint does not fit model {model.config.name!r}: " + "; ".join(parts)
    )


def _resolve_config(config: SamConfig | Mapping[str, Any] | str | PathLike[str]) -> SamConfig:
    if isinstance(config, SamConfig):
        return config
    if isinstance(config, Mapping):
        return config_from_dict(config)
    if isinstance(config, str) and config in OFFICIAL_CONFIGS:
        return OFFICIAL_CONFIGS[config]
    cfg_path = Path(config)
    try:
        data = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{cfg_path}: cannot read model config ({exc})") from None
    return config_from_dict(data, name=cfg_path.stem)


def _model_id(path: Path, config: SamConfig) -> str:
    stat = path.stat()
    ident = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return f"{config.name}:{hashlib.sha1(ident.encode()).hexdigest()[:12]}"


def load_sam(
    path: str | PathLike[str],
    device: str = "auto",
    *,
    config: SamConfig | Mapping[str, Any] | str | PathLike[str] | None = None,
    precision: str = "fp32",
) -> SamModel:
    """Load a SAM / MobileSAM checkpoint strictly and return the model in eval mode.

    Args:
        path: the .pth / .pt file (a plain state_dict, as the official files are).
        device: "auto", "cpu", "cuda" or "mps" (see :func:`select_device`).
        config: for non-official models: a :class:`SamConfig`, a dict / JSON file in the
            reference layout, or an official variant name. By default the variant is detected.
        precision: image-encoder precision on CUDA: "fp32" (default), "bf16" or "fp16".

    Raises:
        ModelError: unsafe or unreadable file, unknown variant, missing/unexpected keys.
    """
    path = Path(path)
    state = load_state_dict_file(path)
    cfg = _resolve_config(config) if config is not None else OFFICIAL_CONFIGS[detect_variant(state)]
    torch_device = select_device(device)
    with torch.device("meta"):
        model = SamModel(cfg)
    describe_mismatch(path, model, state)
    state = {
        k: v.float() if v.is_floating_point() and v.dtype != torch.float32 else v
        for k, v in state.items()
    }
    model.load_state_dict(state, strict=True, assign=True)
    model.reset_buffers(torch.device("cpu"))
    model.requires_grad_(False)
    model.model_id = _model_id(path, cfg)
    model.set_encoder_precision(precision)
    return model.eval().to(torch_device)
