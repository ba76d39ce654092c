"""The job type, the progress record and the driver (see :mod:`labeldesk.core.jobs`)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import Any, TypeAlias, TypeVar

T = TypeVar("T")


class Cancelled(Exception):
    """A job was stopped because its ``cancel`` check said so (or its request became stale)."""


@dataclass(frozen=True)
class Progress:
    """Where a job is: ``done`` of ``total`` (``total`` None: unknown), a ``message`` for
    people, and a ``payload`` for programs (a loss value, the file result just written...).

    Counts are ints (``Progress(3, 10, "cat.json")``: 3 of 10 files); a plain fraction is
    ``Progress(0.25, 1.0)``, made by :meth:`at`. ``total == 0`` means there was nothing to do
    (``fraction`` is 1.0).
    """

    done: float = 0
    total: float | None = None
    message: str = ""
    payload: Any = None

    @classmethod
    def at(cls, fraction: float, message: str = "", payload: Any = None) -> Progress:
        """A progress record for ``fraction`` (0..1) of the work."""
        return cls(float(fraction), 1.0, message, payload)

    @property
    def fraction(self) -> float | None:
        """``done / total`` clipped to 0..1; None when the total is unknown."""
        if self.total is None:
            return None
        if self.total <= 0:
            return 1.0
        return min(max(self.done / self.total, 0.0), 1.0)

    @property
    def counts(self) -> bool:
        """True when ``done`` and ``total`` count items (ints), False for a fraction."""
        return isinstance(self.done, int) and isinstance(self.total, int)


# A job: yields Progress (or None: a cancellation point only), returns its result
# (``Job[Report]``).
Job: TypeAlias = Generator[Progress | None, None, T]
ProgressCallback: TypeAlias = Callable[[Progress], None]


def as_progress(step: object) -> Progress:
    """A :class:`Progress` for what a job yielded.

    Besides :class:`Progress` itself this accepts the shapes older jobs yield, so they can be
    driven while they are converted: ``(fraction, text)``, a bare fraction, and None (a step
    with nothing to report: indeterminate, no message; :func:`run_job` does not pass those
    on, a job yields None to offer a cancellation point only).
    """
    if isinstance(step, Progress):
        return step
    if step is None:
        return Progress()
    if isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], int | float):
        return Progress.at(float(step[0]), str(step[1]))
    if isinstance(step, int | float) and not isinstance(step, bool):
        return Progress.at(float(step))
    raise TypeError(f"a job yielded {type(step).__name__} {step!r}; expected a Progress")


def run_job(
    job: Generator[Any, None, T],
    *,
    cancel: Callable[[], bool] | None = None,
    on_progress: ProgressCallback | None = None,
) -> T:
    """Drive ``job`` to the end and return its result.

    ``cancel()`` is checked before every step; when it is true the job is closed and
    :class:`Cancelled` is raised. ``on_progress`` receives every step as a :class:`Progress`
    (see :func:`as_progress`), except bare yields
    (None: a cancellation point only). The generator is closed in every case (result, error,
    cancellation, KeyboardInterrupt), so its clean-up runs before this returns.
    """
    try:
        while True:
            if cancel is not None and cancel():
                raise Cancelled
            try:
                step = next(job)
            except StopIteration as stop:
                return stop.value
            if on_progress is not None and step is not None:
                on_progress(as_progress(step))
    finally:
        job.close()


def mapped(job: Generator[Any, None, T], change: Callable[[Progress], Progress]) -> Job[T]:
    """Re-yield ``job``'s steps as ``change(progress)`` (to add a message, say) and return its
    result: ``result = yield from mapped(part, lambda p: replace(p, message=...))``. Bare
    yields stay bare. Closing this closes ``job``."""
    try:
        while True:
            try:
                step = next(job)
            except StopIteration as stop:
                return stop.value
            yield None if step is None else change(as_progress(step))
    finally:
        job.close()


def scaled(
    job: Generator[Any, None, T], start: float = 0.0, end: float = 1.0, *, message: str = ""
) -> Job[T]:
    """Re-yield ``job``'s progress as fractions between ``start`` and ``end`` (for a job made
    of parts: ``result = yield from scaled(part, 0.0, 0.5)``). Steps of unknown total stay
    at ``start``; ``message`` replaces empty messages. Closing this closes ``job``."""

    def change(p: Progress) -> Progress:
        f = p.fraction or 0.0
        return replace(p, done=start + (end - start) * f, total=1.0, message=p.message or message)

    return mapped(job, change)
