"""App figures: start-up to first idle, next-image time for 12 MP JPEGs, memory of a 20000^2 image.

Run: ``.venv/bin/python benchmarks/bench_app.py [--runs 5] [--skip-big]``

* start-up: a fresh ``python`` process runs ``run_app(PATH)`` on a folder whose first image has
  a labelme annotation; the time is from process launch to the first idle of the event loop
  after the image and its objects are shown. The child prints whether torch was imported
  (it must not be).
* next image: ``D`` on a folder of 12 MP (4000x3000) JPEGs, from the key handler to the first
  idle after the new image is shown; with read-ahead (the default: the next image was decoded
  in the background while the user looked at the current one) and without it.
* memory: a child process opens a 20000x20000 RGB JPEG in the window; RSS before, after it
  is shown and fitted, and the peak (VmHWM).
Every figure is the median of ``--runs`` runs (memory: one run). ``--startup-only`` measures
the start-up alone; ``--labelme PYTHON`` also starts labelme (``PYTHON -m``-able, e.g. a venv
with ``labelme==7.9.1``) on the same folder, measured the same way, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
ENV = dict(
    os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), PYTHONPATH=str(REPO)
)


def photo_like(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth colourful image with fine noise, so JPEG sizes and decode times are realistic."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (h // 64 + 2, w // 64 + 2, 3), dtype=np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(-12, 13, (h, w, 1), dtype=np.int16)
    return np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def annotated_folder(root: Path, n: int, h: int, w: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        cv2.imwrite(
            str(root / f"img{i:02d}.jpg"), photo_like(h, w, i), [cv2.IMWRITE_JPEG_QUALITY, 90]
        )
    rng = np.random.default_rng(0)
    shapes = []
    for k in range(50):
        cx, cy, r = rng.uniform(100, w - 100), rng.uniform(100, h - 100), rng.uniform(20, 80)
        a = np.linspace(0, 2 * np.pi, 24, endpoint=False)
        pts = np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], 1).round(1).tolist()
        shapes.append({"label": f"class{k % 5}", "points": pts, "group_id": None, "description": "",
                       "shape_type": "polygon", "flags": {}, "mask": None})  # fmt: skip
    data = {"version": "5.5.0", "flags": {}, "shapes": shapes, "imagePath": "img00.jpg", "imageData": None,
            "imageHeight": h, "imageWidth": w}  # fmt: skip
    (root / "img00.json").write_text(json.dumps(data))
    return root


STARTUP_CHILD = textwrap.dedent(
    """
    import sys, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    def check():
        w = next((x for x in app.topLevelWidgets() if type(x).__name__ == "MainWindow"), None)
        if w is None or w.session.doc is None:
            QTimer.singleShot(1, check)
            return
        QTimer.singleShot(0, lambda: done(w))  # the next pass of the event loop = first idle
    def done(w):
        print(json.dumps({"t": time.time(), "cpu": time.process_time(), "objects": len(w.session.doc), "torch": "torch" in sys.modules}), flush=True)
        w.close()
    import json
    QTimer.singleShot(0, check)
    from labeldesk.ui.app import run_app
    sys.exit(run_app(sys.argv[1]))
    """
)


def with_bytecode(env: dict[str, str], home: Path) -> dict[str, str]:
    """``env`` where Python writes and reads compiled bytecode (in ``home/pycache``), as an
    installed app has it: with PYTHONDONTWRITEBYTECODE set (test.sh sets it, and so may the
    shell), a source checkout compiles every module on every start, an installed labelme
    does not. The warm-up run (not counted) writes the cache."""
    env = dict(env, PYTHONPYCACHEPREFIX=str(home / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def bench_startup(folder: Path, runs: int, home: Path) -> float:
    env = dict(
        ENV,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        LABELDESK_JOURNAL_DIR=str(home / "j"),
    )
    env = with_bytecode(env, home)
    times, cpus, torch_seen, objects = [], [], set(), set()
    for _ in range(runs + 1):  # the first run warms the file and bytecode caches: not counted
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", STARTUP_CHILD, str(folder)], env=env, capture_output=True,
                             text=True, timeout=120)  # fmt: skip
        line = next((x for x in out.stdout.splitlines() if x.startswith("{")), None)
        if line is None:
            raise SystemExit(f"start-up child failed:\n{out.stderr[-2000:]}")
        info = json.loads(line)
        times.append(info["t"] - t0)
        cpus.append(info["cpu"])
        torch_seen.add(info["torch"])
        objects.add(info["objects"])
    times, cpus = times[1:], cpus[1:]
    print(f"start-up to first idle (12 MP JPEG + {objects.pop()} polygons): median {statistics.median(times) * 1000:.0f} ms "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms); CPU time of the process: median "
          f"{statistics.median(cpus) * 1000:.0f} ms")  # fmt: skip
    print(f"torch imported on the start-up path: {torch_seen == {True}}")
    if True in torch_seen:
        raise SystemExit("FAIL: torch was imported while starting the app")
    return statistics.median(times)


LABELME_CHILD = textwrap.dedent(
    """
    # labelme's own entry point (labelme 7.9.1: ``labelme IMAGE``), watched from the event loop
    import json, sys, time
    from PySide6 import QtCore, QtWidgets
    sys.argv = ["labelme", sys.argv[1], "--logger-level", "warning"]
    exec_ = QtWidgets.QApplication.exec
    def watched_exec(app):
        def check():
            win = next((w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"), None)
            canvas = win._canvas_widgets.canvas if win is not None else None
            if canvas is None or not canvas.shapes:
                QtCore.QTimer.singleShot(1, check)
                return
            QtCore.QTimer.singleShot(0, lambda: done(win, canvas))  # next pass = first idle
        def done(win, canvas):
            print(json.dumps({"t": time.time(), "cpu": time.process_time(), "objects": len(canvas.shapes)}), flush=True)
            app.exit(0)
        QtCore.QTimer.singleShot(0, check)
        return exec_()
    QtWidgets.QApplication.exec = watched_exec
    from labelme.__main__ import main
    main()
    """
)


def bench_labelme_startup(python: str, folder: Path, runs: int, home: Path) -> float:
    """labelme started on the folder's first image, to the first idle with its polygons shown."""
    env = dict(os.environ, QT_QPA_PLATFORM=ENV["QT_QPA_PLATFORM"], HOME=str(home),
               XDG_CONFIG_HOME=str(home / "config"))  # fmt: skip
    env.pop("PYTHONPATH", None)
    env = with_bytecode(env, home)
    image = sorted(folder.glob("*.jpg"))[0]
    times, cpus, objects = [], [], set()
    for _ in range(runs + 1):  # the first run warms the file cache and is not counted
        t0 = time.time()
        out = subprocess.run([python, "-c", LABELME_CHILD, str(image)], env=env, capture_output=True,
                             text=True, timeout=120)  # fmt: skip
        line = next((x for x in out.stdout.splitlines() if x.startswith("{")), None)
        if line is None:
            raise SystemExit(f"labelme child failed:\n{out.stderr[-2000:]}")
        info = json.loads(line)
        times.append(info["t"] - t0)
        cpus.append(info["cpu"])
        objects.add(info["objects"])
    times, cpus = times[1:], cpus[1:]
    print(f"labelme start-up to first idle (same image, {objects.pop()} polygons): median "
          f"{statistics.median(times) * 1000:.0f} ms (runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms); "
          f"CPU time of the process: median {statistics.median(cpus) * 1000:.0f} ms")  # fmt: skip
    return statistics.median(times)


def bench_next_image(folder: Path, runs: int, settings_dir: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from labeldesk.ui.journal import Journal
    from labeldesk.ui.main_window import MainWindow
    from labeldesk.ui.settings import AppSettings

    app = QApplication.instance() or QApplication([])
    st = AppSettings(QSettings(str(settings_dir / "s.ini"), QSettings.Format.IniFormat))
    w = MainWindow(st, Journal(settings_dir / "journal"))
    w.apply_settings()
    w.resize(1600, 1000)
    w.show()

    def wait(cond, limit=30.0) -> None:
        end = time.perf_counter() + limit
        while not cond():
            app.processEvents()
            if time.perf_counter() > end:
                raise SystemExit("timed out waiting for the app")

    w.open_path(folder)
    wait(lambda: w.session.doc is not None)
    nav = w.session.navigator
    results: dict[bool, list[float]] = {True: [], False: []}
    for ahead in (True, False):
        nav.read_ahead = ahead
        for _ in range(runs):
            if nav.index + 1 >= len(nav.images):
                w.session.go(0)
                wait(lambda: nav.index == 0 and w.session.item.path == nav.images[0])
            nav.forget()
            if ahead:
                nav._prefetch()  # what happens while the user looks at the image
                wait(lambda: nav.images[nav.index + 1] in nav._cache)
            target = nav.images[nav.index + 1]
            app.processEvents()
            t0 = time.perf_counter()
            w.go(+1)
            wait(lambda t=target: w.session.item is not None and w.session.item.path == t)
            w.canvas.viewport().repaint()
            app.processEvents()
            results[ahead].append(time.perf_counter() - t0)
    h, wd = w.session.item.size
    for ahead in (True, False):
        ts = results[ahead]
        label = "read ahead (default)" if ahead else "no read-ahead"
        print(f"next image, {wd}x{h} JPEG, {label}: median {statistics.median(ts) * 1000:.0f} ms "
              f"(runs: {', '.join(f'{t * 1000:.0f}' for t in ts)} ms)")  # fmt: skip
    w.close()


MEMORY_CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    def rss(key="VmRSS:"):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from labeldesk.ui.journal import Journal
    from labeldesk.ui.main_window import MainWindow
    from labeldesk.ui.settings import AppSettings
    app = QApplication([])
    tmp = Path(sys.argv[2])
    w = MainWindow(AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)), Journal(tmp / "j"))
    w.apply_settings(); w.resize(1600, 1000); w.show(); app.processEvents()
    before = rss()
    t0 = time.perf_counter()
    w.open_path(sys.argv[1])
    while w.session.doc is None:
        app.processEvents()
        if not w.session.images.is_busy() and w.session.doc is None and w.message_bar.isVisible():
            print(json.dumps({"error": w.message_bar.text()})); sys.exit(1)
    w.canvas.fit(); w.canvas.viewport().repaint(); app.processEvents()
    shown = time.perf_counter() - t0
    after = rss()
    w.canvas.zoom_100(); w.canvas.viewport().repaint(); app.processEvents()
    print(json.dumps({"before": before, "after": after, "after_100": rss(), "shown_s": shown,
                      "peak": rss("VmHWM:")}))  # ru_maxrss would include the parent's peak
    w.close()
    """
)


def bench_memory(tmp: Path, side: int) -> None:
    folder = tmp / "big"
    folder.mkdir(exist_ok=True)
    path = folder / f"big{side}.jpg"
    if not path.exists():
        img = photo_like(side, side, 1)
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        del img
    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(path), str(tmp)], env=ENV, capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    line = next((x for x in out.stdout.splitlines() if x.startswith("{")), None)
    if line is None:
        raise SystemExit(f"memory child failed:\n{out.stderr[-2000:]}")
    m = json.loads(line)
    if "error" in m:
        raise SystemExit(m["error"])
    raw = side * side * 3 / 2**20
    print(f"{side}x{side} RGB image (pixels {raw:.0f} MB): RSS {m['before']:.0f} MB before, "
          f"{m['after']:.0f} MB shown at fit, {m['after_100']:.0f} MB at 100 %, peak {m['peak']:.0f} MB; "
          f"open to shown {m['shown_s']:.1f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--big", type=int, default=20000, help="side of the square memory test image"
    )
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up figures")
    parser.add_argument("--labelme", metavar="PYTHON", help="also time labelme with this python")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        folder = annotated_folder(tmp / "jpegs", 6, 3000, 4000)
        ours = bench_startup(folder, args.runs, tmp / "home")
        if args.labelme:
            theirs = bench_labelme_startup(args.labelme, folder, args.runs, tmp / "home-labelme")
            print(f"labeldesk / labelme start-up: {ours / theirs:.2f}x")
        if args.startup_only:
            return
        bench_next_image(folder, args.runs, tmp)
        if not args.skip_big:
            bench_memory(tmp, args.big)


if __name__ == "__main__":
    main()
