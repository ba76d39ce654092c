"""The settings dialog: general preferences and key bindings (saved by the window)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labeldesk.ui.actions import ActionRegistry, conflicts, normalize
from labeldesk.ui.dialogs.cheat_sheet import native
from labeldesk.ui.settings import THEMES


@dataclass
class Preferences:
    """What the dialog edits: the window reads and writes these through AppSettings."""

    autosave: bool
    read_ahead: bool
    theme: str
    bindings: dict[str, list[str]]  # every action id -> its sequences (portable text)


class SettingsDialog(QDialog):
    """Edit :class:`Preferences`; ``preferences()`` gives the result after Accepted."""

    def __init__(
        self, prefs: Preferences, registry: ActionRegistry, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.registry = registry
        self.bindings = {k: list(v) for k, v in prefs.bindings.items()}
        tabs = QTabWidget(self)

        general = QWidget(self)
        form = QFormLayout(general)
        self.autosave = QCheckBox("Save automatically when moving to another image", general)
        self.autosave.setChecked(prefs.autosave)
        self.read_ahead = QCheckBox("Read the next image ahead in the background", general)
        self.read_ahead.setChecked(prefs.read_ahead)
        self.theme = QComboBox(general)
        self.theme.addItems([t.capitalize() for t in THEMES])
        self.theme.setCurrentIndex(THEMES.index(prefs.theme) if prefs.theme in THEMES else 0)
        form.addRow(self.autosave)
        form.addRow(self.read_ahead)
        form.addRow("Theme:", self.theme)
        tabs.addTab(general, "General")

        keys = QWidget(self)
        self.tree = QTreeWidget(keys)
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        self.items: dict[str, QTreeWidgetItem] = {}
        for spec in registry:
            item = QTreeWidgetItem([f"{spec.menu} › {spec.text.replace('&', '')}", ""])
            item.setData(0, Qt.ItemDataRole.UserRole, spec.id)
            self.tree.addTopLevelItem(item)
            self.items[spec.id] = item
        self.editor = QKeySequenceEdit(keys)
        self.editor.setMaximumSequenceLength(1)
        self.editor.setClearButtonEnabled(True)
        self.editor.keySequenceChanged.connect(self._edited)
        reset = QPushButton("Reset", keys)
        reset.setToolTip("Back to this action's default keys")
        reset.clicked.connect(self._reset_current)
        reset_all = QPushButton("Reset all", keys)
        reset_all.clicked.connect(self._reset_all)
        self.problem = QLabel(keys)
        self.problem.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Key:", keys))
        row.addWidget(self.editor, 1)
        row.addWidget(reset)
        row.addWidget(reset_all)
        box = QVBoxLayout(keys)
        box.addWidget(self.tree)
        box.addLayout(row)
        box.addWidget(self.problem)
        tabs.addTab(keys, "Keyboard")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.buttons)
        self.tree.currentItemChanged.connect(self._selected)
        self._loading = False
        self._refresh()
        self.resize(560, 620)

    # -- keys ---------------------------------------------------------------------------------------
    def set_binding(self, action_id: str, sequences: list[str]) -> None:
        """Bind ``action_id`` to ``sequences`` (what the key editor does; also for tests)."""
        self.bindings[action_id] = [s for s in (normalize(x) for x in sequences) if s]
        self._refresh()

    def _current_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def _selected(self, *_args) -> None:
        action_id = self._current_id()
        self._loading = True
        seqs = self.bindings.get(action_id, []) if action_id else []
        self.editor.setKeySequence(QKeySequence(seqs[0]) if seqs else QKeySequence())
        self._loading = False

    def _edited(self, seq: QKeySequence) -> None:
        action_id = self._current_id()
        if self._loading or action_id is None:
            return
        text = seq.toString(QKeySequence.SequenceFormat.PortableText)
        rest = self.bindings.get(action_id, [])[1:]
        self.set_binding(action_id, ([text] if text else []) + rest)

    def _reset_current(self) -> None:
        action_id = self._current_id()
        if action_id:
            self.set_binding(action_id, list(self.registry[action_id].shortcuts))
            self._selected()

    def _reset_all(self) -> None:
        self.bindings = self.registry.defaults()
        self._refresh()
        self._selected()

    def _refresh(self) -> None:
        clash = conflicts(self.bindings)
        clashing = {a for ids in clash.values() for a in ids}
        for action_id, item in self.items.items():
            item.setText(1, ", ".join(native(s) for s in self.bindings.get(action_id, [])))
            item.setForeground(
                1, Qt.GlobalColor.red if action_id in clashing else self.palette().text()
            )
        if clash:
            seq, ids = next(iter(clash.items()))
            names = " and ".join(self.registry[a].text.replace("&", "") for a in ids)
            self.problem.setText(
                f"{native(seq)} is bound to {names}; give one of them another key."
            )
        else:
            self.problem.setText("")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not clash)

    def preferences(self) -> Preferences:
        return Preferences(
            autosave=self.autosave.isChecked(),
            read_ahead=self.read_ahead.isChecked(),
            theme=THEMES[self.theme.currentIndex()],
            bindings={k: list(v) for k, v in self.bindings.items()},
        )
