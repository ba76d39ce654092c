"""Model-assist figures (not a test): GUI-thread stalls while the inference worker encodes, and
auto-segment time at 1024 px.

1. Stall: a 1 ms QTimer in the GUI thread records the gaps between its ticks while the
   :class:`InferenceWorker` (its own QThread) runs the image encoder of a random-weight
   MobileSAM-size and/or ViT-B-size model on several 1024 px images. Prints p50 / p99 / max
   gap and the number of gaps over 16 ms (target: none), then the same for an equally long
   stretch with the worker idle: on a shared machine that baseline shows what other
   processes cause.
2. Auto-segment at 1024 px through :meth:`AssistSession.proposals`: classical (no model) and
   SAM automatic mask generation (MobileSAM-size, 16x16 point grid, encoder included).
   Medians of ``--runs`` runs.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_assist.py [--models vit_t,vit_b]
        [--encodes 3] [--runs 3] [--threads N] [--nice 5] [--no-auto]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from labeldesk.models.assist import AssistSession  # noqa: E402
from labeldesk.models.proposals import run_steps  # noqa: E402
from labeldesk.ui.workers.base import WorkerHost  # noqa: E402
from labeldesk.ui.workers.inference import InferenceWorker  # noqa: E402


def picture(seed: int, size: int = 1024) -> np.ndarray:
    """A (size, size, 3) uint8 scene: gradient, a few flat shapes, light noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    img = np.stack(
        [xx * 200 // size + 30, yy * 180 // size + 40, np.full_like(xx, 110)], -1
    ).astype(np.float32)
    for _ in range(6):
        cx, cy, r = rng.integers(100, size - 100, 2).tolist() + [int(rng.integers(40, 140))]
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.integers(0, 255, 3)
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


class GapMeter:
    """Records the time between ticks of a 1 ms timer in the GUI thread."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)
        self.last = 0

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        if self.last:
            self.gaps.append((now - self.last) / 1e6)
        self.last = now

    def start(self) -> None:
        self.gaps, self.last = [], 0
        self.clock.start()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return self.gaps


def describe(gaps: list[float]) -> str:
    g = np.asarray(gaps)
    seconds = g.sum() / 1000
    over = int((g > 16).sum())
    return (
        f"p50 {np.percentile(g, 50):5.1f} ms  p99 {np.percentile(g, 99):5.1f} ms  "
        f"max {g.max():6.1f} ms  gaps > 16 ms: {over} ({60 * over / seconds:.1f}/min) over {seconds:.0f} s"
    )


def wait(app: QApplication, until, timeout: float) -> None:
    end = time.perf_counter() + timeout
    while not until() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.0005)


def stall(app: QApplication, variant: str, encodes: int, nice: int) -> None:
    from labeldesk.models.device import import_torch
    from labeldesk.models.sam import build_sam

    torch = import_torch()
    torch.manual_seed(0)
    session = AssistSession()
    session.use_model(build_sam(variant), f"random {variant}")
    host = WorkerHost(InferenceWorker(session, nice=nice), name="bench-inference")
    meter = GapMeter()
    images = [picture(i) for i in range(encodes + 1)]
    done: list[float] = []
    host.submit("encode", images[-1], key="warm", on_result=lambda e: done.append(e.seconds))
    wait(app, lambda: done, 600)
    done.clear()
    meter.start()
    for i in range(encodes):
        host.submit("encode", images[i], key=f"e{i}", on_result=lambda e: done.append(e.seconds))
    wait(app, lambda: len(done) == encodes, 1800)
    busy = meter.stop()
    meter.start()  # the same length of time with the worker idle: what the machine does anyway
    wait(app, lambda: False, min(sum(busy) / 1000, 60.0))
    idle = meter.stop()
    host.stop()
    print(f"[{variant}] worker nice +{nice}")
    print(
        f"[{variant}] encoder in the worker: median {statistics.median(done):.2f} s over {encodes} images"
    )
    print(f"[{variant}] GUI-thread 1 ms timer, worker encoding: {describe(busy)}")
    print(f"[{variant}] GUI-thread 1 ms timer, worker idle:     {describe(idle)}")


def auto_segment(runs: int) -> None:
    from labeldesk.models.device import import_torch
    from labeldesk.models.sam import build_sam

    images = [picture(100 + i) for i in range(runs)]
    times, counts = [], []
    session = AssistSession()
    run_steps(session.proposals(images[0]))  # warm-up
    for img in images:
        t = time.perf_counter()
        counts.append(len(run_steps(session.proposals(img))))
        times.append(time.perf_counter() - t)
    print(
        f"auto-segment 1024 px, classical (no model): median {statistics.median(times):.2f} s, "
        f"{statistics.median(counts):.0f} regions"
    )
    torch = import_torch()
    torch.manual_seed(0)
    session.use_model(build_sam("vit_t"), "random vit_t")
    run_steps(session.proposals(images[0]))  # warm-up (and cache for image 0)
    session.cache.clear()
    times, counts = [], []
    for img in images:
        session.cache.clear()
        t = time.perf_counter()
        counts.append(len(run_steps(session.proposals(img, points_per_side=16))))
        times.append(time.perf_counter() - t)
    print(
        f"auto-segment 1024 px, SAM AMG MobileSAM-size 16x16 grid incl. encoder: median "
        f"{statistics.median(times):.2f} s ({statistics.median(counts):.0f} masks kept; random weights)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="vit_t,vit_b")
    parser.add_argument("--encodes", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch intra-op threads (0: as the app, all cores but one)",
    )
    parser.add_argument(
        "--nice", type=int, default=5, help="worker thread niceness increment (0: none)"
    )
    parser.add_argument("--no-auto", action="store_true", help="skip the auto-segment timings")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from labeldesk.models.device import import_torch

    torch = import_torch()
    if args.threads:
        torch.set_num_threads(args.threads)
    else:  # what the app's inference worker does once a model is loaded
        from labeldesk.models.device import leave_a_core_free

        leave_a_core_free()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} intra-op threads, {os.cpu_count()} CPUs"
    )
    for variant in [v for v in args.models.split(",") if v]:
        stall(app, variant, args.encodes, args.nice)
    if not args.no_auto:
        auto_segment(args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
