"""Issue 11, items 14 and 10: export refuses images outside SRC, lists shapes it cannot draw."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from labeldesk.cli import main
from labeldesk.core.jobs import run_job
from labeldesk.io.export import ExportOptions, export_dataset, read_labels

DATA = Path(__file__).resolve().parents[1] / "data" / "export"
LABELS = read_labels(DATA / "labels.txt")


def _doc(folder: Path, stem: str, image_path: str, shapes: list | None = None) -> None:
    doc = {"version": "5.5.0", "flags": {}, "imagePath": image_path, "imageData": None,
           "imageHeight": 6, "imageWidth": 8,
           "shapes": shapes or [{"label": "cat", "points": [[1, 1], [4, 3]],
                                 "shape_type": "rectangle", "flags": {}, "group_id": None}]}  # fmt: skip
    (folder / f"{stem}.json").write_text(json.dumps(doc))


def _folder(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    secret = tmp_path / "secret.png"
    Image.fromarray(np.full((6, 8, 3), 200, np.uint8)).save(secret)
    shutil.copy(DATA / "src" / "overlap.png", src / "inside.png")
    (src / "link.png").symlink_to(secret)
    _doc(src, "a_inside", "inside.png")
    _doc(src, "b_dotdot", "../secret.png")
    _doc(src, "c_absolute", str(secret))
    _doc(src, "d_symlink", "link.png")
    return src


def test_images_outside_src_are_refused_and_listed(tmp_path: Path) -> None:
    src = _folder(tmp_path)
    report = run_job(export_dataset("voc", src, tmp_path / "out", ExportOptions(LABELS), workers=1))
    failed = {Path(f).stem: why for f, why in report.failures}
    assert sorted(failed) == ["b_dotdot", "c_absolute", "d_symlink"]
    assert all(
        "outside the source folder" in why and "--allow-outside" in why for why in failed.values()
    )
    assert report.written == 1 and report.exit_code == 1
    jpegs = sorted(p.stem for p in (tmp_path / "out" / "JPEGImages").glob("*.jpg"))
    assert jpegs == ["a_inside"]


def test_allow_outside_exports_them(tmp_path: Path, capsys) -> None:
    src = _folder(tmp_path)
    base = ["export", "voc", str(src), str(tmp_path / "out"), "--labels", str(DATA / "labels.txt")]
    assert main(base) == 1
    assert "outside the source folder" in capsys.readouterr().err
    assert main([*base, "--overwrite", "--allow-outside"]) == 0
    assert len(list((tmp_path / "out" / "JPEGImages").glob("*.jpg"))) == 4


def test_shapes_that_cannot_be_drawn_are_listed_in_the_report(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DATA / "src" / "overlap.png", src / "odd.png")
    shapes = [
        {"label": "cat", "points": [[1, 1], [4, 3]], "shape_type": "rectangle"},
        {"label": "dog", "points": [[1, 1], [5, 5]], "shape_type": "polygon"},
        {"label": "bird", "points": [[2, 2], [3, 3]], "shape_type": "blob"},
    ]
    _doc(src, "odd", "odd.png", shapes)
    report = run_job(export_dataset("voc", src, tmp_path / "out", ExportOptions(LABELS), workers=1))
    assert report.written == 1
    texts = [why for _f, why in report.warnings]
    assert any("shapes[1] not exported: cannot draw polygon 'dog'" in t for t in texts), texts
    assert any("shapes[2] not exported: cannot draw blob 'bird'" in t for t in texts), texts
