from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeldesk.cli import main
from labeldesk.core.convert import mask_to_shape
from labeldesk.core.shapes import Shape
from labeldesk.io import load_image, read_labelme
from labeldesk.io.stacks import open_stack
from labeldesk.io.stacks.sidecar import open_annotations
from tests.stacks.makers import volume, write_dicom_series, write_nifti, write_video
from tests.stacks.scenes import moving_ellipse


def _square(x: float, y: float, s: float) -> np.ndarray:
    return np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], float)


def _label_volume(path: Path, keys: dict[int, list[Shape]]) -> None:
    with open_stack(path) as stack:
        ann = open_annotations(stack)
        for i, shapes in keys.items():
            for s in shapes:
                ann.document(i).add_shape(s)
        ann.save_all()


@pytest.mark.parametrize("kind", ["nifti", "dicom"])
def test_interpolate_then_export_nifti_keeps_geometry(tmp_path: Path, kind: str) -> None:
    import nibabel as nib

    if kind == "nifti":
        src = write_nifti(tmp_path / "ct.nii.gz", volume((20, 16, 12)))
        key_a, key_b = 2, 8
    else:
        src = write_dicom_series(tmp_path / "ct", n=6)
        key_a, key_b = 0, 4
    _label_volume(
        src,
        {
            key_a: [Shape("liver", _square(2, 2, 4), group_id=1)],
            key_b: [Shape("liver", _square(4, 3, 4), group_id=1)],
        },
    )
    assert main(["interpolate", str(src), "--between", str(key_a), str(key_b)]) == 0
    out = tmp_path / "labels.nii.gz"
    assert main(["export", "nifti", str(src), str(out)]) == 0
    img = nib.load(str(out))
    with open_stack(src) as stack:
        assert np.allclose(img.affine, stack.affine)
        assert img.shape == (stack.frame_shape[1], stack.frame_shape[0], len(stack))
        assert np.allclose(img.header.get_zooms()[:3], stack.spacing)
    data = np.asarray(img.dataobj)
    assert data.dtype == np.uint8
    # key slice: the square x 2..6, y 2..6 drawn inclusive, stored as L[x, y, k]
    assert data[2:7, 2:7, key_a].all() and data[:, :, key_a].sum() == 25
    mid = (key_a + key_b) // 2
    assert data[:, :, mid].sum() > 0  # interpolated slices are in the map
    assert data[:, :, key_b + 1].sum() == 0
    meta = json.loads((tmp_path / "labels.json").read_text())
    assert meta["labels"] == {"0": "_background_", "1": "liver"}


def test_video_propagate_cli_and_exports(tmp_path: Path) -> None:
    import av

    frames, masks = moving_ellipse(8, h=96, w=128)
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=10)
        st.width, st.height, st.pix_fmt = 128, 96, "yuv420p"
        st.options = {"crf": "12", "preset": "ultrafast"}
        for f in frames:
            for p in st.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    with open_stack(path) as stack:
        ann = open_annotations(stack)
        blob = mask_to_shape(masks[0], "blob")
        assert blob is not None
        ann.document(0).add_shape(blob)
        ann.document(0).add_shape(Shape("tag", _square(100, 5, 6), group_id=9))
        ann.save_all()
    assert main(["propagate", str(path), "--from", "0", "--to", "5", "--objects", "0"]) == 0
    side = tmp_path / "clip.mp4.labels"
    assert sorted(p.name for p in side.glob("*.json"))[:2] == ["000000.json", "000001.json"]
    d5 = read_labelme(side / "000005.json", check_image=False)
    (s5,) = d5.shapes
    assert s5.extra["machine"] == "propagate" and s5.group_id == 10  # the next free track id
    # frames export: labelme opens every JSON (the image it names exists, sizes agree)
    out = tmp_path / "frames"
    assert main(["export", "frames", str(path), str(out)]) == 0
    for i in range(6):
        doc = read_labelme(out / f"{i:06d}.json")  # check_image=True: the PNG is there
        assert doc.image_path == f"{i:06d}.png"
        assert load_image(out / doc.image_path).shape == (96, 128, 3)
    # the exported frames feed the existing per-image exporters (VOC, COCO)
    coco = tmp_path / "coco"
    assert main(["export", "coco", str(out), str(coco), "--labels", "blob,tag", "--noviz"]) == 0
    data = json.loads((coco / "annotations.json").read_text())
    assert len(data["images"]) == 6 and len(data["annotations"]) == 7  # 6 blobs + 1 tag
    voc = tmp_path / "voc"
    assert main(["export", "voc", str(out), str(voc), "--labels", "blob,tag", "--noviz"]) == 0
    assert len(list((voc / "SegmentationClass").glob("*.png"))) == 6
    # DAVIS: ids stable across frames; MOT rows per track
    davis = tmp_path / "davis"
    assert main(["export", "davis", str(path), str(davis)]) == 0
    objects = json.loads((davis / "objects.json").read_text())["objects"]
    assert [(o["label"], o["track"]) for o in objects] == [("blob", 10), ("tag", 9)]
    p0 = Image.open(davis / "000000.png")
    assert p0.mode == "P"
    a0, a5 = np.asarray(p0), np.asarray(Image.open(davis / "000005.png"))
    assert set(np.unique(a0)) == {0, 1, 2} and set(np.unique(a5)) == {0, 1}
    iou = (a5 == 1)[masks[5]].sum() / ((a5 == 1) | masks[5]).sum()
    assert iou > 0.8
    # COCO with video, frame and track ids: the same objects and pixels as the DAVIS PNGs
    from pycocotools import mask as mask_utils

    cv = tmp_path / "coco_video"
    assert main(["export", "coco-video", str(path), str(cv)]) == 0
    data = json.loads((cv / "annotations.json").read_text())
    assert data["videos"][0]["length"] == 8 and [c["name"] for c in data["categories"]] == [
        "blob",
        "tag",
    ]
    assert [im["frame_id"] for im in data["images"]] == list(range(6))
    assert {(t["id"], t["label"], t["track"]) for t in data["tracks"]} == {
        (1, "blob", 10),
        (2, "tag", 9),
    }
    for a in data["annotations"]:
        frame = data["images"][a["image_id"] - 1]["frame_id"]
        want = np.asarray(Image.open(davis / f"{frame:06d}.png")) == a["track_id"]
        assert np.array_equal(mask_utils.decode(a["segmentation"]).astype(bool), want)
        assert (cv / data["images"][a["image_id"] - 1]["file_name"]).is_file()
    mot = tmp_path / "tracks.csv"
    assert main(["export", "mot", str(path), str(mot)]) == 0
    rows = [r.split(",") for r in mot.read_text().splitlines()]
    assert rows[0][:2] == ["1", "1"] and rows[1][:6] == ["1", "2", "100", "5", "7", "7"]
    assert [r[1] for r in rows[2:]] == ["1"] * 5 and rows[-1][0] == "6"


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_video(tmp_path / "v.mp4", n=4)
    assert main(["propagate", str(path), "--from", "0"]) == 1
    assert "frame 0 has no objects" in capsys.readouterr().err
    assert main(["propagate", str(path), "--from", "9"]) == 1
    assert "--from 9 is outside 0..3" in capsys.readouterr().err
    assert main(["propagate", str(path), "--from", "0", "--model", str(tmp_path / "x.pt")]) == 1
    assert "x.pt" in capsys.readouterr().err
    assert main(["interpolate", str(tmp_path / "nope.mp4"), "--between", "0", "3"]) == 1
    assert "nope.mp4" in capsys.readouterr().err
    out = tmp_path / "o.nii.gz"
    out.write_bytes(b"")
    assert main(["export", "nifti", str(path), str(out)]) == 1
    assert "exists" in capsys.readouterr().err


def test_frame_folder_propagate_and_export(tmp_path: Path) -> None:
    frames, masks = moving_ellipse(6, h=96, w=128)
    folder = tmp_path / "seq"
    folder.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"img_{i + 1}.jpg", quality=95)  # 1-based names
    with open_stack(folder) as stack:
        assert [p.name for p in stack.files][:2] == ["img_1.jpg", "img_2.jpg"]
        ann = open_annotations(stack)
        blob = mask_to_shape(masks[0], "blob")
        assert blob is not None
        ann.document(0).add_shape(blob)
        ann.save_all()
    assert main(["propagate", str(folder), "--from", "0"]) == 0
    # labelme's own layout: JSON beside each image, opened with the image check
    for i in range(1, 6):
        doc = read_labelme(folder / f"img_{i + 1}.json")
        assert doc.image_path == f"img_{i + 1}.jpg" and doc.shapes[0].extra["machine"]
    out = tmp_path / "out"
    assert main(["export", "frames", str(folder), str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.jpg")) == [f"img_{i}.jpg" for i in range(1, 7)]
    assert (out / "img_1.jpg").read_bytes() == (folder / "img_1.jpg").read_bytes()
    read_labelme(out / "img_6.json")
    davis = tmp_path / "davis"
    assert main(["export", "davis", str(folder), str(davis)]) == 0
    a5 = np.asarray(Image.open(davis / "img_6.png"))
    assert ((a5 == 1) & masks[5]).sum() / ((a5 == 1) | masks[5]).sum() > 0.8
    # and back into a fresh copy of the folder: the same objects
    import shutil

    copy = tmp_path / "seq2"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("*.json"))
    assert main(["import", "davis", str(copy), str(davis)]) == 0
    doc = read_labelme(copy / "img_6.json")
    assert [(s.label, s.group_id) for s in doc.shapes] == [("blob", 1)]
