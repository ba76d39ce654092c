"""YOLO segmentation export (Ultralytics layout).

Layout of OUT_DIR::

    images/{train,val}/STEM.jpg
    labels/{train,val}/STEM.txt    one line per instance: CLASS x1 y1 x2 y2 ... (0..1)
    data.yaml                      train/val folders and class names (no "path": the folder
                                   of data.yaml is the dataset root)
    classes.txt                    one class name a line (class index = line number)

The class index is the labels-file value minus 1 (``_background_`` is not a YOLO class).
Each instance's polygon runs along the edges of the pixels it shows (the same pixels as the
VOC/COCO exports), normalised by the image width and height. An instance in several pieces
becomes one polygon joined by zero-width bridges; holes cannot be written in this format, so
an instance with holes gets its outer outline and a warning.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from labeldesk.io.export.common import ExportOptions, FileResult, Job, load, new_result
from labeldesk.io.export.imaging import write_jpeg
from labeldesk.io.export.outline import bridge_rings, corner_outlines


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON strings are valid YAML scalars


class YoloFormat:
    name = "yolo"
    title = "export yolo"

    def check(self, options: ExportOptions) -> None:
        return None

    def prepare(self, out: Path, options: ExportOptions) -> None:
        for split in ("train", "val"):
            (out / "images" / split).mkdir(parents=True)
            (out / "labels" / split).mkdir(parents=True)

    def process(self, out: Path, job: Job, options: ExportOptions) -> FileResult:
        loaded = load(job, options.labels)
        result = new_result(job, loaded)
        raster = loaded.raster
        h, w = raster.size
        write_jpeg(loaded.src, loaded.pixels, out / "images" / job.split / f"{job.stem}.jpg")
        lines = []
        for k, inst in enumerate(raster.instances, start=1):
            if inst.value <= 0:
                continue
            vis = raster.visible(k)
            if vis is None:
                result.warnings.append(
                    f"object {inst.label!r} (shape {inst.shapes[0]}) is hidden by later shapes "
                    "or lies outside the image; not exported"
                )
                continue
            rings, holes = corner_outlines(*vis)
            if holes:
                result.warnings.append(
                    f"object {inst.label!r} (shape {inst.shapes[0]}) has holes, which YOLO "
                    "polygons cannot hold; its outer outline was written"
                )
            ring = bridge_rings(rings)
            coords = " ".join(f"{x / w:.6f} {y / h:.6f}" for x, y in ring)
            lines.append(f"{inst.value - 1} {coords}\n")
        (out / "labels" / job.split / f"{job.stem}.txt").write_text(
            "".join(lines), encoding="utf-8"
        )
        return result

    def finish(
        self,
        out: Path,
        jobs: Sequence[Job],
        results: list[FileResult | None],
        options: ExportOptions,
    ) -> list[tuple[str, str]]:
        names = options.labels.names[1:]
        has_val = any(
            job.split == "val" for job, res in zip(jobs, results, strict=True) if res is not None
        )
        yaml = ["# written by labeldesk export yolo", "train: images/train"]
        yaml.append(f"val: images/{'val' if has_val else 'train'}")
        yaml.append(f"nc: {len(names)}")
        yaml.append("names:")
        yaml += [f"  {i}: {_yaml_str(n)}" for i, n in enumerate(names)]
        (out / "data.yaml").write_text("\n".join(yaml) + "\n", encoding="utf-8")
        (out / "classes.txt").write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
        return []


FORMAT = YoloFormat()
