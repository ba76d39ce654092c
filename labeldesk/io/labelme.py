"""labelme JSON: read and write the exact format (see shared DESIGN.md section 2).

Files labelme 3 to 5 wrote open here; files written here open in labelme. Unknown keys, at the
top level and per shape, are kept in order and written back. Writes are atomic.
"""

from __future__ import annotations

import base64
import binascii
import copy
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labeldesk.core.document import LABELME_VERSION, Document
from labeldesk.core.errors import ImageReadError, InvalidShapeError, ReadError, WriteError
from labeldesk.core.shapes import (
    POINT_COUNTS,
    KeptShape,
    Shape,
    check_point_count,
    mask_box,
    mask_fingerprint,
)
from labeldesk.io.atomic import atomic_write_text
from labeldesk.io.images import (
    DEFAULT_MAX_PIXELS,
    PIL_FORMATS,
    check_pixels,
    oriented_image_bytes,
    read_info,
)
from labeldesk.io.jsonfmt import dumps_indent2

TOP_KEYS = ("version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth")
SHAPE_KEYS = ("label", "points", "group_id", "description", "shape_type", "flags", "mask")


# -- limits on hostile input ------------------------------------------------------------------------
MAX_FILE_BYTES = 512 * 1024 * 1024  # a labelme file larger than this is refused unread
MAX_DEPTH = 64  # nesting of unknown keys' values (labelme's own keys nest 4 deep)
MAX_POINTS = 20_000_000  # points in one file
MAX_SIDE = 2**31 - 1  # imageHeight / imageWidth


# -- masks -------------------------------------------------------------------------------------
def encode_mask(mask: np.ndarray) -> str:
    """labelme's mask encoding: an 8-bit PNG of 0/1 values, base64 text."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(mask, dtype=np.uint8)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _mask_bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not a base64 PNG ({exc})") from exc


def mask_size(raw: bytes) -> tuple[int, int]:
    """``(width, height)`` of an encoded mask from its header (nothing decoded)."""
    try:
        with Image.open(io.BytesIO(raw), formats=PIL_FORMATS) as im:
            return im.size
    except (OSError, ValueError) as exc:
        raise ValueError(f"not a base64 PNG ({exc})") from exc


def decode_mask(text: str | bytes, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Inverse of :func:`encode_mask`: an ``(h, w)`` bool array. Raises ValueError.

    Only the allowed image formats are tried; a bitmap over ``max_pixels`` is refused with
    the image pixel guard's message before anything is decoded.
    """
    raw = _mask_bytes(text) if isinstance(text, str) else text
    w, h = mask_size(raw)
    try:
        check_pixels("the mask", w, h, max_pixels)
    except ImageReadError as exc:
        raise ValueError(exc.reason) from exc
    try:
        with Image.open(io.BytesIO(raw), formats=PIL_FORMATS) as im:
            arr = np.asarray(im)
    except (OSError, ValueError) as exc:
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
        raise ReadError(path, f"{what}, got {type(value).__name__} {_short(value)}", field=field)
    return value


def _short(value: Any) -> str:
    if isinstance(value, dict | list):
        return f"of {len(value)} items"
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "(too long to show)"
    return text if len(text) <= 60 else text[:57] + "..."


def _check_depth(path: Path, value: Any, field: str) -> None:
    """Refuse values nested deeper than :data:`MAX_DEPTH` (no recursion, so no RecursionError)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ReadError(path, f"values are nested more than {MAX_DEPTH} deep", field=field)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


class _Undrawable(Exception):
    """The shape is kept as it is (labelme opens it) but cannot be drawn here."""


def _read_mask(path: Path, where: str, text: str, shape: Shape, image_px: int) -> None:
    try:
        raw = _mask_bytes(text)
        w, h = mask_size(raw)
    except ValueError as exc:
        raise ReadError(path, f"the mask cannot be decoded: {exc}", field=f"{where}.mask") from exc
    if shape.shape_type == "mask" and len(shape.points) == 2:
        x1, y1, x2, y2 = mask_box(shape.points)
        if (w, h) != (x2 - x1 + 1, y2 - y1 + 1):
            raise _Undrawable(
                f"the mask bitmap is {w}x{h} but its box ({x1}, {y1})-({x2}, {y2}) is "
                f"{x2 - x1 + 1}x{y2 - y1 + 1}"
            )
    if image_px and w * h > image_px:
        raise _Undrawable(f"the mask bitmap ({w}x{h}) is larger than the image")
    try:
        shape.mask = decode_mask(raw)
    except ValueError as exc:
        raise ReadError(path, f"the mask cannot be decoded: {exc}", field=f"{where}.mask") from exc
    shape.mask_text = (mask_fingerprint(shape.mask), text)


def _read_shape(path: Path, i: int, raw: Any, image_px: int) -> Shape:
    where = f"shapes[{i}]"
    _expect(path, raw, dict, where, "a shape must be an object")
    label = _expect(path, raw.get("label"), str, f"{where}.label", "the label must be text")
    shape_type = raw.get("shape_type") or "polygon"
    _expect(path, shape_type, str, f"{where}.shape_type", "the shape type must be text")
    points_raw = raw.get("points")
    _expect(path, points_raw, list, f"{where}.points", "points must be a list of [x, y]")
    if len(points_raw) > MAX_POINTS:
        raise ReadError(path, f"more than {MAX_POINTS} points", field=f"{where}.points")
    try:
        shape = Shape(label=label, points=points_raw, shape_type=shape_type)
    except InvalidShapeError as exc:
        raise ReadError(path, str(exc), field=f"{where}.points") from exc
    if shape_type not in POINT_COUNTS:
        raise _Undrawable(f"labeldesk does not know the shape type {shape_type!r}")
    try:
        check_point_count(shape_type, len(shape.points))
    except InvalidShapeError as exc:
        raise _Undrawable(str(exc)) from exc
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
        _read_mask(path, where, mask, shape, image_px)
    locked = raw.get("locked")
    shape.locked = locked is True
    shape.extra = {k: v for k, v in raw.items() if k not in SHAPE_KEYS and k != "locked"}
    _check_depth(path, shape.extra, where)
    try:
        shape.validate()
    except InvalidShapeError as exc:
        raise _Undrawable(str(exc)) from exc
    return shape


def _read_shapes(
    path: Path, shapes_raw: list, image_px: int
) -> tuple[list[Shape], list[KeptShape]]:
    shapes: list[Shape] = []
    kept: list[KeptShape] = []
    total = 0
    for i, raw in enumerate(shapes_raw):
        try:
            shape = _read_shape(path, i, raw, image_px)
        except _Undrawable as why:
            _check_depth(path, raw, f"shapes[{i}]")
            kept.append(KeptShape(i, copy.deepcopy(raw), str(why)))
            continue
        total += len(shape.points)
        if total > MAX_POINTS:
            raise ReadError(path, f"more than {MAX_POINTS} points in all", field="shapes")
        shapes.append(shape)
    return shapes, kept


def document_from_dict(
    data: Any, path: str | os.PathLike[str], *, check_image: bool = True
) -> Document:
    """Build a document from parsed labelme JSON; ``path`` is the JSON file (for messages and
    for resolving ``imagePath``). Raises :class:`ReadError` naming the field at fault.

    Shapes labelme opens but labeldesk cannot draw (an unknown ``shape_type``, a polygon of two
    points, a mask whose bitmap and box disagree) are kept unchanged in ``doc.kept_shapes``.
    """
    path = Path(path)
    _expect(path, data, dict, "", "the file must hold a JSON object")
    h, w = data.get("imageHeight"), data.get("imageWidth")
    for key, value in (("imageHeight", h), ("imageWidth", w)):
        if value is not None:
            _expect(path, value, int, key, f"{key} must be an integer")
            if not 0 < value <= MAX_SIDE:
                raise ReadError(
                    path, f"{key} must be 1 to {MAX_SIDE}, got {_short(value)}", field=key
                )
    shapes_raw = data.get("shapes", [])
    _expect(path, shapes_raw, list, "shapes", "shapes must be a list")
    shapes, kept = _read_shapes(path, shapes_raw, (h or 0) * (w or 0))
    flags = data.get("flags") or {}
    _expect(path, flags, dict, "flags", "flags must be an object")
    _check_depth(path, flags, "flags")
    image_path = data.get("imagePath")
    _expect(path, image_path, str, "imagePath", "imagePath must be text")
    image_data = data.get("imageData")
    if image_data is not None:
        _expect(path, image_data, str, "imageData", "imageData must be base64 text or null")
    version = data.get("version") or LABELME_VERSION
    _expect(path, version, str, "version", "version must be text")
    extra = {k: v for k, v in data.items() if k not in TOP_KEYS}
    _check_depth(path, extra, "")
    doc = Document(
        image_path,
        h or 0,
        w or 0,
        shapes=shapes,
        flags=flags,
        image_data=image_data,
        version=version,
        extra=extra,
        path=path,
    )
    doc.kept_shapes = kept
    if check_image or h is None or w is None:
        _check_image_size(doc, path)
    for shape in shapes:
        doc.classes.ensure(shape.label)
    for k in kept:
        doc.classes.ensure(k.label)
    return doc


def _check_image_size(doc: Document, path: Path) -> None:
    """Compare imageHeight/imageWidth with the image (embedded data first, else the file)."""
    try:
        if doc.image_data is not None:
            try:
                raw = base64.b64decode(doc.image_data)
            except (binascii.Error, ValueError) as exc:
                raise ReadError(path, f"imageData is not base64: {exc}", field="imageData") from exc
            name = f"{path} (imageData)"
            info, field = read_info(raw, name=name), "imageData"
            check_pixels(name, info.width, info.height, DEFAULT_MAX_PIXELS)
        else:
            image_file = doc.image_file()
            try:
                missing = image_file is None or not image_file.is_file()
            except OSError as exc:
                raise ReadError(
                    path, f"the image cannot be reached: {exc.strerror or exc}", field="imagePath"
                ) from exc
            except ValueError as exc:  # an embedded null byte
                raise ReadError(path, f"not a usable image path: {exc}", field="imagePath") from exc
            if missing or image_file is None:
                raise ReadError(
                    path, f"the image {_short(doc.image_path)} is missing", field="imagePath"
                )
            info, field = read_info(image_file), "imagePath"
    except ImageReadError as exc:
        raise ReadError(
            path, f"the image cannot be read: {exc.reason}", field=field_of(doc)
        ) from exc
    if not doc.image_height or not doc.image_width:
        doc.image_height, doc.image_width = info.height, info.width
    elif (doc.image_height, doc.image_width) != (info.height, info.width):
        raise ReadError(
            path,
            f"imageWidth x imageHeight is {doc.image_width}x{doc.image_height} but the image "
            f"({field}) is {info.width}x{info.height}",
            field="imageHeight",
        )


def field_of(doc: Document) -> str:
    return "imageData" if doc.image_data is not None else "imagePath"


def read_labelme(path: str | os.PathLike[str], *, check_image: bool = True) -> Document:
    """Read a labelme JSON file into a clean :class:`~labeldesk.core.Document`.

    With ``check_image`` the image (file or embedded) must exist and match the stored size.
    Raises :class:`ReadError` naming the file and the field at fault; never writes anything.
    Time and memory are bounded on hostile input (file size, nesting, points, mask pixels).
    """
    path = Path(path)
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            raise ReadError(
                path,
                f"the file is {size / 2**20:.0f} MiB, over the limit of "
                f"{MAX_FILE_BYTES / 2**20:.0f} MiB for a labelme file",
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReadError(path, "the annotation file does not exist") from exc
    except UnicodeDecodeError as exc:
        raise ReadError(path, f"not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise ReadError(path, f"cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # an embedded null byte in the name
        raise ReadError(path, f"not a usable file name: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(
            path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise ReadError(path, "invalid JSON: arrays or objects nested too deeply") from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise ReadError(path, f"invalid JSON: {exc}") from exc
    del text
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
        mask=None if shape.mask is None else _mask_text(shape),
    )
    return out


def _mask_text(shape: Shape) -> str:
    """The mask's text as read while the bitmap is unchanged, else a fresh encoding."""
    assert shape.mask is not None
    kept = shape.mask_text
    if kept is not None and kept[0] == mask_fingerprint(shape.mask):
        return kept[1]
    return encode_mask(shape.mask)


def _relative_image_path(doc: Document, json_path: Path) -> str | None:
    if doc.image_path is None:
        return None
    image = doc.image_file()
    try:
        if (
            image is None
            or doc.path is None
            or doc.path.parent.resolve() == json_path.parent.resolve()
        ):
            return doc.image_path
        return Path(os.path.relpath(image.resolve(), json_path.parent.resolve())).as_posix()
    except (OSError, ValueError) as exc:  # a name too long, a null byte, a loop of links
        raise WriteError(
            json_path, f"cannot place imagePath {_short(doc.image_path)}: {exc}"
        ) from exc


def _shape_dicts(doc: Document) -> list[dict[str, Any]]:
    """The drawable shapes, with the kept (undrawable) ones back at their file positions."""
    out = [shape_to_dict(s) for s in doc.shapes]
    for kept in sorted(getattr(doc, "kept_shapes", ()), key=lambda k: k.position):
        out.insert(min(kept.position, len(out)), copy.deepcopy(kept.raw))
    return out


def document_to_dict(
    doc: Document, json_path: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """The labelme JSON object for ``doc`` (``imagePath`` made relative to ``json_path``)."""
    json_path = Path(json_path) if json_path is not None else doc.path
    data: dict[str, Any] = {
        "version": doc.version,
        "flags": dict(doc.flags),
        "shapes": _shape_dicts(doc),
        "imagePath": _relative_image_path(doc, json_path) if json_path else doc.image_path,
        "imageData": doc.image_data,
        "imageHeight": doc.image_height,
        "imageWidth": doc.image_width,
    }
    for key, value in doc.extra.items():
        if key not in data:
            data[key] = value
    return data


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogates(text: str) -> str:
    """JSON text that encodes to UTF-8: a lone surrogate (which ``json`` reads from ``\\udXXX``)
    is written back as that escape, so the file reads back to the same string."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def dumps_labelme(doc: Document, json_path: str | os.PathLike[str] | None = None) -> str:
    """The file text, formatted as labelme writes it (``indent=2``, UTF-8 kept)."""
    return _escape_surrogates(dumps_indent2(document_to_dict(doc, json_path)))


def snapshot(doc: Document) -> Document:
    """A copy of ``doc``'s saved content (shapes, kept shapes, keys) that a background thread
    may serialise while the user goes on editing the original."""
    copy_doc = Document(
        doc.image_path,
        doc.image_height,
        doc.image_width,
        shapes=[s.copy() for s in doc.shapes],
        flags=dict(doc.flags),
        image_data=doc.image_data,
        version=doc.version,
        extra=copy.deepcopy(doc.extra),
        path=doc.path,
    )
    copy_doc.kept_shapes = [
        KeptShape(k.position, copy.deepcopy(k.raw), k.reason) for k in doc.kept_shapes
    ]
    return copy_doc


def write_text(
    document: Document, path: str | os.PathLike[str], *, allow_read_only: bool = False
) -> str:
    """Serialise and write ``document`` to ``path`` atomically (any thread; ``document`` is not
    changed, so pass a :func:`snapshot` when the original may change meanwhile). Returns the
    ``imagePath`` written. Raises :class:`WriteError` (the old file is then intact)."""
    path = Path(path)
    data = document_to_dict(document, path)
    atomic_write_text(
        path, _escape_surrogates(dumps_indent2(data)), allow_read_only=allow_read_only
    )
    return data["imagePath"]


def write_labelme(
    document: Document,
    path: str | os.PathLike[str],
    *,
    embed_image: bool | None = None,
    allow_read_only: bool = False,
) -> None:
    """Write ``document`` to ``path`` atomically and mark it clean.

    ``embed_image``: None keeps ``imageData`` as it is, True embeds the image file (rotated as
    displayed), False writes ``imageData: null``. A read-only file raises
    :class:`~labeldesk.io.atomic.ReadOnlyFileError` unless ``allow_read_only``; a symlink is
    written through to its target. Raises :class:`WriteError` (old file intact).
    """
    path = Path(path)
    if embed_image is True:
        image = document.image_file()
        if image is None or not image.is_file():
            raise ReadError(image or path, "cannot embed the image: the file is missing")
        document.image_data = base64.b64encode(oriented_image_bytes(image)).decode("ascii")
    elif embed_image is False:
        document.image_data = None
    document.image_path = write_text(document, path, allow_read_only=allow_read_only)
    document.path = path
    document.mark_clean()
