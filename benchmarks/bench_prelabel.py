"""Pre-labeling speed with a model trained on the user's labels, at 1024x768.

Trains a small U-Net on synthetic 128x128 scenes (two textured classes, see
:mod:`labeldesk.models.seg.synthetic`), then pre-labels 1024x768 images made of 8x6 such
scenes (about 100 objects each):

- in process: read the PNG, predict (softmax, instances by connected components), turn each
  object into a polygon or mask shape and write the labelme JSON; images per second;
- the real command: ``labeldesk prelabel DIR --model MODEL --overwrite`` in a subprocess,
  both its own rate (after start-up) and the wall time per run including start-up and the
  torch import.

Each figure is the median of ``--runs`` runs, for each CPU thread count in ``--threads``
(and CUDA with ``--device cuda``). The load average is printed: on a shared machine the
figures are only as quiet as the machine.

Usage: .venv/bin/python benchmarks/bench_prelabel.py [--runs 5] [--images 6] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from labeldesk.models.device import import_torch  # noqa: E402

torch = import_torch()

from labeldesk.core.document import Document  # noqa: E402
from labeldesk.io import load_image, to_rgb8, write_labelme  # noqa: E402
from labeldesk.models import seg  # noqa: E402
from labeldesk.models.proposals import model_proposals, run_steps  # noqa: E402
from labeldesk.models.seg.synthetic import CLASS_NAMES, make_samples  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARCHS = {
    "unet w8 d3": {"arch": "unet", "width": 8, "depth": 3},
    "unet w16 d4 (default)": {"arch": "unet", "width": 16, "depth": 4},
}


def train_model(arch: dict, steps: int, out: Path) -> tuple[Path, float, float]:
    """Train on 24 synthetic 128x128 scenes; returns (sidecar, held-out mean IoU, seconds)."""
    samples = make_samples(24, 128, seed=1)
    cfg = {"arch": arch, "crop_size": 128, "batch_size": 8, "lr": 0.005, "max_steps": steps,
           "val_every": max(1, steps // 4), "patience": 0}  # fmt: skip
    result = seg.run_training(seg.train(samples, CLASS_NAMES, cfg, seed=0, device="cpu"))
    _, sidecar = seg.save_model(result.model, out)
    return sidecar, result.metrics.get("mean_iou", 0.0), result.seconds


def write_images(folder: Path, n: int) -> list[Path]:
    """``n`` 1024x768 PNGs, each an 8x6 grid of 128x128 synthetic scenes."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        tiles = make_samples(48, 128, seed=100 + i)
        rows = [np.hstack([t.image for t in tiles[r * 8 : r * 8 + 8]]) for r in range(6)]
        path = folder / f"scene{i:02d}.png"
        cv2.imwrite(str(path), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths


def prelabel_in_process(model: seg.SegModel, paths: list[Path]) -> tuple[float, float]:
    """(images per second, objects per image) for read + predict + convert + write."""
    objects = 0
    start = time.perf_counter()
    for path in paths:
        rgb = to_rgb8(load_image(path))
        found = run_steps(model_proposals(model, rgb))
        shapes = [s for s in (p.to_shape() for p in found) if s is not None]
        doc = Document(path.name, rgb.shape[0], rgb.shape[1], shapes=shapes)
        write_labelme(doc, path.with_suffix(".json"), embed_image=False)
        objects += len(shapes)
    return len(paths) / (time.perf_counter() - start), objects / len(paths)


def prelabel_command(folder: Path, sidecar: Path, threads: int, device: str) -> tuple[float, float]:
    """(the command's own images/s, wall seconds of the whole run incl. start-up)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    cmd = [sys.executable, "-m", "labeldesk", "prelabel", str(folder), "--model", str(sidecar),
           "--overwrite", "--device", device]  # fmt: skip
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"prelabel failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    rate = float(re.search(r"([\d.]+) images/s", out.stdout).group(1))
    return rate, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--images", type=int, default=6, help="1024x768 images per run")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=300, help="training steps of each model")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = ap.parse_args()
    print(f"torch {torch.__version__}, load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs; {args.images} images of 1024x768 per run, median of "
          f"{args.runs} runs")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        paths = write_images(folder, args.images)
        for name, arch in ARCHS.items():
            torch.set_num_threads(max(args.threads))
            sidecar, iou, secs = train_model(arch, args.steps, Path(tmp) / f"{arch['width']}.pt")
            model = seg.load_model(sidecar, device=args.device)
            print(
                f"\n{name}: trained {args.steps} steps in {secs:.0f} s, held-out mean IoU {iou:.2f}"
            )
            for threads in args.threads if args.device == "cpu" else [max(args.threads)]:
                torch.set_num_threads(threads)
                prelabel_in_process(model, paths[:1])  # warm-up
                rates = [prelabel_in_process(model, paths) for _ in range(args.runs)]
                cmd = [
                    prelabel_command(folder, sidecar, threads, args.device)
                    for _ in range(args.runs)
                ]
                where = f"{threads} thread(s)" if args.device == "cpu" else "cuda"
                print(f"  {where}: in process {statistics.median(r for r, _ in rates):.2f} images/s "
                      f"({statistics.median(o for _, o in rates):.0f} objects/image); "
                      f"labeldesk prelabel {statistics.median(r for r, _ in cmd):.2f} images/s "
                      f"after start-up, {statistics.median(w for _, w in cmd):.1f} s per run of "
                      f"{args.images} images incl. start-up")  # fmt: skip


if __name__ == "__main__":
    main()
