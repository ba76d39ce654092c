"""Fixtures for the GUI tests (pytest-qt, offscreen).

* ``no_thread_left`` (autouse): fails the test if a QThread started during it is still
  running at its end. It records every ``QThread.start`` call made during the test (so it
  sees worker threads of any engineer's code) and gives each one two seconds to finish.
* ``make_window``: a labeldesk main window with its own settings file and crash journal in
  the test's temporary folder, closed (and its threads stopped) at the end of the test.
* ``sample_dir``: a writable copy of the bundled sample folder.
* ``no_modal_dialog`` (autouse): a QMessageBox that would wait for a click (and block the
  run forever offscreen) answers Discard/Cancel at once, and the test fails naming it.
"""

from __future__ import annotations

import os
import shutil
import time
import weakref
from importlib.resources import as_file, files
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings, QThread
from PySide6.QtWidgets import QApplication, QMessageBox


@pytest.fixture(autouse=True)
def no_modal_dialog(monkeypatch):
    shown: list[str] = []
    b = QMessageBox.StandardButton

    def answer(kind: str, default):
        def fake(parent, title, text, *args, **kwargs):
            shown.append(f"{kind}: {title}: {text}")
            return default

        return staticmethod(fake)

    monkeypatch.setattr(QMessageBox, "question", answer("question", b.Discard))
    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, answer(kind, b.Ok))
    yield shown
    assert not shown, f"a modal message box would have blocked the test: {shown}"


@pytest.fixture(autouse=True)
def no_thread_left(monkeypatch):
    started: list[weakref.ref] = []
    original = QThread.start

    def recording_start(self, *args, **kwargs):
        started.append(weakref.ref(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    monkeypatch.setattr(QThread, "start", original)

    def running() -> list[str]:
        names = []
        for ref in started:
            thread = ref()
            try:
                if thread is not None and thread.isRunning():
                    names.append(thread.objectName() or type(thread).__name__)
            except RuntimeError:  # the C++ object is gone: it is not running
                continue
        return names

    deadline = time.monotonic() + 2.0
    while running() and time.monotonic() < deadline:
        app = QApplication.instance()
        if app is not None:
            app.processEvents()
        time.sleep(0.01)
    left = running()
    assert not left, f"QThread(s) still running at the end of the test: {left}"


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    target = tmp_path / "sample"
    with as_file(files("labeldesk.resources").joinpath("sample")) as src:
        shutil.copytree(src, target, ignore=shutil.ignore_patterns(".*"))
    return target


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    return tmp_path / "journal"


@pytest.fixture
def make_window(qtbot, settings_path: Path, journal_dir: Path):
    """``make_window(path=None, autosave=True)`` -> a shown MainWindow (path opened, loaded)."""
    from labeldesk.ui.journal import Journal
    from labeldesk.ui.main_window import MainWindow
    from labeldesk.ui.settings import AppSettings

    windows = []

    def make(path: Path | None = None, *, autosave: bool = True, offer: bool = False):
        settings = AppSettings(QSettings(str(settings_path), QSettings.Format.IniFormat))
        journal = Journal(journal_dir)
        journal.start()
        window = MainWindow(settings, journal)
        qtbot.addWidget(window)
        window.apply_settings()
        window.set_autosave(autosave)
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        windows.append(window)
        if path is not None:
            assert window.open_path(path)
            wait_loaded(qtbot, window)
        if offer:
            window.offer_recovery()
        return window

    yield make
    for window in windows:
        doc = window.session.doc
        if doc is not None and doc.is_dirty():
            doc.mark_clean()  # a test that left edits must not block on "save changes?"
        window.close()


def wait_loaded(qtbot, window, name: str | None = None, timeout: int = 5000) -> None:
    """Wait until the window shows an image (``name``, when given) with its document."""

    def ready() -> bool:
        item = window.session.item
        return (
            item is not None
            and window.session.doc is not None
            and (name is None or item.path.name == name)
        )

    qtbot.waitUntil(ready, timeout=timeout)
