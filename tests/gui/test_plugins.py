"""Plugins install into the window; a broken one leaves a working window and a message."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

from labeldesk.ui.plugins import PLUGINS, install_plugins


def test_all_builtin_plugins_install(make_window, sample_dir) -> None:
    # that they install without importing torch is checked in a fresh interpreter by
    # tests/gui/test_startup_imports.py (here torch may be loaded by earlier tests)
    window = make_window(sample_dir)
    installed = install_plugins(window)
    assert sorted(installed) == sorted(PLUGINS)
    for controller in installed.values():
        stop = getattr(controller, "stop", None)
        if stop is not None:
            stop()


def test_broken_plugin_reports_and_window_keeps_working(
    make_window, sample_dir, monkeypatch
) -> None:
    broken = types.ModuleType("labeldesk_broken_plugin")

    def install(window):
        raise RuntimeError("no GPU driver")

    broken.install = install
    monkeypatch.setitem(sys.modules, "labeldesk_broken_plugin", broken)
    window = make_window(sample_dir)
    messages: list[tuple[str, str]] = []
    window.show_message = lambda text, level="info", actions=None: messages.append((text, level))
    installed = install_plugins(window, ("labeldesk_broken_plugin",))
    assert installed == {}
    assert messages == [
        ("The labeldesk_broken_plugin feature could not start: no GPU driver", "warning")
    ]
    count = len(window.session.doc)
    window.set_tool("rectangle")
    assert len(window.session.doc) == count


def test_assist_failing_half_way_stops_its_thread(make_window, sample_dir, monkeypatch) -> None:
    """The assist plugin starts its inference thread first; when something after that fails,
    the thread is stopped with the plugin (a running QThread left behind aborts the process
    when the window closes)."""
    from labeldesk.ui.assist import controller

    def boom(*args, **kwargs):
        raise RuntimeError("no review dock today")

    monkeypatch.setattr(controller, "ProposalReview", boom)
    window = make_window(sample_dir)
    messages: list[str] = []
    window.show_message = lambda text, level="info", actions=None: messages.append(text)
    installed = install_plugins(window, ("labeldesk.ui.assist",))
    assert installed == {}
    assert messages == ["The assist feature could not start: no review dock today"]
    # the autouse fixture in conftest fails the test if a QThread is still running


STARTUP = """
import sys
from PySide6.QtCore import QTimer
import labeldesk.ui.main_window as mw

class Probe(mw.MainWindow):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        def report():
            print("plugins=" + ",".join(sorted(getattr(self, "plugins", {}))))
            print("torch=" + str("torch" in sys.modules))
            self.close()
        QTimer.singleShot(1500, report)

mw.MainWindow = Probe
from labeldesk.ui.app import run_app
sys.exit(run_app(sys.argv[1]))
"""


def test_app_start_with_plugins_does_not_import_torch(tmp_path: Path, sample_dir) -> None:
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        QT_QPA_PLATFORM="offscreen",
    )
    out = subprocess.run(
        [sys.executable, "-c", STARTUP, str(sample_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"plugins={','.join(sorted(PLUGINS))}" in out.stdout
    assert "torch=False" in out.stdout
