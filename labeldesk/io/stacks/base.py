"""The frame-stack model shared by every reader: videos, frame folders, TIFF, NIfTI, DICOM.

A stack is a sequence of 2-D frames read lazily: ``len(stack)``, ``stack.frame(i)`` returns an
array as :func:`labeldesk.io.load_image` does (``(H, W)`` gray or ``(H, W, 3)`` RGB, in the
file's own depth; volume slices keep their stored type after rescaling, float32 when a
rescale slope or intercept applies). Frame ``i`` of a volume is the voxel plane ``k = i``
shown with ``x = i`` (voxel axis 0) across and ``y = j`` (voxel axis 1) down, so a label map
frame ``L[y, x]`` goes back to the volume as ``V[x, y, k]``.

``spacing`` is ``(sx, sy, sz)``: the size of a pixel across, down, and between frames
(millimetres for volumes, 1.0 where a file says nothing). ``affine`` is the 4x4 voxel to
RAS+ world matrix of a volume (NIfTI's convention) or None for videos and frame folders.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from labeldesk.core.errors import ReadError


class Stack:
    """Base of the readers. Subclasses set the attributes and implement ``_read(i)``."""

    kind: str = "stack"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.count = 0
        self.frame_shape: tuple[int, ...] = ()
        self.dtype: np.dtype = np.dtype(np.uint8)
        self.spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)
        self.affine: np.ndarray | None = None
        self.fps: float | None = None
        self.notes: list[str] = []
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return self.count

    @property
    def shape(self) -> tuple[int, ...]:
        """``(frames, H, W)`` or ``(frames, H, W, C)``."""
        return (self.count, *self.frame_shape)

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` (0-based) as an array; raises IndexError outside the stack."""
        i = self._check(index)
        with self._lock:
            return self._read(i)

    def cross_section(self, axis: str, index: int) -> np.ndarray:
        """The plane across the frames: ``"row"`` ``y = index`` gives ``(frames, W)``,
        ``"column"`` ``x = index`` gives ``(frames, H)`` (row ``k`` = frame ``k``).

        For a volume of axial slices these are the coronal and sagittal planes. This reads
        every frame once and keeps them (the whole stack in memory); readers that can slice
        their file directly (NIfTI) override it.
        """
        if axis not in ("row", "column"):
            raise ValueError(f"axis must be 'row' or 'column', got {axis!r}")
        with self._lock:
            cube = getattr(self, "_cube", None)
            if cube is None:
                cube = np.stack([self._read(k) for k in range(self.count)])
                self._cube = cube
        return np.ascontiguousarray(cube[:, index] if axis == "row" else cube[:, :, index])

    def frame_name(self, index: int) -> str:
        """The file stem used for frame ``index`` in the sidecar folder (``000123``)."""
        width = max(6, len(str(max(self.count - 1, 0))))
        return f"{int(index):0{width}d}"

    def close(self) -> None:
        """Release files and decoders (also called by ``with``)."""

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, index: int) -> int:
        i = int(index)
        if not 0 <= i < self.count:
            raise IndexError(f"{self.path}: frame {index} is outside 0..{self.count - 1}")
        return i

    def _read(self, index: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fail(self, reason: str) -> ReadError:
        return ReadError(self.path, reason)


def natural_key(name: str) -> list[object]:
    """Sort key that orders ``f2`` before ``f10`` (digit runs compared as numbers)."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


class FrameCache:
    """A small least-recently-used cache of decoded frames, keyed by index."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, index: int) -> np.ndarray | None:
        with self._lock:
            item = self._items.get(index)
            if item is not None:
                self._items.move_to_end(index)
            return item

    def put(self, index: int, frame: np.ndarray) -> None:
        with self._lock:
            self._items[index] = frame
            self._items.move_to_end(index)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return index in self._items
