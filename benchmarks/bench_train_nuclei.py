"""Time-to-IoU on the real nuclei (tests/data/real/nuclei) with the defaults: the U-Net
trained by the clock, the pixel classifier (random forest) from polygons and from a handful
of brush strokes, next to the plain-library baseline (Otsu's threshold) on the same tile.

The 512x512 image is cut into four 256x256 tiles; tiles 0-2 form the labelme folder (the
U-Net holds one of them out for its own validation), tile 3 is never seen and is where the
IoU below is measured (foreground = nucleus). Times are wall seconds from reading the
folder to a trained model, imports excluded (printed apart). The machine is shared: the
load average is printed before and after; figures are medians over ``--runs`` seeds.

Usage: .venv/bin/python benchmarks/bench_train_nuclei.py [--runs 3] [--unet-runs 1]
       [--seconds 60] [--skip-unet]
(also run by benchmarks/bench_train.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.models.nuclei_data import held_out, iou, make_folder  # noqa: E402

CLASSES = ["nucleus"]


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def otsu_baseline() -> float:
    from labeldesk.algorithms import threshold_mask

    image, truth = held_out()
    return iou(threshold_mask(image[:, :, 0], method="otsu").astype(int), truth)


def forest_run(folder: Path, seed: int) -> tuple[float, float, float]:
    """``(seconds, IoU on tile 3, in-folder held-out mean IoU)``."""
    from labeldesk.models.seg.forest_train import samples_from_folder, train_forest

    start = time.perf_counter()
    samples, _ = samples_from_folder(folder, CLASSES)
    result = train_forest(samples, CLASSES, seed=seed)
    seconds = time.perf_counter() - start
    image, truth = held_out()
    labels, _ = result.model.predict(image)
    return seconds, iou(labels, truth), float(result.metrics.get("mean_iou", float("nan")))


def unet_run(folder: Path, seed: int, seconds: float) -> dict:
    """Train with the CLI's defaults for a CPU (see labeldesk.models.seg.budget); at every
    validation also score tile 3, to find when it first reaches 0.85."""
    from labeldesk.models.device import select_device
    from labeldesk.models.seg.budget import auto_settings
    from labeldesk.models.seg.folder import samples_from_folder
    from labeldesk.models.seg.prediction import predict
    from labeldesk.models.seg.training import choose_threads, train

    start = time.perf_counter()
    samples, _ = samples_from_folder(folder, CLASSES)
    dev = select_device("auto").type
    threads = choose_threads(None)
    auto = auto_settings([s.image.shape[:2] for s in samples], device_type=dev, threads=threads)
    config = {**auto, "max_steps": 10**9, "max_seconds": seconds, "patience": 6}
    image, truth = held_out()
    gen = train(samples, CLASSES, config, seed=seed)
    first_85 = None
    curve = []
    model_ref = {}
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            result = stop.value
            break
        if ev.kind == "validation":
            # the generator's model is the one being trained; score it on tile 3 as it is now
            frame = gen.gi_frame
            model = frame.f_locals.get("model") if frame is not None else None
            if model is not None:
                model_ref["m"] = model
                labels, _ = predict(model, image)
                model.network.train()
                score = iou(labels, truth)
                curve.append((round(ev.elapsed, 1), ev.step, round(score, 3)))
                if first_85 is None and score >= 0.85:
                    first_85 = time.perf_counter() - start
    wall = time.perf_counter() - start
    labels, _ = predict(result.model, image)
    return {
        "wall": wall,
        "steps": result.steps,
        "iou": iou(labels, truth),
        "val_iou": result.metrics.get("mean_iou"),
        "first_85": first_85,
        "curve": curve,
        "settings": auto,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="forest runs (seeds)")
    ap.add_argument("--unet-runs", type=int, default=1, help="U-Net runs (seeds)")
    ap.add_argument("--seconds", type=float, default=60.0, help="U-Net time budget")
    ap.add_argument("--skip-unet", action="store_true")
    args = ap.parse_args(argv)
    print(f"load average before: {load()} (cores: {os.cpu_count()})")
    t = time.perf_counter()
    import sklearn.ensemble  # noqa: F401

    print(f"import scikit-learn: {time.perf_counter() - t:.2f} s (once per process)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-nuclei-"))
    poly = make_folder(tmp / "polygons", kind="polygons")
    strokes = make_folder(tmp / "strokes", kind="strokes")
    print(f"baseline: Otsu threshold on tile 3: IoU {otsu_baseline():.3f}")
    for name, folder in (
        ("polygons", poly),
        ("strokes (6 nuclei + 4 background lines per tile)", strokes),
    ):
        runs = [forest_run(folder, seed) for seed in range(args.runs)]
        secs = statistics.median(r[0] for r in runs)
        ious = statistics.median(r[1] for r in runs)
        print(
            f"forest from {name}: median {secs:.2f} s to a model (features + fit + refit), "
            f"tile-3 IoU {ious:.3f} (runs: {', '.join(f'{r[0]:.2f}s/{r[1]:.3f}' for r in runs)})"
        )
    if not args.skip_unet:
        for seed in range(args.unet_runs):
            r = unet_run(poly, seed, args.seconds)
            t85 = f"{r['first_85']:.1f} s" if r["first_85"] is not None else "not reached"
            print(
                f"U-Net by time ({args.seconds:g} s budget, {r['settings']}): {r['wall']:.1f} s "
                f"wall, {r['steps']} steps, saved model tile-3 IoU {r['iou']:.3f} (its own "
                f"held-out {r['val_iou']}), tile-3 IoU >= 0.85 first at {t85}"
            )
            print("  validations (elapsed s, step, tile-3 IoU):", r["curve"])
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
