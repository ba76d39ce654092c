"""COCO panoptic export (the panopticapi format).

Layout of OUT_DIR::

    JPEGImages/STEM.jpg
    panoptic/STEM.png     RGB PNG; segment id = R + 256 * G + 256**2 * B, 0 = void
    panoptic.json         images, annotations (file_name, segments_info), categories

"Things" are instances ``(label, group_id)``: one segment each. Classes named with
``--stuff`` are "stuff": all their pixels in an image form one segment. Background and
``__ignore__`` pixels are void (0). Segments never overlap (they come from the same
class/object maps as the VOC export). Segment ids are 1, 2, ... within each image.
Categories carry ``isthing`` and their VOC colormap colour.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from labeldesk.core.errors import ExportError
from labeldesk.io.export.coco import coco_header
from labeldesk.io.export.common import ExportOptions, FileResult, Job, load, new_result
from labeldesk.io.export.imaging import COLORMAP, PNG_LEVEL, write_jpeg


def id_to_rgb(seg: np.ndarray) -> np.ndarray:
    """``(H, W)`` int segment ids -> ``(H, W, 3)`` uint8 RGB (R + 256 G + 256^2 B)."""
    seg = seg.astype(np.uint32)
    return np.stack([seg & 255, (seg >> 8) & 255, (seg >> 16) & 255], axis=-1).astype(np.uint8)


def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    """Inverse of :func:`id_to_rgb`: ``(H, W, 3)`` -> ``(H, W)`` int64 ids."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


class PanopticFormat:
    name = "coco-panoptic"
    title = "export coco-panoptic"

    def check(self, options: ExportOptions) -> None:
        known = {n for _, n in options.labels.classes}
        unknown = [s for s in options.stuff if s not in known]
        if unknown:
            raise ExportError(f"--stuff names classes not in the labels file: {', '.join(unknown)}")

    def prepare(self, out: Path, options: ExportOptions) -> None:
        (out / "JPEGImages").mkdir()
        (out / "panoptic").mkdir()

    def process(self, out: Path, job: Job, options: ExportOptions) -> FileResult:
        loaded = load(job, options.labels)
        result = new_result(job, loaded)
        raster = loaded.raster
        h, w = raster.size
        write_jpeg(loaded.src, loaded.pixels, out / "JPEGImages" / f"{job.stem}.jpg")
        stuff = set(options.stuff)
        lut = np.zeros(len(raster.instances) + 1, dtype=np.int64)
        segments: list[dict] = []
        stuff_segment: dict[int, dict] = {}
        for k, inst in enumerate(raster.instances, start=1):
            if inst.value <= 0:
                continue
            vis = raster.visible(k)
            if vis is None:
                if inst.label not in stuff:
                    result.warnings.append(
                        f"object {inst.label!r} (shape {inst.shapes[0]}) is hidden by later "
                        "shapes or lies outside the image; not exported"
                    )
                continue
            crop, x0, y0 = vis
            box = (x0, y0, x0 + crop.shape[1], y0 + crop.shape[0])
            area = int(crop.sum())
            seg = stuff_segment.get(inst.value) if inst.label in stuff else None
            if seg is None:
                seg = {"id": len(segments) + 1, "category_id": inst.value, "area": 0, "box": box}
                segments.append(seg)
                if inst.label in stuff:
                    stuff_segment[inst.value] = seg
            seg["area"] += area
            b = seg["box"]
            seg["box"] = (
                min(b[0], box[0]),
                min(b[1], box[1]),
                max(b[2], box[2]),
                max(b[3], box[3]),
            )
            lut[k] = seg["id"]
        ids = lut[raster.ins]
        Image.fromarray(id_to_rgb(ids)).save(
            out / "panoptic" / f"{job.stem}.png", compress_level=PNG_LEVEL
        )
        infos = []
        for seg in segments:
            x0, y0, x1, y1 = seg["box"]
            infos.append(
                {
                    "id": seg["id"],
                    "category_id": seg["category_id"],
                    "area": seg["area"],
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "iscrowd": 0,
                }
            )
        image = {"file_name": f"JPEGImages/{job.stem}.jpg", "height": h, "width": w}
        result.data = {"image": image, "png": f"{job.stem}.png", "segments_info": infos}
        return result

    def finish(
        self,
        out: Path,
        jobs: Sequence[Job],
        results: list[FileResult | None],
        options: ExportOptions,
    ) -> list[tuple[str, str]]:
        data = coco_header("labeldesk export coco-panoptic")
        stuff = set(options.stuff)
        data["categories"] = [
            {
                "id": v,
                "name": n,
                "supercategory": n,
                "isthing": 0 if n in stuff else 1,
                "color": [int(c) for c in COLORMAP[v % 256]],
            }
            for v, n in options.labels.classes
        ]
        for image_id, res in enumerate((r for r in results if r is not None), start=1):
            data["images"].append({"id": image_id, "license": 0, **res.data["image"]})
            data["annotations"].append(
                {
                    "image_id": image_id,
                    "file_name": res.data["png"],
                    "segments_info": res.data["segments_info"],
                }
            )
        with open(out / "panoptic.json", "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        return []


FORMAT = PanopticFormat()
