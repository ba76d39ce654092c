"""In-app preview latency of the classical tools on a 4000x3000 photo-like image.

Runs the real MainWindow with ``labeldesk.ui.tools.install`` (offscreen) and measures, for
each input event, the time from the event (a range-slider change for threshold, a mouse move
of a region-grow drag on the canvas) until the new preview is in the canvas (the tool's
result delivered from the worker thread and the preview item updated), and, separately, the
repaint of the viewport that follows. Median of several events; the raw OpenCV call doing the
core of the same job is timed in the same process for the ratio.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_classical_ui.py [--runs 15]
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
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_algorithms import photo_like  # noqa: E402


def wait_until(app: QApplication, cond, timeout: float = 30.0) -> float:
    """Turn the event loop until ``cond()``; returns the time it became true."""
    end = time.perf_counter() + timeout
    while not cond():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError
    return time.perf_counter()


def open_photo_window(app: QApplication):
    """A shown main window with the classical tools on a 4000x3000 photo-like image.

    Returns ``(window, controller, image, objects)`` once the image and document are loaded.
    """
    from labeldesk.ui.journal import Journal
    from labeldesk.ui.main_window import MainWindow
    from labeldesk.ui.settings import AppSettings
    from labeldesk.ui.tools import install

    tmp = Path(tempfile.mkdtemp())
    img, objects = photo_like()
    cv2.imwrite(str(tmp / "photo.png"), img[:, :, ::-1])
    w = MainWindow(
        AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)), Journal(tmp / "j")
    )
    ctl = install(w)
    w.resize(1400, 900)
    w.show()
    w.open_path(tmp / "photo.png")
    wait_until(app, lambda: w.session.doc is not None and w.session.item is not None)
    return w, ctl, img, objects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from labeldesk import algorithms as alg

    w, ctl, img, objects = open_photo_window(app)

    def wait(cond, timeout=30.0) -> float:
        return wait_until(app, cond, timeout)

    canvas = w.canvas
    canvas.setFocus()

    ticks: list[float] = []
    ticker = QTimer()
    ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))
    ticker.start(5)

    def stall_ms() -> float:
        """The longest the event loop was busy since the last call (a freeze shows here)."""
        gaps = np.diff(ticks) if len(ticks) > 1 else np.zeros(1)
        ticks[:] = ticks[-1:]
        return 1000 * float(gaps.max())

    def repaint_ms() -> float:
        t = time.perf_counter()
        canvas.viewport().repaint()
        return 1000 * (time.perf_counter() - t)

    # -- threshold: range slider -> preview ------------------------------------------------------
    w.set_tool("threshold")
    tool = canvas.tool()
    wait(lambda: tool.mask is not None and not ctl.host.is_busy())
    ctl.options.widgets["method"].setCurrentIndex(1)
    wait(lambda: not ctl.host.is_busy())
    lat, paint = [], []
    for i in range(args.runs + 1):
        before = tool.mask
        t0 = time.perf_counter()
        ctl.options.widgets["range"].slider.set_values(120 + 3 * i, 255)
        t1 = wait(lambda b=before: tool.mask is not b)
        if i:  # the first is a warm-up
            lat.append(1000 * (t1 - t0))
            paint.append(repaint_ms())
        wait(lambda: not ctl.host.is_busy())
    stall = stall_ms()
    gray = lambda: cv2.threshold(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 128, 1, 0)  # noqa: E731
    raw = statistics.median(_times(gray, args.runs))
    print(
        f"image {img.shape[1]}x{img.shape[0]} RGB uint8, median of {args.runs} events, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    _row("threshold (manual range slider)", lat, paint, "cvtColor + threshold", raw)
    print(f"  longest event-loop stall while sliding: {stall:.0f} ms")

    # -- region grow: press on the disc, drag -> preview -----------------------------------------
    w.set_tool("region_grow")
    tool = canvas.tool()
    x, y = 1500.0, 1800.0
    _send(canvas, "press", x, y)
    wait(lambda: tool.mask is not None and not ctl.host.is_busy())
    press_stall = stall_ms()
    lat, paint = [], []
    z = canvas.zoom()
    for i in range(1, args.runs + 2):
        before = tool.mask
        t0 = time.perf_counter()
        _send(canvas, "move", x + i / z, y)  # one screen pixel further: +0.5 tolerance
        t1 = wait(lambda b=before: tool.mask is not b)
        if i > 1:
            lat.append(1000 * (t1 - t0))
            paint.append(repaint_ms())
        wait(lambda: not ctl.host.is_busy())
    _send(canvas, "release", x + (args.runs + 1) / z, y)
    stall = stall_ms()
    tol = tool.seeds[-1][1]
    doc = w.session.doc
    n0 = len(doc)
    t0 = time.perf_counter()
    QApplication.sendEvent(
        canvas, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier)
    )
    t1 = wait(lambda: len(doc) == n0 + 1)
    enter_ms, enter_stall = 1000 * (t1 - t0), stall_ms()
    flood = img.copy()

    def ref() -> None:
        mask = np.zeros((img.shape[0] + 2, img.shape[1] + 2), np.uint8)
        cv2.floodFill(
            flood,
            mask,
            (int(x), int(y)),
            0,
            (int(tol),) * 3,
            (int(tol),) * 3,
            cv2.FLOODFILL_MASK_ONLY | 8,
        )

    raw = statistics.median(_times(ref, args.runs))
    _row(f"region grow (drag, tolerance ~{tol:.0f})", lat, paint, "floodFill", raw)
    print(
        f"  longest event-loop stall: choosing the tool + press {press_stall:.0f} ms, "
        f"while dragging {stall:.0f} ms"
    )
    print(
        f"Enter -> object added ({doc.shapes[-1].shape_type}): {enter_ms:.0f} ms, "
        f"longest event-loop stall meanwhile {enter_stall:.0f} ms"
    )
    print(
        f"region_grow alone: {statistics.median(_times(lambda: alg.region_grow(img, (1500, 1800), tolerance=tol), args.runs)):.1f} ms"
    )
    ctl.stop()
    w.session.doc.mark_clean()
    w.close()


def _times(fn, runs: int) -> list[float]:
    fn()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(1000 * (time.perf_counter() - t))
    return out


def _row(name: str, lat: list[float], paint: list[float], ref_name: str, ref: float) -> None:
    m = statistics.median(lat)
    print(
        f"{name:<40} event->preview {m:6.1f} ms (max {max(lat):6.1f})  + repaint "
        f"{statistics.median(paint):5.1f} ms   {ref_name} {ref:5.1f} ms  x{m / ref:4.1f}"
    )


def _send(canvas, kind: str, x: float, y: float) -> None:
    types = {
        "press": QEvent.Type.MouseButtonPress,
        "move": QEvent.Type.MouseMove,
        "release": QEvent.Type.MouseButtonRelease,
    }
    pos = QPointF(*canvas.image_to_widget(x, y))
    left = Qt.MouseButton.LeftButton
    ev = QMouseEvent(
        types[kind],
        pos,
        canvas.viewport().mapToGlobal(pos),
        left if kind != "move" else Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton if kind == "release" else left,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(canvas.viewport(), ev)


if __name__ == "__main__":
    main()
