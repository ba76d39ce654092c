"""Frame folders and TIFF stacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.core.errors import ReadError
from labeldesk.io.images import is_image_file, load_image
from labeldesk.io.stacks.base import Stack, natural_key

TIFF_SUFFIXES = (".tif", ".tiff")


class FolderStack(Stack):
    """A folder of image files, one frame each, in natural order (``f2`` before ``f10``).

    Its annotations are labelme's own layout: ``frame.json`` beside ``frame.jpg``.
    """

    kind = "folder"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        if not self.path.is_dir():
            raise self._fail("not a folder")
        self.files = sorted(
            (p for p in self.path.iterdir() if p.is_file() and is_image_file(p)),
            key=lambda p: natural_key(p.name),
        )
        if not self.files:
            raise self._fail("the folder holds no image files")
        self.count = len(self.files)
        first = load_image(self.files[0])
        self.frame_shape = tuple(first.shape)
        self.dtype = first.dtype

    def _read(self, index: int) -> np.ndarray:
        return load_image(self.files[index])

    def frame_name(self, index: int) -> str:
        return self.files[index].stem


class TiffStack(Stack):
    """A multi-page TIFF (one frame a page, read page by page) or one 3-D page.

    RGB pages (``(H, W, 3)`` or 4 samples) are one frame each. A single page holding a
    ``(Z, H, W)`` volume is read whole on open (TIFF gives no cheaper way in general).
    ImageJ's ``spacing`` and the X/Y resolution tags give ``spacing`` where present.
    """

    kind = "tiff"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        import tifffile

        try:
            self._tif = tifffile.TiffFile(str(self.path))
        except FileNotFoundError as exc:
            raise self._fail("the TIFF file does not exist") from exc
        except Exception as exc:
            raise self._fail(f"not a TIFF file tifffile can read ({exc})") from exc
        try:
            self._setup()
        except ReadError:
            self._tif.close()
            raise
        except Exception as exc:
            self._tif.close()
            raise self._fail(f"cannot read the TIFF structure ({exc})") from exc

    def _setup(self) -> None:
        series = self._tif.series[0]
        self._pages: list[Any] = list(series.pages)
        self._volume: np.ndarray | None = None
        page_shape = tuple(self._pages[0].shape)
        rgb = len(page_shape) == 3 and page_shape[-1] in (3, 4)
        if len(self._pages) == 1 and len(page_shape) == 3 and not rgb:
            self._volume = series.asarray()
            self.count = int(self._volume.shape[0])
            self.frame_shape = tuple(self._volume.shape[1:])
        elif len(page_shape) in (2, 3):
            self.count = len(self._pages)
            self.frame_shape = page_shape
        else:
            raise self._fail(f"pages of shape {page_shape} are not 2-D images")
        self.dtype = np.dtype(series.dtype)
        sx = sy = 1.0
        tags = self._pages[0].tags
        for name, attr in (("XResolution", "x"), ("YResolution", "y")):
            tag = tags.get(name)
            if tag is not None and isinstance(tag.value, tuple) and tag.value[0]:
                value = tag.value[1] / tag.value[0]
                if attr == "x":
                    sx = value
                else:
                    sy = value
        sz = 1.0
        meta = self._tif.imagej_metadata or {}
        if meta.get("spacing"):
            sz = float(meta["spacing"])
        self.spacing = (float(sx), float(sy), sz)

    def _read(self, index: int) -> np.ndarray:
        if self._volume is not None:
            return np.ascontiguousarray(self._volume[index])
        try:
            return self._pages[index].asarray()
        except Exception as exc:
            raise self._fail(f"page {index} could not be decoded ({exc})") from exc

    def close(self) -> None:
        with self._lock:
            self._tif.close()
