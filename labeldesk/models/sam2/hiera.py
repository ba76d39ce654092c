"""SAM 2's image encoder: the Hiera trunk (windowed, q-pooled attention) and the FPN neck.

Trunk tensors are channels-last (B, H, W, C); the neck returns (B, C, H, W) maps.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from labeldesk.models.sam.common import MLP


class SinePositions(nn.Module):
    """2-D sine position encoding of a (B, C, H, W) map: [y-part | x-part], normalised to 2π."""

    def __init__(self, num_pos_feats: int, temperature: float = 10000.0) -> None:
        super().__init__()
        self.num_half = num_pos_feats // 2
        self.temperature = temperature

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        scale, eps = 2 * math.pi, 1e-6
        y = torch.arange(1, h + 1, dtype=torch.float32, device=x.device).view(1, -1, 1)
        xx = torch.arange(1, w + 1, dtype=torch.float32, device=x.device).view(1, 1, -1)
        y = (y / (h + eps) * scale).expand(b, h, w)
        xx = (xx / (w + eps) * scale).expand(b, h, w)
        dim_t = torch.arange(self.num_half, dtype=torch.float32, device=x.device)
        dim_t = self.temperature ** (2 * (dim_t // 2) / self.num_half)
        px = xx[..., None] / dim_t
        py = y[..., None] / dim_t
        px = torch.stack((px[..., 0::2].sin(), px[..., 1::2].cos()), dim=4).flatten(3)
        py = torch.stack((py[..., 0::2].sin(), py[..., 1::2].cos()), dim=4).flatten(3)
        return torch.cat((py, px), dim=3).permute(0, 3, 1, 2)


class _GeluMLP(MLP):
    """Two Linear layers with an exact GELU between them (keys ``layers.0/1``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers[1](F.gelu(self.layers[0](x)))


def _pool(x: torch.Tensor, stride: int) -> torch.Tensor:
    """2x2 (stride) max-pool of a channels-last (B, H, W, C) tensor."""
    return F.max_pool2d(x.permute(0, 3, 1, 2), stride, stride).permute(0, 2, 3, 1)


def _partition(x: torch.Tensor, ws: int) -> tuple[torch.Tensor, tuple[int, int]]:
    b, h, w, c = x.shape
    ph, pw = (ws - h % ws) % ws, (ws - w % ws) % ws
    if ph or pw:
        x = F.pad(x, (0, 0, 0, pw, 0, ph))
    hp, wp = h + ph, w + pw
    x = x.view(b, hp // ws, ws, wp // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, ws, ws, c), (hp, wp)


def _unpartition(
    windows: torch.Tensor, ws: int, padded: tuple[int, int], size: tuple[int, int]
) -> torch.Tensor:
    hp, wp = padded
    b = windows.shape[0] // (hp * wp // ws // ws)
    x = windows.view(b, hp // ws, wp // ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(b, hp, wp, -1)
    return x[:, : size[0], : size[1]].contiguous()


class MultiScaleAttention(nn.Module):
    def __init__(self, dim: int, dim_out: int, num_heads: int, q_stride: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.q_stride = q_stride
        self.qkv = nn.Linear(dim, dim_out * 3)
        self.proj = nn.Linear(dim_out, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        qkv = self.qkv(x).reshape(b, h * w, 3, self.num_heads, -1)
        q, k, v = torch.unbind(qkv, 2)
        if self.q_stride:
            q = _pool(q.reshape(b, h, w, -1), self.q_stride)
            h, w = q.shape[1:3]
            q = q.reshape(b, h * w, self.num_heads, -1)
        out = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        )
        return self.proj(out.transpose(1, 2).reshape(b, h, w, -1))


class MultiScaleBlock(nn.Module):
    def __init__(
        self, dim: int, dim_out: int, num_heads: int, window_size: int, q_stride: int
    ) -> None:
        super().__init__()
        self.dim, self.dim_out = dim, dim_out
        self.window_size = window_size
        self.q_stride = q_stride
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = MultiScaleAttention(dim, dim_out, num_heads, q_stride)
        self.norm2 = nn.LayerNorm(dim_out, eps=1e-6)
        self.mlp = _GeluMLP(dim_out, 4 * dim_out, dim_out, 2)
        if dim != dim_out:
            self.proj = nn.Linear(dim, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.norm1(x)
        if self.dim != self.dim_out:
            shortcut = _pool(self.proj(x), self.q_stride) if self.q_stride else self.proj(x)
        ws = self.window_size
        size = (x.shape[1], x.shape[2])
        padded = size
        if ws > 0:
            x, padded = _partition(x, ws)
        x = self.attn(x)
        if self.q_stride:
            ws = self.window_size // self.q_stride
            size = (shortcut.shape[1], shortcut.shape[2])
            padded = (size[0] + (ws - size[0] % ws) % ws, size[1] + (ws - size[1] % ws) % ws)
        if self.window_size > 0:
            x = _unpartition(x, ws, padded, size)
        x = shortcut + x
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=7, stride=4, padding=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).permute(0, 2, 3, 1)


class Hiera(nn.Module):
    """Hierarchical trunk; returns the four stage outputs (B, C_i, H_i, W_i), strides 4..32."""

    def __init__(
        self,
        *,
        embed_dim: int,
        num_heads: int,
        stages: tuple[int, ...],
        global_att_blocks: tuple[int, ...],
        window_spec: tuple[int, ...],
        bkg_size: tuple[int, int],
    ) -> None:
        super().__init__()
        self.stage_ends = [sum(stages[: i + 1]) - 1 for i in range(len(stages))]
        q_pool_blocks = {end + 1 for end in self.stage_ends[:-1]}
        self.patch_embed = PatchEmbed(embed_dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, embed_dim, *bkg_size))
        ws0 = window_spec[0]
        self.pos_embed_window = nn.Parameter(torch.zeros(1, embed_dim, ws0, ws0))
        self.blocks = nn.ModuleList()
        dim, stage = embed_dim, 1
        for i in range(sum(stages)):
            dim_out = dim
            window = 0 if i in global_att_blocks else window_spec[stage - 1]
            if i - 1 in self.stage_ends:
                dim_out = dim * 2
                num_heads *= 2
                stage += 1
            q_stride = 2 if i in q_pool_blocks else 0
            self.blocks.append(MultiScaleBlock(dim, dim_out, num_heads, window, q_stride))
            dim = dim_out

    def _pos_embed(self, h: int, w: int) -> torch.Tensor:
        pos = F.interpolate(self.pos_embed, size=(h, w), mode="bicubic")
        win = self.pos_embed_window
        pos = pos + win.tile([1, 1, h // win.shape[2], w // win.shape[3]])
        return pos.permute(0, 2, 3, 1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.patch_embed(x)
        x = x + self._pos_embed(x.shape[1], x.shape[2])
        outputs = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.stage_ends:
                outputs.append(x.permute(0, 3, 1, 2))
        return outputs


class _Lateral(nn.Module):
    def __init__(self, dim_in: int, d_model: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(dim_in, d_model, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class FpnNeck(nn.Module):
    """1x1 laterals, nearest-2x top-down on the two lowest levels, sine positions per level."""

    def __init__(self, d_model: int, channel_list: tuple[int, ...]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(_Lateral(c, d_model) for c in channel_list)
        self.position_encoding = SinePositions(d_model)
        self.top_down_levels = (2, 3)

    def forward(self, xs: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        n = len(self.convs) - 1
        out: list[torch.Tensor] = [xs[0]] * (n + 1)
        pos: list[torch.Tensor] = [xs[0]] * (n + 1)
        prev: torch.Tensor | None = None
        for i in range(n, -1, -1):
            lateral = self.convs[n - i](xs[i])
            if i in self.top_down_levels and prev is not None:
                top = F.interpolate(prev.float(), scale_factor=2.0, mode="nearest")
                prev = lateral + top
            else:
                prev = lateral
            out[i] = prev
            pos[i] = self.position_encoding(prev).to(prev.dtype)
        return out, pos


class ImageEncoder(nn.Module):
    """Trunk + neck; the stride-32 level is dropped (scalp 1). Returns 3 levels, finest first."""

    def __init__(self, trunk: Hiera, neck: FpnNeck) -> None:
        super().__init__()
        self.trunk = trunk
        self.neck = neck

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        feats, pos = self.neck(self.trunk(x))
        return feats[:-1], pos[:-1]
