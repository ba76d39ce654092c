"""Headless stack commands: ``labeldesk propagate``, ``labeldesk interpolate`` and the stack
formats of ``labeldesk export`` (``frames``, ``nifti``, ``davis``, ``mot``).

They read the stack lazily, change the per-frame labelme JSON of its sidecar folder (see
:mod:`labeldesk.io.stacks.sidecar`) and print one summary line.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.jobs import Progress, TerminalBar, run_job

STACK_FORMATS = ("frames", "nifti", "davis", "mot", "coco-video")


def _drive(title: str, job: Iterator[Progress]):  # type: ignore[no-untyped-def]
    bar = TerminalBar(title)
    try:
        return run_job(job, on_progress=bar.draw)  # type: ignore[arg-type]
    finally:
        bar.close()


def _frame(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"a frame number (0-based), got {value!r}") from exc


class PropagateCommand:
    help = "Carry objects of one frame of a video or stack to the following (or earlier) frames."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("src", metavar="SRC", help="video, frame folder, TIFF, NIfTI or DICOM")
        parser.add_argument(
            "--from",
            dest="start",
            type=_frame,
            required=True,
            metavar="I",
            help="the frame whose objects are carried (0-based)",
        )
        parser.add_argument(
            "--to",
            dest="stop",
            type=_frame,
            default=None,
            metavar="J",
            help="last frame (default: the stack's last; J < I propagates backwards)",
        )
        parser.add_argument(
            "--objects",
            default=None,
            metavar="K,L",
            help="indices of the objects of frame I to carry (default: every region object)",
        )
        parser.add_argument("--no-refine", action="store_true", help="optical flow only")
        parser.add_argument(
            "--model",
            default=None,
            metavar="PATH",
            help="a SAM 2.1 checkpoint: track with its video predictor instead of optical flow",
        )
        parser.add_argument("--device", default="auto", help="for --model: auto, cpu, cuda...")

    def run(self, args: argparse.Namespace) -> int:
        from labeldesk.core.stack_jobs import propagate
        from labeldesk.io.stacks import open_stack
        from labeldesk.io.stacks.sidecar import open_annotations

        tracker = None
        if args.model is not None:
            # SAM 2.1's video predictor (labeldesk.models: torch, imported only here)
            from labeldesk.models.stack_tracker import load_video_predictor, sam2_track_masks

            predictor = load_video_predictor(args.model, args.device)
        with open_stack(args.src) as stack:
            if args.model is not None:
                count = len(stack)

                def tracker(plan, frames):  # type: ignore[no-untyped-def]
                    return sam2_track_masks(plan, frames, count, predictor)

            stop = len(stack) - 1 if args.stop is None else args.stop
            for name, v in (("--from", args.start), ("--to", stop)):
                if not 0 <= v < len(stack):
                    raise LabeldeskError(f"{args.src}: {name} {v} is outside 0..{len(stack) - 1}")
            ann = open_annotations(stack)
            indices = None
            if args.objects:
                indices = [int(x) for x in args.objects.split(",") if x.strip()]
                n = len(ann.document(args.start))
                if any(not 0 <= i < n for i in indices):
                    raise LabeldeskError(f"{args.src}: frame {args.start} has {n} objects")
            if not len(ann.document(args.start)):
                raise LabeldeskError(f"{args.src}: frame {args.start} has no objects to carry")
            job = propagate(
                ann,
                stack.frame,
                args.start,
                stop,
                indices=indices,
                refine=not args.no_refine,
                tracker=tracker,
            )
            result = _drive("propagate", job)
            saved = ann.save_all()
        stopped = "".join(f"; track {t} stops at frame {f}" for t, f in result.stopped.items())
        print(f"propagated {result.objects} objects into {len(saved)} frames{stopped}")
        return 0


class InterpolateCommand:
    help = "Fill the frames between two key frames of a stack by interpolating their objects."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("src", metavar="SRC", help="video, frame folder, TIFF, NIfTI or DICOM")
        parser.add_argument(
            "--between",
            nargs=2,
            type=_frame,
            required=True,
            metavar=("I", "J"),
            help="the two key frames (0-based)",
        )

    def run(self, args: argparse.Namespace) -> int:
        from labeldesk.core.stack_jobs import interpolate
        from labeldesk.io.stacks import open_stack
        from labeldesk.io.stacks.sidecar import open_annotations

        i, j = sorted(args.between)
        with open_stack(args.src, read_ahead=0) as stack:
            if not (0 <= i < len(stack) and 0 <= j < len(stack)):
                raise LabeldeskError(f"{args.src}: frames {i}, {j} outside 0..{len(stack) - 1}")
            ann = open_annotations(stack)
            for k in (i, j):
                if not len(ann.document(k)):
                    raise LabeldeskError(f"{args.src}: key frame {k} has no objects")
            result = _drive("interpolate", interpolate(ann, i, j, frames=stack.frame))
            saved = ann.save_all()
        print(f"interpolated {result.objects} objects into {len(saved)} frames")
        return 0


def add_stack_formats(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``frames``, ``nifti``, ``davis`` and ``mot`` to ``labeldesk export``."""
    helps = {
        "frames": "frame images + labelme JSON of the annotated frames (labelme opens OUT)",
        "nifti": "NIfTI label map with the stack's affine + JSON of class names (OUT.nii.gz)",
        "davis": "DAVIS / YouTube-VOS palette PNGs of object ids (OUT folder)",
        "mot": "MOT Challenge CSV of boxes per track (OUT.csv)",
        "coco-video": "COCO with video, frame and track ids, RLE masks (OUT folder)",
    }
    for name in STACK_FORMATS:
        p = sub.add_parser(name, help=helps[name])
        p.add_argument("src", metavar="SRC", help="video, frame folder, TIFF, NIfTI or DICOM")
        p.add_argument("out", metavar="OUT")
        p.add_argument("--overwrite", action="store_true", help="replace an earlier export")
        if name in ("nifti", "coco-video"):
            p.add_argument("--labels", default=None, help="labels.txt or comma-separated names")


def run_stack_export(args: argparse.Namespace) -> int:
    from labeldesk.io.stacks import exports, open_stack

    out = Path(args.out)
    with open_stack(args.src, read_ahead=0) as stack:
        if args.format == "frames":
            job = exports.export_frames(stack, out, overwrite=args.overwrite)
        elif args.format in ("nifti", "coco-video"):
            labels = None
            if args.labels:
                from labeldesk.io.export.labels import read_labels

                labels = list(read_labels(args.labels).names)
            export = exports.export_nifti if args.format == "nifti" else exports.export_coco_video
            job = export(stack, out, labels=labels, overwrite=args.overwrite)
        elif args.format == "davis":
            job = exports.export_davis(stack, out, overwrite=args.overwrite)
        else:
            job = exports.export_mot(stack, out, overwrite=args.overwrite)
        done = 0
        for p in job:
            done = int(p.done)
    print(f"labeldesk export {args.format}: {done} frames -> {out}")
    return 0


STACK_IMPORTS = ("davis", "nifti")


def add_stack_imports(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``davis`` and ``nifti`` to ``labeldesk import`` (into a stack's sidecar folder)."""
    davis = sub.add_parser("davis", help="DAVIS palette PNGs (object ids) into a stack's labels")
    davis.add_argument("src", metavar="STACK", help="the video or volume the PNGs belong to")
    davis.add_argument("source", metavar="PNG_DIR")
    davis.add_argument("--label", default="object", help="class when no objects.json is there")
    nifti = sub.add_parser("nifti", help="a NIfTI label map into a volume's labels")
    nifti.add_argument("src", metavar="STACK", help="the volume (NIfTI, DICOM folder, TIFF)")
    nifti.add_argument("source", metavar="LABELS.nii.gz")
    for p in (davis, nifti):
        p.add_argument("--overwrite", action="store_true", help="replace objects already there")


def run_stack_import(args: argparse.Namespace) -> int:
    from labeldesk.io.stacks import imports, open_stack

    with open_stack(args.src, read_ahead=0) as stack:
        if args.format == "davis":
            job = imports.import_davis(
                stack, Path(args.source), label=args.label, overwrite=args.overwrite
            )
        else:
            job = imports.import_nifti_labels(stack, Path(args.source), overwrite=args.overwrite)
        done = 0
        for p in job:
            done = int(p.done)
    print(f"labeldesk import {args.format}: {done} frames -> {args.src} labels")
    return 0


PROPAGATE = PropagateCommand()
INTERPOLATE = InterpolateCommand()
