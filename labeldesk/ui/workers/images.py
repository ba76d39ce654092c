"""Reading images (and their annotation) in the background, for opening and read-ahead."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.jobs import Job, Progress
from labeldesk.io import to_display
from labeldesk.io.atomic import clean_stale_temporaries
from labeldesk.io.damaged import load_image_checked
from labeldesk.ui.canvas.pyramid import coarse_levels
from labeldesk.ui.folder import json_path_for, load_document
from labeldesk.ui.folder import mtime as _mtime
from labeldesk.ui.workers.base import Worker


@dataclass
class LoadedImage:
    """An image ready to show, with its annotation as read at ``json_mtime``.

    raw: the measured pixels, ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``, uint8/uint16/float32.
    display: the uint8 view for the screen (the same array as ``raw`` for 8-bit images).
    document: the annotation, or None when its JSON could not be read (``doc_error`` says why).
    levels: the canvas pyramid's coarse levels of a huge image, built here in the worker so
    the GUI thread does not (empty for images that fit in the pyramid's stored size).
    """

    path: Path
    raw: np.ndarray
    display: np.ndarray
    document: Document | None
    doc_error: str
    json_mtime: float | None
    levels: dict[int, np.ndarray] = field(default_factory=dict)
    damage: str = ""  # why the picture is incomplete (a truncated file), "" when sound

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)``."""
        return int(self.raw.shape[0]), int(self.raw.shape[1])

    def nbytes(self) -> int:
        extra = 0 if self.display is self.raw else self.display.nbytes
        return self.raw.nbytes + extra + sum(a.nbytes for a in self.levels.values())

    def fresh(self) -> bool:
        """True while the JSON on disk is the one ``document`` was read from."""
        return _mtime(json_path_for(self.path)) == self.json_mtime


def read_image(path: Path, max_pixels: int | None = None) -> LoadedImage:
    """Decode ``path`` and read its annotation (in any thread). Raises ImageReadError."""
    kwargs = {} if max_pixels is None else {"max_pixels": max_pixels}
    raw, damage = load_image_checked(path, **kwargs)
    display = np.ascontiguousarray(to_display(raw))
    mtime = _mtime(json_path_for(path))
    clean_stale_temporaries(json_path_for(path))  # left by a save killed mid-write
    try:
        doc, error = load_document(path, raw.shape[0], raw.shape[1]), ""
    except LabeldeskError as exc:
        doc, error = None, str(exc)
    levels = coarse_levels(display)
    return LoadedImage(path, raw, display, doc, error, mtime, levels, damage or "")


class ImageWorker(Worker):
    """Jobs: ``read(path)`` returns a :class:`LoadedImage` (also used for read-ahead)."""

    def __init__(self, max_pixels: int | None = None) -> None:
        super().__init__()
        self.max_pixels = max_pixels

    def read(self, path: Path) -> Job[LoadedImage]:
        yield Progress.at(0.0, f"reading {path.name}")
        return read_image(path, self.max_pixels)
