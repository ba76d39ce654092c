"""Saving and huge-image display: time spent on the GUI thread (issue 11, item 19).

Prints, for one annotation of N vertices: the old synchronous save (serialise + atomic write,
all on the GUI thread) against the background save's GUI-thread part (snapshot + mark clean),
and how long the background write then takes; and for a huge image, the time to build the
canvas pyramid's coarse levels (now in the image worker, before: on the GUI thread at the
first paint). Medians of --repeat runs. Usage:

    .venv/bin/python benchmarks/bench_save.py [--vertices 500000] [--side 20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from labeldesk.core import Document, Shape  # noqa: E402
from labeldesk.io.labelme import snapshot, write_labelme, write_text  # noqa: E402


def _doc(vertices: int, path: Path) -> Document:
    t = np.linspace(0, 2 * np.pi, vertices // 10, endpoint=False)
    shapes = [
        Shape("cell", np.c_[500 + 400 * np.cos(t) + i, 500 + 400 * np.sin(t)]) for i in range(10)
    ]
    return Document("x.png", 1000, 1000, shapes=shapes, path=path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vertices", type=int, default=500_000)
    ap.add_argument("--side", type=int, default=20_000, help="huge image side (gray uint8)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp())
    path = folder / "x.json"
    doc = _doc(args.vertices, path)
    sync, gui, bg = [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        write_labelme(doc, path)
        sync.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        snap = snapshot(doc)
        doc.mark_clean()
        gui.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        write_text(snap, path)
        bg.append(time.perf_counter() - t0)
    med = statistics.median
    print(f"save, {args.vertices} vertices ({path.stat().st_size / 1e6:.0f} MB JSON):")
    print(f"  before: synchronous save on the GUI thread  {med(sync) * 1000:8.1f} ms")
    print(f"  now:    GUI thread (snapshot + mark clean)  {med(gui) * 1000:8.1f} ms")
    print(f"          background thread (write)           {med(bg) * 1000:8.1f} ms")

    from labeldesk.ui.canvas.pyramid import coarse_levels

    image = np.random.default_rng(0).integers(0, 255, (args.side, args.side), dtype=np.uint8)
    times = []
    for _ in range(max(1, args.repeat // 2)):
        t0 = time.perf_counter()
        levels = coarse_levels(image)
        times.append(time.perf_counter() - t0)
    print(f"pyramid coarse levels of a {args.side}x{args.side} gray image ({len(levels)} levels):")
    print(
        f"  built in the image worker (was: GUI thread at first paint) {med(times) * 1000:8.1f} ms"
    )


if __name__ == "__main__":
    main()
