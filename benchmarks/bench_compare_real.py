"""``labeldesk compare`` on the real photos, next to MONAI on the same masks in the same run.

    .venv/bin/python benchmarks/bench_compare_real.py [--jitter 2.0] [--seed 0]

REF = tests/data/real/photos (labelme JSON of 9 real photos); TEST = the same files with
every polygon vertex moved by Gaussian noise (``--jitter`` px), one object removed and one
added (tests/compare_pair.py). Prints the per-class table, the time of the whole comparison,
and for every (image, class) MONAI's Dice / HD / HD95 / ASSD on the same rasterized masks:
the largest difference to ours and MONAI's time for the distances.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeldesk.core.jobs import run_job  # noqa: E402
from labeldesk.io.compare.core import compare_folders, labels_for  # noqa: E402
from labeldesk.io.compare.report import print_summary  # noqa: E402
from labeldesk.io.export.raster import rasterize  # noqa: E402
from labeldesk.io.labelme import read_labelme  # noqa: E402
from tests.compare_pair import make_pair  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jitter", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ref, test = make_pair(Path(tmp), jitter=args.jitter, seed=args.seed)
        t0, c0 = time.perf_counter(), time.process_time()
        result = run_job(compare_folders(ref, test))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        buf = io.StringIO()
        print_summary(result, buf)
        print(buf.getvalue(), end="")
        pixels = sum(r.size[0] * r.size[1] for r in result.images.values())
        print(f"compare_folders: {wall:.2f} s wall, {cpu:.2f} s CPU for {len(result.images)} "
              f"images ({pixels / 1e6:.1f} Mpx), reading and rasterizing included")  # fmt: skip
        baseline(ref, test, result)


def baseline(ref: Path, test: Path, result) -> None:  # type: ignore[no-untyped-def]
    import torch
    from monai.metrics import (
        compute_average_surface_distance,
        compute_dice,
        compute_hausdorff_distance,
    )

    warnings.simplefilter("ignore")
    docs = {n: (read_labelme(ref / n, check_image=False), read_labelme(test / n, check_image=False)) for n in result.images}  # fmt: skip
    labels = labels_for([d for pair in docs.values() for d in pair])
    worst = {"dice": 0.0, "hausdorff": 0.0, "hausdorff95": 0.0, "assd": 0.0}
    monai_time, n = 0.0, 0
    for name, (a, b) in docs.items():
        size = (a.image_height, a.image_width)
        ra, rb = rasterize(a.shapes, size, labels), rasterize(b.shapes, size, labels)
        for cname, s in result.images[name].classes.items():
            v = labels.value_of(cname)
            y = torch.from_numpy((ra.cls == v)[None, None].astype(np.float32))
            p = torch.from_numpy((rb.cls == v)[None, None].astype(np.float32))
            t0 = time.perf_counter()
            m = {
                "dice": compute_dice(p, y, include_background=True, ignore_empty=False).item(),
                "hausdorff": compute_hausdorff_distance(p, y, include_background=True).item(),
                "hausdorff95": compute_hausdorff_distance(
                    p, y, include_background=True, percentile=95
                ).item(),
                "assd": compute_average_surface_distance(
                    p, y, include_background=True, symmetric=True
                ).item(),
            }
            monai_time += time.perf_counter() - t0
            n += 1
            ours = s.as_dict()
            for key, want in m.items():
                got = ours[key]
                if math.isinf(got) and math.isinf(want):
                    continue
                if math.isinf(got) or math.isinf(want):
                    if key == "hausdorff95":  # MONAI: NaN or inf for a one-sided class
                        continue
                worst[key] = max(worst[key], abs(got - want) / max(1.0, abs(want)))
    print(f"MONAI on the same {n} (image, class) masks: {monai_time:.2f} s wall "
          "(Dice, HD, HD95, ASSD)")  # fmt: skip
    print("largest difference ours vs MONAI (relative to max(1, |MONAI|)): "
          + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))  # fmt: skip


if __name__ == "__main__":
    main()
