"""Per-frame VOC, COCO, YOLO and COCO panoptic exports of a stack, in one command.

``labeldesk export voc|coco|yolo|coco-panoptic SRC OUT_DIR`` takes a video, a TIFF stack, a
NIfTI volume or a DICOM series as SRC: its annotated frames are written (as ``labeldesk
export frames`` writes them: ``000123.png`` + ``000123.json`` for frame 123) to a scratch
folder next to OUT_DIR, the dataset export runs on that folder, and the scratch folder is
removed whatever happens. Dataset entries are named by frame (``000123``), so the VOC PNG, the
COCO ``file_name`` and the YOLO label of a frame all carry its number. A frame folder needs
none of this: it keeps labelme's own layout and is exported as it is.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labeldesk.core.errors import LabeldeskError

SCRATCH_PREFIX = ".labeldesk-frames-"


def is_stack_source(src: str | os.PathLike[str]) -> bool:
    """Whether ``src`` is a video, TIFF, NIfTI file or DICOM folder (not a folder of JSON)."""
    from labeldesk.io.stacks import stack_kind

    p = Path(src)
    if not p.exists():
        return False
    kind = stack_kind(p)
    return kind is not None and kind != "folder"


@contextmanager
def frames_folder(src: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """A scratch folder holding the annotated frames of stack ``src`` with their labelme JSON,
    made next to ``out_dir`` and removed on exit. Raises LabeldeskError when the stack has no
    annotated frame (ReadError when it cannot be read)."""
    from labeldesk.io.stacks import exports, open_stack

    parent = Path(out_dir).resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=parent))
    try:
        folder = scratch / "frames"
        with open_stack(src, read_ahead=0) as stack:
            written = sum(1 for _ in exports.export_frames(stack, folder))
        if not written:
            raise LabeldeskError(f"{src}: no annotated frame to export (its labels are empty)")
        yield folder
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
