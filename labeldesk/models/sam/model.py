"""The assembled SAM-family network with the official pre- and post-processing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from labeldesk.models.sam.config import SamConfig, TinyViTEncoderConfig
from labeldesk.models.sam.image_encoder import ViTImageEncoder
from labeldesk.models.sam.mask_decoder import MaskDecoder, TwoWayTransformer
from labeldesk.models.sam.prompt_encoder import PromptEncoder
from labeldesk.models.sam.tiny_vit import TinyViTImageEncoder, WindowAttention

ENCODER_PRECISIONS = ("fp32", "bf16", "fp16")


class SamModel(nn.Module):
    """Image encoder + prompt encoder + mask decoder; keys as in the official checkpoints.

    Attributes:
        config: the hyper-parameters it was built from.
        model_id: a string that identifies the weights (set by the loader; used as part of the
            embedding-cache key).
        encoder_precision: "fp32" (default), or "bf16"/"fp16" to run only the image encoder
            under CUDA autocast; the prompt encoder and decoder always run in fp32.
    """

    def __init__(self, config: SamConfig) -> None:
        super().__init__()
        self.config = config
        self.model_id = config.name
        self.encoder_precision = "fp32"
        enc = config.encoder
        self.image_encoder: nn.Module
        if isinstance(enc, TinyViTEncoderConfig):
            self.image_encoder = TinyViTImageEncoder(
                img_size=enc.img_size,
                num_classes=enc.num_classes,
                embed_dims=enc.embed_dims,
                depths=enc.depths,
                num_heads=enc.num_heads,
                window_sizes=enc.window_sizes,
                mlp_ratio=enc.mlp_ratio,
                mbconv_expand_ratio=enc.mbconv_expand_ratio,
                local_conv_size=enc.local_conv_size,
                neck_out_chans=enc.neck_out_chans,
            )
        else:
            self.image_encoder = ViTImageEncoder(
                img_size=enc.img_size,
                patch_size=enc.patch_size,
                embed_dim=enc.embed_dim,
                depth=enc.depth,
                num_heads=enc.num_heads,
                mlp_ratio=enc.mlp_ratio,
                out_chans=enc.out_chans,
                qkv_bias=enc.qkv_bias,
                use_abs_pos=enc.use_abs_pos,
                use_rel_pos=enc.use_rel_pos,
                window_size=enc.window_size,
                global_attn_indexes=enc.global_attn_indexes,
            )
        grid = config.embedding_size
        self.prompt_encoder = PromptEncoder(
            embed_dim=config.prompt_embed_dim,
            image_embedding_size=(grid, grid),
            input_image_size=(config.image_size, config.image_size),
            mask_in_chans=config.mask_in_chans,
        )
        self.mask_decoder = MaskDecoder(
            transformer_dim=config.prompt_embed_dim,
            transformer=TwoWayTransformer(
                depth=config.decoder_depth,
                embedding_dim=config.prompt_embed_dim,
                num_heads=config.decoder_heads,
                mlp_dim=config.decoder_mlp_dim,
                downsample_rate=config.attention_downsample_rate,
            ),
            num_multimask_outputs=config.num_multimask_outputs,
            iou_head_depth=config.iou_head_depth,
            iou_head_hidden_dim=config.iou_head_hidden_dim,
        )
        mean = torch.tensor(config.pixel_mean, dtype=torch.float32).view(-1, 1, 1)
        std = torch.tensor(config.pixel_std, dtype=torch.float32).view(-1, 1, 1)
        self.register_buffer("pixel_mean", mean, persistent=False)
        self.register_buffer("pixel_std", std, persistent=False)

    def reset_buffers(self, device: torch.device) -> None:
        """Recompute the non-persistent buffers (pixel mean/std, TinyViT bias indices).

        Needed after building on the "meta" device and loading weights with ``assign=True``.
        """
        cfg = self.config
        self.pixel_mean = torch.tensor(cfg.pixel_mean, device=device).view(-1, 1, 1)
        self.pixel_std = torch.tensor(cfg.pixel_std, device=device).view(-1, 1, 1)
        for module in self.modules():
            if isinstance(module, WindowAttention):
                module.reset_index(device)
        left = [n for n, t in [*self.named_parameters(), *self.named_buffers()] if t.is_meta]
        if left:
            raise RuntimeError(f"tensors left without data after loading: {left[:5]}")

    @property
    def image_size(self) -> int:
        """S, the square encoder input size."""
        return self.config.image_size

    @property
    def mask_threshold(self) -> float:
        return self.config.mask_threshold

    @property
    def device(self) -> torch.device:
        return self.pixel_mean.device

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, h, w) RGB 0-255 (h, w <= S) -> normalised, zero-padded (B, 3, S, S) float32."""
        x = (image.to(torch.float32) - self.pixel_mean) / self.pixel_std
        h, w = x.shape[-2:]
        return F.pad(x, (0, self.image_size - w, 0, self.image_size - h))

    @contextlib.contextmanager
    def _encoder_autocast(self) -> Iterator[None]:
        if self.encoder_precision == "fp32" or self.device.type != "cuda":
            yield
            return
        dtype = torch.bfloat16 if self.encoder_precision == "bf16" else torch.float16
        with torch.autocast(device_type="cuda", dtype=dtype):
            yield

    def encode(self, preprocessed: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) -> image embedding (B, C, E, E) float32."""
        with self._encoder_autocast():
            out = self.image_encoder(preprocessed)
        return out.float()

    def set_encoder_precision(self, precision: str) -> None:
        """Pick "fp32", "bf16" or "fp16" for the image encoder (half types only act on CUDA)."""
        if precision not in ENCODER_PRECISIONS:
            raise ValueError(f"precision {precision!r} is not one of {ENCODER_PRECISIONS}")
        self.encoder_precision = precision

    def decode(
        self,
        image_embeddings: torch.Tensor,
        point_coords: torch.Tensor | None,
        point_labels: torch.Tensor | None,
        boxes: torch.Tensor | None,
        mask_input: torch.Tensor | None,
        multimask_output: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prompts in model coordinates -> low-res logits (B, C, 4E, 4E), iou (B, C)."""
        points = (point_coords, point_labels) if point_coords is not None else None
        sparse, dense = self.prompt_encoder(points, boxes, mask_input)
        return self.mask_decoder(
            image_embeddings, self.prompt_encoder.get_dense_pe(), sparse, dense, multimask_output
        )

    def postprocess_masks(
        self, low_res: torch.Tensor, input_size: tuple[int, int], original_size: tuple[int, int]
    ) -> torch.Tensor:
        """(B, C, 4E, 4E) logits -> (B, C, H, W) logits at the original image size.

        Upsample bilinearly to S x S, crop to the resized image ``input_size`` (h', w'), then
        resize bilinearly to ``original_size`` (H, W). align_corners=False, no antialias.
        """
        s = self.image_size
        x = F.interpolate(low_res, (s, s), mode="bilinear", align_corners=False)
        x = x[..., : input_size[0], : input_size[1]]
        if tuple(original_size) == tuple(x.shape[-2:]):
            return x  # a same-size bilinear resize is the identity
        return F.interpolate(x, original_size, mode="bilinear", align_corners=False)


def build_sam(config: SamConfig | str) -> SamModel:
    """An untrained (randomly initialised) model in eval mode, on the current default device.

    ``config`` is a :class:`SamConfig` or an official variant name ("vit_b", "vit_l", "vit_h",
    "vit_t"). Build inside ``with torch.device("meta"):`` to get shapes without memory.
    """
    if isinstance(config, str):
        from labeldesk.models.sam.config import OFFICIAL_CONFIGS

        if config not in OFFICIAL_CONFIGS:
            raise ValueError(f"unknown SAM variant {config!r}; known: {sorted(OFFICIAL_CONFIGS)}")
        config = OFFICIAL_CONFIGS[config]
    return SamModel(config).eval()


def build_sam_vit_b() -> SamModel:
    """Random-weight SAM ViT-B (official hyper-parameters)."""
    return build_sam("vit_b")


def build_sam_vit_l() -> SamModel:
    """Random-weight SAM ViT-L (official hyper-parameters)."""
    return build_sam("vit_l")


def build_sam_vit_h() -> SamModel:
    """Random-weight SAM ViT-H (official hyper-parameters)."""
    return build_sam("vit_h")


def build_sam_vit_t() -> SamModel:
    """Random-weight MobileSAM (TinyViT encoder, official hyper-parameters)."""
    return build_sam("vit_t")
