"""SAM in the window: the SAM tool's predict callback, hover previews, image encoding and
read-ahead, over the assist controller's inference worker."""

from __future__ import annotations

import statistics
import time
from typing import Any

from labeldesk.core.prompts import SamPrompt, SamResult

HOVER_SECONDS = 0.05  # hover previews are turned on when a click's round trip is this fast


class SamAssist:
    """Routes SAM prompts to the worker for ``ctl`` (an :class:`.controller.AssistController`)
    and encodes each image as it opens (then the next one, ahead of the person)."""

    def __init__(self, ctl: Any) -> None:
        self.ctl = ctl
        self.window = ctl.window
        self.click_times: list[float] = []

    def set_available(self, on: bool) -> None:
        """Give the SAM tool its predict callback (or take it away)."""
        self.window.ctx.sam_predict = self.predict if on else None
        self.click_times.clear()
        tool = self.window.canvas.tool()
        if tool is not None and tool.name == "sam":
            tool.notify()

    def encode_current(self) -> None:
        ctl = self.ctl
        image = ctl.image()
        if ctl.sam_info is None or image is None:
            return
        ctl.update_label(encoding=True)

        def failed(message: str) -> None:
            ctl.update_label()
            ctl.message(message, "error")

        ctl.host.submit("encode", image, key="encode", on_result=self._on_encoded, on_error=failed)

    def _on_encoded(self, enc: Any) -> None:
        ctl = self.ctl
        ctl.update_label()
        if enc.notice:
            ctl.message(enc.notice, "warning")
        if not enc.cached:
            ctl.message(f"Image encoded in {enc.seconds:.2f} s", "status")
        ahead = self.window.session.navigator.ahead()
        if ahead is not None:
            ctl.host.submit("prefetch", ahead, key="prefetch")

    def predict(self, prompt: SamPrompt, reply: Any) -> None:
        """The SAM tool's callback: run ``prompt`` in the worker, answer with ``reply``."""
        image = self.ctl.image()
        if image is None:
            reply("SAM: no image is open")
            return
        start = time.perf_counter()

        def done(result: SamResult | str) -> None:
            if not prompt.hover:
                self.click_times = [*self.click_times[-4:], time.perf_counter() - start]
                tool = self.window.canvas.tool()
                if hasattr(tool, "hover_preview") and len(self.click_times) >= 3:
                    tool.hover_preview = statistics.median(self.click_times) < HOVER_SECONDS
            reply(result)

        self.ctl.host.submit(
            "predict",
            image,
            prompt,
            key="sam-hover" if prompt.hover else "sam-click",
            on_result=done,
            on_error=reply,
        )
