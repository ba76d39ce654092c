"""Run in a subprocess by tests/gui/test_quit_while_busy.py: the process-level outcome of
quitting while a worker thread is busy (Qt aborts the process, exit 134, when a running
QThread is destroyed, which no in-process test can observe).

``python -m tests.gui.quit_while_busy live FOLDER``: the real app (``run_app``) on FOLDER;
Tools ▸ Live Classifier on, two strokes (a ``cat`` and a ``background`` rectangle) added;
once the forest fit has started (a real scikit-learn fit made slow: 4000 trees), File ▸
Quit. Prints ``quit after fit started``, then ``closed in S s`` and ``exit code N``.

``python -m tests.gui.quit_while_busy stubborn``: a bare :class:`WorkerHost` whose job
never checks for cancellation (sleeps 1.5 s) is stopped with a 100 ms wait, its host
deleted and the app ended: the thread must be kept until it ends, not destroyed.
``stubborn-hung``: the same with a 60 s job and a 0.3 s exit wait: the process must end
at once (exit 0) instead of aborting or hanging.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from dataclasses import replace
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def live(folder: str) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import labeldesk.models.seg.live as live_model
    from labeldesk.core.shapes import Shape
    from labeldesk.ui.app import run_app
    from labeldesk.ui.training.live import LIVE_ID

    real_fit = live_model.fit_forest
    fit_started = threading.Event()

    def slow_fit(x: Any, y: Any, settings: Any, **kwargs: Any) -> Any:
        fit_started.set()
        return real_fit(x, y, replace(settings, trees=4000), **kwargs)

    live_model.fit_forest = slow_fit  # type: ignore[assignment]
    closed: list[float] = []

    def window() -> Any:
        for w in QApplication.topLevelWidgets():
            if hasattr(w, "live_classifier") and w.isVisible():
                return w
        return None

    def step(stage: str) -> None:
        w = window()
        if stage == "open":
            if w is None or w.session.doc is None:
                QTimer.singleShot(50, lambda: step("open"))
                return
            w.actions.actions[LIVE_ID].trigger()
            doc = w.session.doc
            doc.add_shape(Shape("cat", [[100, 100], [200, 100], [200, 120], [100, 120]]))
            doc.add_shape(Shape("background", [[10, 10], [60, 10], [60, 30], [10, 30]]))
            step("fit")
        elif stage == "fit":
            if not fit_started.is_set():
                QTimer.singleShot(20, lambda: step("fit"))
                return
            time.sleep(0.3)  # well inside the fit (4000 trees take minutes)
            print("quit after fit started", flush=True)
            w.session.doc.mark_clean()  # no "save changes?" question (it would block offscreen)
            closed.append(time.monotonic())
            w.actions.actions["file.quit"].trigger()

    QTimer.singleShot(0, lambda: step("open"))
    code = run_app(folder)
    print(f"closed in {time.monotonic() - closed[0]:.2f} s", flush=True)
    print(f"exit code {code}", flush=True)
    return code


def stubborn(job_s: float, exit_wait_s: float | None) -> int:
    from PySide6.QtCore import QCoreApplication

    import labeldesk.ui.workers.base as base
    from labeldesk.ui.workers.base import Worker, WorkerHost

    if exit_wait_s is not None:
        base.STRAGGLER_WAIT_S = exit_wait_s
    app = QCoreApplication(sys.argv[:1])
    host = WorkerHost(Worker(), name="labeldesk-stubborn")
    running = threading.Event()

    def never_checks() -> str:
        running.set()
        time.sleep(job_s)
        return "done"

    host.submit(never_checks)
    running.wait(10)
    print(f"stopped in time: {host.stop(timeout_ms=100)}", flush=True)
    del host
    gc.collect()
    app.processEvents()
    del app
    gc.collect()
    print("main done", flush=True)
    return 0


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "live":
        sys.exit(live(sys.argv[2]))
    sys.exit(stubborn(60.0, 0.3) if mode == "stubborn-hung" else stubborn(1.5, None))
