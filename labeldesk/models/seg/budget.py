"""Training by the clock: settings chosen from the device, the threads and the image sizes,
and an estimate of how long a run takes. Torch-free.

On a CPU a network learns more in a minute from many small steps than from a few large ones:
:func:`auto_settings` picks small crops, a small batch and a narrow U-Net there (measured on
the real nuclei on a 2-core machine: width 8, 128 px crops, batch 4 gives held-out IoU >=
0.85 within a minute, the old defaults of width 16, 256 px crops, batch 8 make 10x fewer
steps and had not reached it after 20 minutes), and larger ones on a GPU. The validations
follow the clock: every ``budget / VALIDATIONS`` seconds, the first within the first fifth.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

DEFAULT_CPU_SECONDS = 60.0
DEFAULT_GPU_SECONDS = 120.0
VALIDATIONS = 8  # per budget: the first comes at 1/8 of it
# seconds per (crop pixel x batch x width**2) of one U-Net training step on 2 threads,
# measured on this machine kind (2 cores, loaded): 128 px crops, batch 4, width 8 take about
# 0.2 s a step (271 steps in 60 s); used only for estimates
CPU_STEP_COST = 4.8e-8
GPU_STEP_COST = 2.0e-11


def default_seconds(device_type: str) -> float:
    """The default time budget: about a minute on a CPU, two on a GPU."""
    return DEFAULT_CPU_SECONDS if device_type == "cpu" else DEFAULT_GPU_SECONDS


def auto_settings(
    sizes: Iterable[tuple[int, int]], *, device_type: str, threads: int
) -> dict[str, Any]:
    """Crop size, batch size, network width and learning rate for a device.

    Args:
        sizes: ``(H, W)`` of the training images (a crop is never much larger than them).
        device_type: ``"cpu"``, ``"cuda"`` or ``"mps"``.
        threads: CPU threads torch will use.

    Returns a partial :class:`.config.TrainConfig` dict: ``crop_size``, ``batch_size``,
    ``lr`` and ``arch`` (``{"arch": "unet", "width": W, "depth": 4}``).
    """
    if device_type == "cpu":
        crop, batch, width = (128, 4, 8) if threads <= 4 else (160, 8, 12)
        lr = 3e-3
    else:
        crop, batch, width, lr = 256, 8, 16, 2e-3
    sides = [min(int(h), int(w)) for h, w in sizes]
    if sides:
        fit = max(64, int(math.ceil(max(sides) / 16)) * 16)
        crop = min(crop, fit)
    return {
        "crop_size": crop,
        "batch_size": batch,
        "lr": lr,
        "arch": {"arch": "unet", "width": width, "depth": 4},
    }


def step_seconds(crop: int, batch: int, width: int, *, device_type: str, threads: int) -> float:
    """A rough time for one training step (for the estimate shown before training)."""
    work = crop * crop * batch * width * width
    if device_type == "cpu":
        return CPU_STEP_COST * work * 2 / max(1, min(threads, 8))
    return max(0.01, GPU_STEP_COST * work)


def estimate_seconds(config: Any, *, device_type: str, threads: int) -> float:
    """How long training with ``config`` (a :class:`.config.TrainConfig`) should take:
    its time budget when it has one (plus a final validation), else steps x step time."""
    if getattr(config, "max_seconds", None):
        return float(config.max_seconds) * 1.05
    width = int(config.arch.get("width", 16))
    per_step = step_seconds(
        config.crop_size, config.batch_size, width, device_type=device_type, threads=threads
    )
    validations = config.max_steps // max(1, config.val_every) + 1
    return config.max_steps * per_step + validations * per_step * 4


def format_seconds(seconds: float) -> str:
    """``"45 s"``, ``"3 min 20 s"``, ``"1 h 05 min"``."""
    s = int(round(max(0.0, seconds)))
    if s < 90:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def likely_device(preference: str = "auto") -> str:
    """The device training will probably use, without importing torch when it is not yet
    imported (for the dialog's estimate): ``"cuda"``, ``"mps"`` or ``"cpu"``."""
    import platform
    import sys
    from pathlib import Path

    if preference in ("cpu", "cuda", "mps"):
        return preference
    torch = sys.modules.get("torch")
    if torch is not None:
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if Path("/proc/driver/nvidia/version").exists():
        return "cuda"
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "mps"
    return "cpu"
