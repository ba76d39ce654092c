"""Train a model on the open folder's labels in the background; sort files by uncertainty.

``install(window)`` is the only entry point (one call in the composition root, before
``window.apply_settings()`` so that user key bindings apply to these actions too)::

    from labeldesk.ui.training import install
    window.training = install(window)

It adds Tools ▸ Train Model… (a non-modal dialog: settings, Train / Stop & Save / Cancel, a
progress bar, a live plot of the loss and the validation IoU, the early-stop status and where
the model was saved) and Tools ▸ Sort Files by Uncertainty (checkable: the files panel lists
the unlabeled images the model is least sure of first). Work runs in one
:class:`~labeldesk.ui.workers.training.TrainingWorker` thread, started on first use. The model
is saved as ``FOLDER/.labeldesk/model.pt`` + ``model.json``, where auto-segment finds it; when
model assist is installed (``window.assist``) the new model is loaded into it at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from labeldesk.ui.actions import ActionSpec
from labeldesk.ui.folder import EMPTY, LABELED, UNLABELED
from labeldesk.ui.panels.common import MessageBar
from labeldesk.ui.panels.files import PATH_ROLE
from labeldesk.ui.workers.base import WorkerHost
from labeldesk.ui.workers.training import TrainingWorker, TrainJob, TrainOutcome

MODEL_PATH = Path(".labeldesk") / "model.pt"  # inside the project folder
RANK_ROLE = Qt.ItemDataRole.UserRole + 40
SPECIAL = ("__ignore__", "_background_")
TRAIN_ID, SORT_ID = "train.dialog", "train.sort_uncertainty"
PATIENCE = 6


def gui_threads() -> int:
    """CPU threads for training from the app: every core but one for the window (min 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, cores - 1) if cores > 2 else max(1, cores)


def smoothed(values: list[float]) -> np.ndarray:
    """Centred moving average over about 1/30 of the points (shorter at the ends), so the
    smoothed curve does not lag behind the raw one."""
    v = np.asarray(values, np.float64)
    half = len(v) // 60
    if half < 1:
        return v
    c = np.concatenate([[0.0], np.cumsum(v)])
    i = np.arange(len(v))
    lo, hi = np.maximum(0, i - half), np.minimum(len(v), i + half + 1)
    return (c[hi] - c[lo]) / (hi - lo)


class LivePlot(QWidget):
    """Loss per step (raw, and smoothed) above the validation IoU (mean, and per class), on a
    shared step axis. Points are buffered and drawn at most ~7 times a second."""

    def __init__(self, parent: QWidget | None = None) -> None:
        import pyqtgraph as pg  # imported on first use: it costs about half a second

        super().__init__(parent)
        self.pg = pg
        self.view = pg.GraphicsLayoutWidget(self)
        self.view.setMinimumHeight(240)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.view)
        self.loss_plot = self.view.addPlot(row=0, col=0)
        self.iou_plot = self.view.addPlot(row=1, col=0)
        self.iou_plot.setXLink(self.loss_plot)
        self.loss_plot.setLabel("left", "loss")
        self.iou_plot.setLabel("left", "validation IoU")
        self.iou_plot.setLabel("bottom", "step")
        self.iou_plot.setYRange(-0.07, 1.07, padding=0)
        self.iou_plot.getViewBox().setMouseEnabled(y=False)
        ticks = [(v, f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1.0)]
        self.iou_plot.getAxis("left").setTicks([ticks])
        self.legend = self.iou_plot.addLegend(offset=(8, 4), colCount=6)
        for p in (self.loss_plot, self.iou_plot):
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setMenuEnabled(False)
            p.getAxis("left").setWidth(48)
        self.raw = self.loss_plot.plot(pen=pg.mkPen((128, 128, 128, 110), width=1))
        self.smooth = self.loss_plot.plot(pen=pg.mkPen((13, 110, 253), width=2))
        self.best_lines = [pg.InfiniteLine(angle=90, pen=pg.mkPen((46, 160, 67), width=1,
                           style=Qt.PenStyle.DashLine)) for _ in range(2)]  # fmt: skip
        self.loss_plot.addItem(self.best_lines[0])
        self.iou_plot.addItem(self.best_lines[1])
        self.mean_curve: Any = None
        self.class_curves: dict[str, Any] = {}
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.val_steps: list[int] = []
        self.val_mean: list[float] = []
        self.val_class: dict[str, list[float]] = {}
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.refresh)
        self.reset({})

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        self.view.setBackground(pal.color(QPalette.ColorRole.Base))
        self.legend.setLabelTextColor(text)
        for p in (self.loss_plot, self.iou_plot):
            for side in ("left", "bottom"):
                p.getAxis(side).setTextPen(text)
                p.getAxis(side).setPen(text)
        self._timer.start()  # redraw only while shown
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._timer.stop()
        super().hideEvent(event)

    def reset(self, class_colors: dict[str, tuple[int, int, int]]) -> None:
        """Forget every point; one IoU curve per class, in its colour."""
        pg = self.pg
        self.steps, self.losses = [], []
        self.val_steps, self.val_mean = [], []
        self.legend.clear()
        for curve in [self.mean_curve, *self.class_curves.values()]:
            if curve is not None:
                self.iou_plot.removeItem(curve)
        self.mean_curve = self.iou_plot.plot(
            pen=pg.mkPen((13, 110, 253), width=2.5), symbol="o", symbolSize=6,
            symbolBrush=(13, 110, 253), name="mean",
        )  # fmt: skip
        self.class_curves = {
            name: self.iou_plot.plot(pen=pg.mkPen(color, width=1.6), name=name)
            for name, color in class_colors.items()
        }
        self.val_class = {name: [] for name in class_colors}
        for line in self.best_lines:
            line.hide()
        self._dirty = True
        self.refresh()

    def add_step(self, step: int, loss: float) -> None:
        self.steps.append(step)
        self.losses.append(loss)
        self._dirty = True

    def add_validation(
        self, step: int, mean_iou: float, iou: dict[str, float | None], best: bool
    ) -> None:
        self.val_steps.append(step)
        self.val_mean.append(mean_iou)
        for name, values in self.val_class.items():
            v = iou.get(name)
            values.append(float("nan") if v is None else v)
        if best:
            for line in self.best_lines:
                line.setValue(step)
                line.show()
        self._dirty = True

    def refresh(self) -> None:
        """Draw the buffered points (the timer calls this; tests may too)."""
        if not self._dirty:
            return
        self._dirty = False
        self.raw.setData(self.steps, self.losses)
        self.smooth.setData(self.steps, smoothed(self.losses))
        self.mean_curve.setData(self.val_steps, self.val_mean)
        for name, curve in self.class_curves.items():
            curve.setData(self.val_steps, self.val_class[name], connect="finite")


class TrainingDialog(QDialog):
    """The view: settings, buttons, progress, live plot, log, result. The controller fills it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a model on your labels")
        self.setObjectName("dialog.training")
        self.data_label = QLabel(self)
        self.data_label.setWordWrap(True)
        self.message = MessageBar(self)
        self.arch = QComboBox(self)
        self.arch.addItem("U-Net (fast)", "unet")
        self.arch.addItem("DeepLabv3+ (stronger)", "deeplab")
        self.steps = QSpinBox(self)
        self.steps.setRange(10, 100000)
        self.steps.setSingleStep(500)
        self.steps.setValue(3000)
        self.device = QComboBox(self)
        for text, value in (("Automatic", "auto"), ("CPU", "cpu"), ("GPU (CUDA)", "cuda")):
            self.device.addItem(text, value)
        self.early = QCheckBox("Stop early when validation stops improving", self)
        self.early.setChecked(True)
        settings = QHBoxLayout()
        for label, widget in (
            ("Network", self.arch),
            ("Steps", self.steps),
            ("Device", self.device),
        ):
            settings.addWidget(QLabel(label, self))
            settings.addWidget(widget)
        settings.addSpacing(8)
        settings.addWidget(self.early)
        settings.addStretch(1)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p %")
        self.status = QLabel("Not started", self)
        self.plot = LivePlot(self)
        self.early_label = QLabel(self)
        self.early_label.setObjectName("muted")
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(1000)
        self.log.setFixedHeight(84)
        self.log.setPlaceholderText("Notes about the data and each validation appear here.")
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.train_button = QPushButton("Train", self)
        self.train_button.setDefault(True)
        self.stop_button = QPushButton("Stop && Save", self)
        self.stop_button.setToolTip("Stop after this step and save the best weights so far")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop after this step and save nothing")
        self.close_button = QPushButton("Close", self)
        self.close_button.setToolTip("Hide this window; training goes on in the background")
        self.close_button.clicked.connect(self.hide)
        buttons = QHBoxLayout()
        for b in (self.train_button, self.stop_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        box = QVBoxLayout(self)
        box.addWidget(self.data_label)
        box.addWidget(self.message)
        box.addLayout(settings)
        box.addWidget(self.progress)
        box.addWidget(self.status)
        box.addWidget(self.plot, 1)
        box.addWidget(self.early_label)
        box.addWidget(self.log)
        box.addWidget(self.result)
        box.addLayout(buttons)
        self.set_running(False)
        self.resize(760, 640)

    def set_running(self, running: bool, can_train: bool = True) -> None:
        for w in (self.arch, self.steps, self.device, self.early):
            w.setEnabled(not running)
        self.train_button.setEnabled(not running and can_train)
        self.stop_button.setEnabled(running)
        self.cancel_button.setEnabled(running)

    def append(self, text: str) -> None:
        self.log.appendPlainText(text)


class TrainingController(QObject):
    """Wires the training worker, the dialog, the files panel and the window's actions."""

    def __init__(self, window: Any, *, config: dict[str, Any] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.config = dict(config or {})  # overrides of the dialog's TrainConfig (tests, power use)
        self.host: WorkerHost | None = None
        self.dialog: TrainingDialog | None = None
        self.outcome: TrainOutcome | None = None
        self._rid: int | None = None
        self._rank_rid: int | None = None
        self._val: dict[str, Any] = {}
        self.rank_progress = QProgressBar(window)
        self.rank_progress.setRange(0, 1000)
        self.rank_progress.setMaximumWidth(200)
        self.rank_cancel = QToolButton(window)
        self.rank_cancel.setText("Cancel")
        self.rank_cancel.clicked.connect(self.cancel_ranking)
        for w in (self.rank_progress, self.rank_cancel):
            window.statusBar().addPermanentWidget(w)
            w.hide()
        window.session.states_changed.connect(self.refresh_summary)
        window.session.navigator.listing_changed.connect(self._listing_changed)
        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    # -- the worker ----------------------------------------------------------------------------
    def worker_host(self) -> WorkerHost:
        if self.host is None:
            self.host = WorkerHost(TrainingWorker(), name="labeldesk-training", parent=self)
            self.host.worker.event.connect(self._on_event)
            self.host.cancelled.connect(self._on_cancelled)
        return self.host

    def is_training(self) -> bool:
        return self._rid is not None

    def stop(self) -> None:
        """End the worker thread (idempotent); called when the window closes."""
        if self.host is not None and self.host.is_running():
            self.host.stop()
        self._rid = self._rank_rid = None

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
            if self.dialog is not None:
                self.dialog.hide()
            self.stop()

    # -- what there is to train on -----------------------------------------------------------
    def training_data(self) -> tuple[Path | None, list[str], int]:
        """``(folder, classes, labeled images)``: the classes used in the folder's annotation
        files, in the class list's order."""
        s = self.window.session
        labeled = [st for st in s.states.values() if st.state == LABELED]
        used = {lab for st in labeled for lab in st.labels if lab.strip() and lab not in SPECIAL}
        names = s.classes.names()
        classes = [n for n in names if n in used] + sorted(used - set(names))
        return s.folder, classes, len(labeled)

    def refresh_summary(self) -> bool:
        """Update the dialog's data line; True when training can start."""
        if self.dialog is None:
            return False
        folder, classes, n = self.training_data()
        problem = ""
        if folder is None:
            problem = "Open a folder of images first."
        elif n < 2:
            problem = (
                f"Training needs at least 2 labeled images (one is held out to measure the "
                f"model); {folder.name} has {n}. Label some more images first."
            )
        elif not classes:
            problem = "None of the labeled images has objects of a class; label some objects."
        text = f"<b>{folder.name if folder else 'No folder'}</b>: {n} labeled image(s)"
        if classes:
            text += f"; classes: {', '.join(classes)}"
            if len(classes) == 1:
                text += f" (the model learns to tell {classes[0]!r} from the background)"
        self.dialog.data_label.setText(text)
        if problem:
            self.dialog.message.show_message(problem, "warning")
        elif self.dialog.message.property("level") == "warning":
            self.dialog.message.hide()
        self.dialog.set_running(self.is_training(), can_train=not problem)
        return not problem

    def open_dialog(self) -> TrainingDialog:
        if self.dialog is None:
            d = self.dialog = TrainingDialog(self.window)
            d.train_button.clicked.connect(self.start)
            d.stop_button.clicked.connect(self.finish_early)
            d.cancel_button.clicked.connect(self.cancel)
        self.refresh_summary()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    # -- training ------------------------------------------------------------------------------
    def start(self) -> int | None:
        """Train on the open folder with the dialog's settings; returns the request id."""
        d = self.open_dialog() if self.dialog is None else self.dialog
        if self.is_training():
            return self._rid
        s = self.window.session
        unsaved = ""
        if s.doc is not None and s.doc.is_dirty():
            if s.autosave and not s.read_only:
                s.save()
            else:
                unsaved = "Unsaved changes to the open image are not included; save them first."
        folder, classes, _n = self.training_data()
        if not self.refresh_summary() or folder is None:
            return None
        config: dict[str, Any] = {
            "arch": {"arch": d.arch.currentData()},
            "max_steps": d.steps.value(),
            "patience": PATIENCE if d.early.isChecked() else 0,
            "threads": gui_threads(),
            **self.config,
        }
        config["val_every"] = min(int(config.get("val_every", 100)), config["max_steps"])
        job = TrainJob(folder, classes, folder / MODEL_PATH, config, device=d.device.currentData())
        self._val = {"patience": config["patience"], "best": None, "best_step": 0, "since": 0}
        d.plot.reset({c: s.classes.color_of(c) for c in classes})
        d.log.clear()
        if unsaved:
            d.append(unsaved)
        d.result.clear()
        d.message.hide()
        d.progress.setValue(0)
        d.status.setText("Starting…")
        d.early_label.setText(self._early_text())
        host = self.worker_host()
        host.worker.steps_done = 0  # no job of this worker trains now: safe to reset here
        self._rid = host.submit(
            "train", job, key="train", on_result=self._on_outcome, on_error=self._on_error,
            on_progress=self._on_progress,
        )  # fmt: skip
        d.set_running(True)
        return self._rid

    def cancel(self) -> None:
        """Stop after the current step; nothing is saved."""
        if self._rid is not None and self.host is not None:
            self.host.cancel(self._rid)
            if self.dialog is not None:
                self.dialog.status.setText("Cancelling after this step…")

    def finish_early(self) -> None:
        """Stop after the current step and save the best weights so far."""
        if self._rid is not None and self.host is not None:
            self.host.worker.finish_early(self._rid)
            if self.dialog is not None:
                self.dialog.status.setText("Stopping after this step, then saving…")

    @Slot(int, object)
    def _on_event(self, rid: int, ev: Any) -> None:
        d = self.dialog
        if rid != self._rid or d is None or self.host is None or not self.host.is_current(rid):
            return
        if ev.kind == "note":
            d.append(ev.message)
        elif ev.kind == "step":
            d.plot.add_step(ev.step, ev.loss)
            rate = ev.step / ev.elapsed if ev.elapsed > 0 else 0.0
            d.status.setText(
                f"Step {ev.step} of {ev.total_steps} · loss {ev.loss:.3f} · {rate:.1f} steps/s · "
                f"{int(ev.elapsed) // 60}:{int(ev.elapsed) % 60:02d}"
            )
        elif ev.kind == "validation":
            d.plot.add_validation(ev.step, ev.mean_iou, ev.iou or {}, ev.best)
            v = self._val
            if ev.best:
                v.update(best=ev.mean_iou, best_step=ev.step, since=0)
            else:
                v["since"] += 1
            per_class = ", ".join(
                f"{k} {x:.2f}"
                for k, x in (ev.iou or {}).items()
                if k != "background" and x is not None
            )
            d.append(f"step {ev.step}: validation IoU {ev.mean_iou:.3f} ({per_class})"
                     + (" — best so far" if ev.best else ""))  # fmt: skip
            d.early_label.setText(self._early_text())

    def _early_text(self) -> str:
        v = self._val
        if not v.get("patience"):
            head = "Early stop: off"
        else:
            head = f"Early stop: after {v['patience']} validations without improvement"
        if v.get("best") is None:
            return head
        return (f"{head} · best mean IoU {v['best']:.3f} at step {v['best_step']} · "
                f"{v['since']} validation(s) since")  # fmt: skip

    def _on_progress(self, fraction: float, text: str) -> None:
        if self.dialog is not None:
            self.dialog.progress.setValue(round(1000 * fraction))
            if not text.startswith("step "):
                self.dialog.status.setText(text[:1].upper() + text[1:] + "…")

    def _on_outcome(self, out: TrainOutcome) -> None:
        self._rid = None
        self.outcome = out
        d = self.dialog
        why = {
            "max_steps": "all steps done",
            "early_stopping": "stopped early: validation IoU stopped improving",
            "stopped": "stopped by you",
        }.get(out.stopped, out.stopped)
        m = out.metrics
        scores = ", ".join(
            f"{k} {v:.3f}"
            for k, v in m.get("iou", {}).items()
            if k != "background" and v is not None
        )
        summary = f"Trained in {out.seconds:.0f} s ({out.steps} steps, {why}) on {out.train_images} image(s); "
        if m:
            summary += (
                f"held-out IoU {scores or '-'} (mean {m.get('mean_iou', 0):.3f}, Dice "
                f"{m.get('mean_dice', 0):.3f}) at step {m.get('step', '-')}."
            )
        else:
            summary += "held-out scores not measured (stopped before the first validation)."
        if d is not None:
            d.plot.refresh()
            d.progress.setValue(1000)
            d.status.setText(f"Done: {why}")
            d.early_label.setText(self._early_text())
            d.result.setText(
                f"{summary}<br>Saved to <b>{out.weights}</b> (+ {out.sidecar.name}). "
                "Auto-segment uses it for this folder."
            )
            d.set_running(False)
            self.refresh_summary()
        score = f"held-out mean IoU {m['mean_iou']:.3f}; " if m else ""
        self.window.show_message(f"Model trained ({score}{why}); saved to {out.weights}", "info")
        assist = getattr(self.window, "assist", None)
        if assist is not None and hasattr(assist, "load_model"):
            assist.load_model(out.sidecar)
        action = self.window.actions.actions.get(SORT_ID)
        if action is not None and action.isChecked():
            self.sort_by_uncertainty(True)  # the ranking of the old model is stale

    def _on_error(self, message: str) -> None:
        self._rid = None
        if self.dialog is not None:
            self.dialog.message.show_message(message, "error")
            self.dialog.status.setText("Training stopped: see the message above")
            self.dialog.set_running(False)
            self.refresh_summary()
        else:
            self.window.show_message(f"Training: {message}", "error")

    @Slot(int)
    def _on_cancelled(self, rid: int) -> None:
        if rid == self._rid:
            self._rid = None
            if self.dialog is not None:
                steps = self.host.worker.steps_done if self.host is not None else 0
                self.dialog.status.setText(f"Cancelled after step {steps}; nothing was saved")
                self.dialog.plot.refresh()
                self.refresh_summary()
        elif rid == self._rank_rid:
            self._end_ranking()

    # -- what to label next ----------------------------------------------------------------------
    def sort_by_uncertainty(self, on: bool | None = None) -> int | None:
        """Sort the files panel by the trained model's uncertainty (``on``) or by name again."""
        action = self.window.actions.actions.get(SORT_ID)
        on = (action.isChecked() if action is not None else True) if on is None else on
        if action is not None:
            action.setChecked(on)
        if not on:
            self.clear_order()
            return None
        from labeldesk.models.proposals import find_trained_model

        s = self.window.session
        model = find_trained_model(s.folder)
        todo = [p for p in s.navigator.images if s.states.get(p) is None
                or s.states[p].state in (UNLABELED, EMPTY)]  # fmt: skip
        problem = (
            "Open a folder first" if s.folder is None
            else "Wait until training has finished" if self.is_training()
            else "No trained model in this folder yet: use Tools ▸ Train Model… first" if model is None
            else "Every image is labeled: nothing to sort" if not todo else ""
        )  # fmt: skip
        if problem:
            self.window.show_message(problem, "warning")
            if action is not None:
                action.setChecked(False)
            return None
        self.rank_progress.setValue(0)
        self.rank_progress.setFormat("Ranking… %p %")
        self.rank_progress.show()
        self.rank_cancel.show()
        self._rank_rid = self.worker_host().submit(
            "rank", model, todo, s.classes.names() or None, key="rank",
            on_result=self._on_ranking, on_error=self._on_rank_error,
            on_progress=lambda f, _t: self.rank_progress.setValue(round(1000 * f)),
        )  # fmt: skip
        return self._rank_rid

    def cancel_ranking(self) -> None:
        if self._rank_rid is not None and self.host is not None:
            self.host.cancel(self._rank_rid)
        self._end_ranking()
        self.clear_order()

    def _end_ranking(self) -> None:
        self._rank_rid = None
        self.rank_progress.hide()
        self.rank_cancel.hide()

    def _on_ranking(self, ranking: Any) -> None:
        self._end_ranking()
        scores = ranking.as_dict()
        self.apply_order(scores)
        text = f"Unlabeled images sorted by the model's uncertainty, most uncertain first ({len(scores)})"
        if ranking.scores:
            top, score = ranking.scores[0]
            text += f"; label {top.name} next ({score:.2f})"
        if ranking.failed:
            path, why = ranking.failed[0]
            text += f". {len(ranking.failed)} image(s) could not be scored: {why}"
        self.window.show_message(text, "warning" if ranking.failed else "info")

    def _on_rank_error(self, message: str) -> None:
        self._end_ranking()
        self.clear_order()
        self.window.show_message(f"Sort by uncertainty: {message}", "error")

    def apply_order(self, scores: dict[Path, float]) -> None:
        """Sort the files panel by ``scores`` (highest first); other images go last."""
        files = self.window.files
        for row in range(files.model.rowCount()):
            item = files.model.item(row)
            score = scores.get(item.data(PATH_ROLE))
            item.setData(-1.0 if score is None else float(score), RANK_ROLE)
            if score is not None:
                item.setToolTip(f"{item.text()}: not labeled yet · model uncertainty {score:.3f}")
        files.proxy.setSortRole(RANK_ROLE)
        files.proxy.sort(0, Qt.SortOrder.DescendingOrder)
        files.view.scrollToTop()

    def clear_order(self) -> None:
        """Back to the folder's order."""
        files = self.window.files
        files.proxy.sort(-1)
        files.proxy.setSortRole(Qt.ItemDataRole.DisplayRole)
        action = self.window.actions.actions.get(SORT_ID)
        if action is not None:
            action.setChecked(False)

    def _listing_changed(self) -> None:
        if self._rank_rid is not None and self.host is not None:
            self.host.cancel(self._rank_rid)
            self._end_ranking()
        self.clear_order()
        self.refresh_summary()


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
    window.training = ctl
    return ctl
