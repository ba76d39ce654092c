"""Classical segmentation in the window: threshold, region grow, watershed, GrabCut, live-wire.

``install(window)`` is the only entry point (one call in the composition root, before
``window.apply_settings()`` so user key bindings apply to these actions too)::

    from labeldesk.ui.classical import install
    window.classical = install(window)

It adds Tools ▸ Threshold (T), Region grow (Shift+R), Watershed (W), GrabCut (Shift+G), Live
wire (I) to the Tools menu and toolbar (taking over the plain entries the built-in actions
declare for every registered tool), a "Tool options" dock shown while one of them is active,
and one worker thread. The tools are the Qt-free ones of
:mod:`labeldesk.core.tools.classical`, as registered there; the window only gives the active
one a runner, so that everything slow (previews, the mask-to-object step on Enter, live-wire
edge maps) runs in that thread and the GUI thread only draws:

* :mod:`.controller` follows the active tool, sets its runner and options, and says what is
  missing when Enter has nothing to accept;
* :mod:`.runner`: one lane per tool in the worker (newer results shown during a drag, the
  clean-up options applied there, on the result's bounding box);
* :mod:`.options`: the dock (range slider over the histogram, tolerance, clean-up...).

Enter accepts into one object of the active class (one undo step), Esc cancels; bad input
(a seed outside the image, missing scribbles, a zero-size box, an image of the wrong dtype)
ends as a status-bar message.
"""

from __future__ import annotations

from typing import Any

import labeldesk.core.tools.classical  # noqa: F401 - registers the five tools
from labeldesk.core.tools import TOOLS
from labeldesk.ui.actions import ActionSpec, normalize
from labeldesk.ui.classical.controller import ClassicalController
from labeldesk.ui.classical.options import MASK_TOOLS, RangeSlider, ToolOptions
from labeldesk.ui.classical.runner import ToolRunner, cleanup

__all__ = [
    "ACTIONS",
    "MASK_TOOLS",
    "ClassicalController",
    "RangeSlider",
    "ToolOptions",
    "ToolRunner",
    "cleanup",
    "install",
]

# tool name -> (default key, qtawesome icon, tip)
ACTIONS: dict[str, tuple[str, str, str]] = {
    "threshold": ("T", "mdi6.circle-half-full", "Threshold: live preview, options in the dock"),
    "region_grow": ("Shift+R", "mdi6.format-color-fill", "Region grow: press, drag to grow"),
    "watershed": ("W", "mdi6.waves", "Watershed: scribble object (left) / background (right)"),
    "grabcut": ("Shift+G", "mdi6.selection-drag", "GrabCut: box or 4 extreme points"),
    "live_wire": ("I", "mdi6.scissors-cutting", "Live wire: click along the boundary"),
}


def install(window: Any) -> ClassicalController:
    """Add the classical tools to ``window`` (a MainWindow); returns the controller."""
    ctl = ClassicalController(window, tuple(ACTIONS))
    manager = window.actions
    for name, (key, icon, tip) in ACTIONS.items():
        taken = {
            normalize(s)
            for other, seqs in manager.bindings.items()
            if other != f"tool.{name}"
            for s in seqs
        }
        keys = tuple(k for k in (key,) if normalize(k) not in taken)
        spec = ActionSpec(
            f"tool.{name}",
            TOOLS[name].title,
            "Tools",
            lambda w, n=name: w.set_tool(n),
            keys,
            icon,
            tip=f"{tip} ({', '.join(keys)})" if keys else tip,
            section=1,
            checkable=True,
            group="tools",
            toolbar="tools",
        )
        manager.replace(spec)  # the built-in actions declared a plain entry for each tool
        manager[spec.id].toggled.connect(lambda _on: ctl.sync())
    window.classical = ctl
    return ctl
