"""The stages of ``labeldesk prelabel``, shared by the single-machine and the Ray paths.

One image goes ``decode -> model -> document -> JSON text -> file``. On one machine the stages
overlap: images are decoded ahead in worker processes (:func:`decoded`), a trained network
sees batches of same-size images (:func:`batched_proposals`), and JSON files are written by a
writer thread (:class:`JsonWriter`) while the model works on the next batch. The Ray path
(:mod:`labeldesk.models.prelabel_ray`) runs the same functions as Ray Data stages, so both
write the same bytes: :func:`document_for` and :func:`labelme_text` are the only place an
image's proposals become a file.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.machine import mark_machine
from labeldesk.core.proposals import Proposal


def plan(folder: Path, *, overwrite: bool) -> tuple[list[Path], list[Path]]:
    """``(to do, skipped)``: the images of ``folder``; one that already has a JSON is skipped
    (a person may have labeled it) unless ``overwrite``. Re-running a stopped run therefore
    resumes where it stopped."""
    from labeldesk.io import list_images

    todo: list[Path] = []
    skipped: list[Path] = []
    for image_path in list_images(folder):
        (skipped if json_path_for(image_path).exists() and not overwrite else todo).append(
            image_path
        )
    return todo, skipped


def json_path_for(image_path: Path) -> Path:
    return image_path.with_suffix(".json")


def failure_text(exc: BaseException) -> str:
    """The reason listed for a failed image: our own errors already name the file."""
    if isinstance(exc, LabeldeskError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


# -- decode ----------------------------------------------------------------------------------------
@dataclass
class Decoded:
    """One image read for the model: ``rgb`` ``(H, W, 3)`` uint8, or ``error`` saying why not."""

    path: Path
    rgb: np.ndarray | None
    error: str | None = None


def decode_one(path: str) -> tuple[str, np.ndarray | None, str | None]:
    """``(path, rgb, None)`` or ``(path, None, reason)``; never raises (runs in a worker)."""
    from labeldesk.io import load_image, to_rgb8

    try:
        return path, to_rgb8(load_image(path)), None
    except (LabeldeskError, ValueError, OSError, MemoryError) as exc:
        return path, None, failure_text(exc)


def default_workers(n_images: int, session: Any = None) -> int:
    """Decode processes: none for a handful of images (starting them costs ~0.5 s each), none
    when a network runs on the CPU (its threads already use every core: measured, a decode
    process there made a U-Net run 25 % slower), else the cores left over, at most 4."""
    if n_images < 8 or model_device(session) == "cpu":
        return 0
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def model_device(session: Any) -> str | None:
    """Where the session's proposals run: "cpu", "cuda", "mps", or None for the classical
    (model-free) source."""
    if session is None:
        return None
    source = session.resolve_source()
    info = {"model": session.trained_info, "sam": session.sam_info}.get(source)
    return None if info is None else str(info.device)


def decoded(paths: Sequence[Path], *, workers: int, ahead: int = 8) -> Iterator[Decoded]:
    """The images of ``paths`` in order, decoded by ``workers`` processes that keep up to
    ``ahead`` images in flight (0 workers: decoded here, one at a time). Closing the iterator
    stops the workers."""
    if workers <= 0:
        for p in paths:
            yield Decoded(*_as_path(decode_one(str(p))))
        return
    # spawn, not fork: the parent may already run torch's threads
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"))
    todo = list(paths)
    given = 0  # images handed out so far
    try:
        pending: deque[Future[Any]] = deque()
        while given < min(len(todo), max(1, ahead)):
            pending.append(pool.submit(decode_one, str(todo[given])))
            given += 1
        while pending:
            result = pending[0].result()
            pending.popleft()
            if given < len(todo):
                pending.append(pool.submit(decode_one, str(todo[given])))
                given += 1
            yield Decoded(*_as_path(result))
    except BrokenProcessPool:
        # a worker could not start or died (e.g. a main module that cannot be re-imported):
        # decode the rest here, in order
        for p in todo[given - len(pending) :]:
            yield Decoded(*_as_path(decode_one(str(p))))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _as_path(row: tuple[str, np.ndarray | None, str | None]) -> tuple[Path, Any, Any]:
    return Path(row[0]), row[1], row[2]


# -- model -----------------------------------------------------------------------------------------
def proposal_options(session: Any, points_per_side: int) -> dict[str, Any]:
    """Options for ``session.proposals``: the SAM point grid when SAM makes the proposals."""
    return (
        {"points_per_side": points_per_side} if session.has_sam and not session.has_trained else {}
    )


def batched_proposals(
    session: Any,
    items: Iterable[Decoded],
    *,
    batch_size: int,
    options: dict[str, Any],
    busy: list[float] | None = None,
) -> Iterator[tuple[Decoded, list[Proposal] | None, str | None]]:
    """``(image, proposals, error)`` per image, in order. With a trained network and
    ``batch_size > 1``, consecutive images of the same size go through the network together
    (one forward pass per batch); any other source runs image by image. The seconds spent in
    the model are added to ``busy[0]`` (how busy the device was)."""
    import time

    from labeldesk.core.jobs import run_job

    clock = busy if busy is not None else [0.0]

    model = session.trained_model if session.resolve_source() == "model" else None
    batchable = model is not None and batch_size > 1 and getattr(model, "kind", "") != "forest"
    group: list[Decoded] = []

    def flush() -> Iterator[tuple[Decoded, list[Proposal] | None, str | None]]:
        from labeldesk.models.proposals import model_batch_proposals

        t0 = time.perf_counter()
        try:
            found = model_batch_proposals(
                model, [d.rgb for d in group if d.rgb is not None], **options
            )
        except (LabeldeskError, ValueError, MemoryError) as exc:
            for d in group:
                yield d, None, failure_text(exc)
        else:
            clock[0] += time.perf_counter() - t0
            yield from ((d, f, None) for d, f in zip(group, found, strict=True))
        group.clear()

    for item in items:
        if item.rgb is None:
            yield item, None, item.error
            continue
        if not batchable:
            t0 = time.perf_counter()
            try:
                one = run_job(session.proposals(item.rgb, **options))
            except (LabeldeskError, ValueError, MemoryError) as exc:
                yield item, None, failure_text(exc)
            else:
                clock[0] += time.perf_counter() - t0
                yield item, one, None
            continue
        if group and (group[0].rgb.shape != item.rgb.shape or len(group) >= batch_size):  # type: ignore[union-attr]
            yield from flush()
        group.append(item)
    if group:
        yield from flush()


# -- document and file -----------------------------------------------------------------------------
def document_for(
    image_path: Path, rgb_shape: tuple[int, ...], found: list[Proposal], *, label: str
) -> Document:
    """The labelme document of one image's proposals: every object marked machine-made
    ("prelabel"; unreviewed until a person saves the image in the app)."""
    shapes = [
        mark_machine(s, "prelabel")
        for s in (p.to_shape(p.label or label) for p in found)
        if s is not None
    ]
    return Document(image_path.name, int(rgb_shape[0]), int(rgb_shape[1]), shapes=shapes)


def labelme_text(doc: Document, json_path: Path) -> str:
    """The exact file text ``write_labelme(doc, json_path, embed_image=False)`` writes."""
    from labeldesk.io.labelme import dumps_labelme

    doc.image_data = None
    return dumps_labelme(doc, json_path)


@dataclass
class WriteResult:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    objects: int = 0


class JsonWriter:
    """Writes labelme files on a background thread (serialising JSON is Python work that
    overlaps the model's), at most ``depth`` documents queued. :meth:`close` waits for the
    queue and returns what was written and what failed."""

    def __init__(self, depth: int = 16) -> None:
        self._queue: queue.Queue[tuple[Path, Document] | None] = queue.Queue(maxsize=depth)
        self.result = WriteResult()
        self._thread = threading.Thread(target=self._run, name="prelabel-writer", daemon=True)
        self._thread.start()

    def put(self, image_path: Path, doc: Document) -> None:
        self._queue.put((image_path, doc))

    def _run(self) -> None:
        from labeldesk.io.atomic import atomic_write_text

        while (item := self._queue.get()) is not None:
            image_path, doc = item
            json_path = json_path_for(image_path)
            try:
                atomic_write_text(json_path, labelme_text(doc, json_path))
            except (LabeldeskError, OSError, ValueError) as exc:
                self.result.failed.append((image_path, failure_text(exc)))
            else:
                self.result.written.append(image_path)
                self.result.objects += len(doc.shapes)

    def close(self) -> WriteResult:
        self._queue.put(None)
        self._thread.join()
        return self.result
