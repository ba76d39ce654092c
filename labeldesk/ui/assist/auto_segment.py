"""Auto-segment in the window: propose regions for the open image (a trained model, else
SAM, else the classical method), review them, and after the first classical result on a
photo offer a model download once (:mod:`.offer`)."""

from __future__ import annotations

from typing import Any

from labeldesk.ui.workers.inference import ProposalsResult


class AutoSegment:
    """Runs auto-segment for ``ctl`` (an :class:`.controller.AssistController`)."""

    def __init__(self, ctl: Any) -> None:
        self.ctl = ctl

    def run(self) -> None:
        """Propose regions for the open image (trained model, else SAM, else classical)."""
        ctl = self.ctl
        image = ctl.image()
        if image is None:
            ctl.message("Open an image first", "status")
            return
        ctl.drop_other_folders_model()
        ctl.load_folder_model()
        ctl.end_review()

        def done(result: ProposalsResult) -> None:
            if ctl.image() is image:  # not for an image the user has moved away from
                self._on_proposals(result)

        ctl.run_task("proposals", image, key="auto", text="Auto-segment", on_result=done)

    def _on_proposals(self, result: ProposalsResult) -> None:
        ctl = self.ctl
        if result.notice:
            ctl.message(result.notice, "warning")
        if not result.proposals:
            ctl.message(f"Auto-segment ({result.source}) found no regions", "info")
            return
        ctl.start_review(result.proposals, result.source)
        ctl.message(
            f"{len(result.proposals)} regions proposed ({result.source}, {result.seconds:.1f} s)",
            "status",
        )
        if ctl.sam_info is None and ctl.trained_info is None:
            ctl.offer.maybe_offer(ctl.image(), result.source)
