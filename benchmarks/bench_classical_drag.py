"""Previews during a fast region-grow drag on a 4000x3000 photo-like image, in the app.

Runs the real MainWindow with ``labeldesk.ui.tools.install`` (offscreen), presses on the
disc and drags for about a second at 60 mouse moves a second (3 screen px each, so the
tolerance rises 1.5 per move), and counts how many new previews reached the canvas while
the drag went on, and how long after the first move the first one came. A runner that
drops every result but the newest request's shows none until the drag stops. Median of
several drags.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_classical_drag.py [--drags 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_classical_ui import _send, open_photo_window, wait_until  # noqa: E402

MOVES, RATE = 60, 60.0  # mouse moves, per second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drags", type=int, default=3)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    w, ctl, img, _ = open_photo_window(app)

    def wait(cond, timeout: float = 30.0) -> None:
        wait_until(app, cond, timeout)

    w.set_tool("region_grow")
    tool, canvas = w.canvas.tool(), w.canvas
    x, y, z = 1500.0, 1800.0, canvas.zoom()
    counts, firsts, lengths = [], [], []
    for _ in range(args.drags):
        _send(canvas, "press", x, y)
        wait(lambda: tool.mask is not None and not ctl.host.is_busy())
        shown: list[float] = []
        last = tool.mask
        t0 = time.perf_counter()
        for i in range(MOVES):
            _send(canvas, "move", x + 3 * (i + 1) / z, y)
            end = time.perf_counter() + 1 / RATE
            while time.perf_counter() < end:
                app.processEvents()
                if tool.mask is not last:
                    last = tool.mask
                    shown.append(time.perf_counter() - t0)
        length = time.perf_counter() - t0
        wait(lambda: not ctl.host.is_busy())
        _send(canvas, "release", x + 3 * MOVES / z, y)
        tool.cancel()
        counts.append(sum(1 for s in shown if s <= length))
        firsts.append(1000 * shown[0] if shown and shown[0] <= length else float("nan"))
        lengths.append(1000 * length)
    print(
        f"image {img.shape[1]}x{img.shape[0]}, {MOVES} moves at {RATE:.0f}/s per drag, median "
        f"of {args.drags} drags, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    first = statistics.median(firsts)
    print(
        f"region grow drag of {statistics.median(lengths):.0f} ms: "
        f"{statistics.median(counts):.0f} previews shown during the drag, the first "
        + ("never" if first != first else f"{first:.0f} ms after the first move")
    )
    ctl.stop()
    w.session.doc.mark_clean()
    w.close()


if __name__ == "__main__":
    main()
