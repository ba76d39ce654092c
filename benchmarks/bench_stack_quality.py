"""Quality of weight-free propagation and of interpolation.

    .venv/bin/python benchmarks/bench_stack_quality.py

1. Real frames: labelme 7.9.1's ``examples/video_annotation`` (tests/data/real/video: five
   consecutive frames, 1000x563, two "track" objects and a car annotated on each). Every object
   of the first frame is propagated to the next four frames, frame by frame, and compared with
   that frame's annotation (objects paired by their order in the file, which is the same in
   every frame). Baseline: copying the first frame's mask unchanged. Printed per object and
   frame, with the mean, for flow + GrabCut band (the default) and for flow only.
2. Synthetic: a textured ellipse that moves, turns and deforms over a texture for 30 frames
   (tests/stacks/scenes.py); mean IoU over frames 1..29, with the same baseline.
3. Interpolation: a ball of radius 40 px from two key slices 20 apart (10 above and below its
   centre); Dice on each slice between, its minimum, and the Dice of the whole filled slab.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labeldesk.algorithms.interpolate import fill_between  # noqa: E402
from labeldesk.algorithms.propagate import propagate_mask  # noqa: E402
from labeldesk.algorithms.rasterize import shape_to_mask  # noqa: E402
from labeldesk.io import load_image, read_labelme  # noqa: E402


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / max(float((a | b).sum()), 1.0)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / max(float(a.sum() + b.sum()), 1.0)


def real_frames() -> None:
    files = sorted((ROOT / "tests/data/real/video").glob("*.json"))
    docs = [read_labelme(f) for f in files]
    images = [load_image(f.with_suffix(".jpg")) for f in files]
    h, w = images[0].shape[:2]
    masks = [
        [shape_to_mask((h, w), s.points, s.shape_type, mask=s.mask) for s in d.shapes] for d in docs
    ]
    names = [f"{s.label}#{k}" for k, s in enumerate(docs[0].shapes)]
    print(f"real frames {files[0].stem}..{files[-1].stem} ({w}x{h}), objects {names}")
    for mode in ("copy (baseline)", "flow + GrabCut band", "flow only"):
        table = []
        t = time.perf_counter()
        steps = 0
        for k in range(len(names)):
            m = masks[0][k]
            row = []
            for i in range(1, len(images)):
                if mode != "copy (baseline)":
                    m = propagate_mask(
                        images[i - 1], images[i], m, refine=mode.startswith("flow +")
                    )
                    steps += 1
                row.append(iou(m, masks[i][k]))
            table.append(row)
        arr = np.array(table)
        per = "; ".join(
            f"{n}: " + " ".join(f"{v:.3f}" for v in r) for n, r in zip(names, arr, strict=True)
        )
        speed = (
            f", {(time.perf_counter() - t) / steps * 1e3:.0f} ms per object-frame" if steps else ""
        )
        print(f"  {mode:20s} mean IoU {arr.mean():.3f} (frames 1-4 per object: {per}){speed}")


def synthetic() -> None:
    from tests.stacks.scenes import moving_ellipse

    frames, masks = moving_ellipse(30)
    base = np.mean([iou(masks[0], m) for m in masks[1:]])
    for refine in (True, False):
        m = masks[0]
        ious = []
        for i in range(1, 30):
            m = propagate_mask(frames[i - 1], frames[i], m, refine=refine)
            ious.append(iou(m, masks[i]))
        name = "flow + GrabCut band" if refine else "flow only"
        print(
            f"synthetic 30 frames, {name}: mean IoU {np.mean(ious):.3f}, last {ious[-1]:.3f} "
            f"(copy baseline {base:.3f})"
        )


def sphere() -> None:
    n, r, c = 128, 40.0, 64
    z, y, x = np.indices((n, n, n), dtype=np.float64) - (n - 1) / 2
    ball = x * x + y * y + z * z <= r * r
    lo, hi = c - 10, c + 10
    filled = fill_between({lo: ball[lo], hi: ball[hi]}, range(lo + 1, hi))
    d = [dice(filled[i], ball[i]) for i in range(lo + 1, hi)]
    slab = dice(np.stack([filled[i] for i in range(lo + 1, hi)]), ball[lo + 1 : hi])
    print(
        f"sphere r={r:.0f}, keys {hi - lo} slices apart: per-slice Dice min {min(d):.3f}, "
        f"median {np.median(d):.3f}; slab Dice {slab:.3f}"
    )


if __name__ == "__main__":
    real_frames()
    synthetic()
    sphere()
