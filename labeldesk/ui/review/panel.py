"""The Review dock: per-class scores of the current image and its list of differences."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labeldesk.io.compare.core import ImageResult
from labeldesk.io.compare.report import fmt
from labeldesk.io.compare.review import ONLY_MINE, ONLY_THEIRS, OTHER_CLASS

DIFF_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("class", "Dice", "IoU", "HD95", "ASSD")


def differences(result: ImageResult, *, agree: float = 0.98) -> list[dict]:
    """What differs in one image, worst first: objects only in mine, only in theirs, and
    matched pairs whose IoU is below ``agree`` (boundary disagreements)."""
    out: list[dict] = []
    for o in result.missed:
        out.append({"kind": "mine", "class": o["class"], "mine": o, "theirs": None, "iou": 0.0})
    for o in result.extra:
        out.append({"kind": "theirs", "class": o["class"], "mine": None, "theirs": o, "iou": 0.0})
    for m in result.matches:
        if m["iou"] < agree:
            out.append(
                {"kind": "pair", "class": m["class"], "mine": m["ref"], "theirs": m["test"],
                 "iou": m["iou"]}
            )  # fmt: skip
    out.sort(key=lambda d: (d["iou"], d["class"]))
    return out


def key_of(diff: dict) -> tuple:
    """A difference's identity within its image (for "keep mine")."""
    mine = tuple(diff["mine"]["shapes"]) if diff["mine"] else ()
    theirs = tuple(diff["theirs"]["shapes"]) if diff["theirs"] else ()
    return diff["kind"], mine, theirs


def describe(diff: dict) -> str:
    name = diff["class"]
    if diff["kind"] == "mine":
        return f"only in mine: {name} (shape {', '.join(map(str, diff['mine']['shapes']))})"
    if diff["kind"] == "theirs":
        return f"only in theirs: {name}"
    return f"outline differs: {name}, IoU {diff['iou']:.2f}"


class ReviewPanel(QWidget):
    """Emits ``take_theirs(diff)`` / ``keep_mine(diff)`` for the selected difference."""

    take_theirs = Signal(object)
    keep_mine = Signal(object)
    picked = Signal(object)  # the difference selected in the list

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QLabel("No review: Tools ▸ Compare With Folder…", self)
        self.source.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list = QListWidget(self)
        self.take_button = QPushButton("Take Theirs", self)
        self.keep_button = QPushButton("Keep Mine", self)
        self.take_button.clicked.connect(lambda: self._emit(self.take_theirs))
        self.keep_button.clicked.connect(lambda: self._emit(self.keep_mine))
        self.list.currentRowChanged.connect(self._on_row)
        self.legend = QLabel(
            f"<span style='color:rgb{ONLY_MINE}'>■</span> only mine "
            f"<span style='color:rgb{ONLY_THEIRS}'>■</span> only theirs "
            f"<span style='color:rgb{OTHER_CLASS}'>■</span> other class",
            self,
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.take_button)
        buttons.addWidget(self.keep_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for w in (self.source, self.table, self.legend, self.list):
            layout.addWidget(w)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_source(self, text: str) -> None:
        self.source.setText(text)

    def set_result(self, result: ImageResult | None, diffs: list[dict]) -> None:
        """Show one image's per-class scores and differences (None: clear)."""
        self.table.setRowCount(0)
        self.list.clear()
        if result is not None:
            rows = sorted(result.classes.items(), key=lambda kv: (kv[1].dice, kv[0]))
            self.table.setRowCount(len(rows))
            for r, (name, s) in enumerate(rows):
                values = (name, fmt(s.dice), fmt(s.iou), fmt(s.hausdorff95, 2), fmt(s.assd, 2))
                for c, v in enumerate(values):
                    cell = QTableWidgetItem(v)
                    if c and not math.isnan(s.dice) and s.dice < 0.9:
                        cell.setForeground(QColor(200, 40, 40))
                    self.table.setItem(r, c, cell)
            for d in diffs:
                entry = QListWidgetItem(describe(d))
                entry.setData(DIFF_ROLE, d)
                self.list.addItem(entry)
            if diffs:
                self.list.setCurrentRow(0)
        self._update_buttons()

    def selected(self) -> dict | None:
        item = self.list.currentItem()
        return None if item is None else item.data(DIFF_ROLE)

    def scores(self) -> dict[str, str]:
        """Class -> Dice text as shown (for tests and screen readers)."""
        out = {}
        for r in range(self.table.rowCount()):
            name, dice = self.table.item(r, 0), self.table.item(r, 1)
            if name is not None and dice is not None:
                out[name.text()] = dice.text()
        return out

    def _emit(self, signal) -> None:  # type: ignore[no-untyped-def]
        diff = self.selected()
        if diff is not None:
            signal.emit(diff)

    def _on_row(self, _row: int) -> None:
        self._update_buttons()
        diff = self.selected()
        if diff is not None:
            self.picked.emit(diff)

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        self.take_button.setEnabled(has)
        self.keep_button.setEnabled(has)
