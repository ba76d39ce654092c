"""Frame stacks: videos, frame folders, TIFF stacks, NIfTI volumes and DICOM series.

:func:`open_stack` picks the reader from the path and returns it wrapped in
:class:`ReadAhead`. Every reader is lazy: opening reads headers (and, for a video, the packet
index), and ``frame(i)`` decodes one frame. See :mod:`labeldesk.io.stacks.base` for the
conventions (frame orientation, ``spacing``, ``affine``).
"""

from __future__ import annotations

import os
from pathlib import Path

from labeldesk.core.errors import ReadError
from labeldesk.io.images import is_image_file
from labeldesk.io.stacks.base import Stack, natural_key
from labeldesk.io.stacks.files import TIFF_SUFFIXES, FolderStack, TiffStack
from labeldesk.io.stacks.readahead import ReadAhead
from labeldesk.io.stacks.video import VIDEO_SUFFIXES, VideoStack
from labeldesk.io.stacks.volumes import DicomStack, NiftiStack, is_nifti

STACK_KINDS = ("video", "folder", "tiff", "nifti", "dicom")


def _looks_dicom(folder: Path) -> bool:
    for p in folder.iterdir():
        if p.is_file() and not is_image_file(p):
            try:
                with open(p, "rb") as f:
                    head = f.read(132)
            except OSError:
                continue
            if head[128:132] == b"DICM" or p.suffix.lower() == ".dcm":
                return True
    return False


def stack_kind(path: str | os.PathLike[str]) -> str | None:
    """Which reader opens ``path`` (one of STACK_KINDS), or None when none does."""
    p = Path(path)
    if p.is_dir():
        return "dicom" if _looks_dicom(p) else "folder"
    name = p.name.lower()
    if is_nifti(p):
        return "nifti"
    if name.endswith(TIFF_SUFFIXES):
        return "tiff"
    if name.endswith(VIDEO_SUFFIXES):
        return "video"
    return None


def open_stack(
    path: str | os.PathLike[str], *, kind: str | None = None, read_ahead: int = 8
) -> ReadAhead:
    """Open a video, frame folder, TIFF, NIfTI or DICOM folder as a lazily read stack.

    Raises :class:`~labeldesk.core.ReadError` naming the file when it cannot be read.
    ``read_ahead`` frames after the last one asked for are decoded in a thread (0: none).
    """
    p = Path(path)
    if not p.exists():
        raise ReadError(p, "no such file or folder")
    kind = kind or stack_kind(p)
    readers: dict[str, type[Stack]] = {
        "video": VideoStack,
        "folder": FolderStack,
        "tiff": TiffStack,
        "nifti": NiftiStack,
        "dicom": DicomStack,
    }
    if kind not in readers:
        raise ReadError(
            p, "not a video, TIFF, NIfTI file, image folder or DICOM folder labeldesk can open"
        )
    stack = readers[kind](p)
    return ReadAhead(stack, depth=read_ahead) if read_ahead > 0 else ReadAhead(stack, depth=0)


__all__ = [
    "STACK_KINDS",
    "DicomStack",
    "FolderStack",
    "NiftiStack",
    "ReadAhead",
    "Stack",
    "TiffStack",
    "VideoStack",
    "natural_key",
    "open_stack",
    "stack_kind",
]
