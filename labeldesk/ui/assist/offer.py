"""The one-time offer of a model download after the first auto-segment without any model.

Auto-segment without a model falls back to the classical method, which misses large objects
on photographs. The first time that happens on a colour photo, a non-modal banner above the
canvas (next to the classical proposals, which stay) names the model manager's smallest
SAM-family download and its size, with "Download…" (the model manager opens with it selected
and starts the download) and "Not now". It is shown once: the settings remember it
(:meth:`~labeldesk.ui.settings.AppSettings.model_offer_shown`), whatever the answer; the banner
belongs to the image it was shown on and goes when another image is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def smallest_download(catalogue: Sequence[Any]) -> Any | None:
    """The known checkpoint with a download address and the fewest bytes, or None."""
    offered = [k for k in catalogue if getattr(k, "url", "") and k.size_bytes > 0]
    return min(offered, key=lambda k: k.size_bytes) if offered else None


def offer_text(entry: Any, size: str) -> str:
    return (
        "These regions come from the classical method (no model is loaded). A SAM-family model "
        f"finds whole objects on photos: {entry.name} is the smallest download ({size})."
    )


class ModelOffer:
    """Shows the offer once (see module docs). ``open_manager(name, download)`` opens the
    model manager with checkpoint ``name`` selected, downloading it when ``download``."""

    def __init__(self, window: Any, open_manager: Callable[[str, bool], None]) -> None:
        self.window = window
        self.open_manager = open_manager
        self.shown: Any = None  # the entry offered in this window, if any
        self._banner: tuple[str, Any] | None = None  # (text, image) while the banner may show
        session = getattr(window, "session", None)
        if session is not None and hasattr(session, "loaded"):
            session.loaded.connect(self._on_image)

    def _on_image(self) -> None:
        """The offer is about the image it was shown on: hide it when another one is shown
        (messages with buttons are otherwise kept across images)."""
        if self._banner is None:
            return
        text, image = self._banner
        item = self.window.session.item
        if item is not None and item.path == image:
            return
        self._banner = None
        bar = getattr(self.window, "message_bar", None)
        if bar is not None and bar.isVisible() and bar.text() == text:
            bar.hide()

    def maybe_offer(self, image: np.ndarray | None, source: str) -> bool:
        """After auto-segment from ``source`` on ``image``: offer the download when no model
        made the proposals, the image is a colour photo and it was never offered; True when
        the banner is shown."""
        settings = getattr(self.window, "settings", None)
        if source != "classical" or image is None or image.ndim != 3 or settings is None:
            return False
        if settings.model_offer_shown():
            return False
        from labeldesk.ui.model_manager import human_size, known_checkpoints

        entry = smallest_download(known_checkpoints())
        if entry is None:
            return False
        settings.set_model_offer_shown(True)  # once, whatever the answer
        size = human_size(entry.size_bytes)
        self.shown = entry
        item = getattr(getattr(self.window, "session", None), "item", None)
        self._banner = (offer_text(entry, size), item.path if item is not None else None)
        self.window.show_message(
            offer_text(entry, size),
            "info",
            [
                (f"Download {entry.name} ({size})…", lambda: self.open_manager(entry.name, True)),
                ("Not now", lambda: None),
            ],
        )
        return True
