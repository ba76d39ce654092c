"""The SAM 2.1 network: image encoder, SAM heads and memory modules, with the state_dict
layout of the official checkpoints (load strictly)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from labeldesk.models.sam.common import MLP
from labeldesk.models.sam2.config import PIXEL_MEAN, PIXEL_STD, Sam2Config
from labeldesk.models.sam2.decoder import Sam2MaskDecoder, Sam2PromptEncoder, two_way_transformer
from labeldesk.models.sam2.hiera import FpnNeck, Hiera, ImageEncoder
from labeldesk.models.sam2.memory import MemoryAttention, MemoryEncoder

NO_OBJ_SCORE = -1024.0


@dataclass
class ImageFeatures:
    """One image's encoder output (batch 1).

    ``level2`` is the raw stride-16 neck output (B, C, E, E); ``image_embed`` is it plus
    ``no_mem_embed``; ``high_res`` the stride-4 / stride-8 maps after conv_s0 / conv_s1;
    ``pos`` the stride-16 sine position encoding.
    """

    level2: torch.Tensor
    image_embed: torch.Tensor
    high_res: list[torch.Tensor]
    pos: torch.Tensor


@dataclass
class HeadOutput:
    """What one pass of the SAM heads gives (batch B, selected mask first)."""

    low_res: torch.Tensor  # (B, 1, 4E, 4E) gated logits of the chosen mask
    high_res: torch.Tensor  # (B, 1, S, S)
    obj_ptr: torch.Tensor  # (B, C)
    object_score: torch.Tensor  # (B, 1)
    all_iou: torch.Tensor  # (B, 4) raw decoder iou
    all_low_res: torch.Tensor  # (B, 4, 4E, 4E) ungated


class Sam2Model(nn.Module):
    def __init__(self, config: Sam2Config) -> None:
        super().__init__()
        cfg = self.config = config
        self.model_id = config.name
        self.encoder_precision = "fp32"
        d = cfg.d_model
        trunk = Hiera(
            embed_dim=cfg.embed_dim,
            num_heads=cfg.num_heads,
            stages=cfg.stages,
            global_att_blocks=cfg.global_att_blocks,
            window_spec=cfg.window_spec,
            bkg_size=cfg.window_pos_embed_bkg_spatial_size,
        )
        self.image_encoder = ImageEncoder(trunk, FpnNeck(d, cfg.channel_list))
        self.mask_downsample = nn.Conv2d(1, 1, kernel_size=4, stride=4)
        self.memory_attention = MemoryAttention(
            d, cfg.mem_attn_ff, cfg.mem_dim, cfg.mem_attn_layers
        )
        self.memory_encoder = MemoryEncoder(d, cfg.mem_dim)
        e = cfg.embedding_size
        self.sam_prompt_encoder = Sam2PromptEncoder(
            embed_dim=d,
            image_embedding_size=(e, e),
            input_image_size=(cfg.image_size, cfg.image_size),
            mask_in_chans=cfg.mask_in_chans,
        )
        self.sam_mask_decoder = Sam2MaskDecoder(
            dim=d,
            transformer=two_way_transformer(
                d, cfg.decoder_depth, cfg.decoder_heads, cfg.decoder_mlp_dim
            ),
            num_multimask_outputs=cfg.num_multimask_outputs,
            iou_head_hidden_dim=cfg.iou_head_hidden_dim,
            stability_delta=cfg.stability_delta,
            stability_thresh=cfg.stability_thresh,
        )
        self.obj_ptr_proj = MLP(d, d, d, 3)
        self.obj_ptr_tpos_proj = nn.Linear(d, cfg.mem_dim)
        self.maskmem_tpos_enc = nn.Parameter(torch.zeros(cfg.num_maskmem, 1, 1, cfg.mem_dim))
        self.no_mem_embed = nn.Parameter(torch.zeros(1, 1, d))
        self.no_mem_pos_enc = nn.Parameter(torch.zeros(1, 1, d))  # unused, kept for loading
        self.no_obj_ptr = nn.Parameter(torch.zeros(1, d))
        self.no_obj_embed_spatial = nn.Parameter(torch.zeros(1, cfg.mem_dim))

    # ------------------------------------------------------------------ properties
    @property
    def image_size(self) -> int:
        return self.config.image_size

    @property
    def mask_threshold(self) -> float:
        return self.config.mask_threshold

    @property
    def device(self) -> torch.device:
        return self.no_mem_embed.device

    def set_encoder_precision(self, precision: str) -> None:
        """Only "fp32" is supported for SAM 2 here (reduced precision is not validated)."""
        if precision != "fp32":
            raise ValueError(f"SAM 2 runs in fp32 only, not {precision!r}")
        self.encoder_precision = precision

    # ----------------------------------------------------------------- image path
    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) float in [0, 1] -> ImageNet-normalised."""
        mean = torch.tensor(PIXEL_MEAN, dtype=x.dtype, device=x.device).view(-1, 1, 1)
        std = torch.tensor(PIXEL_STD, dtype=x.dtype, device=x.device).view(-1, 1, 1)
        return (x - mean) / std

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """(1, 3, H, W) uint8 RGB -> (1, 3, S, S): /255, bilinear antialiased resize to the
        square (aspect ratio not kept), normalise."""
        x = image.to(torch.float32) / 255
        s = self.image_size
        if x.shape[-2:] != (s, s):
            x = F.interpolate(x, size=(s, s), mode="bilinear", align_corners=False, antialias=True)
        return self.normalize(x)

    def encode(self, x: torch.Tensor) -> ImageFeatures:
        """Preprocessed (B, 3, S, S) -> :class:`ImageFeatures`."""
        feats, pos = self.image_encoder(x)
        dec = self.sam_mask_decoder
        high = [dec.conv_s0(feats[0]), dec.conv_s1(feats[1])]
        level2 = feats[2]
        embed = level2 + self.no_mem_embed.view(1, -1, 1, 1)
        return ImageFeatures(level2, embed, high, pos[2])

    # ------------------------------------------------------------------ SAM heads
    def decode(
        self,
        image_embed: torch.Tensor,
        high_res: list[torch.Tensor],
        coords: torch.Tensor | None,
        labels: torch.Tensor | None,
        mask_input: torch.Tensor | None = None,
        empty_point: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Prompts in model pixels (B, N, 2) / labels (B, N) (box corners as labels 2, 3),
        mask_input (B, 1, 4E, 4E). Without points, the video path (``empty_point``) passes a
        "not a point" (plus the padding point); the image predictor passes no point token.
        Returns all 4 tokens' masks, iou, token outputs, object scores, and the sparse and
        dense embeddings."""
        points: tuple[torch.Tensor, torch.Tensor] | None = None
        if coords is not None and labels is not None:
            points = (coords, labels)
        elif empty_point:
            b = 1 if mask_input is None else mask_input.shape[0]
            zeros = torch.zeros((b, 1, 2), device=self.device)
            points = (zeros, -torch.ones((b, 1), dtype=torch.int64, device=self.device))
        sparse, dense = self.sam_prompt_encoder(points, None, mask_input)
        pe = self.sam_prompt_encoder.get_dense_pe()
        masks, iou, tokens, score = self.sam_mask_decoder.predict_all(
            image_embed, pe, sparse, dense, high_res
        )
        return masks, iou, tokens, score, sparse, dense

    def sam_heads(
        self,
        pix_feat: torch.Tensor,
        high_res: list[torch.Tensor],
        coords: torch.Tensor | None,
        labels: torch.Tensor | None,
        mask_input: torch.Tensor | None,
        multimask: bool,
    ) -> HeadOutput:
        """The video path's SAM pass: object gate, selection, pointer."""
        s4 = 4 * self.config.embedding_size
        if mask_input is not None and mask_input.shape[-2:] != (s4, s4):
            mask_input = F.interpolate(
                mask_input.float(),
                size=(s4, s4),
                mode="bilinear",
                align_corners=False,
                antialias=True,
            )
        masks, iou, tokens, score, _, _ = self.decode(
            pix_feat, high_res, coords, labels, mask_input
        )
        dec = self.sam_mask_decoder
        if multimask:
            sel_masks, sel_iou = masks[:, 1:], iou[:, 1:]
            sel_tokens = tokens[:, 1:]
        else:
            sel_masks, sel_iou = dec.select(masks, iou, False)
            sel_tokens = tokens[:, 0:1]
        appearing = score > 0
        sel_masks = torch.where(appearing[:, :, None, None], sel_masks, NO_OBJ_SCORE).float()
        b = sel_masks.shape[0]
        rows = torch.arange(b, device=sel_masks.device)
        token = sel_tokens[:, 0]
        if multimask:
            best = torch.argmax(sel_iou, dim=-1)
            low = sel_masks[rows, best].unsqueeze(1)
            token = sel_tokens[rows, best]
        else:
            low = sel_masks
        s = self.image_size
        high = F.interpolate(low, size=(s, s), mode="bilinear", align_corners=False)
        ptr = self.obj_ptr_proj(token)
        gate = appearing.float()
        ptr = gate * ptr + (1 - gate) * self.no_obj_ptr
        return HeadOutput(low, high, ptr, score, iou, masks)

    def mask_as_output(
        self, pix_feat: torch.Tensor, high_res: list[torch.Tensor], mask: torch.Tensor
    ) -> HeadOutput:
        """A mask prompt (B, 1, S, S) in {0, 1} taken as the output; the pointer comes from one
        SAM pass on the raw features with the downsampled mask as the only prompt."""
        m = mask.float()
        high = m * 20.0 - 10.0
        s4 = high.shape[-1] // 4
        low = F.interpolate(
            high, size=(s4, s4), mode="bilinear", align_corners=False, antialias=True
        )
        head = self.sam_heads(pix_feat, high_res, None, None, self.mask_downsample(m), False)
        appearing = torch.any(m.flatten(1) > 0.0, dim=1)[..., None].float()
        ptr = appearing * head.obj_ptr + (1 - appearing) * self.no_obj_ptr
        score = 20.0 * appearing - 10.0
        return HeadOutput(low, high, ptr, score, head.all_iou, head.all_low_res)

    # --------------------------------------------------------------------- memory
    def encode_memory(
        self,
        level2: torch.Tensor,
        high_res_mask: torch.Tensor,
        object_score: torch.Tensor,
        binarize: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Memory features (B, mem_dim, E, E) rounded to bfloat16, and their position encoding."""
        m = (high_res_mask > 0).float() if binarize else torch.sigmoid(high_res_mask)
        m = m * 20.0 - 10.0
        feats, pos = self.memory_encoder(level2, m)
        absent = (object_score <= 0).float()[..., None, None]
        feats = feats + absent * self.no_obj_embed_spatial[..., None, None]
        return feats.to(torch.bfloat16), pos


def build_sam2(config: Sam2Config) -> Sam2Model:
    """A SAM 2.1 model with random weights (eval mode)."""
    return Sam2Model(config).eval()
