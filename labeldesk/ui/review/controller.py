"""Review mode: the open folder ("mine") against a second label set ("theirs").

Tools ▸ Compare With Folder… picks a folder of labelme JSON for the same images (another
person's labels, ``labeldesk prelabel`` output). Then:

* the whole folder is compared in a worker thread (:func:`labeldesk.io.compare.compare_folders`
  on the files on disk); Tools ▸ Sort Files by Disagreement lists the images lowest Dice
  first (the files panel's :meth:`~labeldesk.ui.panels.files.FilesPanel.set_sort_scores`);
* the current image is compared with its live document (again in the worker, after every
  edit): the differences show on the canvas as a translucent overlay (red only mine, blue
  only theirs, orange another class) and in the Review dock with the per-class scores;
* "Take Theirs" on a difference is one undoable step through the document's commands: an
  object only in theirs is added, one only in mine is removed, a pair whose outlines differ
  gets their shapes in place of mine. "Keep Mine" leaves the document as it is and takes
  the difference off the list for this image.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFileDialog

from labeldesk.io.compare.core import Comparison, compare_folders
from labeldesk.io.compare.review import ImageReview, review_image
from labeldesk.ui.actions import ActionSpec
from labeldesk.ui.folder import json_path_for
from labeldesk.ui.review.panel import ReviewPanel, differences, key_of
from labeldesk.ui.workers.base import Worker, WorkerHost
from labeldesk.ui.workers.lifetime import stop_on_close

OVERLAY = "review"
SORT_ID = "review.sort"


class ReviewController(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.other: Path | None = None
        self.comparison: Comparison | None = None
        self.current: ImageReview | None = None
        self.diffs: list[dict] = []
        self._state: tuple | None = None  # the document state the current review is of
        self._dismissed: dict[str, set[tuple]] = {}
        self.host: WorkerHost | None = None
        self._doc = None
        self.panel = ReviewPanel(window)
        self.dock = QDockWidget("Review", window)
        self.dock.setObjectName("dock.review")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        window.docks["review"] = self.dock
        window.actions.menus["View"].addAction(self.dock.toggleViewAction())
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.refresh_image)
        self.panel.take_theirs.connect(self.take_theirs)
        self.panel.keep_mine.connect(self.keep_mine)
        self.panel.picked.connect(self.show_difference)
        window.session.loaded.connect(self._on_loaded)
        self._add_actions()
        self._lifetime = stop_on_close(window, self.stop)

    def _add_actions(self) -> None:
        manager = self.window.actions
        for spec in (
            ActionSpec(
                "review.compare",
                "Compare With &Folder…",
                "Tools",
                lambda w: self.choose_folder(),
                icon="mdi6.compare-horizontal",
                tip="Review: compare this folder's labels with another folder of labelme JSON",
                section=8,
            ),
            ActionSpec(
                SORT_ID,
                "Sort Files by &Disagreement",
                "Tools",
                lambda w: self._toggle_sort(),
                checkable=True,
                section=8,
            ),
            ActionSpec("review.end", "End Review", "Tools", lambda w: self.end(), section=8),
        ):
            manager.add(spec)

    def _toggle_sort(self) -> None:
        self.sort_by_disagreement()

    # -- worker --------------------------------------------------------------------------------
    def worker_host(self) -> WorkerHost:
        if self.host is None:
            self.host = WorkerHost(Worker(), name="review", parent=self)
        return self.host

    def stop(self) -> None:
        self._timer.stop()
        if self.host is not None:
            self.host.stop()
            self.host = None

    # -- starting and ending a review ------------------------------------------------------------
    def choose_folder(self) -> None:
        start = str(self.other or self.window.session.folder or Path.home())
        folder = QFileDialog.getExistingDirectory(self.window, "Compare with folder", start)
        if folder:
            self.compare_with(folder)

    def compare_with(self, folder: str | Path) -> int | None:
        """Start reviewing against ``folder``; returns the folder comparison's request id."""
        s = self.window.session
        other = Path(folder)
        problem = (
            "Open a folder first" if s.folder is None
            else f"{other}: not a folder" if not other.is_dir()
            else "Choose another folder than the open one" if other.resolve() == s.folder.resolve()
            else ""
        )  # fmt: skip
        if problem:
            self.window.show_message(f"Compare: {problem}", "warning")
            return None
        bar = self.window.message_bar
        if bar.isVisible() and bar.text().startswith("Compare: "):
            bar.hide()  # an earlier complaint (the same folder, say) is answered now
        self.other, self.comparison = other, None
        self._dismissed.clear()
        self.panel.set_source(f"Comparing with {other} (whole folder: comparing…)")
        self.dock.show()
        rid = self.worker_host().submit(
            compare_folders, s.folder, other, key="review-folder",
            on_result=self._on_folder, on_error=self._on_folder_error,
        )  # fmt: skip
        self.refresh_image()
        return rid

    def end(self) -> None:
        """Leave review mode: overlay off, folder order back."""
        if self.host is not None:
            self.host.cancel_key("review-folder")
            self.host.cancel_key("review-image")
        self.other, self.comparison, self.current, self.diffs = None, None, None, []
        self.window.canvas.set_overlay(OVERLAY, None)
        self.panel.set_result(None, [])
        self.panel.set_source("No review: Tools ▸ Compare With Folder…")
        self.sort_by_disagreement(False)
        self.dock.hide()

    def _on_folder(self, comparison: Comparison) -> None:
        self.comparison = comparison
        n, bad = len(comparison.images), len(comparison.failed)
        pan = comparison.panoptic()
        text = f"Comparing with {self.other}: {n} images"
        if not math.isnan(pan["pq"]):
            text += f", PQ {pan['pq']:.3f}"
        if bad:
            text += f"; {bad} file(s) could not be compared ({comparison.failed[0][1]})"
        self.panel.set_source(text)
        action = self.window.actions.actions.get(SORT_ID)
        if action is not None and action.isChecked():
            self.sort_by_disagreement(True)

    def _on_folder_error(self, message: str) -> None:
        self.panel.set_source(f"Comparing with {self.other}: {message}")
        self.window.show_message(f"Compare: {message}", "error")

    def sort_by_disagreement(self, on: bool | None = None) -> bool:
        """Files panel lowest Dice first (``on``) or the folder's order; False when there is
        no finished comparison to sort by (the sort follows when it finishes)."""
        action = self.window.actions.actions.get(SORT_ID)
        on = (action.isChecked() if action is not None else True) if on is None else on
        if action is not None:
            action.setChecked(on)
        if not on:
            self.window.files.set_sort_scores(None)
            return True
        if self.comparison is None:
            if self.other is None:
                self.window.show_message("Compare with a folder first", "warning")
                if action is not None:
                    action.setChecked(False)
            return False
        scores = {}
        for path in self.window.session.navigator.images:
            result = self.comparison.images.get(json_path_for(path).name)
            if result is not None and not math.isnan(result.worst_dice()):
                scores[path] = 1.0 - result.worst_dice()
        self.window.files.set_sort_scores(scores, label="disagreement (1 - lowest Dice)")
        return True

    # -- the current image -------------------------------------------------------------------------
    def _on_loaded(self) -> None:
        doc = self.window.session.doc
        if self._doc is not None:
            self._doc.changed.disconnect(self._on_doc)
        self._doc = doc
        if doc is not None:
            doc.changed.connect(self._on_doc)
        self.window.canvas.set_overlay(OVERLAY, None)
        self.current, self.diffs = None, []
        self.panel.set_result(None, [])
        self.refresh_image()

    def _on_doc(self, _ev: Any) -> None:
        if self.other is not None:
            self._timer.start()

    def refresh_image(self) -> int | None:
        """Compare the current image's live document with theirs (in the worker)."""
        s = self.window.session
        doc, item = s.doc, s.item
        if self.other is None or doc is None or item is None:
            return None
        name = json_path_for(item.path).name
        size = (doc.image_height, doc.image_width)
        shapes = [shape.copy() for shape in doc.shapes]
        state = doc.state()
        return self.worker_host().submit(
            review_image, name, size, shapes, self.other / name, key="review-image",
            on_result=lambda review: self._on_image(review, state),
            on_error=lambda message: self.window.show_message(f"Review: {message}", "error"),
        )  # fmt: skip

    def _on_image(self, review: ImageReview, state: tuple) -> None:
        doc = self.window.session.doc
        if doc is None or review.result.name != json_path_for(self.window.session.item.path).name:
            return
        self.current, self._state = review, state
        if self.comparison is not None and review.result.name in self.comparison.images:
            self.comparison.images[review.result.name] = review.result  # the live scores
        dismissed = self._dismissed.get(review.result.name, set())
        self.diffs = [d for d in differences(review.result) if key_of(d) not in dismissed]
        self.window.canvas.set_overlay(OVERLAY, review.rgba, review.x0, review.y0)
        self.panel.set_result(review.result, self.diffs)
        if review.note:
            self.window.show_message(f"Review: {review.note}", "status")

    def is_current(self) -> bool:
        """The review shown is of the document as it is now (no edit since)."""
        doc = self.window.session.doc
        return self.current is not None and doc is not None and doc.state() == self._state

    def show_difference(self, diff: dict) -> None:
        """Centre the canvas on my object of the difference (when I have one)."""
        doc = self.window.session.doc
        if doc is None or not diff["mine"] or not self.is_current():
            return
        index = diff["mine"]["shapes"][0]
        if 0 <= index < len(doc.shapes):
            self.window.canvas.center_on_object(doc.shapes[index].uid)

    # -- decisions ----------------------------------------------------------------------------------
    def take_theirs(self, diff: dict) -> bool:
        """Make mine like theirs for this difference: one undo step."""
        doc = self.window.session.doc
        if doc is None or self.current is None:
            return False
        if not self.is_current():
            self.window.show_message("Review: the comparison is being updated, try again", "status")
            self.refresh_image()
            return False
        mine = sorted(diff["mine"]["shapes"]) if diff["mine"] else []
        theirs = [self.current.theirs[i].copy(new_uid=True) for i in diff["theirs"]["shapes"]] if diff["theirs"] else []  # fmt: skip
        with doc.group(f"Take theirs: {diff['class']}"):
            if mine:
                doc.remove_shapes(mine)
            at = mine[0] if mine else len(doc.shapes)
            for k, shape in enumerate(theirs):
                doc.add_shape(shape, at + k)
        self.window.session.selection.prune(doc)
        self.refresh_image()
        return True

    def keep_mine(self, diff: dict) -> None:
        """Leave mine as it is; the difference leaves the list for this image."""
        if self.current is None:
            return
        name = self.current.result.name
        self._dismissed.setdefault(name, set()).add(key_of(diff))
        self.diffs = [d for d in self.diffs if key_of(d) != key_of(diff)]
        self.panel.set_result(self.current.result, self.diffs)
