"""Foundation figures: labelme JSON read/write at scale, and loading a 20000x20000 PNG.

    .venv/bin/python benchmarks/bench_io.py [--runs 5] [--big-side 20000]

Prints medians over ``--runs`` runs. The big PNG load runs in a fresh subprocess per run so
that its peak memory (ru_maxrss) is the load's alone.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def make_document(n_polygons: int, n_vertices: int):
    from labeldesk.core import Document, Shape

    rng = np.random.default_rng(0)
    shapes = []
    t = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
    for i in range(n_polygons):
        cx, cy, r = rng.uniform(100, 3900), rng.uniform(100, 2900), rng.uniform(10, 90)
        pts = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)
        shapes.append(Shape(f"class{i % 10}", pts))
    return Document("image.jpg", 3000, 4000, shapes=shapes)


def bench_json(runs: int, folder: Path) -> None:
    from labeldesk.io import read_labelme, write_labelme

    doc = make_document(5000, 100)
    path = folder / "many.json"
    writes, reads = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        write_labelme(doc, path)
        writes.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        back = read_labelme(path, check_image=False)
        reads.append(time.perf_counter() - t0)
    assert len(back) == 5000
    import json

    from labeldesk.io.labelme import document_to_dict

    data = document_to_dict(doc, path)
    stdlib = []
    for _ in range(runs):
        t0 = time.perf_counter()
        json.dumps(data, ensure_ascii=False, indent=2)
        stdlib.append(time.perf_counter() - t0)
    size = path.stat().st_size / 1e6
    print(f"labelme JSON, 5000 polygons x 100 vertices ({size:.1f} MB):")
    print(
        f"  write: median {statistics.median(writes) * 1000:.0f} ms  (runs: {', '.join(f'{w * 1000:.0f}' for w in writes)})"
    )
    print(
        f"  read : median {statistics.median(reads) * 1000:.0f} ms  (runs: {', '.join(f'{r * 1000:.0f}' for r in reads)})"
    )


MAKE = """
import sys, cv2, numpy as np
side = int(sys.argv[2])
yy, xx = np.mgrid[0:side:8, 0:side:8]
small = np.dstack([(xx % 256), (yy % 256), ((xx + yy) % 256)]).astype(np.uint8)
big = cv2.resize(small, (side, side), interpolation=cv2.INTER_LINEAR)
cv2.imwrite(sys.argv[1], big, [cv2.IMWRITE_PNG_COMPRESSION, 1])
"""

LOAD = """
import resource, sys, time
from labeldesk.io import load_image
t0 = time.perf_counter()
arr = load_image(sys.argv[1])
dt = time.perf_counter() - t0
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, arr.shape)
"""


def bench_big_png(runs: int, side: int, folder: Path) -> None:
    path = folder / "big.png"
    # made in a subprocess: Linux children inherit the parent's peak RSS as their own start
    subprocess.run([sys.executable, "-c", MAKE, str(path), str(side)], check=True)
    base = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, labeldesk.io; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)",
        ],
        capture_output=True,
        text=True,
    )
    base_mb = float(base.stdout)
    times, peaks = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", LOAD, str(path)], capture_output=True, text=True, check=True
        )
        dt, peak, *_ = out.stdout.split(maxsplit=2)
        times.append(float(dt))
        peaks.append(float(peak))
    raw = side * side * 3 / 2**20
    print(
        f"load {side}x{side} RGB PNG ({path.stat().st_size / 1e6:.0f} MB file, {raw:.0f} MiB of pixels):"
    )
    print(
        f"  time: median {statistics.median(times):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})"
    )
    print(
        f"  peak RSS: median {statistics.median(peaks):.0f} MiB (interpreter + imports alone: {base_mb:.0f} MiB)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big-side", type=int, default=20000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_json(args.runs, Path(tmp))
        bench_big_png(max(3, args.runs // 2 + 1), args.big_side, Path(tmp))
    print(
        f"(this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
