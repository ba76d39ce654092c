"""Accepting a result: ``core.convert.mask_to_shape`` on 4000x3000 masks.

Times the shipped ``mask_to_shape`` (works on the mask's bounding box; several parts or holes
give a mask object without tracing contours) against the straightforward whole-image version
it replaced (kept below, same output), in the same process, median of several runs:

* a 400 px disc (one part, no holes: a polygon),
* the whole-image Otsu mask of the photo-like scene (thousands of parts: a mask object),
* its largest part (one part with many holes: a mask object).

    .venv/bin/python benchmarks/bench_convert.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_algorithms import photo_like  # noqa: E402

from labeldesk import algorithms as alg  # noqa: E402
from labeldesk.algorithms.contours import mask_to_polygons  # noqa: E402
from labeldesk.core.convert import clean_parts, mask_to_shape  # noqa: E402
from labeldesk.core.shapes import Shape  # noqa: E402


def whole_image_mask_to_shape(mask: np.ndarray, label: str, *, tolerance: float = 1.0,
                              min_area: int = 10) -> Shape | None:  # fmt: skip
    """The version before the bounding-box crop (same output, for the comparison)."""
    m = clean_parts(mask, min_area=min_area)
    polygons = mask_to_polygons(m, tolerance=tolerance)
    if not polygons:
        return None
    if len(polygons) == 1 and not polygons[0].holes and len(polygons[0].exterior) >= 3:
        pts = polygons[0].exterior
        if len(np.unique(pts, axis=0)) >= 3:
            return Shape(label, pts, "polygon")
    ys, xs = np.nonzero(m)
    x1, y1, x2, y2 = int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())
    return Shape(label, [[x1, y1], [x2, y2]], "mask", mask=m[y1 : y2 + 1, x1 : x2 + 1].copy())


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    img, objects = photo_like()
    otsu = alg.threshold_mask(img, method="otsu")
    masks = {
        "disc, 400 px": objects["disc"],
        "Otsu, whole image": otsu,
        "Otsu, largest part": alg.largest_component(otsu),
    }
    print(
        f"mask {img.shape[1]}x{img.shape[0]}, median of {args.runs} runs, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for name, m in masks.items():
        new, old = mask_to_shape(m, "x"), whole_image_mask_to_shape(m, "x")
        same = new.shape_type == old.shape_type and np.array_equal(new.points, old.points)
        t_new = median_ms(lambda m=m: mask_to_shape(m, "x"), args.runs)
        t_old = median_ms(lambda m=m: whole_image_mask_to_shape(m, "x"), args.runs)
        print(
            f"{name:<20} -> {new.shape_type:<7} whole image {t_old:8.1f} ms   "
            f"bounding box {t_new:7.1f} ms   x{t_old / t_new:5.0f} faster   same result: {same}"
        )


if __name__ == "__main__":
    main()
