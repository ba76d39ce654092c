"""Read-ahead: a thread decodes the frames after the one last asked for into a small cache.

``ReadAhead(stack)`` behaves as a stack (same attributes, ``frame(i)``) and is what
:func:`labeldesk.io.open_stack` returns. After ``frame(i)`` the thread reads
``i + 1 .. i + depth`` (or backwards after a step back) while the caller works on frame ``i``;
asking for a frame that is already cached costs a dictionary look-up. The reader's own lock
serialises the thread and the caller, so a seek waits for at most one frame's decode.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from labeldesk.io.stacks.base import FrameCache, Stack


class ReadAhead(Stack):
    def __init__(self, stack: Stack, *, depth: int = 8, cache: int = 32) -> None:
        super().__init__(stack.path)
        self.stack = stack
        self.kind = stack.kind
        self.count = stack.count
        self.frame_shape, self.dtype = stack.frame_shape, stack.dtype
        self.spacing, self.affine, self.fps = stack.spacing, stack.affine, stack.fps
        self.notes = stack.notes
        self.depth = depth
        self._cache = FrameCache(max(cache, depth + 2))
        self._want = threading.Condition()
        self._last: int | None = None
        self._step = 1
        self._stop = False
        self._failed: set[int] = set()
        self._thread = threading.Thread(target=self._run, name="stack-read-ahead", daemon=True)
        self._thread.start()

    def __getattr__(self, name: str) -> Any:
        # reader-specific attributes (files, keyframes...) come from the reader
        if name == "stack":
            raise AttributeError(name)
        return getattr(self.stack, name)

    def frame_name(self, index: int) -> str:
        return self.stack.frame_name(index)

    def cross_section(self, axis: str, index: int) -> np.ndarray:
        return self.stack.cross_section(axis, index)

    def frame(self, index: int) -> np.ndarray:
        i = self.stack._check(index)
        cached = self._cache.get(i)
        if cached is None:
            cached = self.stack.frame(i)
            self._cache.put(i, cached)
        with self._want:
            if self._last is not None and i != self._last:
                self._step = 1 if i > self._last else -1
            self._last = i
            self._want.notify()
        return cached

    def _next_missing(self) -> int | None:
        if self._last is None:
            return None
        for k in range(1, self.depth + 1):
            j = self._last + k * self._step
            if 0 <= j < len(self.stack) and j not in self._failed and j not in self._cache:
                return j
        return None

    def _run(self) -> None:
        while True:
            with self._want:
                j = self._next_missing()
                while not self._stop and j is None:
                    self._want.wait()
                    j = self._next_missing()
                if self._stop or j is None:
                    return
            try:
                self._cache.put(j, self.stack.frame(j))
            except Exception:  # the caller sees the error when it asks for that frame
                self._failed.add(j)

    def close(self) -> None:
        with self._want:
            self._stop = True
            self._want.notify()
        self._thread.join(timeout=5)
        self.stack.close()
