"""Model assist in the window: the SAM tool, one-click auto-segment, reviewing proposals.

``install(window)`` is the only entry point (one call in the composition root, before
``window.apply_settings()`` so user key bindings apply to these actions too)::

    from labeldesk.ui.assist import install
    window.assist = install(window)

It adds, through the window's action registry: Tools ▸ SAM (S), Auto-Segment Image (G),
Accept / Reject All Proposals, Model Manager… (Ctrl+M); a "Proposed" dock; a model status
label, a progress bar and Cancel in the status bar. All model work runs in one
:class:`~labeldesk.ui.workers.inference.InferenceWorker` thread; the window never waits on it.
"""

from __future__ import annotations

import colorsys
import statistics
import time
from pathlib import Path
from typing import Any

import qtawesome as qta
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from labeldesk.core.tools import TOOLS
from labeldesk.core.tools.sam import ProposalTool, SamPrompt, SamTool, render_proposals
from labeldesk.models.proposals import Proposal, find_trained_model
from labeldesk.ui.actions import ActionSpec
from labeldesk.ui.workers.base import WorkerHost
from labeldesk.ui.workers.inference import InferenceWorker, ProposalsResult

HOVER_SECONDS = 0.05  # hover previews are turned on when a click's round trip is this fast


def _palette(n: int) -> list[tuple[int, int, int]]:
    """``n`` distinct, saturated colours (golden-angle hues)."""
    out = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb((i * 0.618034) % 1.0, 0.75, 1.0)
        out.append((int(r * 255), int(g * 255), int(b * 255)))
    return out


class ProposalsPanel(QWidget):
    """The "Proposed" dock: one row per open proposal, Accept / Reject buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.accept_all = QPushButton("Accept all (Enter)", self)
        self.accept_sel = QPushButton("Accept selected", self)
        self.reject_sel = QPushButton("Reject selected", self)
        self.reject_all = QPushButton("Reject all (Esc)", self)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.list, 1)
        for pair in ((self.accept_all, self.accept_sel), (self.reject_sel, self.reject_all)):
            row = QHBoxLayout()
            row.addWidget(pair[0])
            row.addWidget(pair[1])
            box.addLayout(row)


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
        self.review: ProposalTool | None = None
        self.proposal_source = ""
        self._prev_tool: Any = None
        self._review_version = -1
        self._colors: list[tuple[int, int, int]] = []
        self._task: int | None = None
        self._token: object | None = None
        self._trained_checked: set[str] = set()
        self._click_times: list[float] = []
        self._syncing = False
        self._build_widgets()
        self.set_predictor_available(False)
        window.session.loaded.connect(self._on_image_loaded)
        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

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
        self.panel = ProposalsPanel(w)
        self.dock = QDockWidget("Proposed", w)
        self.dock.setObjectName("dock.proposed")
        self.dock.setWidget(self.panel)
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        layers = getattr(w, "docks", {}).get("layers")
        if layers is not None:
            w.tabifyDockWidget(layers, self.dock)  # next to the objects, as "Proposed"
        self.dock.hide()
        p = self.panel
        p.accept_all.clicked.connect(self.accept_all)
        p.reject_all.clicked.connect(self.reject_all)
        p.accept_sel.clicked.connect(
            lambda: self.review and self.review.accept(self.review.selected)
        )
        p.reject_sel.clicked.connect(
            lambda: self.review and self.review.reject(self.review.selected)
        )
        p.list.itemSelectionChanged.connect(self._list_to_tool)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.window and event.type() == QEvent.Type.Close:
            QTimer.singleShot(0, self._after_close)
        return False

    def _after_close(self) -> None:
        try:
            visible = self.window.isVisible()
        except RuntimeError:  # the window is gone
            visible = False
        if not visible:
            self.stop()

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

    def load_model(self, path: str | Path, device: str = "auto") -> int:
        """Load a SAM checkpoint or a trained labeldesk model in the worker."""
        classes = self.window.session.classes.names() or None
        return self._run(
            "load",
            str(path),
            device,
            "auto",
            classes,
            key="model",
            text="Loading model",
            on_result=self._on_model,
        )

    def _on_model(self, info: Any) -> None:
        if info.kind == "sam":
            self.sam_info = info
            self._click_times.clear()
            self.set_predictor_available(True)
            self._encode_current()
        else:
            self.trained_info = info
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

    def open_model_manager(self) -> None:
        from labeldesk.ui.model_manager import ModelManagerDialog

        folder = self.window.session.folder
        dialog = ModelManagerDialog(
            self.models_dir,
            extra_dirs=[folder] if folder is not None else [],
            loaded=self.sam_info.path if self.sam_info is not None else None,
            parent=self.window,
        )
        dialog.load_requested.connect(self.load_model)
        dialog.exec()

    # -- background tasks with progress -----------------------------------------------------------
    def _run(self, job: str, *args: Any, key: str, text: str, on_result: Any) -> int:
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
            self.message(message, "error")

        self._task = self.host.submit(
            job, *args, key=key, on_result=finish, on_error=fail, on_progress=self._on_progress
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
        folder = self.window.session.folder
        trained = find_trained_model(folder) if self.trained_info is None else None
        if trained is not None and str(trained) not in self._trained_checked:
            self._trained_checked.add(str(trained))
            self.load_model(trained)
        self.end_review()
        self._run("proposals", image, key="auto", text="Auto-segment", on_result=self._on_proposals)

    def _on_proposals(self, result: ProposalsResult) -> None:
        if result.notice:
            self.message(result.notice, "warning")
        if not result.proposals:
            self.message(f"Auto-segment ({result.source}) found no regions", "info")
            return
        self.proposal_source = result.source
        self.start_review(result.proposals)
        self.message(
            f"{len(result.proposals)} regions proposed ({result.source}, {result.seconds:.1f} s)",
            "status",
        )

    # -- reviewing proposals -----------------------------------------------------------------------
    def start_review(self, proposals: list[Proposal]) -> ProposalTool:
        self.end_review()
        tool = ProposalTool(self.window.ctx, proposals, on_finish=self.end_review)
        doc_classes = self.window.ctx.document.classes
        palette = _palette(len(proposals))
        self._colors = [
            doc_classes.color_of(p.label) if p.label else palette[i]
            for i, p in enumerate(proposals)
        ]
        current = self.window.canvas.tool()
        self._prev_tool = current if not isinstance(current, ProposalTool) else self._prev_tool
        self.review = tool
        tool.changed.connect(self._on_review_changed)
        self.activate_review()
        self._review_version = -1
        self._on_review_changed(None)
        self.dock.show()
        self.dock.raise_()
        return tool

    def activate_review(self) -> None:
        if self.review is not None and self.window.canvas.tool() is not self.review:
            self.window.canvas.set_tool(self.review)
            self.window.canvas.setFocus()

    def end_review(self) -> None:
        tool = self.review
        if tool is None:
            return
        self.review = None
        tool.changed.disconnect(self._on_review_changed)
        self.window.canvas.set_overlay("proposals", None)
        self.panel.list.clear()
        self.dock.hide()
        if self.window.canvas.tool() is tool:
            prev = self._prev_tool
            if prev is not None and prev.name in TOOLS:
                self.window.set_tool(prev.name)
            else:
                self.window.canvas.set_tool(prev)
        self._prev_tool = None

    def accept_all(self) -> None:
        if self.review is not None:
            self.review.accept(list(self.review.open))

    def reject_all(self) -> None:
        if self.review is not None:
            self.review.reject(list(self.review.open))

    def _on_review_changed(self, _ev: Any) -> None:
        tool = self.review
        if tool is None or tool.version == self._review_version:
            return
        self._review_version = tool.version
        doc = self.window.ctx.document
        size = (doc.image_height, doc.image_width)
        colors = [self._colors[i] for i in tool.open]
        rendered = render_proposals(tool.items, tool.open, size, colors)
        canvas = self.window.canvas
        canvas.set_overlay(
            "proposals",
            None if rendered is None else rendered[0],
            *(rendered[1:] if rendered else (0, 0)),
        )
        self._fill_list()

    def _fill_list(self) -> None:
        tool, lst = self.review, self.panel.list
        if tool is None:
            return
        self._syncing = True
        try:
            lst.clear()
            for i in tool.open:
                p = tool.items[i]
                name = f"proposed {p.label}" if p.label else "proposed"
                item = QListWidgetItem(f"{name} · {p.score:.2f} · {p.area} px")
                item.setToolTip("Click to pick; 1-9 accepts as that class, Delete rejects")
                item.setIcon(qta.icon("mdi6.square", color=QColor(*self._colors[i])))
                item.setData(256, i)
                lst.addItem(item)
                item.setSelected(i in tool.selected)
            self.dock.setWindowTitle(f"Proposed ({len(tool.open)}, {self.proposal_source})")
        finally:
            self._syncing = False

    def _list_to_tool(self) -> None:
        if self._syncing or self.review is None:
            return
        self.activate_review()
        self.review.select([it.data(256) for it in self.panel.list.selectedItems()])


# -- installation ------------------------------------------------------------------------------
def _add_action(window: Any, spec: ActionSpec) -> None:
    """Declare ``spec`` in the window's registry and create its QAction (menu, toolbar, keys)."""
    manager = window.actions
    if spec.id in manager.actions:
        return  # declared already (e.g. "tool.sam" when the tool registry had it at start-up)
    manager.add(spec)


def install(
    window: Any, *, models_dir: Path | None = None, worker: InferenceWorker | None = None
) -> AssistController:
    """Add model assist to ``window`` (a MainWindow); returns the controller."""
    ctl = AssistController(window, worker=worker, models_dir=models_dir)
    a = ActionSpec
    # fmt: off
    specs = [
        a("tool.sam", SamTool.title, "Tools", lambda w: w.set_tool("sam"), ("S",), "mdi6.auto-fix",
          tip="SAM: click the object, right-click what is not it (S)", checkable=True,
          group="tools", toolbar="tools", section=1),
        a("assist.auto_segment", "Auto-Segment &Image", "Tools", lambda w: ctl.auto_segment(),
          ("G",), "mdi6.auto-mode", tip="Propose regions for this image (G)", toolbar="tools",
          section=2, enabled_when="document"),
        a("assist.accept_all", "Accept All Proposals", "Tools", lambda w: ctl.accept_all(), (),
          "mdi6.check-all", section=2),
        a("assist.reject_all", "Reject All Proposals", "Tools", lambda w: ctl.reject_all(), (),
          "mdi6.close-box-multiple-outline", section=2),
        a("assist.model_manager", "&Model Manager…", "Tools", lambda w: ctl.open_model_manager(),
          ("Ctrl+M",), "mdi6.brain", section=3),
    ]
    # fmt: on
    for spec in specs:
        _add_action(window, spec)
    window.assist = ctl
    return ctl
