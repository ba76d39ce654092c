"""Device selection shared by every model: CUDA, then Apple MPS, then CPU."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import torch

T = TypeVar("T")

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
        raise ModelError(
            f"unknown device {preference!r}; choose one of {', '.join(DEVICE_CHOICES)}"
        )
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


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a device (CUDA / MPS) or CPU out-of-memory error raised by torch."""
    torch = import_torch()
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return True
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )


def run_with_cpu_fallback(
    fn: Callable[[], T], *, move_to_cpu: Callable[[], None], current_device: str
) -> tuple[T, str | None]:
    """Run ``fn``; on a GPU out-of-memory error move to the CPU and run it once more.

    Args:
        fn: the work, e.g. ``lambda: predictor.set_image(image)``.
        move_to_cpu: moves the model (and any state) to the CPU, e.g. ``lambda: predictor.to("cpu")``.
        current_device: the device type ``fn`` runs on now ("cuda", "mps" or "cpu").

    Returns:
        (result, message): message is None, or a sentence for the user saying that the work
        moved to the CPU.

    Raises:
        ModelError: out of memory on the CPU (nothing left to fall back to).
        Any other exception from ``fn`` unchanged.
    """
    from labeldesk.core.errors import ModelError

    try:
        return fn(), None
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        if current_device == "cpu":
            raise ModelError(f"out of memory on the CPU: {exc}") from None
    torch = import_torch()
    if current_device == "cuda" and torch.cuda.is_available():
        torch.cuda.empty_cache()
    move_to_cpu()
    message = (
        f"The {current_device.upper()} device ran out of memory; the model was moved to the CPU "
        "(slower). Free GPU memory or choose a smaller model to use the GPU again."
    )
    try:
        return fn(), message
    except Exception as exc:
        if is_out_of_memory(exc):
            raise ModelError(f"out of memory on the CPU as well: {exc}") from None
        raise


def leave_a_core_free() -> int:
    """Give torch's intra-op pool every core but one (at least one thread).

    Model inference runs beside the GUI thread; on a small machine a pool over all cores
    starves it (on 2 cores: window stalls up to ~80 ms while an encoder runs, against ~6 ms
    with one thread, for a 1.6x slower encoder). Only ever lowers the count; returns it.
    """
    torch = import_torch()
    n = max(1, (os.cpu_count() or 1) - 1)
    if torch.get_num_threads() > n:
        torch.set_num_threads(n)
    return torch.get_num_threads()
