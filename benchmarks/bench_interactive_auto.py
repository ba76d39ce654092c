"""Model-free auto-segment on the real photos: recall of proposals, next to Felzenszwalb.

    .venv/bin/python benchmarks/bench_interactive_auto.py

recall@0.5: the share of the photo objects (tests/realdata.py, 33 objects in 10 photos; the
nuclei are not photos) covered by some proposal with IoU >= 0.5 (ignore regions left out).
Compared in the same run:

- ``auto_proposals`` (labeldesk.algorithms.regions), at most 60 ranked proposals per image;
- the previous classical proposals: regions of ``auto_segment``'s partition (every region);
- Felzenszwalb-Huttenlocher superpixels (scikit-image, scale 100, sigma 0.5, min_size 50,
  the library's documented example settings): every segment is a proposal (not capped).

Time: ``auto_proposals`` on each photo scaled to 1024 px on its longer side (target < 1 s).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeldesk.algorithms import auto_segment  # noqa: E402
from labeldesk.algorithms.regions import auto_proposals  # noqa: E402
from tests.realdata import RealImage, photos, real_images  # noqa: E402
from tests.robot_user import iou  # noqa: E402


def best_ious(im: RealImage, props: list[np.ndarray]) -> list[float]:
    return [max((iou(p, gt, im.ignore) for p in props), default=0.0) for gt in im.masks]


def label_masks(labels: np.ndarray) -> list[np.ndarray]:
    return [labels == k for k in np.unique(labels)]


def felzenszwalb_masks(image: np.ndarray) -> list[np.ndarray]:
    from skimage.segmentation import felzenszwalb

    return label_masks(felzenszwalb(image, scale=100, sigma=0.5, min_size=50))


def recall(ious: list[float], t: float = 0.5) -> float:
    return sum(v >= t for v in ious) / len(ious)


def main() -> None:
    images = photos(real_images(nuclei=0))
    n = sum(len(im.masks) for im in images)
    print(f"{len(images)} photos, {n} objects; 2 shared cores (loaded)")
    rows: dict[str, list[float]] = {
        "auto_proposals": [],
        "auto_segment regions": [],
        "felzenszwalb": [],
    }
    counts: dict[str, list[int]] = {k: [] for k in rows}
    times: list[float] = []
    cpu: list[float] = []
    for im in images:
        props = [p.full_mask(im.shape) for p in auto_proposals(im.image)]
        rows["auto_proposals"] += best_ious(im, props)
        counts["auto_proposals"].append(len(props))
        regs = label_masks(auto_segment(im.image))
        rows["auto_segment regions"] += best_ious(im, regs)
        counts["auto_segment regions"].append(len(regs))
        fh = felzenszwalb_masks(im.image)
        rows["felzenszwalb"] += best_ious(im, fh)
        counts["felzenszwalb"].append(len(fh))
        h, w = im.shape
        s = 1024 / max(h, w)
        big = cv2.resize(im.image, (round(w * s), round(h * s)), interpolation=cv2.INTER_LINEAR)
        t, c = time.perf_counter(), time.process_time()
        auto_proposals(big)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(f"{'method':24s} recall@0.5 recall@0.7 mean best IoU  proposals/image (median, max)")
    for name, v in rows.items():
        c = counts[name]
        print(
            f"{name:24s} {recall(v):10.3f} {recall(v, 0.7):10.3f} {statistics.mean(v):13.3f}"
            f"  {statistics.median(c):6.0f} {max(c):5d}"
        )
    print(
        f"auto_proposals at 1024 px: median {statistics.median(times):.2f} s, max {max(times):.2f} s"
    )


if __name__ == "__main__":
    main()
