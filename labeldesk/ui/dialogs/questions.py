"""Small modal questions the window asks: unsaved changes, class names and colours."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QInputDialog, QMessageBox, QWidget

RGB = tuple[int, int, int]


def ask_unsaved(parent: QWidget, name: str, can_save: bool) -> str:
    """``"save"``, ``"discard"`` or ``"cancel"`` for unsaved changes to ``name``."""
    b = QMessageBox.StandardButton
    choices = (b.Save if can_save else b.NoButton) | b.Discard | b.Cancel
    text = (
        f"Save the changes to {name}?"
        if can_save
        else f"{name} cannot be saved. Discard the changes?"
    )
    answer = QMessageBox.question(parent, "Unsaved changes", text, choices)
    return {b.Save: "save", b.Discard: "discard"}.get(answer, "cancel")


def ask_replace_read_only(parent: QWidget, name: str) -> bool:
    """True when the user agrees to replace the read-only annotation file ``name``."""
    b = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent,
        "Read-only file",
        f"{name} is read-only. Replace it anyway (it stays read-only)?",
        b.Yes | b.Cancel,
    )
    return answer == b.Yes


def ask_text(parent: QWidget, title: str, prompt: str, text: str = "") -> str | None:
    """A stripped line of text, or None when cancelled or empty."""
    value, ok = QInputDialog.getText(parent, title, prompt, text=text)
    return value.strip() if ok and value.strip() else None


def ask_color(parent: QWidget, title: str, rgb: RGB) -> RGB | None:
    color = QColorDialog.getColor(QColor(*rgb), parent, title)
    return (color.red(), color.green(), color.blue()) if color.isValid() else None
