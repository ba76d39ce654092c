"""Issue 11, item 4: opening every dialog of the window never imports torch (a fresh process,
so no other test has imported it already). The first Model Manager open used to import torch
through the known-checkpoint table (4-7 s frozen)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("open_every_dialog.py")
REPO = Path(__file__).resolve().parents[2]


def test_every_dialog_opens_without_torch(sample_dir: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(sample_dir), str(work)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    lines = dict(line.split(": ", 1) for line in run.stdout.splitlines() if ": " in line)
    opened = lines.get("opened", "").split()
    assert {"file.settings", "file.export", "assist.model_manager", "train.dialog"} <= set(
        opened
    ), run.stdout + run.stderr
    assert lines.get("torch imported") == "False", run.stdout + run.stderr
    shutil.rmtree(work, ignore_errors=True)
