"""Imports into a stack's sidecar folder: DAVIS-style PNG sequences and NIfTI label maps.

- DAVIS / YouTube-VOS: one PNG per frame (palette or gray), pixel value = object id, named by
  frame number (``00000.png`` is frame 0). Each id becomes one object per frame with track id
  (group_id) = the object id; labels and tracks come from ``objects.json`` when it is there
  (what ``labeldesk export davis`` writes), else ``label``.
- NIfTI label map ``L[x, y, k]`` with the stack's voxel grid: each value v > 0 of slice k
  becomes one object of frame k, labelled from the JSON sidecar's ``labels`` (what
  ``labeldesk export nifti`` writes) or ``label{v}``, with track id v (a structure is one
  object from slice to slice).

Objects are polygons where a part is one piece without holes, else labelme mask objects
(:func:`labeldesk.core.convert.mask_to_shape`, every pixel kept). A frame that already has
objects is refused unless ``overwrite`` (then its objects are replaced).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labeldesk.core.convert import mask_to_shape
from labeldesk.core.errors import ExportError, ReadError
from labeldesk.core.jobs import Progress
from labeldesk.core.shapes import Shape
from labeldesk.core.stack import StackDocument
from labeldesk.io.images import PIL_FORMATS
from labeldesk.io.stacks.base import Stack
from labeldesk.io.stacks.exports import sidecar_json
from labeldesk.io.stacks.sidecar import open_annotations


def _put(ann: StackDocument, frame: int, shapes: list[Shape], overwrite: bool, src: Path) -> None:
    doc = ann.document(frame)
    if not shapes and not len(doc):
        return  # an empty frame stays without a file
    if len(doc) and not overwrite:
        raise ExportError(f"{src}: frame {frame} has objects already (--overwrite replaces them)")
    doc.replace_all(shapes)
    ann.save(frame)


def _shapes(label_map: np.ndarray, names: dict[int, tuple[str, int | None]]) -> list[Shape]:
    out = []
    for v in np.unique(label_map):
        if v == 0:
            continue
        label, track = names.get(int(v), (f"label{int(v)}", int(v)))
        shape = mask_to_shape(label_map == v, label, min_area=1, group_id=track)
        if shape is not None:
            out.append(shape)
    return out


def import_davis(
    stack: Stack, png_dir: Path, *, label: str = "object", overwrite: bool = False
) -> Iterator[Progress]:
    ann = open_annotations(stack)
    by_name = {stack.frame_name(i): i for i in range(len(stack))}
    found = {}
    for p in png_dir.glob("*.png"):
        if p.stem in by_name:
            found[p] = by_name[p.stem]  # named as labeldesk exports them (000123, img_7)
        elif re.fullmatch(r"\d+", p.stem):
            found[p] = int(p.stem)  # DAVIS: 00000.png is frame 0
    files = sorted(found, key=lambda p: found[p])
    if not files:
        raise ReadError(png_dir, "no frame PNGs named by frame (00000.png) in this folder")
    names: dict[int, tuple[str, int | None]] = {}
    meta = png_dir / "objects.json"
    if meta.is_file():
        try:
            for o in json.loads(meta.read_text(encoding="utf-8"))["objects"]:
                names[int(o["id"])] = (str(o["label"]), o.get("track", int(o["id"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise ReadError(meta, f"not an objects list ({exc})") from exc
    h, w = stack.frame_shape[:2]
    for n, f in enumerate(files, 1):
        frame = found[f]
        if frame >= len(stack):
            raise ReadError(f, f"frame {frame} is past the stack's last ({len(stack) - 1})")
        try:  # the image format allow-list: never EPS/Ghostscript whatever the name
            with Image.open(f, formats=PIL_FORMATS) as im:
                arr = np.asarray(im if im.mode in ("P", "L", "I;16", "I") else im.convert("L"))
        except (OSError, ValueError) as exc:
            raise ReadError(f, f"cannot read the label image: {exc}") from exc
        if arr.shape[:2] != (h, w):
            raise ReadError(f, f"the PNG is {arr.shape[1]}x{arr.shape[0]}, the frames {w}x{h}")
        table = names or {
            int(v): (label, int(v))
            for v in np.unique(arr)
            if v  # ids as tracks
        }
        _put(ann, frame, _shapes(arr, table), overwrite, f)
        yield Progress(n, len(files), f.name, payload=frame)


def import_nifti_labels(stack: Stack, path: Path, *, overwrite: bool = False) -> Iterator[Progress]:
    import nibabel as nib

    try:
        img: Any = nib.load(str(path))
    except Exception as exc:
        raise ReadError(path, f"not a NIfTI file nibabel can read ({exc})") from exc
    h, w = stack.frame_shape[:2]
    want = (w, h, len(stack))
    shape = tuple(int(s) for s in img.shape[:3])
    if shape != want:
        raise ReadError(path, f"the label map is {shape}, the stack's voxel grid {want}")
    if stack.affine is not None and not np.allclose(img.affine, stack.affine, atol=1e-3):
        raise ReadError(path, "the label map's affine differs from the image's")
    names: dict[int, tuple[str, int | None]] = {}
    meta = sidecar_json(path)
    if meta.is_file():
        try:
            labels = json.loads(meta.read_text(encoding="utf-8"))["labels"]
            names = {int(v): (str(name), int(v)) for v, name in labels.items() if int(v)}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ReadError(meta, f"not a labels list ({exc})") from exc
    ann = open_annotations(stack)
    data = np.asarray(img.dataobj)  # one pass; a gzip file is read whole anyway
    frames = [k for k in range(len(stack)) if data[:, :, k].any()]
    for n, k in enumerate(frames, 1):
        plane = np.ascontiguousarray(data[:, :, k].T).astype(np.int64)
        _put(ann, k, _shapes(plane, names), overwrite, path)
        yield Progress(n, len(frames), f"slice {k}", payload=k)
