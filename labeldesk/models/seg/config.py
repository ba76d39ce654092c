"""Training settings as plain dataclasses that round-trip through JSON.

Torch-free. ``TrainConfig.to_dict()`` is what the model's JSON sidecar stores under
``"training"``; ``TrainConfig.from_dict()`` accepts that dict back (unknown keys raise
:class:`~labeldesk.core.errors.ModelError` naming the key, so a typo is not silently ignored).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labeldesk.core.errors import ModelError


@dataclass
class AugmentConfig:
    """Augmentations applied to each training crop (see :mod:`.augment`).

    Attributes:
        hflip, vflip: random horizontal / vertical flips.
        rot90: random multiples of 90 degrees (crops are square, so shapes stay the same).
        rotate_deg: small random rotation in ``[-rotate_deg, rotate_deg]`` degrees.
        scale_range: random zoom ``(low, high)``; 2.0 shows objects twice as large.
        color: strength of brightness / contrast / saturation jitter (0 = off).
        hue: hue shift as a fraction of the colour circle (0 = off).
        elastic: elastic deformation amplitude in pixels (0 = off; 3-6 suits cell images).
        elastic_sigma: smoothness of the elastic displacement field, in pixels.
        foreground_crop: probability that a crop is centred on a labeled object pixel
            (class-balanced), so small objects are seen often.
    """

    hflip: bool = True
    vflip: bool = True
    rot90: bool = True
    rotate_deg: float = 15.0
    scale_range: tuple[float, float] = (0.8, 1.25)
    color: float = 0.2
    hue: float = 0.02
    elastic: float = 0.0
    elastic_sigma: float = 8.0
    foreground_crop: float = 0.5

    def validate(self) -> None:
        lo, hi = self.scale_range
        if not (0 < lo <= hi):
            raise ModelError(f"augment.scale_range must be 0 < low <= high, got {self.scale_range}")
        for name in ("rotate_deg", "color", "hue", "elastic", "elastic_sigma"):
            if getattr(self, name) < 0:
                raise ModelError(f"augment.{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.foreground_crop <= 1:
            raise ModelError(
                f"augment.foreground_crop must be in [0, 1], got {self.foreground_crop}"
            )


def default_arch() -> dict[str, Any]:
    """The default network: a U-Net of width 16 and depth 4 (about 1.9 M parameters)."""
    return {"arch": "unet", "width": 16, "depth": 4}


@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`labeldesk.models.seg.training.train`.

    Attributes:
        arch: network config for :func:`.networks.build_network` (``"arch"`` plus options);
            ``num_classes`` and ``in_channels`` are filled in from the data.
        crop_size: side of the square training crops, rounded up to the network stride.
        batch_size: crops per step.
        max_steps: optimizer steps at most.
        val_every: validate on the held-out images every this many steps.
        patience: stop after this many validations without an improvement of at least
            ``min_delta`` in mean foreground IoU (0 = never stop early).
        lr, weight_decay: AdamW settings; the learning rate warms up then follows a cosine.
        val_fraction: share of the labeled images held out (at least one image).
        min_images: fewer labeled images than this is refused with a clear message.
        dice_weight: weight of the soft Dice term added to cross-entropy.
        boundary_weight: weight of the boundary-channel loss (when ``arch["boundary"]``).
        threads: CPU threads for torch (None = all usable cores; capped at the core count).
        max_seconds: a time budget: train until it is spent (the learning-rate schedule and
            the validations follow the clock, the first within the first fifth), still at
            most ``max_steps``; None trains by steps only.
        amp: mixed precision on CUDA (ignored on CPU).
        tile_size: tile side used when validating / predicting large images.
    """

    arch: dict[str, Any] = field(default_factory=default_arch)
    crop_size: int = 256
    batch_size: int = 8
    max_steps: int = 3000
    val_every: int = 100
    patience: int = 6
    min_delta: float = 0.002
    lr: float = 2e-3
    weight_decay: float = 1e-4
    val_fraction: float = 0.2
    min_images: int = 2
    dice_weight: float = 0.5
    boundary_weight: float = 1.0
    threads: int | None = None
    max_seconds: float | None = None
    amp: bool = True
    tile_size: int = 1024
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    def validate(self) -> None:
        """Raise ModelError naming the first setting that is out of range."""
        positive = ("crop_size", "batch_size", "max_steps", "val_every", "min_images", "tile_size")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ModelError(
                    f"training setting {name} must be a positive integer, got {value!r}"
                )
        if self.crop_size < 16:
            raise ModelError(
                f"training setting crop_size must be at least 16, got {self.crop_size}"
            )
        if self.min_images < 2:
            raise ModelError("training setting min_images must be at least 2 (one is held out)")
        if not 0 < self.val_fraction < 1:
            raise ModelError(
                f"training setting val_fraction must be in (0, 1), got {self.val_fraction}"
            )
        if self.lr <= 0 or self.weight_decay < 0 or self.patience < 0:
            raise ModelError("training settings lr must be > 0, weight_decay and patience >= 0")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ModelError(
                f"training setting threads must be a positive integer, got {self.threads!r}"
            )
        if self.max_seconds is not None and not (
            isinstance(self.max_seconds, (int, float)) and self.max_seconds > 0
        ):
            raise ModelError(
                f"training setting max_seconds must be a positive number, got {self.max_seconds!r}"
            )
        if not isinstance(self.arch, Mapping) or "arch" not in self.arch:
            raise ModelError(
                f"training setting arch must be a dict with an 'arch' key, got {self.arch!r}"
            )
        self.augment.validate()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        d = dataclasses.asdict(self)
        d["augment"]["scale_range"] = list(self.augment.scale_range)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | TrainConfig | None) -> TrainConfig:
        """Build from a (possibly partial) dict; missing keys take their defaults."""
        if data is None:
            return cls()
        if isinstance(data, TrainConfig):
            return data
        if not isinstance(data, Mapping):
            raise ModelError(f"training config must be a dict, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelError(f"unknown training setting(s): {', '.join(unknown)}")
        kwargs = dict(data)
        aug = kwargs.get("augment")
        if aug is not None and not isinstance(aug, AugmentConfig):
            if not isinstance(aug, Mapping):
                raise ModelError("training setting augment must be a dict")
            aug_known = {f.name for f in dataclasses.fields(AugmentConfig)}
            bad = sorted(set(aug) - aug_known)
            if bad:
                raise ModelError(f"unknown augmentation setting(s): {', '.join(bad)}")
            aug = dict(aug)
            if "scale_range" in aug:
                aug["scale_range"] = tuple(float(v) for v in aug["scale_range"])
            kwargs["augment"] = AugmentConfig(**aug)
        if "arch" in kwargs:
            kwargs["arch"] = dict(kwargs["arch"])
        return cls(**kwargs)
