"""Interpolation between two key frames: time on the GUI thread before and after moving the
computation to the stack worker (the walkthrough saw 1.1-1.3 s frozen for 300 frames).

    .venv/bin/python benchmarks/bench_stack_interpolate.py [--frames 300] [--size 64x48] [--repeat 5]

A frame folder of ``--frames`` grey frames is written to a temporary folder; key frames 0 and
N-1 hold one object of the same track, a mask-type object (``--kind mask``, interpolated by
signed distance, the slow path) or a polygon (``--kind polygon``). For each run it times:

- ``whole``: :func:`labeldesk.core.stack_jobs.interpolate` run to the end, what the GUI thread
  did before (plan, compute, apply);
- ``gui``: what the GUI thread does now: :func:`plan_interpolation` + :func:`apply_interpolated`;
- ``worker``: :func:`interpolated_shapes`, now in the stack worker;
- ``save``: writing the changed frames' JSON files afterwards (each write fsyncs): before,
  all of it at once on the GUI thread; now ``SAVE_CHUNK`` frames per event-loop turn
  (``save/turn``: the longest single freeze that saving causes now).

Prints medians in ms. Other processes share this machine; figures vary with its load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from labeldesk.core.jobs import run_job
from labeldesk.core.shapes import Shape
from labeldesk.core.stack_jobs import (
    StackResult,
    apply_interpolated,
    interpolate,
    interpolated_shapes,
    plan_interpolation,
)
from labeldesk.io.stacks import open_stack
from labeldesk.io.stacks.sidecar import open_annotations

SAVE_CHUNK = 8  # labeldesk.ui.stack.jobs.SAVE_CHUNK (not imported: that module needs Qt)


def _key(kind: str, w: int, h: int, at_end: bool) -> Shape:
    if kind == "polygon":
        x0 = w * (0.55 if at_end else 0.1)
        pts = [[x0, h * 0.2], [x0 + w * 0.3, h * 0.25], [x0 + w * 0.2, h * 0.7]]
        return Shape("cell", pts, "polygon", group_id=1)
    mask = np.zeros((h, w), bool)
    cx = int(w * (0.7 if at_end else 0.3))
    cv2.circle(mask.view(np.uint8), (cx, h // 2), int(min(h, w) * (0.3 if at_end else 0.2)), 1, -1)
    ys, xs = np.nonzero(mask)
    x1, y1 = int(xs.min()), int(ys.min())
    crop = mask[y1 : int(ys.max()) + 1, x1 : int(xs.max()) + 1]
    pts = [[x1, y1], [int(xs.max()), int(ys.max())]]
    return Shape("cell", pts, "mask", group_id=1, mask=crop)


def run(folder: Path, n: int, kind: str, w: int, h: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in ("split", "whole"):
        side = folder.with_name(folder.name + ".labels")
        for f in side.glob("*.json"):
            f.unlink()
        with open_stack(folder) as stack:
            ann = open_annotations(stack)
            ann.document(0).add_shape(_key(kind, w, h, False))
            ann.document(n - 1).add_shape(_key(kind, w, h, True))
            t0 = time.perf_counter()
            if part == "whole":
                result = run_job(interpolate(ann, 0, n - 1, frames=stack.frame))
                out["whole"] = time.perf_counter() - t0
            else:
                plan = plan_interpolation(ann, 0, n - 1, frames=stack.frame)
                assert plan is not None
                t1 = time.perf_counter()
                made = interpolated_shapes(plan)
                t2 = time.perf_counter()
                result = run_job(apply_interpolated(ann, plan, made, StackResult()))
                t3 = time.perf_counter()
                out["gui"] = (t1 - t0) + (t3 - t2)
                out["worker"] = t2 - t1
            assert len(result.changed) == n - 2, result.changed
            if part == "split":
                t4 = time.perf_counter()
                for i in ann.dirty_frames():
                    ann.save(i)
                out["save"] = time.perf_counter() - t4
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--size", default="64x48")
    ap.add_argument("--kind", choices=("mask", "polygon"), default="mask")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "frames"
        folder.mkdir()
        for i in range(a.frames):
            cv2.imwrite(str(folder / f"f{i:04d}.png"), np.full((h, w), i % 256, np.uint8))
        runs = [run(folder, a.frames, a.kind, w, h) for _ in range(a.repeat)]
    print(f"{a.frames} frames of {w}x{h}, {a.kind} key objects, median of {a.repeat} runs")
    for key in ("whole", "gui", "worker", "save"):
        print(f"  {key:9s} {1000 * statistics.median(r[key] for r in runs):8.1f} ms")
    per_turn = statistics.median(r["save"] for r in runs) * SAVE_CHUNK / max(a.frames - 2, 1)
    print(f"  save/turn {1000 * per_turn:8.1f} ms ({SAVE_CHUNK} frames)")


if __name__ == "__main__":
    main()
