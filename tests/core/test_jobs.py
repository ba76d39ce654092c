"""The job driver: results, progress records, cancellation, clean-up, the terminal bar."""

from __future__ import annotations

import io

import pytest

from labeldesk.core.jobs import (
    Cancelled,
    Job,
    Progress,
    TerminalBar,
    as_progress,
    run_job,
    scaled,
)


def squares(n: int, log: list[str]) -> Job[list[int]]:
    out = []
    try:
        for i in range(n):
            out.append(i * i)
            yield Progress(i + 1, n, f"item {i}", payload={"last": i * i})
        return out
    finally:
        log.append("closed")


def test_run_job_returns_the_result_and_reports_every_step():
    log: list[str] = []
    seen: list[Progress] = []
    assert run_job(squares(4, log), on_progress=seen.append) == [0, 1, 4, 9]
    assert [(p.done, p.total, p.message) for p in seen] == [
        (1, 4, "item 0"),
        (2, 4, "item 1"),
        (3, 4, "item 2"),
        (4, 4, "item 3"),
    ]
    assert seen[-1].payload == {"last": 9} and seen[1].fraction == 0.5 and seen[0].counts
    assert log == ["closed"]


def test_cancel_stops_before_the_next_step_and_closes_the_job():
    log: list[str] = []
    seen: list[Progress] = []
    with pytest.raises(Cancelled):
        run_job(squares(10, log), cancel=lambda: len(seen) >= 3, on_progress=seen.append)
    assert len(seen) == 3 and log == ["closed"]


def test_an_error_in_the_callback_closes_the_job():
    log: list[str] = []

    def boom(p: Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_job(squares(5, log), on_progress=boom)
    assert log == ["closed"]


def test_older_step_shapes_become_progress_records():
    assert as_progress((0.25, "encoding")) == Progress(0.25, 1.0, "encoding")
    assert as_progress(0.5).fraction == 0.5 and not as_progress(0.5).counts
    assert as_progress(None).fraction is None
    assert Progress(0, 0).fraction == 1.0  # nothing to do is done
    assert Progress(7, 5).fraction == 1.0
    with pytest.raises(TypeError, match="a job yielded str 'x'"):
        as_progress("x")


def test_scaled_maps_a_part_onto_its_range_and_passes_the_result():
    log: list[str] = []

    def whole() -> Job[int]:
        first = yield from scaled(squares(2, log), 0.0, 0.5)
        second = yield from scaled(squares(4, log), 0.5, 1.0, message="second")
        return len(first) + len(second)

    seen: list[Progress] = []
    assert run_job(whole(), on_progress=seen.append) == 6
    assert [p.fraction for p in seen] == [0.25, 0.5, 0.625, 0.75, 0.875, 1.0]
    assert seen[2].message == "item 0"  # the part's own message wins
    assert log == ["closed", "closed"]


def test_closing_a_scaled_job_closes_the_part():
    log: list[str] = []
    outer = scaled(squares(5, log))
    next(outer)
    outer.close()
    assert log == ["closed"]


def test_terminal_bar_draws_counts_and_fractions_only_on_a_terminal():
    quiet = io.StringIO()
    TerminalBar("export", stream=quiet).draw(Progress(3, 3))
    assert quiet.getvalue() == ""  # a StringIO is not a TTY
    shown = io.StringIO()
    bar = TerminalBar("export", stream=shown, enabled=True, width=10)
    bar.draw(Progress(1, 4, "a.json"))
    bar.draw(Progress(4, 4, "d.json"))
    text = shown.getvalue()
    assert text.startswith("\rexport [##........] 1/4 a.json")
    assert "[##########] 4/4 d.json" in text and text.endswith("\n")

    shown = io.StringIO()
    bar = TerminalBar("train", stream=shown, enabled=True, width=10, newline_at_end=False)
    bar.draw(Progress.at(0.5, "loss 0.3"))
    assert shown.getvalue() == "\rtrain [#####.....] 50% loss 0.3"
    bar.close()
    assert shown.getvalue().endswith("\n")


def test_bare_yields_are_cancellation_points_without_progress():
    def job() -> Job[str]:
        yield None
        yield Progress.at(0.5, "half")
        yield None
        return "done"

    seen: list[Progress] = []
    assert run_job(job(), on_progress=seen.append) == "done"
    assert seen == [Progress(0.5, 1.0, "half")]
    calls = iter([False, False, True])
    with pytest.raises(Cancelled):
        run_job(job(), cancel=lambda: next(calls))


def test_mapped_changes_each_record_and_passes_the_result_and_bare_yields():
    from dataclasses import replace

    from labeldesk.core.jobs import mapped

    def job() -> Job[int]:
        yield Progress(1, 2)
        yield None
        yield (1.0, "old shape")
        return 7

    seen: list[Progress] = []
    steps: list[Progress | None] = []
    wrapped = mapped(job(), lambda p: replace(p, message=f"[{p.message}]"))
    try:
        while True:
            steps.append(next(wrapped))
    except StopIteration as stop:
        assert stop.value == 7
    assert steps == [Progress(1, 2, "[]"), None, Progress(1.0, 1.0, "[old shape]")]
    assert run_job(mapped(job(), lambda p: p), on_progress=seen.append) == 7 and len(seen) == 2
