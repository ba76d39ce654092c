"""Volumes: NIfTI (.nii, .nii.gz) through nibabel and DICOM series folders through pydicom.

NIfTI: an uncompressed ``.nii`` is memory-mapped and each frame is one slice of nibabel's
``dataobj`` (nothing else is read). A ``.nii.gz`` cannot be sliced without decompressing
everything before the slice (gzip has no random access; nibabel would start again from the
file's beginning for every slice), so on open a thread decompresses it once, in 1 MiB chunks,
to a temporary uncompressed ``.nii`` (deleted on close): disk rather than memory. A slice is
read from that file as soon as its bytes are there, so the first slices show at once and a
slice far in waits for the pass to reach it (one sequential pass of the whole file: about
4 s for 157 MB of noisy int16 on this loaded machine, see benchmarks/bench_stacks.py).

DICOM: every file of the folder is read header-only; the largest series is kept, its slices
ordered by ``ImagePositionPatient`` projected on the slice normal (row x column direction
cosines), ``spacing`` from ``PixelSpacing`` and the median step between positions, the affine
in RAS+ (DICOM's LPS with x and y negated), and pixels rescaled with ``RescaleSlope`` and
``RescaleIntercept`` (float32 when they change the values).
"""

from __future__ import annotations

import gzip
import os
import tempfile
import threading
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.io.stacks.base import Stack

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def is_nifti(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".nii") or name.endswith(".nii.gz")


class NiftiStack(Stack):
    kind = "nifti"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        import nibabel as nib

        self._tmp: str | None = None
        self._img: Any = None
        self._thread: threading.Thread | None = None
        if not self.path.is_file():
            raise self._fail("the NIfTI file does not exist")
        try:
            self._img = nib.load(str(self.path), mmap=True)  # a .gz: the header only
        except Exception as exc:
            raise self._fail(f"not a NIfTI file nibabel can read ({exc})") from exc
        shape = tuple(int(s) for s in self._img.shape)
        if len(shape) < 2 or any(s > 1 for s in shape[3:]):
            raise self._fail(f"a {len(shape)}-D image of shape {shape} is not a 3-D volume")
        shape = (shape + (1,))[:3] if len(shape) == 2 else shape[:3]
        self._shape3 = shape
        self.count = shape[2]
        self.frame_shape = (shape[1], shape[0])  # frame rows are voxel axis 1 (y)
        zooms = tuple(float(z) for z in self._img.header.get_zooms()[:3])
        self.spacing = (zooms + (1.0, 1.0, 1.0))[:3]  # type: ignore[assignment]
        self.affine = np.asarray(self._img.affine, dtype=np.float64)
        proxy = self._img.dataobj
        self._slope, self._inter = float(proxy.slope), float(proxy.inter)
        scaled = self._slope != 1 or self._inter != 0
        self._raw_dtype = np.dtype(self._img.get_data_dtype())
        self.dtype = np.dtype(np.float32) if scaled else self._raw_dtype.newbyteorder("=")
        if self.path.name.lower().endswith(".gz"):
            self._start_unpack(int(proxy.offset))

    # -- .nii.gz: decompress once, in a thread, to a temporary .nii; slices wait for their bytes
    def _start_unpack(self, offset: int) -> None:
        fd, self._tmp = tempfile.mkstemp(suffix=".nii", prefix="labeldesk-")
        os.close(fd)
        self._offset = offset
        self._slice_bytes = self._shape3[0] * self._shape3[1] * self._raw_dtype.itemsize
        self._written = 0
        self._done = False
        self._closing = False
        self._error: str | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._unpack, name="nifti-unpack", daemon=True)
        self._thread.start()

    def _unpack(self) -> None:
        assert self._tmp is not None
        try:
            with gzip.open(self.path, "rb") as src, open(self._tmp, "wb") as dst:
                while not self._closing:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    dst.write(chunk)
                    dst.flush()
                    with self._cond:
                        self._written += len(chunk)
                        self._cond.notify_all()
        except (OSError, EOFError, zlib.error) as exc:
            self._error = f"cannot decompress the file ({exc})"
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _read_unpacked(self, index: int) -> np.ndarray:
        start = self._offset + index * self._slice_bytes
        with self._cond:
            self._cond.wait_for(lambda: self._done or self._written >= start + self._slice_bytes)
            ready = self._written >= start + self._slice_bytes
        if not ready:
            raise self._fail(self._error or f"the file ends before slice {index}")
        x, y = self._shape3[0], self._shape3[1]
        assert self._tmp is not None
        raw = np.fromfile(self._tmp, dtype=self._raw_dtype, count=x * y, offset=start)
        # NIfTI stores x fastest, then y: one slice read as C order is already [y, x]
        plane = raw.reshape(y, x)
        if self._slope != 1 or self._inter != 0:
            return (plane.astype(np.float32) * self._slope + self._inter).astype(np.float32)
        return plane.astype(plane.dtype.newbyteorder("="), copy=False)

    def _read(self, index: int) -> np.ndarray:
        if self._thread is not None:
            return self._read_unpacked(index)
        obj = self._img.dataobj
        plane = obj[:, :, index] if len(obj.shape) >= 3 else np.asarray(obj)
        plane = np.asarray(plane).reshape(self._shape3[0], self._shape3[1])
        if plane.dtype.kind == "f" and plane.dtype != np.float32:
            plane = plane.astype(np.float32)
        return np.ascontiguousarray(plane.T)

    def cross_section(self, axis: str, index: int) -> np.ndarray:
        """Coronal (``"row"``) or sagittal (``"column"``) plane straight from the file (a
        ``.nii.gz`` waits for its decompression to finish)."""
        if axis not in ("row", "column"):
            raise ValueError(f"axis must be 'row' or 'column', got {axis!r}")
        with self._lock:
            if self._thread is not None:
                with self._cond:
                    self._cond.wait_for(lambda: self._done)
                total = self._offset + self.count * self._slice_bytes
                if self._written < total:
                    raise self._fail(self._error or "the file ends before its last slice")
                assert self._tmp is not None
                vol = np.memmap(
                    self._tmp, self._raw_dtype, "r", self._offset, self._shape3, order="F"
                )
                plane = np.asarray(vol[:, index, :] if axis == "row" else vol[index, :, :])
                if self._slope != 1 or self._inter != 0:
                    plane = plane.astype(np.float32) * self._slope + self._inter
                plane = plane.astype(plane.dtype.newbyteorder("="), copy=False)
            else:
                obj = self._img.dataobj
                plane = np.asarray(obj[:, index, :] if axis == "row" else obj[index, :, :])
                plane = plane.reshape(plane.shape[0], -1)
                if plane.dtype.kind == "f" and plane.dtype != np.float32:
                    plane = plane.astype(np.float32)
        return np.ascontiguousarray(plane.T)  # rows = slices

    def close(self) -> None:
        if self._thread is not None:
            self._closing = True
            self._thread.join(timeout=30)
        with self._lock:
            self._img = None
            if self._tmp is not None:
                try:
                    os.unlink(self._tmp)
                except OSError:
                    pass
                self._tmp = None


class DicomStack(Stack):
    kind = "dicom"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        import pydicom

        self._pydicom = pydicom
        if not self.path.is_dir():
            raise self._fail("a DICOM series is opened as its folder")
        series: dict[str, list[tuple[Path, Any]]] = {}
        for f in sorted(p for p in self.path.iterdir() if p.is_file()):
            try:
                ds = pydicom.dcmread(str(f), stop_before_pixels=True)
            except Exception:
                continue  # not DICOM (a README, a thumbnail): skip it
            if "ImagePositionPatient" not in ds or "PixelSpacing" not in ds:
                continue
            series.setdefault(str(ds.get("SeriesInstanceUID", "")), []).append((f, ds))
        if not series:
            raise self._fail("no DICOM image with position and pixel spacing in this folder")
        uid, slices = max(series.items(), key=lambda kv: len(kv[1]))
        if len(series) > 1:
            self.notes.append(f"{len(series)} series in the folder; opened {uid} ({len(slices)})")
        first = slices[0][1]
        try:
            cosines = np.array([float(v) for v in first.ImageOrientationPatient]).reshape(2, 3)
        except Exception:
            cosines = np.array([[1.0, 0, 0], [0, 1.0, 0]])
        normal = np.cross(cosines[0], cosines[1])
        pos = np.array([[float(v) for v in ds.ImagePositionPatient] for _, ds in slices])
        order = np.argsort(pos @ normal, kind="stable")
        self.files = [slices[i][0] for i in order]
        pos = pos[order]
        along = pos @ normal
        steps = np.diff(along)
        dz = float(np.median(steps)) if len(steps) else float(first.get("SliceThickness", 1.0))
        if len(steps) and np.any(np.abs(steps) < 1e-6):
            raise self._fail("two slices of the series share one position")
        if len(steps) and np.ptp(steps) > 0.01 * max(abs(dz), 1e-6) + 1e-3:
            self.notes.append("slice spacing is not uniform; the median step is used")
        row_sp, col_sp = (float(v) for v in first.PixelSpacing)
        self.spacing = (col_sp, row_sp, abs(dz) or 1.0)
        lps = np.eye(4)
        lps[:3, 0] = cosines[0] * col_sp  # frame x (column index) runs along the row cosine
        lps[:3, 1] = cosines[1] * row_sp
        lps[:3, 2] = normal * (dz or 1.0)
        lps[:3, 3] = pos[0]
        self.affine = LPS_TO_RAS @ lps
        self.count = len(self.files)
        self.frame_shape = (int(first.Rows), int(first.Columns))
        slope = float(first.get("RescaleSlope", 1) or 1)
        inter = float(first.get("RescaleIntercept", 0) or 0)
        self.dtype = np.dtype(np.float32) if (slope, inter) != (1.0, 0.0) else np.dtype(np.uint16)

    def _read(self, index: int) -> np.ndarray:
        f = self.files[index]
        try:
            ds = self._pydicom.dcmread(str(f))
            pixels = ds.pixel_array
        except Exception as exc:
            raise self._fail(f"{f.name}: pixels could not be decoded ({exc})") from exc
        if pixels.shape[:2] != self.frame_shape:
            raise self._fail(f"{f.name}: slice is {pixels.shape}, the series {self.frame_shape}")
        slope = float(ds.get("RescaleSlope", 1) or 1)
        inter = float(ds.get("RescaleIntercept", 0) or 0)
        if (slope, inter) != (1.0, 0.0):
            return (pixels.astype(np.float32) * slope + inter).astype(np.float32)
        return pixels
