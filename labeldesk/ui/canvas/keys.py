"""Qt key and modifier values -> the Qt-free names tools use (see ``tools.base.KeyEvent``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

_NAMES = {
    Qt.Key.Key_Return: "Enter",
    Qt.Key.Key_Enter: "Enter",
    Qt.Key.Key_Escape: "Escape",
    Qt.Key.Key_Backspace: "Backspace",
    Qt.Key.Key_Delete: "Delete",
    Qt.Key.Key_Tab: "Tab",
    Qt.Key.Key_Backtab: "Tab",
    Qt.Key.Key_Left: "Left",
    Qt.Key.Key_Right: "Right",
    Qt.Key.Key_Up: "Up",
    Qt.Key.Key_Down: "Down",
    Qt.Key.Key_Space: "Space",
    Qt.Key.Key_BracketLeft: "[",
    Qt.Key.Key_BracketRight: "]",
    Qt.Key.Key_Home: "Home",
    Qt.Key.Key_End: "End",
    Qt.Key.Key_PageUp: "PageUp",
    Qt.Key.Key_PageDown: "PageDown",
}


def modifier_names(mods: Qt.KeyboardModifier) -> frozenset[str]:
    """Qt modifiers -> a subset of ``{"shift", "ctrl", "alt"}``."""
    out = set()
    if mods & Qt.KeyboardModifier.ShiftModifier:
        out.add("shift")
    if mods & Qt.KeyboardModifier.ControlModifier:
        out.add("ctrl")
    if mods & Qt.KeyboardModifier.AltModifier:
        out.add("alt")
    return frozenset(out)


def key_name(event: QKeyEvent) -> str:
    """The tool key name of ``event`` ("" for bare modifier keys and unknown keys).

    Shift+Tab (Qt's Backtab) is "Tab"; the event's modifiers carry the shift.
    """
    key = event.key()
    try:
        name = _NAMES.get(Qt.Key(key))
    except ValueError:
        name = None
    if name:
        return name
    if Qt.Key.Key_F1 <= key <= Qt.Key.Key_F35:
        return f"F{key - Qt.Key.Key_F1 + 1}"
    if 0x20 < key < 0x7F:
        return chr(key).upper()
    text = event.text()
    return text.upper() if len(text) == 1 and text.isprintable() and not text.isspace() else ""
