from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from labeldesk.core.errors import ReadError
from labeldesk.io.stacks import open_stack, stack_kind
from tests.stacks.makers import (
    frame_pattern,
    volume,
    write_dicom_series,
    write_frames,
    write_nifti,
    write_video,
)


def _close(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    return float(np.abs(a.astype(float) - b.astype(float)).mean()) < tol


def test_video_sequential_and_random_access(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", n=24, gop=6)
    with open_stack(path) as stack:
        assert stack.kind == "video" and len(stack) == 24
        assert stack.shape == (24, 48, 64, 3) and stack.affine is None
        assert stack.keyframes[:2] == [0, 6]
        seq = [stack.frame(i) for i in range(24)]
        for i, f in enumerate(seq):
            assert f.dtype == np.uint8 and _close(f, frame_pattern(i), 4.0), i
        # random order: seeks land on the right frame (every frame is distinct)
        for i in (17, 3, 23, 0, 11, 12, 5):
            got = stack.stack.frame(i)  # the reader itself, not the read-ahead cache
            assert np.array_equal(got, seq[i]), i


@pytest.mark.parametrize("name", ["b.mp4", "b.mkv"])
def test_video_with_b_frames_random_access(tmp_path: Path, name: str) -> None:
    path = write_video(tmp_path / name, n=20, gop=6, bframes=3)
    with open_stack(path, read_ahead=0) as stack:
        reader = stack.stack
        # mp4 lists every frame in its index (no pass over the file); mkv lists keyframes only
        assert reader.index_source == ("container" if name.endswith("mp4") else "packets")
        assert len(stack) == 20
        seq = [stack.frame(i) for i in range(20)]
        for i, f in enumerate(seq):
            assert _close(f, frame_pattern(i), 4.0), i
        for i in (13, 2, 19, 7, 6, 0, 12):
            assert np.array_equal(stack.frame(i), seq[i]), i


def test_video_wrong_container_index_falls_back_to_packets(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", n=12, gop=4, bframes=2)
    with open_stack(path, read_ahead=0) as stack:
        reader = stack.stack
        assert reader.index_source == "container"
        reader._pts = [p + 1 for p in reader._pts]  # as if the B-frame delay were misjudged
        reader._key_pts = [p + 1 for p in reader._key_pts]
        assert _close(stack.frame(5), frame_pattern(5), 4.0)
        assert reader.index_source == "packets" and len(reader) == 12


def test_video_mkv_and_avi(tmp_path: Path) -> None:
    for name, codec in (("a.mkv", "libx264"), ("b.avi", "mpeg4")):
        path = write_video(tmp_path / name, n=10, gop=4, codec=codec)
        with open_stack(path) as stack:
            assert len(stack) == 10
            assert _close(stack.frame(7), frame_pattern(7), 8.0)


def test_frame_folder_natural_order(tmp_path: Path) -> None:
    folder = write_frames(tmp_path / "frames", n=12)
    (folder / "notes.txt").write_text("not a frame")
    with open_stack(folder) as stack:
        assert stack.kind == "folder" and len(stack) == 12
        assert [p.name for p in stack.files][:3] == ["frame0.png", "frame1.png", "frame2.png"]
        assert stack.files[10].name == "frame10.png"
        assert np.array_equal(stack.frame(10), frame_pattern(10))
        assert stack.frame_name(10) == "frame10"


def test_tiff_pages_and_3d(tmp_path: Path) -> None:
    import tifffile

    data = volume((7, 9, 11)).astype(np.uint16)  # (Z, H, W)
    tifffile.imwrite(tmp_path / "pages.tif", data, imagej=True, metadata={"spacing": 3.5})
    with open_stack(tmp_path / "pages.tif") as stack:
        assert stack.kind == "tiff" and stack.shape == (7, 9, 11)
        assert stack.spacing[2] == 3.5
        assert np.array_equal(stack.frame(4), data[4])
    rgb = np.stack([frame_pattern(i) for i in range(5)])
    tifffile.imwrite(tmp_path / "rgb.tiff", rgb, photometric="rgb")
    with open_stack(tmp_path / "rgb.tiff") as stack:
        assert stack.shape == (5, 48, 64, 3)
        assert np.array_equal(stack.frame(3), frame_pattern(3))


@pytest.mark.parametrize("name", ["vol.nii", "vol.nii.gz"])
def test_nifti_slices_spacing_affine(tmp_path: Path, name: str) -> None:
    data = volume((20, 16, 12))
    path = write_nifti(tmp_path / name, data)
    with open_stack(path) as stack:
        assert stack.kind == "nifti" and len(stack) == 12
        assert stack.shape == (12, 16, 20)  # frames of H = y (16) by W = x (20)
        assert stack.spacing == pytest.approx((0.8, 0.7, 2.5))
        assert stack.affine[0, 3] == -10.0 and stack.affine[2, 2] == 2.5
        f = stack.frame(5)
        assert f.dtype == np.int16 and f[3, 7] == 100 * 7 + 10 * 3 + 5  # [y, x] = V[x, y, k]
        tmp = stack.stack._tmp
    if name.endswith(".gz"):
        assert tmp is not None and not Path(tmp).exists()  # decompressed copy removed


def test_dicom_series_order_spacing_rescale(tmp_path: Path) -> None:
    folder = write_dicom_series(tmp_path / "ct", n=6)
    (folder / "README.txt").write_text("not dicom")
    assert stack_kind(folder) == "dicom"
    with open_stack(folder) as stack:
        assert stack.kind == "dicom" and stack.shape == (6, 8, 10)
        assert stack.spacing == pytest.approx((0.6, 0.5, 2.5))
        for k in (0, 3, 5):
            f = stack.frame(k)
            assert f.dtype == np.float32
            assert f[2, 3] == pytest.approx(2 * (2 + 30 + 100 * k) - 1024)
        # RAS affine: DICOM x (L) and y (P) negated; z along the normal
        assert stack.affine[:3, 3] == pytest.approx([20.0, 30.0, 40.0])
        assert stack.affine[2, 2] == pytest.approx(2.5)
        assert stack.affine[0, 0] == pytest.approx(-0.6)


def test_bad_inputs_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    with pytest.raises(ReadError, match="broken.mp4"):
        open_stack(bad)
    gz = tmp_path / "cut.nii.gz"
    gz.write_bytes(gzip.compress(b"\x00" * 100))
    with pytest.raises(ReadError, match=r"cut\.nii\.gz"):
        open_stack(gz)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ReadError, match="empty.*no image files"):
        open_stack(empty)
    with pytest.raises(ReadError, match="missing.tif.*no such file"):
        open_stack(tmp_path / "missing.tif")
    txt = tmp_path / "x.txt"
    txt.write_text("hello")
    with pytest.raises(ReadError, match="x.txt"):
        open_stack(txt)
    fake = tmp_path / "fake.tif"
    fake.write_bytes(b"II*\x00garbage")
    with pytest.raises(ReadError, match="fake.tif"):
        open_stack(fake)


def test_out_of_range_frame(tmp_path: Path) -> None:
    with open_stack(write_frames(tmp_path / "f", n=3)) as stack, pytest.raises(IndexError):
        stack.frame(3)


def test_truncated_nii_gz_names_the_file_at_the_missing_slice(tmp_path: Path) -> None:
    data = volume((20, 16, 12))
    full = write_nifti(tmp_path / "full.nii.gz", data)
    raw = gzip.decompress(full.read_bytes())
    cut = tmp_path / "cut.nii.gz"
    cut.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    with open_stack(cut) as stack:
        assert stack.frame(1)[3, 7] == 100 * 7 + 10 * 3 + 1  # early slices are there
        with pytest.raises(ReadError, match=r"cut\.nii\.gz: the file ends before slice 11"):
            stack.frame(11)


@pytest.mark.parametrize("name", ["v.nii", "v.nii.gz", "dicom", "t.tif"])
def test_cross_sections(tmp_path: Path, name: str) -> None:
    import tifffile

    if name == "dicom":
        path = write_dicom_series(tmp_path / "ct", n=5)
    elif name == "t.tif":
        path = tmp_path / name
        tifffile.imwrite(path, volume((5, 8, 10)).astype(np.uint16))
    else:
        path = write_nifti(tmp_path / name, volume((10, 8, 5)))
    with open_stack(path) as stack:
        frames = np.stack([stack.frame(k) for k in range(len(stack))])  # (n, H, W)
        row = stack.cross_section("row", 3)
        col = stack.cross_section("column", 6)
        assert row.shape == (len(stack), frames.shape[2]) and np.array_equal(row, frames[:, 3])
        assert col.shape == (len(stack), frames.shape[1]) and np.array_equal(col, frames[:, :, 6])
