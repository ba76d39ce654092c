"""SAM 2's memory modules: memory attention (axial RoPE) and the memory encoder.

Sequences are batch-first here: (B, N, C).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from labeldesk.models.sam.common import LayerNorm2d
from labeldesk.models.sam2.hiera import SinePositions


def axial_rope(head_dim: int, side_x: int, side_y: int, theta: float = 10000.0) -> torch.Tensor:
    """(side_x*side_y, head_dim/2) complex rotations: first half by x, second half by y."""
    freqs = 1.0 / (theta ** (torch.arange(0, head_dim, 4)[: head_dim // 4].float() / head_dim))
    t = torch.arange(side_x * side_y, dtype=torch.float32)
    tx = (t % side_x).float()
    ty = torch.div(t, side_x, rounding_mode="floor").float()
    fx = torch.outer(tx, freqs)
    fy = torch.outer(ty, freqs)
    return torch.cat(
        [torch.polar(torch.ones_like(fx), fx), torch.polar(torch.ones_like(fy), fy)], -1
    )


def _rotate(x: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(xc * freqs).flatten(3).type_as(x)


class RoPEAttention(nn.Module):
    """One-head-or-more attention with axial RoPE on q and on the first keys (the spatial
    memory); keys may come in several frames of the same grid (the table is repeated)."""

    def __init__(self, dim: int, num_heads: int = 1, kv_in_dim: int | None = None) -> None:
        super().__init__()
        kv = kv_in_dim or dim
        self.num_heads = num_heads
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(kv, dim)
        self.v_proj = nn.Linear(kv, dim)
        self.out_proj = nn.Linear(dim, dim)
        self._freqs: torch.Tensor | None = None

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        return x.reshape(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, num_k_exclude_rope: int = 0
    ) -> torch.Tensor:
        q = self._heads(self.q_proj(q))
        k = self._heads(self.k_proj(k))
        v = self._heads(self.v_proj(v))
        n = q.shape[-2]
        side = int(round(math.sqrt(n)))
        freqs = self._freqs
        if freqs is None or freqs.shape[0] != n or freqs.device != q.device:
            freqs = axial_rope(q.shape[-1], side, side).to(q.device)
            self._freqs = freqs
        q = _rotate(q, freqs)
        n_rope = k.shape[-2] - num_k_exclude_rope
        if n_rope > 0:
            repeat = n_rope // n
            k_rot = _rotate(k[:, :, :n_rope], freqs.repeat(repeat, 1) if repeat > 1 else freqs)
            k = torch.cat([k_rot, k[:, :, n_rope:]], dim=2)
        out = F.scaled_dot_product_attention(q, k, v)
        b, h, t, d = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, t, h * d))


class MemoryAttentionLayer(nn.Module):
    def __init__(self, dim: int, ff: int, mem_dim: int) -> None:
        super().__init__()
        self.self_attn = RoPEAttention(dim)
        self.cross_attn_image = RoPEAttention(dim, kv_in_dim=mem_dim)
        self.linear1 = nn.Linear(dim, ff)
        self.linear2 = nn.Linear(ff, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(
        self, x: torch.Tensor, memory: torch.Tensor, memory_pos: torch.Tensor, num_ptr: int
    ) -> torch.Tensor:
        y = self.norm1(x)
        x = x + self.self_attn(y, y, y)
        y = self.norm2(x)
        x = x + self.cross_attn_image(y, memory + memory_pos, memory, num_k_exclude_rope=num_ptr)
        y = self.norm3(x)
        return x + self.linear2(F.relu(self.linear1(y)))


class MemoryAttention(nn.Module):
    """Conditions the current frame's features on the memory bank."""

    def __init__(self, dim: int, ff: int, mem_dim: int, num_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            MemoryAttentionLayer(dim, ff, mem_dim) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(dim)

    def forward(
        self,
        curr: torch.Tensor,
        curr_pos: torch.Tensor,
        memory: torch.Tensor,
        memory_pos: torch.Tensor,
        num_ptr: int = 0,
    ) -> torch.Tensor:
        """curr / curr_pos (B, HW, C), memory / memory_pos (B, M, mem_dim) -> (B, HW, C)."""
        x = curr + 0.1 * curr_pos
        for layer in self.layers:
            x = layer(x, memory, memory_pos, num_ptr)
        return self.norm(x)


class MaskDownSampler(nn.Module):
    """4 x (conv3x3/s2, LayerNorm2d, GELU): 1 -> 4 -> 16 -> 64 -> 256 channels, then 1x1."""

    def __init__(self, embed_dim: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 1
        for _ in range(4):
            c_out = c_in * 4
            layers += [nn.Conv2d(c_in, c_out, 3, 2, 1), LayerNorm2d(c_out), nn.GELU()]
            c_in = c_out
        layers.append(nn.Conv2d(c_in, embed_dim, kernel_size=1))
        self.encoder = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)


class CXBlock(nn.Module):
    """ConvNeXt block: depthwise 7x7, LayerNorm2d, 4x MLP with GELU, layer scale."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = LayerNorm2d(dim)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.dwconv(x)).permute(0, 2, 3, 1)
        y = self.gamma * self.pwconv2(F.gelu(self.pwconv1(y)))
        return x + y.permute(0, 3, 1, 2)


class Fuser(nn.Module):
    def __init__(self, dim: int, num_layers: int = 2) -> None:
        super().__init__()
        self.layers = nn.ModuleList(CXBlock(dim) for _ in range(num_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class MemoryEncoder(nn.Module):
    """Features of a frame fused with its (already scaled) mask -> mem_dim memory + position."""

    def __init__(self, dim: int, mem_dim: int) -> None:
        super().__init__()
        self.mask_downsampler = MaskDownSampler(dim)
        self.pix_feat_proj = nn.Conv2d(dim, dim, kernel_size=1)
        self.fuser = Fuser(dim)
        self.out_proj = nn.Conv2d(dim, mem_dim, kernel_size=1)
        self.position_encoding = SinePositions(mem_dim)

    def forward(
        self, pix_feat: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pix_feat_proj(pix_feat) + self.mask_downsampler(mask)
        x = self.out_proj(self.fuser(x))
        return x, self.position_encoding(x).to(x.dtype)
