"""Time SAM-family models on this machine with random weights (figures, not a test).

Prints one line per figure: image-encoder time and per-click time at 1024 px for MobileSAM-size
(vit_t) and ViT-B-size models, and automatic-mask-generation time at 1024 px. Medians of
several runs. Usage::

    .venv/bin/python benchmarks/bench_sam.py [--device cpu] [--runs 3] [--amg-points 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from labeldesk.models.device import import_torch, select_device

torch = import_torch()

from labeldesk.models.sam import SamAutomaticMaskGenerator, SamPredictor, build_sam  # noqa: E402


def test_image(size: int = 1024) -> np.ndarray:
    """A (size, size, 3) uint8 RGB picture with a few flat shapes on a gradient."""
    yy, xx = np.mgrid[0:size, 0:size]
    img = np.stack([xx * 255 // size, yy * 255 // size, np.full_like(xx, 90)], -1)
    img[(xx - 300) ** 2 + (yy - 350) ** 2 < 150**2] = (220, 40, 40)
    img[600:900, 500:950] = (30, 160, 60)
    img[100:250, 650:900] = (40, 60, 200)
    return img.astype(np.uint8)


def median_time(fn: Callable[[], object], runs: int, sync: Callable[[], None]) -> float:
    """Median wall time of ``runs`` calls after one warm-up call (also records the minimum)."""
    fn()  # warm-up
    sync()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    LAST_MIN[0] = min(times)
    return statistics.median(times)


LAST_MIN = [0.0]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms (min {LAST_MIN[0] * 1000:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("--click-runs", type=int, default=10)
    parser.add_argument("--amg-points", type=int, default=8, help="AMG points_per_side")
    parser.add_argument("--models", default="vit_t,vit_b")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"))
    args = parser.parse_args()

    device = select_device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    print(
        f"torch {torch.__version__}, device {device}, torch threads {torch.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    image = test_image(1024)
    click = np.array([[300.0, 350.0]])
    label = np.array([1])
    for name in args.models.split(","):
        torch.manual_seed(0)
        model = build_sam(name).to(device)
        model.set_encoder_precision(args.precision)
        pred = SamPredictor(model)
        enc = median_time(lambda p=pred: p.set_image(image), args.runs, sync)
        print(
            f"{name}: image encoder (set_image, 1024x1024 RGB, {args.precision}): "
            f"{ms(enc)}, median of {args.runs}"
        )
        first = median_time(lambda p=pred: p.predict(click, label), args.click_runs, sync)
        print(
            f"{name}: click, 1 point, 3 masks at 1024x1024: {ms(first)}, "
            f"median of {args.click_runs}"
        )
        _, iou, low = pred.predict(click, label)
        feedback = low[np.argmax(iou)][None]
        two = np.array([[300.0, 350.0], [700.0, 750.0]])

        def refine(
            p: SamPredictor = pred, two: np.ndarray = two, fb: np.ndarray = feedback
        ) -> object:
            return p.predict(two, np.array([1, 0]), mask_input=fb, multimask_output=False)

        ref = median_time(refine, args.click_runs, sync)
        print(
            f"{name}: click, 2 points + previous mask, 1 mask: {ms(ref)}, "
            f"median of {args.click_runs}"
        )
        for label_, iou_t, stab_t in (("filters on", 0.88, 0.95), ("filters off", 0.0, 0.0)):
            gen = SamAutomaticMaskGenerator(
                pred,
                points_per_side=args.amg_points,
                points_per_batch=64,
                pred_iou_thresh=iou_t,
                stability_score_thresh=stab_t,
                box_nms_thresh=0.7,
                min_mask_region_area=0,
            )
            runs = max(1, args.runs - 1)
            result: list = []

            def amg(g: SamAutomaticMaskGenerator = gen, out: list = result) -> None:
                out[:] = g.generate(image)

            t = median_time(amg, runs, sync)
            print(
                f"{name}: AMG 1024x1024 incl. encoder, points_per_side={args.amg_points} "
                f"({args.amg_points**2} prompts), batch 64, pred_iou_thresh={iou_t}, "
                f"stability_thresh={stab_t}, nms 0.7, no crops, no clean-up ({label_}): "
                f"{t:.2f} s (min {LAST_MIN[0]:.2f}), median of {runs}, {len(result)} masks kept"
            )


if __name__ == "__main__":
    main()
