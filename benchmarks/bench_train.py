"""Training and prediction speed of labeldesk.models.seg on the synthetic two-class set.

Prints, for each CPU thread count asked for (and CUDA with --device cuda):

- time to reach the plateau: training runs with early stopping (validation every
  ``--val-every`` steps, patience 5); the plateau IoU is the best held-out mean foreground
  IoU of the run, and the time to plateau is the elapsed time at the first validation within
  0.02 of it. Median over ``--runs`` seeds.
- prediction images/second at 1024x768: ``predict`` (labels + confidence) and
  ``predict_instances`` (plus connected components and uncertainty), median of ``--repeats``.

Usage: .venv/bin/python benchmarks/bench_train.py [--runs 3] [--threads 1 2] [--device cpu]
On a shared machine the figures are only as quiet as the machine; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

from labeldesk.models.device import import_torch  # noqa: E402

torch = import_torch()

from labeldesk.models import seg  # noqa: E402
from labeldesk.models.seg.synthetic import CLASS_NAMES, make_samples  # noqa: E402

TRAIN_ARCH = {"arch": "unet", "width": 8, "depth": 3}
PREDICT_ARCHS = {
    "unet w8 d3 (tiny, as trained here)": {"arch": "unet", "width": 8, "depth": 3},
    "unet w16 d4 (default)": {"arch": "unet", "width": 16, "depth": 4},
    "deeplab w16": {"arch": "deeplab", "width": 16},
}


def train_once(samples, threads: int, seed: int, device: str, args) -> dict:
    cfg = {
        "arch": TRAIN_ARCH,
        "crop_size": 64,
        "batch_size": 8,
        "lr": 0.005,
        "max_steps": args.max_steps,
        "val_every": args.val_every,
        "patience": 5,
        "min_delta": 0.002,
        "threads": threads,
    }
    vals: list[tuple[float, int, float]] = []
    result = seg.run_training(
        seg.train(samples, CLASS_NAMES, cfg, seed=seed, device=device),
        lambda ev: ev.kind == "validation" and vals.append((ev.elapsed, ev.step, ev.mean_iou)),
    )
    best = max(v[2] for v in vals)
    t_plateau, step_plateau, _ = next(v for v in vals if v[2] >= best - 0.02)
    return {
        "plateau_iou": best,
        "seconds_to_plateau": t_plateau,
        "steps_to_plateau": step_plateau,
        "total_seconds": result.seconds,
        "ms_per_step": 1000 * result.seconds / max(1, result.steps),
        "stopped": result.stopped,
    }


def bench_training(args) -> None:
    samples = make_samples(args.images, 64, seed=1)
    settings = [("cuda", None)] if args.device == "cuda" else [("cpu", t) for t in args.threads]
    print(
        f"\n== training: {args.images} synthetic 64x64 images (80/20 split), unet w8 d3, batch 8 =="
    )
    for device, threads in settings:
        runs = [train_once(samples, threads or 1, seed, device, args) for seed in range(args.runs)]
        label = f"{device}" + (f", {threads} thread(s)" if threads else "")
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "stopped"}
        print(
            f"{label:>20}: plateau mean IoU {med['plateau_iou']:.3f} reached in "
            f"{med['seconds_to_plateau']:.1f} s ({med['steps_to_plateau']:.0f} steps); "
            f"{med['ms_per_step']:.1f} ms/step incl. validation; runs stopped: "
            f"{', '.join(r['stopped'] for r in runs)}"
        )
        for i, r in enumerate(runs):
            print(
                f"{'':>22}seed {i}: IoU {r['plateau_iou']:.3f} at {r['seconds_to_plateau']:.1f} s "
                f"/ step {r['steps_to_plateau']}, run {r['total_seconds']:.1f} s"
            )


def bench_prediction(args) -> None:
    rng = np.random.default_rng(0)
    image = make_samples(1, 768, seed=5, max_objects=12)[0].image
    image = np.ascontiguousarray(np.concatenate([image, image[:, :256]], axis=1))  # 1024x768
    assert image.shape == (768, 1024, 3)
    del rng
    settings = [("cuda", None)] if args.device == "cuda" else [("cpu", t) for t in args.threads]
    print(f"\n== prediction at 1024x768 (median of {args.repeats}) ==")
    for name, arch in PREDICT_ARCHS.items():
        torch.manual_seed(0)
        cfg = seg.network_config({**arch, "num_classes": 3})
        model = seg.SegModel(seg.build_network(cfg).eval(), list(CLASS_NAMES), cfg)
        for device, threads in settings:
            model.to(device)
            if threads:
                torch.set_num_threads(threads)
            seg.predict(model, image)  # warm-up
            times, inst_times = [], []
            for _ in range(args.repeats):
                t = time.perf_counter()
                seg.predict(model, image)
                if device == "cuda":
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - t)
                t = time.perf_counter()
                seg.predict_instances(model, image)
                inst_times.append(time.perf_counter() - t)
            label = f"{device}" + (f", {threads} thr" if threads else "")
            print(
                f"{name:>36} {label:>10}: predict {1 / statistics.median(times):.2f} img/s "
                f"({1000 * statistics.median(times):.0f} ms), predict_instances "
                f"{1 / statistics.median(inst_times):.2f} img/s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="training runs (seeds) per setting")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--val-every", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-prediction", action="store_true")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()}")
    if not args.skip_training:
        bench_training(args)
    if not args.skip_prediction:
        bench_prediction(args)
    print(f"\nload average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
