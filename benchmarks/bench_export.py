"""Export speed: images per second for VOC and COCO export (median of several runs).

Two synthetic datasets (made once in a temporary folder, natural-looking JPEGs):

- ``voc-size``: 300 images of 500x375 (PASCAL VOC size), 3 polygons each;
- ``large``: 500 images of 1024x768 with 20 objects each (polygons, rectangles, circles).

Every run exports with visualizations on (``--noviz`` off), as ``labeldesk export`` does by
default, using ``--workers`` processes (default: one per CPU).

With ``--labelme-cmd`` the same VOC export is timed with labelme's own exporter, for the
ratio, and its class/object PNGs are compared with ours pixel by pixel. The command is a
template, e.g. ``--labelme-cmd "/venv/bin/python labelme2voc.py {src} {out} --labels {labels}"``
(labelme's ``examples/instance_segmentation/labelme2voc.py``, in a separate environment).

    .venv/bin/python benchmarks/bench_export.py [--runs 3] [--only voc-size] [--tmp DIR]
        [--labelme-cmd ...]

An export creates 7 files per image (VOC with visualizations), so the speed of creating files
on the output disk counts: on a disk where that takes milliseconds (some sandboxed /tmp
folders do) pass ``--tmp`` to put the datasets elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from labeldesk.io.export import ExportOptions, export_dataset, read_labels, run_to_end

CLASSES = ["person", "car", "dog", "cat", "bicycle", "chair"]


def _photo(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A smooth colour field with texture: compresses and decodes like a photo."""
    low = rng.integers(0, 256, (h // 24 + 2, w // 24 + 2, 3)).astype(np.uint8)
    img = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    img += rng.integers(-12, 13, (h, w, 3)).astype(np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def _blob(rng: np.random.Generator, w: int, h: int, size: float, n: int) -> list[list[float]]:
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = size * rng.uniform(0.5, 1.0, n)
    pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)
    return np.clip(pts, 0, [w - 1, h - 1]).round(2).tolist()


def make_dataset(folder: Path, count: int, w: int, h: int, objects: int, seed: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        stem = f"img_{i:04d}"
        cv2.imwrite(str(folder / f"{stem}.jpg"), _photo(rng, w, h), [cv2.IMWRITE_JPEG_QUALITY, 90])
        shapes = []
        for j in range(objects):
            label = CLASSES[int(rng.integers(len(CLASSES)))]
            kind = (
                "polygon"
                if objects < 10 or j % 10 < 7
                else ("rectangle", "circle", "polygon")[j % 10 - 7]
            )
            if kind == "polygon":
                pts = _blob(
                    rng, w, h, min(w, h) * rng.uniform(0.05, 0.25), int(rng.integers(8, 20))
                )
            elif kind == "rectangle":
                x, y = rng.uniform(0, w - 80), rng.uniform(0, h - 80)
                pts = [[x, y], [x + rng.uniform(10, 80), y + rng.uniform(10, 80)]]
            else:
                x, y = rng.uniform(40, w - 40), rng.uniform(40, h - 40)
                pts = [[x, y], [x + rng.uniform(5, 35), y]]
            shapes.append({"label": label, "points": pts, "group_id": None, "description": "",
                           "shape_type": kind, "flags": {}, "mask": None})  # fmt: skip
        doc = {"version": "5.5.0", "flags": {}, "shapes": shapes, "imagePath": f"{stem}.jpg",
               "imageData": None, "imageHeight": h, "imageWidth": w}  # fmt: skip
        (folder / f"{stem}.json").write_text(json.dumps(doc))


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def time_ours(fmt: str, src: Path, out: Path, labels: Path, workers: int | None):
    """(wall seconds, CPU seconds) of one export."""
    shutil.rmtree(out, ignore_errors=True)
    options = ExportOptions(read_labels(labels))
    start, cpu = time.perf_counter(), cpu_seconds()
    report = run_to_end(export_dataset(fmt, src, out, options, workers=workers))
    elapsed = time.perf_counter() - start
    if report.exit_code != 0:
        sys.exit("\n".join(report.lines()))
    return elapsed, cpu_seconds() - cpu


def time_labelme(template: str, src: Path, out: Path, labels: Path):
    """(wall seconds, CPU seconds) of one run of labelme's exporter."""
    shutil.rmtree(out, ignore_errors=True)
    quoted = {k: shlex.quote(str(v)) for k, v in (("src", src), ("out", out), ("labels", labels))}
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    start, cpu = time.perf_counter(), cpu_seconds()
    subprocess.run(
        template.format(**quoted),
        shell=True,
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start, cpu_seconds() - cpu


def describe(name: str, count: int, runs: list[tuple[float, float]], processes: int) -> str:
    """Images/s (median wall time) and CPU ms per image, with what an idle machine would do."""
    walls = [r[0] for r in runs]
    med, cpu = statistics.median(walls), statistics.median(r[1] for r in runs)
    idle = count * processes / cpu
    return (
        f"  {name:15s}: {count / med:6.1f} images/s (median {med:.2f} s of "
        f"{[round(t, 2) for t in walls]}); {1000 * cpu / count:.1f} CPU ms/image, "
        f"so {idle:.0f} images/s on {processes} idle core(s)"
    )


def compare_pixels(ours: Path, theirs: Path) -> tuple[int, int]:
    """(files compared, files that differ) over SegmentationClass/Object PNGs and palettes."""
    n = bad = 0
    for sub in ("SegmentationClass", "SegmentationObject"):
        for p in sorted((theirs / sub).glob("*.png")):
            with Image.open(p) as a, Image.open(ours / sub / p.name) as b:
                same = a.getpalette() == b.getpalette() and np.array_equal(
                    np.asarray(a), np.asarray(b)
                )
            n += 1
            bad += not same
    return n, bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--only", choices=["voc-size", "large"], default=None)
    parser.add_argument("--labelme-cmd", default=None, help="labelme2voc command template")
    parser.add_argument(
        "--tmp", default=None, help="folder for the datasets (default: system temp)"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"CPUs: {os.cpu_count()}, workers: {args.workers or os.cpu_count()}, runs: {args.runs}, load {load:.1f}"
    )
    if args.tmp:
        Path(args.tmp).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench_export_", dir=args.tmp) as tmp:
        root = Path(tmp)
        print(f"datasets in {root} (file creation speed matters: see the module docstring)")
        labels = root / "labels.txt"
        labels.write_text("\n".join(["__ignore__", "_background_", *CLASSES]) + "\n")
        sets = {"voc-size": (300, 500, 375, 3), "large": (500, 1024, 768, 20)}
        for name, (count, w, h, objects) in sets.items():
            if args.only and name != args.only:
                continue
            src = root / name
            make_dataset(src, count, w, h, objects, seed=1)
            print(f"\n{name}: {count} images {w}x{h}, {objects} objects each, visualizations on")
            processes = args.workers or os.cpu_count() or 1
            for fmt in ("voc", "coco"):
                out = root / f"out_{fmt}"
                runs = [time_ours(fmt, src, out, labels, args.workers) for _ in range(args.runs)]
                print(describe(f"labeldesk {fmt}", count, runs, processes))
            if args.labelme_cmd:
                out = root / "out_labelme"
                runs = [time_labelme(args.labelme_cmd, src, out, labels) for _ in range(args.runs)]
                print(describe("labelme voc", count, runs, 1))
                time_ours("voc", src, root / "out_voc", labels, args.workers)
                n, bad = compare_pixels(root / "out_voc", out)
                print(f"  same pixels as labelme: {n - bad} of {n} label PNGs (pixels and palette)")


if __name__ == "__main__":
    main()
