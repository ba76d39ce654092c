"""Import COCO (and, in ``voc_import.py``, VOC) datasets as labelme JSON files, one per image.

Every object keeps its pixels exactly: a region is written as labelme polygons when polygons
through its boundary pixels redraw exactly that region (checked by drawing them), and as a
``mask`` shape otherwise (holes, one-pixel-thin parts). COCO RLE always becomes mask shapes; COCO
polygons are decoded the way pycocotools decodes them (``annToMask``) and converted the same
way, so labelme -> COCO -> labelme keeps every instance's pixels. ``keep_vertices`` keeps
COCO polygon vertices as they are instead (editable, but drawn with labelme's rule, which
differs from pycocotools' at the boundary). An object in several pieces becomes several
shapes sharing a ``group_id``. ``OUT_DIR/labels.txt`` lists the classes for a later export.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from labeldesk.core.document import Document
from labeldesk.core.errors import ExportError, ImageReadError, ReadError
from labeldesk.core.jobs import Job
from labeldesk.core.shapes import Shape
from labeldesk.io.export.labels import BACKGROUND
from labeldesk.io.export.outline import center_polygons
from labeldesk.io.export.report import FileResult, Report
from labeldesk.io.export.runner import run_task
from labeldesk.io.images import read_info
from labeldesk.io.labelme import document_to_dict


# -- masks to shapes ---------------------------------------------------------------------------
def tight(mask: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """``(crop, x0, y0)``: the smallest crop of an ``(H, W)`` bool mask holding all of it."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    crop = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return crop, int(cols[0]), int(rows[0])


def mask_to_shapes(mask: np.ndarray, label: str, *, polygons: bool = True) -> list[Shape]:
    """labelme shapes that draw exactly the ``(H, W)`` bool ``mask``: polygons when they can
    (and ``polygons``), else one ``mask`` shape. Empty mask -> ``[]``."""
    found = tight(mask)
    if found is None:
        return []
    crop, x0, y0 = found
    rings, ok = center_polygons(crop) if polygons else ([], False)
    if ok:
        canvas = Image.new("L", (crop.shape[1], crop.shape[0]), 0)
        draw = ImageDraw.Draw(canvas)
        for p in rings:
            draw.polygon([(float(x), float(y)) for x, y in p], outline=1, fill=1)
        if np.array_equal(np.asarray(canvas, dtype=bool), crop):
            return [Shape(label, p + (x0, y0), "polygon") for p in rings]
    h, w = crop.shape
    box = np.array([[x0, y0], [x0 + w - 1, y0 + h - 1]], dtype=np.float64)
    return [Shape(label, box, "mask", mask=crop.copy())]


def add_shapes(
    shapes: list[Shape], new: list[Shape], groups: list[int], description: str = ""
) -> None:
    if len(new) > 1:
        groups.append(len(groups) + 1)
        for s in new:
            s.group_id = groups[-1]
    for s in new:
        s.description = description
    shapes.extend(new)


@dataclass(frozen=True)
class ImageJob:
    """One image to import: where it is, where its JSON goes, and its objects' source."""

    name: str  # the image file (for messages)
    stem: str
    image: str | None
    height: int | None = None
    width: int | None = None
    image_path: str = ""  # imagePath to write (relative to OUT_DIR)
    copy_image: bool = False
    payload: Any = None


def check_image(job: ImageJob, height: int, width: int) -> tuple[int, int]:
    """The image's ``(height, width)``; raises when it is missing or not ``height x width``
    (a size of 0 is taken from the image)."""
    if job.image is None or not Path(job.image).is_file():
        raise ReadError(job.name, "its image file was not found")
    info = read_info(job.image)
    height, width = height or info.height, width or info.width
    if (info.height, info.width) != (height, width):
        raise ImageReadError(
            job.name,
            f"the image {job.image} is {info.width}x{info.height} but the annotation says "
            f"{width}x{height}",
        )
    return height, width


def write_json(out: Path, job: ImageJob, shapes: list[Shape], height: int, width: int) -> None:
    image_path = job.image_path
    if job.copy_image and job.image is not None:
        image_path = job.stem + Path(job.image).suffix
        shutil.copyfile(job.image, out / image_path)
    doc = Document(image_path, height, width, shapes=shapes)
    text = json.dumps(document_to_dict(doc), ensure_ascii=False, indent=2)
    (out / f"{job.stem}.json").write_text(text, encoding="utf-8")


def image_ref(image: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(image.absolute(), out_dir)).as_posix()


def _unique_stems(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        stem = Path(name).stem
        n = seen.get(stem, 0)
        seen[stem] = n + 1
        out.append(stem if n == 0 else f"{stem}_{n + 1}")
    return out


# -- COCO -----------------------------------------------------------------------------------
def _decode_coco(seg: Any, h: int, w: int) -> np.ndarray:
    from pycocotools import mask as mask_utils

    if isinstance(seg, list):
        polys = [p for p in seg if len(p) >= 6]
        if not polys:
            return np.zeros((h, w), dtype=bool)
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
    elif isinstance(seg, dict) and isinstance(seg.get("counts"), list):
        rle = mask_utils.frPyObjects(seg, h, w)
    elif isinstance(seg, dict) and isinstance(seg.get("counts"), str):
        rle = {"size": seg["size"], "counts": seg["counts"].encode("ascii")}
    else:
        raise ValueError("segmentation is neither polygons nor RLE")
    return mask_utils.decode(rle).astype(bool)


def _coco_worker(keep_vertices: bool, out: Path, job: ImageJob) -> FileResult:
    result = FileResult(job.name)
    h, w = check_image(job, int(job.height or 0), int(job.width or 0))
    categories, anns = job.payload
    shapes: list[Shape] = []
    groups: list[int] = []
    for ann in anns:
        where = f"annotation {ann.get('id')}"
        label = categories.get(ann.get("category_id"))
        if label is None:
            result.warnings.append(
                f"{where}: unknown category_id {ann.get('category_id')}; skipped"
            )
            continue
        seg = ann.get("segmentation")
        crowd = "crowd" if ann.get("iscrowd") else ""
        if keep_vertices and isinstance(seg, list):
            new = [
                Shape(label, np.asarray(p, dtype=np.float64).reshape(-1, 2), "polygon")
                for p in seg
                if len(p) >= 6 and len(p) % 2 == 0
            ]
        else:
            try:
                mask = _decode_coco(seg, h, w)
            except (ValueError, TypeError, KeyError) as exc:
                result.warnings.append(f"{where}: cannot decode its segmentation ({exc}); skipped")
                continue
            new = mask_to_shapes(mask, label, polygons=isinstance(seg, list))
        if not new:
            result.warnings.append(f"{where}: empty segmentation; skipped")
            continue
        add_shapes(shapes, new, groups, crowd)
    write_json(out, job, shapes, h, w)
    return result


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ExportError(f"{path}: the annotation file does not exist") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: cannot read the COCO file: {exc}") from exc


def import_coco(
    annotations: str | os.PathLike[str],
    images_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    copy_images: bool = False,
    keep_vertices: bool = False,
    workers: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Job[Report]:
    """Write one labelme JSON per image of a COCO instances file into ``out_dir``.

    Image files are looked up as ``images_dir / file_name``, then by base name.
    ``imagePath`` points at them (relative), or at a copy with ``copy_images``.
    """
    ann_path, images = Path(annotations), Path(images_dir)
    data = _load_json(ann_path)
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise ExportError(f"{ann_path}: not a COCO file (no 'images' list)")

    def records(key: str) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise ExportError(f"{ann_path}: not a COCO file ('{key}' is not a list)")
        return [r for r in value if isinstance(r, dict)]

    categories = {
        c["id"]: str(c["name"]) for c in records("categories") if "id" in c and "name" in c
    }
    by_image: dict[Any, list[dict]] = {}
    order = sorted(records("annotations"), key=lambda a: _as_int(a.get("id")))
    for ann in order:
        by_image.setdefault(ann.get("image_id"), []).append(ann)
    final = Path(out_dir).absolute()
    entries = [im for im in records("images") if isinstance(im.get("file_name"), str)]
    jobs = []
    for im, stem in zip(entries, _unique_stems([e["file_name"] for e in entries]), strict=True):
        path = images / im["file_name"]
        if not path.is_file():
            path = images / Path(im["file_name"]).name
        payload = (categories, by_image.get(im.get("id"), []))
        jobs.append(
            ImageJob(
                str(path),
                stem,
                str(path) if path.is_file() else None,
                im.get("height"),
                im.get("width"),
                image_ref(path, final),
                copy_images,
                payload,
            )
        )
    ordered = [categories[k] for k in sorted(categories, key=_as_int)]
    names = list(dict.fromkeys(n for n in ordered if n != BACKGROUND))  # one line per name
    return run_import(
        "import coco",
        jobs,
        functools.partial(_coco_worker, keep_vertices),
        out_dir,
        [BACKGROUND, *names],
        overwrite,
        [ann_path, images],
        workers,
        should_stop,
    )


def run_import(
    title: str,
    jobs: list[ImageJob],
    worker: Callable[[Path, ImageJob], FileResult],
    out_dir: str | os.PathLike[str],
    label_lines: list[str],
    overwrite: bool,
    protect: list[Path],
    workers: int | None,
    should_stop: Callable[[], bool] | None,
) -> Job[Report]:
    """Run an import's jobs through the export runner; ``labels.txt`` is written last."""

    def finish(out: Path, results: list[FileResult | None]) -> list[tuple[str, str]]:
        (out / "labels.txt").write_text("".join(f"{n}\n" for n in label_lines), encoding="utf-8")
        return []

    if not jobs:
        raise ExportError(f"{title}: no images to import")
    return run_task(
        title,
        jobs,
        [j.name for j in jobs],
        worker,
        out_dir=out_dir,
        overwrite=overwrite,
        protect=protect,
        finish=finish,
        workers=workers,
        should_stop=should_stop,
    )
