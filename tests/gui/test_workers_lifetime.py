"""stop_on_close: a hidden window keeps its workers; closing it or quitting the app stops
them; the controllers of the window (assist, classical tools, training) use it."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMainWindow

from labeldesk.ui.plugins import install_plugins
from labeldesk.ui.workers import Worker, WorkerHost, stop_on_close


def test_hidden_keeps_closed_and_quit_stop(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    host = WorkerHost(Worker(), name="lifetime-test")
    calls: list[bool] = []

    def stop() -> None:
        calls.append(host.is_running())
        if host.is_running():
            host.stop()

    stop_on_close(window, stop)
    window.show()
    qtbot.waitExposed(window)
    window.hide()  # hidden, not closed: no Close event
    qtbot.wait(20)
    assert calls == [] and host.is_running()
    window.show()
    window.close()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=2000)
    assert calls == [True] and not host.is_running()
    QApplication.instance().aboutToQuit.emit()  # the app quits later: stop again, a no-op
    assert calls == [True, False] and not host.is_running()


def test_a_refused_close_keeps_the_worker(qtbot) -> None:
    class Stubborn(QMainWindow):
        def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
            event.ignore()

    window = Stubborn()
    qtbot.addWidget(window)
    calls: list[int] = []
    stop_on_close(window, lambda: calls.append(1))
    window.show()
    qtbot.waitExposed(window)
    window.close()
    qtbot.wait(20)
    assert calls == [] and window.isVisible()
    window.hide()


def test_the_window_controllers_stop_with_it(make_window, sample_dir, qtbot) -> None:
    window = make_window(sample_dir)
    installed = install_plugins(window)
    hosts = [
        installed["labeldesk.ui.assist"].host,
        installed["labeldesk.ui.tools"].host,
        installed["labeldesk.ui.training"].worker_host(),  # started on first use
    ]
    assert all(isinstance(h, WorkerHost) and h.is_running() for h in hosts)
    window.hide()
    qtbot.wait(20)
    assert all(h.is_running() for h in hosts)
    window.show()
    window.session.doc.mark_clean()
    window.close()
    qtbot.waitUntil(lambda: not any(h.is_running() for h in hosts), timeout=5000)
    for controller in installed.values():  # stop is idempotent
        stop = getattr(controller, "stop", None)
        if stop is not None:
            stop()


def test_a_close_that_runs_the_event_loop_still_stops(qtbot) -> None:
    """A closeEvent that processes events (flushing saves) lets the first check run while the
    window is still visible; the hide that follows the accepted close stops the worker."""

    class Flushing(QMainWindow):
        def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
            QApplication.processEvents()
            event.accept()

    window = Flushing()
    qtbot.addWidget(window)
    host = WorkerHost(Worker(), name="lifetime-flush")
    calls: list[bool] = []

    def stop() -> None:
        calls.append(host.is_running())
        if host.is_running():
            host.stop()

    stop_on_close(window, stop)
    window.show()
    qtbot.waitExposed(window)
    window.close()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=2000)
    qtbot.wait(20)
    assert calls == [True] and not host.is_running()
