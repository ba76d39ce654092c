"""Import a VOC dataset (class PNGs, optional object PNGs) as labelme JSON files.

Each instance id of ``SegmentationObject/STEM.png`` becomes one object labelled with the class
its pixels have in ``SegmentationClass/STEM.png`` (split by class if they disagree); class
pixels outside any object (``__ignore__`` regions, or every class when there is no object
PNG) become one object per class. Shapes are exact (see ``importers.py``), so exporting the
result again gives the same class PNG and the same objects (ids renumbered only where
``__ignore__`` objects left gaps). ``OUT_DIR/labels.txt`` keeps the class values.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from labeldesk.core.errors import ExportError, ReadError
from labeldesk.core.jobs import Job
from labeldesk.core.shapes import Shape
from labeldesk.io.export.imaging import COLORMAP
from labeldesk.io.export.importers import (
    ImageJob,
    add_shapes,
    check_image,
    image_ref,
    mask_to_shapes,
    run_import,
    write_json,
)
from labeldesk.io.export.labels import BACKGROUND, IGNORE
from labeldesk.io.export.report import FileResult, Report
from labeldesk.io.images import IMAGE_SUFFIXES, PIL_FORMATS

_COLOR_INDEX = {tuple(int(v) for v in c): i for i, c in enumerate(COLORMAP)}


def read_label_png(path: Path) -> tuple[np.ndarray, bool]:
    """A VOC label PNG as ``(H, W)`` int64 values (palette indices, gray, 16-bit, or VOC
    colormap RGB mapped back to indices) and whether it is 8-bit (255 = void). Opened only
    with the image formats labeldesk reads (never EPS/Ghostscript whatever the name). Raises
    ReadError."""
    try:
        with Image.open(path, formats=PIL_FORMATS) as im:
            im.load()
            if im.mode in ("P", "L"):
                return np.asarray(im).astype(np.int64), True
            if im.mode in ("I", "I;16", "I;16B", "I;16L"):
                return np.asarray(im).astype(np.int64), False
            rgb = np.asarray(im.convert("RGB")).astype(np.int64)
    except (OSError, ValueError) as exc:
        raise ReadError(path, f"cannot read the label image: {exc}") from exc
    codes = rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]
    lut = {(r << 16 | g << 8 | b): i for (r, g, b), i in _COLOR_INDEX.items()}
    uniq, inv = np.unique(codes, return_inverse=True)
    try:
        values = np.array([lut[int(u)] for u in uniq], dtype=np.int64)
    except KeyError as exc:
        raise ReadError(path, "an RGB label image with colours outside the VOC colormap") from exc
    return values[inv].reshape(codes.shape), True


def _voc_label(names: Sequence[str], v: int) -> str:
    if v == 255:
        return IGNORE
    return names[v] if v < len(names) and names[v] else f"class_{v}"


def _voc_worker(out: Path, job: ImageJob) -> FileResult:
    result = FileResult(job.name)
    names, cls_path, obj_path = job.payload
    cls, _ = read_label_png(Path(cls_path))
    h, w = cls.shape
    check_image(job, h, w)
    ins, ins_8bit = read_label_png(Path(obj_path)) if obj_path else (None, True)
    if ins is not None and ins.shape != cls.shape:
        raise ReadError(
            obj_path, f"the object image is {ins.shape[1]}x{ins.shape[0]}, the class image {w}x{h}"
        )
    shapes: list[Shape] = []
    groups: list[int] = []
    rest = cls != 0
    if ins is not None:
        void = 255 if ins_8bit else -1
        for k in np.unique(ins):
            if k == 0 or k == void:
                continue
            obj = ins == k
            for v in np.unique(cls[obj]):
                add_shapes(
                    shapes, mask_to_shapes(obj & (cls == v), _voc_label(names, int(v))), groups
                )
        rest &= (ins == 0) | (ins == void)
    for v in np.unique(cls[rest]):
        add_shapes(shapes, mask_to_shapes(rest & (cls == v), _voc_label(names, int(v))), groups)
    unknown = {s.label for s in shapes if s.label.startswith("class_")}
    result.warnings += [
        f"value {u[6:]} is not in the class names; labelled {u!r}" for u in sorted(unknown)
    ]
    write_json(out, job, shapes, h, w)
    return result


def import_voc(
    voc_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    class_names: Sequence[str] | None = None,
    overwrite: bool = False,
    copy_images: bool = False,
    workers: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Job[Report]:
    """Import a VOC folder (``SegmentationClass`` + optional ``SegmentationObject``,
    ``JPEGImages``, ``class_names.txt``) as labelme JSON, one object per instance id."""
    voc = Path(voc_dir)
    cls_dir = voc / "SegmentationClass"
    if not cls_dir.is_dir():
        raise ExportError(f"{voc}: no SegmentationClass folder")
    if class_names is None:
        names_file = voc / "class_names.txt"
        if not names_file.is_file():
            raise ExportError(f"{voc}: no class_names.txt (pass --labels)")
        class_names = [n.strip() for n in names_file.read_text(encoding="utf-8").splitlines()]
    names = [BACKGROUND, *list(class_names)[1:]]  # value 0 is background in VOC
    final = Path(out_dir).absolute()
    jobs = []
    for png in sorted(cls_dir.glob("*.png")):
        stem = png.stem
        image = next(
            (
                p
                for p in (voc / "JPEGImages").glob(f"{stem}.*")
                if p.suffix.lower() in IMAGE_SUFFIXES
            ),
            None,
        )
        obj = voc / "SegmentationObject" / f"{stem}.png"
        payload = (names, str(png), str(obj) if obj.is_file() else None)
        ref = image_ref(image, final) if image else ""
        jobs.append(
            ImageJob(
                str(png), stem, str(image) if image else None, None, None, ref, copy_images, payload
            )
        )
    lines = [IGNORE, *names]
    return run_import(
        "import voc", jobs, _voc_worker, out_dir, lines, overwrite, [voc], workers, should_stop
    )
