"""COCO instance segmentation export: ``OUT_DIR/annotations.json`` + ``JPEGImages/``.

One annotation per instance ``(label, group_id)``, holding the pixels that instance shows in
the class/object maps (the same pixels as the VOC export: later shapes cover earlier ones,
``_background_`` and ``__ignore__`` shapes cut objects and are not exported themselves). An
object hidden entirely by later shapes is left out and reported.

``segmentation`` (``--segmentation polygon``, the default) is a list of polygons along the
object's pixel edges, so ``pycocotools`` ``annToMask`` gives back exactly our pixels (a
triangle's slanted sides become pixel steps; circles, lines and points become such polygons
too, never two-point "polygons"). Objects with holes, objects drawn with ``mask`` shapes, and
any object a polygon cannot hold exactly are written as compressed RLE. ``--segmentation rle``
writes RLE for every object. ``area`` and ``bbox`` are computed from the pixels. Category ids
are the class values of the labels file (1, 2, ...); image and annotation ids start at 1.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from labeldesk.core.errors import ExportError
from labeldesk.io.export.common import ExportOptions, FileResult, Job, load, new_result
from labeldesk.io.export.imaging import to_gray, visualize, write_jpeg, write_jpeg_pixels
from labeldesk.io.export.outline import corner_outlines
from labeldesk.io.export.raster import Raster


def encode_rle(crop: np.ndarray, x0: int, y0: int, size: tuple[int, int]) -> dict[str, Any]:
    """Compressed RLE (pycocotools) of a ``(h, w)`` bool crop placed at ``(x0, y0)`` in an
    image of ``size = (H, W)``; the same bytes as ``mask_utils.encode`` of the full mask,
    computed from the crop (COCO RLE runs down the columns)."""
    height, width = size
    h, w = crop.shape
    padded = np.zeros((w, h + 2), dtype=np.int8)
    padded[:, 1:-1] = crop.T
    col, row = np.divmod(np.flatnonzero(np.diff(padded, axis=1)), h + 1)
    pos = (x0 + col) * height + y0 + row  # run starts and ends, in column order
    if len(pos) > 1:  # a run that goes on at the top of the next column is one run
        joined = np.flatnonzero(pos[1:] == pos[:-1])
        if joined.size:
            pos = np.delete(pos, np.concatenate([joined, joined + 1]))
    counts = np.diff(np.concatenate([[0], pos, [height * width]]))
    if counts[-1] == 0:
        counts = counts[:-1]
    return mask_utils.frPyObjects(
        {"counts": counts.tolist(), "size": [height, width]}, height, width
    )


def instance_segmentation(
    raster: Raster, k: int, mode: str = "polygon"
) -> tuple[Any, float, list[float]] | None:
    """``(segmentation, area, bbox)`` of instance id ``k``, or None when nothing shows.

    ``segmentation`` is a list of flat ``[x1, y1, x2, y2, ...]`` polygons (pixel-corner
    coordinates) when ``mode == "polygon"`` and they reproduce the pixels exactly under
    pycocotools (checked), else ``{"size": [H, W], "counts": str}`` compressed RLE.
    ``bbox`` is ``[x, y, width, height]`` of the pixels, ``area`` their count.
    """
    vis = raster.visible(k)
    if vis is None:
        return None
    crop, x0, y0 = vis
    h, w = raster.size
    rle = encode_rle(crop, x0, y0, (h, w))
    area = float(np.count_nonzero(crop))
    bbox = [float(x0), float(y0), float(crop.shape[1]), float(crop.shape[0])]
    if mode == "polygon" and not raster.instances[k - 1].has_mask:
        rings, holes = corner_outlines(crop, x0, y0)
        if not holes and rings and all(len(r) >= 3 for r in rings):
            polygons = [ring.ravel().tolist() for ring in rings]
            back = mask_utils.merge(mask_utils.frPyObjects(polygons, h, w))
            if back["counts"] == rle["counts"]:
                return polygons, area, bbox
    return {"size": [h, w], "counts": rle["counts"].decode("ascii")}, area, bbox


def boundaries(ins: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: pixels whose right or lower neighbour has another instance id."""
    edge = np.zeros(ins.shape, dtype=bool)
    edge[:, :-1] |= ins[:, :-1] != ins[:, 1:]
    edge[:-1, :] |= ins[:-1, :] != ins[1:, :]
    return edge


class CocoFormat:
    name = "coco"
    title = "export coco"

    def check(self, options: ExportOptions) -> None:
        if options.segmentation not in ("polygon", "rle"):
            raise ExportError(
                f"--segmentation must be polygon or rle, not {options.segmentation!r}"
            )

    def prepare(self, out: Path, options: ExportOptions) -> None:
        (out / "JPEGImages").mkdir()
        if not options.noviz:
            (out / "Visualization").mkdir()

    def process(self, out: Path, job: Job, options: ExportOptions) -> FileResult:
        loaded = load(job, options.labels)
        result = new_result(job, loaded)
        raster = loaded.raster
        h, w = raster.size
        write_jpeg(loaded.src, loaded.pixels, out / "JPEGImages" / f"{job.stem}.jpg")
        annotations = []
        for k, inst in enumerate(raster.instances, start=1):
            if inst.value <= 0:
                continue
            seg = instance_segmentation(raster, k, options.segmentation)
            if seg is None:
                first = inst.shapes[0]
                result.warnings.append(
                    f"object {inst.label!r} (shape {first}) is hidden by later shapes or lies "
                    "outside the image; not exported"
                )
                continue
            segmentation, area, bbox = seg
            ann = {
                "category_id": inst.value,
                "segmentation": segmentation,
                "area": area,
                "bbox": bbox,
                "iscrowd": 0,
            }
            # encoded here, in the worker: the main process only joins the pieces
            annotations.append(json.dumps(ann, separators=(",", ":"))[1:])
        if not options.noviz:
            names = options.labels.names
            caption = lambda v: names[v] if 0 < v < len(names) else None  # noqa: E731
            viz = visualize(to_gray(loaded.pixels), raster.cls, caption)
            viz[boundaries(raster.ins)] = 255
            write_jpeg_pixels(viz, out / "Visualization" / f"{job.stem}.jpg", quality=90)
        image = {"file_name": f"JPEGImages/{job.stem}.jpg", "height": h, "width": w}
        result.data = {"image": image, "annotations": annotations}
        return result

    def finish(
        self,
        out: Path,
        jobs: Sequence[Job],
        results: list[FileResult | None],
        options: ExportOptions,
    ) -> list[tuple[str, str]]:
        header = coco_header("labeldesk export")
        categories = [
            {"supercategory": None, "id": v, "name": n} for v, n in options.labels.classes
        ]
        done = [r for r in results if r is not None]

        def dump(value: Any) -> str:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

        with open(out / "annotations.json", "w", encoding="utf-8") as f:
            f.write(f'{{"info":{dump(header["info"])},"licenses":{dump(header["licenses"])}')
            f.write(',"images":[')
            f.write(
                ",".join(
                    dump({"id": i, "license": 0, **r.data["image"]}) for i, r in enumerate(done, 1)
                )
            )
            f.write('],"annotations":[')
            ann_id = 0
            for image_id, res in enumerate(done, start=1):
                for body in res.data["annotations"]:
                    ann_id += 1
                    f.write(
                        f'{"," if ann_id > 1 else ""}{{"id":{ann_id},"image_id":{image_id},{body}'
                    )
            f.write(f'],"categories":{dump(categories)}}}')
        return []


def coco_header(description: str) -> dict[str, Any]:
    now = datetime.datetime.now()
    return {
        "info": {
            "description": description,
            "version": "1.0",
            "year": now.year,
            "date_created": now.strftime("%Y-%m-%d %H:%M:%S"),
        },
        "licenses": [{"id": 0, "name": None, "url": None}],
        "images": [],
        "annotations": [],
        "categories": [],
    }


FORMAT = CocoFormat()
