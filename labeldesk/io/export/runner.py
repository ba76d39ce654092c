"""Run per-file jobs in worker processes, as a generator the CLI and the app both drive.

:func:`run_task` is a :mod:`labeldesk.core.jobs` job: it yields a ``Progress`` after every file
(``payload``: the file's :class:`FileResult`) and returns a :class:`Report`.
It is cancellable at every yield: either pass ``should_stop`` (checked after each file; the
task then returns a report with ``cancelled=True``) or simply ``close()`` the generator. Both
stop the workers and remove the half-written output; an existing OUT_DIR is replaced only
when the task finishes (everything goes to a temporary folder beside it first).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from labeldesk.core.errors import ExportError, LabeldeskError
from labeldesk.core.jobs import Job, Progress
from labeldesk.io.export.report import FileResult, Report

MARKER = ".labeldesk-export.json"
SPAWN_MIN_JOBS = 24  # fewer files than this run in-process when workers must be spawned


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _qt_app_running() -> bool:
    """A Qt application exists in this process (looked up, never imported: io is Qt-free)."""
    qtcore = sys.modules.get("PySide6.QtCore")
    app = getattr(qtcore, "QCoreApplication", None)
    return app is not None and app.instance() is not None


def _mp_context():
    """``fork`` from a plain single-threaded Python process on Linux (fast start); ``spawn``
    otherwise (inside the Qt app, or with Python threads, where forking is not safe)."""
    if (
        sys.platform.startswith("linux")
        and threading.active_count() == 1
        and threading.current_thread() is threading.main_thread()
        and not _qt_app_running()
    ):
        return get_context("fork")
    return get_context("spawn")


def guarded(worker: Callable[[Any], FileResult], job: Any, file: str) -> FileResult:
    """Run ``worker(job)``; any error becomes a failed :class:`FileResult` for ``file``."""
    try:
        return worker(job)
    except LabeldeskError as exc:
        message = str(exc)
        if message.startswith(f"{file}: "):  # the report names the file already
            message = message[len(file) + 2 :]
        return FileResult(file, error=message)
    except MemoryError:
        return FileResult(file, error="out of memory")
    except Exception as exc:  # one broken file must not stop the others
        return FileResult(file, error=f"unexpected error: {type(exc).__name__}: {exc}")


def run_jobs(
    worker: Callable[[Any], FileResult],
    jobs: Sequence[Any],
    files: Sequence[str],
    *,
    workers: int | None = None,
) -> Generator[tuple[int, FileResult], None, None]:
    """Yield ``(index, result)`` for every job as it completes (order not kept).

    ``worker`` must be picklable (a module-level function or a ``functools.partial`` of one).
    With one worker (or one job) everything runs in this process. Closing the iterator
    cancels the jobs not started and waits for the running ones.
    """
    n = len(jobs)
    count = min(workers or default_workers(), n)
    context = _mp_context() if count > 1 else None
    if context is not None and context.get_start_method() == "spawn" and n < SPAWN_MIN_JOBS:
        count = 1  # starting fresh interpreters would take longer than the work
    if count <= 1:
        for i, job in enumerate(jobs):
            yield i, guarded(worker, job, files[i])
        return
    pool = ProcessPoolExecutor(max_workers=count, mp_context=context)
    pending: dict[Future, int] = {}
    window = count * 4
    nxt = 0
    try:
        while nxt < n or pending:
            while nxt < n and len(pending) < window:
                pending[pool.submit(guarded, worker, jobs[nxt], files[nxt])] = nxt
                nxt += 1
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    running = ", ".join(files[j] for j in sorted(pending.values())[:3])
                    raise ExportError(
                        f"a worker process died (out of memory?) while reading {files[i]}"
                        + (f" or {running}" if running else "")
                    ) from exc
                yield i, result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class OutputDir:
    """The output folder, written through a temporary folder beside it.

    An existing ``path`` is refused unless ``overwrite``; even then only an earlier labeldesk
    export (it has the marker file) or an empty folder is replaced, never a folder that holds
    a ``protect``-ed path (the source).
    """

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool, protect: Sequence[Path]):
        self.path = Path(path).absolute()
        if self.path.exists() or self.path.is_symlink():
            if not self.path.is_dir():
                raise ExportError(f"{self.path}: exists and is not a folder")
            if not overwrite:
                raise ExportError(
                    f"{self.path}: the output folder exists (pass --overwrite to replace it)"
                )
            for p in protect:
                p = Path(p).absolute()
                if p == self.path or self.path in p.parents:
                    raise ExportError(
                        f"{self.path}: will not overwrite a folder that holds the input {p}"
                    )
            if any(self.path.iterdir()) and not (self.path / MARKER).is_file():
                raise ExportError(
                    f"{self.path}: not an earlier labeldesk export (no {MARKER}); "
                    "remove it yourself or choose another output folder"
                )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(
                f"{self.path.parent}: cannot create the folder: {exc.strerror or exc}"
            ) from exc
        self.tmp = self.path.parent / f".{self.path.name}.partial-{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> Path:
        try:
            self.tmp.mkdir()
        except OSError as exc:
            raise ExportError(
                f"{self.tmp}: cannot create the folder: {exc.strerror or exc}"
            ) from exc
        return self.tmp

    def __exit__(self, *exc: object) -> None:
        if self.tmp.exists():
            shutil.rmtree(self.tmp, ignore_errors=True)

    def commit(self, info: dict[str, Any]) -> None:
        """Write the marker and move the finished output into place."""
        (self.tmp / MARKER).write_text(
            json.dumps(info, indent=1, ensure_ascii=False), encoding="utf-8"
        )
        old = None
        try:
            if self.path.exists():
                old = self.path.parent / f".{self.path.name}.old-{uuid.uuid4().hex[:8]}"
                os.replace(self.path, old)
            os.replace(self.tmp, self.path)
        except OSError as exc:
            if old is not None and not self.path.exists():
                with contextlib.suppress(OSError):
                    os.replace(old, self.path)
            raise ExportError(
                f"{self.path}: cannot move the output into place: {exc.strerror or exc}"
            ) from exc
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def run_task(
    title: str,
    jobs: Sequence[Any],
    files: Sequence[str],
    worker: Callable[[Path, Any], FileResult],
    *,
    out_dir: str | os.PathLike[str],
    overwrite: bool = False,
    protect: Sequence[Path] = (),
    prepare: Callable[[Path], None] | None = None,
    finish: Callable[[Path, list[FileResult | None]], list[tuple[str, str]]] | None = None,
    workers: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Job[Report]:
    """Run ``worker(tmp_out, job)`` over ``jobs`` (``files[i]`` names job i in messages).

    ``prepare(tmp_out)`` runs first (folders, class lists); ``finish(tmp_out, results)`` last,
    with the results in job order (None for failed files), returning extra warnings.
    OUT_DIR is checked now: :class:`ExportError` is raised before the generator is returned
    (and before anything is written) when it is refused.
    """
    output = OutputDir(out_dir, overwrite=overwrite, protect=protect)
    return _run(title, jobs, files, worker, output, prepare, finish, workers, should_stop)


def _run(
    title: str,
    jobs: Sequence[Any],
    files: Sequence[str],
    worker: Callable[[Path, Any], FileResult],
    output: OutputDir,
    prepare: Callable[[Path], None] | None,
    finish: Callable[[Path, list[FileResult | None]], list[tuple[str, str]]] | None,
    workers: int | None,
    should_stop: Callable[[], bool] | None,
) -> Job[Report]:
    start = time.perf_counter()
    report = Report(title, output.path, total=len(jobs))
    with output as tmp:
        if prepare is not None:
            prepare(tmp)
        results: list[FileResult | None] = [None] * len(jobs)
        done = 0
        bound = functools.partial(worker, tmp)
        finished: list[FileResult | None] = [None] * len(jobs)
        with contextlib.closing(run_jobs(bound, jobs, files, workers=workers)) as running:
            for i, result in running:
                finished[i] = result
                results[i] = result if result.error is None else None
                done += 1
                yield Progress(done, len(jobs), Path(result.file).name, payload=result)
                if should_stop is not None and should_stop():
                    report.cancelled = True
                    report.seconds = time.perf_counter() - start
                    return report
        for done_file in finished:  # the report lists files in input order
            if done_file is not None:
                report.add(done_file)
        if finish is not None:
            report.warnings.extend(finish(tmp, results))
        report.seconds = time.perf_counter() - start
        output.commit(report.to_dict())
    return report
