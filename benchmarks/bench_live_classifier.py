"""The live classifier's update time at 1024 px (what the overlay waits for after a stroke):
:class:`labeldesk.models.seg.live.LiveClassifier` on the real nuclei image tiled to
1024x1024 (gray) and on a colour version of it, strokes from tests/models/nuclei_data.

Prints the first update (features of a new image + the first fit; scikit-learn is imported
before timing, as the app's worker does when the mode is turned on) and the median of the
next ``--repeats`` updates (each one a stroke more: fit + coarse prediction), plus the
objects made on Enter (full-size prediction, split, polygons), and the load average (the
machine is shared). The tile-0 IoU of the preview against the true mask is printed too.

``--many-classes``: instead, the case of issue h12 (a 20 s fit): strokes (a cat and a
background rectangle) on tests/data/real/photos/skimage_chelsea.png with the folder's 7 other
labeled images as context (20 classes), with the training pixels bounded
(``live.MAX_PIXELS``) and unbounded (as before), in the same run: the first update (the
context's features + the fit), the median next update, and how many preview pixels the two
agree on; and the update after the context is sent again (what opening the next image does;
the other images' pixels are kept when they have not changed).

Usage: .venv/bin/python benchmarks/bench_live_classifier.py [--repeats 5] [--many-classes]
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
    ap.add_argument("--many-classes", action="store_true")
    args = ap.parse_args(argv)
    import sklearn.ensemble  # noqa: F401

    if args.many_classes:
        many_classes(args.repeats)
        return

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


def many_classes(repeats: int) -> None:
    """The photos folder, 20 classes: bounded vs unbounded training pixels (module docs)."""
    import labeldesk.models.seg.live as live_model
    from labeldesk.core.shapes import Shape
    from labeldesk.io import load_image, to_display
    from labeldesk.models.seg.command import folder_classes
    from labeldesk.models.seg.forest_train import is_background, samples_from_folder

    folder = Path(__file__).resolve().parents[1] / "tests" / "data" / "real" / "photos"
    classes = [c for c in folder_classes(folder) if not is_background(c)]
    samples, _ = samples_from_folder(str(folder), classes)
    samples = [s for s in samples if s.name != "skimage_chelsea.json"]
    image = to_display(load_image(folder / "skimage_chelsea.png"))
    strokes = [
        Shape("cat", [[100, 100], [200, 100], [200, 120], [100, 120]]),
        Shape("background", [[10, 10], [60, 10], [60, 30], [10, 30]]),
    ]
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{len(samples)} context images, {len(classes)} classes, image {image.shape[:2]}")
    bounded = live_model.MAX_PIXELS
    previews = {}
    for cap in (bounded, None):
        live_model.MAX_PIXELS = cap
        live = live_model.LiveClassifier()
        live.set_context(samples, classes)
        t = time.perf_counter()
        first = live.update(image, "chelsea", strokes)
        t_first = time.perf_counter() - t
        times, fits = [], []
        for i in range(repeats):
            extra = Shape("cat", [[100, 125 + 3 * i], [200, 125 + 3 * i], [200, 127 + 3 * i],
                                  [100, 127 + 3 * i]])  # fmt: skip
            t = time.perf_counter()
            pred = live.update(image, "chelsea", [*strokes, extra])
            times.append(time.perf_counter() - t)
            fits.append(pred.fit_seconds)
        previews[cap] = pred.labels
        live.set_context(samples, classes)  # what opening the next image does
        t = time.perf_counter()
        live.update(image, "chelsea", strokes)
        t_again = time.perf_counter() - t
        print(
            f"MAX_PIXELS={cap}: {live.per_class(len(classes) + 1)} px/class; first update {t_first:.2f} s "
            f"(fit {first.fit_seconds:.2f} s), next updates median {statistics.median(times):.2f}"
            f" s (fit median {statistics.median(fits):.2f} s; {', '.join(f'{x:.2f}' for x in times)})"
            f"; after the context is sent again (next image): {t_again:.2f} s"
        )
    live_model.MAX_PIXELS = bounded
    agree = float((previews[bounded] == previews[None]).mean())
    print(f"previews agree on {100 * agree:.1f} % of the pixels")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
