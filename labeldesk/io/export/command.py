"""``labeldesk export {voc,coco,yolo,coco-panoptic} SRC_DIR OUT_DIR --labels LABELS``.

Exit code 0 when every file was written in full, 1 when a file failed or shapes had labels
missing from the labels file (the rest is still written; the report lists them), 2 for bad
arguments, 130 when interrupted (nothing is left behind).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from labeldesk.core.jobs import Job, TerminalBar, run_job
from labeldesk.io.export.report import Report


def progress_bar(
    title: str, stream: TextIO | None = None, *, enabled: bool | None = None
) -> TerminalBar:
    """The export's bar on stderr: files done of total, files per second, the last file."""
    return TerminalBar(title, 0, stream, enabled=enabled, interval=0.1, rate=True)


def drive(task: Job[Report], bar: TerminalBar) -> Report:
    """Run ``task`` to the end, drawing ``bar``; on Ctrl-C the task is closed (cleaned up)."""
    try:
        return run_job(task, on_progress=bar.draw)
    finally:
        bar.close()


def print_report(report: Report, out: TextIO | None = None, err: TextIO | None = None) -> None:
    """Summary on stdout; failures, unknown labels and warnings on stderr."""
    out = out or sys.stdout
    err = err or sys.stderr
    lines = report.lines()
    print(lines[0], file=out)
    for line in lines[1:]:
        print(line, file=err)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "src_dir",
        metavar="SRC_DIR",
        help="folder of labelme .json files, or a video, TIFF, NIfTI or DICOM stack (its"
        " annotated frames, named by frame number)",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="output folder (must not exist)")
    p.add_argument(
        "--labels",
        required=True,
        metavar="LABELS",
        help="labels.txt (optional __ignore__ and _background_ first) or comma-separated names",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an earlier export in OUT_DIR")
    p.add_argument("--workers", type=int, default=None, help="processes (default: one per CPU)")
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="also export images whose imagePath resolves outside SRC_DIR (refused by default)",
    )


def _split(p: argparse.ArgumentParser) -> None:
    p.add_argument("--val-fraction", type=float, default=0.1, help="share for val (default 0.1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the train/val split")


class ExportCommand:
    help = "Export labelme annotations as a VOC, COCO, YOLO or COCO panoptic dataset."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
        from labeldesk.io.stacks.command import add_stack_formats

        add_stack_formats(sub)  # frames, nifti, davis, mot: exports of a video or volume
        voc = sub.add_parser("voc", help="PASCAL VOC segmentation (labelme2voc layout)")
        _common(voc)
        _split(voc)
        voc.add_argument("--noobject", action="store_true", help="no object (instance) images")
        voc.add_argument("--nonpy", action="store_true", help="no .npy label arrays")
        voc.add_argument("--noviz", action="store_true", help="no visualization images")
        coco = sub.add_parser("coco", help="COCO instance segmentation (annotations.json)")
        _common(coco)
        coco.add_argument(
            "--segmentation",
            choices=("polygon", "rle"),
            default="polygon",
            help="polygon: exact pixel-outline polygons, RLE where needed (default); rle: all RLE",
        )
        coco.add_argument("--noviz", action="store_true", help="no visualization images")
        yolo = sub.add_parser("yolo", help="YOLO segmentation (images/, labels/, data.yaml)")
        _common(yolo)
        _split(yolo)
        pan = sub.add_parser("coco-panoptic", help="COCO panoptic (PNG + panoptic.json)")
        _common(pan)
        pan.add_argument(
            "--stuff",
            action="append",
            default=[],
            metavar="NAMES",
            help="comma-separated classes exported as stuff (repeatable)",
        )

    def run(self, args: argparse.Namespace) -> int:
        from labeldesk.io.stacks.command import STACK_FORMATS, run_stack_export

        if args.format in STACK_FORMATS:
            return run_stack_export(args)
        from labeldesk.io.export.api import export_dataset
        from labeldesk.io.export.common import ExportOptions
        from labeldesk.io.export.labels import read_labels

        stuff = tuple(
            s.strip() for arg in getattr(args, "stuff", []) for s in arg.split(",") if s.strip()
        )
        if args.workers is not None and args.workers < 1:
            print("labeldesk export: --workers must be at least 1", file=sys.stderr)
            return 2
        fraction = getattr(args, "val_fraction", 0.1)
        if not 0.0 <= fraction <= 1.0:
            print("labeldesk export: --val-fraction must be between 0 and 1", file=sys.stderr)
            return 2
        options = ExportOptions(
            labels=read_labels(args.labels),
            noviz=getattr(args, "noviz", False),
            noobject=getattr(args, "noobject", False),
            nonpy=getattr(args, "nonpy", False),
            val_fraction=fraction,
            seed=getattr(args, "seed", 0),
            segmentation=getattr(args, "segmentation", "polygon"),
            stuff=stuff,
            allow_outside=getattr(args, "allow_outside", False),
        )
        from labeldesk.io.stacks.dataset import frames_folder, is_stack_source

        def export(src: str) -> Report:
            task = export_dataset(
                args.format, src, args.out_dir, options, overwrite=args.overwrite,
                workers=args.workers,
            )  # fmt: skip
            return drive(task, progress_bar(f"export {args.format}"))

        if is_stack_source(args.src_dir):  # a video or volume: its annotated frames
            with frames_folder(args.src_dir, args.out_dir) as folder:
                report = export(str(folder))
        else:
            report = export(args.src_dir)
        print_report(report)
        return report.exit_code


COMMAND = ExportCommand()
