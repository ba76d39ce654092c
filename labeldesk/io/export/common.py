"""What every exporter shares: options, the per-file job, loading one annotated image."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from labeldesk.core.document import Document
from labeldesk.core.errors import ReadError
from labeldesk.io.export.imaging import SourceImage, load_pixels
from labeldesk.io.export.labels import LabelSet
from labeldesk.io.export.raster import Raster, rasterize
from labeldesk.io.export.report import FileResult
from labeldesk.io.labelme import read_labelme


@dataclass(frozen=True)
class ExportOptions:
    """Everything an export needs besides the folders (picklable: sent to the workers).

    Attributes:
        labels: the class list (``labels.txt``).
        noviz: no visualization images.
        noobject: VOC: no object (instance) images.
        nonpy: VOC: no ``.npy`` label arrays.
        val_fraction: share of the images put in the validation split (seeded by ``seed``).
        segmentation: COCO: ``"polygon"`` (exact outline polygons where a polygon can hold
            the object, RLE otherwise) or ``"rle"`` (RLE for every object).
        stuff: COCO panoptic: class names exported as "stuff" (one segment per class).
        allow_outside: export images whose ``imagePath`` resolves outside the source folder
            (``../``, absolute paths, symlinks); refused by default, as a folder someone sends
            you could otherwise copy any file you can read into the dataset.
    """

    labels: LabelSet
    noviz: bool = False
    noobject: bool = False
    nonpy: bool = False
    val_fraction: float = 0.1
    seed: int = 0
    segmentation: str = "polygon"
    stuff: tuple[str, ...] = ()
    allow_outside: bool = False


@dataclass(frozen=True)
class Job:
    """One labelme JSON to export: its path, output name (stem) and split; ``root``: the
    source folder its image must resolve inside ("" = anywhere, ``--allow-outside``)."""

    path: str
    stem: str
    split: str = "train"
    root: str = ""


@dataclass
class Loaded:
    """One annotated image, ready to write: document, 8-bit pixels as displayed, maps."""

    doc: Document
    src: SourceImage
    pixels: np.ndarray
    raster: Raster

    @property
    def size(self) -> tuple[int, int]:
        return self.raster.size


def load(job: Job, labels: LabelSet) -> Loaded:
    """Read the JSON, decode its image (checked against the stored size) and rasterize.

    Raises :class:`~labeldesk.core.errors.ReadError` (or ImageReadError) naming the file.
    """
    doc = read_labelme(job.path, check_image=True)
    if job.root and doc.image_data is None:
        check_inside(doc, Path(job.root))
    src = SourceImage.of(doc)
    size = (doc.image_height, doc.image_width)
    pixels = load_pixels(src, size)
    return Loaded(doc, src, pixels, rasterize(doc.shapes, size, labels))


def check_inside(doc: Document, root: Path) -> None:
    """Refuse an ``imagePath`` that resolves (links followed) outside ``root``."""
    image = doc.image_file()
    try:
        resolved = image.resolve() if image is not None else None
        inside = resolved is not None and resolved.is_relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError) as exc:
        raise ReadError(
            str(doc.path), f"cannot resolve imagePath: {exc}", field="imagePath"
        ) from exc
    if not inside:
        raise ReadError(
            str(doc.path),
            f"imagePath {doc.image_path!r} resolves to {resolved}, outside the source folder "
            f"{root}; not exported (pass --allow-outside if you trust this folder)",
            field="imagePath",
        )


def new_result(job: Job, loaded: Loaded | None = None) -> FileResult:
    result = FileResult(job.path)
    if loaded is not None:
        result.unknown = list(loaded.raster.unknown)
        result.warnings.extend(
            f"shapes[{k.position}] not exported: {k.describe()}" for k in loaded.doc.kept_shapes
        )
    return result


def split_stems(stems: Sequence[str], val_fraction: float, seed: int) -> dict[str, str]:
    """Seeded train/val assignment: ``round(n * val_fraction)`` stems go to ``"val"``."""
    order = sorted(stems)
    random.Random(seed).shuffle(order)
    n_val = round(len(order) * min(max(val_fraction, 0.0), 1.0))
    val = set(order[:n_val])
    return {s: ("val" if s in val else "train") for s in stems}


class Format(Protocol):
    """An export format: folders first, then one call per file (in a worker), then finish."""

    name: str
    title: str

    def check(self, options: ExportOptions) -> None:
        """Raise ExportError when the options cannot work for this format."""

    def prepare(self, out: Path, options: ExportOptions) -> None: ...

    def process(self, out: Path, job: Job, options: ExportOptions) -> FileResult: ...

    def finish(
        self,
        out: Path,
        jobs: Sequence[Job],
        results: list[FileResult | None],
        options: ExportOptions,
    ) -> list[tuple[str, str]]: ...


def jsonable(value: Any) -> Any:
    """numpy scalars to plain Python numbers, for json."""
    if isinstance(value, np.generic):
        return value.item()
    return value
