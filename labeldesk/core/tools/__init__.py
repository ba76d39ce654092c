"""Qt-free drawing and editing tools; importing this package registers the built-in tools.

See :mod:`labeldesk.core.tools.base` for the interface and :data:`TOOLS` for the registry.
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
from labeldesk.core.tools import brush, draw, edit, sam  # noqa: E402, F401
