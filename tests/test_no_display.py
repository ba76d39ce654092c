"""Issue 11, item 7: with no display the app prints one line and exits 1 (not Qt's abort)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb check is Linux's")
def test_no_display_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}  # fmt: skip
    env["HOME"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "labeldesk", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("labeldesk: no display"), run.stderr
    assert "xcb" not in run.stderr.lower() or "xcb-cursor" in run.stderr


def test_display_problem_rules() -> None:
    from labeldesk.ui.app import display_problem

    if not sys.platform.startswith("linux"):
        assert display_problem({}) is None
        return
    assert "DISPLAY is not set" in (display_problem({}) or "")
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert "DISPLAY is not set" in (display_problem({"QT_QPA_PLATFORM": "xcb"}) or "")
