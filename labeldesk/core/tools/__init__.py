"""Qt-free drawing and editing tools; importing this package registers the built-in tools.

See :mod:`labeldesk.core.tools.base` for the interface and :data:`TOOLS` for the registry.
Every built-in tool is registered here, whatever was imported before, so the window's
actions (built from the registry) are the same on every start.

Adding a tool: its algorithm (in :mod:`labeldesk.algorithms`) and one module here with a
:class:`Tool` subclass decorated with :func:`register_tool` that declares its ``shortcuts``,
``icon``, ``tip``, ``order``, ``options`` and ``runner_kind`` (see
:mod:`labeldesk.core.tools.click` for a complete example); import it below (a plugin imports
it itself, before the window is built).
"""

from labeldesk.core.tools.base import (
    TOOLS,
    KeyEvent,
    PointerEvent,
    Preview,
    Tool,
    ToolContext,
    register_tool,
)

__all__ = ["TOOLS", "KeyEvent", "PointerEvent", "Preview", "Tool", "ToolContext", "register_tool"]

# the built-in tools register themselves on import, the way a plugin would
from labeldesk.core.tools import (  # noqa: E402, F401
    brush,
    click,
    draw,
    edit,
    livewire,
    region_grow,
    sam,
    scribbles,
    threshold,
)
