"""The window's model-assist controller: loading models into the inference worker, the
model status label, the progress bar and Cancel of long model tasks, and a folder's trained
model that follows the folder. SAM prompts and encoding are :mod:`.sam`, auto-segment
:mod:`.auto_segment`, the proposal review :mod:`.review`, the one-time download offer
:mod:`.offer`; the model itself lives in :class:`labeldesk.models.assist.AssistSession`
inside :class:`~labeldesk.ui.workers.inference.InferenceWorker`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDockWidget, QLabel, QToolButton

from labeldesk.core.prompts import SamPrompt
from labeldesk.core.proposals import Proposal
from labeldesk.core.tools.review import ProposalTool
from labeldesk.models.proposals import find_trained_model
from labeldesk.ui.assist.auto_segment import AutoSegment
from labeldesk.ui.assist.offer import ModelOffer
from labeldesk.ui.assist.review import ProposalReview, ProposalsPanel
from labeldesk.ui.assist.sam import SamAssist
from labeldesk.ui.panels.status import ElidedProgressBar
from labeldesk.ui.workers.base import WorkerHost
from labeldesk.ui.workers.inference import InferenceWorker
from labeldesk.ui.workers.lifetime import stop_on_close


class AssistController(QObject):
    """Wires the inference worker to the window (see module docs)."""

    def __init__(
        self, window: Any, *, worker: InferenceWorker | None = None, models_dir: Path | None = None
    ):
        super().__init__(window)
        self.window = window
        self.models_dir = models_dir
        self.host = WorkerHost(worker or InferenceWorker(), name="labeldesk-inference")
        self.sam_info: Any = None
        self.trained_info: Any = None
        self._task: int | None = None
        self._token: object | None = None
        # a trained model found in the open folder belongs to it (None: loaded by hand)
        self._trained_folder: Path | None = None
        self._trained_failed: set[str] = set()  # folder models that failed to load: not again
        self._trained_loading: Path | None = None  # the folder model being loaded, if any
        try:
            self._build_widgets()
            self.proposals = ProposalReview(window)
            self.offer = ModelOffer(window, lambda name, dl: self.open_model_manager(name, dl))
            self.sam = SamAssist(self)
            self.auto = AutoSegment(self)
            self.set_predictor_available(False)
            window.session.loaded.connect(self._on_image_loaded)
        except BaseException:
            # the plugin fails (the window says so and keeps working): its thread must not
            # outlive it, or Qt aborts the process when the window closes
            self.stop()
            raise
        self._lifetime = stop_on_close(window, self.stop)

    # -- widgets -----------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        w = self.window
        self.model_label = QLabel("No model (auto-segment: classical)", w)
        self.model_label.setObjectName("status.model")
        self.progress = ElidedProgressBar(w)
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 1000)
        self.cancel_button = QToolButton(w)
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(self.cancel_task)
        for widget in (self.model_label, self.progress, self.cancel_button):
            w.statusBar().addPermanentWidget(widget)
        self.progress.hide()
        self.cancel_button.hide()

    # the review of proposals (see .review); names kept for callers and tests
    @property
    def review(self) -> ProposalTool | None:
        """The review tool while proposals are shown, else None."""
        return self.proposals.tool

    @property
    def proposal_source(self) -> str:
        return self.proposals.source

    @property
    def panel(self) -> ProposalsPanel:
        return self.proposals.panel

    @property
    def dock(self) -> QDockWidget:
        return self.proposals.dock

    def stop(self) -> None:
        """End the inference thread (idempotent); called when the window closes."""
        if self.host.is_running():
            self.host.stop()

    def message(self, text: str, level: str = "status") -> None:
        self.window.show_message(text, level)

    # -- models ------------------------------------------------------------------------------
    def set_predictor_available(self, on: bool) -> None:
        """Give the SAM tool its predict callback (or take it away)."""
        self.sam.set_available(on)

    def load_model(
        self, path: str | Path, device: str = "auto", *, folder: str | Path | None = None
    ) -> int:
        """Load a SAM checkpoint or a trained labeldesk model in the worker.

        ``folder``: the project folder a trained model belongs to (it was found there, or
        trained on it); it is dropped when another folder is opened. None (the Model
        Manager): the model stays until it is replaced."""
        classes = self.window.session.classes.names() or None
        tie = Path(folder) if folder is not None else None
        self._trained_loading = tie

        def failed(_message: str) -> None:
            if tie is not None:
                self._trained_failed.add(str(path))
                if self._trained_loading == tie:
                    self._trained_loading = None

        return self.run_task(
            "load",
            str(path),
            device,
            "auto",
            classes,
            key="model" if tie is None else "model.folder",  # a folder's never cancels the user's
            text="Loading model",
            on_result=lambda info: self._on_model(info, tie),
            on_error=failed,
        )

    def _on_model(self, info: Any, folder: Path | None = None) -> None:
        if info.kind == "sam":
            self.sam_info = info
            self.set_predictor_available(True)
            self.sam.encode_current()
        else:
            self.trained_info = info
            self._trained_folder = folder
            if folder is not None and self._trained_loading == folder:
                self._trained_loading = None
            self.drop_other_folders_model()  # another folder was opened while it loaded
        self.update_label()
        where = (
            f"{info.device.upper()}, {info.precision}"
            if info.kind == "sam"
            else info.device.upper()
        )
        self.message(
            f"Loaded {info.name} ({info.variant}) on {where} in {info.seconds:.1f} s", "info"
        )

    def update_label(self, encoding: bool = False) -> None:
        parts = []
        if self.sam_info is not None:
            busy = " · encoding the image…" if encoding else ""
            parts.append(f"SAM {self.sam_info.variant} · {self.sam_info.device}{busy}")
        if self.trained_info is not None:
            parts.append(f"trained: {self.trained_info.name}")
        self.model_label.setText(" | ".join(parts) or "No model (auto-segment: classical)")

    def drop_other_folders_model(self) -> None:
        """Unload a trained model tied to a folder other than the open one."""
        tied = self._trained_folder
        if tied is None or tied == self.window.session.folder:
            return
        self.host.submit("unload", "trained", key="unload")  # queued before any later job
        self.trained_info = None
        self._trained_folder = None
        self.update_label()

    def load_folder_model(self) -> None:
        """Load the open folder's trained model (``<folder>/.labeldesk/model.json``...) when
        no trained model is loaded or being loaded; a model that failed once is not retried."""
        folder = self.window.session.folder
        if folder is None or self.trained_info is not None or self._trained_loading == folder:
            return
        trained = find_trained_model(folder)
        if trained is not None and str(trained) not in self._trained_failed:
            self.load_model(trained, folder=folder)

    def project_model_dirs(self) -> list[Path]:
        """Where the open folder may hold models: the folder itself, and its ``.labeldesk``
        (where training saves ``model.pt``); empty when no folder is open."""
        folder = self.window.session.folder
        return [] if folder is None else [Path(folder), Path(folder) / ".labeldesk"]

    def open_model_manager(self, select: str | None = None, download: bool = False) -> None:
        """The Model Manager (modal); ``select``: the checkpoint to select, ``download``:
        start downloading it (the offer after the first auto-segment without a model)."""
        from labeldesk.ui.model_manager import ModelManagerDialog

        dialog = ModelManagerDialog(
            self.models_dir,
            extra_dirs=self.project_model_dirs(),
            loaded=self.sam_info.path if self.sam_info is not None else None,
            parent=self.window,
        )
        dialog.load_requested.connect(self.load_model)
        if select is not None:
            dialog.select(select)
            if download:
                dialog.download_selected()
        dialog.exec()

    # -- background tasks with progress -----------------------------------------------------------
    def run_task(
        self, job: str, *args: Any, key: str, text: str, on_result: Any, on_error: Any = None
    ) -> int:
        """Submit a long job with the status-bar progress bar and Cancel button."""
        self.progress.setValue(0)
        self.progress.setFormat(f"{text}… %p %")
        self.progress.show()
        self.cancel_button.show()
        token = object()
        self._token = token

        def finish(result: Any) -> None:
            if self._token is token:
                self._end_task()
            on_result(result)

        def fail(message: str) -> None:
            if self._token is token:
                self._end_task()
            if on_error is not None:
                on_error(message)
            self.message(message, "error")

        self._task = self.host.submit(
            job,
            *args,
            key=key,
            on_result=finish,
            on_error=fail,
            on_progress=lambda p: self._on_progress(p.fraction or 0.0, p.message),
        )
        return self._task

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(round(1000 * fraction))
        if text:
            self.progress.setFormat(f"{text}… %p %")

    def _end_task(self) -> None:
        self._task = None
        self.progress.hide()
        self.cancel_button.hide()

    def cancel_task(self) -> None:
        self._trained_loading = None  # a cancelled folder model is looked for again next time
        if self._task is not None:
            self.host.cancel(self._task)
            self._end_task()
            self.message("Cancelled", "status")

    # -- images ------------------------------------------------------------------------------
    def image(self) -> Any:
        item = self.window.session.item
        return item.display if item is not None else None

    def _on_image_loaded(self) -> None:
        self.end_review()
        self.drop_other_folders_model()
        self.dock.hide()  # also when a saved window layout showed it
        self.sam.encode_current()

    # -- SAM and auto-segment (see .sam and .auto_segment) -------------------------------------
    def predict(self, prompt: SamPrompt, reply: Any) -> None:
        """The SAM tool's callback: run ``prompt`` in the worker, answer with ``reply``."""
        self.sam.predict(prompt, reply)

    def auto_segment(self) -> None:
        """Propose regions for the open image (trained model, else SAM, else classical)."""
        self.auto.run()

    # -- reviewing proposals -----------------------------------------------------------------------
    def start_review(self, proposals: list[Proposal], source: str = "") -> ProposalTool:
        """Show ``proposals`` for review (from ``source``); returns the review tool."""
        return self.proposals.start(proposals, source)

    def activate_review(self) -> None:
        self.proposals.activate()

    def end_review(self) -> None:
        self.proposals.end()

    def accept_all(self) -> None:
        self.proposals.accept_all()

    def reject_all(self) -> None:
        self.proposals.reject_all()
