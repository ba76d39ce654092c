"""Hyper-parameters of SAM-family models (torch-free) and the official variants.

A :class:`SamConfig` holds everything needed to build a model; :func:`config_from_dict` reads
the JSON layout of ``shared/sam_reference/*_config.json`` (``encoder`` / ``prompt_encoder`` /
``mask_decoder`` sections).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labeldesk.core.errors import ModelError

PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)


@dataclass(frozen=True)
class ViTEncoderConfig:
    """SAM's original ViT encoder."""

    img_size: int = 1024
    patch_size: int = 16
    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    out_chans: int = 256
    qkv_bias: bool = True
    use_abs_pos: bool = True
    use_rel_pos: bool = True
    window_size: int = 14
    global_attn_indexes: tuple[int, ...] = (2, 5, 8, 11)


@dataclass(frozen=True)
class TinyViTEncoderConfig:
    """MobileSAM's TinyViT encoder (output grid img_size/16, ``neck_out_chans`` channels)."""

    img_size: int = 1024
    num_classes: int = 1000
    embed_dims: tuple[int, ...] = (64, 128, 160, 320)
    depths: tuple[int, ...] = (2, 2, 6, 2)
    num_heads: tuple[int, ...] = (2, 4, 5, 10)
    window_sizes: tuple[int, ...] = (7, 7, 14, 7)
    mlp_ratio: float = 4.0
    mbconv_expand_ratio: float = 4.0
    local_conv_size: int = 3
    neck_out_chans: int = 256


@dataclass(frozen=True)
class SamConfig:
    """A whole SAM-family model: encoder, prompt encoder and mask decoder."""

    name: str
    encoder: ViTEncoderConfig | TinyViTEncoderConfig
    prompt_embed_dim: int = 256
    mask_in_chans: int = 16
    decoder_depth: int = 2
    decoder_heads: int = 8
    decoder_mlp_dim: int = 2048
    attention_downsample_rate: int = 2
    num_multimask_outputs: int = 3
    iou_head_depth: int = 3
    iou_head_hidden_dim: int = 256
    pixel_mean: tuple[float, float, float] = PIXEL_MEAN
    pixel_std: tuple[float, float, float] = PIXEL_STD
    mask_threshold: float = 0.0
    image_format: str = "RGB"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def image_size(self) -> int:
        """S, the square encoder input size in pixels."""
        return self.encoder.img_size

    @property
    def embedding_size(self) -> int:
        """E = S / 16, the side of the image-embedding grid."""
        return self.encoder.img_size // 16


def _vit(name: str, dim: int, depth: int, heads: int, globals_: tuple[int, ...]) -> SamConfig:
    enc = ViTEncoderConfig(
        embed_dim=dim, depth=depth, num_heads=heads, global_attn_indexes=globals_
    )
    return SamConfig(name=name, encoder=enc)


VIT_B = _vit("vit_b", 768, 12, 12, (2, 5, 8, 11))
VIT_L = _vit("vit_l", 1024, 24, 16, (5, 11, 17, 23))
VIT_H = _vit("vit_h", 1280, 32, 16, (7, 15, 23, 31))
VIT_T = SamConfig(name="vit_t", encoder=TinyViTEncoderConfig())

OFFICIAL_CONFIGS: dict[str, SamConfig] = {c.name: c for c in (VIT_B, VIT_L, VIT_H, VIT_T)}


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise ModelError(f"model config: section {key!r} is missing or not an object")
    return value


def config_from_dict(data: Mapping[str, Any], *, name: str | None = None) -> SamConfig:
    """Build a :class:`SamConfig` from the reference JSON layout.

    Raises :class:`ModelError` naming the missing or bad key.
    """
    try:
        enc = _section(data, "encoder")
        pe = _section(data, "prompt_encoder")
        md = _section(data, "mask_decoder")
        tr = _section(md, "transformer")
        encoder: ViTEncoderConfig | TinyViTEncoderConfig
        if str(enc.get("type", "ViT")).lower() == "tinyvit":
            encoder = TinyViTEncoderConfig(
                img_size=int(enc["img_size"]),
                num_classes=int(enc.get("num_classes", 1000)),
                embed_dims=tuple(int(v) for v in enc["embed_dims"]),
                depths=tuple(int(v) for v in enc["depths"]),
                num_heads=tuple(int(v) for v in enc["num_heads"]),
                window_sizes=tuple(int(v) for v in enc["window_sizes"]),
                mlp_ratio=float(enc.get("mlp_ratio", 4.0)),
                mbconv_expand_ratio=float(enc.get("mbconv_expand_ratio", 4.0)),
                local_conv_size=int(enc.get("local_conv_size", 3)),
                neck_out_chans=int(enc.get("neck_out_chans", 256)),
            )
        else:
            encoder = ViTEncoderConfig(
                img_size=int(enc["img_size"]),
                patch_size=int(enc.get("patch_size", 16)),
                embed_dim=int(enc["embed_dim"]),
                depth=int(enc["depth"]),
                num_heads=int(enc["num_heads"]),
                mlp_ratio=float(enc.get("mlp_ratio", 4.0)),
                out_chans=int(enc.get("out_chans", 256)),
                qkv_bias=bool(enc.get("qkv_bias", True)),
                use_abs_pos=bool(enc.get("use_abs_pos", True)),
                use_rel_pos=bool(enc.get("use_rel_pos", True)),
                window_size=int(enc.get("window_size", 14)),
                global_attn_indexes=tuple(int(v) for v in enc.get("global_attn_indexes", ())),
            )
        config = SamConfig(
            name=name or str(data.get("name", data.get("model", "custom"))),
            encoder=encoder,
            prompt_embed_dim=int(pe["embed_dim"]),
            mask_in_chans=int(pe.get("mask_in_chans", 16)),
            decoder_depth=int(tr["depth"]),
            decoder_heads=int(tr["num_heads"]),
            decoder_mlp_dim=int(tr["mlp_dim"]),
            attention_downsample_rate=int(tr.get("attention_downsample_rate", 2)),
            num_multimask_outputs=int(md.get("num_multimask_outputs", 3)),
            iou_head_depth=int(md.get("iou_head_depth", 3)),
            iou_head_hidden_dim=int(md.get("iou_head_hidden_dim", 256)),
            pixel_mean=tuple(float(v) for v in data.get("pixel_mean", PIXEL_MEAN)),  # type: ignore[arg-type]
            pixel_std=tuple(float(v) for v in data.get("pixel_std", PIXEL_STD)),  # type: ignore[arg-type]
            mask_threshold=float(data.get("mask_threshold", 0.0)),
            image_format=str(data.get("image_format", "RGB")),
        )
    except KeyError as exc:
        raise ModelError(f"model config: missing key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ModelError(f"model config: bad value ({exc})") from None
    if config.image_format not in ("RGB", "BGR"):
        raise ModelError(
            f"model config: image_format must be RGB or BGR, not {config.image_format!r}"
        )
    grid = tuple(int(v) for v in pe.get("image_embedding_size", (config.embedding_size,) * 2))
    if grid != (config.embedding_size, config.embedding_size):
        raise ModelError(
            f"model config: image_embedding_size {list(grid)} does not match img_size/16 "
            f"= {config.embedding_size}"
        )
    return config
