"""Small stacks written in the tests: a video (PyAV), TIFF, NIfTI, DICOM series, frame folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def frame_pattern(i: int, h: int = 48, w: int = 64) -> np.ndarray:
    """An RGB frame whose square's position and colour encode ``i``."""
    img = np.full((h, w, 3), 30, np.uint8)
    x = 4 + 2 * i
    img[10:26, x : x + 16] = (200, 60 + 5 * i, 40)
    return img


def write_video(
    path: Path, n: int = 24, *, gop: int = 6, codec: str = "libx264", bframes: int = 0
) -> Path:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.gop_size = gop
        if codec == "libx264":
            stream.options = {"crf": "10", "preset": "medium" if bframes else "ultrafast"}
            stream.options["bf"] = str(bframes)
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(frame_pattern(i), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def volume(shape: tuple[int, int, int] = (20, 16, 12)) -> np.ndarray:
    """``V[x, y, z]`` int16 with values ``100 x + 10 y + z`` (every voxel tells where it is)."""
    x, y, z = np.indices(shape)
    return (100 * x + 10 * y + z).astype(np.int16)


def write_nifti(path: Path, data: np.ndarray, affine: np.ndarray | None = None) -> Path:
    import nibabel as nib

    if affine is None:
        affine = np.array(
            [[0.8, 0, 0, -10.0], [0, 0.7, 0, 5.0], [0, 0, 2.5, 30.0], [0, 0, 0, 1]], float
        )
    nib.save(nib.Nifti1Image(data, affine), str(path))
    return path


def write_dicom_series(folder: Path, n: int = 6, *, shuffle: bool = True) -> Path:
    """``n`` CT slices 2.5 mm apart, 0.5 x 0.6 mm pixels, slope 2 intercept -1024.

    Stored pixel value at (row r, col c) of slice k is ``r + 10 c + 100 k`` (+ slope and
    intercept on reading). File names are shuffled so the order comes from the positions.
    """
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    series = generate_uid()
    names = list(range(n))
    if shuffle:
        names = list(np.random.default_rng(1).permutation(n))
    for k in range(n):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.SeriesInstanceUID = series
        ds.Modality = "CT"
        ds.Rows, ds.Columns = 8, 10
        ds.PixelSpacing = [0.5, 0.6]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [-20.0, -30.0, 40.0 + 2.5 * k]
        ds.SliceThickness = 2.5
        ds.RescaleSlope, ds.RescaleIntercept = 2, -1024
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        r, c = np.indices((8, 10))
        ds.PixelData = (r + 10 * c + 100 * k).astype(np.uint16).tobytes()
        ds.save_as(str(folder / f"IM{names[k]:04d}.dcm"), enforce_file_format=True)
    return folder


def write_frames(folder: Path, n: int = 12) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(frame_pattern(i)).save(folder / f"frame{i}.png")
    return folder
