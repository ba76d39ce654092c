"""Image loading: orientation, depths, channels, size guard, damaged files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeldesk.core import ImageReadError
from labeldesk.io import load_image, read_info, to_display, to_rgb8
from labeldesk.io.images import list_images


def _gradient(h: int = 20, w: int = 30) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.arange(w)[None, :] * 8
    img[..., 1] = np.arange(h)[:, None] * 12
    img[:4, :6] = (255, 255, 255)  # a marker in the stored top-left corner
    return img


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 5, 6, 7, 8])
def test_exif_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    from PIL import ImageOps

    path = tmp_path / f"o{orientation}.png"
    im = Image.fromarray(_gradient())
    exif = Image.Exif()
    exif[0x0112] = orientation
    im.save(path, exif=exif)
    arr = load_image(path)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    np.testing.assert_array_equal(arr, expected)
    info = read_info(path)
    assert (info.height, info.width) == arr.shape[:2]


def test_jpeg_rotated_size_is_displayed_size(tmp_path: Path) -> None:
    path = tmp_path / "r.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(_gradient(20, 30)).save(path, exif=exif, quality=95)
    assert load_image(path).shape == (30, 20, 3)
    assert (read_info(path).width, read_info(path).height) == (20, 30)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".tif", ".webp"])
def test_formats_rgb(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"a{suffix}"
    Image.fromarray(_gradient()).save(path, **({"lossless": True} if suffix == ".webp" else {}))
    arr = load_image(path)
    assert arr.shape == (20, 30, 3) and arr.dtype == np.uint8
    if suffix != ".jpg":
        np.testing.assert_array_equal(arr, _gradient())


def test_gray_rgba_16bit_float(tmp_path: Path) -> None:
    Image.fromarray(np.arange(600, dtype=np.uint8).reshape(20, 30)).save(tmp_path / "g.png")
    assert load_image(tmp_path / "g.png").shape == (20, 30)
    rgba = np.dstack([_gradient(), np.full((20, 30), 128, np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), rgba)
    deep = (np.arange(600, dtype=np.uint16).reshape(20, 30) * 100).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "d.png")
    arr16 = load_image(tmp_path / "d.png")
    assert arr16.dtype == np.uint16
    np.testing.assert_array_equal(arr16, deep)  # measured values unchanged
    disp = to_display(arr16)
    assert disp.dtype == np.uint8 and disp.min() == 0 and disp.max() == 255  # windowed, not clipped
    flt = np.linspace(-1, 1, 600, dtype=np.float32).reshape(20, 30)
    Image.fromarray(flt, mode="F").save(tmp_path / "f.tif")
    arrf = load_image(tmp_path / "f.tif")
    assert arrf.dtype == np.float32
    np.testing.assert_allclose(arrf, flt)
    assert to_rgb8(arrf).shape == (20, 30, 3)


def test_palette_image_becomes_rgb(tmp_path: Path) -> None:
    Image.fromarray(_gradient()).convert("P").save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").shape == (20, 30, 3)


def test_pixel_guard_names_file_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (3000, 2000)).save(path)
    with pytest.raises(ImageReadError, match=r"big\.png.*3000x2000 = 6 MP, over the limit of 5 MP"):
        load_image(path, max_pixels=5_000_000)
    assert load_image(path, max_pixels=None).shape == (2000, 3000)


def test_damaged_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "fake.png").write_bytes(b"this is no image")
    with pytest.raises(ImageReadError, match="fake.png: not an image"):
        load_image(tmp_path / "fake.png")
    with pytest.raises(ImageReadError, match="does not exist"):
        load_image(tmp_path / "none.png")
    good = tmp_path / "t.jpg"
    Image.fromarray(_gradient(200, 300)).save(good)
    (tmp_path / "trunc.jpg").write_bytes(good.read_bytes()[:300])
    with pytest.raises(ImageReadError, match="trunc.jpg"):
        load_image(tmp_path / "trunc.jpg")


def test_list_images_natural_order(tmp_path: Path) -> None:
    for name in ("b.PNG", "a.jpg", "c.txt", "C.tif"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_images(tmp_path)] == ["a.jpg", "b.PNG", "C.tif"]
