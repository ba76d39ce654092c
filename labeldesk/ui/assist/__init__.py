"""Model assist in the window: the SAM tool, one-click auto-segment, reviewing proposals.

``install(window)`` is the only entry point (one call in the composition root, before
``window.apply_settings()`` so user key bindings apply to these actions too)::

    from labeldesk.ui.assist import install
    window.assist = install(window)

It adds, through the window's action registry: Tools ▸ SAM (S), Auto-Segment Image (G),
Accept / Reject All Proposals, Model Manager… (Ctrl+M); a "Proposed" dock; a model status
label, a progress bar and Cancel in the status bar. All model work runs in one
:class:`~labeldesk.ui.workers.inference.InferenceWorker` thread; the window never waits on it.
The package: :mod:`.controller` (models, tasks, status bar), :mod:`.sam` (SAM prompts,
hover previews, encoding and read-ahead), :mod:`.auto_segment`, :mod:`.review` (the
"Proposed" dock, the overlay and the review tool) and :mod:`.offer` (the one-time model
download offer).

"tool.sam" is built by the built-in actions from what :class:`SamTool` declares, as for
every registered tool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labeldesk.ui.actions import ActionSpec
from labeldesk.ui.assist.controller import AssistController
from labeldesk.ui.assist.review import ProposalReview, ProposalsPanel
from labeldesk.ui.workers.inference import InferenceWorker

__all__ = ["AssistController", "ProposalReview", "ProposalsPanel", "install"]


# -- installation ------------------------------------------------------------------------------
def install(
    window: Any, *, models_dir: Path | None = None, worker: InferenceWorker | None = None
) -> AssistController:
    """Add model assist to ``window`` (a MainWindow); returns the controller."""
    ctl = AssistController(window, worker=worker, models_dir=models_dir)
    a = ActionSpec
    # fmt: off
    specs = [
        a("assist.auto_segment", "Auto-Segment &Image", "Tools", lambda w: ctl.auto_segment(),
          ("G",), "mdi6.auto-mode", tip="Propose regions for this image (G)", toolbar="tools",
          section=2, enabled_when="document"),
        a("assist.accept_all", "Accept Proposals with a Class", "Tools",
          lambda w: ctl.accept_all(), (), "mdi6.check-all", section=2,
          tip="Accept the proposals that carry a class (Enter in the review)"),
        a("assist.accept_all_as", "Accept All Proposals as the Active Class", "Tools",
          lambda w: ctl.proposals.accept_all_as(), (), "mdi6.check-all", section=2,
          tip="Accept every open proposal with the active class; the menu shows the count"),
        a("assist.reject_all", "Reject All Proposals", "Tools", lambda w: ctl.reject_all(), (),
          "mdi6.close-box-multiple-outline", section=2),
        a("assist.model_manager", "&Model Manager…", "Tools", lambda w: ctl.open_model_manager(),
          ("Ctrl+M",), "mdi6.brain", section=3),
    ]
    # fmt: on
    for spec in specs:
        window.actions.replace(spec)  # adds the ones not declared yet
    window.actions["assist.accept_all_as"].setEnabled(False)
    window.assist = ctl
    return ctl
