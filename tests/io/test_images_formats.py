"""Issue 11, images: the format allow-list (no Ghostscript), float TIFFs, 1-bit PNGs."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from labeldesk.core import ReadError
from labeldesk.core.errors import ImageReadError
from labeldesk.io import load_image, read_info

EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"


def test_eps_bytes_in_a_png_never_reach_ghostscript(tmp_path: Path) -> None:
    path = tmp_path / "trap.png"
    path.write_bytes(EPS)
    with pytest.raises(ImageReadError, match="format labeldesk cannot read") as info:
        load_image(path)
    assert str(path) in str(info.value)
    with pytest.raises(ImageReadError):
        load_image(EPS)
    assert "PIL.EpsImagePlugin" not in sys.modules


@pytest.mark.parametrize("shape", [(5, 7, 3), (5, 7)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_tiffs_written_by_opencv_read_as_they_are(
    tmp_path: Path, shape: tuple[int, ...], dtype: type
) -> None:
    rng = np.random.default_rng(0)
    data = rng.random(shape).astype(dtype) * 1000
    path = tmp_path / "f.tif"
    assert cv2.imwrite(str(path), data[..., ::-1] if data.ndim == 3 else data)
    info = read_info(path)
    assert (info.width, info.height) == (7, 5)
    arr = load_image(path)
    assert arr.shape == shape and arr.dtype == np.float32
    np.testing.assert_allclose(arr, data.astype(np.float32), rtol=1e-6)
    assert load_image(path.read_bytes()).shape == shape


def test_one_bit_png_comes_back_2d(tmp_path: Path) -> None:
    mask = np.zeros((6, 9), bool)
    mask[2:4, 3:7] = True
    path = tmp_path / "bits.png"
    Image.fromarray(mask).save(path)
    assert Image.open(path).mode == "1"
    arr = load_image(path)
    assert arr.shape == (6, 9) and arr.dtype == np.uint8
    np.testing.assert_array_equal(arr > 0, mask)


def test_damaged_tiff_header_is_read_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.tif"
    path.write_bytes(b"II*\x00\xff\xff\xff\x7f" + b"\x00" * 20)
    with pytest.raises(ReadError, match=str(path.name)):
        load_image(path)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "BMP", "TIFF"])
def test_truncated_images_open_and_say_so(tmp_path: Path, fmt: str) -> None:
    import io

    from labeldesk.io.damaged import load_image_checked

    rng = np.random.default_rng(2)
    buf = io.BytesIO()
    Image.fromarray((rng.random((40, 50, 3)) * 255).astype(np.uint8)).save(buf, format=fmt)
    sound = tmp_path / f"sound.{fmt.lower()}"
    sound.write_bytes(buf.getvalue())
    arr, damage = load_image_checked(sound)
    assert damage is None and arr.shape[:2] == (40, 50)
    cut = tmp_path / f"cut.{fmt.lower()}"
    cut.write_bytes(buf.getvalue()[: len(buf.getvalue()) * 2 // 3])
    arr, damage = load_image_checked(cut)
    assert arr.shape[:2] == (40, 50)
    assert damage and ("truncated" in damage or "ends early" in damage)
