"""The export entry point shared by ``labeldesk export`` and the app's Export dialog.

Usage (a Qt worker does the same in its thread, updating a progress bar)::

    task = export_dataset("voc", src_dir, out_dir, ExportOptions(labels=read_labels(path)))
    report = run_job(task, on_progress=show)   # show(Progress(done, total, file name))
    report.exit_code                           # Report: failures, unknown labels, exit_code

Cancel by passing ``should_stop`` (the report then has ``cancelled=True``) or by closing the
generator; either way the partial output is removed and an existing OUT_DIR is kept.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

from labeldesk.core.errors import ExportError
from labeldesk.core.jobs import Job as Task
from labeldesk.core.jobs import run_job
from labeldesk.io.export.coco import FORMAT as COCO
from labeldesk.io.export.common import ExportOptions, Format, Job, split_stems
from labeldesk.io.export.panoptic import FORMAT as PANOPTIC
from labeldesk.io.export.report import FileResult, Report
from labeldesk.io.export.runner import run_task
from labeldesk.io.export.voc import FORMAT as VOC
from labeldesk.io.export.yolo import FORMAT as YOLO

FORMATS: dict[str, Format] = {f.name: f for f in (VOC, COCO, YOLO, PANOPTIC)}


def _process(fmt: str, options: ExportOptions, out: Path, job: Job) -> FileResult:
    """Worker entry point (module level, so it pickles into the worker processes)."""
    return FORMATS[fmt].process(out, job, options)


def list_sources(src_dir: str | os.PathLike[str]) -> list[Path]:
    """The labelme JSON files directly in ``src_dir``, sorted by name (as labelme2voc);
    hidden files (``.name.json``, such as an import's marker file) are not labelme files."""
    src = Path(src_dir)
    if not src.is_dir():
        raise ExportError(f"{src}: the source folder does not exist")
    files = sorted(p for p in src.glob("*.json") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ExportError(f"{src}: no labelme .json files in this folder")
    return files


def export_dataset(
    fmt: str,
    src_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    options: ExportOptions,
    *,
    overwrite: bool = False,
    workers: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Task[Report]:
    """Export the labelme files of ``src_dir`` to ``out_dir`` in format ``fmt``.

    Checks the arguments now (unknown format, missing source, refused OUT_DIR: raises
    :class:`ExportError` before writing anything) and returns the generator that does the
    work, yielding :class:`Progress` per file and returning the :class:`Report`.
    ``workers`` processes (default: one per CPU) share the files.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    spec = FORMATS[fmt]
    spec.check(options)
    files = list_sources(src_dir)
    split = split_stems([p.stem for p in files], options.val_fraction, options.seed)
    root = "" if options.allow_outside else str(Path(src_dir).resolve())
    jobs = [Job(str(p), p.stem, split[p.stem], root) for p in files]
    labels_file = Path(options.labels.source)
    protect = [Path(src_dir)] + ([labels_file] if labels_file.is_file() else [])
    return run_task(
        spec.title,
        jobs,
        [j.path for j in jobs],
        functools.partial(_process, fmt, options),
        out_dir=out_dir,
        overwrite=overwrite,
        protect=protect,
        prepare=lambda out: spec.prepare(out, options),
        finish=lambda out, results: spec.finish(out, jobs, results, options),
        workers=workers,
        should_stop=should_stop,
    )


def run_to_end(task: Task[Report]) -> Report:
    """Drive a task without showing progress; returns its report (``run_job(task)``)."""
    return run_job(task)
