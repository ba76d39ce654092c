"""The generic background worker: latest wins, errors as signals, cancel at yields, clean stop."""

from __future__ import annotations

import threading
import time

import pytest

from labeldesk.core.errors import ReadError
from labeldesk.ui.workers.base import Worker, WorkerHost


class Counting(Worker):
    """Jobs for the tests; ``state`` lives in the worker thread like a loaded model would."""

    def __init__(self) -> None:
        super().__init__()
        self.state = 0
        self.threads: set[int] = set()
        self.finished_jobs: list[int] = []
        self.gate = threading.Event()

    def add(self, n: int) -> int:
        self.threads.add(threading.get_ident())
        self.state += n
        return self.state

    def slow(self, tag: int, steps: int = 20):
        self.threads.add(threading.get_ident())
        for i in range(steps):
            yield i / steps, f"step {i}"
            time.sleep(0.005)
        self.finished_jobs.append(tag)
        return tag

    def wait_gate(self) -> str:
        self.gate.wait(5)
        return "opened"

    def broken(self) -> None:
        raise ZeroDivisionError("boom")

    def bad_file(self) -> None:
        raise ReadError("/data/x.json", "invalid JSON at line 1 column 2")


@pytest.fixture
def host(qtbot):
    h = WorkerHost(Counting(), name="test-worker")
    yield h
    h.worker.gate.set()
    assert h.stop()


def test_results_come_back_in_the_gui_thread(host, qtbot):
    got = []
    with qtbot.waitSignal(host.finished, timeout=3000) as blocker:
        host.submit("add", 5, on_result=lambda r: got.append((r, threading.get_ident())))
    assert blocker.args[1] == 5
    assert got == [(5, threading.get_ident())]
    assert threading.get_ident() not in host.worker.threads  # the job ran in the worker thread


def test_latest_request_wins(host, qtbot):
    results, cancelled = [], []
    host.cancelled.connect(cancelled.append)
    host.submit("wait_gate", key="block")  # keeps the worker busy while requests queue up
    ids = [host.submit("slow", i, key="k", on_result=results.append) for i in range(5)]
    host.worker.gate.set()
    qtbot.waitUntil(lambda: results == [4], timeout=5000)
    qtbot.waitUntil(lambda: not host.is_busy(), timeout=5000)
    assert results == [4]
    assert set(ids[:4]) <= set(cancelled)
    assert host.worker.finished_jobs == [4]  # the stale ones never ran to the end


def test_different_keys_do_not_cancel_each_other(host, qtbot):
    results = []
    host.submit("slow", 1, key="a", on_result=results.append)
    host.submit("slow", 2, key="b", on_result=results.append)
    qtbot.waitUntil(lambda: sorted(results) == [1, 2], timeout=5000)


def test_cancel_stops_a_running_generator_at_its_next_yield(host, qtbot):
    progress = []
    rid = host.submit("slow", 7, 400, on_progress=lambda p: progress.append(p.fraction))
    qtbot.waitUntil(lambda: len(progress) >= 2, timeout=5000)
    with qtbot.waitSignal(host.cancelled, timeout=3000) as blocker:
        host.cancel(rid)
    assert blocker.args == [rid]
    assert 7 not in host.worker.finished_jobs
    assert progress == sorted(progress) and progress[0] == 0.0


def test_errors_are_signals_and_the_worker_goes_on(host, qtbot):
    errors = []
    with qtbot.waitSignal(host.failed, timeout=3000) as blocker:
        host.submit("broken", on_error=errors.append)
    assert blocker.args[1] == "broken: ZeroDivisionError: boom"
    with qtbot.waitSignal(host.failed, timeout=3000):
        host.submit("bad_file", on_error=errors.append)
    assert errors[1] == "/data/x.json: invalid JSON at line 1 column 2"  # domain errors as they are
    with qtbot.waitSignal(host.finished, timeout=3000) as blocker:
        host.submit("add", 1)
    assert blocker.args[1] == 1


def test_callables_and_unknown_jobs(host, qtbot):
    with qtbot.waitSignal(host.finished, timeout=3000) as blocker:
        host.submit(lambda a, b: a * b, 6, 7)
    assert blocker.args[1] == 42
    with pytest.raises(AttributeError, match="no job 'nope'"):
        host.submit("nope")


def test_stop_ends_the_thread_and_refuses_new_work(qtbot):
    h = WorkerHost(Counting(), name="stopping")
    h.submit("slow", 1, 1000)  # long: stop must interrupt it at a yield
    t0 = time.monotonic()
    assert h.stop(3000)
    assert time.monotonic() - t0 < 1.0
    assert not h.is_running()
    with pytest.raises(RuntimeError, match="stopped"):
        h.submit("add", 1)
