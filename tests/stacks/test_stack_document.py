from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from labeldesk.core.errors import ReadError
from labeldesk.core.jobs import run_job
from labeldesk.core.machine import is_machine, mark_machine
from labeldesk.core.shapes import Shape
from labeldesk.core.stack_jobs import interpolate, propagate
from labeldesk.io import read_labelme
from labeldesk.io.stacks import open_stack
from labeldesk.io.stacks.sidecar import open_annotations, sidecar_folder
from tests.stacks.makers import write_frames, write_video
from tests.stacks.scenes import moving_ellipse


def _square(x: float, y: float, s: float = 10.0) -> np.ndarray:
    return np.array([[x, y], [x + s, y], [x + s, y + s], [x, y + s]], float)


def test_sidecar_round_trip_video(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", n=12)
    with open_stack(path) as stack:
        ann = open_annotations(stack)
        assert sidecar_folder(stack) == tmp_path / "clip.mp4.labels"
        assert ann.annotated_frames() == []
        doc = ann.document(3)
        assert (doc.image_height, doc.image_width) == (48, 64)
        doc.add_shape(Shape("cell", _square(5, 5), group_id=7))
        assert ann.save_all() == [3]
    data = json.loads((tmp_path / "clip.mp4.labels" / "000003.json").read_text())
    assert data["imagePath"] == "000003.png" and data["shapes"][0]["group_id"] == 7
    with open_stack(path) as stack:
        ann = open_annotations(stack)
        assert ann.annotated_frames() == [3]
        assert ann.document(3).shapes[0].group_id == 7
        assert ann.next_track_id() == 8


def test_sidecar_of_frame_folder_is_labelme_layout(tmp_path: Path) -> None:
    folder = write_frames(tmp_path / "f", n=4)
    with open_stack(folder) as stack:
        ann = open_annotations(stack)
        ann.document(2).add_shape(Shape("a", _square(1, 1)))
        ann.save_all()
    doc = read_labelme(folder / "frame2.json")  # labelme's own check: the image is there
    assert doc.image_path == "frame2.png" and len(doc) == 1


def test_sidecar_size_mismatch_is_reported(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", n=4)
    side = tmp_path / "v.mp4.labels"
    side.mkdir()
    (side / "000001.json").write_text(
        json.dumps(
            {
                "version": "5.5.0",
                "flags": {},
                "shapes": [],
                "imagePath": "000001.png",
                "imageData": None,
                "imageHeight": 10,
                "imageWidth": 10,
            }
        )
    )
    with open_stack(path) as stack, pytest.raises(ReadError, match="000001.json.*48"):
        open_annotations(stack).document(1)


class _Frames:
    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames

    def __call__(self, i: int) -> np.ndarray:
        return self.frames[i]


def test_propagate_marks_machine_and_respects_corrections(tmp_path: Path) -> None:
    from PIL import Image

    frames, masks = moving_ellipse(10)
    folder = tmp_path / "clip"
    folder.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"{i:03d}.png")
    from labeldesk.core.convert import mask_to_shape

    with open_stack(folder) as stack:
        ann = open_annotations(stack)
        first = mask_to_shape(masks[0], "blob")
        assert first is not None
        ann.document(0).add_shape(first)
        result = run_job(propagate(ann, stack.frame, 0, 9))
        assert result.changed == list(range(10)) and result.objects == 9
        tid = ann.document(0).shapes[0].group_id
        assert tid == 1
        for j in range(1, 10):
            (s,) = ann.document(j).shapes
            assert s.group_id == tid and is_machine(s) and s.extra["machine"] == "propagate"
        # a person corrects frame 5 (unmarked object), then propagates again from frame 3
        d5 = ann.document(5)
        fixed = mask_to_shape(masks[5], "blob", group_id=tid)
        assert fixed is not None
        d5.replace_all([fixed])
        before7 = ann.document(7).shapes[0].uid
        result = run_job(propagate(ann, stack.frame, 3, 9))
        assert result.stopped == {tid: 5}  # stops at the person's frame
        assert ann.document(5).shapes[0].uid == fixed.uid
        assert ann.document(7).shapes[0].uid == before7  # after the key frame: untouched
        assert ann.document(4).shapes[0].extra["machine"] == "propagate"
        ann.save_all()
    saved = read_labelme(folder / "004.json")
    assert saved.shapes[0].extra["machine"] == "propagate"  # survives the file round trip


def test_interpolate_between_key_frames_one_undo_step_per_frame(tmp_path: Path) -> None:
    folder = write_frames(tmp_path / "f", n=11)
    with open_stack(folder) as stack:
        ann = open_annotations(stack)
        ann.document(0).add_shape(Shape("cell", _square(0, 0, 10), group_id=4))
        ann.document(10).add_shape(Shape("cell", _square(40, 20, 20), group_id=4))
        # untracked objects whose label occurs once in each key frame are paired
        ann.document(0).add_shape(Shape("dot", _square(30, 30, 4)))
        ann.document(10).add_shape(Shape("dot", _square(30, 10, 4)))
        # an earlier machine-made guess in frame 5 gets replaced; a person's in frame 7 not
        guess = mark_machine(Shape("cell", _square(1, 1), group_id=4), "propagate")
        ann.document(5).add_shape(guess)
        person = Shape("cell", _square(2, 2), group_id=4)
        ann.document(7).add_shape(person)
        result = run_job(interpolate(ann, 0, 10))
        dot_id = ann.document(0).shapes[1].group_id
        assert dot_id is not None and dot_id != 4
        assert ann.document(10).shapes[1].group_id == dot_id
        assert result.changed == list(range(1, 10)) and result.objects == 17
        mid = {s.group_id: s for s in ann.document(5).shapes}
        assert set(mid) == {4, dot_id}
        cell = mid[4]
        assert cell.extra["machine"] == "interpolate" and cell.shape_type == "polygon"
        assert np.allclose(cell.points.mean(axis=0), [27.5, 17.5], atol=0.6)
        assert np.ptp(cell.points[:, 0]) == pytest.approx(15.0, abs=0.6)
        assert np.allclose(mid[dot_id].points.mean(axis=0), [32.0, 22.0], atol=0.6)
        cells7 = [s for s in ann.document(7).shapes if s.group_id == 4]
        assert [s.uid for s in cells7] == [person.uid]
        # one undo step per frame brings the frame back as it was
        assert ann.document(5).undo()
        assert [s.uid for s in ann.document(5).shapes] == [guess.uid]
        assert ann.document(3).undo() and len(ann.document(3)) == 0


def test_interpolate_masks_between_mask_shapes(tmp_path: Path) -> None:
    from labeldesk.core.convert import mask_to_shape

    folder = write_frames(tmp_path / "f", n=5)
    with open_stack(folder) as stack:
        ann = open_annotations(stack)
        a = np.zeros((48, 64), bool)
        a[10:30, 10:30] = True
        a[18:22, 18:22] = False  # a hole: stays a mask shape
        b = np.roll(a, 20, axis=1)
        sa, sb = mask_to_shape(a, "ring", group_id=3), mask_to_shape(b, "ring", group_id=3)
        assert sa is not None and sb is not None and sa.shape_type == "mask"
        ann.document(0).add_shape(sa)
        ann.document(4).add_shape(sb)
        run_job(interpolate(ann, 0, 4))
        (mid,) = ann.document(2).shapes
        assert mid.shape_type == "mask" and mid.group_id == 3
        assert mid.points[0].tolist() == [20.0, 10.0]


class _FakeVideoPredictor:
    """The Sam2VideoPredictor calls the adaptor makes; its 'tracking' moves each mask 2 px
    right per frame, and loses object 2 on frame 2."""

    def init_state(self, frames, num_frames):  # noqa: ANN001, ANN201
        assert callable(frames) and frames(0).dtype == np.uint8
        return {"n": num_frames, "masks": {}}

    def add_mask(self, state, frame_index, obj_id, mask):  # noqa: ANN001, ANN201
        state["masks"][obj_id] = (frame_index, mask)

    def propagate(self, state, start_frame, reverse, max_frames):  # noqa: ANN001, ANN201
        step = -1 if reverse else 1
        for k in range(max_frames + 1):
            frame = start_frame + step * k
            out = {}
            for obj, (_f, m) in state["masks"].items():
                moved = np.roll(m, 2 * k * step, axis=1)
                lost = obj == 2 and k >= 2
                out[obj] = np.where(moved & ~lost, 5.0, -5.0)[None]
            yield frame, out


def test_sam2_adaptor_payload_and_stops(tmp_path: Path) -> None:
    from labeldesk.models.stack_tracker import sam2_track_masks

    folder = write_frames(tmp_path / "f", n=6)
    with open_stack(folder) as stack:
        ann = open_annotations(stack)
        ann.document(0).add_shape(Shape("a", _square(5, 5, 10), group_id=1))
        ann.document(0).add_shape(Shape("b", _square(30, 20, 8), group_id=2))
        person = Shape("a", _square(20, 5, 10), group_id=1)
        ann.document(4).add_shape(person)
        job = propagate(
            ann,
            stack.frame,
            0,
            5,
            tracker=lambda plan, frames: sam2_track_masks(
                plan, frames, len(stack), _FakeVideoPredictor()
            ),
        )
        result = run_job(job)
        assert result.stopped == {1: 4, 2: 2}
        a3 = [s for s in ann.document(3).shapes if s.group_id == 1]
        assert len(a3) == 1 and a3[0].extra["machine"] == "propagate"
        assert a3[0].bounds()[0] == pytest.approx(5 + 6, abs=0.5)  # moved 2 px a frame
        assert [s.group_id for s in ann.document(1).shapes] == [1, 2]
        assert [s.group_id for s in ann.document(2).shapes] == [1]  # object 2 was lost
        assert [s.uid for s in ann.document(4).shapes] == [person.uid]
