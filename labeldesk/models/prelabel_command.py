"""``labeldesk prelabel SRC_DIR [--model PATH] [--device auto|cpu|cuda] [--overwrite] [--label NAME]``.

Writes a labelme JSON next to every image of SRC_DIR that has none, with the objects that
auto-segment proposes: a trained labeldesk model's classes, SAM automatic masks (labelled
``--label``), or with no ``--model`` the classical segmentation (also ``--label``). An image
that already has a JSON is skipped (a person may have labeled it) unless ``--overwrite``.

Exit code 0 when every image was handled, 1 when an image failed (the others are still
written; the failures are listed), 2 for bad arguments, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from labeldesk.core.errors import LabeldeskError, ModelError
from labeldesk.core.jobs import Job, Progress, TerminalBar, run_job


@dataclass
class Summary:
    """What a prelabel run did: per-image counts and ``failed`` (file, reason) pairs."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    objects: int = 0
    seconds: float = 0.0
    model_seconds: float = 0.0  # time spent in the model stage (how busy the device was)

    def text(self) -> str:
        n = len(self.written) + len(self.skipped) + len(self.failed)
        rate = len(self.written) / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"prelabel: {n} images: {len(self.written)} written ({self.objects} objects), "
            f"{len(self.skipped)} skipped (already have a JSON), {len(self.failed)} failed "
            f"[{self.seconds:.1f} s, {rate:.2f} images/s"
            + (
                f", model busy {100 * self.model_seconds / self.seconds:.0f} % of the time]"
                if self.seconds > 0 and self.model_seconds > 0
                else "]"
            )
        ]
        lines += [f"  failed: {path.name}: {reason}" for path, reason in self.failed]
        return "\n".join(lines)


def prelabel_folder(
    src: str | Path,
    *,
    model: str | Path | None = None,
    device: str = "auto",
    overwrite: bool = False,
    label: str = "object",
    points_per_side: int = 16,
    workers: int | None = None,
    batch_size: int | None = None,
    progress: TextIO | None = None,
) -> Summary:
    """Pre-label every image of ``src`` (see module docs); returns the :class:`Summary`.

    Raises LabeldeskError when ``src`` is not a folder or the model cannot be loaded. A
    progress bar is drawn on ``progress`` (default stderr) when it is a terminal.
    """
    job = prelabel_job(
        src,
        model=model,
        device=device,
        overwrite=overwrite,
        label=label,
        points_per_side=points_per_side,
        workers=workers,
        batch_size=batch_size,
    )
    bar = TerminalBar("prelabel", 0, progress or sys.stderr, rate=True)
    try:
        return run_job(job, on_progress=bar.draw)
    finally:
        bar.close()


def prelabel_job(
    src: str | Path,
    *,
    model: str | Path | None = None,
    device: str = "auto",
    overwrite: bool = False,
    label: str = "object",
    points_per_side: int = 16,
    workers: int | None = None,
    batch_size: int | None = None,
) -> Job[Summary]:
    """:func:`prelabel_folder` as a :mod:`labeldesk.core.jobs` job: ``Progress(i, n, image
    name)`` after every image, returns the :class:`Summary`. Closing it stops after the image
    being written.

    The stages overlap (:mod:`labeldesk.models.prelabel_pipeline`): ``workers`` processes
    decode images ahead (None: chosen from the core count and the number of images; 0: none),
    a trained network gets ``batch_size`` same-size images per pass (None: 8 on a GPU, 1 on a
    CPU, where batching gains nothing), and a writer thread writes the JSON files.
    """
    from labeldesk.models import prelabel_pipeline as pipe
    from labeldesk.models.assist import AssistSession

    folder = Path(src)
    if not folder.is_dir():
        raise LabeldeskError(f"{folder}: not a folder")
    if not label.strip():
        raise LabeldeskError("--label must not be empty")
    session = AssistSession(cache_bytes=0)
    if model is not None:
        if not Path(model).is_file():
            raise ModelError(f"{model}: model file not found")
        session.load(model, device=device)
    todo, skipped = pipe.plan(folder, overwrite=overwrite)
    summary = Summary(skipped=skipped)
    options = pipe.proposal_options(session, points_per_side)
    if batch_size is None:  # batching pays on a GPU; on a CPU it was slower (memory bound)
        batch_size = 8 if pipe.model_device(session) == "cuda" else 1
    n_workers = pipe.default_workers(len(todo), session) if workers is None else workers
    total = len(todo) + len(skipped)
    start = time.perf_counter()
    writer = pipe.JsonWriter()
    done = len(skipped)
    try:
        images = pipe.decoded(todo, workers=n_workers)
        busy = [0.0]
        for item, found, error in pipe.batched_proposals(
            session, images, batch_size=batch_size, options=options, busy=busy
        ):
            summary.model_seconds = busy[0]
            if error is not None or found is None or item.rgb is None:
                summary.failed.append((item.path, error or "could not be read"))
            else:
                writer.put(
                    item.path, pipe.document_for(item.path, item.rgb.shape, found, label=label)
                )
            done += 1
            summary.seconds = time.perf_counter() - start
            yield Progress(done, total, f"{item.path.name[:30]:<30}")
    finally:
        written = writer.close()
        summary.written = written.written
        summary.failed += written.failed
        summary.objects = written.objects
        summary.seconds = time.perf_counter() - start
    return summary


class PrelabelCommand:
    help = "write labelme JSON with proposed objects for every image that has none"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("src", metavar="SRC_DIR", help="folder of images")
        parser.add_argument(
            "--model",
            metavar="PATH",
            help="a trained labeldesk model (.json/.pt, or .npz for a pixel forest) or a SAM, "
            "MobileSAM or SAM 2.1 checkpoint; default: classical segmentation, no model",
        )
        parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
        parser.add_argument("--overwrite", action="store_true", help="replace existing JSON files")
        parser.add_argument(
            "--label",
            default="object",
            metavar="NAME",
            help="class of objects without one (default: object)",
        )
        parser.add_argument(
            "--points-per-side",
            type=int,
            default=16,
            metavar="N",
            help="SAM point grid (default 16)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            metavar="N",
            help="processes decoding images ahead (default: none when a network runs on the CPU, "
            "else from the cores; 0: none)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            metavar="N",
            help="images per pass of a trained network (default: 8 on a GPU, 1 on a CPU)",
        )
        parser.add_argument(
            "--ray",
            nargs="?",
            const="auto",
            metavar="ADDRESS",
            help="run on a Ray cluster (ADDRESS, or the one RAY_ADDRESS names, or a local one); "
            "needs pip install 'labeldesk[cluster]'",
        )
        parser.add_argument(
            "--actors",
            type=int,
            default=None,
            metavar="N",
            help="with --ray: model actors (default: one per GPU, else 2)",
        )

    def run(self, args: argparse.Namespace) -> int:
        if args.points_per_side < 1:
            print("labeldesk prelabel: --points-per-side must be >= 1", file=sys.stderr)
            return 2
        for name in ("workers", "batch_size", "actors"):
            value = getattr(args, name)
            if value is not None and value < (0 if name == "workers" else 1):
                flag = "--" + name.replace("_", "-")
                print(
                    f"labeldesk prelabel: {flag} must be >= {0 if name == 'workers' else 1}",
                    file=sys.stderr,
                )
                return 2
        if args.ray is not None:
            from labeldesk.models.prelabel_ray import prelabel_ray

            summary = prelabel_ray(
                args.src,
                address=None if args.ray == "auto" else args.ray,
                model=args.model,
                device=args.device,
                overwrite=args.overwrite,
                label=args.label,
                points_per_side=args.points_per_side,
                batch_size=args.batch_size,
                actors=args.actors,
            )
            print(summary.text())
            return 1 if summary.failed else 0
        summary = prelabel_folder(
            args.src,
            model=args.model,
            device=args.device,
            overwrite=args.overwrite,
            label=args.label,
            points_per_side=args.points_per_side,
            workers=args.workers,
            batch_size=args.batch_size,
        )
        print(summary.text())
        return 1 if summary.failed else 0


COMMAND = PrelabelCommand()
