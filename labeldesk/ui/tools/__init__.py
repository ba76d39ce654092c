"""Tools in the window: the options dock and background computation, for every tool that
declares options or a runner.

``install(window)`` is the only entry point (one call in the composition root, before
``window.apply_settings()`` so user key bindings apply too)::

    from labeldesk.ui.tools import install
    window.tool_options = install(window)

The tools' actions (Tools menu, toolbar, keys: threshold T, region grow Shift+R, watershed
W, GrabCut Shift+G, live wire I, click segment K...) are built by the built-in actions from
what each registered tool declares (:class:`~labeldesk.core.tools.base.Tool`). This plugin
adds a "Tool options" dock, shown while a tool with declared ``options`` is active, and one
worker thread for the tools that declare a ``runner_kind``; everything slow (previews, the
mask-to-object step on Enter, live-wire edge maps) runs in that thread and the GUI thread
only draws:

* :mod:`.controller` follows the active tool, sets its runner and options, and says what is
  missing when Enter has nothing to accept;
* :mod:`.runner`: one lane per tool in the worker (newer results shown during a drag, the
  clean-up options applied there, on the result's bounding box);
* :mod:`.options`: the dock, rendered from the tools' option schemas.

Enter accepts into one object of the active class (one undo step), Esc cancels; bad input
(a seed outside the image, missing scribbles, a zero-size box, an image of the wrong dtype)
ends as a status-bar message.
"""

from __future__ import annotations

from typing import Any

from labeldesk.ui.tools.controller import ToolController, managed_tools
from labeldesk.ui.tools.options import RangeSlider, ToolOptions
from labeldesk.ui.tools.runner import ToolRunner, cleanup

__all__ = [
    "ToolController",
    "RangeSlider",
    "ToolOptions",
    "ToolRunner",
    "cleanup",
    "install",
    "managed_tools",
]


def install(window: Any) -> ToolController:
    """Add the options dock and the worker to ``window`` (a MainWindow); returns the
    controller."""
    ctl = ToolController(window)
    window.tool_options = ctl
    return ctl
