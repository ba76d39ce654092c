"""SAM 2's prompt encoder and mask decoder (high-res features, object-score head).

The two-way transformer, the random-Fourier positions and the MLPs are SAM 1's
(:mod:`labeldesk.models.sam`); only the pieces that differ are written here.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from labeldesk.models.sam.common import MLP, LayerNorm2d
from labeldesk.models.sam.mask_decoder import TwoWayTransformer
from labeldesk.models.sam.prompt_encoder import PromptEncoder


class Sam2PromptEncoder(PromptEncoder):
    """SAM 1's prompt encoder, but every point label (0..3, -1 = padding) is embedded as a
    point: SAM 2 passes a box as two leading points labelled 2 and 3."""

    def _embed_points(self, coords: torch.Tensor, labels: torch.Tensor, pad: bool) -> torch.Tensor:
        emb = super()._embed_points(coords, labels, pad)
        if pad:
            labels = torch.cat([labels, -labels.new_ones((labels.shape[0], 1))], dim=1)
        labels = labels[..., None]
        corner_a = cast(nn.Embedding, self.point_embeddings[2]).weight
        corner_b = cast(nn.Embedding, self.point_embeddings[3]).weight
        emb = emb + torch.where(labels == 2, corner_a, 0.0)
        return emb + torch.where(labels == 3, corner_b, 0.0)


def two_way_transformer(dim: int, depth: int, heads: int, mlp_dim: int) -> TwoWayTransformer:
    """SAM 1's transformer with SAM 2's MLP layout (keys ``mlp.layers.0/1``)."""
    transformer = TwoWayTransformer(
        depth=depth, embedding_dim=dim, num_heads=heads, mlp_dim=mlp_dim, downsample_rate=2
    )
    for layer in transformer.layers:
        layer.mlp = MLP(dim, mlp_dim, dim, 2)
    return transformer


class Sam2MaskDecoder(nn.Module):
    """Tokens [object score, iou, 4 masks, prompts] through the two-way transformer; masks
    upscaled with the stride-4 and stride-8 features added in."""

    def __init__(
        self,
        *,
        dim: int,
        transformer: TwoWayTransformer,
        num_multimask_outputs: int = 3,
        iou_head_hidden_dim: int = 256,
        stability_delta: float = 0.05,
        stability_thresh: float = 0.98,
    ) -> None:
        super().__init__()
        self.transformer = transformer
        self.num_mask_tokens = num_multimask_outputs + 1
        self.iou_token = nn.Embedding(1, dim)
        self.mask_tokens = nn.Embedding(self.num_mask_tokens, dim)
        self.obj_score_token = nn.Embedding(1, dim)
        self.output_upscaling = nn.Sequential(
            nn.ConvTranspose2d(dim, dim // 4, kernel_size=2, stride=2),
            LayerNorm2d(dim // 4),
            nn.GELU(),
            nn.ConvTranspose2d(dim // 4, dim // 8, kernel_size=2, stride=2),
            nn.GELU(),
        )
        self.conv_s0 = nn.Conv2d(dim, dim // 8, kernel_size=1)
        self.conv_s1 = nn.Conv2d(dim, dim // 4, kernel_size=1)
        self.output_hypernetworks_mlps = nn.ModuleList(
            MLP(dim, dim, dim // 8, 3) for _ in range(self.num_mask_tokens)
        )
        self.iou_prediction_head = MLP(dim, iou_head_hidden_dim, self.num_mask_tokens, 3)
        self.pred_obj_score_head = MLP(dim, dim, 1, 3)
        self.stability_delta = stability_delta
        self.stability_thresh = stability_thresh

    def predict_all(
        self,
        image_embed: torch.Tensor,
        image_pe: torch.Tensor,
        sparse: torch.Tensor,
        dense: torch.Tensor,
        high_res: list[torch.Tensor],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """All 4 tokens: masks (B, 4, 4E, 4E), iou (B, 4) (sigmoid), mask-token outputs
        (B, 4, C) and object-score logits (B, 1). ``image_embed`` (1 or B, C, E, E) is shared
        by a batch of prompts."""
        b = sparse.shape[0]
        out_tokens = torch.cat(
            [self.obj_score_token.weight, self.iou_token.weight, self.mask_tokens.weight], dim=0
        )
        tokens = torch.cat([out_tokens.unsqueeze(0).expand(b, -1, -1), sparse], dim=1)
        if dense.shape[0] > 1 and dense.stride(0) == 0:
            dense = dense[:1]
        src = image_embed + dense
        _, c, h, w = src.shape
        hs, keys = self.transformer(src, image_pe[:1], tokens)
        if keys.shape[0] != b:
            keys = keys.expand(b, -1, -1)
        iou_out = hs[:, 1, :]
        mask_out = hs[:, 2 : 2 + self.num_mask_tokens, :]
        dc1, ln1, act1, dc2, act2 = self.output_upscaling
        feat_s0, feat_s1 = high_res
        src = keys.transpose(1, 2).reshape(b, c, h, w)
        up = act1(ln1(dc1(src) + feat_s1))
        up = act2(dc2(up) + feat_s0)
        hyper = torch.stack(
            [mlp(mask_out[:, i, :]) for i, mlp in enumerate(self.output_hypernetworks_mlps)], dim=1
        )
        _, uc, uh, uw = up.shape
        masks = (hyper @ up.reshape(b, uc, uh * uw)).reshape(b, -1, uh, uw)
        iou = torch.sigmoid(self.iou_prediction_head(iou_out))
        return masks, iou, mask_out, self.pred_obj_score_head(hs[:, 0, :])

    def stability(self, logits: torch.Tensor) -> torch.Tensor:
        """(B, H, W) logits -> (B,) #(> delta) / #(> -delta), 1 where the union is empty."""
        flat = logits.flatten(-2)
        inter = (flat > self.stability_delta).sum(-1).float()
        union = (flat > -self.stability_delta).sum(-1).float()
        return torch.where(union > 0, inter / union, 1.0)

    def select(
        self, masks: torch.Tensor, iou: torch.Tensor, multimask_output: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens 1..3 for multimask, else token 0 unless unstable (then the best of 1..3)."""
        if multimask_output:
            return masks[:, 1:], iou[:, 1:]
        best = torch.argmax(iou[:, 1:], dim=-1)
        rows = torch.arange(masks.shape[0], device=masks.device)
        best_masks = masks[:, 1:][rows, best].unsqueeze(1)
        best_iou = iou[:, 1:][rows, best].unsqueeze(1)
        stable = self.stability(masks[:, 0]) >= self.stability_thresh
        out_masks = torch.where(stable[:, None, None, None], masks[:, 0:1], best_masks)
        out_iou = torch.where(stable[:, None], iou[:, 0:1], best_iou)
        return out_masks, out_iou
