"""Images an export writes: the image copy, label PNGs and visualizations.

- Image copies (``JPEGImages/*.jpg``): labelme decodes the image and re-encodes it as JPEG at
  Pillow's default quality 75 (a JPEG source is re-encoded twice, once inside ``LabelFile``),
  so its copies lose quality. Here a JPEG that needs no EXIF rotation is copied byte for byte
  (the same pixels as the source); any other image is decoded as displayed (EXIF orientation
  applied, so it lines up with the labels), made 8-bit and written at quality 95. 16-bit and
  float images are scaled linearly from their own minimum..maximum to 0..255, never clipped;
  an alpha channel is dropped.
- Label PNGs are labelme's: 8-bit palette PNGs with the standard VOC colormap, -1
  (``__ignore__``) written as 255. Instance maps with more than 254 instances do not fit
  (labelme wraps id 256 to 0, or writes 255, the VOC "void" value); they are written as 16-bit
  grayscale PNGs instead.
- Visualizations follow labelme's look (labels blended at 50% over the gray image, a legend at
  the bottom right); they are JPEGs, so they are not byte-identical to labelme's.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from labeldesk.algorithms import imaging
from labeldesk.core.document import Document
from labeldesk.core.errors import ExportError, ImageReadError
from labeldesk.io.images import load_image, read_info

JPEG_QUALITY = 95
PNG_LEVEL = 3  # zlib level of label PNGs: 2-4x faster than Pillow's default 6, ~40% larger


def label_colormap(n: int = 256) -> np.ndarray:
    """The standard PASCAL VOC colormap: ``(n, 3)`` uint8 RGB, entry 255 = (224, 224, 192)."""
    cmap = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        cmap[i] = (r, g, b)
    return cmap


COLORMAP = label_colormap()
PALETTE = COLORMAP.flatten().tolist()


@dataclass(frozen=True)
class SourceImage:
    """Where a document's pixels come from: the embedded ``imageData`` first, else the file."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def of(cls, doc: Document) -> SourceImage:
        if doc.image_data is not None:
            import base64

            return cls(f"{doc.path} (imageData)", data=base64.b64decode(doc.image_data))
        path = doc.image_file()
        if path is None:
            raise ImageReadError(str(doc.path), "no imagePath and no imageData")
        return cls(str(path), path=path)

    def source(self) -> Path | bytes:
        return self.data if self.data is not None else self.path  # type: ignore[return-value]

    def is_plain_jpeg(self) -> bool:
        """A baseline-copyable JPEG: JPEG data, no EXIF rotation, gray or RGB."""
        src = self.source()
        head = src[:3] if isinstance(src, bytes) else _head(src)
        if head != b"\xff\xd8\xff":
            return False
        info = read_info(src, name=self.name)
        return info.orientation == 1 and info.mode in ("L", "RGB")


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(3)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """8-bit gray ``(H, W)`` or RGB ``(H, W, 3)``: alpha dropped, deeper images scaled linearly
    from their minimum..maximum to 0..255 (no clipping; the ``"minmax"`` window of
    :mod:`labeldesk.algorithms.imaging`)."""
    return np.ascontiguousarray(imaging.to_uint8(image, "minmax"))


def load_pixels(src: SourceImage, size: tuple[int, int]) -> np.ndarray:
    """Decode the image as displayed, 8-bit; checks it is ``size = (H, W)``."""
    image = to_uint8(load_image(src.source(), name=src.name))
    if image.shape[:2] != tuple(size):
        raise ImageReadError(
            src.name,
            f"the image is {image.shape[1]}x{image.shape[0]} but the annotation says "
            f"{size[1]}x{size[0]}",
        )
    return image


def write_jpeg(src: SourceImage, pixels: np.ndarray, out: Path) -> None:
    """The dataset's copy of the image (see the module docstring)."""
    if src.is_plain_jpeg():
        if src.data is not None:
            out.write_bytes(src.data)
        else:
            shutil.copyfile(src.path, out)  # type: ignore[arg-type]
        return
    write_jpeg_pixels(pixels, out)


def write_jpeg_pixels(pixels: np.ndarray, out: Path, quality: int = JPEG_QUALITY) -> None:
    """Encode ``(H, W)`` or ``(H, W, 3)`` RGB uint8 pixels as a JPEG file."""
    bgr = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ExportError(f"{out}: could not encode the JPEG")
    out.write_bytes(buf.tobytes())


def save_label_png(path: Path, label: np.ndarray, *, allow_16bit: bool = False) -> int:
    """Write an ``(H, W)`` int label map; returns the bit depth written (8 or 16).

    Values -1..254 give labelme's palette PNG (-1 as 255). Otherwise, with ``allow_16bit``,
    values 0..65535 give a 16-bit grayscale PNG; anything else raises :class:`ExportError`.
    """
    lo, hi = int(label.min()), int(label.max())
    if lo >= -1 and hi < 255:
        im = Image.fromarray(label.astype(np.uint8))
        im.putpalette(PALETTE)
        im.save(path, format="PNG", compress_level=PNG_LEVEL)
        return 8
    if allow_16bit and lo >= 0 and hi <= 65535:
        Image.fromarray(label.astype(np.uint16)).save(path, format="PNG", compress_level=PNG_LEVEL)
        return 16
    raise ExportError(f"{path}: label values {lo}..{hi} do not fit a PNG label image")


def to_gray(pixels: np.ndarray) -> np.ndarray:
    """``(H, W)`` uint8 luminance (ITU-R 601, as Pillow's ``convert("L")``)."""
    return pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)


_FONT: ImageFont.ImageFont | ImageFont.FreeTypeFont | None = None


def _font():
    global _FONT
    if _FONT is None:
        try:
            _FONT = ImageFont.load_default(size=15)
        except (OSError, TypeError, ValueError):  # Pillow without FreeType
            _FONT = ImageFont.load_default()
    return _FONT


def color_index(label: np.ndarray) -> np.ndarray:
    """``(H, W)`` uint8 colormap index of each value: -1 -> 255, ids above 255 cycle 1..255."""
    if int(label.min()) >= -1 and int(label.max()) <= 255:
        return label.astype(np.uint8)  # -1 wraps to 255
    idx = label.astype(np.int64)
    big = idx > 255
    idx[big] = (idx[big] - 1) % 255 + 1
    return (idx % 256).astype(np.uint8)


def present(label: np.ndarray, idx: np.ndarray) -> list[int]:
    """Sorted values of ``label`` (``idx = color_index(label)``, a fast bincount when the
    values fit it)."""
    if int(label.max()) > 255:
        return [int(v) for v in np.unique(label)]
    counts = cv2.calcHist([idx], [0], None, [256], [0, 256]).ravel()
    values = [int(v) for v in np.flatnonzero(counts)]
    if int(label.min()) < 0 and 255 in values:
        values = [-1] + values[:-1]
    return values


_LUT = np.ascontiguousarray(COLORMAP.reshape(256, 1, 3))


def visualize(
    gray: np.ndarray, label: np.ndarray, caption: Callable[[int], str | None]
) -> np.ndarray:
    """labelme-style overlay: ``label`` colors blended 50% over ``gray``, and a legend.

    Args:
        gray: ``(H, W)`` uint8 image.
        label: ``(H, W)`` int map (-1 = ignore).
        caption: legend text of a value present in ``label``, or None to leave it out.
    Returns ``(H, W, 3)`` uint8 RGB.
    """
    idx = color_index(label)
    colors = cv2.LUT(cv2.merge([idx, idx, idx]), _LUT)
    out = cv2.addWeighted(colors, 0.5, cv2.merge([gray, gray, gray]), 0.5, 0.0)
    rows = []
    for v in present(label, idx):
        text = caption(v)
        if text is not None:
            rows.append((COLORMAP[int(color_index(np.array([v])).item())], text))
    if rows:
        _draw_legend(out, rows)
    return out


def _draw_legend(out: np.ndarray, rows: list[tuple[np.ndarray, str]]) -> None:
    """Draw a legend box in the bottom-right corner of ``out`` (in place)."""
    font = _font()
    pad, box, line = 4, 12, 18
    height, width = out.shape[:2]
    rows = rows[: max(0, (height - 2 * pad) // line)]
    if not rows:
        return
    text_w = max(int(font.getlength(text)) for _, text in rows)
    lw = min(width, text_w + box + 3 * pad)
    lh = len(rows) * line + 2 * pad
    panel = Image.new("RGB", (lw, lh), (255, 255, 255))
    draw = ImageDraw.Draw(panel)
    for i, (color, text) in enumerate(rows):
        y = pad + i * line
        draw.rectangle([pad, y + 3, pad + box, y + 3 + box], fill=tuple(int(c) for c in color))
        draw.text((2 * pad + box, y), text, fill=(0, 0, 0), font=font)
    out[height - lh :, width - lw :] = np.asarray(panel)[:, :lw]
