"""Bad input and background work of the classical tools in the window: messages in the status
bar (never an exception), superseded requests skipped, newer results shown, a responsive
window, the thread ending."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer

from labeldesk import algorithms as alg
from tests.gui.test_classical_tools import (
    CENTRE,
    click,
    drag,
    iou,
    key,
    open_scene,
    send,
    shape_pixels,
    wait_mask,
)


@pytest.fixture
def app(make_window, tmp_path, qtbot):
    window, ctl, gt = open_scene(make_window, tmp_path, qtbot)
    yield window, ctl, gt
    window.session.doc.mark_clean()


def status(window) -> str:
    return window.statusBar().currentMessage()


def test_region_grow_seed_outside_the_image(app, qtbot) -> None:
    window, ctl, _ = app
    key(window, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
    tool = window.canvas.tool()
    drag(window, [(-6, 100), (-2, 100), (10, 100)])
    assert "outside the image" in status(window) and "(-6, 100)" in status(window)
    assert not tool.seeds and tool.mask is None and not ctl.host.is_busy()
    assert len(window.session.doc) == 0


def test_watershed_without_background_scribbles(app, qtbot) -> None:
    window, ctl, _ = app
    key(window, Qt.Key.Key_W)
    tool = window.canvas.tool()
    key(window, Qt.Key.Key_Return)  # no scribble at all
    assert "Watershed: nothing to accept yet" in status(window)
    cx, cy = CENTRE
    drag(window, [(cx - 30, cy), (cx + 30, cy)])  # object only: the markers have no background
    key(window, Qt.Key.Key_Return)
    assert "nothing to accept yet" in status(window) and "background" in status(window)
    assert tool.mask is None and len(window.session.doc) == 0
    key(window, Qt.Key.Key_Escape)
    assert not tool.busy()


def test_grabcut_zero_size_box(app, qtbot) -> None:
    window, ctl, _ = app
    key(window, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
    tool = window.canvas.tool()
    drag(window, [(60, 100), (120, 100), (200, 100)])  # a flat drag: a box of height 0
    assert tool.box is not None
    qtbot.waitUntil(lambda: "zero size" in status(window))
    assert status(window).startswith("GrabCut: box") and tool.mask is None
    key(window, Qt.Key.Key_Return)
    assert "nothing to accept yet" in status(window) and len(window.session.doc) == 0


@pytest.mark.parametrize("name", ["threshold", "region_grow", "live_wire"])
def test_image_of_the_wrong_dtype(app, qtbot, name) -> None:
    window, ctl, _ = app
    good = window.ctx.image()
    window.ctx.image = lambda: good.astype(np.int32)
    window.set_tool(name)
    tool = window.canvas.tool()
    if name != "threshold":  # threshold computes as soon as it is chosen
        click(window, *CENTRE)
        send(window, "move", CENTRE[0] + 40, CENTRE[1], Qt.MouseButton.NoButton)
        click(window, CENTRE[0] + 40, CENTRE[1])
    qtbot.waitUntil(lambda: "dtype int32" in status(window))
    assert "must be uint8, uint16 or float" in status(window)
    assert tool.preview() is None or tool.preview().mask is None
    assert len(window.session.doc) == 0


def test_a_bug_in_a_job_is_a_message_and_the_worker_goes_on(app, qtbot) -> None:
    window, ctl, gt = app
    window.set_tool("threshold")
    tool = window.canvas.tool()
    wait_mask(qtbot, ctl, tool)
    tool.compute(lambda: 1 // 0)
    qtbot.waitUntil(lambda: "ZeroDivisionError" in status(window))
    tool.compute(lambda: gt.copy())
    qtbot.waitUntil(lambda: tool.mask is not None and iou(tool.mask, gt) == 1.0)


def test_the_runner_skips_superseded_requests_and_passes_newer_results(app, qtbot) -> None:
    """One job of a tool in the worker at a time: requests made meanwhile wait and only the
    newest waiting one runs; every result computed reaches the tool, in order."""
    window, ctl, gt = app
    run = ctl.runner("test", clean=False)
    got: list[str] = []
    ran: list[str] = []

    def job(name: str, seconds: float = 0.0):
        def work() -> str:
            ran.append(name)
            time.sleep(seconds)
            return name

        return work

    run(job("a", 0.3), got.append)
    for name in "bcd":
        run(job(name), got.append)  # b and c wait, and are replaced before they start
    qtbot.waitUntil(lambda: not ctl.host.is_busy(), timeout=5000)
    assert got == ran == ["a", "d"] and not run.pending()


def test_a_drag_shows_newer_results_and_never_an_older_one(app, qtbot) -> None:
    """Item 3: while the user drags, each result newer than the one on screen shows (not
    only the newest request's); the last one shown is the latest request's."""
    window, ctl, gt = app
    window.set_tool("region_grow")
    tool = window.canvas.tool()
    shown: list[int] = []
    tool.changed.connect(lambda _e: tool.mask is not None and shown.append(int(tool.mask.sum())))
    masks = []
    for i in range(6):  # as a drag would ask: each request slower than the events come
        m = np.zeros_like(gt)
        m[: 10 * (i + 1), :10] = True
        masks.append(m)
        tool.compute(lambda m=m: (time.sleep(0.15), m)[1])
        qtbot.wait(40)
    qtbot.waitUntil(lambda: not tool._pending and not ctl.host.is_busy(), timeout=5000)
    sizes = [int(m.sum()) for m in masks]
    # the first result showed although newer requests had been made (progress during the
    # drag, where "only the newest request's result" would show nothing until the end)
    assert shown[0] == sizes[0] and shown[-1] == sizes[-1] and len(set(shown)) >= 2
    assert shown == sorted(shown)  # an older result never replaced a newer one
    assert np.array_equal(tool.mask, masks[-1])


def test_the_window_keeps_running_while_a_job_runs(app, qtbot) -> None:
    window, ctl, gt = app
    window.set_tool("watershed")
    tool = window.canvas.tool()
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    tool.compute(lambda: (time.sleep(0.5), gt)[1])
    qtbot.waitUntil(lambda: tool.mask is not None, timeout=5000)
    timer.stop()
    assert len(ticks) >= 15  # the event loop kept turning (a blocked one gives 0 or 1)
    assert max(np.diff(ticks)) < 0.2


def test_live_wire_maps_are_built_off_the_gui_thread(app, qtbot, monkeypatch) -> None:
    window, ctl, gt = app
    threads: list[str] = []

    class Recording(alg.LiveWireMap):
        def __init__(self, *args, **kwargs) -> None:
            threads.append(threading.current_thread().name)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(alg, "LiveWireMap", Recording)
    key(window, Qt.Key.Key_I)
    tool = window.canvas.tool()
    click(window, 80, 120)
    for x in (90, 110, 130):
        send(window, "move", x, 80, Qt.MouseButton.NoButton)
    click(window, 150, 75)
    qtbot.waitUntil(lambda: len(tool.anchors) == 2, timeout=10000)
    assert threads and threading.main_thread().name not in threads
    key(window, Qt.Key.Key_Backspace)
    assert len(tool.anchors) == 1
    key(window, Qt.Key.Key_Escape)


def test_the_thread_ends_with_the_window(make_window, tmp_path, qtbot) -> None:
    window, ctl, _ = open_scene(make_window, tmp_path, qtbot)
    window.set_tool("threshold")
    assert ctl.host.is_running()
    window.session.doc.mark_clean()
    window.close()
    qtbot.waitUntil(lambda: not ctl.host.is_running(), timeout=3000)
    ctl.stop()  # idempotent
    tool = window.canvas.tool()
    tool.set_params(method="otsu")  # a request after the end is dropped, not raised


def test_enter_makes_the_shape_off_the_gui_thread(app, qtbot, monkeypatch) -> None:
    import labeldesk.core.tools.classical_base as tools_base

    window, ctl, gt = app
    doc = window.session.doc
    on_main: list[bool] = []
    real = tools_base.mask_to_shape

    def slow_recording(*args, **kwargs):
        on_main.append(threading.current_thread() is threading.main_thread())
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(tools_base, "mask_to_shape", slow_recording)
    window.set_tool("threshold")
    tool = window.canvas.tool()
    wait_mask(qtbot, ctl, tool)
    key(window, Qt.Key.Key_Return)
    assert len(doc) == 0 and tool.busy()  # converting in the worker
    key(window, Qt.Key.Key_Return)  # a second Enter meanwhile adds nothing more
    qtbot.waitUntil(lambda: len(doc) == 1)
    assert on_main == [False] and iou(shape_pixels(doc.shapes[-1]), gt) > 0.95
    # Esc while the shape is being made: nothing is added
    window.set_tool("polygon")
    window.set_tool("threshold")
    wait_mask(qtbot, ctl, tool)
    key(window, Qt.Key.Key_Return)
    key(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not ctl.host.is_busy())
    assert len(doc) == 1 and not tool.busy()
