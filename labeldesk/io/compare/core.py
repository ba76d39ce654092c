"""Compare two label sets of the same images: per image, per class, per object.

REF and TEST are folders of labelme JSON; files are paired by file name. Each file is
rasterized as the VOC export does (:func:`labeldesk.io.export.raster.rasterize`: labelme's
Pillow drawing, shapes in file order with later shapes over earlier ones, an instance =
``(label, group_id)``). ``__ignore__`` shapes are drawn (they cover what lies under them) but
belong to no class: their pixels count in no class's masks. The reference's ``__ignore__``
pixels are the VOID of the panoptic measures (see :mod:`labeldesk.algorithms.matching`).

Without a labels file the classes are every label found in either folder, sorted (a label
``__ignore__`` is taken as the ignore class). With one, shapes whose label it does not list
are left out and reported per image (``unknown``).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.algorithms.matching import (
    Counts,
    Matching,
    class_counts,
    match_instances,
    panoptic_average,
)
from labeldesk.algorithms.metrics import Scores, label_scores
from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.jobs import Progress
from labeldesk.core.shapes import Shape
from labeldesk.io.export.labels import IGNORE, IGNORE_VALUE, LabelSet, parse_labels
from labeldesk.io.export.raster import Instance, Raster, rasterize
from labeldesk.io.labelme import read_labelme

MEASURES = ("dice", "iou", "hausdorff", "hausdorff95", "assd")


@dataclass
class ImageResult:
    """One pair of files compared.

    Attributes:
        name: the JSON file name (the key in the report).
        classes: class name -> :class:`Scores`, for the classes present in REF or TEST.
        counts: class name -> instance :class:`Counts`.
        matches: ``(class, ref object, test object, IoU)``; objects as :func:`describe`.
        missed / extra: reference objects with no match / test objects with no match.
        unknown: labels left out because the labels file does not list them.
    """

    name: str
    size: tuple[int, int]
    classes: dict[str, Scores] = field(default_factory=dict)
    counts: dict[str, Counts] = field(default_factory=dict)
    matches: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    extra: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def worst_dice(self) -> float:
        """The lowest Dice over the image's classes (NaN when it has none): the sort key of
        "lowest agreement first"."""
        values = [s.dice for s in self.classes.values() if not math.isnan(s.dice)]
        return min(values) if values else math.nan

    def mean_dice(self) -> float:
        values = [s.dice for s in self.classes.values() if not math.isnan(s.dice)]
        return float(np.mean(values)) if values else math.nan


@dataclass
class ClassSummary:
    """One class over the folder: means over the images and pooled (micro) overlap."""

    name: str
    images: int = 0  # images where REF or TEST has the class
    one_sided: int = 0  # ... of which only one of them has it (distances infinite)
    sums: dict[str, list[float]] = field(default_factory=dict)
    ref_pixels: int = 0
    test_pixels: int = 0
    overlap: int = 0
    counts: Counts = field(default_factory=Counts)

    def add(self, s: Scores, counts: Counts | None) -> None:
        self.images += 1
        self.ref_pixels += s.ref_pixels
        self.test_pixels += s.test_pixels
        self.overlap += s.overlap
        if s.ref_pixels == 0 or s.test_pixels == 0:
            self.one_sided += 1
        for key, value in s.as_dict().items():
            if math.isfinite(value):
                self.sums.setdefault(key, []).append(value)
        if counts is not None:
            self.counts.add(counts)

    def mean(self, key: str) -> float:
        values = self.sums.get(key, [])
        return float(np.mean(values)) if values else math.nan

    @property
    def dice_pooled(self) -> float:
        total = self.ref_pixels + self.test_pixels
        return 2.0 * self.overlap / total if total else math.nan

    @property
    def iou_pooled(self) -> float:
        union = self.ref_pixels + self.test_pixels - self.overlap
        return self.overlap / union if union else math.nan


@dataclass
class Comparison:
    """The whole comparison: what ``labeldesk compare`` prints and writes."""

    ref: str
    test: str
    spacing: tuple[float, ...] | None
    threshold: float
    images: dict[str, ImageResult] = field(default_factory=dict)
    classes: dict[str, ClassSummary] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)
    only_ref: list[str] = field(default_factory=list)
    only_test: list[str] = field(default_factory=list)
    volume: bool = False  # two label volumes (no objects, no thumbnails)

    def panoptic(self) -> dict[str, float]:
        return panoptic_average({i: c.counts for i, c in enumerate(self.classes.values())})


def describe(raster: Raster, k: int) -> dict[str, Any]:
    """An object of a rasterized file: its label, group_id and shape indices in the file."""
    inst: Instance = raster.instances[k - 1]
    return {"label": inst.label, "group_id": inst.group_id, "shapes": list(inst.shapes)}


def labels_for(docs: Iterable[Document | Sequence[Shape]]) -> LabelSet:
    """Every label of ``docs`` (documents or lists of shapes), sorted, as a labels set
    (``__ignore__`` kept as ignore)."""
    found = {s.label for d in docs for s in (d.shapes if isinstance(d, Document) else d)}
    names = sorted(found - {IGNORE, ""})
    ignore = IGNORE in found
    if not names:
        names = ["object"]  # parse_labels needs one class; nothing will be found
    return parse_labels(([IGNORE] if ignore else []) + names, "labels found in the files")


def compare_documents(
    name: str,
    ref: Document,
    test: Document,
    labels: LabelSet,
    *,
    spacing: Sequence[float] | None = None,
    threshold: float = 0.5,
) -> ImageResult:
    """Compare two annotations of one image (the sizes must agree).

    ``spacing`` is ``(sy, sx)`` per array axis (see :mod:`labeldesk.algorithms.metrics`).
    Raises :class:`LabeldeskError` when the image sizes differ.
    """
    size = (ref.image_height, ref.image_width)
    if (test.image_height, test.image_width) != size:
        raise LabeldeskError(
            f"{name}: image size differs: REF {size[1]}x{size[0]}, "
            f"TEST {test.image_width}x{test.image_height}"
        )
    r = rasterize(ref.shapes, size, labels)
    t = rasterize(test.shapes, size, labels)
    return compare_rasters(name, r, t, labels, spacing=spacing, threshold=threshold)


def compare_rasters(
    name: str,
    r: Raster,
    t: Raster,
    labels: LabelSet,
    *,
    spacing: Sequence[float] | None = None,
    threshold: float = 0.5,
) -> ImageResult:
    """:func:`compare_documents` on rasterized files."""
    out = ImageResult(name, r.size, unknown=sorted(set(r.unknown) | set(t.unknown)))
    values = {v: n for v, n in labels.classes}
    present = sorted(
        v for v in set(np.unique(r.cls).tolist()) | set(np.unique(t.cls).tolist()) if v in values
    )
    for v, scores in label_scores(r.cls, t.cls, present, spacing=spacing).items():
        out.classes[values[v]] = scores
    ref_classes = {k: inst.value for k, inst in enumerate(r.instances, start=1)}
    test_classes = {k: inst.value for k, inst in enumerate(t.instances, start=1)}
    ref_classes = {k: v for k, v in ref_classes.items() if v in values}
    test_classes = {k: v for k, v in test_classes.items() if v in values}
    void = r.cls == IGNORE_VALUE if labels.has_ignore else None
    m: Matching = match_instances(
        r.ins, t.ins, ref_classes, test_classes, threshold=threshold, void=void
    )
    for v, counts in class_counts(m, ref_classes, test_classes).items():
        out.counts[values[v]] = counts
    for rk, tk, value in m.matches:
        out.matches.append(
            {
                "class": values[ref_classes[rk]],
                "ref": describe(r, rk),
                "test": describe(t, tk),
                "iou": value,
            }
        )
    out.missed = [{"class": values[ref_classes[k]], **describe(r, k)} for k in m.missed]
    out.extra = [{"class": values[test_classes[k]], **describe(t, k)} for k in m.extra]
    return out


def json_files(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """The ``*.json`` files of a folder (not recursive), by file name."""
    p = Path(folder)
    if not p.is_dir():
        raise LabeldeskError(f"{p}: not a folder")
    return {f.name: f for f in sorted(p.iterdir()) if f.suffix.lower() == ".json" and f.is_file()}


def _read(path: Path) -> Document | str:
    try:
        return read_labelme(path, check_image=False)
    except LabeldeskError as exc:
        return str(exc)
    except (OSError, ValueError) as exc:
        return f"{path}: {exc}"


def compare_pair(
    job: tuple[str, str, str],
    *,
    labels: LabelSet,
    spacing: Sequence[float] | None,
    threshold: float,
) -> ImageResult:
    """One pair of files ``(name, ref path, test path)``, read and compared (a worker job)."""
    name, ref, test = job
    return compare_documents(
        name,
        read_labelme(ref, check_image=False),
        read_labelme(test, check_image=False),
        labels,
        spacing=spacing,
        threshold=threshold,
    )


def _pair_job(job: tuple[str, str, str], **options: Any):  # type: ignore[no-untyped-def]
    from labeldesk.io.export.report import FileResult

    return FileResult(job[0], data=compare_pair(job, **options))


def compare_folders(
    ref_dir: str | os.PathLike[str],
    test_dir: str | os.PathLike[str],
    *,
    labels: LabelSet | None = None,
    spacing: Sequence[float] | None = None,
    threshold: float = 0.5,
    workers: int | None = 1,
) -> Generator[Progress, None, Comparison]:
    """Compare every pair of files; yields progress, returns the :class:`Comparison`.

    Files only on one side are listed (``only_ref`` / ``only_test``), not scored; files that
    cannot be read, or whose sizes disagree, are listed in ``failed`` with the reason. The
    pairs are compared in ``workers`` processes (None: one per CPU; 1: in this process).
    """
    from labeldesk.io.export.runner import run_jobs

    ref_files, test_files = json_files(ref_dir), json_files(test_dir)
    out = Comparison(str(ref_dir), str(test_dir), tuple(spacing) if spacing else None, threshold)
    out.only_ref = sorted(set(ref_files) - set(test_files))
    out.only_test = sorted(set(test_files) - set(ref_files))
    names = sorted(set(ref_files) & set(test_files))
    good: list[str] = []
    found: list[list[Shape]] = []
    for i, name in enumerate(names):
        yield Progress(i, 2 * len(names), name)
        docs = _read(ref_files[name]), _read(test_files[name])
        bad = [d for d in docs if isinstance(d, str)]
        if bad:
            out.failed.append((name, "; ".join(str(b) for b in bad)))
            continue
        good.append(name)
        if labels is None:
            found.extend(list(d.shapes) for d in docs if isinstance(d, Document))
    if labels is None:
        labels = labels_for(found)
    del found
    for _v, cname in labels.classes:
        out.classes[cname] = ClassSummary(cname)
    jobs = [(name, str(ref_files[name]), str(test_files[name])) for name in good]
    worker = functools.partial(_pair_job, labels=labels, spacing=spacing, threshold=threshold)
    results: dict[str, ImageResult] = {}
    for n, (i, done) in enumerate(run_jobs(worker, jobs, good, workers=workers), start=1):
        if isinstance(done.data, ImageResult):
            results[good[i]] = done.data
        else:
            out.failed.append((good[i], done.error or "failed"))
        yield Progress(len(names) + n, 2 * len(names), good[i])
    for name in sorted(results):
        result = out.images[name] = results[name]
        for cname, scores in result.classes.items():
            out.classes[cname].add(scores, result.counts.get(cname))
    out.failed.sort()
    yield Progress(2 * len(names), 2 * len(names), "done")
    return out
