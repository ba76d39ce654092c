"""Model assist in the window: the SAM tool, one-click auto-segment, reviewing proposals.

``install(window)`` is the only entry point (one call in the composition root, before
``window.apply_settings()`` so user key bindings apply to these actions too)::

    from labeldesk.ui.assist import install
    window.assist = install(window)

It adds, through the window's action registry: Tools ▸ SAM (S), Auto-Segment Image (G),
Accept / Reject All Proposals, Model Manager… (Ctrl+M); a "Proposed" dock; a model status
label, a progress bar and Cancel in the status bar. All model work runs in one
:class:`~labeldesk.ui.workers.inference.InferenceWorker` thread; the window never waits on it.
Reviewing the proposals (dock, overlay, review tool) is :mod:`labeldesk.ui.proposals`.

"tool.sam" is built by the built-in actions from what :class:`SamTool` declares, as for
every registered tool.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDockWidget, QLabel, QProgressBar, QToolButton

from labeldesk.core.tools.proposals import ProposalTool
from labeldesk.core.tools.sam import SamPrompt, SamTool
from labeldesk.models.proposals import Proposal, find_trained_model
from labeldesk.ui.actions import ActionSpec
from labeldesk.ui.model_offer import ModelOffer
from labeldesk.ui.proposals import ProposalReview, ProposalsPanel
from labeldesk.ui.workers.base import WorkerHost
from labeldesk.ui.workers.inference import InferenceWorker, ProposalsResult
from labeldesk.ui.workers.lifetime import stop_on_close

__all__ = ["AssistController", "ProposalReview", "ProposalsPanel", "install"]

HOVER_SECONDS = 0.05  # hover previews are turned on when a click's round trip is this fast


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
        self._click_times: list[float] = []
        self._build_widgets()
        self.proposals = ProposalReview(window)
        self.offer = ModelOffer(window, lambda name, dl: self.open_model_manager(name, dl))
        self.set_predictor_available(False)
        window.session.loaded.connect(self._on_image_loaded)
        self._lifetime = stop_on_close(window, self.stop)

    # -- widgets -----------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        w = self.window
        self.model_label = QLabel("No model (auto-segment: classical)", w)
        self.model_label.setObjectName("status.model")
        self.progress = QProgressBar(w)
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 1000)
        self.cancel_button = QToolButton(w)
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(self.cancel_task)
        for widget in (self.model_label, self.progress, self.cancel_button):
            w.statusBar().addPermanentWidget(widget)
        self.progress.hide()
        self.cancel_button.hide()

    # the review of proposals (see labeldesk.ui.proposals); names kept for callers and tests
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
        self.window.ctx.sam_predict = self.predict if on else None
        tool = self.window.canvas.tool()
        if isinstance(tool, SamTool):
            tool.notify()

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

        return self._run(
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
            self._click_times.clear()
            self.set_predictor_available(True)
            self._encode_current()
        else:
            self.trained_info = info
            self._trained_folder = folder
            if folder is not None and self._trained_loading == folder:
                self._trained_loading = None
            self._drop_other_folders_model()  # another folder was opened while it loaded
        self._update_label()
        where = (
            f"{info.device.upper()}, {info.precision}"
            if info.kind == "sam"
            else info.device.upper()
        )
        self.message(
            f"Loaded {info.name} ({info.variant}) on {where} in {info.seconds:.1f} s", "info"
        )

    def _update_label(self, encoding: bool = False) -> None:
        parts = []
        if self.sam_info is not None:
            busy = " · encoding the image…" if encoding else ""
            parts.append(f"SAM {self.sam_info.variant} · {self.sam_info.device}{busy}")
        if self.trained_info is not None:
            parts.append(f"trained: {self.trained_info.name}")
        self.model_label.setText(" | ".join(parts) or "No model (auto-segment: classical)")

    def _drop_other_folders_model(self) -> None:
        """Unload a trained model tied to a folder other than the open one."""
        tied = self._trained_folder
        if tied is None or tied == self.window.session.folder:
            return
        self.host.submit("unload", "trained", key="unload")  # queued before any later job
        self.trained_info = None
        self._trained_folder = None
        self._update_label()

    def _load_folder_model(self) -> None:
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
    def _run(
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
        self._drop_other_folders_model()
        self.dock.hide()  # also when a saved window layout showed it
        self._encode_current()

    def _encode_current(self) -> None:
        image = self.image()
        if self.sam_info is None or image is None:
            return
        self._update_label(encoding=True)

        def failed(message: str) -> None:
            self._update_label()
            self.message(message, "error")

        self.host.submit("encode", image, key="encode", on_result=self._on_encoded, on_error=failed)

    def _on_encoded(self, enc: Any) -> None:
        self._update_label()
        if enc.notice:
            self.message(enc.notice, "warning")
        if not enc.cached:
            self.message(f"Image encoded in {enc.seconds:.2f} s", "status")
        nav = self.window.session.navigator
        step = getattr(nav, "_step", 1)
        j = nav.index + step
        if nav.read_ahead and 0 <= j < len(nav.images):
            self.host.submit("prefetch", nav.images[j], key="prefetch")

    # -- the SAM tool --------------------------------------------------------------------------
    def predict(self, prompt: SamPrompt, reply: Any) -> None:
        """The SAM tool's callback: run ``prompt`` in the worker, answer with ``reply``."""
        image = self.image()
        if image is None:
            reply("SAM: no image is open")
            return
        start = time.perf_counter()

        def done(result: Any) -> None:
            if not prompt.hover:
                self._click_times = [*self._click_times[-4:], time.perf_counter() - start]
                tool = self.window.canvas.tool()
                if isinstance(tool, SamTool) and len(self._click_times) >= 3:
                    tool.hover_preview = statistics.median(self._click_times) < HOVER_SECONDS
            reply(result)

        self.host.submit(
            "predict",
            image,
            prompt,
            key="sam-hover" if prompt.hover else "sam-click",
            on_result=done,
            on_error=reply,
        )

    # -- auto-segment --------------------------------------------------------------------------
    def auto_segment(self) -> None:
        """Propose regions for the open image (trained model, else SAM, else classical)."""
        image = self.image()
        if image is None:
            self.message("Open an image first", "status")
            return
        self._drop_other_folders_model()
        self._load_folder_model()
        self.end_review()

        def done(result: ProposalsResult) -> None:
            if self.image() is image:  # not for an image the user has moved away from
                self._on_proposals(result)

        self._run("proposals", image, key="auto", text="Auto-segment", on_result=done)

    def _on_proposals(self, result: ProposalsResult) -> None:
        if result.notice:
            self.message(result.notice, "warning")
        if not result.proposals:
            self.message(f"Auto-segment ({result.source}) found no regions", "info")
            return
        self.start_review(result.proposals, result.source)
        self.message(
            f"{len(result.proposals)} regions proposed ({result.source}, {result.seconds:.1f} s)",
            "status",
        )
        if self.sam_info is None and self.trained_info is None:
            self.offer.maybe_offer(self.image(), result.source)

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
