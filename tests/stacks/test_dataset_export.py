"""Issue 15 item 6: per-frame VOC, COCO and YOLO exports of a video or volume in one command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeldesk.cli import main
from labeldesk.core.shapes import Shape
from labeldesk.io.stacks import open_stack
from labeldesk.io.stacks.dataset import SCRATCH_PREFIX
from labeldesk.io.stacks.sidecar import open_annotations
from tests.stacks.makers import volume, write_nifti, write_video


def _square(x: float, y: float, s: float) -> list[list[float]]:
    return [[x, y], [x + s, y], [x + s, y + s], [x, y + s]]


def _label(src: Path, frames: dict[int, list[Shape]]) -> None:
    with open_stack(src) as stack:
        ann = open_annotations(stack)
        for i, shapes in frames.items():
            for s in shapes:
                ann.document(i).add_shape(s)
        ann.save_all()


def test_voc_and_coco_of_a_video_in_one_command(tmp_path: Path, capsys) -> None:
    video = write_video(tmp_path / "clip.mp4", n=8)
    _label(
        video,
        {
            1: [Shape("car", _square(4, 4, 10), group_id=1)],
            5: [
                Shape("car", _square(20, 10, 10), group_id=1),
                Shape("dog", _square(40, 20, 6), group_id=2),
            ],
        },
    )
    voc = tmp_path / "voc"
    args = ["export", "voc", str(video), str(voc), "--labels", "car,dog", "--val-fraction", "0"]
    assert main(args) == 0
    pngs = sorted(p.name for p in (voc / "SegmentationClass").glob("*.png"))
    assert pngs == ["000001.png", "000005.png"]
    names = (voc / "class_names.txt").read_text().split()
    cls5 = np.asarray(Image.open(voc / "SegmentationClass/000005.png"))
    assert cls5.shape == (48, 64)
    assert cls5[15, 25] == names.index("car") and cls5[23, 43] == names.index("dog")
    assert cls5[2, 2] == 0
    with open_stack(video) as stack:
        frame5 = np.asarray(stack.frame(5))
    jpg = np.asarray(Image.open(voc / "JPEGImages/000005.jpg"))
    assert jpg.shape == frame5.shape and np.abs(jpg.astype(int) - frame5).mean() < 8

    coco = tmp_path / "coco"
    assert main(["export", "coco", str(video), str(coco), "--labels", "car,dog"]) == 0
    data = json.loads((coco / "annotations.json").read_text())
    files = sorted(Path(im["file_name"]).stem for im in data["images"])
    assert files == ["000001", "000005"]
    assert sorted(a["category_id"] for a in data["annotations"]) == sorted(
        [c["id"] for c in data["categories"] if c["name"] == n][0] for n in ("car", "car", "dog")
    )
    # the scratch folder of frames is gone; nothing was written next to the video
    assert not list(tmp_path.glob(SCRATCH_PREFIX + "*"))
    assert (tmp_path / "clip.mp4.labels").is_dir()


def test_yolo_of_a_volume_and_an_empty_stack(tmp_path: Path, capsys) -> None:
    ct = write_nifti(tmp_path / "ct.nii.gz", volume((20, 16, 6)))
    _label(ct, {2: [Shape("liver", _square(2, 2, 6))]})
    out = tmp_path / "yolo"
    assert main(["export", "yolo", str(ct), str(out), "--labels", "liver"]) == 0
    labels = sorted(p.name for p in out.rglob("*.txt") if p.parent.name in ("train", "val"))
    assert labels == ["000002.txt"]
    empty = write_nifti(tmp_path / "empty.nii.gz", volume((20, 16, 4)))
    code = main(["export", "voc", str(empty), str(tmp_path / "none"), "--labels", "liver"])
    assert code != 0
    assert "no annotated frame" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    assert not list(tmp_path.glob(SCRATCH_PREFIX + "*"))


@pytest.mark.parametrize("fmt", ["voc", "coco"])
def test_a_folder_of_labelme_files_is_exported_as_before(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(src / "a.png")
    doc = {"version": "5.5.0", "flags": {}, "imagePath": "a.png", "imageData": None,
           "imageHeight": 10, "imageWidth": 12,
           "shapes": [{"label": "car", "points": [[1, 1], [5, 5]], "shape_type": "rectangle",
                       "flags": {}, "group_id": None}]}  # fmt: skip
    (src / "a.json").write_text(json.dumps(doc))
    assert main(["export", fmt, str(src), str(tmp_path / "out"), "--labels", "car"]) == 0


def test_a_labeled_frame_folder_exports_as_the_labelme_folder_it_is(tmp_path: Path) -> None:
    from tests.stacks.makers import write_frames

    folder = write_frames(tmp_path / "frames", n=5)
    _label(folder, {3: [Shape("car", _square(4, 4, 10))]})
    assert main(["export", "voc", str(folder), str(tmp_path / "voc"), "--labels", "car"]) == 0
    pngs = list((tmp_path / "voc" / "SegmentationClass").glob("*.png"))
    assert len(pngs) == 1 and "3" in pngs[0].stem
