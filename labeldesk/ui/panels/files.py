"""The files panel: the folder's images with their labeled / unlabeled state and a filter.

An image whose objects include machine-made ones not reviewed yet (auto-segment, prelabel,
see :mod:`labeldesk.core.machine`) shows as "to review" until a person saves it.

It lists the images in folder order, or sorted by per-image scores
(:meth:`FilesPanel.set_sort_scores`, e.g. the trained model's uncertainty); ``order_changed``
tells the navigator, so next / previous image follow the order shown.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from labeldesk.ui import icons
from labeldesk.ui.folder import BAD, EMPTY, IMAGE_UNREADABLE, LABELED, UNLABELED, FileState

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
ORDER_ROLE = Qt.ItemDataRole.UserRole + 3  # position in the sorted order (int)
DAMAGE_ROLE = Qt.ItemDataRole.UserRole + 4  # why the image is incomplete, or None
REVIEW = "review"  # labeled, with machine-made objects no person has saved yet
STATE_ICONS = {
    LABELED: ("mdi6.check-circle", "#2da44e"),
    REVIEW: ("mdi6.eye-check-outline", "#0969da"),
    EMPTY: ("mdi6.circle-outline", "#d29922"),
    UNLABELED: ("mdi6.circle-outline", "#8c959f"),
    BAD: ("mdi6.alert-circle-outline", "#e5484d"),
}
SHOW = ("All images", "Unlabeled", "Labeled", "Problems", "To review")


class _Filter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.states: set[str] | None = None
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        if self.states is not None:
            index = self.sourceModel().index(row, 0, parent)
            if index.data(STATE_ROLE) not in self.states:
                return False
        return super().filterAcceptsRow(row, parent)


class FilesPanel(QWidget):
    """Signals ``activated(path)`` when the user picks an image (click or Enter), and
    ``order_changed(paths)`` when the sort order changes: every image in the order shown, or
    None for the folder's order."""

    activated = Signal(object)
    order_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QStandardItemModel(self)
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.model)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter by name…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.show_combo = QComboBox(self)
        self.show_combo.addItems(SHOW)
        self.show_combo.currentIndexChanged.connect(self._set_states)
        self.view = QListView(self)
        self.view.setModel(self.proxy)
        self.view.setUniformItemSizes(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.activated.connect(self._activated)
        self.view.clicked.connect(self._activated)
        self.summary = QLabel(self)
        self.summary.setObjectName("muted")
        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 0)
        top.addWidget(self.filter, 1)
        top.addWidget(self.show_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        self._items: dict[Path, QStandardItem] = {}  # in folder order
        self._details: dict[Path, str] = {}  # the state part of each tooltip
        self._scores: dict[Path, float] | None = None
        self._score_label = ""
        self._order: list[Path] | None = None

    def set_images(self, images: list[Path]) -> None:
        """List ``images`` in this (folder) order; any sort by scores ends."""
        was_sorted = self._order is not None
        self._scores, self._order = None, None
        self.proxy.sort(-1)
        self.proxy.setSortRole(Qt.ItemDataRole.DisplayRole)
        self.model.clear()
        self._items.clear()
        self._details.clear()
        for path in images:
            item = QStandardItem(path.name)
            item.setData(path, PATH_ROLE)
            item.setEditable(False)
            self.model.appendRow(item)
            self._items[path] = item
        self._update_summary()
        if was_sorted:
            self.order_changed.emit(None)

    def set_state(self, path: Path, state: FileState, *, summary: bool = True) -> None:
        item = self._items.get(path)
        if item is None:
            return
        shown = REVIEW if state.state == LABELED and state.machine else state.state
        icon, color = STATE_ICONS[shown]
        item.setIcon(icons.icon(icon, color=color))
        item.setData(shown, STATE_ROLE)
        detail = {
            LABELED: f"{state.count} object{'s' if state.count != 1 else ''}",
            REVIEW: f"{state.count} object{'s' if state.count != 1 else ''}, to review: "
            f"{state.machine} machine-made (saving the image reviews them)",
            EMPTY: "annotation file with no objects",
            UNLABELED: "not labeled yet",
            BAD: state.message
            if state.message.startswith(IMAGE_UNREADABLE)
            else f"cannot read its annotation: {state.message}",
        }[shown]
        if state.damage:  # the image itself is incomplete: say so in the panel too
            detail += f"; the image is damaged: {state.damage}"
        item.setData(state.damage or None, DAMAGE_ROLE)
        item.setForeground(QColor("#d4761b") if state.damage else QBrush())
        self._details[path] = detail
        self._set_tooltip(path)
        if summary:
            self._update_summary()

    def set_states(self, states: dict[Path, FileState]) -> None:
        for path, state in states.items():
            self.set_state(path, state, summary=False)
        self._update_summary()

    def set_current(self, path: Path | None) -> None:
        item = self._items.get(path) if path is not None else None
        if item is None:
            return
        index = self.proxy.mapFromSource(item.index())
        if index.isValid():
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)

    # -- sorting by scores ---------------------------------------------------------------------
    def set_sort_scores(
        self, scores: dict[Path, float] | None, *, label: str = "sort score"
    ) -> None:
        """List the images by ``scores`` (highest first; images without a finite score
        after them, in folder order), each score shown in its tooltip as ``label``; None
        restores the folder's order. Emits ``order_changed``."""
        if scores is None:
            if self._order is None:
                return
            self._scores, self._order = None, None
            self.proxy.sort(-1)
            self.proxy.setSortRole(Qt.ItemDataRole.DisplayRole)
        else:
            kept = {p: float(v) for p, v in scores.items() if p in self._items and math.isfinite(v)}
            self._scores, self._score_label = kept, label
            ranked = sorted((p for p in self._items if p in kept), key=lambda p: -kept[p])
            self._order = ranked + [p for p in self._items if p not in kept]
            for i, path in enumerate(self._order):
                self._items[path].setData(i, ORDER_ROLE)
            self.proxy.setSortRole(ORDER_ROLE)
            self.proxy.sort(0, Qt.SortOrder.AscendingOrder)
            self.view.scrollToTop()
        for path in self._items:
            self._set_tooltip(path)
        self.order_changed.emit(None if self._order is None else list(self._order))

    def sort_order(self) -> list[Path] | None:
        """Every image in the sorted order shown (whatever the filter hides), or None when
        the panel lists the folder's order."""
        return None if self._order is None else list(self._order)

    def sort_score(self, path: Path) -> float | None:
        """``path``'s score in the current sort, or None."""
        return None if self._scores is None else self._scores.get(path)

    def _set_tooltip(self, path: Path) -> None:
        item = self._items[path]
        text = f"{path.name}: {self._details.get(path, 'not read yet')}"
        score = self.sort_score(path)
        if score is not None:
            text += f" · {self._score_label} {score:.3f}"
        item.setToolTip(text)

    def damage_of(self, path: Path) -> str | None:
        """Why the image shows incomplete (truncated file), or None."""
        item = self._items.get(path)
        return item.data(DAMAGE_ROLE) if item is not None else None

    def state_of(self, path: Path) -> str | None:
        item = self._items.get(path)
        return item.data(STATE_ROLE) if item is not None else None

    def visible_names(self) -> list[str]:
        return [self.proxy.index(r, 0).data() for r in range(self.proxy.rowCount())]

    def _update_summary(self) -> None:
        n = self.model.rowCount()
        done = sum(1 for it in self._items.values() if it.data(STATE_ROLE) in (LABELED, REVIEW))
        review = sum(1 for it in self._items.values() if it.data(STATE_ROLE) == REVIEW)
        more = f", {review} to review" if review else ""
        self.summary.setText(f"  {done} of {n} images labeled{more}")

    def _set_states(self, choice: int) -> None:
        self.proxy.beginFilterChange()
        choices = [None, {UNLABELED, EMPTY}, {LABELED, REVIEW}, {BAD}, {REVIEW}]
        self.proxy.states = choices[choice]
        self.proxy.endFilterChange()

    def _activated(self, index: QModelIndex) -> None:
        path = index.data(PATH_ROLE)
        if path is not None:
            self.activated.emit(path)
