"""``labeldesk import coco ANNOTATIONS.json IMAGES_DIR OUT_DIR`` and
``labeldesk import voc VOC_DIR OUT_DIR``: datasets back to labelme JSON files.

Exit codes as ``labeldesk export``: 0 all written, 1 some images failed (listed), 2 bad
arguments, 130 interrupted.
"""

from __future__ import annotations

import argparse

from labeldesk.io.export.command import drive, print_report, progress_bar


class ImportCommand:
    help = "Import a COCO or VOC dataset as labelme JSON files (one per image)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
        from labeldesk.io.stacks.command import add_stack_imports

        add_stack_imports(sub)  # davis, nifti: into the labels of a video or volume
        coco = sub.add_parser("coco", help="COCO instances file (polygons and RLE)")
        coco.add_argument("annotations", metavar="ANNOTATIONS.json")
        coco.add_argument("images_dir", metavar="IMAGES_DIR", help="folder the file_names are in")
        coco.add_argument(
            "--keep-vertices",
            action="store_true",
            help="keep COCO polygon vertices as they are (default: exact pixels)",
        )
        voc = sub.add_parser("voc", help="VOC SegmentationClass/SegmentationObject PNG pairs")
        voc.add_argument("voc_dir", metavar="VOC_DIR")
        voc.add_argument("--labels", help="class names, one a line (default: class_names.txt)")
        for p in (coco, voc):
            p.add_argument("out_dir", metavar="OUT_DIR", help="output folder (must not exist)")
            p.add_argument("--copy-images", action="store_true", help="copy images into OUT_DIR")
            p.add_argument("--overwrite", action="store_true", help="replace an earlier import")
            p.add_argument("--workers", type=int, default=None, help="processes (default: CPUs)")

    def run(self, args: argparse.Namespace) -> int:
        from labeldesk.io.stacks.command import STACK_IMPORTS, run_stack_import

        if args.format in STACK_IMPORTS:
            return run_stack_import(args)
        from labeldesk.io.export.importers import import_coco
        from labeldesk.io.export.voc_import import import_voc

        common = dict(overwrite=args.overwrite, copy_images=args.copy_images, workers=args.workers)
        if args.format == "coco":
            task = import_coco(
                args.annotations,
                args.images_dir,
                args.out_dir,
                keep_vertices=args.keep_vertices,
                **common,
            )
        else:
            names = None
            if args.labels:
                from labeldesk.io.export.labels import read_labels

                names = list(read_labels(args.labels).names)
            task = import_voc(args.voc_dir, args.out_dir, class_names=names, **common)
        report = drive(task, progress_bar(f"import {args.format}"))
        print_report(report)
        return report.exit_code


COMMAND = ImportCommand()
