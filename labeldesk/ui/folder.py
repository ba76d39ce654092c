"""A folder of images and their labelme JSON files: listing, state, class rename (Qt-free).

An image ``photo.jpg`` is annotated by ``photo.json`` next to it (labelme's default). The
long-running functions here are :mod:`labeldesk.core.jobs` jobs (they yield ``Progress`` and
return their result), so a :class:`~labeldesk.ui.workers.base.WorkerHost` can run them in the
background and cancel them at any yield.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError, ReadError
from labeldesk.core.jobs import Job, Progress
from labeldesk.core.machine import MACHINE_KEY
from labeldesk.io import atomic_write_text, list_images, read_labelme
from labeldesk.io.images import is_image_file

UNLABELED, LABELED, EMPTY, BAD = "unlabeled", "labeled", "empty", "bad"
IMAGE_UNREADABLE = "the image cannot be read: "  # starts a "bad" message about the image


def mtime(path: str | os.PathLike[str] | None) -> float | None:
    """The file's modification time in seconds (from the nanosecond stamp, so two writes in
    the same second differ), or None when there is no path or no file."""
    if path is None:
        return None
    try:
        return os.stat(path).st_mtime_ns / 1e9
    except OSError:
        return None


def json_path_for(image: str | os.PathLike[str]) -> Path:
    """The labelme JSON that annotates ``image``: same folder, same stem, ``.json``."""
    return Path(image).with_suffix(".json")


@dataclass(frozen=True)
class FileState:
    """What a folder scan learned about one image's annotation file.

    state: ``"unlabeled"`` (no JSON), ``"labeled"`` (one or more objects), ``"empty"`` (a JSON
    with no objects) or ``"bad"`` (the JSON cannot be read; ``message`` says why).
    machine: how many of the objects are machine-made and not reviewed yet (the ``"machine"``
    shape key of :mod:`labeldesk.core.machine`); the files panel shows them "to review".
    """

    state: str
    count: int = 0
    labels: tuple[str, ...] = ()
    message: str = ""
    damage: str = ""  # the image opens but is incomplete (truncated): why (set by the app)
    machine: int = 0


@dataclass
class FolderScan:
    """Result of :func:`scan_folder`: images in order, their states and label use counts."""

    folder: Path
    images: list[Path]
    states: dict[Path, FileState] = field(default_factory=dict)
    label_files: Counter = field(default_factory=Counter)  # label -> number of files using it


def file_state(image: Path) -> FileState:
    """Read ``image``'s JSON (if any) just enough to say its state and labels."""
    path = json_path_for(image)
    if not path.is_file():
        return FileState(UNLABELED)
    try:  # the real reader: a file the window would refuse is "bad", never "labeled"
        doc = read_labelme(path, check_image=False)
    except ReadError as exc:
        where = f" (field {exc.field!r})" if exc.field else ""
        return FileState(BAD, message=f"{path.name}: {exc.reason}{where}")
    shapes = [s.extra for s in doc.shapes] + [k.raw for k in doc.kept_shapes]
    labels = tuple(s.label for s in doc.shapes) + tuple(k.label for k in doc.kept_shapes)
    machine = sum(1 for s in shapes if MACHINE_KEY in s)
    return FileState(LABELED if labels else EMPTY, len(labels), labels, machine=machine)


def scan_folder(
    folder: str | os.PathLike[str], images: list[Path] | None = None
) -> Job[FolderScan]:
    """Job: state of every image's JSON in ``folder``; returns a :class:`FolderScan`."""
    folder = Path(folder)
    images = list_images(folder) if images is None else images
    scan = FolderScan(folder, images)
    for i, image in enumerate(images):
        if i % 32 == 0:
            yield Progress(i, len(images), f"scanning {folder.name}")
        st = file_state(image)
        scan.states[image] = st
        scan.label_files.update(set(st.labels))
    return scan


@dataclass
class RenameReport:
    """What :func:`rename_label_in_folder` did: files rewritten and files it could not use."""

    old: str
    new: str
    touched: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # messages naming the file

    def summary(self) -> str:
        n = len(self.touched)
        text = f"Renamed {self.old!r} to {self.new!r} in {n} file{'s' if n != 1 else ''}"
        if self.failed:
            text += f"; {len(self.failed)} file(s) left untouched: " + "; ".join(self.failed[:3])
        return text


def rename_label_in_folder(
    folder: str | os.PathLike[str], old: str, new: str, *, skip: Iterable[Path] = ()
) -> Job[RenameReport]:
    """Job: rename label ``old`` to ``new`` in every labelme JSON of ``folder``.

    Each file is changed only in its ``shapes[*].label`` values and written atomically with
    labelme's formatting; every other key is kept as it was. Files in ``skip`` (the open
    document, which the window renames through an undoable command) and files that cannot be
    read are left untouched; a bad file is reported, never rewritten. Returns a
    :class:`RenameReport`.
    """
    folder = Path(folder)
    skipped = {Path(p).resolve() for p in skip}
    report = RenameReport(old, new)
    files = sorted(p for p in folder.glob("*.json") if p.resolve() not in skipped)
    for i, path in enumerate(files):
        if i % 16 == 0:
            yield Progress(i, len(files), f"renaming in {path.name}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            report.failed.append(f"{path.name}: {exc}")
            continue
        if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
            continue  # not a labelme file (a project or class file): not ours to touch
        hits = 0
        for shape in data["shapes"]:
            if isinstance(shape, dict) and shape.get("label") == old:
                shape["label"] = new
                hits += 1
        if not hits:
            continue
        try:
            atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2))
        except LabeldeskError as exc:
            report.failed.append(str(exc))
            continue
        report.touched.append(path)
    return report


def resolve_open_target(path: str | os.PathLike[str]) -> tuple[Path, Path | None]:
    """``(folder, image or None)`` for a folder, an image or a labelme JSON the user opened.

    Raises :class:`ReadError` naming the path when it is none of those.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        return p, None
    if not p.exists():
        raise ReadError(p, "no such file or folder")
    if is_image_file(p):
        return p.parent, p
    if p.suffix.lower() == ".json":
        doc = read_labelme(p, check_image=False)
        image = doc.image_file()
        if image is None or not image.is_file():
            raise ReadError(
                p, f"the image {doc.image_path!r} it annotates is missing", field="imagePath"
            )
        return image.parent, image
    raise ReadError(p, "not a folder, an image or a labelme JSON file")


def load_document(image: Path, height: int, width: int) -> Document:
    """The annotation of ``image`` (read from its JSON), or a new empty one of that size.

    Raises :class:`ReadError` when the JSON exists but cannot be used (the caller must then
    never overwrite it).
    """
    path = json_path_for(image)
    if path.is_file():
        doc = read_labelme(path, check_image=False)
        if not doc.image_height or not doc.image_width:
            doc.image_height, doc.image_width = height, width
        if (doc.image_height, doc.image_width) != (height, width):
            raise ReadError(
                path,
                f"imageWidth x imageHeight is {doc.image_width}x{doc.image_height} but "
                f"{image.name} is {width}x{height}",
                field="imageHeight",
            )
        return doc
    return Document(image.name, height, width, path=path)
