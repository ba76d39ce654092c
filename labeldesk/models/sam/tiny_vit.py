"""MobileSAM's TinyViT image encoder: conv stages, windowed attention with learned biases, BN.

Input (B, 3, 1024, 1024) float32, normalised and padded; output (B, 256, 64, 64) for the
official geometry. The state_dict keys match the official ``image_encoder.*`` keys exactly,
including the unused classifier (``norm_head``, ``head``) so that checkpoints load strictly.

The per-window attention bias is gathered from ``attention_biases`` (heads, ws*ws) with an
index table recomputed from the window geometry: the bias between window cells (y1, x1) and
(y2, x2) is entry ``|y1 - y2| * ws + |x1 - x2|``. It is gathered on every call, so the loaded
biases are always the ones in effect (no stale cache).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from labeldesk.models.sam.common import LayerNorm2d

# A patch merge into a stage of one of these widths keeps the resolution (stride 1): a fact of
# the official MobileSAM geometry, whose last two stages both run at 64x64.
STRIDE_ONE_WIDTHS = (320, 448, 576)


class ConvBN(nn.Sequential):
    """Conv2d without bias followed by BatchNorm2d; keys ``c`` and ``bn``."""

    def __init__(
        self, cin: int, cout: int, ks: int = 1, stride: int = 1, pad: int = 0, groups: int = 1
    ) -> None:
        super().__init__()
        self.add_module("c", nn.Conv2d(cin, cout, ks, stride, pad, groups=groups, bias=False))
        self.add_module("bn", nn.BatchNorm2d(cout))


class PatchEmbed(nn.Module):
    """Two stride-2 3x3 conv+BN with GELU between: (B, 3, S, S) -> (B, dim, S/4, S/4)."""

    def __init__(self, in_chans: int, dim: int) -> None:
        super().__init__()
        self.seq = nn.Sequential(
            ConvBN(in_chans, dim // 2, 3, 2, 1), nn.GELU(), ConvBN(dim // 2, dim, 3, 2, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, 3x3 depthwise, 1x1 project, residual, GELU."""

    def __init__(self, dim: int, expand_ratio: float) -> None:
        super().__init__()
        hidden = int(dim * expand_ratio)
        self.conv1 = ConvBN(dim, hidden, 1)
        self.conv2 = ConvBN(hidden, hidden, 3, 1, 1, groups=hidden)
        self.conv3 = ConvBN(hidden, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.gelu(self.conv1(x))
        y = F.gelu(self.conv2(y))
        return F.gelu(self.conv3(y) + x)


class PatchMerging(nn.Module):
    """1x1 conv, 3x3 depthwise (stride 2 or 1), 1x1 conv: (B, C, H, W) -> (B, C', H', W')."""

    def __init__(self, dim: int, out_dim: int) -> None:
        super().__init__()
        self.stride = 1 if out_dim in STRIDE_ONE_WIDTHS else 2
        self.conv1 = ConvBN(dim, out_dim, 1)
        self.conv2 = ConvBN(out_dim, out_dim, 3, self.stride, 1, groups=out_dim)
        self.conv3 = ConvBN(out_dim, out_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.conv1(x))
        x = F.gelu(self.conv2(x))
        return self.conv3(x)


def window_bias_index(size: int) -> torch.Tensor:
    """(size*size, size*size) int64 index into a (heads, size*size) bias table."""
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    ys, xs = ys.reshape(-1), xs.reshape(-1)
    return (ys[:, None] - ys[None, :]).abs() * size + (xs[:, None] - xs[None, :]).abs()


class WindowAttention(nn.Module):
    """Pre-norm attention inside one square window of ``size`` x ``size`` tokens."""

    def __init__(self, dim: int, num_heads: int, size: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.key_dim = dim // num_heads
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.size = size
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, size * size))
        self.register_buffer("bias_index", window_bias_index(size), persistent=False)

    def reset_index(self, device: torch.device) -> None:
        """Recompute the (non-persistent) bias index table on ``device``."""
        self.bias_index = window_bias_index(self.size).to(device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, N, C) tokens of B windows -> (B, N, C)."""
        b, n, c = x.shape
        x = self.norm(x)
        # The official layout puts q, k, v side by side *within* each head.
        qkv = self.qkv(x).view(b, n, self.num_heads, 3 * self.key_dim).permute(0, 2, 1, 3)
        q, k, v = qkv.split(self.key_dim, dim=-1)
        bias = self.attention_biases[:, self.bias_index].to(q.dtype)  # (heads, N, N)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    """LayerNorm -> fc1 -> GELU -> fc2 (keys ``norm``, ``fc1``, ``fc2``)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(self.norm(x))))


class TinyViTBlock(nn.Module):
    """Window attention (zero-padded windows), depthwise local conv, MLP."""

    def __init__(
        self, dim: int, num_heads: int, window_size: int, mlp_ratio: float, local_conv_size: int
    ) -> None:
        super().__init__()
        self.window_size = window_size
        self.attn = WindowAttention(dim, num_heads, window_size)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        pad = local_conv_size // 2
        self.local_conv = ConvBN(dim, dim, local_conv_size, 1, pad, groups=dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) -> (B, C, H, W)."""
        b, c, h, w = x.shape
        ws = self.window_size
        tokens = x.permute(0, 2, 3, 1)  # (B, H, W, C)
        if h == ws and w == ws:
            attended = self.attn(tokens.reshape(b, h * w, c)).view(b, h, w, c)
        else:
            pad_b = (ws - h % ws) % ws
            pad_r = (ws - w % ws) % ws
            padded = F.pad(tokens, (0, 0, 0, pad_r, 0, pad_b)) if pad_b or pad_r else tokens
            ph, pw = h + pad_b, w + pad_r
            nh, nw = ph // ws, pw // ws
            windows = padded.reshape(b, nh, ws, nw, ws, c).transpose(2, 3)
            windows = self.attn(windows.reshape(b * nh * nw, ws * ws, c))
            attended = windows.view(b, nh, nw, ws, ws, c).transpose(2, 3).reshape(b, ph, pw, c)
            attended = attended[:, :h, :w]
        tokens = tokens + attended
        x = self.local_conv(tokens.permute(0, 3, 1, 2))
        tokens = x.permute(0, 2, 3, 1)
        tokens = tokens + self.mlp(tokens)
        return tokens.permute(0, 3, 1, 2)


class ConvStage(nn.Module):
    """Stage 0: MBConv blocks then a patch merge."""

    def __init__(self, dim: int, depth: int, expand_ratio: float, out_dim: int | None) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(MBConv(dim, expand_ratio) for _ in range(depth))
        self.downsample = PatchMerging(dim, out_dim) if out_dim is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.downsample(x) if self.downsample is not None else x


class AttentionStage(nn.Module):
    """Stages 1..: TinyViT blocks then (except the last stage) a patch merge."""

    def __init__(
        self,
        dim: int,
        depth: int,
        num_heads: int,
        window_size: int,
        mlp_ratio: float,
        local_conv_size: int,
        out_dim: int | None,
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            TinyViTBlock(dim, num_heads, window_size, mlp_ratio, local_conv_size)
            for _ in range(depth)
        )
        self.downsample = PatchMerging(dim, out_dim) if out_dim is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.downsample(x) if self.downsample is not None else x


class TinyViTImageEncoder(nn.Module):
    """TinyViT as MobileSAM uses it (the classifier head is kept only for its keys)."""

    def __init__(
        self,
        *,
        img_size: int = 1024,
        in_chans: int = 3,
        num_classes: int = 1000,
        embed_dims: tuple[int, ...] = (64, 128, 160, 320),
        depths: tuple[int, ...] = (2, 2, 6, 2),
        num_heads: tuple[int, ...] = (2, 4, 5, 10),
        window_sizes: tuple[int, ...] = (7, 7, 14, 7),
        mlp_ratio: float = 4.0,
        mbconv_expand_ratio: float = 4.0,
        local_conv_size: int = 3,
        neck_out_chans: int = 256,
    ) -> None:
        super().__init__()
        self.img_size = img_size
        self.patch_embed = PatchEmbed(in_chans, embed_dims[0])
        self.layers = nn.ModuleList()
        last = len(embed_dims) - 1
        for i, dim in enumerate(embed_dims):
            out_dim = embed_dims[i + 1] if i < last else None
            if i == 0:
                self.layers.append(ConvStage(dim, depths[0], mbconv_expand_ratio, out_dim))
            else:
                self.layers.append(
                    AttentionStage(
                        dim,
                        depths[i],
                        num_heads[i],
                        window_sizes[i],
                        mlp_ratio,
                        local_conv_size,
                        out_dim,
                    )
                )
        self.norm_head = nn.LayerNorm(embed_dims[-1])
        self.head = nn.Linear(embed_dims[-1], num_classes) if num_classes > 0 else nn.Identity()
        self.neck = nn.Sequential(
            nn.Conv2d(embed_dims[-1], neck_out_chans, kernel_size=1, bias=False),
            LayerNorm2d(neck_out_chans),
            nn.Conv2d(neck_out_chans, neck_out_chans, kernel_size=3, padding=1, bias=False),
            LayerNorm2d(neck_out_chans),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)
        for layer in self.layers:
            x = layer(x)
        return self.neck(x)
