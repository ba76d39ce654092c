"""labelme JSON: read and write the exact format (see shared DESIGN.md section 2).

Files labelme 3 to 5 wrote open here; files written here open in labelme. Unknown keys, at the
top level and per shape, are kept in order and written back. Writes are atomic.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labeldesk.core.document import LABELME_VERSION, Document
from labeldesk.core.errors import ImageReadError, InvalidShapeError, ReadError
from labeldesk.core.shapes import Shape
from labeldesk.io.atomic import atomic_write_text
from labeldesk.io.images import oriented_image_bytes, read_info
from labeldesk.io.jsonfmt import dumps_indent2

TOP_KEYS = ("version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth")
SHAPE_KEYS = ("label", "points", "group_id", "description", "shape_type", "flags", "mask")


# -- masks -------------------------------------------------------------------------------------
def encode_mask(mask: np.ndarray) -> str:
    """labelme's mask encoding: an 8-bit PNG of 0/1 values, base64 text."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(mask, dtype=np.uint8)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def decode_mask(text: str) -> np.ndarray:
    """Inverse of :func:`encode_mask`: an ``(h, w)`` bool array. Raises ValueError."""
    try:
        raw = base64.b64decode(text)
        with Image.open(io.BytesIO(raw)) as im:
            arr = np.asarray(im)
    except (binascii.Error, OSError, ValueError) as exc:
        raise ValueError(f"not a base64 PNG ({exc})") from exc
    if arr.ndim == 3:
        arr = arr[..., 0]
    return arr.astype(bool)


# -- reading -------------------------------------------------------------------------------------
def _expect(path: Path, value: Any, kinds: type | tuple[type, ...], field: str, what: str) -> Any:
    if (
        not isinstance(value, kinds)
        or isinstance(value, bool)
        and bool not in (kinds if isinstance(kinds, tuple) else (kinds,))
    ):
        raise ReadError(path, f"{what}, got {type(value).__name__} {value!r:.60}", field=field)
    return value


def _read_shape(path: Path, i: int, raw: Any) -> Shape:
    where = f"shapes[{i}]"
    _expect(path, raw, dict, where, "a shape must be an object")
    label = _expect(path, raw.get("label"), str, f"{where}.label", "the label must be text")
    shape_type = raw.get("shape_type") or "polygon"
    _expect(path, shape_type, str, f"{where}.shape_type", "the shape type must be text")
    points_raw = raw.get("points")
    _expect(path, points_raw, list, f"{where}.points", "points must be a list of [x, y]")
    try:
        shape = Shape(label=label, points=points_raw, shape_type=shape_type)
    except InvalidShapeError as exc:
        raise ReadError(path, str(exc), field=f"{where}.points") from exc
    group_id = raw.get("group_id")
    if group_id is not None:
        shape.group_id = _expect(
            path, group_id, int, f"{where}.group_id", "group_id must be an integer or null"
        )
    desc = raw.get("description")
    shape.description = (
        ""
        if desc is None
        else _expect(path, desc, str, f"{where}.description", "the description must be text")
    )
    flags = raw.get("flags")
    if flags is not None:
        _expect(path, flags, dict, f"{where}.flags", "flags must be an object")
        if not all(isinstance(v, bool) for v in flags.values()):
            raise ReadError(path, "flag values must be true or false", field=f"{where}.flags")
        shape.flags = dict(flags)
    mask = raw.get("mask")
    if mask is not None:
        _expect(path, mask, str, f"{where}.mask", "the mask must be base64 PNG text")
        try:
            shape.mask = decode_mask(mask)
        except ValueError as exc:
            raise ReadError(
                path, f"the mask cannot be decoded: {exc}", field=f"{where}.mask"
            ) from exc
    locked = raw.get("locked")
    shape.locked = locked is True
    shape.extra = {k: v for k, v in raw.items() if k not in SHAPE_KEYS and k != "locked"}
    try:
        shape.validate()
    except InvalidShapeError as exc:
        field = (
            f"{where}.mask"
            if shape_type == "mask" and len(shape.points) == 2
            else f"{where}.points"
        )
        raise ReadError(path, str(exc), field=field) from exc
    return shape


def document_from_dict(
    data: Any, path: str | os.PathLike[str], *, check_image: bool = True
) -> Document:
    """Build a document from parsed labelme JSON; ``path`` is the JSON file (for messages and
    for resolving ``imagePath``). Raises :class:`ReadError` naming the field at fault."""
    path = Path(path)
    _expect(path, data, dict, "", "the file must hold a JSON object")
    shapes_raw = data.get("shapes", [])
    _expect(path, shapes_raw, list, "shapes", "shapes must be a list")
    shapes = [_read_shape(path, i, s) for i, s in enumerate(shapes_raw)]
    flags = data.get("flags") or {}
    _expect(path, flags, dict, "flags", "flags must be an object")
    image_path = data.get("imagePath")
    _expect(path, image_path, str, "imagePath", "imagePath must be text")
    image_data = data.get("imageData")
    if image_data is not None:
        _expect(path, image_data, str, "imageData", "imageData must be base64 text or null")
    version = data.get("version") or LABELME_VERSION
    _expect(path, version, str, "version", "version must be text")
    h, w = data.get("imageHeight"), data.get("imageWidth")
    for key, value in (("imageHeight", h), ("imageWidth", w)):
        if value is not None:
            _expect(path, value, int, key, f"{key} must be an integer")
            if value <= 0:
                raise ReadError(path, f"{key} must be positive, got {value}", field=key)
    doc = Document(
        image_path,
        h or 0,
        w or 0,
        shapes=shapes,
        flags=flags,
        image_data=image_data,
        version=version,
        extra={k: v for k, v in data.items() if k not in TOP_KEYS},
        path=path,
    )
    if check_image or h is None or w is None:
        _check_image_size(doc, path)
    for shape in shapes:
        doc.classes.ensure(shape.label)
    return doc


def _check_image_size(doc: Document, path: Path) -> None:
    """Compare imageHeight/imageWidth with the image (embedded data first, else the file)."""
    try:
        if doc.image_data is not None:
            try:
                raw = base64.b64decode(doc.image_data)
            except (binascii.Error, ValueError) as exc:
                raise ReadError(path, f"imageData is not base64: {exc}", field="imageData") from exc
            info, field = read_info(raw, name=f"{path} (imageData)"), "imageData"
        else:
            image_file = doc.image_file()
            if image_file is None or not image_file.is_file():
                raise ReadError(path, f"the image {doc.image_path!r} is missing", field="imagePath")
            info, field = read_info(image_file), "imagePath"
    except ImageReadError as exc:
        raise ReadError(path, f"the image cannot be read: {exc.reason}", field="imagePath") from exc
    if not doc.image_height or not doc.image_width:
        doc.image_height, doc.image_width = info.height, info.width
    elif (doc.image_height, doc.image_width) != (info.height, info.width):
        raise ReadError(
            path,
            f"imageWidth x imageHeight is {doc.image_width}x{doc.image_height} but the image "
            f"({field}) is {info.width}x{info.height}",
            field="imageHeight",
        )


def read_labelme(path: str | os.PathLike[str], *, check_image: bool = True) -> Document:
    """Read a labelme JSON file into a clean :class:`~labeldesk.core.Document`.

    With ``check_image`` the image (file or embedded) must exist and match the stored size.
    Raises :class:`ReadError` naming the file and the field at fault; never writes anything.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReadError(path, "the annotation file does not exist") from exc
    except UnicodeDecodeError as exc:
        raise ReadError(path, f"not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise ReadError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(
            path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    return document_from_dict(data, path, check_image=check_image)


# -- writing -------------------------------------------------------------------------------------
def shape_to_dict(shape: Shape) -> dict[str, Any]:
    """labelme's shape dict: unknown keys first (as labelme writes them), then its own keys."""
    out: dict[str, Any] = dict(shape.extra)
    if shape.locked:
        out["locked"] = True
    out.update(
        label=shape.label,
        points=shape.points.tolist(),
        group_id=shape.group_id,
        description=shape.description,
        shape_type=shape.shape_type,
        flags=dict(shape.flags),
        mask=None if shape.mask is None else encode_mask(shape.mask),
    )
    return out


def _relative_image_path(doc: Document, json_path: Path) -> str | None:
    if doc.image_path is None:
        return None
    image = doc.image_file()
    if image is None or doc.path is None or doc.path.parent.resolve() == json_path.parent.resolve():
        return doc.image_path
    return Path(os.path.relpath(image.resolve(), json_path.parent.resolve())).as_posix()


def document_to_dict(
    doc: Document, json_path: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """The labelme JSON object for ``doc`` (``imagePath`` made relative to ``json_path``)."""
    json_path = Path(json_path) if json_path is not None else doc.path
    data: dict[str, Any] = {
        "version": doc.version,
        "flags": dict(doc.flags),
        "shapes": [shape_to_dict(s) for s in doc.shapes],
        "imagePath": _relative_image_path(doc, json_path) if json_path else doc.image_path,
        "imageData": doc.image_data,
        "imageHeight": doc.image_height,
        "imageWidth": doc.image_width,
    }
    for key, value in doc.extra.items():
        if key not in data:
            data[key] = value
    return data


def dumps_labelme(doc: Document, json_path: str | os.PathLike[str] | None = None) -> str:
    """The file text, formatted as labelme writes it (``indent=2``, UTF-8 kept)."""
    return dumps_indent2(document_to_dict(doc, json_path))


def write_labelme(
    document: Document, path: str | os.PathLike[str], *, embed_image: bool | None = None
) -> None:
    """Write ``document`` to ``path`` atomically and mark it clean.

    ``embed_image``: None keeps ``imageData`` as it is, True embeds the image file (rotated as
    displayed), False writes ``imageData: null``. Raises :class:`WriteError` (old file intact).
    """
    path = Path(path)
    if embed_image is True:
        image = document.image_file()
        if image is None or not image.is_file():
            raise ReadError(image or path, "cannot embed the image: the file is missing")
        document.image_data = base64.b64encode(oriented_image_bytes(image)).decode("ascii")
    elif embed_image is False:
        document.image_data = None
    data = document_to_dict(document, path)
    atomic_write_text(path, dumps_indent2(data))
    document.image_path = data["imagePath"]
    document.path = path
    document.mark_clean()
