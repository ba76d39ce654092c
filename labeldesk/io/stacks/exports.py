"""Exports of a stack's annotations: frame images for labelme, NIfTI label map, DAVIS, MOT.

- ``export_frames``: for every annotated frame, the frame image (PNG) and a copy of its JSON
  whose ``imagePath`` names it, so labelme opens the folder. uint8 and uint16 frames are
  written as they are; other depths (CT's int16, float) as the 8-bit display view.
- ``export_nifti``: one label map ``L[x, y, k]`` (uint8, uint16 past 255 classes) with the
  stack's affine (for videos and folders, a diagonal of the spacing), plus ``NAME.json`` with
  the class names by value. Shapes are drawn as labelme draws them, in file order.
- ``export_davis``: one palette PNG per frame from the first to the last annotated frame,
  value = object id (VOC/DAVIS palette), ids stable across frames: one id per track
  ``(label, group_id)`` in order of first appearance; an object without a track id is its own
  object on its own frame. ``objects.json`` maps ids to label and track.
- ``export_mot``: a MOT Challenge CSV ``frame,id,left,top,width,height,conf,-1,-1,-1``
  (frames 1-based, boxes of the drawn pixels, conf 1) with the DAVIS ids, and
  ``NAME.json`` mapping ids to label and track.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.core.document import Document
from labeldesk.core.errors import ExportError
from labeldesk.core.jobs import Progress
from labeldesk.core.stack import StackDocument
from labeldesk.io.atomic import atomic_write_text
from labeldesk.io.export.imaging import PALETTE
from labeldesk.io.images import to_display
from labeldesk.io.labelme import write_labelme
from labeldesk.io.stacks.base import Stack
from labeldesk.io.stacks.sidecar import SidecarStore, open_annotations

Job = Iterator[Progress]


def _out_dir(path: Path, overwrite: bool) -> None:
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise ExportError(f"{path}: the output folder exists and is not empty (--overwrite)")
    path.mkdir(parents=True, exist_ok=True)


def save_frame_image(frame: np.ndarray, path: Path) -> None:
    """A frame as PNG: uint8/uint16 kept, other depths as the display view."""
    if frame.dtype == np.uint16 and frame.ndim == 2:
        Image.fromarray(frame).save(path, format="PNG")
        return
    Image.fromarray(to_display(frame)).save(path, format="PNG")


def export_frames(stack: Stack, out: Path, *, overwrite: bool = False) -> Iterator[Progress]:
    """Frame images plus their JSON files for every annotated frame of ``stack``."""
    ann = open_annotations(stack)
    store: SidecarStore = ann.store  # type: ignore[assignment]
    frames = ann.annotated_frames()
    _out_dir(out, overwrite)
    for n, i in enumerate(frames, 1):
        doc = ann.document(i)
        name = store.image_name(i)
        if stack.kind == "folder":
            shutil.copy2(stack.files[i], out / name)  # type: ignore[attr-defined]
        else:
            save_frame_image(stack.frame(i), out / name)
        copy = Document(
            name,
            doc.image_height,
            doc.image_width,
            shapes=[s.copy() for s in doc.shapes],
            flags=doc.flags,
            extra=doc.extra,
            version=doc.version,
            path=out / f"{Path(name).stem}.json",
        )
        write_labelme(copy, out / f"{Path(name).stem}.json", embed_image=False)
        yield Progress(n, len(frames), name, payload=i)


def class_names(ann: StackDocument, labels: list[str] | None = None) -> list[str]:
    """Class names by value, 0 = ``_background_``: ``labels`` or those met in frame order."""
    if labels is not None:
        names = [x for x in labels if x not in ("__ignore__", "_background_")]
    else:
        names = []
        for i in ann.annotated_frames():
            for s in ann.document(i).shapes:
                if s.label not in names:
                    names.append(s.label)
    return ["_background_", *names]


def _frame_labels(doc: Document, size: tuple[int, int], value: dict[str, int]) -> np.ndarray:
    out = np.zeros(size, np.int32)
    for s in doc.shapes:
        if s.label not in value:
            raise ExportError(f"{doc.path}: label {s.label!r} is not in the labels list")
        out[shape_to_mask(size, s.points, s.shape_type, mask=s.mask)] = value[s.label]
    return out


def export_nifti(
    stack: Stack, out: Path, *, labels: list[str] | None = None, overwrite: bool = False
) -> Iterator[Progress]:
    """The label map of ``stack`` as NIfTI with its geometry, and a JSON of class names."""
    import nibabel as nib

    if out.exists() and not overwrite:
        raise ExportError(f"{out}: the file exists (--overwrite replaces it)")
    ann = open_annotations(stack)
    names = class_names(ann, labels)
    value = {name: v for v, name in enumerate(names)}
    h, w = stack.frame_shape[:2]
    dtype = np.uint8 if len(names) <= 256 else np.uint16
    vol = np.zeros((w, h, len(stack)), dtype)
    frames = ann.annotated_frames()
    for n, i in enumerate(frames, 1):
        vol[:, :, i] = _frame_labels(ann.document(i), (h, w), value).T
        yield Progress(n, len(frames), f"frame {i}", payload=i)
    affine = stack.affine if stack.affine is not None else np.diag([*stack.spacing, 1.0])
    img = nib.Nifti1Image(vol, affine)
    img.header.set_zooms(tuple(float(s) for s in stack.spacing))
    img.header.set_xyzt_units("mm")
    out.parent.mkdir(parents=True, exist_ok=True)
    nib.save(img, str(out))
    meta = {
        "source": str(stack.path),
        "labels": {str(v): name for v, name in enumerate(names)},
        "spacing": list(stack.spacing),
        "annotated_frames": frames,
    }
    atomic_write_text(sidecar_json(out), json.dumps(meta, indent=2) + "\n")


def sidecar_json(out: Path) -> Path:
    name = out.name
    for suffix in (".nii.gz", ".nii", ".csv"):
        if name.lower().endswith(suffix):
            return out.with_name(name[: -len(suffix)] + ".json")
    return out.with_name(name + ".json")


def object_ids(ann: StackDocument) -> tuple[dict[tuple[int, int], int], list[dict[str, Any]]]:
    """``(frame, shape index) -> object id`` and the objects' descriptions (id order)."""
    ids: dict[tuple[int, int], int] = {}
    tracks: dict[tuple[str, int], int] = {}
    objects: list[dict[str, Any]] = []
    for i in ann.annotated_frames():
        for k, s in enumerate(ann.document(i).shapes):
            key = (s.label, s.group_id) if s.group_id is not None else None
            if key is not None and key in tracks:
                ids[(i, k)] = tracks[key]
                continue
            objects.append({"id": len(objects) + 1, "label": s.label, "track": s.group_id})
            ids[(i, k)] = len(objects)
            if key is not None:
                tracks[key] = len(objects)
    return ids, objects


def export_davis(stack: Stack, out: Path, *, overwrite: bool = False) -> Iterator[Progress]:
    """Palette PNGs of object ids, from the first to the last annotated frame."""
    ann = open_annotations(stack)
    ids, objects = object_ids(ann)
    if len(objects) > 255:
        raise ExportError(f"{stack.path}: {len(objects)} objects; DAVIS PNGs hold 255")
    frames = ann.annotated_frames()
    _out_dir(out, overwrite)
    h, w = stack.frame_shape[:2]
    span = list(range(frames[0], frames[-1] + 1)) if frames else []
    annotated = set(frames)
    for n, i in enumerate(span, 1):
        label = np.zeros((h, w), np.uint8)
        if i in annotated:
            for k, s in enumerate(ann.document(i).shapes):
                label[shape_to_mask((h, w), s.points, s.shape_type, mask=s.mask)] = ids[(i, k)]
        im = Image.fromarray(label, mode="P")
        im.putpalette(PALETTE)
        im.save(out / f"{stack.frame_name(i)}.png", format="PNG")
        yield Progress(n, len(span), f"frame {i}", payload=i)
    atomic_write_text(out / "objects.json", json.dumps({"objects": objects}, indent=2) + "\n")


def export_mot(stack: Stack, out: Path, *, overwrite: bool = False) -> Iterator[Progress]:
    """Boxes per track as a MOT Challenge CSV."""
    if out.exists() and not overwrite:
        raise ExportError(f"{out}: the file exists (--overwrite replaces it)")
    ann = open_annotations(stack)
    ids, objects = object_ids(ann)
    h, w = stack.frame_shape[:2]
    rows: list[str] = []
    frames = ann.annotated_frames()
    for n, i in enumerate(frames, 1):
        for k, s in enumerate(ann.document(i).shapes):
            m = shape_to_mask((h, w), s.points, s.shape_type, mask=s.mask)
            ys, xs = np.nonzero(m)
            if not len(xs):
                continue
            x0, y0 = int(xs.min()), int(ys.min())
            bw, bh = int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1
            rows.append(f"{i + 1},{ids[(i, k)]},{x0},{y0},{bw},{bh},1,-1,-1,-1")
        yield Progress(n, len(frames), f"frame {i}", payload=i)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, "".join(r + "\n" for r in rows))
    atomic_write_text(sidecar_json(out), json.dumps({"objects": objects}, indent=2) + "\n")


def export_coco_video(
    stack: Stack, out: Path, *, labels: list[str] | None = None, overwrite: bool = False
) -> Iterator[Progress]:
    """COCO with video, frame and track ids (YouTube-VIS / TAO style) of the annotated frames.

    ``OUT/frames/NNNNNN.png`` and ``OUT/annotations.json``: ``videos`` (one), ``images`` with
    ``video_id`` and ``frame_id`` (0-based), ``annotations`` with ``track_id`` (=
    ``instance_id``, the DAVIS object id) and RLE ``segmentation`` of the pixels each object
    shows (shapes drawn as labelme draws them, later over earlier), ``tracks`` (id, label,
    labelme group_id) and ``categories``.
    """
    from pycocotools import mask as mask_utils

    from labeldesk.algorithms.rasterize import shapes_to_label

    ann = open_annotations(stack)
    names = class_names(ann, labels)
    value = {name: v for v, name in enumerate(names)}
    ids, objects = object_ids(ann)
    frames = ann.annotated_frames()
    _out_dir(out, overwrite)
    (out / "frames").mkdir(exist_ok=True)
    h, w = stack.frame_shape[:2]
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    categories_of: dict[int, int] = {}
    for n, i in enumerate(frames, 1):
        doc = ann.document(i)
        missing = sorted({s.label for s in doc.shapes} - set(value))
        if missing:
            raise ExportError(f"{doc.path}: labels {missing} are not in the labels list")
        name = f"frames/{stack.frame_name(i)}.png"
        save_frame_image(stack.frame(i), out / name)
        image_id = len(images) + 1
        images.append(
            {
                "id": image_id,
                "video_id": 1,
                "frame_id": i,
                "file_name": name,
                "height": h,
                "width": w,
            }
        )
        cls, ins, keys = shapes_to_label((h, w), doc.shapes, value)
        first: dict[tuple[str, Any], int] = {}
        for k, s in enumerate(doc.shapes):
            key = (s.label, s.group_id if s.group_id is not None else ("__shape__", k))
            first.setdefault(key, k)
        for k, key in enumerate(keys, 1):
            m = ins == k
            if not m.any():
                continue
            obj = ids[(i, first[key])]
            categories_of[obj] = value[key[0]]
            rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
            rle["counts"] = rle["counts"].decode("ascii")
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "video_id": 1,
                    "category_id": value[key[0]],
                    "track_id": obj,
                    "instance_id": obj,
                    "segmentation": rle,
                    "area": int(m.sum()),
                    "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                    "iscrowd": 0,
                }
            )
        yield Progress(n, len(frames), f"frame {i}", payload=i)
    data = {
        "info": {"description": "labeldesk export coco-video", "source": str(stack.path)},
        "videos": [
            {"id": 1, "name": stack.path.name, "width": w, "height": h, "length": len(stack)}
        ],
        "images": images,
        "annotations": annotations,
        "tracks": [
            {**o, "category_id": categories_of[o["id"]], "video_id": 1}
            for o in objects
            if o["id"] in categories_of
        ],
        "categories": [{"id": v, "name": name} for v, name in enumerate(names) if v],
    }
    atomic_write_text(out / "annotations.json", json.dumps(data, separators=(",", ":")))
