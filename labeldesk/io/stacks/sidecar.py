"""Where a stack's annotations live: per-frame labelme JSON files in a sidecar folder.

- A video, TIFF, NIfTI file or DICOM folder ``X`` keeps them in ``X.labels/`` beside it
  (``clip.mp4`` -> ``clip.mp4.labels/000123.json`` for frame 123, 0-based, six digits or
  more). Each file's ``imagePath`` is ``000123.png`` in the same folder: that image is not
  written while labeling (the frames stay in the stack); ``labeldesk export frames`` writes
  the frame images next to copies of the JSON files so labelme opens them.
- A frame folder is already labelme's layout: ``frame7.json`` beside ``frame7.jpg``, with
  ``imagePath`` the image's name; labelme opens the folder as it is.

The JSON files are ordinary labelme files (labeldesk's reader and writer); the track id of an
object is its ``group_id`` (see :mod:`labeldesk.core.stack`).
"""

from __future__ import annotations

import re
from pathlib import Path

from labeldesk.core.document import Document
from labeldesk.core.stack import StackDocument
from labeldesk.io.labelme import read_labelme, write_labelme
from labeldesk.io.stacks.base import Stack

FRAME_IMAGE_SUFFIX = ".png"


def sidecar_folder(stack: Stack) -> Path:
    """The folder holding the stack's JSON files."""
    if stack.kind == "folder":
        return stack.path
    return stack.path.with_name(stack.path.name + ".labels")


class SidecarStore:
    """The :class:`~labeldesk.core.stack.FrameStore` of a stack's sidecar folder."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.count = len(stack)
        self.folder = sidecar_folder(stack)
        h, w = stack.frame_shape[:2]
        self.size = (int(h), int(w))

    def json_path(self, index: int) -> Path:
        return self.folder / f"{self.stack.frame_name(index)}.json"

    def image_name(self, index: int) -> str:
        if self.stack.kind == "folder":
            return self.stack.files[index].name  # type: ignore[attr-defined]
        return f"{self.stack.frame_name(index)}{FRAME_IMAGE_SUFFIX}"

    def annotated(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        if self.stack.kind == "folder":
            stems = {p.stem: i for i, p in enumerate(self.stack.files)}  # type: ignore[attr-defined]
            return sorted(stems[p.stem] for p in self.folder.glob("*.json") if p.stem in stems)
        found = []
        for p in self.folder.glob("*.json"):
            if re.fullmatch(r"\d+", p.stem) and int(p.stem) < self.count:
                found.append(int(p.stem))
        return sorted(found)

    def load(self, index: int) -> Document | None:
        path = self.json_path(index)
        if not path.is_file():
            return None
        doc = read_labelme(path, check_image=False)
        if (doc.image_height, doc.image_width) != self.size:
            from labeldesk.core.errors import ReadError

            raise ReadError(
                path,
                f"the file is for a {doc.image_width}x{doc.image_height} image, but frame "
                f"{index} of {self.stack.path.name} is {self.size[1]}x{self.size[0]}",
                field="imageHeight",
            )
        return doc

    def new(self, index: int) -> Document:
        return Document(
            self.image_name(index), self.size[0], self.size[1], path=self.json_path(index)
        )

    def save(self, index: int, document: Document) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if document.path is None:
            document.path = self.json_path(index)
        write_labelme(document, self.json_path(index))


def open_annotations(stack: Stack) -> StackDocument:
    """The stack's per-frame documents, read from (and saved to) its sidecar folder."""
    return StackDocument(SidecarStore(stack))
