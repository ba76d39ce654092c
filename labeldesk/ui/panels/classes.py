"""The classes panel: name, colour, hotkey and object count in this image, per class.

Clicking a row makes that class the active one (new objects take it). The buttons ask the
window to add, rename, recolour or delete a class; the window does the work (a rename goes
through every annotation file of the folder) and calls :meth:`ClassesPanel.refresh`.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labeldesk.core.classes import ClassCatalogue
from labeldesk.ui import icons
from labeldesk.ui.panels.common import swatch

BUTTONS = (
    ("add", "mdi6.tag-plus-outline", "Add a class…"),
    ("rename", "mdi6.pencil-outline", "Rename the class in every file of the folder…"),
    ("recolor", "mdi6.palette-outline", "Change the class colour…"),
    ("delete", "mdi6.delete-outline", "Delete the class (only when no object uses it)"),
)


class ClassesPanel(QWidget):
    """Signals: ``chosen(name)`` (row clicked), ``requested(verb, name)`` with ``verb`` one of
    ``"add"``, ``"rename"``, ``"recolor"``, ``"delete"`` (name "" for add)."""

    chosen = Signal(str)
    requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Class", "Key", "Here"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemClicked.connect(
            lambda item, _c: self.chosen.emit(item.data(0, Qt.ItemDataRole.UserRole))
        )
        self.tree.itemDoubleClicked.connect(
            lambda item, _c: self.requested.emit("rename", item.data(0, Qt.ItemDataRole.UserRole))
        )
        self.buttons: dict[str, QToolButton] = {}
        row = QHBoxLayout()
        row.setContentsMargins(4, 2, 4, 4)
        for verb, icon, tip in BUTTONS:
            b = QToolButton(self)
            b.setObjectName(f"classes.{verb}")
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.setIconSize(QSize(18, 18))
            b.setProperty("icon_name", icon)
            b.clicked.connect(
                lambda _=False, v=verb: self.requested.emit(v, "" if v == "add" else self.current())
            )
            row.addWidget(b)
            self.buttons[verb] = b
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addLayout(row)
        self.active = ""
        self.counts: Counter = Counter()

    def set_icon_color(self, color: str) -> None:
        for b in self.buttons.values():
            b.setIcon(icons.icon(b.property("icon_name"), color=color))

    def current(self) -> str:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else self.active

    def refresh(self, classes: ClassCatalogue, counts: Counter, active: str) -> None:
        """Show ``classes`` with ``counts`` (objects per label in this image), ``active`` bold."""
        self.active, self.counts = active, counts
        self.tree.clear()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for cls in classes:
            item = QTreeWidgetItem([cls.name, cls.hotkey or "", str(counts.get(cls.name, 0))])
            item.setData(0, Qt.ItemDataRole.UserRole, cls.name)
            item.setIcon(0, swatch(cls.color, 14))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignCenter)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(
                0, f"{cls.name}  rgb{cls.color}" + (f"  (key {cls.hotkey})" if cls.hotkey else "")
            )
            if cls.name == active:
                for col in range(3):
                    item.setFont(col, bold)
            self.tree.addTopLevelItem(item)
            if cls.name == active:
                self.tree.setCurrentItem(item)

    def names(self) -> list[str]:
        return [self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())]
