"""Features installed into the main window the way a third-party plugin would be.

Each module named in :data:`PLUGINS` has ``install(window)`` that adds its actions through
the window's action registry and returns a controller. A plugin that fails to start leaves
a working window and a message naming it, never a crash.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

log = logging.getLogger(__name__)

PLUGINS: tuple[str, ...] = (
    "labeldesk.ui.export_dialog",
    "labeldesk.ui.tools",
    "labeldesk.ui.assist",
    "labeldesk.ui.training",
    "labeldesk.ui.review",
    "labeldesk.ui.stack",
)


def install_plugins(window: Any, names: tuple[str, ...] = PLUGINS) -> dict[str, Any]:
    """Install every plugin in ``names`` into ``window``; returns name -> controller."""
    installed: dict[str, Any] = {}
    for name in names:
        try:
            module = importlib.import_module(name)
            installed[name] = module.install(window)
        except Exception as exc:  # a broken feature must not take the window down
            log.exception("plugin %s failed to install", name)
            short = name.rsplit(".", 1)[-1]
            window.show_message(f"The {short} feature could not start: {exc}", "warning")
    window.plugins = installed
    return installed
