"""Moved to :mod:`labeldesk.core.jobs` (kept so older imports keep working)."""

from __future__ import annotations

from labeldesk.core.jobs.terminal import TerminalBar

__all__ = ["TerminalBar"]
