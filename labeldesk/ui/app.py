"""Start the desktop app: ``labeldesk [PATH]`` ends here (via :mod:`labeldesk.cli`).

This is the composition root of the process: it creates the QApplication, reads settings,
applies the theme, starts the crash journal, builds the window, applies settings to it and
opens the folder. Nothing on this path imports torch: model features load it lazily later.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from labeldesk import __version__
from labeldesk.core.errors import LabeldeskError

log = logging.getLogger(__name__)


def sample_copy_dir() -> Path:
    """Where the writable copy of the bundled sample lives (the user's documents)."""
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs or Path.home()) / "labeldesk-sample"


def display_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why the GUI cannot start here (no display, or the xcb-cursor library missing), or None.

    Checked before Qt is started, which would otherwise abort with its xcb plugin message
    (exit 134). Only Linux's xcb platform is checked; others (offscreen, wayland...) pass.
    """
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None
    if not platform and env.get("WAYLAND_DISPLAY"):
        return None
    if not env.get("DISPLAY"):
        return (
            "no display to open the window on (DISPLAY is not set); run it in a desktop "
            "session or under Xvfb, or use the command-line tools (labeldesk export, "
            "prelabel, train)"
        )
    try:
        ctypes.CDLL("libxcb-cursor.so.0")
    except OSError:
        return (
            "the window needs the xcb-cursor library, which is not installed "
            "(Debian/Ubuntu: apt install libxcb-cursor0; Fedora: dnf install xcb-util-cursor)"
        )
    return None


def _report_to(window):
    """An excepthook that logs a bug's traceback and tells the user in a message, never a
    traceback dialog; the window keeps running (Qt slots raise into this hook)."""

    def hook(kind, value, tb) -> None:
        log.error("unexpected error", exc_info=(kind, value, tb))
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        text = (
            str(value)
            if issubclass(kind, LabeldeskError)
            else f"Unexpected error ({kind.__name__}: {value})"
        )
        window.show_message(f"{text}. Your work is kept; details are in the log.", "error")

    return hook


def run_app(path: str | None, *, reset_settings: bool = False, exit_when_idle: bool = False) -> int:
    """Run the GUI on ``path`` (a folder, image or labelme JSON; None: the bundled sample).

    Returns the process exit code. Settings are wiped first with ``reset_settings``.
    ``exit_when_idle`` quits once the first image is shown (a smoke test for packaged builds).
    """
    if QApplication.instance() is None and (problem := display_problem()) is not None:
        print(f"labeldesk: {problem}", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("labeldesk")
    app.setOrganizationName("labeldesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("labeldesk")

    from labeldesk.ui.journal import Journal
    from labeldesk.ui.main_window import MainWindow
    from labeldesk.ui.resources import app_icon, sample_folder
    from labeldesk.ui.settings import AppSettings, default_journal_dir
    from labeldesk.ui.themes import ThemeManager

    app.setWindowIcon(app_icon())
    settings = AppSettings()
    if reset_settings:
        settings.reset()
    theme = ThemeManager(app)
    theme.apply(settings.theme())
    journal = Journal(default_journal_dir())
    window = MainWindow(settings, journal, theme)
    from labeldesk.ui.plugins import install_plugins

    install_plugins(window)
    try:
        journal.start()
    except LabeldeskError as exc:
        window.show_message(f"{exc}; unsaved edits will not survive a crash", "warning")
    window.apply_settings()
    window.show()
    sys.excepthook = _report_to(window)

    def start() -> None:
        target = path
        if target is None:
            try:
                target = str(sample_folder(sample_copy_dir()))
            except OSError as exc:
                window.show_message(f"Cannot copy the sample images: {exc}", "error")
                return
        window.open_path(target)
        window.offer_recovery()
        if exit_when_idle:
            QTimer.singleShot(0, window.close)

    QTimer.singleShot(0, start)
    return int(app.exec())
