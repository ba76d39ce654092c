"""``labeldesk compare REF TEST [--labels L] [--json J] [--csv C] [--spacing SX,SY] [--html H]``.

Compares two folders of labelme JSON for the same images (see :mod:`labeldesk.io.compare`),
two frame stacks by their sidecar folders (``clip.mp4`` -> ``clip.mp4.labels``), or two NIfTI
label maps, and prints a per-class table. Exit code 0 when the comparison ran (unreadable files are listed
with the reason, not fatal), 2 for bad arguments (a missing folder, a bad ``--spacing``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_spacing(text: str | None, *, volume: bool = False) -> tuple[float, ...] | None:
    """``"SX,SY[,SZ]"`` -> the spacing per array axis: ``(SY, SX)`` for images, ``(SZ, SY,
    SX)`` for volumes. Raises ValueError with the reason."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"--spacing: expected numbers SX,SY[,SZ], got {text!r}") from None
    if len(values) not in (2, 3):
        raise ValueError(f"--spacing: expected 2 or 3 numbers SX,SY[,SZ], got {len(values)}")
    if not all(v > 0 and v < float("inf") for v in values):
        raise ValueError(f"--spacing: values must be positive, got {text!r}")
    if volume:
        if len(values) != 3:
            raise ValueError("--spacing: REF and TEST are volumes, give SX,SY,SZ")
        return values[2], values[1], values[0]
    if len(values) == 3:
        raise ValueError(
            "--spacing: SZ is for volumes; REF and TEST are folders of 2-D images, give SX,SY"
        )
    return values[1], values[0]


def annotation_folder(path: str) -> str:
    """A frame stack's annotations: ``clip.mp4`` (a video, TIFF or DICOM folder annotated in
    labeldesk) -> its sidecar folder ``clip.mp4.labels`` of per-frame labelme JSON; any other
    path as it is."""
    sidecar = Path(path.rstrip("/\\") + ".labels")
    return str(sidecar) if sidecar.is_dir() else path


class CompareCommand:
    help = (
        "Compare two label sets of the same images: Dice, IoU, Hausdorff, HD95, ASSD per "
        "image and class, instance matching and panoptic quality."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "ref",
            metavar="REF",
            help="folder of reference labelme .json files, or a NIfTI label map",
        )
        parser.add_argument(
            "test",
            metavar="TEST",
            help="folder of labelme .json files to score, or a NIfTI label map",
        )
        parser.add_argument(
            "--labels",
            metavar="LABELS",
            help="labels.txt or comma-separated names (default: every label found)",
        )
        parser.add_argument("--json", metavar="OUT.json", help="write every number as JSON")
        parser.add_argument("--csv", metavar="OUT.csv", help="one row per image and class")
        parser.add_argument(
            "--spacing",
            metavar="SX,SY",
            help="pixel size along x and y (SX,SY,SZ for volumes): distances in these units "
            "(default: pixels; a volume's own spacing)",
        )
        parser.add_argument("--html", metavar="REPORT.html", help="a self-contained report")
        parser.add_argument(
            "--threshold",
            type=float,
            default=0.5,
            help="IoU above which two objects match (default 0.5, the COCO panoptic rule)",
        )
        parser.add_argument(
            "--worst", type=int, default=8, help="images shown in the HTML report (default 8)"
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="processes (default: one per CPU)"
        )

    def run(self, args: argparse.Namespace) -> int:
        from labeldesk.core.jobs import TerminalBar, run_job
        from labeldesk.io.compare.core import compare_folders
        from labeldesk.io.compare.report import print_summary, write_csv, write_json
        from labeldesk.io.compare.volumes import compare_volumes, is_volume
        from labeldesk.io.export.labels import read_labels

        volume = is_volume(args.ref) and is_volume(args.test)
        if not volume:
            args.ref, args.test = annotation_folder(args.ref), annotation_folder(args.test)
        try:
            spacing = parse_spacing(args.spacing, volume=volume)
        except ValueError as exc:
            print(f"labeldesk compare: {exc}", file=sys.stderr)
            return 2
        if args.workers is not None and args.workers < 1:
            print("labeldesk compare: --workers must be at least 1", file=sys.stderr)
            return 2
        if not 0.0 <= args.threshold < 1.0:
            print("labeldesk compare: --threshold must be in [0, 1)", file=sys.stderr)
            return 2
        for folder in () if volume else (args.ref, args.test):
            if not Path(folder).is_dir():
                print(
                    f"labeldesk compare: {folder}: not a folder (or give two NIfTI label maps)",
                    file=sys.stderr,
                )
                return 2
        labels = read_labels(args.labels) if args.labels and not volume else None
        if volume:
            result = compare_volumes(args.ref, args.test, spacing=spacing)
        else:
            bar = TerminalBar("compare", interval=0.1)
            result = run_job(
                compare_folders(
                    args.ref,
                    args.test,
                    labels=labels,
                    spacing=spacing,
                    threshold=args.threshold,
                    workers=args.workers,
                ),
                on_progress=bar.draw,
            )
            bar.close()
        print_summary(result, sys.stdout)
        if args.json:
            write_json(result, args.json)
            print(f"wrote {args.json}")
        if args.csv:
            write_csv(result, args.csv)
            print(f"wrote {args.csv}")
        if args.html:
            from labeldesk.io.compare.html import write_html

            write_html(result, args.html, labels=labels, worst=max(args.worst, 0))
            print(f"wrote {args.html}")
        return 0


COMMAND = CompareCommand()
