"""A plugin takes over a declared action through the public API (ActionRegistry.replace,
ActionManager.replace), and the classical plugin uses the registered Qt-free tools as they
are: no subclasses over TOOLS, only a runner given to the active tool."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt

from labeldesk.core.tools import TOOLS
from labeldesk.core.tools.classical import (
    GrabCutTool,
    LiveWireTool,
    RegionGrowTool,
    ThresholdTool,
    WatershedTool,
)
from labeldesk.core.tools.click import ClickTool
from labeldesk.ui.actions import ActionRegistry, ActionSpec
from labeldesk.ui.builtin_actions import ordered_tools
from labeldesk.ui.tools import ToolRunner, managed_tools
from tests.gui.test_classical_tools import key, open_scene


def spec(action_id: str, text: str, handler=lambda w: None, **kw) -> ActionSpec:
    return ActionSpec(action_id, text, kw.pop("menu", "View"), handler, **kw)


def test_registry_replace_keeps_the_place_and_checks_its_input() -> None:
    reg = ActionRegistry()
    for name in "abc":
        reg.register(spec(f"x.{name}", name.upper(), shortcuts=(name.upper(),)))
    old = reg.replace(spec("x.b", "Bee", shortcuts=("Ctrl+B",)))
    assert old.text == "B" and "x.b" in reg and "x.z" not in reg
    assert [s.text for s in reg] == ["A", "Bee", "C"]
    assert reg.defaults()["x.b"] == ["Ctrl+B"]
    with pytest.raises(ValueError, match="'x.z' is not registered; register"):
        reg.replace(spec("x.z", "Zed"))
    with pytest.raises(ValueError, match="menu must be one of"):
        reg.replace(spec("x.a", "A", menu="Nowhere"))
    assert reg["x.a"].text == "A"


def test_manager_replace_updates_the_same_action(make_window, qtbot) -> None:
    window = make_window()
    manager = window.actions
    action = manager["view.fit"]
    assert action in manager.toolbars["main"].actions()
    calls: list[str] = []
    manager.replace(
        spec(
            "view.fit",
            "Fit &Everything",
            lambda w: calls.append("new"),
            shortcuts=("Shift+F",),
            icon="mdi6.arrow-expand-all",
            tip="Fit it all",
            menu="Tools",
        )
    )
    assert manager["view.fit"] is action  # connections to it keep working
    assert action.text() == "Fit &Everything" and action.toolTip() == "Fit it all"
    assert action.shortcut().toString() == "Shift+F" and manager.bindings["view.fit"] == ["Shift+F"]
    assert not action.icon().isNull()
    assert action not in manager.toolbars["main"].actions()  # the new spec has no toolbar
    assert action in manager.menus["Tools"].actions()
    assert action not in manager.menus["View"].actions()
    action.trigger()
    assert calls == ["new"]  # the new handler, not the old one
    assert manager.registry["view.fit"].text == "Fit &Everything"
    assert manager.user_overrides().get("view.fit") is None  # its defaults are the new keys


def test_manager_replace_keeps_a_saved_user_binding_and_adds_new_ids(make_window) -> None:
    window = make_window()
    manager = window.actions
    manager.apply_bindings({"view.fit": ["Ctrl+Alt+F"]})
    manager.replace(spec("view.fit", "Fit", shortcuts=("Shift+F",)))
    assert manager["view.fit"].shortcut().toString() == "Ctrl+Alt+F"
    assert manager.user_overrides()["view.fit"] == ["Ctrl+Alt+F"]
    action = manager.replace(spec("view.extra", "Extra", shortcuts=("Ctrl+Alt+X",)))
    assert "view.extra" in manager.registry and action in manager.menus["View"].actions()
    assert action.shortcut().toString() == "Ctrl+Alt+X"


def test_tool_actions_come_from_the_tools_declarations(make_window, tmp_path, qtbot) -> None:
    window, ctl, _ = open_scene(make_window, tmp_path, qtbot)
    manager = window.actions
    assert set(managed_tools()) >= {"threshold", "region_grow", "watershed", "grabcut", "click"}
    for name, cls in TOOLS.items():
        entry = manager.registry[f"tool.{name}"]
        assert entry.shortcuts == cls.shortcuts and entry.icon == cls.icon
        assert entry.section == cls.section and cls.tip in entry.tip
        if cls.shortcuts:
            assert manager[f"tool.{name}"].shortcut().toString() == cls.shortcuts[0]
    tools = [a.objectName() for a in manager.menus["Tools"].actions() if a.objectName()]
    assert tools.count("tool.threshold") == 1
    # menu order is the tools' declared (section, order), whatever was imported first
    listed = [n.removeprefix("tool.") for n in tools if n.startswith("tool.")]
    assert listed == ordered_tools()
    assert listed[0] == "edit" and listed.index("sam") < listed.index("click")


def test_the_registered_tools_are_the_qt_free_ones(make_window, tmp_path, qtbot) -> None:
    window, ctl, _ = open_scene(make_window, tmp_path, qtbot)
    classes = {
        "threshold": ThresholdTool,
        "region_grow": RegionGrowTool,
        "watershed": WatershedTool,
        "grabcut": GrabCutTool,
        "live_wire": LiveWireTool,
        "click": ClickTool,
    }
    for name, cls in classes.items():
        assert TOOLS[name] is cls
        window.set_tool(name)
        tool = window.canvas.tool()
        assert type(tool) is cls and isinstance(tool.runner, ToolRunner)
        assert tool.runner is ctl.runner(name, clean=cls.runner_kind == "mask")
    key(window, Qt.Key.Key_Escape)
