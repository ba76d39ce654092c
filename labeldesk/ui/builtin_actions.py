"""The built-in actions, registered the way a plugin would register its own.

Key bindings keep labelme's defaults (Ctrl+N polygon, Ctrl+R rectangle, Ctrl+J edit, D / A
next / previous image, Ctrl+S, Ctrl+Z, Delete) and add single keys (P, R, E, B, 1-9, H, F).
Handlers receive the main window; edits on the selection call the Qt-free functions of
:mod:`labeldesk.core.tools.ops` and :mod:`labeldesk.core.tools.geometry` through
:func:`on_selection`, which turns a refused edit into a status message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.tools import TOOLS, ops
from labeldesk.ui.actions import ActionRegistry, ActionSpec


def ordered_tools() -> list[str]:
    """Registered tool names in menu order: by the tools' ``section``, then ``order``."""
    return sorted(TOOLS, key=lambda n: (TOOLS[n].section, TOOLS[n].order, n))


def tool_keys() -> dict[str, tuple[tuple[str, ...], str]]:
    """Tool name -> (default keys, icon), as the tools declare them."""
    return {name: (TOOLS[name].shortcuts, TOOLS[name].icon) for name in ordered_tools()}


TOOL_KEYS = tool_keys()  # the built-in tools (all registered by importing core.tools)
SIMPLIFY_TOLERANCE = 1.5  # image pixels


def on_selection(fn: Callable[..., Any], *args: Any) -> Callable[[Any], None]:
    """A handler running ``fn(doc, selection, *args)`` on the open document."""

    def handler(w: Any) -> None:
        if w.session.doc is None:
            return
        try:
            fn(w.session.doc, w.session.selection, *args)
        except LabeldeskError as exc:
            w.show_message(str(exc), "warning")

    return handler


def geometry_op(name: str) -> Callable[..., Any]:
    """``labeldesk.core.tools.geometry.<name>``, imported when first called: the geometry
    operations use shapely, which the first frame does not need."""

    def call(*args: Any) -> Any:
        from labeldesk.core.tools import geometry

        return getattr(geometry, name)(*args)

    return call


def _copy(w: Any) -> None:
    if w.session.doc is not None:
        w.clipboard = ops.copy_selected(w.session.doc, w.session.selection)


def _paste(w: Any) -> None:
    if w.session.doc is not None and w.clipboard:
        ops.paste(w.session.doc, w.session.selection, w.clipboard, (10.0, 10.0))


def _show_all(w: Any) -> None:
    doc, sel = w.session.doc, w.session.selection
    if doc is not None:
        sel.set(s.uid for s in doc.shapes if not s.visible)
        ops.set_visible(doc, sel, True)


def _select_all(w: Any) -> None:
    if w.session.doc is not None:
        w.session.selection.set(s.uid for s in w.session.doc.shapes)


def tool_action(name: str) -> ActionSpec:
    """The action of registered tool ``name``: its title, keys, icon, tip and place."""
    cls = TOOLS[name]
    title = cls.title or name.capitalize()
    keys = cls.shortcuts
    tip = cls.tip or title
    return ActionSpec(
        f"tool.{name}",
        title,
        "Tools",
        lambda w: w.set_tool(name),
        keys,
        cls.icon,
        tip=f"{tip} ({', '.join(keys)})" if keys else tip,
        section=cls.section,
        checkable=True,
        group="tools",
        toolbar="tools",
    )


def register_builtin_actions(reg: ActionRegistry) -> ActionRegistry:
    """Register the built-in actions in ``reg`` (menu order = registration order)."""

    def a(id: str, text: str, menu: str, handler, keys=(), icon=None, **kw) -> None:  # noqa: A002
        reg.register(ActionSpec(id, text, menu, handler, tuple(keys), icon, **kw))

    doc, sel = {"enabled_when": "document"}, {"enabled_when": "selection"}
    # fmt: off
    a("file.open_image", "&Open Image…", "File", lambda w: w.open_dialog(folder=False), ["Ctrl+O"], "mdi6.image-outline", toolbar="main")
    a("file.open_folder", "Open &Folder…", "File", lambda w: w.open_dialog(folder=True), ["Ctrl+U"], "mdi6.folder-open-outline", toolbar="main")
    a("file.save", "&Save", "File", lambda w: w.save(), ["Ctrl+S"], "mdi6.content-save-outline", section=1, toolbar="main", **doc)
    a("file.autosave", "Save &Automatically", "File", lambda w: w.set_autosave(None), section=1, checkable=True)
    a("file.previous", "&Previous Image", "File", lambda w: w.go(-1), ["A"], "mdi6.arrow-left-bold-outline", section=2, toolbar="main")
    a("file.next", "&Next Image", "File", lambda w: w.go(+1), ["D"], "mdi6.arrow-right-bold-outline", section=2, toolbar="main")
    a("file.settings", "Se&ttings…", "File", lambda w: w.show_settings(), ["Ctrl+,"], "mdi6.cog-outline", section=3)
    a("file.quit", "&Quit", "File", lambda w: w.close(), ["Ctrl+Q"], "mdi6.exit-to-app", section=4)

    a("edit.undo", "&Undo", "Edit", lambda w: w.undo(), ["Ctrl+Z"], "mdi6.undo", toolbar="main", section=0, **doc)
    a("edit.redo", "&Redo", "Edit", lambda w: w.redo(), ["Ctrl+Shift+Z", "Ctrl+Y"], "mdi6.redo", toolbar="main", **doc)
    a("edit.copy", "&Copy", "Edit", _copy, ["Ctrl+C"], "mdi6.content-copy", section=1, **sel)
    a("edit.paste", "&Paste", "Edit", _paste, ["Ctrl+V"], "mdi6.content-paste", section=1, **doc)
    a("edit.duplicate", "D&uplicate", "Edit", on_selection(ops.duplicate_selected), ["Ctrl+D"], "mdi6.content-duplicate", section=1, **sel)
    a("edit.delete", "&Delete", "Edit", on_selection(ops.delete_selected), ["Delete"], "mdi6.delete-outline", section=1, **sel)
    a("edit.select_all", "Select &All", "Edit", _select_all, ["Ctrl+A"], "mdi6.select-all", section=1, **doc)
    a("edit.label", "Change &Label…", "Edit", lambda w: w.class_control.label_dialog(), ["Ctrl+E"], "mdi6.tag-outline", section=2, **doc)
    a("edit.hide", "&Hide Selected", "Edit", on_selection(ops.set_visible, False), ["H"], "mdi6.eye-off-outline", section=2, **sel)
    a("edit.show_all", "Show All &Objects", "Edit", _show_all, ["Shift+H"], "mdi6.eye-outline", section=2, **doc)
    a("edit.raise", "Bring &Forward", "Edit", on_selection(ops.move_in_z, "up"), ["Ctrl+]"], "mdi6.arrange-bring-forward", section=3, **sel)
    a("edit.lower", "Send &Backward", "Edit", on_selection(ops.move_in_z, "down"), ["Ctrl+["], "mdi6.arrange-send-backward", section=3, **sel)
    a("edit.union", "U&nion", "Edit", on_selection(geometry_op("boolean_op"), "union"), ["Ctrl+Shift+U"], "mdi6.vector-union", section=4, **sel)
    a("edit.subtract", "Su&btract", "Edit", on_selection(geometry_op("boolean_op"), "subtract"), ["Ctrl+Shift+S"], "mdi6.vector-difference-ab", section=4, **sel)
    a("edit.intersect", "&Intersect", "Edit", on_selection(geometry_op("boolean_op"), "intersect"), ["Ctrl+Shift+I"], "mdi6.vector-intersection", section=4, **sel)
    a("edit.simplify", "Si&mplify Polygon", "Edit", on_selection(geometry_op("simplify_selected"), SIMPLIFY_TOLERANCE), ["Ctrl+Shift+M"], "mdi6.vector-curve", section=4, **sel)

    a("view.fit", "&Fit Window", "View", lambda w: w.canvas.fit(), ["F"], "mdi6.fit-to-screen-outline", toolbar="main", section=0)
    a("view.zoom_100", "&Actual Size (100 %)", "View", lambda w: w.canvas.zoom_100(), ["Ctrl+0"], "mdi6.image-size-select-actual")
    a("view.zoom_in", "Zoom &In", "View", lambda w: w.canvas.zoom_by(1.25), ["Ctrl++", "Ctrl+=", "+"], "mdi6.magnify-plus-outline")
    a("view.zoom_out", "Zoom &Out", "View", lambda w: w.canvas.zoom_by(0.8), ["Ctrl+-", "-"], "mdi6.magnify-minus-outline")

    for name in ordered_tools():  # every registered tool, as it declares itself
        reg.register(tool_action(name))

    for k in range(1, 10):
        a(f"class.{k}", f"Class {k}", "Classes", lambda w, k=k: w.class_control.choose_key(str(k)), [str(k)],
          tip=f"Make class {k} active (and give it to the selection)")
    a("class.add", "&Add Class…", "Classes", lambda w: w.class_control.request("add", ""), (), "mdi6.tag-plus-outline",
      section=1)

    a("help.keys", "&Keyboard Shortcuts", "Help", lambda w: w.show_cheat_sheet(), ["F1", "?"], "mdi6.keyboard-outline")
    a("help.about", "&About labeldesk", "Help", lambda w: w.about(), (), "mdi6.information-outline")
    # fmt: on
    return reg


def default_registry() -> ActionRegistry:
    return register_builtin_actions(ActionRegistry())
