"""Truncated and damaged images: open them anyway, and say so (issue 11, item 6).

Decoders fill what is missing with grey or garbage without a word; labelme users ask for such
files to open. :func:`load_image_checked` opens them (Pillow's truncated-file mode as a last
resort) and returns why the picture is incomplete, from cheap structural checks.
"""

from __future__ import annotations

import os
import struct
import threading

import numpy as np
from PIL import ImageFile

from labeldesk.core.errors import ImageReadError
from labeldesk.io.images import (
    DEFAULT_MAX_PIXELS,
    _apply_orientation,
    _decode_pil,
    check_pixels,
    load_image,
    read_info,
)

_TRUNCATED_LOCK = threading.Lock()


def _decode_pil_truncated(source: str | os.PathLike[str] | bytes, name: str) -> np.ndarray:
    """Pillow's decode of a truncated file, the missing part left black/grey."""
    with _TRUNCATED_LOCK:
        ImageFile.LOAD_TRUNCATED_IMAGES = True
        try:
            return _decode_pil(source, name)
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = False


def load_image_checked(
    path: str | os.PathLike[str], *, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> tuple[np.ndarray, str | None]:
    """:func:`load_image` that also opens truncated files, and says what is wrong.

    Returns ``(pixels, damage)``: ``damage`` is None for a sound file, else why parts of the
    picture are missing or wrong (the app shows it in a banner and the files panel, as
    labelme users ask for these files to open). Raises :class:`ImageReadError` otherwise.
    """
    name = str(path)
    try:
        return load_image(path, max_pixels=max_pixels), damage_report(path)
    except ImageReadError as exc:
        if "truncated" not in exc.reason:
            raise
    info = read_info(path, name=name)
    check_pixels(name, info.width, info.height, max_pixels)
    try:
        arr = _decode_pil_truncated(path, name)
    except (OSError, ValueError) as exc:
        raise ImageReadError(name, f"the image data is damaged or truncated: {exc}") from exc
    if arr.dtype == np.int32 or arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    arr = _apply_orientation(arr, info.orientation)
    reason = damage_report(path) or "the image data is truncated: the missing part is shown dark"
    return arr, reason


def damage_report(path: str | os.PathLike[str]) -> str | None:
    """Why an image file that decoded is probably incomplete (decoders fill what is missing
    with grey or garbage without a word), or None when nothing is seen wrong.

    Cheap structural checks, no decoding: a JPEG without its end marker, a PNG without its
    IEND chunk, a GIF without its trailer, a BMP or WebP shorter than its header says.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(32)
            f.seek(max(0, size - 1024))
            tail = f.read()
    except (OSError, ValueError):
        return None
    short = "the file is shorter than its header says: it is truncated, the rest is shown grey"
    if head.startswith(b"\xff\xd8\xff"):
        if b"\xff\xd9" not in tail:
            return "the JPEG data ends early (no end marker): it is truncated or damaged"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        if b"IEND" not in tail[-64:]:
            return "the PNG data ends early (no IEND chunk): it is truncated or damaged"
    elif head.startswith((b"GIF87a", b"GIF89a")):
        if not tail.rstrip(b"\x00").endswith(b"\x3b"):
            return "the GIF data ends early (no trailer): it is truncated or damaged"
    elif head.startswith(b"BM") and len(head) >= 6:
        if struct.unpack("<I", head[2:6])[0] > size:
            return short
    elif head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        if struct.unpack("<I", head[4:8])[0] + 8 > size:
            return short
    return None
