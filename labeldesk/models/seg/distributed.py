"""Training under ``torchrun``: one process per device, DistributedDataParallel.

``torchrun --nproc_per_node=N -m labeldesk train DIR`` starts N copies of ``labeldesk
train``; each finds ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK`` (and ``MASTER_ADDR`` /
``MASTER_PORT``) in its environment. :func:`from_environment` turns that into a
:class:`Distributed`: the process group (NCCL on CUDA, one GPU per ``LOCAL_RANK``; gloo on
CPUs) and the few collectives that training needs so that every rank makes the same
decisions at the same step:

- :meth:`Distributed.any` agrees on stop flags (time budget, "validate now"): a rank that
  stopped alone would leave the others waiting in the next gradient all-reduce forever;
- :meth:`Distributed.sum` averages the loss, so the divergence check fails on every rank;
- :meth:`Distributed.sum_array` adds the held-out confusion matrices: each rank predicts its
  share of the held-out images and all of them get the exact single-process scores;
- :meth:`Distributed.sync_buffers` copies rank 0's BatchNorm statistics to the others before
  validating, so every rank scores (and keeps as best) the same weights.

Without torchrun (``WORLD_SIZE`` unset or 1) :func:`from_environment` returns None and
training runs as one process, unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labeldesk.core.errors import ModelError


def world_size() -> int:
    """``WORLD_SIZE`` from torchrun's environment (1 without torchrun). Torch-free."""
    return _env_int("WORLD_SIZE", 1)


def rank() -> int:
    """``RANK`` from torchrun's environment (0 without torchrun). Torch-free."""
    return _env_int("RANK", 0)


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ModelError(f"environment variable {name}={text!r} is not a whole number") from None


@dataclass
class Distributed:
    """This process's place in a torchrun job and the collectives training uses.

    Attributes:
        rank: 0..world_size-1; rank 0 writes the model and prints.
        world_size: processes in the job.
        local_rank: index of this process on its machine (its GPU on CUDA).
        local_world_size: processes on this machine (they share its CPU cores).
        backend: ``"nccl"`` or ``"gloo"``.
        device: the torch device this rank trains on.
    """

    rank: int
    world_size: int
    local_rank: int
    local_world_size: int
    backend: str
    device: Any

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def _tensor(self, values: Sequence[float], dtype: Any = None) -> Any:
        import torch

        return torch.tensor(list(values), dtype=dtype or torch.float64, device=self.device)

    def any(self, *flags: bool) -> list[bool]:
        """Each flag True when it is True on any rank (an all-reduce MAX)."""
        import torch.distributed as dist

        t = self._tensor([1.0 if f else 0.0 for f in flags])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return [bool(v > 0) for v in t.tolist()]

    def sum(self, values: Sequence[float]) -> list[float]:
        """The sum of each value over the ranks."""
        import torch.distributed as dist

        t = self._tensor(values)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return [float(v) for v in t.tolist()]

    def sum_array(self, array: np.ndarray) -> np.ndarray:
        """``array`` (int64) summed over the ranks."""
        import torch
        import torch.distributed as dist

        t = torch.from_numpy(np.ascontiguousarray(array, dtype=np.int64)).to(self.device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.cpu().numpy()

    def sync_buffers(self, network: Any) -> None:
        """Copy rank 0's buffers (BatchNorm running statistics) to every rank."""
        import torch.distributed as dist

        for buf in network.buffers():
            dist.broadcast(buf.data, src=0)

    def wrap(self, network: Any) -> Any:
        """``network`` inside DistributedDataParallel (weights broadcast from rank 0)."""
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(network, device_ids=ids, output_device=ids and ids[0])

    def share(self, items: Sequence[Any]) -> list[Any]:
        """This rank's share of ``items``: every ``world_size``-th, from ``rank``."""
        return list(items[self.rank :: self.world_size])

    def close(self) -> None:
        """Leave the process group (after a last barrier, so no rank leaves mid-work)."""
        import torch.distributed as dist

        if dist.is_initialized():
            try:
                dist.barrier()
            finally:
                dist.destroy_process_group()


def threads_per_rank(requested: int | None, cores: int, local_world_size: int) -> int:
    """CPU threads for one rank: ``requested``, or the machine's cores shared between the
    ranks on it (at least 1)."""
    if requested:
        return max(1, min(requested, cores))
    return max(1, cores // max(1, local_world_size))


def from_environment(device: str = "auto") -> Distributed | None:
    """Join the torchrun job described by the environment, or None without one.

    ``device``: ``"auto"`` trains on this rank's GPU (``LOCAL_RANK``) when CUDA is available,
    else on the CPU; ``"cuda"`` requires a GPU per local rank; ``"cpu"`` uses gloo.

    Raises:
        ModelError: a device that cannot be used (no GPU for this local rank, MPS).
    """
    size = world_size()
    if size <= 1:
        return None
    from labeldesk.models.device import import_torch

    torch = import_torch()
    import torch.distributed as dist

    if not dist.is_available():
        raise ModelError("this torch build has no torch.distributed; train without torchrun")
    missing = [name for name in ("MASTER_ADDR", "MASTER_PORT") if not os.environ.get(name)]
    if missing:
        raise ModelError(
            f"WORLD_SIZE={size} but {' and '.join(missing)} not set: start distributed training "
            "with torchrun (e.g. torchrun --nproc_per_node=2 -m labeldesk train DIR), or unset "
            "WORLD_SIZE to train in one process"
        )
    this_rank, local = rank(), _env_int("LOCAL_RANK", 0)
    local_size = _env_int("LOCAL_WORLD_SIZE", size)
    if device == "mps":
        raise ModelError("training under torchrun runs on CUDA or the CPU, not MPS")
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if use_cuda:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if local >= count:
            raise ModelError(
                f"rank {this_rank}: LOCAL_RANK {local} has no GPU ({count} visible on this "
                "machine); start at most one process per GPU (--nproc_per_node) or use "
                "--device cpu"
            )
        dev = torch.device("cuda", local)
        torch.cuda.set_device(dev)
        backend = "nccl"
    else:
        dev = torch.device("cpu")
        backend = "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, rank=this_rank, world_size=size)
    return Distributed(this_rank, size, local, local_size, backend, dev)
