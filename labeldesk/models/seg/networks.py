"""Segmentation networks in plain torch, built from a small JSON-able config dict.

Both networks map an image batch ``(N, in_channels, H, W)`` float32 to logits
``(N, num_classes [+ 1], H, W)``: channel 0 is background, channel ``i`` is class ``i``, and
when ``boundary`` is set a last channel holds the logit of "this pixel is on an object's
edge" (used to split touching objects). ``H`` and ``W`` should be multiples of
``network.stride``; other sizes work but are resampled inside.

Config keys (see :func:`network_config` for defaults):

- ``{"arch": "unet", "width": 16, "depth": 4, "norm": "batch"}``: U-Net (Ronneberger et al.
  2015) with ``depth`` poolings and ``width * 2**level`` channels per level.
- ``{"arch": "deeplab", "width": 16, "blocks": [1, 2, 2], "atrous_rates": [4, 8, 12]}``: a
  DeepLabv3+-style net (Chen et al. 2018): a small residual encoder with output stride 8,
  atrous spatial pyramid pooling with image pooling, and a decoder fed by a stride-4 skip.
- common: ``num_classes`` (background included), ``in_channels`` (3), ``boundary`` (False),
  ``norm`` (``"batch"``, ``"group"`` or ``"none"``).

Importing this module imports torch; :mod:`labeldesk.models.seg` itself does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from labeldesk.core.errors import ModelError
from labeldesk.models.device import import_torch

if TYPE_CHECKING:
    import torch
    import torch.nn.functional as F
    from torch import nn
else:
    torch = import_torch()  # with the thread settings (see models.device)
    nn = torch.nn
    F = torch.nn.functional

ARCHS = ("unet", "deeplab")
_DEFAULTS: dict[str, dict[str, Any]] = {
    "unet": {"width": 16, "depth": 4},
    "deeplab": {"width": 16, "blocks": [1, 2, 2], "atrous_rates": [4, 8, 12]},
}
_COMMON: dict[str, Any] = {"in_channels": 3, "boundary": False, "norm": "batch"}


def network_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The complete, checked config (defaults filled in) that :func:`build_network` uses and
    that the model's JSON sidecar stores.

    Raises:
        ModelError: unknown architecture or key, or a value out of range, naming it.
    """
    if not isinstance(config, Mapping):
        raise ModelError(f"network config must be a dict, got {type(config).__name__}")
    arch = config.get("arch")
    if arch not in ARCHS:
        raise ModelError(f"unknown network architecture {arch!r}; choose one of {', '.join(ARCHS)}")
    cfg: dict[str, Any] = {"arch": arch, **_COMMON, **_DEFAULTS[arch]}
    allowed = set(cfg) | {"num_classes"}
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ModelError(f"unknown {arch} setting(s): {', '.join(unknown)}")
    cfg.update(config)
    if "num_classes" not in cfg:
        raise ModelError("network config needs num_classes (background included)")

    def positive_int(key: str, lo: int = 1, hi: int = 1 << 12) -> None:
        v = cfg[key]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ModelError(f"{arch} setting {key} must be an integer in [{lo}, {hi}], got {v!r}")

    positive_int("num_classes", 2, 255)
    positive_int("in_channels", 1, 16)
    positive_int("width", 2, 512)
    if cfg["norm"] not in ("batch", "group", "none"):
        raise ModelError(
            f"{arch} setting norm must be 'batch', 'group' or 'none', got {cfg['norm']!r}"
        )
    cfg["boundary"] = bool(cfg["boundary"])
    if arch == "unet":
        positive_int("depth", 1, 6)
    else:
        for key, n in (("blocks", 3), ("atrous_rates", None)):
            v = cfg[key]
            if (
                not isinstance(v, Sequence)
                or (n and len(v) != n)
                or not all(isinstance(x, int) and 1 <= x <= 64 for x in v)
            ):
                want = f"{n} integers" if n else "a list of integers"
                raise ModelError(f"deeplab setting {key} must be {want} in [1, 64], got {v!r}")
            cfg[key] = [int(x) for x in v]
    return cfg


def build_network(config: Mapping[str, Any]) -> nn.Module:
    """A freshly initialised network for ``config`` (see :func:`network_config`)."""
    cfg = network_config(config)
    outputs = cfg["num_classes"] + (1 if cfg["boundary"] else 0)
    if cfg["arch"] == "unet":
        return UNet(
            cfg["in_channels"], outputs, width=cfg["width"], depth=cfg["depth"], norm=cfg["norm"]
        )
    return DeepLabV3Plus(
        cfg["in_channels"],
        outputs,
        width=cfg["width"],
        blocks=cfg["blocks"],
        atrous_rates=cfg["atrous_rates"],
        norm=cfg["norm"],
    )


def count_parameters(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


def _norm(kind: str, ch: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(ch)
    if kind == "group":
        groups = next(g for g in (8, 4, 2, 1) if ch % g == 0)
        return nn.GroupNorm(groups, ch)
    return nn.Identity()


def _conv(
    cin: int, cout: int, norm: str, *, k: int = 3, stride: int = 1, dilation: int = 1
) -> nn.Sequential:
    pad = dilation * (k // 2)
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=pad, dilation=dilation, bias=norm == "none"),
        _norm(norm, cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """U-Net: ``depth`` levels of (max-pool, two 3x3 convs), mirrored with bilinear upsampling
    and skip concatenation; ``width * 2**level`` channels per level."""

    def __init__(
        self,
        in_channels: int,
        num_outputs: int,
        *,
        width: int = 16,
        depth: int = 4,
        norm: str = "batch",
    ):
        super().__init__()
        chans = [width * 2**i for i in range(depth + 1)]
        self.stride = 2**depth
        self.inc = nn.Sequential(
            _conv(in_channels, chans[0], norm), _conv(chans[0], chans[0], norm)
        )
        self.down = nn.ModuleList(
            nn.Sequential(
                _conv(chans[i], chans[i + 1], norm), _conv(chans[i + 1], chans[i + 1], norm)
            )
            for i in range(depth)
        )
        self.up = nn.ModuleList(
            nn.Sequential(
                _conv(chans[i + 1] + chans[i], chans[i], norm), _conv(chans[i], chans[i], norm)
            )
            for i in reversed(range(depth))
        )
        self.head = nn.Conv2d(chans[0], num_outputs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.inc(x)]
        for block in self.down:
            skips.append(block(F.max_pool2d(skips[-1], 2)))
        y = skips.pop()
        for block in self.up:
            skip = skips.pop()
            y = F.interpolate(y, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            y = block(torch.cat([y, skip], dim=1))
        return self.head(y)


class ResBlock(nn.Module):
    """Basic residual block (two 3x3 convs) with optional stride / dilation."""

    def __init__(self, cin: int, cout: int, norm: str, *, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.conv1 = _conv(cin, cout, norm, stride=stride, dilation=dilation)
        self.conv2 = nn.Conv2d(
            cout, cout, 3, padding=dilation, dilation=dilation, bias=norm == "none"
        )
        self.norm2 = _norm(norm, cout)
        self.short = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), _norm(norm, cout)
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.norm2(self.conv2(self.conv1(x))) + self.short(x))


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: a 1x1 conv, one dilated 3x3 conv per rate and an
    image-level pooling branch, concatenated and projected back to ``cout`` channels."""

    def __init__(self, cin: int, cout: int, rates: Sequence[int], norm: str):
        super().__init__()
        self.branches = nn.ModuleList(
            [_conv(cin, cout, norm, k=1)] + [_conv(cin, cout, norm, dilation=r) for r in rates]
        )
        # no normalisation on the 1x1 pooled branch: batch norm fails on a 1x1 map of batch 1
        self.pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1), nn.ReLU(inplace=True)
        )
        self.project = _conv(cout * (len(rates) + 2), cout, norm, k=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [b(x) for b in self.branches]
        feats.append(self.pool(x).expand(-1, -1, x.shape[-2], x.shape[-1]))
        return self.project(torch.cat(feats, dim=1))


class DeepLabV3Plus(nn.Module):
    """DeepLabv3+-style net: residual encoder (stride 4 low-level features, output stride 8,
    dilated last stage), ASPP, and a decoder that merges the upsampled ASPP output with the
    projected stride-4 features."""

    def __init__(
        self,
        in_channels: int,
        num_outputs: int,
        *,
        width: int = 16,
        blocks: Sequence[int] = (1, 2, 2),
        atrous_rates: Sequence[int] = (4, 8, 12),
        norm: str = "batch",
    ):
        super().__init__()
        w = width
        self.stride = 8
        self.stem = nn.Sequential(_conv(in_channels, w, norm, stride=2), _conv(w, w, norm))

        def stage(cin: int, cout: int, n: int, stride: int, dilation: int) -> nn.Sequential:
            layers = [ResBlock(cin, cout, norm, stride=stride)]
            layers += [ResBlock(cout, cout, norm, dilation=dilation) for _ in range(n - 1)]
            return nn.Sequential(*layers)

        self.layer1 = stage(w, 2 * w, blocks[0], 2, 1)  # stride 4: low-level features
        self.layer2 = stage(2 * w, 4 * w, blocks[1], 2, 1)  # stride 8
        self.layer3 = stage(4 * w, 8 * w, blocks[2], 1, 2)  # stride 8, dilated
        self.aspp = ASPP(8 * w, 4 * w, atrous_rates, norm)
        self.low = _conv(2 * w, w, norm, k=1)
        self.decoder = nn.Sequential(_conv(5 * w, 4 * w, norm), _conv(4 * w, 4 * w, norm))
        self.head = nn.Conv2d(4 * w, num_outputs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        low = self.layer1(self.stem(x))
        y = self.aspp(self.layer3(self.layer2(low)))
        y = F.interpolate(y, size=low.shape[-2:], mode="bilinear", align_corners=False)
        y = self.decoder(torch.cat([y, self.low(low)], dim=1))
        return F.interpolate(self.head(y), size=size, mode="bilinear", align_corners=False)
