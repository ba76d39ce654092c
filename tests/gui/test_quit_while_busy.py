"""Quitting while a worker thread is busy never crashes the process (issue h12): run in a
subprocess (tests/gui/quit_while_busy.py), since Qt aborts the whole process (exit 134,
"QThread: Destroyed while thread ... is still running") when a running QThread is destroyed.

* The real app on a copy of two real photos, Tools ▸ Live Classifier on, two strokes, File ▸
  Quit while the forest fit runs (a real fit made slow): the fit is cancelled, the window
  closes at once (not after the worker host's 5 s wait) and the process exits with 0.
* A job that never checks for cancellation outlives ``WorkerHost.stop``: its thread is
  kept until it ends and the process still exits with 0; one that would hang the exit is
  given up on after the exit wait, again with exit code 0 and no abort.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "tests" / "data" / "real" / "photos"


def run(
    tmp_path: Path, *args: str, timeout: float = 240
) -> tuple[subprocess.CompletedProcess, float]:
    home = tmp_path / "home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_WAIT_POLICY="PASSIVE",
               HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))  # fmt: skip
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.gui.quit_while_busy", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    return proc, time.monotonic() - start


def test_quit_during_a_live_classifier_fit_exits_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("skimage_chelsea", "skimage_coins"):
        for path in PHOTOS.glob(f"{name}.*"):
            shutil.copy(path, folder / path.name)
    proc, _ = run(tmp_path, "live", str(folder))
    assert "Destroyed while thread" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert "quit after fit started" in proc.stdout, proc.stdout + proc.stderr
    closed = float(proc.stdout.split("closed in ")[1].split(" s")[0])
    assert closed < 3.0, proc.stdout  # the fit was cancelled, not waited out (5 s)
    assert "still running" not in proc.stderr, proc.stderr  # no thread left behind
    assert "exit code 0" in proc.stdout


def test_a_job_that_ignores_cancel_is_waited_for_not_destroyed(tmp_path: Path) -> None:
    proc, _ = run(tmp_path, "stubborn", timeout=60)
    assert "Destroyed while thread" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert "stopped in time: False" in proc.stdout and "main done" in proc.stdout
    assert "'labeldesk-stubborn' still running (job never_checks)" in proc.stderr


def test_a_hung_job_does_not_hang_or_abort_the_exit(tmp_path: Path) -> None:
    proc, seconds = run(tmp_path, "stubborn-hung", timeout=60)
    assert "Destroyed while thread" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert "did not end at exit" in proc.stderr
    assert seconds < 30  # the 60 s job was not waited for
