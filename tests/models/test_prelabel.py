"""``labeldesk prelabel`` on a temporary folder: writes JSON only where there is none, keeps a
person's files unless --overwrite, lists bad images and exits non-zero for them."""

from __future__ import annotations

import io
import json
import shutil
from importlib.resources import files
from pathlib import Path

import pytest

from labeldesk.cli import main
from labeldesk.io import read_labelme
from labeldesk.models.prelabel_command import prelabel_folder

SAMPLE = Path(str(files("labeldesk.resources").joinpath("sample")))
DATA = Path(__file__).resolve().parents[1] / "data" / "sam_tiny"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "imgs"
    target.mkdir()
    for name in ("01-street.jpg", "01-street.json", "02-fruit.jpg"):
        shutil.copy(SAMPLE / name, target / name)
    return target


def test_writes_missing_json_and_keeps_the_human_one(folder: Path, capsys) -> None:
    human = (folder / "01-street.json").read_bytes()
    assert main(["prelabel", str(folder), "--label", "thing"]) == 0
    out = capsys.readouterr().out
    assert "2 images: 1 written" in out and "1 skipped" in out and "0 failed" in out
    assert (folder / "01-street.json").read_bytes() == human
    doc = read_labelme(folder / "02-fruit.json")
    assert doc.image_path == "02-fruit.jpg" and (doc.image_height, doc.image_width) == (640, 960)
    assert len(doc) >= 5 and {s.label for s in doc.shapes} == {"thing"}
    assert doc.image_data is None
    # running again changes nothing: every image has a JSON now
    written = (folder / "02-fruit.json").read_bytes()
    assert main(["prelabel", str(folder)]) == 0
    assert (folder / "02-fruit.json").read_bytes() == written
    assert "0 written" in capsys.readouterr().out


def test_overwrite_replaces_existing_files(folder: Path, capsys) -> None:
    assert main(["prelabel", str(folder), "--overwrite"]) == 0
    assert "2 written" in capsys.readouterr().out
    doc = read_labelme(folder / "01-street.json")
    assert {s.label for s in doc.shapes} == {"object"}


def test_bad_images_are_listed_and_exit_nonzero(folder: Path, capsys) -> None:
    (folder / "03-broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    assert main(["prelabel", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "1 failed" in out and "failed: 03-broken.jpg:" in out
    assert (folder / "02-fruit.json").exists() and not (folder / "03-broken.json").exists()


def test_bad_arguments_give_messages(tmp_path: Path, capsys) -> None:
    assert main(["prelabel", str(tmp_path / "nope")]) == 1
    assert "not a folder" in capsys.readouterr().err
    assert main(["prelabel", str(tmp_path), "--model", str(tmp_path / "missing.pth")]) == 1
    assert "model file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["prelabel", str(tmp_path), "--device", "tpu"])
    assert exc.value.code == 2


def test_with_a_sam_checkpoint(folder: Path, tmp_path: Path) -> None:
    shutil.copy(DATA / "sam_tiny_state.pt", tmp_path / "tiny_state.pt")
    shutil.copy(DATA / "sam_tiny_config.json", tmp_path / "tiny_config.json")
    (folder / "01-street.json").unlink()
    summary = prelabel_folder(
        folder,
        model=tmp_path / "tiny_state.pt",
        device="cpu",
        label="blob",
        points_per_side=4,
        progress=io.StringIO(),
    )
    assert [p.name for p in summary.written] == [
        "01-street.jpg",
        "02-fruit.jpg",
    ] and not summary.failed
    for name in ("01-street.json", "02-fruit.json"):
        data = json.loads((folder / name).read_text())
        assert data["imageWidth"] == 960 and all(s["label"] == "blob" for s in data["shapes"])
