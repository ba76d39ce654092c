"""The controller of the tools that declare options or a runner: it follows the active tool,
gives it a :class:`~labeldesk.ui.tools.runner.ToolRunner` over one worker thread (when
the tool declares a ``runner_kind``) and the values of the "Tool options" dock (the tool's
declared ``options``), feeds the dock the histogram a tool asks for, says what is missing
when Enter has nothing to accept, and ends the thread with the window. It reads only the
tools' declarations: no tool is named here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget

from labeldesk.core.tools import TOOLS
from labeldesk.core.tools.classical_base import Runner
from labeldesk.ui.tools.options import ToolOptions
from labeldesk.ui.tools.runner import ToolRunner
from labeldesk.ui.workers.base import Worker, WorkerHost
from labeldesk.ui.workers.lifetime import stop_on_close


def managed_tools() -> tuple[str, ...]:
    """The registered tools that declare options or a runner (the ones this controller
    looks after)."""
    return tuple(n for n, cls in TOOLS.items() if cls.options or cls.runner_kind)


class ToolController(QObject):
    """The worker, the runners given to the tools, the options dock (see module docs).

    ``names``: the tools it looks after (tool names in
    :data:`~labeldesk.core.tools.base.TOOLS`; default: :func:`managed_tools`).
    """

    def __init__(self, window: Any, names: tuple[str, ...] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.names = managed_tools() if names is None else names
        self.host = WorkerHost(Worker(), name="labeldesk-tools")
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
        self.options.changed.connect(self._option_changed)
        self.options.done_editing.connect(lambda: window.canvas.setFocus())
        self.host.busy_changed.connect(self.options.set_busy)
        window.canvas.tool_changed.connect(lambda _tool: self.sync())
        window.session.loaded.connect(self._on_loaded)
        self._canvas = window.canvas
        self._canvas.installEventFilter(self)
        window.destroyed.connect(self._host_stopper())
        self._lifetime = stop_on_close(window, self.stop)
        # restoreState() in apply_settings() may show the dock for a tool without options
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
                f"tool.{name}" if clean else f"tool.{name}.raw",
                clean=self._cleanup if clean else None,
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
    def active_tool(self) -> Any:
        """The active tool when it is one of ours, else None."""
        tool = self.window.canvas.tool()
        return tool if tool is not None and tool.name in self.names else None

    def sync(self) -> None:
        """Give a newly active tool our runner and options; show or hide the dock."""
        tool = self.active_tool()
        if tool is self._tool:
            return
        if self._tool is not None:
            self._tool.changed.disconnect(self._on_tool_event)
        self._tool, self._histogram_of = tool, None
        if tool is None:
            self.dock.hide()
            return
        if tool.runner_kind is not None:
            tool.runner = self.runner(tool.name, clean=tool.runner_kind == "mask")
        self.options.show_for(tool, self.window.ctx.image())
        self._apply_bounds(tool)
        self.dock.setWindowTitle(f"Tool options: {tool.title}")
        self.dock.show()
        tool.changed.connect(self._on_tool_event)
        self._apply_options(tool)

    def _held(self, tool: Any) -> dict[str, Any]:
        """The dock's values of the options ``tool`` holds itself (not the ones it changes
        itself, nor the ones the runner applies)."""
        return {
            o.name: self.options.value(o.name)
            for o in tool.options
            if not o.live and not o.in_runner
        }

    def _apply_bounds(self, tool: Any) -> None:
        """Range options span the open image's values (a 16-bit image: its own scale)."""
        if self.window.session.doc is None:
            return
        for opt in tool.options:
            if opt.kind == "range":
                self.options.set_bounds(opt.name, tool.option_bounds(opt.name))

    def _apply_options(self, tool: Any) -> None:
        if self.window.session.doc is not None:
            tool.set_options(self._held(tool))
            self._request_histogram(tool)

    def _cleanup(self) -> tuple[bool, bool]:
        """The clean-up the runner applies to mask results: (fill holes, largest part)."""
        shown = self.options.options
        return (
            bool(self.options.value("fill_holes")) if "fill_holes" in shown else False,
            bool(self.options.value("largest_only")) if "largest_only" in shown else False,
        )

    def _on_tool_event(self, _event: Any) -> None:
        tool = self._tool
        if tool is None:
            return
        self.options.follow(tool)
        self._request_histogram(tool)

    def _request_histogram(self, tool: Any) -> None:
        """The histogram the tool's ``"range"`` option is drawn over (when it has one)."""
        img = self.window.ctx.image()
        request = tool.histogram_request(img) if img is not None else None
        if request is None:
            return
        key, job = request
        if key == self._histogram_of:
            return
        self._histogram_of = key
        self.host.submit(
            job,
            key="tool.histogram",
            on_result=lambda r: self.options.set_histogram(*r),
            on_error=lambda _m: self.options.set_histogram(None, None, ""),
        )

    def _hide_if_idle(self) -> None:
        if self.active_tool() is None:
            self.dock.hide()

    def _on_loaded(self) -> None:
        tool = self.active_tool()
        if tool is not None:
            self._histogram_of = None
            self.options.show_for(tool, self.window.ctx.image())
            self._apply_bounds(tool)
            self._apply_options(tool)

    def _option_changed(self, name: str) -> None:
        """The person changed option ``name`` in the dock: give it to the active tool."""
        tool = self.active_tool()
        if tool is None or self.window.session.doc is None:
            return
        opt = next((o for o in tool.options if o.name == name), None)
        if opt is None:
            return
        if opt.in_runner:
            tool.options_changed([name])
        else:
            tool.set_options({name: self.options.value(name)})
        self._request_histogram(tool)

    # -- guard: Enter with nothing to accept -------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and obj is self._canvas:
            return self._nothing_to_accept(event)
        return False

    def _nothing_to_accept(self, event: Any) -> bool:
        """Enter before there is a result: say what is missing."""
        tool = self.active_tool()
        if tool is None or self.window.session.doc is None:
            return False
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter) or (
            event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            return False
        empty = not tool.can_accept() and not self.host.is_busy()
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
