"""The live classifier's update time at 1024 px (what the overlay waits for after a stroke):
:class:`labeldesk.models.seg.live.LiveClassifier` on the real nuclei image tiled to
1024x1024 (gray) and on a colour version of it, strokes from tests/models/nuclei_data.

Prints the first update (features of a new image + the first fit; scikit-learn is imported
before timing, as the app's worker does when the mode is turned on) and the median of the
next ``--repeats`` updates (each one a stroke more: fit + coarse prediction), plus the
objects made on Enter (full-size prediction, split, polygons), and the load average (the
machine is shared). The tile-0 IoU of the preview against the true mask is printed too.

Usage: .venv/bin/python benchmarks/bench_live_classifier.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from tests.models.nuclei_data import iou, nuclei, stroke_shapes  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    import sklearn.ensemble  # noqa: F401

    from labeldesk.models.seg.live import LiveClassifier

    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    image, ins = nuclei()
    gray = np.tile(image, (2, 2, 1))
    colour = gray.copy()
    colour[:, :, 1] //= 2
    truth = np.tile(ins, (2, 2)) > 0
    strokes = stroke_shapes(ins, nuclei=10, background=8)
    for name, img in (("gray 1024x1024", gray), ("colour 1024x1024", colour)):
        live = LiveClassifier()
        t = time.perf_counter()
        first = live.update(img, name, strokes[:4] + strokes[-2:])
        t_first = time.perf_counter() - t
        times = []
        for i in range(args.repeats):
            t = time.perf_counter()
            pred = live.update(img, name, strokes[: 5 + i] + strokes[-3:])
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        objects = live.objects(img, name, strokes)
        t_obj = time.perf_counter() - t
        print(
            f"{name}: first update {t_first:.2f} s (features {first.features_seconds:.2f} s), "
            f"next updates median {statistics.median(times):.2f} s "
            f"({', '.join(f'{x:.2f}' for x in times)}), preview IoU {iou(pred.labels, truth):.3f}; "
            f"Enter: {len(objects)} objects in {t_obj:.2f} s"
        )
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
