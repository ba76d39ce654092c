"""Device selection shared by every model: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def import_torch():
    """Import torch with the thread settings that suit a 2-core desktop.

    ``OMP_WAIT_POLICY=PASSIVE`` must be set before torch is imported: busy-waiting OpenMP
    threads make two threads slower than one on a small machine.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    return torch


def select_device(preference: str = "auto") -> torch.device:
    """Return the torch device for ``preference`` (one of :data:`DEVICE_CHOICES`).

    ``auto`` picks CUDA when available, then MPS, else CPU. Asking for a device that is not
    available raises :class:`~labeldesk.core.errors.ModelError` naming it.
    """
    from labeldesk.core.errors import ModelError

    torch = import_torch()
    if preference not in DEVICE_CHOICES:
        raise ModelError(f"unknown device {preference!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ModelError("CUDA was asked for but no CUDA device is available")
    if preference == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ModelError("MPS was asked for but is not available on this machine")
    return torch.device(preference)
