"""Training and prediction speed of labeldesk.models.seg: the real nuclei, then the
synthetic two-class set.

First (``--skip-nuclei`` to leave out) the time-to-IoU on the real nuclei with the defaults:
the U-Net trained by the clock and the pixel classifier (forest) from polygons and from
strokes, next to Otsu's threshold (see benchmarks/bench_train_nuclei.py, which also runs
alone). Then, for each CPU thread count asked for (and CUDA with --device cuda):

- time to reach the plateau: training runs with early stopping (validation every
  ``--val-every`` steps, patience 5); the plateau IoU is the best held-out mean foreground
  IoU of the run, and the time to plateau is the elapsed time at the first validation within
  0.02 of it. Median over ``--runs`` seeds.
- prediction images/second at 1024x768: ``predict`` (labels + confidence) and
  ``predict_instances`` (plus connected components and uncertainty), median of ``--repeats``.
- instances at 1024x768 with about 100 objects (a mosaic of 128-pixel synthetic tiles):
  ``instances_from_labels`` on the true label map (plain, and split by a boundary map), the
  cost of building every instance's full mask, turning instances into proposals through the
  full mask (``labeldesk.models.proposals.model_proposals`` today) or from the crop, and
  ``predict_instances`` with a tiny U-Net trained here on 128-pixel images (first thread
  count). Measured on this shared 2-CPU machine (load 1.6-2.4), 1 thread, median of 15, the
  old full-mask code (git HEAD before the change) run alternately in the same process:
  instances_from_labels 58 -> 14 ms for 100 instances; with the boundary watershed
  112 -> 44 ms; instances + proposals 70 ms (full masks, from_mask) -> 14 ms (crops).
  predict_instances + proposals with the tiny U-Net (147 instances): 355 -> 266-277 ms, of
  which the network is most (predict_proba ~250-300 ms; noisy under this load).

Usage: .venv/bin/python benchmarks/bench_train.py [--runs 3] [--threads 1 2] [--device cpu]
On a shared machine the figures are only as quiet as the machine; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import cv2  # noqa: E402
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


def mosaic(tiles_y: int, tiles_x: int, tile: int, seed: int):
    """An image of ``tiles_y x tiles_x`` synthetic ``tile``-pixel samples (about 2 objects
    each): ``(image (H, W, 3) uint8, label (H, W) uint8, instances (H, W) int32)``."""
    samples = make_samples(tiles_y * tiles_x, tile, seed=seed, max_objects=3)
    rows_i, rows_l, rows_n = [], [], []
    top = 0
    for r in range(tiles_y):
        row = samples[r * tiles_x : (r + 1) * tiles_x]
        rows_i.append(np.concatenate([s.image for s in row], axis=1))
        rows_l.append(np.concatenate([s.label for s in row], axis=1))
        ins = []
        for s in row:
            ins.append(np.where(s.instances > 0, s.instances + top, 0))
            top += int(s.instances.max())
        rows_n.append(np.concatenate(ins, axis=1))
    return np.concatenate(rows_i), np.concatenate(rows_l), np.concatenate(rows_n).astype(np.int32)


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def bench_instances(args) -> None:
    """Label map -> instances -> proposals at 1024x768 with about 100 objects."""
    from labeldesk.models.proposals import Proposal
    from labeldesk.models.seg.instances import instances_from_labels

    image, label, truth = mosaic(6, 8, 128, seed=11)
    assert image.shape == (768, 1024, 3)
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1.0, label.shape).astype(np.float32)
    edges = cv2.morphologyEx(truth.astype(np.float32), cv2.MORPH_GRADIENT, np.ones((3, 3)))
    boundary = np.where(edges > 0, 0.9, 0.05).astype(np.float32)
    names = list(CLASS_NAMES)
    objs = instances_from_labels(label, names, confidence=conf)
    print(f"\n== instances at 1024x768: {int(truth.max())} objects (median of {args.repeats}) ==")

    def to_proposals(objs, fast: bool) -> list:
        if fast:
            return [Proposal(o.crop, o.origin, o.class_name, o.score, "model") for o in objs]
        return [Proposal.from_mask(o.mask, o.class_name, o.score, "model") for o in objs]

    plain = median_ms(lambda: instances_from_labels(label, names, confidence=conf), args.repeats)
    split = median_ms(
        lambda: instances_from_labels(label, names, confidence=conf, boundary=boundary),
        args.repeats,
    )
    full = median_ms(lambda: [o.mask for o in objs], args.repeats)
    conv_full = median_ms(lambda: to_proposals(objs, False), args.repeats)
    conv_crop = median_ms(lambda: to_proposals(objs, True), args.repeats)
    print(f"  instances_from_labels: {plain:.1f} ms ({len(objs)} instances)")
    print(f"  instances_from_labels with a boundary map (watershed split): {split:.1f} ms")
    print(f"  every instance's full (H, W) mask: {full:.1f} ms")
    print(f"  to proposals via the full mask (Proposal.from_mask(inst.mask)): {conv_full:.1f} ms")
    print(f"  to proposals from the crop (Proposal(inst.crop, inst.origin)): {conv_crop:.1f} ms")

    # the whole path with a real model: tiny U-Net trained on 128-pixel synthetic images
    torch.set_num_threads(args.threads[0])
    cfg = {"arch": TRAIN_ARCH, "crop_size": 64, "batch_size": 8, "lr": 0.005,
           "max_steps": 300, "val_every": 300, "patience": 0, "threads": args.threads[0]}  # fmt: skip
    samples = make_samples(20, 128, seed=1, max_objects=3)
    model = seg.run_training(seg.train(samples, CLASS_NAMES, cfg, seed=0, device="cpu")).model
    pred = seg.predict_instances(model, image)
    proba = median_ms(lambda: seg.predict_proba(model, image), args.repeats)
    total = median_ms(lambda: seg.predict_instances(model, image), args.repeats)
    conv = median_ms(lambda: to_proposals(pred.instances, True), args.repeats)
    print(
        f"  predict_instances, tiny U-Net trained here, {args.threads[0]} thread(s): {total:.0f} ms"
        f" ({len(pred.instances)} instances; predict_proba alone {proba:.0f} ms), + proposals "
        f"{conv:.1f} ms"
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
    parser.add_argument("--skip-instances", action="store_true")
    parser.add_argument("--skip-nuclei", action="store_true")
    parser.add_argument("--nuclei-seconds", type=float, default=60.0, help="U-Net budget")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()}")
    if not args.skip_nuclei:
        import sys
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_train_nuclei import main as bench_nuclei

        print("== real nuclei, defaults ==")
        bench_nuclei(["--runs", str(args.runs), "--seconds", str(args.nuclei_seconds)])
    if not args.skip_training:
        bench_training(args)
    if not args.skip_prediction:
        bench_prediction(args)
    if not args.skip_instances:
        bench_instances(args)
    print(f"\nload average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
