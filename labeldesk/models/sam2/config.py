"""Hyper-parameters of SAM 2.1 models (torch-free) and the four official variants.

:class:`Sam2Config` holds what is needed to build a model; :func:`config_from_reference`
reads the resolved hydra config of ``shared/sam2_reference/sam2_tiny_config.json``
(``image_model_config`` / ``video_model_config``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labeldesk.core.errors import ModelError

PIXEL_MEAN = (0.485, 0.456, 0.406)
PIXEL_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Sam2Config:
    """A whole SAM 2.1 model: Hiera trunk, FPN neck, SAM heads, memory modules."""

    name: str
    image_size: int = 1024
    embed_dim: int = 96
    num_heads: int = 1
    stages: tuple[int, ...] = (1, 2, 7, 2)
    global_att_blocks: tuple[int, ...] = (5, 7, 9)
    window_spec: tuple[int, ...] = (8, 4, 14, 7)
    window_pos_embed_bkg_spatial_size: tuple[int, int] = (7, 7)
    d_model: int = 256
    mem_attn_layers: int = 4
    mem_attn_ff: int = 2048
    mem_dim: int = 64
    num_maskmem: int = 7
    max_obj_ptrs_in_encoder: int = 16
    mask_in_chans: int = 16
    decoder_depth: int = 2
    decoder_heads: int = 8
    decoder_mlp_dim: int = 2048
    num_multimask_outputs: int = 3
    iou_head_hidden_dim: int = 256
    stability_delta: float = 0.05
    stability_thresh: float = 0.98
    mask_threshold: float = 0.0

    @property
    def embedding_size(self) -> int:
        """E = S / 16, the side of the image-embedding grid."""
        return self.image_size // 16

    @property
    def channel_list(self) -> tuple[int, ...]:
        """Trunk stage widths, lowest resolution first (the neck's ``backbone_channel_list``)."""
        return tuple(self.embed_dim * 2**i for i in range(len(self.stages)))[::-1]


TINY = Sam2Config("sam2.1_hiera_tiny")
SMALL = Sam2Config("sam2.1_hiera_small", stages=(1, 2, 11, 2), global_att_blocks=(7, 10, 13))
BASE_PLUS = Sam2Config(
    "sam2.1_hiera_base_plus",
    embed_dim=112,
    num_heads=2,
    stages=(2, 3, 16, 3),
    global_att_blocks=(12, 16, 20),
    window_pos_embed_bkg_spatial_size=(14, 14),
)
LARGE = Sam2Config(
    "sam2.1_hiera_large",
    embed_dim=144,
    num_heads=2,
    stages=(2, 6, 36, 4),
    global_att_blocks=(23, 33, 43),
    window_spec=(8, 4, 16, 8),
)

OFFICIAL_CONFIGS: dict[str, Sam2Config] = {
    "tiny": TINY,
    "small": SMALL,
    "base_plus": BASE_PLUS,
    "large": LARGE,
}


def _ints(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value)


def config_from_reference(data: Mapping[str, Any], *, name: str = "sam2_custom") -> Sam2Config:
    """Build a config from a resolved hydra SAM 2 model config (or a JSON file holding one
    under ``video_model_config`` / ``image_model_config``).

    Raises :class:`ModelError` naming the missing or unsupported key.
    """
    model = data.get("video_model_config") or data.get("image_model_config") or data
    try:
        trunk = model["image_encoder"]["trunk"]
        neck = model["image_encoder"]["neck"]
        mem_attn = model["memory_attention"]
        mem_enc = model["memory_encoder"]
        cfg = Sam2Config(
            name=name,
            image_size=int(model["image_size"]),
            embed_dim=int(trunk["embed_dim"]),
            num_heads=int(trunk["num_heads"]),
            stages=_ints(trunk.get("stages", (2, 3, 16, 3))),
            global_att_blocks=_ints(trunk.get("global_att_blocks", (12, 16, 20))),
            window_spec=_ints(trunk.get("window_spec", (8, 4, 14, 7))),
            window_pos_embed_bkg_spatial_size=_ints(  # type: ignore[arg-type]
                trunk.get("window_pos_embed_bkg_spatial_size", (14, 14))
            ),
            d_model=int(neck["d_model"]),
            mem_attn_layers=int(mem_attn["num_layers"]),
            mem_attn_ff=int(mem_attn["layer"]["dim_feedforward"]),
            mem_dim=int(mem_enc["out_dim"]),
            num_maskmem=int(model.get("num_maskmem", 7)),
        )
    except KeyError as exc:
        raise ModelError(f"SAM 2 model config: missing key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ModelError(f"SAM 2 model config: bad value ({exc})") from None
    channels = _ints(neck.get("backbone_channel_list", cfg.channel_list))
    if channels != cfg.channel_list:
        raise ModelError(
            f"SAM 2 model config: backbone_channel_list {list(channels)} does not follow "
            f"embed_dim {cfg.embed_dim} (expected {list(cfg.channel_list)})"
        )
    if cfg.image_size % 16:
        raise ModelError(f"SAM 2 model config: image_size {cfg.image_size} is not a multiple of 16")
    return cfg
