"""The controller of the classical tools in the window: it follows the active tool, gives it
a :class:`~labeldesk.ui.classical.runner.ToolRunner` over one worker thread and the options
of the "Tool options" dock, feeds the dock the histogram and Otsu's threshold, says what is
missing when Enter has nothing to accept, and ends the thread with the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget

from labeldesk import algorithms as alg
from labeldesk.core.tools.classical import ClassicalTool, LiveWireTool, Runner
from labeldesk.ui.classical.options import MASK_TOOLS, ToolOptions
from labeldesk.ui.classical.runner import ToolRunner
from labeldesk.ui.workers.base import Worker, WorkerHost
from labeldesk.ui.workers.lifetime import stop_on_close


class ClassicalController(QObject):
    """The worker, the runners given to the tools, the options dock (see module docs).

    ``names``: the tools it looks after (tool names in
    :data:`~labeldesk.core.tools.base.TOOLS`).
    """

    def __init__(self, window: Any, names: tuple[str, ...]) -> None:
        super().__init__(window)
        self.window = window
        self.names = names
        self.host = WorkerHost(Worker(), name="labeldesk-classical")
        self.timings: dict[str, list[float]] = {}  # tool name -> request-to-result seconds
        self._runners: dict[tuple[str, bool], ToolRunner] = {}
        self._tool: Any = None
        self._histogram_of: tuple[Any, ...] | None = None
        self.options = ToolOptions(window)
        self.dock = QDockWidget("Tool options", window)
        self.dock.setObjectName("dock.tool_options")
        self.dock.setWidget(self.options)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        files = getattr(window, "docks", {}).get("files")
        if files is not None:  # under the file list, which rarely needs the whole height
            window.splitDockWidget(files, self.dock, Qt.Orientation.Vertical)
        self.dock.hide()
        self.options.threshold_changed.connect(self._threshold_params)
        self.options.cleanup_changed.connect(self._cleanup_changed)
        self.options.region_changed.connect(self._region_params)
        self.options.done_editing.connect(lambda: window.canvas.setFocus())
        self.options.brush_changed.connect(lambda px: setattr(window.ctx, "brush_size", px))
        self.host.busy_changed.connect(self.options.set_busy)
        window.canvas.hint_changed.connect(lambda _hint: self.sync())
        window.session.loaded.connect(self._on_loaded)
        self._canvas = window.canvas
        self._canvas.installEventFilter(self)
        window.destroyed.connect(self._host_stopper())
        self._lifetime = stop_on_close(window, self.stop)
        # restoreState() in apply_settings() may show the dock for a non-classical tool
        QTimer.singleShot(0, self, self._hide_if_idle)

    # -- the runner --------------------------------------------------------------------------
    def runner(self, name: str, *, clean: bool = True) -> Runner:
        """The runner of tool ``name`` (one per name; see :class:`ToolRunner`): ``job`` runs in
        the worker thread, the clean-up options are applied there when ``clean``, ``done``
        runs in the GUI thread."""
        runner = self._runners.get((name, clean))
        if runner is None:
            runner = self._runners[name, clean] = ToolRunner(
                self.host,
                f"classical.{name}" if clean else f"classical.{name}.raw",
                clean=(lambda: (self.options.fill_holes(), self.options.largest_only()))
                if clean
                else None,
                on_timing=lambda seconds: self._timed(name, seconds),
                on_refused=lambda text: self.window.show_message(text, "status"),
            )
        return runner

    def _timed(self, name: str, seconds: float) -> None:
        runs = self.timings.setdefault(name, [])
        runs.append(seconds)
        del runs[:-50]
        self.options.set_timing(seconds)

    # -- following the active tool -------------------------------------------------------------
    def classical_tool(self) -> Any:
        """The active tool when it is one of ours, else None."""
        tool = self.window.canvas.tool()
        return tool if tool is not None and tool.name in self.names else None

    def sync(self) -> None:
        """Give a newly active tool our runner and options; show or hide the dock."""
        tool = self.classical_tool()
        if tool is self._tool:
            return
        if self._tool is not None:
            self._tool.changed.disconnect(self._on_tool_event)
        self._tool, self._histogram_of = tool, None
        if tool is None:
            self.dock.hide()
            return
        if hasattr(tool, "runner"):
            tool.runner = self.runner(tool.name, clean=tool.name in MASK_TOOLS)
        self._apply_cleanup(tool)
        self.options.show_for(tool, self.window.ctx.image())
        self.dock.setWindowTitle(f"Tool options: {tool.title}")
        self.dock.show()
        tool.changed.connect(self._on_tool_event)
        if tool.name == "threshold" and not tool.busy():
            self._threshold_params()

    def _on_tool_event(self, _event: Any) -> None:
        tool = self._tool
        if tool is None:
            return
        self.options.follow(tool)
        if tool.name == "threshold":
            self._request_histogram(tool)

    def _request_histogram(self, tool: Any) -> None:
        """Histogram and Otsu's threshold of the plane the threshold tool works on (its box)."""
        img = self.window.ctx.image()
        channel = self.options.threshold_params()["channel"]
        what = (id(img), channel, tool.box)
        if img is None or what == self._histogram_of:
            return
        self._histogram_of = what
        box = tool.box

        def job() -> tuple[np.ndarray, float]:
            sub = img[..., :3] if img.ndim == 3 else img
            if box is not None:
                sub = sub[box[1] : box[3] + 1, box[0] : box[2] + 1]
            if channel is not None:
                plane = sub[..., channel]
            else:
                plane = cv2.cvtColor(sub, cv2.COLOR_RGB2GRAY) if sub.ndim == 3 else sub
            counts = cv2.calcHist([np.ascontiguousarray(plane)], [0], None, [256], [0, 256])
            return counts.ravel(), alg.otsu_threshold(sub, channel=channel)

        self.host.submit(
            job,
            key="classical.histogram",
            on_result=lambda r: self.options.set_histogram(*r),
            on_error=lambda _m: self.options.set_histogram(None, None),
        )

    def _hide_if_idle(self) -> None:
        if self.classical_tool() is None:
            self.dock.hide()

    def _on_loaded(self) -> None:
        tool = self.classical_tool()
        if tool is not None:
            self.options.show_for(tool, self.window.ctx.image())
            if tool.name == "threshold":
                self._threshold_params()

    def _threshold_params(self) -> None:
        tool = self.classical_tool()
        if tool is not None and tool.name == "threshold" and self.window.session.doc is not None:
            params = self.options.threshold_params()
            tool.set_params(invert=params.pop("invert"), **params)
            self._request_histogram(tool)

    def _region_params(self, tolerance: float, edge_weight: float) -> None:
        tool = self.classical_tool()
        if tool is None or tool.name != "region_grow":
            return
        tool.start_tolerance = tolerance
        if hasattr(tool, "edge_weight"):
            tool.edge_weight = edge_weight
        if tool.seeds:
            tool.seeds[-1] = (tool.seeds[-1][0], tolerance)
            tool.run()

    def _apply_cleanup(self, tool: Any) -> None:
        """Clean-up happens in the runner; the tool keeps only the accept-time options."""
        if isinstance(tool, ClassicalTool):
            tool.fill_holes = tool.largest_only = False
            tool.min_area = self.options.min_area()
        tool.tolerance = self.options.polygon_tolerance()

    def _cleanup_changed(self, rerun: bool) -> None:
        tool = self.classical_tool()
        if tool is None:
            return
        self._apply_cleanup(tool)
        if rerun and tool.name == "threshold":
            self._threshold_params()  # like any threshold option: preview again
        elif rerun and isinstance(tool, ClassicalTool) and tool.mask is not None:
            tool.run()

    # -- guard: Enter with nothing to accept -------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and obj is self._canvas:
            return self._nothing_to_accept(event)
        return False

    def _nothing_to_accept(self, event: Any) -> bool:
        """Enter before there is a result: say what is missing."""
        tool = self.classical_tool()
        if tool is None or self.window.session.doc is None:
            return False
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter) or (
            event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            return False
        if isinstance(tool, LiveWireTool):
            empty = not tool.anchors
        else:
            empty = tool.mask is None and not self.host.is_busy()
        if empty:
            what = tool.hint.split(": ", 1)[-1]
            self.window.show_message(f"{tool.title}: nothing to accept yet ({what})", "status")
        return empty

    # -- the end -------------------------------------------------------------------------------
    def _host_stopper(self) -> Callable[..., None]:
        host = self.host  # not self: the controller dies with the window

        def stop(*_args: Any) -> None:
            try:
                if host.is_running():
                    host.stop()
            except RuntimeError:  # Qt objects already gone (interpreter exit)
                pass

        return stop

    def stop(self) -> None:
        """End the worker thread (idempotent); called when the window closes or the app quits."""
        if self.host.is_running():
            self.host.stop()
