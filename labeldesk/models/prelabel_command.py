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
from typing import Any, TextIO

from labeldesk.core.document import Document
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

    def text(self) -> str:
        n = len(self.written) + len(self.skipped) + len(self.failed)
        rate = len(self.written) / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"prelabel: {n} images: {len(self.written)} written ({self.objects} objects), "
            f"{len(self.skipped)} skipped (already have a JSON), {len(self.failed)} failed "
            f"[{self.seconds:.1f} s, {rate:.2f} images/s]"
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
) -> Job[Summary]:
    """:func:`prelabel_folder` as a :mod:`labeldesk.core.jobs` job: ``Progress(i, n, image
    name)`` after every image, returns the :class:`Summary`. Closing it stops after the image
    being written."""
    from labeldesk.core.machine import mark_machine
    from labeldesk.io import list_images, load_image, to_rgb8, write_labelme
    from labeldesk.models.assist import AssistSession

    folder = Path(src)
    if not folder.is_dir():
        raise LabeldeskError(f"{folder}: not a folder")
    if not label.strip():
        raise LabeldeskError("--label must not be empty")
    images = list_images(folder)
    session = AssistSession(cache_bytes=0)
    if model is not None:
        if not Path(model).is_file():
            raise ModelError(f"{model}: model file not found")
        session.load(model, device=device)
    summary = Summary()
    options: dict[str, Any] = (
        {"points_per_side": points_per_side} if session.has_sam and not session.has_trained else {}
    )
    start = time.perf_counter()
    for done, image_path in enumerate(images, 1):
        json_path = image_path.with_suffix(".json")
        if json_path.exists() and not overwrite:
            summary.skipped.append(image_path)
        else:
            try:
                rgb = to_rgb8(load_image(image_path))
                found = run_job(session.proposals(rgb, **options))
                shapes = [
                    mark_machine(s, "prelabel")  # unreviewed until a person saves the image
                    for s in (p.to_shape(p.label or label) for p in found)
                    if s is not None
                ]
                doc = Document(image_path.name, rgb.shape[0], rgb.shape[1], shapes=shapes)
                write_labelme(doc, json_path, embed_image=False)
                summary.written.append(image_path)
                summary.objects += len(shapes)
            except LabeldeskError as exc:
                summary.failed.append((image_path, str(exc)))
            except (ValueError, OSError, MemoryError) as exc:
                summary.failed.append((image_path, f"{type(exc).__name__}: {exc}"))
        summary.seconds = time.perf_counter() - start
        yield Progress(done, len(images), f"{image_path.name[:30]:<30}")
    return summary


class PrelabelCommand:
    help = "write labelme JSON with proposed objects for every image that has none"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("src", metavar="SRC_DIR", help="folder of images")
        parser.add_argument(
            "--model",
            metavar="PATH",
            help="a trained labeldesk model (.pt/.json) or a SAM/MobileSAM checkpoint; "
            "default: classical segmentation, no model",
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

    def run(self, args: argparse.Namespace) -> int:
        if args.points_per_side < 1:
            print("labeldesk prelabel: --points-per-side must be >= 1", file=sys.stderr)
            return 2
        summary = prelabel_folder(
            args.src,
            model=args.model,
            device=args.device,
            overwrite=args.overwrite,
            label=args.label,
            points_per_side=args.points_per_side,
        )
        print(summary.text())
        return 1 if summary.failed else 0


COMMAND = PrelabelCommand()
