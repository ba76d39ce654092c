"""The label dialog (only when the user asks, Ctrl+E): a class name with autocompletion."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from labeldesk.core.classes import ClassCatalogue
from labeldesk.ui.panels.common import swatch


class LabelDialog(QDialog):
    """Type or pick a class name; completion matches anywhere in the name, case-insensitive.

    ``value()`` is the stripped text after ``exec()`` returns Accepted; a name that is not in
    the catalogue is a new class (the caller adds it).
    """

    def __init__(
        self, classes: ClassCatalogue, current: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Label")
        self.edit = QLineEdit(current, self)
        self.edit.setPlaceholderText("Class name")
        self.edit.selectAll()
        completer = QCompleter(classes.names(), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(completer)
        self.list = QListWidget(self)
        for cls in classes:
            self.list.addItem(cls.name)
            self.list.item(self.list.count() - 1).setIcon(swatch(cls.color))
        self.list.itemClicked.connect(lambda item: self.edit.setText(item.text()))
        self.list.itemDoubleClicked.connect(
            lambda item: (self.edit.setText(item.text()), self.accept())
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.edit.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        self.ok.setEnabled(bool(current.strip()))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Type to search, Enter to accept:", self))
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(320, 360)

    def value(self) -> str:
        return self.edit.text().strip()
