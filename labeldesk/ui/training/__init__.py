"""Train a model on the open folder's labels in the background; sort files by uncertainty.

``install(window)`` is the only entry point (one call in the composition root, before
``window.apply_settings()`` so that user key bindings apply to these actions too)::

    from labeldesk.ui.training import install
    window.training = install(window)

It adds Tools ▸ Train Model… (a non-modal dialog: settings, Train / Stop & Save / Cancel, a
progress bar, a live plot of the loss and the validation IoU, the early-stop status and where
the model was saved) and Tools ▸ Sort Files by Uncertainty (checkable: the files panel lists
the unlabeled images the model is least sure of first, and next / previous image follow that
order). Work runs in one :class:`~labeldesk.ui.workers.training.TrainingWorker` thread,
started on first use. The model is saved as ``FOLDER/.labeldesk/model.pt`` + ``model.json``,
where auto-segment finds it; when model assist is installed (``window.assist``) the new model
is loaded into it at once.

It also adds Tools ▸ Live Classifier (:mod:`.live`): brush strokes per class train a random
forest as you paint, its prediction shows as an overlay, Enter makes the objects.

Modules: :mod:`.plot` (the live plot), :mod:`.dialog` (the view), :mod:`.controller`
(training), :mod:`.ranking` (what to label next), :mod:`.live` (the live classifier).
"""

from __future__ import annotations

from typing import Any

from labeldesk.ui.actions import ActionSpec
from labeldesk.ui.training.controller import (
    MODEL_PATH,
    PATIENCE,
    TRAIN_ID,
    TrainingController,
    gui_threads,
)
from labeldesk.ui.training.dialog import TrainingDialog
from labeldesk.ui.training.plot import LivePlot, smoothed
from labeldesk.ui.training.ranking import SORT_ID

__all__ = [
    "MODEL_PATH",
    "PATIENCE",
    "SORT_ID",
    "TRAIN_ID",
    "LivePlot",
    "TrainingController",
    "TrainingDialog",
    "gui_threads",
    "install",
    "smoothed",
]


def install(window: Any, *, config: dict[str, Any] | None = None) -> TrainingController:
    """Add training and "what to label next" to ``window`` (a MainWindow); returns the
    controller, also set as ``window.training``. ``config`` overrides training settings
    (a partial TrainConfig dict, e.g. a tiny network for tests)."""
    ctl = TrainingController(window, config=config)
    specs = [
        ActionSpec(TRAIN_ID, "&Train Model…", "Tools", lambda w: ctl.open_dialog(), (),
                   "mdi6.school-outline", tip="Train a segmentation model on this folder's labels",
                   section=4),
        ActionSpec(SORT_ID, "Sort Files by &Uncertainty", "Tools", lambda w: ctl.sort_by_uncertainty(),
                   (), "mdi6.sort-descending", tip="List the images the trained model is least "
                   "sure of first: label those next", section=4, checkable=True),
    ]  # fmt: skip
    menu = window.actions.menus.get("Tools")
    if menu is not None and TRAIN_ID not in window.actions.actions:
        menu.addSeparator()
    for spec in specs:
        if spec.id not in window.actions.actions:
            window.actions.add(spec)
    from labeldesk.ui.training.live import install as install_live

    install_live(window)  # Tools ▸ Live Classifier (window.live_classifier)
    window.training = ctl
    return ctl
