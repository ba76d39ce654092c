"""labelme JSON: round trips, old formats, and every bad-file case."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from labeldesk.core import Document, ReadError, Shape, WriteError
from labeldesk.io import dumps_labelme, read_labelme, write_labelme

DATA = Path(__file__).parents[1] / "data" / "labelme"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("scene.png", "modern.json", "labelme3.json", "labelme4.json"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def test_every_shape_type_round_trips_byte_for_byte(folder: Path) -> None:
    doc = read_labelme(folder / "modern.json")
    assert [s.shape_type for s in doc.shapes] == [
        "polygon",
        "rectangle",
        "circle",
        "line",
        "linestrip",
        "point",
        "oriented_rectangle",
        "mask",
    ]
    write_labelme(doc, folder / "first.json")
    first = (folder / "first.json").read_bytes()
    write_labelme(read_labelme(folder / "first.json"), folder / "second.json")
    assert (folder / "second.json").read_bytes() == first
    data = json.loads(first)
    # unknown keys kept, in place: top level after labelme's keys, per shape before them
    assert list(data) == [
        "version",
        "flags",
        "shapes",
        "imagePath",
        "imageData",
        "imageHeight",
        "imageWidth",
        "reviewer",
    ]
    assert data["reviewer"] == {"name": "ann", "done": True}
    assert list(data["shapes"][7])[:2] == ["score", "label"]
    assert data["shapes"][7]["score"] == 0.93
    assert data["version"] == "7.0.1"
    assert data["flags"] == {"blurry": False, "occluded": True}
    assert data["shapes"][1]["group_id"] == 1 and data["shapes"][1]["flags"] == {"truncated": True}
    assert data["shapes"][0]["points"] == [[10.0, 5.0], [20.5, 5.0], [20.0, 15.25]]
    assert data["imageData"] is None and data["imagePath"] == "scene.png"


def test_mask_shape_bitmap_survives(folder: Path) -> None:
    doc = read_labelme(folder / "modern.json")
    mask = doc.shapes[7]
    expected = np.zeros((4, 5), bool)
    expected[1:3, 1:4] = True
    np.testing.assert_array_equal(mask.mask, expected)
    write_labelme(doc, folder / "out.json")
    np.testing.assert_array_equal(read_labelme(folder / "out.json").shapes[7].mask, expected)


def test_reads_labelme3_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    shutil.copy(DATA / "labelme3.json", tmp_path / "sub" / "old.json")
    doc = read_labelme(tmp_path / "sub" / "old.json")  # image only embedded; path is Windows-style
    assert (doc.image_height, doc.image_width) == (40, 60)  # taken from imageData
    assert [s.shape_type for s in doc.shapes] == ["polygon", "polygon"]
    assert doc.shapes[0].group_id is None and doc.shapes[0].flags == {}
    assert doc.shapes[1].extra == {"line_color": [0, 255, 0, 128], "fill_color": None}
    assert doc.extra == {"lineColor": [0, 255, 0, 128], "fillColor": [255, 0, 0, 128]}
    write_labelme(doc, tmp_path / "sub" / "old.json")
    again = json.loads((tmp_path / "sub" / "old.json").read_text())
    assert again["lineColor"] == [0, 255, 0, 128]
    assert again["imageHeight"] == 40 and again["imageData"] is not None
    assert again["shapes"][1]["line_color"] == [0, 255, 0, 128]


def test_reads_labelme4_file(folder: Path) -> None:
    doc = read_labelme(folder / "labelme4.json")
    assert doc.version == "4.5.6"
    assert doc.shapes[1].group_id == 3 and doc.shapes[1].shape_type == "circle"
    assert doc.shapes[0].description == ""
    assert doc.classes.names() == ["cat", "ball"]


def test_image_path_is_rewritten_relative_to_new_folder(folder: Path) -> None:
    doc = read_labelme(folder / "modern.json")
    (folder / "labels").mkdir()
    write_labelme(doc, folder / "labels" / "scene.json")
    data = json.loads((folder / "labels" / "scene.json").read_text())
    assert data["imagePath"] == "../scene.png"
    assert (
        read_labelme(folder / "labels" / "scene.json").image_file().resolve()
        == (folder / "scene.png").resolve()
    )


def test_embed_image_and_strip_it(folder: Path) -> None:
    doc = read_labelme(folder / "modern.json")
    write_labelme(doc, folder / "e.json", embed_image=True)
    assert json.loads((folder / "e.json").read_text())["imageData"]
    write_labelme(doc, folder / "e.json", embed_image=False)
    assert json.loads((folder / "e.json").read_text())["imageData"] is None


def test_new_document_writes_labelme_layout(folder: Path) -> None:
    doc = Document("scene.png", 40, 60)
    doc.add_shape(Shape("cat", [[1, 2], [3, 4], [5, 1]]))
    text = dumps_labelme(doc)
    assert text.startswith('{\n  "version": "5.5.0",\n  "flags": {},\n  "shapes": [\n')
    assert list(json.loads(text)["shapes"][0]) == [
        "label",
        "points",
        "group_id",
        "description",
        "shape_type",
        "flags",
        "mask",
    ]


def test_write_is_atomic_and_keeps_permissions(folder: Path) -> None:
    target = folder / "modern.json"
    os.chmod(target, 0o640)
    doc = read_labelme(target)
    write_labelme(doc, target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert not [p for p in folder.iterdir() if p.name.endswith("tmp")]
    assert not doc.is_dirty()


def test_failed_write_leaves_old_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = folder / "modern.json"
    before = target.read_bytes()
    doc = read_labelme(target)
    doc.add_shape(Shape("x", [[0, 0], [1, 0], [1, 1]]))

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(WriteError, match="No space left"):
        write_labelme(doc, target)
    assert target.read_bytes() == before
    assert not [p for p in folder.iterdir() if p.name.endswith("tmp")]
    assert doc.is_dirty()


def _bad(folder: Path, name: str, mutate) -> Path:
    data = json.loads((DATA / "modern.json").read_text())
    mutate(data)
    path = folder / name
    path.write_text(json.dumps(data))
    return path


BAD_CASES = {
    "wrong_type_label": (
        lambda d: d["shapes"][0].__setitem__("label", 5),
        "shapes[0].label",
        "label must be text",
    ),
    "wrong_type_shapes": (lambda d: d.__setitem__("shapes", {}), "shapes", "shapes must be a list"),
    "wrong_type_points": (
        lambda d: d["shapes"][2].__setitem__("points", [["a", 1], [2, 2]]),
        "shapes[2].points",
        "numbers",
    ),
    "bad_mask": (
        lambda d: d["shapes"][7].__setitem__("mask", "not base64 png!"),
        "shapes[7].mask",
        "mask cannot be decoded",
    ),
    "size_mismatch": (
        lambda d: d.__setitem__("imageHeight", 41),
        "imageHeight",
        "60x41 but the image",
    ),
    "missing_image": (lambda d: d.__setitem__("imagePath", "gone.png"), "imagePath", "missing"),
    "group_id_text": (
        lambda d: d["shapes"][0].__setitem__("group_id", "a"),
        "shapes[0].group_id",
        "integer",
    ),
    "flag_values": (
        lambda d: d["shapes"][0].__setitem__("flags", {"a": 1}),
        "shapes[0].flags",
        "true or false",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_file_names_file_and_field_and_is_untouched(folder: Path, case: str) -> None:
    mutate, field, words = BAD_CASES[case]
    path = _bad(folder, f"{case}.json", mutate)
    before = path.read_bytes()
    with pytest.raises(ReadError) as info:
        read_labelme(path)
    assert info.value.path == str(path)
    assert info.value.field == field
    assert words in str(info.value)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "text, words",
    [("{not json", "invalid JSON at line 1"), ("[1, 2]", "JSON object"), ("", "invalid JSON")],
)
def test_invalid_json(folder: Path, text: str, words: str) -> None:
    path = folder / "broken.json"
    path.write_text(text)
    with pytest.raises(ReadError, match=words):
        read_labelme(path)
    assert path.read_text() == text


def test_missing_file(folder: Path) -> None:
    with pytest.raises(ReadError, match="does not exist"):
        read_labelme(folder / "nope.json")


def test_not_utf8(folder: Path) -> None:
    path = folder / "latin.json"
    path.write_bytes(b'{"label": "caf\xe9"}')
    with pytest.raises(ReadError, match="not UTF-8"):
        read_labelme(path)


def test_unicode_labels_kept_verbatim(folder: Path) -> None:
    doc = Document("scene.png", 40, 60, path=folder / "u.json")
    doc.add_shape(Shape("猫 café", [[1, 2], [3, 4], [5, 1]]))
    write_labelme(doc, folder / "u.json")
    assert "猫 café" in (folder / "u.json").read_text(encoding="utf-8")
    assert read_labelme(folder / "u.json").shapes[0].label == "猫 café"
