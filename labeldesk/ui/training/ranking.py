"""What to label next: sort the files panel by the trained model's uncertainty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QProgressBar, QToolButton

from labeldesk.ui.folder import EMPTY, UNLABELED
from labeldesk.ui.workers.base import WorkerHost

SORT_ID = "train.sort_uncertainty"


class RankingMixin:
    """Tools ▸ Sort Files by Uncertainty, for :class:`.controller.TrainingController`: the
    ranking runs in the training worker; the files panel shows the result
    (:meth:`~labeldesk.ui.panels.files.FilesPanel.set_sort_scores`)."""

    window: Any
    host: WorkerHost | None
    _rank_rid: int | None

    def worker_host(self) -> WorkerHost:
        raise NotImplementedError

    def is_training(self) -> bool:
        raise NotImplementedError

    def _init_ranking(self, window: Any) -> None:
        """The status-bar progress and Cancel of a ranking (hidden until one runs)."""
        self._rank_rid = None
        self.rank_progress = QProgressBar(window)
        self.rank_progress.setRange(0, 1000)
        self.rank_progress.setMaximumWidth(200)
        self.rank_cancel = QToolButton(window)
        self.rank_cancel.setText("Cancel")
        self.rank_cancel.clicked.connect(self.cancel_ranking)
        for w in (self.rank_progress, self.rank_cancel):
            window.statusBar().addPermanentWidget(w)
            w.hide()

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
            on_progress=lambda p: self.rank_progress.setValue(round(1000 * (p.fraction or 0))),
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
        self.window.files.set_sort_scores(scores, label="model uncertainty")

    def clear_order(self) -> None:
        """Back to the folder's order."""
        self.window.files.set_sort_scores(None)
        action = self.window.actions.actions.get(SORT_ID)
        if action is not None:
            action.setChecked(False)
