"""Canvas figures: 5,000-polygon annotation (load, repaint at fit and 100 %) and a 20000x20000 image.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_canvas.py [--runs 5] [--big 20000]``
Prints medians of several runs. Repaints are synchronous ``viewport().repaint()`` calls of a
1600x1000 canvas on the offscreen platform (software raster, as on a desktop without GL).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from labeldesk.core import Document, Shape  # noqa: E402
from labeldesk.core.selection import Selection  # noqa: E402
from labeldesk.ui.canvas import Canvas  # noqa: E402

VIEW = (1600, 1000)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def polygons_doc(n: int, w: int, h: int, seed: int = 0) -> Document:
    """``n`` random star-ish polygons of 12-40 vertices spread over a ``w`` x ``h`` image."""
    rng = np.random.default_rng(seed)
    doc = Document("big.png", h, w)
    for c in ("car", "person", "tree", "road", "building"):
        doc.classes.add(c)
    names = doc.classes.names()
    shapes = []
    for i in range(n):
        k = int(rng.integers(12, 41))
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = rng.uniform(10, 60) * rng.uniform(0.6, 1.0, k)
        pts = np.stack([cx + r * np.cos(ang), cy + r * np.sin(ang)], 1)
        shapes.append(Shape(names[i % len(names)], pts))
    doc.replace_all(shapes)
    return doc


def timed(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, times


def bench_polygons(app: QApplication, runs: int) -> None:
    w, h = 4000, 3000
    img = np.full((h, w, 3), 90, np.uint8)
    img[::50] = 200
    loads = []
    for r in range(runs):
        doc = polygons_doc(5000, w, h, seed=r)
        c = Canvas()
        c.resize(*VIEW)
        c.show()
        c.set_image(img)
        app.processEvents()
        t = time.perf_counter()
        c.set_document(doc, Selection())
        c.fit()
        c.viewport().repaint()
        loads.append(time.perf_counter() - t)
        if r < runs - 1:
            c.close()
            c.deleteLater()
            app.processEvents()
    print(f"5000 polygons (12-40 vertices) on {w}x{h}, view {VIEW[0]}x{VIEW[1]}")
    print(
        f"  load (set_document + fit + first paint): median {statistics.median(loads) * 1000:.0f} ms"
    )
    fit, _ = timed(c.viewport().repaint, runs * 4)
    print(f"  repaint at fit (zoom {c.zoom():.3f}):           median {fit:.1f} ms")

    def zoom_step() -> None:  # wheel-like zoom at low zoom: stale cache drawn scaled
        c.zoom_by(1.1)
        c.viewport().repaint()

    zs, _ = timed(zoom_step, runs * 4)
    print(f"  zoom step near fit (stale cache scaled):     median {zs:.1f} ms")
    c.fit()
    c.viewport().repaint()

    def edit_repaint() -> None:
        doc.edit_shape(0, points=doc.shapes[0].points + 1.0)
        c.viewport().repaint()

    ed, _ = timed(edit_repaint, runs * 2)
    print(f"  repaint at fit after an edit (re-render):    median {ed:.1f} ms")
    c.zoom_100()
    c.viewport().repaint()
    full, _ = timed(c.viewport().repaint, runs * 4)
    b = c._layer._batch.bounds
    vx0, vy0 = c.widget_to_image(0, 0)
    vx1, vy1 = c.widget_to_image(*VIEW)
    vis = int(((b[:, 2] >= vx0) & (b[:, 0] <= vx1) & (b[:, 3] >= vy0) & (b[:, 1] <= vy1)).sum())
    print(f"  repaint at 100 %, view unchanged ({vis} polygons in view): median {full:.1f} ms")

    def pan() -> None:
        c.pan_by(37, 21)
        c.viewport().repaint()

    pn, _ = timed(pan, runs * 4)
    print(f"  pan step at 100 % (re-renders the {vis} polygons): median {pn:.1f} ms")
    c.close()


def bench_big_image(app: QApplication, size: int, runs: int) -> None:
    base = rss_mb()
    img = np.empty((size, size, 3), np.uint8)
    img[:] = 128
    cols = (np.arange(size) // 8) % 2
    for y0 in range(0, size, 1024):  # a fine checker (8 px squares), built without temporaries
        rows = (np.arange(y0, min(size, y0 + 1024)) // 8) % 2
        img[y0 : y0 + len(rows), :, 0] = ((rows[:, None] + cols[None, :]) % 2 * 255).astype(
            np.uint8
        )
    after_array = rss_mb()
    firsts, mems = [], []
    for _ in range(runs):
        c = Canvas()
        c.resize(*VIEW)
        c.show()
        app.processEvents()
        before = rss_mb()
        t = time.perf_counter()
        c.set_image(img)
        c.fit()
        c.viewport().repaint()
        firsts.append(time.perf_counter() - t)
        mems.append(rss_mb() - before)
        pyr = c.pyramid()
        pyr_mb = pyr.memory_bytes() / 2**20
        c.zoom_100()
        c.viewport().repaint()
        hundred, _ = timed(lambda c=c: (c.pan_by(300, 200), c.viewport().repaint()), 5)
        c.set_image(None)
        c.close()
        c.deleteLater()
        app.processEvents()
    print(
        f"{size}x{size} RGB image ({img.nbytes / 2**20:.0f} MB array; process RSS {base:.0f} -> {after_array:.0f} MB with it)"
    )
    print(
        f"  first display (set_image + fit + first paint): median {statistics.median(firsts) * 1000:.0f} ms"
    )
    print(
        f"  RSS added by the canvas at fit: median {statistics.median(mems):.0f} MB; pyramid+tile cache {pyr_mb:.0f} MB"
    )
    print(f"  pan step at 100 % (new tiles each step): median {hundred:.1f} ms")
    print(
        f"  peak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big", type=int, default=20000, help="side of the big image (0: skip)")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    bench_polygons(app, args.runs)
    if args.big:
        bench_big_image(app, args.big, max(3, args.runs // 2 + 1))


if __name__ == "__main__":
    main()
