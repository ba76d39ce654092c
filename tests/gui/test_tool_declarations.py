"""A tool plugs in by declaring itself: a Tool subclass registered before the window is built
gets its action (menu, toolbar, key, icon, tip), its rows in the options dock and a worker
runner, with no UI code naming it."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.core.tools import TOOLS, register_tool
from labeldesk.core.tools.classical_base import ClassicalTool
from labeldesk.core.tools.options import Option
from labeldesk.ui.tools import ToolRunner, install


class BrightTool(ClassicalTool):
    """Keeps the pixels brighter than ``level`` (a test tool)."""

    name = "test_bright"
    title = "Bright pixels"
    shortcuts = ("Ctrl+Alt+Y",)
    icon = "mdi6.brightness-5"
    tip = "Bright pixels: a test tool"
    order = 999
    options = (
        Option("level", "Level", "int", 128, "Brightness", high=255),
        Option("mode", "Mode", "choice", "gray", "Brightness", choices=(("Gray", "gray"),)),
    )

    def __init__(self, ctx, runner=None) -> None:
        super().__init__(ctx, runner)
        self.level = 128
        self.mode = "gray"

    def run(self) -> None:
        img = self.image()
        if img is None:
            return
        level = self.level
        self.compute(lambda: img.mean(axis=2) > level)

    def options_changed(self, names) -> None:
        if "level" in names:
            self.run()


@pytest.fixture
def bright_tool():
    register_tool(BrightTool)
    yield BrightTool
    TOOLS.pop(BrightTool.name, None)


def test_a_declared_tool_gets_action_dock_and_runner(bright_tool, make_window, sample_dir, qtbot):
    window = make_window(sample_dir)
    ctl = install(window)
    action = window.actions["tool.test_bright"]
    assert action.shortcut().toString() == "Ctrl+Alt+Y" and "a test tool" in action.toolTip()
    assert action in window.actions.toolbars["tools"].actions()
    assert "tool.test_bright" in [a.objectName() for a in window.actions.menus["Tools"].actions()]
    action.trigger()
    tool = window.canvas.tool()
    assert type(tool) is BrightTool and isinstance(tool.runner, ToolRunner)
    assert ctl.dock.isVisible() and ctl.options.groups["Brightness"].isVisible()
    assert not ctl.options.groups.get("Threshold").isVisible()
    ctl.options.widgets["level"].setValue(200)  # the dock's value reaches the tool
    assert tool.level == 200
    qtbot.waitUntil(lambda: tool.mask is not None and not ctl.host.is_busy(), timeout=10000)
    img = window.ctx.image()
    assert np.array_equal(tool.mask, img[..., :3].mean(axis=2) > 200)
    window.set_tool("polygon")
    assert not ctl.dock.isVisible()
    ctl.stop()
