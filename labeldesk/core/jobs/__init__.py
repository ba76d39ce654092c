"""One way to run long work: a step generator, one progress record, one driver.

A *job* is a generator that yields :class:`Progress` records and *returns* its result. It is
cancellable at every yield (the driver closes it, so its ``finally`` blocks clean up). The CLI
commands, the export, prelabel, training and the Qt workers all drive jobs the same way::

    from labeldesk.core.jobs import Job, Progress, TerminalBar, run_job

    def count_lines(paths: list[str]) -> Job[int]:
        total = 0
        for i, path in enumerate(paths):
            with open(path, encoding="utf-8") as f:
                total += sum(1 for _ in f)
            yield Progress(i + 1, len(paths), path, payload={"lines": total})
        return total

    bar = TerminalBar("count")                       # draws only on a terminal
    lines = run_job(count_lines(files), on_progress=bar.draw, cancel=stop_event.is_set)
    bar.close()

``run_job`` raises :class:`Cancelled` when ``cancel()`` turns true (checked before every step)
and always closes the generator, also on an error or Ctrl-C. A job made of other jobs embeds
them with ``yield from scaled(sub_job, 0.0, 0.5)``, which maps their progress onto a part of
its own range (``mapped`` changes their records in any other way).
"""

from __future__ import annotations

from labeldesk.core.jobs.driver import (
    Cancelled,
    Job,
    Progress,
    ProgressCallback,
    as_progress,
    mapped,
    run_job,
    scaled,
)
from labeldesk.core.jobs.terminal import TerminalBar

__all__ = [
    "Cancelled",
    "Job",
    "Progress",
    "ProgressCallback",
    "TerminalBar",
    "as_progress",
    "mapped",
    "run_job",
    "scaled",
]
