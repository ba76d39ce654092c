"""Ending a controller's worker thread with its window.

A controller that owns a :class:`~labeldesk.ui.workers.base.WorkerHost` calls
:func:`stop_on_close` once::

    self._lifetime = stop_on_close(window, self.stop)

``stop`` then runs when the window is really closed (checked on the next turn of the event
loop, so a close that the window refused, or a window that is only hidden, keeps its
workers) and when the application is about to quit. ``stop`` must be idempotent: it may
run more than once (a close, then the quit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget


class CloseWatcher(QObject):
    """Calls ``stop`` after ``window`` closes and when the app quits (see module docs).

    A child of ``window``: it goes with the window, and so do its connections.
    """

    def __init__(self, window: QWidget, stop: Callable[[], Any]) -> None:
        super().__init__(window)
        self.window = window
        self._stop = stop
        self._closing = False
        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._on_quit)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.window:
            kind = event.type()
            if kind == QEvent.Type.Close:
                self._closing = True
                QTimer.singleShot(0, self, self._after_close)
            elif kind == QEvent.Type.Hide and self._closing:
                # the close went through (a closeEvent that runs the event loop, e.g. to
                # flush saves, may have let the first check run while still visible)
                QTimer.singleShot(0, self, self._after_close)
            elif kind == QEvent.Type.Show:
                self._closing = False
        return False

    def _after_close(self) -> None:
        try:
            visible = self.window.isVisible()
        except RuntimeError:  # the window is gone
            visible = False
        if self._closing and not visible:
            self._closing = False
            self._stop()

    def _on_quit(self) -> None:
        self._stop()


def stop_on_close(window: QWidget, stop: Callable[[], Any]) -> QObject:
    """Run ``stop`` (idempotent) once ``window`` has closed and when the application quits;
    a window that is only hidden keeps its workers. Returns the watcher (a child of
    ``window``)."""
    return CloseWatcher(window, stop)
