"""A one-line progress bar for the headless commands: drawn on a terminal, silent otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from labeldesk.core.jobs.driver import Progress


class TerminalBar:
    """``title [#####.....] done/total details`` redrawn in place on ``stream``.

    It draws only when ``stream`` is a TTY (or ``enabled`` says so), so piped output and logs
    stay clean. ``interval`` throttles redraws (the last one is always drawn); with
    ``newline_at_end`` the line is ended when ``done`` reaches ``total``, else by
    :meth:`close`. :meth:`draw` draws a job's :class:`Progress` (pass it as a job's
    ``on_progress``); :meth:`show` draws numbers directly.
    """

    def __init__(
        self,
        title: str,
        total: int = 0,
        stream: TextIO | None = None,
        *,
        enabled: bool | None = None,
        width: int = 30,
        interval: float = 0.0,
        newline_at_end: bool = True,
        rate: bool = False,
    ) -> None:
        self.title, self.total = title, total
        self.stream = stream or sys.stderr
        tty = getattr(self.stream, "isatty", None)
        self.enabled = (bool(tty()) if tty else False) if enabled is None else enabled
        self.width, self.interval, self.newline_at_end = width, interval, newline_at_end
        self.show_rate = rate
        self.start = time.perf_counter()
        self._last = float("-inf")
        self._longest = 0
        self._ended = False

    def rate(self, done: float) -> float:
        """Items per second since the bar was made."""
        return done / max(time.perf_counter() - self.start, 1e-9)

    def draw(self, progress: Progress) -> None:
        """Draw a job's progress: counts as ``done/total``, fractions as a percentage, the
        items per second when the bar was made with ``rate=True``, then the message."""
        if not self.enabled:
            return
        details = [f"{self.rate(progress.done):.2f}/s"] if self.show_rate else []
        if progress.message:
            details.append(progress.message)
        if progress.counts or progress.total is None:
            total = None if progress.total is None else int(progress.total)
            self.show(int(progress.done), " ".join(details), total=total)
        else:
            self.show(
                round(1000 * (progress.fraction or 0.0)),
                " ".join(details),
                total=1000,
                percent=True,
            )

    def show(
        self,
        done: int,
        details: str = "",
        *,
        total: int | None = None,
        force: bool = False,
        percent: bool = False,
    ) -> None:
        """Draw ``done`` of ``total`` (the bar's own total when None) and ``details``."""
        if not self.enabled:
            return
        if total is not None:
            self.total = total
        now = time.perf_counter()
        finished = self.total > 0 and done >= self.total
        if not (force or finished) and now - self._last < self.interval:
            return
        self._last = now
        filled = int(self.width * min(done, self.total) / max(self.total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        count = f"{100 * done / max(self.total, 1):.0f}%" if percent else f"{done}/{self.total}"
        line = f"\r{self.title} [{bar}] {count}" + (f" {details}" if details else "")
        self._longest = max(self._longest, len(line))
        self.stream.write(line.ljust(self._longest))
        if finished and self.newline_at_end and not self._ended:
            self.stream.write("\n")
            self._ended = True
        self.stream.flush()

    def close(self) -> None:
        """End the line (once) if anything was drawn."""
        if self.enabled and not self._ended:
            self.stream.write("\n")
            self.stream.flush()
            self._ended = True
