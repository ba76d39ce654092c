"""A generic background worker: one long-lived object in its own QThread (DESIGN section 1.4).

How it works
------------
* :class:`Worker` is a ``QObject`` that is moved into its own ``QThread`` and lives there for
  the whole session. Subclass it to keep long-lived state in the worker thread (a loaded model,
  an embedding cache, a decoded-image cache) and write *jobs* as methods.
* :class:`WorkerHost` lives in the GUI thread. It owns the thread and the worker, hands out
  request ids and is the only thing the GUI talks to::

      host = WorkerHost(ImageWorker(), name="image-reader")
      rid = host.submit("read", path, key="current",
                        on_result=show_image, on_error=status_bar.showMessage)
      ...
      host.stop()          # in closeEvent / aboutToQuit: cancels, quits and joins the thread

* A job is a worker method (named by a string) or any callable, called in the worker thread
  with the request's arguments. It may return a value, or be a :mod:`labeldesk.core.jobs`
  **job**: a generator that yields :class:`~labeldesk.core.jobs.Progress` records and
  *returns* its result, driven by :func:`~labeldesk.core.jobs.run_job`::

      def read(self, path) -> Job[np.ndarray]:
          yield Progress.at(0.0, f"reading {path}")
          image = load_image(path)
          yield None                          # a cancellation point with nothing to report
          return image

  The worker checks for cancellation at every yield, so a long job should yield often.
  (Older jobs that yield ``(fraction, text)`` or a bare fraction still work.)
* **Latest wins.** Each request has a *key* (default: the job's name). Submitting a new
  request with the same key makes every older request with that key stale: a stale request
  still queued is skipped, a running generator is stopped at its next yield, and a stale
  result that arrives anyway is dropped by the host. Requests with different keys do not
  cancel each other (for example "encode image" and "predict mask").
* **Errors are signals.** An exception in a job becomes ``failed(id, message)`` (and the
  request's ``on_error`` callback); the worker keeps running and serves the next request.
  :class:`~labeldesk.core.errors.LabeldeskError` messages are passed as they are; any other
  exception is reported as ``"<job>: <ExceptionType>: <message>"``. The traceback is logged,
  never shown in a dialog.
* Only the GUI thread changes the document: results are delivered in the GUI thread through
  queued signals, and callbacks run there.

Signals of :class:`WorkerHost` (all in the GUI thread, only for requests that are current):
``progress(id, Progress)``, ``finished(id, result)``, ``failed(id, message)``,
``cancelled(id)``. ``busy_changed(bool)`` says whether any request is queued or running.

**A thread is never destroyed while it runs.** :meth:`WorkerHost.stop` cancels the running
job and waits for the thread; a job that does not reach a cancellation point in time (one
long C call) leaves its thread running. Qt aborts the process when a running ``QThread`` is
destroyed ("QThread: Destroyed while thread ... is still running", exit 134), so such a
thread and its worker are kept referenced here, and at process exit (the windows already
closed) the exit waits up to :data:`STRAGGLER_WAIT_S` more for them to end.
"""

from __future__ import annotations

import atexit
import inspect
import itertools
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.jobs import Cancelled, Progress, run_job

log = logging.getLogger(__name__)

Callback = Callable[..., None]

STRAGGLER_WAIT_S = 120.0  # at exit, how long to wait for threads that outlived stop()
_stragglers: list[tuple[QThread, Any]] = []  # (thread, worker) still running after stop()


def _keep_until_done(thread: QThread, worker: Any) -> None:
    """Hold a thread (and its worker) that is still running after ``stop()`` until it ends:
    dropping the last reference would destroy a running QThread and abort the process."""
    _stragglers[:] = [(t, w) for t, w in _stragglers if not t.wait(0)]  # ended ones go
    if not _stragglers:
        atexit.register(_wait_for_stragglers)  # runs before PySide's own shutdown (LIFO)
    _stragglers.append((thread, worker))


def _wait_for_stragglers(limit_s: float | None = None) -> None:
    """At exit: wait for the kept threads (their jobs are cancelled; each stops at its next
    cancellation point). One still running after ``limit_s`` (default
    :data:`STRAGGLER_WAIT_S`) would abort the process when destroyed, so the process ends
    at once (``os._exit(0)``) after logging which thread it was."""
    atexit.unregister(_wait_for_stragglers)
    deadline = time.monotonic() + (STRAGGLER_WAIT_S if limit_s is None else limit_s)
    for thread, _worker in list(_stragglers):
        left_ms = max(0, int((deadline - time.monotonic()) * 1000))
        if not thread.wait(left_ms):
            log.error("thread %r did not end at exit; exiting without it", thread.objectName())
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
    _stragglers.clear()


@dataclass
class Request:
    """One job request: ``id`` is unique per host, ``key`` groups requests where the latest wins."""

    id: int
    key: str
    job: str | Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def job_name(self) -> str:
        return self.job if isinstance(self.job, str) else getattr(self.job, "__name__", "job")


class _Ledger:
    """Which request is current per key, shared by the host and the worker thread (locked)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, int] = {}
        self._cancelled: set[int] = set()
        self.stopping = False

    def submit(self, key: str, rid: int) -> None:
        with self._lock:
            self._latest[key] = rid

    def cancel(self, rid: int) -> None:
        with self._lock:
            self._cancelled.add(rid)

    def cancel_key(self, key: str) -> None:
        with self._lock:
            rid = self._latest.get(key)
            if rid is not None:
                self._cancelled.add(rid)

    def is_current(self, rid: int, key: str) -> bool:
        with self._lock:
            return not self.stopping and rid not in self._cancelled and self._latest.get(key) == rid

    def forget(self, rid: int) -> None:
        with self._lock:
            self._cancelled.discard(rid)


class Worker(QObject):
    """Runs requests in its own thread. Subclass it and add job methods (see module docs).

    Do not call job methods from the GUI thread; submit them through a :class:`WorkerHost`.
    ``check()`` may be called inside a non-generator job to stop early when cancelled.
    """

    _progress = Signal(int, object)
    _finished = Signal(int, object)
    _failed = Signal(int, str)
    _cancelled = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self._ledger: _Ledger | None = None
        self._current: Request | None = None

    def check(self) -> None:
        """Raise :class:`Cancelled` when the running request is no longer wanted."""
        if self.is_stale():
            raise Cancelled

    def is_stale(self) -> bool:
        """True when the running request is no longer wanted (a job's ``cancel`` check)."""
        if self._current is None or self._ledger is None:
            return False
        return not self._ledger.is_current(self._current.id, self._current.key)

    @Slot(object)
    def _run(self, req: Request) -> None:
        ledger = self._ledger
        assert ledger is not None, "a Worker must be started by a WorkerHost"
        if not ledger.is_current(req.id, req.key):
            self._cancelled.emit(req.id)
            return
        self._current = req
        try:
            fn = getattr(self, req.job) if isinstance(req.job, str) else req.job
            out = fn(*req.args, **req.kwargs)
            if inspect.isgenerator(out):
                out = self._drive(req, out)
            self.check()
            self._finished.emit(req.id, out)
        except Cancelled:
            self._cancelled.emit(req.id)
        except LabeldeskError as exc:
            self._failed.emit(req.id, str(exc))
        except Exception as exc:  # a job's bug must not kill the worker thread
            log.error("job %s failed:\n%s", req.job_name, traceback.format_exc())
            self._failed.emit(req.id, f"{req.job_name}: {type(exc).__name__}: {exc}")
        finally:
            self._current = None

    def _drive(self, req: Request, gen: Generator[Any, None, Any]) -> Any:
        def emit(progress: Progress) -> None:
            self._progress.emit(req.id, progress)

        return run_job(gen, cancel=self.is_stale, on_progress=emit)


class WorkerHost(QObject):
    """Owns a :class:`Worker` and its QThread; the GUI thread's handle on it (see module docs)."""

    progress = Signal(int, object)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)
    busy_changed = Signal(bool)
    _dispatch = Signal(object)

    _ids = itertools.count(1)  # ids are unique across hosts, which helps logs and tests

    def __init__(self, worker: Worker, *, name: str = "worker", parent: QObject | None = None):
        super().__init__(parent)
        self.worker = worker
        self._ledger = _Ledger()
        worker._ledger = self._ledger
        self._callbacks: dict[int, tuple[Callback | None, Callback | None, Callback | None]] = {}
        self._keys: dict[int, str] = {}
        self._thread = QThread()
        self._thread.setObjectName(name)
        worker.moveToThread(self._thread)
        self._dispatch.connect(worker._run)
        worker._progress.connect(self._on_progress)
        worker._finished.connect(self._on_finished)
        worker._failed.connect(self._on_failed)
        worker._cancelled.connect(self._on_cancelled)
        self._thread.start()

    # -- requests ------------------------------------------------------------------------------
    def submit(
        self,
        job: str | Callable[..., Any],
        *args: Any,
        key: str | None = None,
        on_result: Callback | None = None,
        on_error: Callback | None = None,
        on_progress: Callback | None = None,
        **kwargs: Any,
    ) -> int:
        """Queue ``job(*args, **kwargs)`` in the worker thread; returns the request id.

        ``job`` is the name of a worker method or a callable. ``key`` (default: the job's
        name) decides which earlier requests this one makes stale. Callbacks run in the GUI
        thread, only when this request is still current: ``on_result(result)``,
        ``on_error(message)``, ``on_progress(progress)`` (a
        :class:`~labeldesk.core.jobs.Progress`: ``fraction``, ``message``, ``payload``).
        """
        if not self.is_running():
            raise RuntimeError("the worker has been stopped")
        if isinstance(job, str) and not callable(getattr(self.worker, job, None)):
            raise AttributeError(f"{type(self.worker).__name__} has no job {job!r}")
        rid = next(self._ids)
        req = Request(
            rid,
            key or (job if isinstance(job, str) else getattr(job, "__name__", "job")),
            job,
            args,
            kwargs,
        )
        was_busy = self.is_busy()
        self._ledger.submit(req.key, rid)
        self._callbacks[rid] = (on_result, on_error, on_progress)
        self._keys[rid] = req.key
        self._dispatch.emit(req)
        if not was_busy:
            self.busy_changed.emit(True)
        return rid

    def cancel(self, rid: int) -> None:
        """Stop request ``rid``: skipped if queued, stopped at its next yield if running."""
        self._ledger.cancel(rid)

    def cancel_key(self, key: str) -> None:
        self._ledger.cancel_key(key)

    def is_current(self, rid: int) -> bool:
        key = self._keys.get(rid)
        return key is not None and self._ledger.is_current(rid, key)

    def is_busy(self) -> bool:
        """True while any request is queued or running."""
        return bool(self._callbacks)

    def is_running(self) -> bool:
        return self._thread.isRunning() and not self._ledger.stopping

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything, end the thread and wait for it; True when it ended in time.

        A thread still running after ``timeout_ms`` (a job that has not reached a
        cancellation point) is kept referenced until it ends, and the process exit waits
        for it (see the module docs): it is never destroyed while running."""
        self._ledger.stopping = True
        self._thread.quit()
        done = bool(self._thread.wait(timeout_ms))
        if not done:
            job = self.worker._current.job_name if self.worker._current else "?"
            log.warning(
                "worker thread %r still running (job %s) %d ms after stop; kept until it ends",
                self._thread.objectName(), job, timeout_ms,
            )  # fmt: skip
            _keep_until_done(self._thread, self.worker)
        self._callbacks.clear()
        self._keys.clear()
        return done

    # -- results (GUI thread) -----------------------------------------------------------------------
    def _take(self, rid: int) -> tuple[Callback | None, Callback | None, Callback | None] | None:
        key = self._keys.pop(rid, None)
        cbs = self._callbacks.pop(rid, None)
        current = key is not None and self._ledger.is_current(rid, key)
        self._ledger.forget(rid)
        if cbs is not None and not self._callbacks:
            self.busy_changed.emit(False)
        return cbs if current else None

    @Slot(int, object)
    def _on_progress(self, rid: int, progress: Progress) -> None:
        key = self._keys.get(rid)
        if key is None or not self._ledger.is_current(rid, key):
            return
        self.progress.emit(rid, progress)
        cbs = self._callbacks.get(rid)
        if cbs and cbs[2]:
            cbs[2](progress)

    @Slot(int, object)
    def _on_finished(self, rid: int, result: object) -> None:
        cbs = self._take(rid)
        if cbs is None:
            return
        self.finished.emit(rid, result)
        if cbs[0]:
            cbs[0](result)

    @Slot(int, str)
    def _on_failed(self, rid: int, message: str) -> None:
        cbs = self._take(rid)
        if cbs is None:
            return
        self.failed.emit(rid, message)
        if cbs[1]:
            cbs[1](message)

    @Slot(int)
    def _on_cancelled(self, rid: int) -> None:
        if self._keys.get(rid) is not None:
            self._take(rid)
            self.cancelled.emit(rid)
