"""Review mode: compare the open folder with a second label set (see :mod:`.controller`)."""

from __future__ import annotations

from typing import Any

from labeldesk.ui.review.controller import ReviewController


def install(window: Any) -> ReviewController:
    """Add Tools ▸ Compare With Folder…, Sort Files by Disagreement, End Review and the
    Review dock to ``window``."""
    return ReviewController(window)


__all__ = ["ReviewController", "install"]
