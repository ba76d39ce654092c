"""One image of a review: my annotation against theirs, with the picture of the differences.

Qt-free, so the app's worker thread runs it (:mod:`labeldesk.ui.review`) and tests call it
directly. "Mine" is the annotation being edited (REF of the comparison), "theirs" the other
label set (TEST): ``result.missed`` are objects only in mine, ``result.extra`` only in theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.shapes import Shape
from labeldesk.io.compare.core import ImageResult, compare_rasters, labels_for
from labeldesk.io.export.raster import rasterize
from labeldesk.io.labelme import read_labelme

ONLY_MINE = (230, 40, 40)  # red: in mine, not in theirs
ONLY_THEIRS = (40, 90, 240)  # blue: in theirs, not in mine
OTHER_CLASS = (245, 160, 0)  # orange: both, different classes
ALPHA = 150


@dataclass
class ImageReview:
    """The comparison of one image and its overlay.

    ``rgba`` is an ``(h, w, 4)`` uint8 overlay of the differences placed at ``(x0, y0)``
    (None when the two agree everywhere); ``theirs`` their shapes (for "take theirs");
    ``note`` says why theirs is empty (no file, unreadable file), else "".
    """

    result: ImageResult
    theirs: list[Shape] = field(default_factory=list)
    rgba: np.ndarray | None = None
    x0: int = 0
    y0: int = 0
    note: str = ""


def difference_overlay(mine: np.ndarray, theirs: np.ndarray) -> tuple[np.ndarray | None, int, int]:
    """RGBA of the pixels where two class maps disagree (colours above), cropped to them."""
    a_on, b_on = mine > 0, theirs > 0
    differ = a_on != b_on
    other = a_on & b_on & (mine != theirs)
    anywhere = differ | other
    if not anywhere.any():
        return None, 0, 0
    x, y, w, h = cv2.boundingRect(anywhere.view(np.uint8))
    box = (slice(y, y + h), slice(x, x + w))
    rgba = np.zeros((h, w, 4), np.uint8)
    for mask, colour in (
        (a_on[box] & ~b_on[box], ONLY_MINE),
        (b_on[box] & ~a_on[box], ONLY_THEIRS),
        (other[box], OTHER_CLASS),
    ):
        rgba[mask] = (*colour, ALPHA)
    return rgba, x, y


def review_image(
    name: str,
    size: tuple[int, int],
    mine: Sequence[Shape],
    theirs_json: str | Path,
    *,
    threshold: float = 0.5,
) -> ImageReview:
    """Compare ``mine`` (shapes of an image of ``size = (H, W)``) with the file
    ``theirs_json``; a missing or unreadable file counts as no objects, said in ``note``."""
    path = Path(theirs_json)
    note = ""
    theirs: list[Shape] = []
    if not path.is_file():
        note = f"{path.name} is not in the other folder"
    else:
        try:
            doc = read_labelme(path, check_image=False)
            if (doc.image_height, doc.image_width) != tuple(size):
                note = (
                    f"{path}: image size {doc.image_width}x{doc.image_height} differs from "
                    f"{size[1]}x{size[0]}"
                )
            else:
                theirs = list(doc.shapes)
        except LabeldeskError as exc:
            note = str(exc)
    labels = labels_for([mine, theirs])
    r = rasterize(mine, size, labels)
    t = rasterize(theirs, size, labels)
    result = compare_rasters(name, r, t, labels, threshold=threshold)
    rgba, x0, y0 = difference_overlay(r.cls, t.cls)
    return ImageReview(result, theirs, rgba, x0, y0, note)
