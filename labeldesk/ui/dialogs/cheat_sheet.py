"""The keyboard cheat sheet (F1 or ?): every action with its current keys, plus canvas gestures."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labeldesk.ui.actions import MENUS, ActionManager

# Keys the canvas and the tools handle themselves (not window actions).
CANVAS_KEYS = (
    ("Pan", "Space+drag, middle-drag, arrow keys (nothing selected)"),
    ("Zoom at the cursor", "Wheel, Ctrl+wheel"),
    ("Close the polygon", "Enter, double-click, click the first vertex"),
    ("Remove the last vertex / a vertex", "Backspace; Shift+click a vertex"),
    ("Insert a vertex", "Alt+click on an edge"),
    ("Cancel the drawing", "Esc"),
    ("Brush size", "[ and ]"),
    ("Cycle the selection", "Tab, Shift+Tab"),
    ("Nudge the selection", "Arrow keys (Shift: 10 px)"),
    ("Select several", "Ctrl+click, drag a rubber band"),
)


def native(seq: str) -> str:
    return QKeySequence(seq).toString(QKeySequence.SequenceFormat.NativeText)


class CheatSheet(QDialog):
    """A non-modal list of bindings, grouped by menu, with a search box."""

    def __init__(self, manager: ActionManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search actions or keys…")
        self.search.setClearButtonEnabled(True)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self._filter)
        self.manager = manager
        self.resize(520, 640)
        self.rebuild()

    def rebuild(self) -> None:
        self.tree.clear()
        groups = {m: QTreeWidgetItem([m, ""]) for m in (*MENUS, "Canvas")}
        for spec, seqs in self.manager.rows():
            keys = ", ".join(native(s) for s in seqs) or "—"
            QTreeWidgetItem(groups[spec.menu], [spec.text.replace("&", "").rstrip("…"), keys])
        for text, keys in CANVAS_KEYS:
            QTreeWidgetItem(groups["Canvas"], [text, keys])
        for item in groups.values():
            if item.childCount():
                self.tree.addTopLevelItem(item)
                item.setFirstColumnSpanned(True)
                item.setExpanded(True)
        self._filter(self.search.text())

    def rows(self) -> list[tuple[str, str]]:
        """(action, keys) of every line shown (for tests)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount()):
                child = group.child(j)
                out.append((child.text(0), child.text(1)))
        return out

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            shown = 0
            for j in range(group.childCount()):
                child = group.child(j)
                hit = (
                    not needle or needle in child.text(0).lower() or needle in child.text(1).lower()
                )
                child.setHidden(not hit)
                shown += hit
            group.setHidden(shown == 0)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt name
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)
