"""The training controller: wires the training worker, the dialog and the window."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Slot

from labeldesk.ui.folder import LABELED
from labeldesk.ui.training.dialog import TrainingDialog
from labeldesk.ui.training.ranking import SORT_ID, RankingMixin
from labeldesk.ui.workers.base import WorkerHost
from labeldesk.ui.workers.lifetime import stop_on_close
from labeldesk.ui.workers.training import TrainingWorker, TrainJob, TrainOutcome

MODEL_PATH = Path(".labeldesk") / "model.pt"  # inside the project folder
SPECIAL = ("__ignore__", "_background_")
TRAIN_ID = "train.dialog"
PATIENCE = 6


def gui_threads() -> int:
    """CPU threads for training from the app: every core but one for the window (min 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, cores - 1) if cores > 2 else max(1, cores)


class TrainingController(QObject, RankingMixin):
    """Wires the training worker, the dialog, the files panel and the window's actions."""

    def __init__(self, window: Any, *, config: dict[str, Any] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.config = dict(config or {})  # overrides of the dialog's TrainConfig (tests, power use)
        self.host: WorkerHost | None = None
        self.dialog: TrainingDialog | None = None
        self.outcome: TrainOutcome | None = None
        self._rid: int | None = None
        self._val: dict[str, Any] = {}
        self._init_ranking(window)
        window.session.states_changed.connect(self.refresh_summary)
        window.session.navigator.listing_changed.connect(self._listing_changed)
        self._lifetime = stop_on_close(window, self._close_down)

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

    def _close_down(self) -> None:
        """The window closed or the app quits: hide the dialog, end the worker."""
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
        elif n < 1 or (n < 2 and self.dialog.arch.currentData() != "forest"):
            problem = (
                f"Training needs at least 2 labeled images (one is held out to measure the "
                f"model); {folder.name} has {n}. Label some more images first"
                + (" (the pixel classifier needs one)." if n == 0 else ".")
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
            from labeldesk.models.seg.budget import default_seconds, likely_device

            d.budget.setValue(int(default_seconds(likely_device("auto"))))
            for signal in (
                d.budget.valueChanged,
                d.steps.valueChanged,
                d.by_steps.toggled,
                d.device.currentIndexChanged,
                d.arch.currentIndexChanged,
            ):
                signal.connect(lambda *_: self.update_estimate())
            d.arch.currentIndexChanged.connect(lambda *_: self.refresh_summary())
            self.update_estimate()
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
        config = self.train_config()
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
            on_progress=lambda p: self._on_progress(p.fraction or 0.0, p.message),
        )  # fmt: skip
        d.set_running(True)
        return self._rid

    def train_config(self) -> dict[str, Any]:
        """The dialog's settings as a partial TrainConfig: by time (the budget) or by steps,
        with crop, batch, width and learning rate chosen for the device
        (:func:`labeldesk.models.seg.budget.auto_settings`); ``self.config`` overrides."""
        from labeldesk.models.seg.budget import auto_settings, likely_device

        d = self.dialog
        assert d is not None
        dev = likely_device(d.device.currentData())
        auto = auto_settings([], device_type=dev, threads=gui_threads())
        arch: dict[str, Any] = {"arch": d.arch.currentData()}
        if arch["arch"] == "unet":
            arch["width"] = auto["arch"]["width"]
        config: dict[str, Any] = {
            "arch": arch,
            "crop_size": auto["crop_size"],
            "batch_size": auto["batch_size"],
            "lr": auto["lr"],
            "patience": PATIENCE if d.early.isChecked() else 0,
            "threads": gui_threads(),
            **self.config,
        }
        if arch["arch"] == "forest":  # no network settings apply to it
            config["arch"] = arch
        if d.by_steps.isChecked():
            config["max_steps"] = d.steps.value()
            config["val_every"] = min(int(config.get("val_every", 100)), config["max_steps"])
        else:
            config["max_steps"] = 10**9
            config["max_seconds"] = float(d.budget.value())
        return config

    def update_estimate(self) -> None:
        """The line under the settings: how long training should take, and on what."""
        from labeldesk.models.seg.budget import estimate_seconds, format_seconds, likely_device
        from labeldesk.models.seg.config import TrainConfig

        d = self.dialog
        if d is None:
            return
        dev = likely_device(d.device.currentData())
        try:
            seconds = estimate_seconds(
                TrainConfig.from_dict(self.train_config()), device_type=dev, threads=gui_threads()
            )
        except Exception:  # a bad override in self.config: training will say what is wrong
            d.estimate.setText("")
            return
        if d.arch.currentData() == "forest":
            d.estimate.setText(
                "Estimate: a few seconds (features and a random forest, on the CPU; "
                "polygons and brush strokes both count)."
            )
            return
        where = {"cuda": "on the GPU", "mps": "on the Apple GPU"}.get(
            dev, f"on the CPU with {gui_threads()} thread(s)"
        )
        text = f"Estimate: about {format_seconds(seconds)} {where}."
        if dev == "cpu":
            text += (
                " No GPU found: training runs on the CPU, with small crops and a narrow "
                "network so that it makes many quick steps."
            )
        d.estimate.setText(text)

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
                self.dialog.status.setText("Stopping after this step, then validating and saving…")

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
            of = f"about {ev.total_steps}" if ev.budget else f"{ev.total_steps}"
            eta = ev.eta
            left = f" · ETA {int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None else ""
            d.status.setText(
                f"Step {ev.step} of {of} · loss {ev.loss:.3f} · {rate:.1f} steps/s · "
                f"{int(ev.elapsed) // 60}:{int(ev.elapsed) % 60:02d}{left}"
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
            "time": "time budget spent",
            "forest": "pixel classifier fitted",
        }.get(out.stopped, out.stopped)
        m = out.metrics
        scores = ", ".join(
            f"{k} {v:.3f}"
            for k, v in m.get("iou", {}).items()
            if k != "background" and v is not None
        )
        summary = f"Trained in {out.seconds:.0f} s ({out.steps} steps, {why}) on {out.train_images} image(s); "
        if out.stopped == "forest":
            summary = f"Trained in {out.seconds:.1f} s ({why}) on {out.train_images + out.val_images} image(s); "
        if m:
            summary += (
                f"held-out IoU {scores or '-'} (mean {m.get('mean_iou', 0):.3f}, Dice "
                f"{m.get('mean_dice', 0):.3f}) at step {m.get('step', '-')}."
            )
        else:
            summary += (
                "saved before any validation: no held-out scores yet (this is not an IoU of 0)."
            )
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
            assist.load_model(out.sidecar, folder=out.weights.parent.parent)  # see MODEL_PATH
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

    def _listing_changed(self) -> None:
        if self._rank_rid is not None and self.host is not None:
            self.host.cancel(self._rank_rid)
            self._end_ranking()
        self.clear_order()
        self.refresh_summary()
