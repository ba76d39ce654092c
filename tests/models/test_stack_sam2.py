"""``labeldesk propagate --model`` with a tiny, randomly initialised SAM 2.1 (plumbing only:
random weights say nothing about quality)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch

from labeldesk.cli import main
from labeldesk.core.machine import is_machine
from labeldesk.core.shapes import Shape
from labeldesk.io import read_labelme
from labeldesk.io.stacks import open_stack
from labeldesk.io.stacks.sidecar import open_annotations
from tests.stacks.makers import write_video

CONFIG = Path(__file__).resolve().parents[1] / "data" / "sam2" / "sam2_tiny_config.json"


def test_propagate_with_sam2_video_predictor(tmp_path: Path) -> None:
    from labeldesk.models.sam2 import build_sam2
    from labeldesk.models.sam2.checkpoint import resolve_config

    torch.manual_seed(0)
    model = build_sam2(resolve_config(CONFIG))
    ckpt = tmp_path / "tiny.pt"
    torch.save({"model": model.state_dict()}, ckpt)
    shutil.copy(CONFIG, tmp_path / "tiny_config.json")
    video = write_video(tmp_path / "clip.mp4", n=6)
    with open_stack(video) as stack:
        ann = open_annotations(stack)
        sq = np.array([[8, 8], [30, 8], [30, 30], [8, 30]], float)
        ann.document(0).add_shape(Shape("blob", sq))
        ann.save_all()
    code = main(["propagate", str(video), "--from", "0", "--to", "3", "--model", str(ckpt),
                 "--device", "cpu"])  # fmt: skip
    assert code == 0
    side = tmp_path / "clip.mp4.labels"
    first = read_labelme(side / "000000.json", check_image=False)
    assert first.shapes[0].group_id == 1 and not is_machine(first.shapes[0])
    written = sorted(side.glob("00000[1-3].json"))
    print("frames written by the tiny random model:", [p.name for p in written])
    for path in written:
        for s in read_labelme(path, check_image=False).shapes:
            assert s.group_id == 1 and s.extra["machine"] == "propagate"
