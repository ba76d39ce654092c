"""Image-embedding cache, keyed by image content hash + model id and bounded in bytes (LRU).

Torch-free and Qt-free: an :class:`ImageEmbedding` holds a numpy array, so the cache can be
shared by a worker thread and a prefetching thread (all methods take a lock).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ImageEmbedding:
    """What a predictor needs to skip its image encoder.

    Attributes:
        embedding: (1, C, E, E) float32 encoder output.
        original_size: (H, W) of the image given to ``set_image``.
        input_size: (h', w') after the longest-side resize.
        model_id: the :attr:`SamModel.model_id` that produced it.
        image_hash: :func:`image_key` of the RGB image it was computed from, when known.
    """

    embedding: np.ndarray
    original_size: tuple[int, int]
    input_size: tuple[int, int]
    model_id: str
    image_hash: str | None = None

    @property
    def nbytes(self) -> int:
        return int(self.embedding.nbytes)


def image_key(image: np.ndarray) -> str:
    """Content hash of an image array (shape, dtype and pixels): 32 hex characters."""
    arr = np.ascontiguousarray(image)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{arr.shape}|{arr.dtype.str}|".encode())
    digest.update(arr.data.cast("B"))
    return digest.hexdigest()


class EmbeddingCache:
    """LRU cache of :class:`ImageEmbedding` bounded by ``max_bytes`` of embedding data.

    Keys are ``(image_key, model_id)``. An entry larger than the whole budget is not stored.
    """

    def __init__(self, max_bytes: int = 512 * 1024 * 1024) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[tuple[str, str], ImageEmbedding] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: tuple[str, str]) -> bool:
        with self._lock:
            return key in self._items

    def get(self, image_hash: str, model_id: str) -> ImageEmbedding | None:
        """The cached embedding (now most recently used), or None."""
        key = (image_hash, model_id)
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, image_hash: str, item: ImageEmbedding) -> bool:
        """Store ``item`` under (image_hash, item.model_id); evict least recently used entries.

        Returns False (and stores nothing) when the item alone exceeds ``max_bytes``.
        """
        key = (image_hash, item.model_id)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            if item.nbytes > self.max_bytes:
                return False
            self._items[key] = item
            self._bytes += item.nbytes
            while self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.nbytes
            return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
