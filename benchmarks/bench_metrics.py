"""Speed of the agreement measures on a 4000x3000 label map with 20 classes.

    .venv/bin/python benchmarks/bench_metrics.py [--runs 3] [--objects 3] [--monai]

REF: 20 classes, ``--objects`` random polygons each (radius 40-400 px) scattered over the
image, drawn in random order; TEST: REF with every object's polygon jittered by a few pixels,
one object removed and one added. Prints the median time of ``label_scores`` (Dice, IoU, HD,
HD95, ASSD for every class) and of ``match_instances`` (IoU matching, PQ). ``--monai`` also
times MONAI's three distance functions on the same maps (one class; it is much slower).
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np

from labeldesk.algorithms.matching import class_counts, match_instances, panoptic_average
from labeldesk.algorithms.metrics import label_scores

H, W, CLASSES = 3000, 4000, 20


def polygon(rng: np.random.Generator) -> np.ndarray:
    cx, cy = rng.uniform(0, W), rng.uniform(0, H)
    r = rng.uniform(40, 400)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 12))
    rad = r * rng.uniform(0.6, 1.0, ang.size)
    return np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)


def scene(seed: int, objects: int):
    rng = np.random.default_rng(seed)
    polys = [(c, polygon(rng)) for c in range(1, CLASSES + 1) for _ in range(objects)]
    order = rng.permutation(len(polys))
    return [polys[i] for i in order], rng


def draw(polys: list[tuple[int, np.ndarray]]):
    cls = np.zeros((H, W), np.int32)
    ins = np.zeros((H, W), np.int32)
    classes = {}
    for k, (c, p) in enumerate(polys, start=1):
        pts = np.round(p).astype(np.int32)
        cv2.fillPoly(cls, [pts], c)
        cv2.fillPoly(ins, [pts], k)
        classes[k] = c
    return cls, ins, classes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--objects", type=int, default=3, help="objects per class")
    ap.add_argument("--monai", action="store_true")
    args = ap.parse_args()
    polys, rng = scene(0, args.objects)
    ref_cls, ref_ins, ref_classes = draw(polys)
    jittered = [(c, p + rng.normal(0, 3, p.shape)) for c, p in polys]
    jittered.pop(5)
    jittered.append((7, polygon(rng)))
    test_cls, test_ins, test_classes = draw(jittered)
    values = list(range(1, CLASSES + 1))

    t_scores, t_match, cpu = [], [], []
    for _ in range(args.runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        scores = label_scores(ref_cls, test_cls, values)
        t1 = time.perf_counter()
        m = match_instances(ref_ins, test_ins, ref_classes, test_classes)
        pq = panoptic_average(class_counts(m, ref_classes, test_classes))
        t2 = time.perf_counter()
        cpu.append(time.process_time() - c0)
        t_scores.append(t1 - t0)
        t_match.append(t2 - t1)
    dice = np.mean([s.dice for s in scores.values()])
    hd95 = np.mean([s.hausdorff95 for s in scores.values()])
    print(f"{W}x{H}, {CLASSES} classes, {len(polys)} REF objects, {len(jittered)} TEST objects")
    print(f"mean Dice {dice:.4f}, mean HD95 {hd95:.2f} px, PQ {pq['pq']:.4f}")
    print(f"label_scores (5 measures x 20 classes): median {statistics.median(t_scores):.3f} s")
    print(f"match_instances + PQ:                   median {statistics.median(t_match):.3f} s")
    total = statistics.median(t_scores) + statistics.median(t_match)
    print(f"total: {total:.3f} s wall, {statistics.median(cpu):.3f} s CPU (median of {args.runs})")
    if args.monai:
        import warnings

        import torch
        from monai.metrics import compute_average_surface_distance, compute_hausdorff_distance

        warnings.simplefilter("ignore")
        v = values[0]
        y = torch.from_numpy((ref_cls == v)[None, None].astype(np.float32))
        p = torch.from_numpy((test_cls == v)[None, None].astype(np.float32))
        t0 = time.perf_counter()
        hd = compute_hausdorff_distance(p, y, include_background=True).item()
        compute_hausdorff_distance(p, y, include_background=True, percentile=95)
        compute_average_surface_distance(p, y, include_background=True, symmetric=True)
        t1 = time.perf_counter()
        print(f"MONAI HD + HD95 + ASSD, class {v} only: {t1 - t0:.3f} s (HD {hd:.3f})")
        print(f"ours, class {v}: HD {scores[v].hausdorff:.3f}")


if __name__ == "__main__":
    main()
