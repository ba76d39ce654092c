"""VOC export: labelme's pixels (golden files), the order rule, and what labelme gets wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeldesk.cli import main
from labeldesk.core.errors import ExportError
from labeldesk.io.export import ExportOptions, export_dataset, read_labels, run_to_end
from labeldesk.io.export.imaging import label_colormap

DATA = Path(__file__).resolve().parents[1] / "data" / "export"
LABELS = read_labels(DATA / "labels.txt")

# tests/data/export/src/overlap.json, drawn by hand: cat rectangle (1,1)-(4,3), then dog
# rectangle (3,2)-(6,4) over it, then one cat instance (group 1) in two pieces.
OVERLAP_CLASS = """
. . . . . . 1 1
. 1 1 1 1 . 1 1
. 1 1 2 2 2 2 .
. 1 1 2 2 2 2 .
. . . 2 2 2 2 .
1 1 . . . . . .
"""
OVERLAP_OBJECT = """
. . . . . . 3 3
. 1 1 1 1 . 3 3
. 1 1 2 2 2 2 .
. 1 1 2 2 2 2 .
. . . 2 2 2 2 .
3 3 . . . . . .
"""


def grid(text: str) -> np.ndarray:
    rows = [line.split() for line in text.strip().splitlines()]
    return np.array([[0 if c == "." else int(c) for c in row] for row in rows])


def png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im)


def export(src, out, fmt="voc", **options):
    options.setdefault("labels", LABELS)
    return run_to_end(export_dataset(fmt, src, out, ExportOptions(**options), workers=1))


def write_doc(folder: Path, stem: str, image: np.ndarray, shapes: list[dict], ext=".png") -> None:
    Image.fromarray(image).save(folder / f"{stem}{ext}")
    h, w = image.shape[:2]
    doc = {"version": "5.5.0", "flags": {}, "shapes": shapes, "imagePath": f"{stem}{ext}",
           "imageData": None, "imageHeight": h, "imageWidth": w}  # fmt: skip
    (folder / f"{stem}.json").write_text(json.dumps(doc))


def shape(label, points, kind="polygon", group_id=None):
    return {"label": label, "points": points, "group_id": group_id, "shape_type": kind, "flags": {}}


def test_pixels_and_palette_equal_labelme(tmp_path):
    report = export(DATA / "src", tmp_path / "voc")
    assert report.exit_code == 0 and report.written == 2
    for sub in ("SegmentationClass", "SegmentationObject"):
        for golden in sorted((DATA / "labelme_voc" / sub).glob("*.png")):
            ours = tmp_path / "voc" / sub / golden.name
            with Image.open(golden) as a, Image.open(ours) as b:
                assert b.mode == a.mode == "P"
                assert b.getpalette() == a.getpalette()
                assert np.array_equal(np.asarray(b), np.asarray(a)), golden.name
    names = (tmp_path / "voc" / "class_names.txt").read_text()
    assert names == (DATA / "labelme_voc" / "class_names.txt").read_text()
    cls = np.load(tmp_path / "voc" / "SegmentationClassNpy" / "all_shapes.npy")
    assert cls.dtype == np.int32 and cls.min() == -1  # __ignore__ stays -1 in the npy
    assert png(tmp_path / "voc" / "SegmentationClass" / "all_shapes.png")[cls == -1].tolist() == [
        255
    ] * int((cls == -1).sum())


def test_overlap_order_rule_by_hand(tmp_path):
    export(DATA / "src", tmp_path / "a")
    assert np.array_equal(png(tmp_path / "a/SegmentationClass/overlap.png"), grid(OVERLAP_CLASS))
    assert np.array_equal(png(tmp_path / "a/SegmentationObject/overlap.png"), grid(OVERLAP_OBJECT))
    # the same file with the first two shapes swapped: now the cat covers the dog
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DATA / "src/overlap.png", src)
    doc = json.loads((DATA / "src/overlap.json").read_text())
    doc["shapes"][:2] = doc["shapes"][1::-1]
    (src / "overlap.json").write_text(json.dumps(doc))
    export(src, tmp_path / "b")
    cls = png(tmp_path / "b/SegmentationClass/overlap.png")
    assert cls[2].tolist() == [0, 1, 1, 1, 1, 2, 2, 0]
    assert png(tmp_path / "b/SegmentationObject/overlap.png")[2].tolist() == [
        0,
        2,
        2,
        2,
        2,
        1,
        1,
        0,
    ]


def test_layout_options_split_and_image_copies(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(10):
        img = np.full((30, 40, 3), i * 20, np.uint8)
        write_doc(src, f"im{i}", img, [shape("cat", [[2, 2], [20, 2], [10, 20]])])
    shutil.copy(DATA / "src/all_shapes.jpg", src)
    shutil.copy(DATA / "src/all_shapes.json", src)
    out = tmp_path / "voc"
    report = export(src, out, val_fraction=0.3, seed=1)
    assert report.written == 11
    sets = out / "ImageSets" / "Segmentation"
    train = (sets / "train.txt").read_text().split()
    val = (sets / "val.txt").read_text().split()
    assert len(val) == 3 and len(train) == 8 and not set(train) & set(val)
    assert sorted(train + val) == (sets / "trainval.txt").read_text().split()
    export(src, tmp_path / "again", val_fraction=0.3, seed=1)
    assert (tmp_path / "again/ImageSets/Segmentation/val.txt").read_text().split() == val
    # a plain JPEG is copied byte for byte; a PNG becomes a JPEG of the same size
    assert (out / "JPEGImages/all_shapes.jpg").read_bytes() == (src / "all_shapes.jpg").read_bytes()
    with Image.open(out / "JPEGImages/im3.jpg") as im:
        assert im.format == "JPEG" and im.size == (40, 30)
        assert abs(int(np.asarray(im).mean()) - 60) <= 1
    for sub in ("SegmentationClassVisualization", "SegmentationObjectVisualization"):
        with Image.open(out / sub / "all_shapes.jpg") as im:
            assert im.size == (64, 48)
    lean = tmp_path / "lean"
    export(src, lean, noobject=True, nonpy=True, noviz=True)
    folders = sorted(p.name for p in lean.iterdir() if p.is_dir())
    assert folders == ["ImageSets", "JPEGImages", "SegmentationClass"]


def test_more_than_255_instances_gives_16bit_objects_never_wraps(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shapes = [shape("cat", [[x * 3, y * 3], [x * 3 + 1, y * 3 + 1]], "rectangle")
              for y in range(20) for x in range(20)]  # fmt: skip
    write_doc(src, "many", np.zeros((60, 60, 3), np.uint8), shapes)
    report = export(src, tmp_path / "voc")
    assert report.exit_code == 0
    assert any("16-bit" in w for _, w in report.warnings)
    with Image.open(tmp_path / "voc/SegmentationObject/many.png") as im:
        assert im.mode.startswith("I")
        ins = np.asarray(im).astype(np.int64)
    assert ins.max() == 400 and ins[57, 57] == 400 and ins[0, 0] == 1
    assert len(np.unique(ins)) == 401
    assert np.array_equal(np.load(tmp_path / "voc/SegmentationObjectNpy/many.npy"), ins)
    assert png(tmp_path / "voc/SegmentationClass/many.png").max() == 1  # classes stay 8-bit


def test_exif_rotated_photo_is_exported_as_displayed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    stored = np.zeros((20, 40, 3), np.uint8)  # 40 wide, 20 high as stored
    stored[:, :10] = 255  # white band on the stored left = displayed top after rotating 90 cw
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(stored).save(src / "photo.jpg", exif=exif.tobytes(), quality=95)
    doc = {"version": "5.5.0", "flags": {}, "imagePath": "photo.jpg", "imageData": None,
           "imageHeight": 40, "imageWidth": 20,
           "shapes": [shape("cat", [[0, 0], [19, 9]], "rectangle")]}  # fmt: skip
    (src / "photo.json").write_text(json.dumps(doc))
    report = export(src, tmp_path / "voc")
    assert report.exit_code == 0, report.lines()
    with Image.open(tmp_path / "voc/JPEGImages/photo.jpg") as im:
        assert im.size == (20, 40)
        assert int(im.getexif().get(0x0112, 1)) == 1
        pixels = np.asarray(im.convert("L")).astype(int)
    cls = png(tmp_path / "voc/SegmentationClass/photo.png")
    assert cls.shape == (40, 20)
    assert pixels[cls == 1].mean() > 200 and pixels[cls == 0].mean() < 50  # labels on the band


def test_16bit_image_is_scaled_not_clipped(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    img = np.tile(np.linspace(1000, 41000, 64).astype(np.uint16), (16, 1))
    write_doc(src, "deep", img, [shape("cat", [[1, 1], [5, 1], [3, 5]])])
    report = export(src, tmp_path / "voc")
    assert report.exit_code == 0, report.lines()
    with Image.open(tmp_path / "voc/JPEGImages/deep.jpg") as im:
        row = np.asarray(im).astype(int)[8]
    assert row[0] <= 3 and row[-1] >= 252  # full range used
    assert np.all(np.diff(row[2:-2]) >= -3)  # a ramp, not a clipped plateau
    assert (row > 250).sum() < 4


def test_corrupt_file_is_reported_and_the_rest_written(tmp_path, capsys):
    src = tmp_path / "src"
    shutil.copytree(DATA / "src", src)
    (src / "broken.json").write_text("{not json")
    doc = json.loads((src / "overlap.json").read_text())
    doc["imagePath"] = "missing.png"
    (src / "lost.json").write_text(json.dumps(doc))
    doc = json.loads((src / "overlap.json").read_text())
    doc["shapes"].append(shape("zebra", [[0, 0], [1, 1]], "rectangle"))
    (src / "zoo.json").write_text(json.dumps(doc))
    out = tmp_path / "voc"
    args = [
        "export",
        "voc",
        str(src),
        str(out),
        "--labels",
        str(DATA / "labels.txt"),
        "--workers",
        "2",
    ]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 1
    assert f"{src / 'broken.json'}: invalid JSON at line 1" in err
    assert f"{src / 'lost.json'}: the image 'missing.png' is missing" in err
    assert f"'zebra' in {src / 'zoo.json'}" in err
    written = sorted(p.stem for p in (out / "SegmentationClass").glob("*.png"))
    assert written == ["all_shapes", "overlap", "zoo"]
    assert np.array_equal(png(out / "SegmentationClass/zoo.png"), grid(OVERLAP_CLASS))
    assert "broken" not in (out / "ImageSets/Segmentation/trainval.txt").read_text()


def test_existing_out_dir_is_refused_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "voc"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    base = ["export", "voc", str(DATA / "src"), str(out), "--labels", str(DATA / "labels.txt")]
    assert main(base) == 1
    assert "the output folder exists (pass --overwrite" in capsys.readouterr().err
    assert main([*base, "--overwrite"]) == 1  # not an earlier export: never deleted
    assert "not an earlier labeldesk export" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "mine"
    shutil.rmtree(out)
    assert main(base) == 0
    (out / "SegmentationClass" / "stale.png").write_bytes(b"old")
    assert main([*base, "--overwrite"]) == 0
    assert not (out / "SegmentationClass" / "stale.png").exists()
    assert (out / "SegmentationClass" / "overlap.png").is_file()
    with pytest.raises(ExportError, match="holds the input"):
        export_dataset("voc", DATA / "src", DATA, ExportOptions(LABELS), overwrite=True)
    assert not list(tmp_path.glob(".voc.*"))  # no temporary folders left behind


def test_cancel_leaves_nothing_and_keeps_the_old_export(tmp_path):
    out = tmp_path / "voc"
    export(DATA / "src", out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    task = export_dataset(
        "voc", DATA / "src", out, ExportOptions(LABELS), overwrite=True, should_stop=lambda: True
    )
    report = run_to_end(task)
    assert report.cancelled and report.exit_code == 130
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    task = export_dataset("voc", DATA / "src", tmp_path / "new", ExportOptions(LABELS), workers=2)
    progress = next(task)
    assert progress.total == 2 and progress.done == 1
    task.close()
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voc"]


def test_parallel_and_serial_give_the_same_files(tmp_path):
    run_to_end(
        export_dataset("voc", DATA / "src", tmp_path / "a", ExportOptions(LABELS), workers=1)
    )
    run_to_end(
        export_dataset("voc", DATA / "src", tmp_path / "b", ExportOptions(LABELS), workers=2)
    )
    for f in sorted((tmp_path / "a").rglob("*.png")):
        assert f.read_bytes() == (tmp_path / "b" / f.relative_to(tmp_path / "a")).read_bytes()


def test_colormap_is_the_voc_one():
    cmap = label_colormap()
    assert cmap[:4].tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]
    assert cmap[255].tolist() == [224, 224, 192]


def test_embedded_image_data_is_used(tmp_path):
    import base64
    import io

    src = tmp_path / "src"
    src.mkdir()
    buf = io.BytesIO()
    Image.fromarray(np.full((6, 8, 3), 200, np.uint8)).save(buf, "PNG")
    doc = json.loads((DATA / "src/overlap.json").read_text())
    doc["imagePath"] = "elsewhere/gone.png"
    doc["imageData"] = base64.b64encode(buf.getvalue()).decode()
    (src / "embedded.json").write_text(json.dumps(doc))
    report = export(src, tmp_path / "voc")
    assert report.exit_code == 0, report.lines()
    with Image.open(tmp_path / "voc/JPEGImages/embedded.jpg") as im:
        assert im.size == (8, 6) and abs(int(np.asarray(im).mean()) - 200) <= 2
    assert np.array_equal(png(tmp_path / "voc/SegmentationClass/embedded.png"), grid(OVERLAP_CLASS))


def test_progress_bar_only_on_a_terminal():
    import io

    from labeldesk.core.jobs import Progress
    from labeldesk.io.export.command import progress_bar

    quiet = io.StringIO()
    progress_bar("export voc", quiet).draw(Progress(3, 3))
    assert quiet.getvalue() == ""  # a StringIO is not a TTY
    shown = io.StringIO()
    bar = progress_bar("export voc", shown, enabled=True)
    bar.draw(Progress(1, 4, "a.json"))
    bar.draw(Progress(4, 4, "d.json"))
    text = shown.getvalue()
    assert text.startswith("\rexport voc [#######.......................] 1/4 ")
    assert "/s a.json" in text
    assert "[##############################] 4/4" in text and text.endswith("\n")
