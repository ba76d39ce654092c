"""SAM's ViT image encoder: windowed and global attention with decomposed relative positions.

Input (B, 3, S, S) float32, normalised and padded; output (B, out_chans, S/16, S/16).
The state_dict keys match the official ``image_encoder.*`` keys exactly.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from labeldesk.models.sam.common import LayerNorm2d, MLPBlock


def relative_position_table(q_size: int, k_size: int, table: torch.Tensor) -> torch.Tensor:
    """Gather the (q_size, k_size, head_dim) relative-position embeddings from ``table``.

    ``table`` is (2 * max(q, k) - 1, head_dim); when it was trained for another size it is
    resampled linearly first.
    """
    span = 2 * max(q_size, k_size) - 1
    if table.shape[0] != span:
        resized = F.interpolate(table.t()[None], size=span, mode="linear")
        table = resized[0].t()
    q_scale = max(k_size / q_size, 1.0)
    k_scale = max(q_size / k_size, 1.0)
    q_idx = torch.arange(q_size, device=table.device)[:, None] * q_scale
    k_idx = torch.arange(k_size, device=table.device)[None, :] * k_scale
    offsets = (q_idx - k_idx) + (k_size - 1) * k_scale
    return table[offsets.long()]


class ViTAttention(nn.Module):
    """Multi-head self-attention over a (B, H, W, C) grid, with optional rel-pos terms."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        qkv_bias: bool = True,
        use_rel_pos: bool = True,
        input_size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim**-0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.use_rel_pos = use_rel_pos
        if use_rel_pos:
            if input_size is None:
                raise ValueError("input_size is required when use_rel_pos is True")
            self.rel_pos_h = nn.Parameter(torch.zeros(2 * input_size[0] - 1, self.head_dim))
            self.rel_pos_w = nn.Parameter(torch.zeros(2 * input_size[1] - 1, self.head_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        n = h * w
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # each (B, heads, N, head_dim)
        if not self.use_rel_pos:
            out = F.scaled_dot_product_attention(q, k, v)
        else:
            table_h = relative_position_table(h, h, self.rel_pos_h).to(q.dtype)  # (h, h, d)
            table_w = relative_position_table(w, w, self.rel_pos_w).to(q.dtype)  # (w, w, d)
            grid_q = q.reshape(b, self.num_heads, h, w, self.head_dim)
            rel_h = torch.einsum("bnhwc,hkc->bnhwk", grid_q, table_h).reshape(b, -1, n, h)
            rel_w = torch.einsum("bnhwc,wkc->bnhwk", grid_q, table_w).reshape(b, -1, n, w)
            # scale * q.k + rel_h[q, key row] + rel_w[q, key column], as an additive mask
            bias = (rel_h[..., :, None] + rel_w[..., None, :]).reshape(b, -1, n, n)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        out = out.reshape(b, self.num_heads, h, w, self.head_dim).permute(0, 2, 3, 1, 4)
        return self.proj(out.reshape(b, h, w, c))


def window_partition(x: torch.Tensor, size: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Split (B, H, W, C) into (B * nWin, size, size, C) windows, zero-padding bottom/right."""
    b, h, w, c = x.shape
    pad_h = (size - h % size) % size
    pad_w = (size - w % size) % size
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = h + pad_h, w + pad_w
    x = x.view(b, hp // size, size, wp // size, size, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, size, size, c), (hp, wp)


def window_unpartition(
    windows: torch.Tensor, size: int, padded_hw: tuple[int, int], hw: tuple[int, int]
) -> torch.Tensor:
    """Inverse of :func:`window_partition`, dropping the padding: returns (B, H, W, C)."""
    hp, wp = padded_hw
    h, w = hw
    c = windows.shape[-1]
    b = windows.shape[0] // ((hp // size) * (wp // size))
    x = windows.view(b, hp // size, wp // size, size, size, c).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(b, hp, wp, c)
    return x[:, :h, :w, :].contiguous() if (hp > h or wp > w) else x


class ViTBlock(nn.Module):
    """Pre-norm transformer block; ``window_size`` 0 means global attention."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        mlp_ratio: float,
        qkv_bias: bool,
        use_rel_pos: bool,
        window_size: int,
        grid_size: tuple[int, int],
        eps: float = 1e-6,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        attn_size = (window_size, window_size) if window_size > 0 else grid_size
        self.attn = ViTAttention(
            dim, num_heads, qkv_bias=qkv_bias, use_rel_pos=use_rel_pos, input_size=attn_size
        )
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = MLPBlock(dim, int(dim * mlp_ratio), nn.GELU)
        self.window_size = window_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.norm1(x)
        if self.window_size > 0:
            hw = (x.shape[1], x.shape[2])
            windows, padded = window_partition(x, self.window_size)
            x = window_unpartition(self.attn(windows), self.window_size, padded, hw)
        else:
            x = self.attn(x)
        x = shortcut + x
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    """Non-overlapping patch projection: (B, 3, S, S) -> (B, S/p, S/p, dim)."""

    def __init__(self, patch_size: int, in_chans: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).permute(0, 2, 3, 1)


class ViTImageEncoder(nn.Module):
    """SAM's ViT encoder (ViT-B/L/H or any size given by the arguments)."""

    def __init__(
        self,
        *,
        img_size: int = 1024,
        patch_size: int = 16,
        in_chans: int = 3,
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        out_chans: int = 256,
        qkv_bias: bool = True,
        use_abs_pos: bool = True,
        use_rel_pos: bool = True,
        window_size: int = 14,
        global_attn_indexes: tuple[int, ...] = (),
        eps: float = 1e-6,
    ) -> None:
        super().__init__()
        self.img_size = img_size
        grid = img_size // patch_size
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim)
        self.pos_embed: nn.Parameter | None = None
        if use_abs_pos:
            self.pos_embed = nn.Parameter(torch.zeros(1, grid, grid, embed_dim))
        self.blocks = nn.ModuleList(
            ViTBlock(
                embed_dim,
                num_heads,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                use_rel_pos=use_rel_pos,
                window_size=0 if i in global_attn_indexes else window_size,
                grid_size=(grid, grid),
                eps=eps,
            )
            for i in range(depth)
        )
        self.neck = nn.Sequential(
            nn.Conv2d(embed_dim, out_chans, kernel_size=1, bias=False),
            LayerNorm2d(out_chans, eps=eps),
            nn.Conv2d(out_chans, out_chans, kernel_size=3, padding=1, bias=False),
            LayerNorm2d(out_chans, eps=eps),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        if self.pos_embed is not None:
            x = x + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.neck(x.permute(0, 3, 1, 2))
