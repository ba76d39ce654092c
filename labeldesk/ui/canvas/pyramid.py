"""An image pyramid drawn as tiles, so huge images display fast and without moiré.

Level ``k`` is the image reduced ``2**k`` times with area averaging (no aliasing). Level 0 is
the caller's array itself (never copied whole). Levels whose full size fits in
``STORED_MAX`` pixels per side are computed once, on first use, as whole arrays (a 20000 x
20000 RGB image stores about 25 MB of them); finer levels are computed tile by tile from level
0 when a view needs them. Tiles are converted to QPixmaps once and kept in a byte-budgeted LRU
cache. Nothing is converted per zoom step: a paint picks the level whose resolution is just
above the screen's and draws the visible tiles, device-aligned so that no seams show.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import cv2
import numpy as np
from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QImage, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

TILE = 256
STORED_MAX = 4096
CACHE_BYTES = 160 * 1024 * 1024

_FORMATS = {
    1: QImage.Format.Format_Grayscale8,
    3: QImage.Format.Format_RGB888,
    4: QImage.Format.Format_RGBA8888,
}


def check_display_image(image: np.ndarray) -> np.ndarray:
    """Validate a display image: ``(H, W)``, ``(H, W, 1|3|4)`` uint8. Returns it (2-D kept)."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        dtype = getattr(image, "dtype", type(image).__name__)
        raise ValueError(f"image must be a uint8 array (use labeldesk.io.to_display), got {dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(f"image must be (H, W), (H, W, 3) or (H, W, 4), got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image is empty: shape {image.shape}")
    return image


def to_qimage(arr: np.ndarray) -> QImage:
    """A QImage that owns a copy of ``arr`` ((h, w) gray, (h, w, 3) RGB or (h, w, 4) RGBA)."""
    arr = np.ascontiguousarray(arr)
    h, w = arr.shape[:2]
    ch = 1 if arr.ndim == 2 else arr.shape[2]
    img = QImage(arr.data, w, h, arr.strides[0], _FORMATS[ch])
    return img.copy()


class ImagePyramid:
    """Levels of a display image computed lazily; see the module docstring.

    ``image`` is ``(H, W)``, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8 (kept by reference).
    """

    def __init__(
        self,
        image: np.ndarray,
        cache_bytes: int = CACHE_BYTES,
        *,
        levels: dict[int, np.ndarray] | None = None,
    ) -> None:
        """``levels``: stored levels computed beforehand (by :func:`coarse_levels`, in the
        image worker), so the first paint of a huge image does not build them on the GUI
        thread."""
        self.image = check_display_image(image)
        self.height, self.width = self.image.shape[:2]
        self.levels = (
            max(0, math.ceil(math.log2(max(self.width, self.height) / 64)))
            if max(self.width, self.height) > 64
            else 0
        )
        # the first level small enough to keep whole
        self.first_stored = 0
        while max(self.width, self.height) / 2**self.first_stored > STORED_MAX:
            self.first_stored += 1
        self._stored: dict[int, np.ndarray] = {0: self.image}
        for k, arr in (levels or {}).items():
            if k >= self.first_stored and arr.shape[1::-1] == self.level_size(k):
                self._stored[k] = arr
        self._tiles: OrderedDict[tuple[int, int, int], QPixmap] = OrderedDict()
        self._bytes = 0
        self.cache_bytes = cache_bytes

    # -- levels --------------------------------------------------------------------------------
    def level_size(self, k: int) -> tuple[int, int]:
        """``(width, height)`` of level ``k``."""
        f = 2**k
        return max(1, math.ceil(self.width / f)), max(1, math.ceil(self.height / f))

    def level_for(self, scale: float) -> int:
        """The coarsest level whose resolution is at least ``scale`` screen px per image px."""
        if scale >= 1.0:
            return 0
        k = int(math.floor(math.log2(1.0 / scale) + 1e-9))
        return max(0, min(k, self.levels))

    def stored(self, k: int) -> np.ndarray:
        """Level ``k >= first_stored`` as a whole array (computed on first use)."""
        if k in self._stored:
            return self._stored[k]
        if k < self.first_stored:
            raise ValueError(
                f"level {k} is not kept whole (first stored level is {self.first_stored})"
            )
        src = self.image if k == self.first_stored else self.stored(k - 1)
        w, h = self.level_size(k)
        self._stored[k] = _reduce(src, w, h)
        return self._stored[k]

    def tile_array(self, k: int, tx: int, ty: int) -> np.ndarray:
        """The pixels of tile ``(tx, ty)`` of level ``k`` (at most TILE x TILE)."""
        w, h = self.level_size(k)
        x0, y0 = tx * TILE, ty * TILE
        x1, y1 = min(w, x0 + TILE), min(h, y0 + TILE)
        if k == 0 or k >= self.first_stored:
            return self.stored(k)[y0:y1, x0:x1]
        f = 2**k
        src = self.image[y0 * f : min(self.height, y1 * f), x0 * f : min(self.width, x1 * f)]
        return _reduce(src, x1 - x0, y1 - y0)

    def tile(self, k: int, tx: int, ty: int) -> QPixmap:
        """Tile ``(tx, ty)`` of level ``k`` as a QPixmap (cached, least recently used dropped)."""
        key = (k, tx, ty)
        pix = self._tiles.get(key)
        if pix is not None:
            self._tiles.move_to_end(key)
            return pix
        pix = QPixmap.fromImage(to_qimage(self.tile_array(k, tx, ty)))
        self._tiles[key] = pix
        self._bytes += _pix_bytes(pix)
        while self._bytes > self.cache_bytes and len(self._tiles) > 1:
            _, old = self._tiles.popitem(last=False)
            self._bytes -= _pix_bytes(old)
        return pix

    def memory_bytes(self) -> int:
        """Bytes held besides the caller's level-0 array (stored levels + cached tiles)."""
        return sum(a.nbytes for k, a in self._stored.items() if k) + self._bytes


def coarse_levels(image: np.ndarray) -> dict[int, np.ndarray]:
    """The levels :class:`ImagePyramid` keeps whole, computed now (any thread); empty for an
    image that fits in ``STORED_MAX`` (its level 0 is the image itself)."""
    pyramid = ImagePyramid(image, cache_bytes=0)
    if pyramid.first_stored == 0:
        return {}
    for k in range(pyramid.levels, pyramid.first_stored - 1, -1):
        pyramid.stored(k)
    return {k: a for k, a in pyramid._stored.items() if k}


def _reduce(src: np.ndarray, w: int, h: int) -> np.ndarray:
    """Area-averaged resize of ``src`` to ``(h, w[, C])``."""
    return cv2.resize(src, (w, h), interpolation=cv2.INTER_AREA)


def _pix_bytes(pix: QPixmap) -> int:
    return pix.width() * pix.height() * max(1, pix.depth() // 8)


class ImageItem(QGraphicsItem):
    """Draws an :class:`ImagePyramid` at scene rect ``(0, 0, W, H)`` (1 scene unit = 1 px)."""

    def __init__(self) -> None:
        super().__init__()
        self.pyramid: ImagePyramid | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setZValue(0)

    def set_pyramid(self, pyramid: ImagePyramid | None) -> None:
        self.prepareGeometryChange()
        self.pyramid = pyramid
        self.update()

    def boundingRect(self) -> QRectF:
        p = self.pyramid
        return QRectF(0, 0, p.width, p.height) if p is not None else QRectF()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        p = self.pyramid
        if p is None:
            return
        xf: QTransform = painter.worldTransform()
        scale = math.hypot(xf.m11(), xf.m12())
        dev = painter.device()
        dpr = float(dev.devicePixelRatioF()) if dev is not None else 1.0
        k = p.level_for(scale * dpr)  # physical resolution on HiDPI screens
        f = 2**k
        exposed = option.exposedRect.intersected(self.boundingRect())
        if exposed.isEmpty():
            return
        lw, lh = p.level_size(k)
        tx0 = max(0, int(exposed.left() / f) // TILE)
        ty0 = max(0, int(exposed.top() / f) // TILE)
        tx1 = min((lw - 1) // TILE, int(math.ceil(exposed.right() / f)) // TILE)
        ty1 = min((lh - 1) // TILE, int(math.ceil(exposed.bottom() / f)) // TILE)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale * dpr < 1.0)
        painter.resetTransform()
        for ty in range(ty0, ty1 + 1):
            for tx in range(tx0, tx1 + 1):
                pix = p.tile(k, tx, ty)
                # image-space rect of the tile, mapped to the device and snapped to whole pixels
                x0, y0 = tx * TILE * f, ty * TILE * f
                x1 = min(p.width, (tx * TILE + pix.width()) * f)
                y1 = min(p.height, (ty * TILE + pix.height()) * f)
                d0 = xf.map(float(x0), float(y0))
                d1 = xf.map(float(x1), float(y1))
                r = QRect(
                    round(d0[0]),
                    round(d0[1]),
                    round(d1[0]) - round(d0[0]),
                    round(d1[1]) - round(d0[1]),
                )
                if r.width() > 0 and r.height() > 0:
                    painter.drawPixmap(r, pix, pix.rect())
        painter.restore()
