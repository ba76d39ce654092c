"""SAM prompt encoder: points, boxes and a low-res mask -> sparse and dense embeddings.

Coordinates given to it are in model-input pixels (x, y) of the resized, unpadded image
(i.e. after the longest-side transform), float32.
"""

from __future__ import annotations

import math
from typing import cast

import torch
from torch import nn

from labeldesk.models.sam.common import LayerNorm2d


class RandomFourierPositions(nn.Module):
    """Positional encoding with a fixed Gaussian projection: [sin, cos](2π (2c - 1) G)."""

    positional_encoding_gaussian_matrix: torch.Tensor  # a buffer (2, num_pos_feats)

    def __init__(self, num_pos_feats: int) -> None:
        super().__init__()
        self.register_buffer("positional_encoding_gaussian_matrix", torch.randn(2, num_pos_feats))

    def encode(self, coords: torch.Tensor) -> torch.Tensor:
        """coords (..., 2) in [0, 1] (x, y) -> (..., 2 * num_pos_feats)."""
        gauss = self.positional_encoding_gaussian_matrix
        coords = (2 * coords - 1) @ gauss.to(coords.dtype)
        coords = 2 * math.pi * coords
        return torch.cat([torch.sin(coords), torch.cos(coords)], dim=-1)

    def grid(self, size: tuple[int, int]) -> torch.Tensor:
        """Dense encoding of an (h, w) grid of cell centres: (C, h, w)."""
        h, w = size
        gauss = self.positional_encoding_gaussian_matrix
        ones = torch.ones((h, w), device=gauss.device, dtype=gauss.dtype)
        y = (ones.cumsum(dim=0) - 0.5) / h
        x = (ones.cumsum(dim=1) - 0.5) / w
        return self.encode(torch.stack([x, y], dim=-1)).permute(2, 0, 1)

    def points(self, coords: torch.Tensor, image_size: tuple[int, int]) -> torch.Tensor:
        """coords (B, N, 2) pixel (x, y) in an image of (h, w) -> (B, N, C)."""
        coords = coords.clone()
        coords[..., 0] = coords[..., 0] / image_size[1]
        coords[..., 1] = coords[..., 1] / image_size[0]
        return self.encode(coords.to(torch.float))


class PromptEncoder(nn.Module):
    """Encodes prompts for :class:`~labeldesk.models.sam.mask_decoder.MaskDecoder`."""

    def __init__(
        self,
        *,
        embed_dim: int,
        image_embedding_size: tuple[int, int],
        input_image_size: tuple[int, int],
        mask_in_chans: int,
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.image_embedding_size = (int(image_embedding_size[0]), int(image_embedding_size[1]))
        self.input_image_size = (int(input_image_size[0]), int(input_image_size[1]))
        self.pe_layer = RandomFourierPositions(embed_dim // 2)
        # 0: background point, 1: foreground point, 2: box top-left, 3: box bottom-right
        self.point_embeddings = nn.ModuleList(nn.Embedding(1, embed_dim) for _ in range(4))
        self.not_a_point_embed = nn.Embedding(1, embed_dim)
        self.mask_input_size = (4 * image_embedding_size[0], 4 * image_embedding_size[1])
        self.mask_downscaling = nn.Sequential(
            nn.Conv2d(1, mask_in_chans // 4, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_chans // 4),
            nn.GELU(),
            nn.Conv2d(mask_in_chans // 4, mask_in_chans, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_chans),
            nn.GELU(),
            nn.Conv2d(mask_in_chans, embed_dim, kernel_size=1),
        )
        self.no_mask_embed = nn.Embedding(1, embed_dim)

    def get_dense_pe(self) -> torch.Tensor:
        """(1, embed_dim, E_h, E_w) positional encoding of the image embedding grid."""
        return self.pe_layer.grid(self.image_embedding_size).unsqueeze(0)

    def _point_weight(self, i: int) -> torch.Tensor:
        """The (1, embed_dim) embedding of point kind ``i`` (see ``point_embeddings``)."""
        return cast(nn.Embedding, self.point_embeddings[i]).weight

    def _embed_points(self, coords: torch.Tensor, labels: torch.Tensor, pad: bool) -> torch.Tensor:
        coords = coords + 0.5  # pixel centres
        if pad:
            b = coords.shape[0]
            coords = torch.cat([coords, coords.new_zeros((b, 1, 2))], dim=1)
            labels = torch.cat([labels, -labels.new_ones((b, 1))], dim=1)
        emb = self.pe_layer.points(coords, self.input_image_size)
        labels = labels[..., None]
        emb = torch.where(labels == -1, self.not_a_point_embed.weight, emb)
        emb = emb + torch.where(labels == 0, self._point_weight(0), 0.0)
        emb = emb + torch.where(labels == 1, self._point_weight(1), 0.0)
        return emb

    def _embed_boxes(self, boxes: torch.Tensor) -> torch.Tensor:
        corners = (boxes + 0.5).reshape(-1, 2, 2)
        emb = self.pe_layer.points(corners, self.input_image_size)
        first = emb[:, 0, :] + self._point_weight(2)
        second = emb[:, 1, :] + self._point_weight(3)
        return torch.stack([first, second], dim=1)

    def forward(
        self,
        points: tuple[torch.Tensor, torch.Tensor] | None,
        boxes: torch.Tensor | None,
        masks: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Embed prompts.

        Args:
            points: coords (B, N, 2) float (x, y) and labels (B, N) int (1 fg, 0 bg, -1 pad).
            boxes: (B, 4) float XYXY.
            masks: (B, 1, 4E, 4E) float logits.

        Returns:
            sparse (B, N', embed_dim) (points first, then box corners) and
            dense (B, embed_dim, E, E).
        """
        if points is not None:
            batch = points[0].shape[0]
            device = points[0].device
        elif boxes is not None:
            batch, device = boxes.shape[0], boxes.device
        elif masks is not None:
            batch, device = masks.shape[0], masks.device
        else:
            batch, device = 1, self.no_mask_embed.weight.device
        parts = [torch.empty((batch, 0, self.embed_dim), device=device)]
        if points is not None:
            parts.append(self._embed_points(points[0], points[1], pad=boxes is None))
        if boxes is not None:
            parts.append(self._embed_boxes(boxes))
        sparse = torch.cat(parts, dim=1)
        if masks is not None:
            dense = self.mask_downscaling(masks)
        else:
            h, w = self.image_embedding_size
            dense = self.no_mask_embed.weight.reshape(1, -1, 1, 1).expand(batch, -1, h, w)
        return sparse, dense
