"""Image loading with EXIF orientation, bit depths kept, and a decompression-bomb guard.

Loaded pixels keep their measured values (uint8, uint16 or float32; gray ``(H, W)``, RGB
``(H, W, 3)`` or RGBA ``(H, W, 4)``, channels in RGB order). :func:`to_display` makes a uint8
view for the screen without changing what is measured.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import (  # noqa: F401  (the allowed plugins are imported so they are registered)
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    UnidentifiedImageError,
    WebPImagePlugin,
)

from labeldesk.algorithms.imaging import to_rgb8 as _to_rgb8
from labeldesk.algorithms.imaging import to_uint8
from labeldesk.core.errors import ImageReadError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp")
DEFAULT_MAX_PIXELS = 500_000_000  # 20000x20000 fits; raise it in settings for larger images
_EXIF_ORIENTATION = 0x0112
# The only Pillow decoders ever used (images, masks, imageData): an explicit allow-list, so a
# file with EPS or PostScript bytes never reaches Ghostscript whatever its name. OpenCV only
# decodes what Pillow has identified as one of these first.
PIL_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "WEBP", "GIF")  # JPEG covers MPO
READ_FORMATS = ("PNG", "JPEG", "TIFF", "BMP", "WebP", "GIF")
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

# We guard sizes ourselves (with a message naming the file and the limit), so Pillow's
# global guard, which would raise its own DecompressionBombError first, is switched off.
Image.MAX_IMAGE_PIXELS = None
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(2**34))


@dataclass(frozen=True)
class ImageInfo:
    """What the header says: displayed size (after EXIF orientation) and the orientation tag."""

    width: int
    height: int
    orientation: int
    mode: str


def is_image_file(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: str | os.PathLike[str]) -> list[Path]:
    """Image files directly in ``folder``, in natural (case-insensitive) name order."""
    folder = Path(folder)
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and is_image_file(p)),
        key=lambda p: p.name.lower(),
    )


def _open(source: str | os.PathLike[str] | bytes, name: str) -> Image.Image:
    """Open with Pillow, trying only :data:`PIL_FORMATS` (never EPS/Ghostscript and the like)."""
    try:
        return Image.open(
            io.BytesIO(source) if isinstance(source, bytes) else source, formats=PIL_FORMATS
        )
    except FileNotFoundError as exc:
        raise ImageReadError(name, "the image file does not exist") from exc
    except UnidentifiedImageError as exc:
        raise ImageReadError(
            name,
            "not an image file, or a format labeldesk cannot read "
            f"(it reads {', '.join(READ_FORMATS)})",
        ) from exc
    except OSError as exc:
        raise ImageReadError(name, f"cannot open the image: {exc.strerror or exc}") from exc
    except ValueError as exc:  # an embedded null byte in the name
        raise ImageReadError(name, f"not a usable file name: {exc}") from exc


def _tiff_header(source: str | os.PathLike[str] | bytes) -> ImageInfo | None:
    """Size and orientation from a TIFF's first directory (Pillow cannot open float RGB or
    float64 TIFFs, which OpenCV writes and reads); None when it is not a readable TIFF."""
    try:
        with (
            io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
        ) as f:
            head = f.read(16)
            if head[:4] not in _TIFF_MAGIC:
                return None
            order = "<" if head[:2] == b"II" else ">"
            big = head[2:4] in (b"+\x00", b"\x00+")
            (offset,) = struct.unpack(
                order + ("Q" if big else "I"), head[8:16] if big else head[4:8]
            )
            f.seek(offset)
            count_fmt, entry_size = ("Q", 20) if big else ("H", 12)
            (count,) = struct.unpack(order + count_fmt, f.read(struct.calcsize(count_fmt)))
            tags: dict[int, int] = {}
            for _ in range(min(count, 4096)):
                entry = f.read(entry_size)
                if len(entry) < entry_size:
                    return None
                tag, kind = struct.unpack(order + "HH", entry[:4])
                value = entry[12:] if big else entry[8:]
                if kind == 3:
                    tags[tag] = struct.unpack(order + "H", value[:2])[0]
                elif kind == 4:
                    tags[tag] = struct.unpack(order + "I", value[:4])[0]
                elif kind == 16 and big:
                    tags[tag] = struct.unpack(order + "Q", value[:8])[0]
    except (OSError, ValueError, struct.error):
        return None
    if 256 not in tags or 257 not in tags:
        return None
    w, h, orientation = tags[256], tags[257], tags.get(274, 1)
    orientation = orientation if 1 <= orientation <= 8 else 1
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    return ImageInfo(w, h, orientation, "TIFF")


def read_info(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> ImageInfo:
    """Read the header only: the displayed size and EXIF orientation (1 = as stored)."""
    name = name or (str(source) if not isinstance(source, bytes) else "<embedded image>")
    try:
        im_cm = _open(source, name)
    except ImageReadError:
        info = _tiff_header(source)
        if info is None:
            raise
        return info  # a TIFF Pillow cannot decode (float RGB, float64): OpenCV decodes it
    with im_cm as im:
        try:
            if im.format == "PNG" and "exif" not in im.info:
                # Pillow would decode the whole image to look for an eXIf chunk after the
                # pixels (seconds for a large PNG); one before them is already in info.
                orientation = 1
            else:
                orientation = int(im.getexif().get(_EXIF_ORIENTATION, 1) or 1)
        except Exception:  # a broken EXIF block must not stop the image from opening
            orientation = 1
        w, h = im.size
        if orientation in (5, 6, 7, 8):
            w, h = h, w
        return ImageInfo(w, h, orientation, im.mode)


def check_pixels(name: str, width: int, height: int, max_pixels: int | None) -> None:
    """Refuse images over ``max_pixels`` (``None`` = no limit) with a clear message."""
    if max_pixels is not None and width * height > max_pixels:
        raise ImageReadError(
            name,
            f"the image is {width}x{height} = {width * height / 1e6:.0f} MP, over the limit of "
            f"{max_pixels / 1e6:.0f} MP (raise 'maximum image size' in settings if you trust it)",
        )


def _apply_orientation(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Rotate/flip ``arr`` so it shows as the EXIF ``orientation`` tag asks."""
    if orientation == 2:
        return cv2.flip(arr, 1)
    if orientation == 3:
        return cv2.rotate(arr, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(arr, 0)
    if orientation == 5:
        return np.ascontiguousarray(np.swapaxes(arr, 0, 1))
    if orientation == 6:
        return cv2.rotate(arr, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.rotate(cv2.flip(arr, 1), cv2.ROTATE_90_CLOCKWISE)
    if orientation == 8:
        return cv2.rotate(arr, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return arr


_CV2_FLAGS = cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION


def _decode_cv2(data: np.ndarray) -> np.ndarray | None:
    try:
        return _finish_cv2(cv2.imdecode(data, _CV2_FLAGS))
    except cv2.error:
        return None


def _finish_cv2(arr: np.ndarray | None) -> np.ndarray | None:
    """OpenCV's BGR(A) to RGB(A) in place; one channel to ``(H, W)``; None stays None."""
    if arr is None:
        return None
    if arr.dtype == np.float64:  # cvtColor has no float64; labeldesk keeps floats as float32
        arr = arr.astype(np.float32)
    if arr.ndim == 3 and arr.shape[2] == 3:
        cv2.cvtColor(arr, cv2.COLOR_BGR2RGB, dst=arr)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA, dst=arr)
    elif arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    return arr


def _decode_pil(source: str | os.PathLike[str] | bytes, name: str) -> np.ndarray:
    with _open(source, name) as im:
        im.load()
        if im.mode in ("I;16", "I;16B", "I;16L"):
            return np.asarray(im, dtype=np.uint16)
        if im.mode in ("I", "F"):
            return np.asarray(im, dtype=np.float32 if im.mode == "F" else np.int32)
        if im.mode == "1":
            return np.asarray(im.convert("L"))  # (H, W) of 0/255, as labelme's masks are read
        if im.mode not in ("L", "RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
        return np.asarray(im)


def load_image(
    source: str | os.PathLike[str] | bytes,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    name: str | None = None,
) -> np.ndarray:
    """Decode an image file (or its bytes) with its EXIF orientation applied.

    Returns ``(H, W)``, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA in the file's own depth
    (uint8, uint16, float32; int32 becomes float32). Raises :class:`ImageReadError` naming
    the file for a missing, unreadable, truncated or too large image.
    """
    name = name or (str(source) if not isinstance(source, bytes) else "<embedded image>")
    info = read_info(source, name=name)
    check_pixels(name, info.width, info.height, max_pixels)
    arr = None
    if not isinstance(source, bytes) and str(source).isascii():
        # straight from the file: no copy of the file's bytes is held while decoding
        arr = _finish_cv2(cv2.imread(str(source), _CV2_FLAGS))
    if arr is None:
        try:
            data = (
                np.frombuffer(source, np.uint8)
                if isinstance(source, bytes)
                else np.fromfile(source, np.uint8)
            )
        except OSError as exc:
            raise ImageReadError(name, f"cannot read the file: {exc.strerror or exc}") from exc
        arr = _decode_cv2(data)
        del data
    if arr is None and info.mode == "TIFF":
        raise ImageReadError(name, "the TIFF data is damaged or of a kind labeldesk cannot read")
    if arr is None or info.mode in ("P", "PA", "1", "LA", "CMYK", "YCbCr", "I", "F"):
        try:
            arr = _decode_pil(source, name)
        except (OSError, ValueError) as exc:
            raise ImageReadError(name, f"the image data is damaged or truncated: {exc}") from exc
    if arr.dtype == np.int32:
        arr = arr.astype(np.float32)
    elif arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    elif arr.dtype not in (np.uint8, np.uint16, np.float32):
        raise ImageReadError(name, f"unsupported pixel type {arr.dtype}")
    arr = _apply_orientation(arr, info.orientation)
    if arr.shape[:2] != (info.height, info.width):
        raise ImageReadError(
            name, f"decoded size {arr.shape[1]}x{arr.shape[0]} does not match its header"
        )
    return arr


def to_display(image: np.ndarray, window: tuple[float, float] | None = None) -> np.ndarray:
    """A uint8 copy for display: uint8 is returned as is; other depths are windowed by the
    percentiles of :func:`~labeldesk.algorithms.imaging.display_range` (or ``window``).

    Alpha (the 4th channel) of an RGBA image is scaled to 0-255, never windowed.
    """
    return to_uint8(image, window or "percentile", keep_alpha=True)


def to_rgb8(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB for models and algorithms, as displayed (the
    ``"percentile"`` window of :mod:`labeldesk.algorithms.imaging`): gray is repeated, alpha
    dropped."""
    return _to_rgb8(image, "percentile")


def oriented_image_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes for embedding as labelme ``imageData``, re-encoded when EXIF rotates it.

    labelme embeds the image as displayed, and Qt does not apply EXIF when decoding
    ``imageData``, so a rotated photo is rotated before it is embedded (PNG, or JPEG for
    ``.jpg``/``.jpeg`` files).
    """
    path = Path(path)
    info = read_info(path)
    raw = path.read_bytes()
    if info.orientation == 1:
        return raw
    with _open(raw, str(path)) as im:
        fixed = ImageOps.exif_transpose(im)
        buf = io.BytesIO()
        fmt = "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"
        fixed.save(buf, format=fmt)
        return buf.getvalue()
