"""Issue 11, readers: odd shapes labelme opens, hostile files, saving under stress."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeldesk.core import ReadError, Shape, WriteError
from labeldesk.io import read_labelme, write_labelme
from labeldesk.io.atomic import (
    ReadOnlyFileError,
    atomic_write_text,
    clean_stale_temporaries,
    temporary_name,
)
from labeldesk.io.labelme import MAX_DEPTH, decode_mask

DATA = Path(__file__).parents[1] / "data" / "labelme"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("scene.png", "modern.json"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def _write(folder: Path, name: str, mutate) -> Path:
    data = json.loads((DATA / "modern.json").read_text())
    mutate(data)
    path = folder / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2))
    return path


def _mask_png(w: int, h: int, mode: str = "L") -> str:
    buf = io.BytesIO()
    Image.new(mode, (w, h)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _png_header_only(w: int, h: int) -> bytes:
    """A 1-bit PNG that declares ``w`` x ``h`` (a decompression bomb's header, no pixels)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (1 + (w + 7) // 8))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# -- item 10: open what labelme opens, keep it unchanged ------------------------------------------
KEPT_CASES = {
    "polygon_two_points": (
        lambda d: d["shapes"][0].__setitem__("points", [[1, 1], [2, 2]]),
        0,
        "at least 3",
    ),
    "unknown_type": (lambda d: d["shapes"][0].__setitem__("shape_type", "blob"), 0, "'blob'"),
    "rectangle_one_point": (lambda d: d["shapes"][1].__setitem__("points", [[1, 1]]), 1, "got 1"),
    "mask_box_differs": (
        lambda d: d["shapes"][7].__setitem__("points", [[50, 30], [60, 33]]),
        7,
        "its box",
    ),
}


@pytest.mark.parametrize("case", sorted(KEPT_CASES))
def test_odd_shapes_open_are_kept_and_round_trip_exactly(folder: Path, case: str) -> None:
    mutate, index, words = KEPT_CASES[case]
    path = _write(folder, f"{case}.json", mutate)
    original = json.loads(path.read_text())
    doc = read_labelme(path)
    assert len(doc.shapes) == 7  # the others are drawable as before
    assert [k.position for k in doc.kept_shapes] == [index]
    kept = doc.kept_shapes[0]
    assert words in kept.reason
    assert kept.describe().startswith(f"cannot draw {kept.shape_type} ")
    assert kept.raw == original["shapes"][index]
    out = folder / "out.json"
    write_labelme(doc, out)
    assert json.loads(out.read_text())["shapes"] == original["shapes"]
    # and it survives an edit of the drawable shapes, at its place
    doc.add_shape(Shape("new", [[0, 0], [3, 0], [3, 3]]))
    write_labelme(doc, out)
    shapes = json.loads(out.read_text())["shapes"]
    assert shapes[index] == original["shapes"][index] and shapes[-1]["label"] == "new"


def test_labels_with_spaces_are_kept_as_written(folder: Path) -> None:
    def mutate(d):
        d["shapes"][0]["label"] = " "
        d["shapes"][1]["label"] = "cat "
        d["shapes"][2]["label"] = "cat"

    path = _write(folder, "spaces.json", mutate)
    doc = read_labelme(path)
    assert [s.label for s in doc.shapes[:3]] == [" ", "cat ", "cat"]
    assert {" ", "cat ", "cat"} <= set(doc.classes.names())
    write_labelme(doc, folder / "out.json")
    labels = [s["label"] for s in json.loads((folder / "out.json").read_text())["shapes"][:3]]
    assert labels == [" ", "cat ", "cat"]


# -- items 8, 9, 15: only ReadError escapes, bounded work ------------------------------------------
def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE = {
    "deep_array": (
        lambda p: p.write_text('{"shapes": [], "x": ' + _nested(100_000) + "}"),
        "nested",
    ),
    "deep_extra": (
        lambda p: p.write_text(
            '{"shapes": [], "imagePath": "scene.png", "x": ' + _nested(500) + "}"
        ),
        f"more than {MAX_DEPTH} deep",
    ),
    "huge_int_text": (
        lambda p: p.write_text('{"shapes": [], "imageHeight": ' + "9" * 5000 + "}"),
        "invalid JSON",
    ),
    "huge_int_point": (
        lambda p: p.write_text('{"shapes": [{"label": "a", "points": [[' + "9" * 400 + ", 1]]}]}"),
        "too large",
    ),
    "huge_side": (
        lambda p: p.write_text('{"shapes": [], "imagePath": "x.png", "imageHeight": 10000000000}'),
        "imageHeight must be 1 to",
    ),
    "long_image_path": (
        lambda p: p.write_text(json.dumps({"shapes": [], "imagePath": "a" * 5000})),
        "imagePath",
    ),
    "null_in_image_path": (
        lambda p: p.write_text(json.dumps({"shapes": [], "imagePath": "a\x00b.png"})),
        "imagePath",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_give_read_error_naming_the_file(tmp_path: Path, case: str) -> None:
    make, words = HOSTILE[case]
    path = tmp_path / f"{case}.json"
    make(path)
    before = path.read_bytes()
    with pytest.raises(ReadError) as info:
        read_labelme(path)
    assert str(path) in str(info.value)
    assert words in str(info.value)
    assert path.read_bytes() == before


def test_huge_mask_refused_by_pixel_guard_before_decoding(folder: Path) -> None:
    """A 60000x60000 1-bit PNG is a few hundred KB; it must be refused from its header."""
    text = base64.b64encode(_png_header_only(60000, 60000)).decode("ascii")
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="over the limit of 500 MP"):
        decode_mask(text)
    assert time.perf_counter() - t0 < 2.0


def test_mask_larger_than_image_is_kept_not_decoded(folder: Path) -> None:
    def mutate(d):
        d["shapes"][7]["points"] = [[0, 0], [19999, 19999]]
        d["shapes"][7]["mask"] = base64.b64encode(_png_header_only(20000, 20000)).decode()

    path = _write(folder, "bigmask.json", mutate)
    t0 = time.perf_counter()
    doc = read_labelme(path)
    write_labelme(doc, folder / "out.json")
    assert time.perf_counter() - t0 < 1.0
    assert "larger than the image" in doc.kept_shapes[0].reason
    saved = json.loads((folder / "out.json").read_text())["shapes"][7]
    assert saved == json.loads(path.read_text())["shapes"][7]


def test_image_data_gets_the_pixel_guard(folder: Path) -> None:
    def mutate(d):
        d["imageData"] = base64.b64encode(_png_header_only(30000, 30000)).decode("ascii")
        d["imageHeight"] = d["imageWidth"] = 30000

    path = _write(folder, "bomb.json", mutate)
    with pytest.raises(ReadError, match="over the limit of 500 MP") as info:
        read_labelme(path)
    assert info.value.field == "imageData"


def test_lone_surrogates_read_and_save(folder: Path) -> None:
    path = folder / "sur.json"
    text = (DATA / "modern.json").read_text().replace('"label": "cat"', '"label": "c\\ud800t"', 1)
    assert "\\ud800" in text
    path.write_text(text)
    doc = read_labelme(path)
    assert any(s.label == "c\ud800t" for s in doc.shapes)
    write_labelme(doc, folder / "out.json")
    again = read_labelme(folder / "out.json")
    assert [s.label for s in again.shapes] == [s.label for s in doc.shapes]


def test_permission_denied_image_folder_is_read_error(folder: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root enters every folder")
    locked = folder / "locked"
    locked.mkdir()
    path = _write(folder, "perm.json", lambda d: d.__setitem__("imagePath", "locked/x/scene.png"))
    os.chmod(locked, 0)
    try:
        with pytest.raises(ReadError, match="imagePath"):
            read_labelme(path)
    finally:
        os.chmod(locked, 0o755)


def test_saving_with_null_byte_image_path_elsewhere_is_write_error(folder: Path) -> None:
    path = _write(folder, "nul.json", lambda d: d.__setitem__("imagePath", "a\x00b.png"))
    doc = read_labelme(path, check_image=False)
    other = folder / "sub"
    other.mkdir()
    with pytest.raises(WriteError, match="imagePath"):
        write_labelme(doc, other / "nul.json")


# -- item 17: temporaries, long names, read-only files, symlinks ------------------------------------
def test_temporary_name_fits_255_character_names(folder: Path) -> None:
    name = "n" * 250 + ".json"
    assert len(temporary_name(name)) <= 255
    doc = read_labelme(folder / "modern.json")
    write_labelme(doc, folder / name)
    assert read_labelme(folder / name, check_image=False).shapes[0].label == doc.shapes[0].label


def test_stale_temporaries_of_dead_writers_are_cleaned(folder: Path) -> None:
    target = folder / "modern.json"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    pid = int(dead.stdout)
    stale = folder / f".modern.json.{pid}.abcdef.ldtmp"
    stale.write_text("half")
    old_style = folder / ".modern.json.k2j4h5g6.tmp"
    old_style.write_text("half")
    os.utime(old_style, (time.time() - 3600, time.time() - 3600))
    young_old_style = folder / ".modern.json.aaaaaaaa.tmp"
    young_old_style.write_text("maybe still being written")
    someone_else = folder / ".other.json.1.abcdef.ldtmp"  # pid 1 lives; another file anyway
    someone_else.write_text("x")
    write_labelme(read_labelme(target), target)
    assert not stale.exists() and not old_style.exists()
    assert young_old_style.exists() and someone_else.exists()
    assert clean_stale_temporaries(target) == []


def test_read_only_json_is_refused_then_allowed(folder: Path) -> None:
    target = folder / "modern.json"
    os.chmod(target, 0o444)
    before = target.read_bytes()
    doc = read_labelme(target)
    doc.add_shape(Shape("x", [[0, 0], [1, 0], [1, 1]]))
    with pytest.raises(ReadOnlyFileError, match="read-only") as info:
        write_labelme(doc, target)
    assert str(target) in str(info.value)
    assert target.read_bytes() == before and doc.is_dirty()
    write_labelme(doc, target, allow_read_only=True)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o444
    assert read_labelme(target).shapes[-1].label == "x"


def test_symlinked_json_is_written_through(folder: Path) -> None:
    real = folder / "real"
    real.mkdir()
    shutil.move(folder / "modern.json", real / "modern.json")
    (folder / "modern.json").symlink_to(real / "modern.json")
    doc = read_labelme(folder / "modern.json")
    doc.add_shape(Shape("x", [[0, 0], [1, 0], [1, 1]]))
    write_labelme(doc, folder / "modern.json")
    assert (folder / "modern.json").is_symlink()
    assert json.loads((real / "modern.json").read_text())["shapes"][-1]["label"] == "x"
    assert not [p for p in real.iterdir() if "tmp" in p.name]


def test_null_byte_name_is_write_error(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="not a usable file name"):
        atomic_write_text(tmp_path / "a\x00b.json", "{}")


def test_mask_shape_mask_decodes_with_allow_list_only(folder: Path) -> None:
    eps = base64.b64encode(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 4 4\n").decode()
    with pytest.raises(ValueError, match="not a base64 PNG"):
        decode_mask(eps)
    np.testing.assert_array_equal(decode_mask(_mask_png(3, 2)), np.zeros((2, 3), bool))


def test_unchanged_mask_is_written_back_as_read(folder: Path) -> None:
    import PIL.PngImagePlugin  # noqa: F401

    buf = io.BytesIO()
    bitmap = np.zeros((4, 5), np.uint8)
    bitmap[1:3, 1:4] = 1
    # written with other PNG settings than ours (as another tool would): not our encoding
    Image.fromarray(bitmap).save(buf, format="PNG", compress_level=0)
    theirs = base64.b64encode(buf.getvalue()).decode("ascii")

    def mutate(d):
        d["shapes"][7]["mask"] = theirs

    path = _write(folder, "theirs.json", mutate)
    doc = read_labelme(path)
    write_labelme(doc, folder / "out.json")
    assert json.loads((folder / "out.json").read_text())["shapes"][7]["mask"] == theirs
    doc.shapes[7].mask[0, 0] = True  # an edit in place: encoded afresh
    write_labelme(doc, folder / "out2.json")
    again = read_labelme(folder / "out2.json")
    assert json.loads((folder / "out2.json").read_text())["shapes"][7]["mask"] != theirs
    assert again.shapes[7].mask[0, 0] and again.shapes[7].mask.sum() == 7
