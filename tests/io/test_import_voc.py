"""VOC import: class/object PNG pairs back to objects; re-exporting gives the same maps."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from labeldesk.cli import main
from labeldesk.io.export import import_voc, run_to_end
from labeldesk.io.export.imaging import save_label_png
from labeldesk.io.labelme import read_labelme

DATA = Path(__file__).resolve().parents[1] / "data" / "export"


def png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im).astype(np.int64)


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """The two object maps split the image the same way (ids may be renumbered)."""
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    return len(set(pairs[0])) == pairs.shape[1] == len(set(pairs[1]))


def test_voc_round_trip(tmp_path):
    voc, back, again = tmp_path / "voc", tmp_path / "back", tmp_path / "again"
    labels = str(DATA / "labels.txt")
    assert (
        main(["export", "voc", str(DATA / "src"), str(voc), "--labels", labels, "--workers", "1"])
        == 0
    )
    assert main(["import", "voc", str(voc), str(back), "--workers", "1"]) == 0
    assert (back / "labels.txt").read_text() == "__ignore__\n_background_\ncat\ndog\nbird\n"
    doc = read_labelme(back / "all_shapes.json")
    assert doc.image_file().resolve() == (voc / "JPEGImages/all_shapes.jpg").resolve()
    assert {s.label for s in doc.shapes} == {"cat", "dog", "bird", "_background_", "__ignore__"}
    args = [
        "export",
        "voc",
        str(back),
        str(again),
        "--labels",
        str(back / "labels.txt"),
        "--workers",
        "1",
        "--allow-outside",  # the import's imagePath points into the VOC folder, outside back/
    ]
    assert main(args) == 0
    for stem in ("all_shapes", "overlap"):
        cls_a = png(voc / "SegmentationClass" / f"{stem}.png")
        assert np.array_equal(png(again / "SegmentationClass" / f"{stem}.png"), cls_a)
        ins_a = png(voc / "SegmentationObject" / f"{stem}.png")
        ins_b = png(again / "SegmentationObject" / f"{stem}.png")
        assert same_partition(ins_a, ins_b), stem
    # ids in file order are kept where no __ignore__ instance left a gap before them
    assert np.array_equal(
        png(again / "SegmentationObject/overlap.png"), png(voc / "SegmentationObject/overlap.png")
    )


def test_class_png_alone_and_16bit_objects(tmp_path):
    voc = tmp_path / "voc"
    for sub in ("SegmentationClass", "SegmentationObject", "JPEGImages"):
        (voc / sub).mkdir(parents=True)
    (voc / "class_names.txt").write_text("background\nroad\ncar")
    cls = np.zeros((10, 12), np.int32)
    cls[0:3] = 1  # road, no objects
    cls[5:9, 0:12] = 2
    ins = np.zeros_like(cls)
    ins[5:9, 0:6] = 300  # needs a 16-bit object PNG
    ins[5:9, 6:12] = 255  # in a 16-bit PNG, 255 is an id, not "void"
    save_label_png(voc / "SegmentationClass/a.png", cls)
    save_label_png(voc / "SegmentationObject/a.png", ins, allow_16bit=True)
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(voc / "JPEGImages/a.jpg")
    save_label_png(voc / "SegmentationClass/b.png", cls)  # no object PNG, no image
    report = run_to_end(import_voc(voc, tmp_path / "out", workers=1, copy_images=True))
    assert report.exit_code == 1
    assert report.failures == [
        (str(voc / "SegmentationClass/b.png"), "its image file was not found")
    ]
    doc = read_labelme(tmp_path / "out/a.json")
    assert doc.image_path == "a.jpg" and (tmp_path / "out/a.jpg").is_file()
    got = [(s.label, s.shape_type, s.points.min(axis=0).tolist()) for s in doc.shapes]
    assert got == [
        ("car", "polygon", [6.0, 5.0]),  # object 255
        ("car", "polygon", [0.0, 5.0]),  # object 300
        ("road", "polygon", [0.0, 0.0]),  # class pixels without an object
    ]


def test_rgb_label_pngs_are_read_through_the_colormap(tmp_path):
    voc = tmp_path / "voc"
    shutil.copytree(DATA / "labelme_voc", voc)
    (voc / "JPEGImages").mkdir()
    shutil.copy(DATA / "src/overlap.png", voc / "JPEGImages")
    for p in (voc / "SegmentationClass").glob("*.png"):
        with Image.open(p) as im:
            im.convert("RGB").save(p)
    (voc / "SegmentationClass/all_shapes.png").unlink()
    run_to_end(import_voc(voc, tmp_path / "out", workers=1))
    labels = [s.label for s in read_labelme(tmp_path / "out/overlap.json").shapes]
    assert labels == ["cat", "dog", "cat"]


def test_label_png_with_eps_bytes_never_reaches_ghostscript(tmp_path, monkeypatch):
    """Issue 11: label PNGs are opened with the same format allow-list as images, so EPS
    bytes named .png are refused with a message naming the file, never parsed as EPS."""
    from PIL import EpsImagePlugin

    tried: list[object] = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: tried.append(self))
    voc = tmp_path / "voc"
    for sub in ("SegmentationClass", "JPEGImages"):
        (voc / sub).mkdir(parents=True)
    (voc / "class_names.txt").write_text("background\nroad")
    trap = voc / "SegmentationClass/a.png"
    trap.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(voc / "JPEGImages/a.jpg")
    report = run_to_end(import_voc(voc, tmp_path / "out", workers=1))
    assert report.exit_code == 1 and tried == []
    [(name, reason)] = report.failures
    assert name == str(trap) and reason.startswith("cannot read the label image")
    assert not (tmp_path / "out/a.json").exists()
