"""Light and dark looks on the Fusion style; "system" follows the desktop's colour scheme.

A theme is a QPalette plus a short style sheet (``resources/styles/base.qss`` with
``@name@`` placeholders filled from :data:`COLORS`). Icons are recoloured by the window when
:attr:`ThemeManager.changed` fires, so they stay legible on both.
"""

from __future__ import annotations

from importlib.resources import files

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

COLORS: dict[str, dict[str, str]] = {
    "light": {
        "window": "#f4f5f7",
        "base": "#ffffff",
        "alt": "#f0f2f5",
        "text": "#1f2328",
        "muted": "#667085",
        "border": "#d0d5dd",
        "accent": "#2f6feb",
        "accent_text": "#ffffff",
        "button": "#ffffff",
        "canvas": "#2b2d31",
        "icon": "#3b4252",
        "warn": "#fff4d6",
        "error": "#fde7e9",
    },
    "dark": {
        "window": "#1e1f22",
        "base": "#26282c",
        "alt": "#2b2d31",
        "text": "#e6e7ea",
        "muted": "#9aa0a6",
        "border": "#3a3d43",
        "accent": "#4c8dff",
        "accent_text": "#ffffff",
        "button": "#2f3136",
        "canvas": "#141517",
        "icon": "#d7dae0",
        "warn": "#4a3f1d",
        "error": "#4d2327",
    },
}


def palette_for(name: str) -> QPalette:
    """A complete QPalette for ``"light"`` or ``"dark"``."""
    c = {k: QColor(v) for k, v in COLORS[name].items()}
    pal = QPalette()
    role = QPalette.ColorRole
    pal.setColor(role.Window, c["window"])
    pal.setColor(role.WindowText, c["text"])
    pal.setColor(role.Base, c["base"])
    pal.setColor(role.AlternateBase, c["alt"])
    pal.setColor(role.ToolTipBase, c["base"])
    pal.setColor(role.ToolTipText, c["text"])
    pal.setColor(role.PlaceholderText, c["muted"])
    pal.setColor(role.Text, c["text"])
    pal.setColor(role.Button, c["button"])
    pal.setColor(role.ButtonText, c["text"])
    pal.setColor(role.BrightText, QColor("#ff5555"))
    pal.setColor(role.Highlight, c["accent"])
    pal.setColor(role.HighlightedText, c["accent_text"])
    pal.setColor(role.Link, c["accent"])
    pal.setColor(role.Mid, c["border"])
    pal.setColor(role.Midlight, c["alt"])
    pal.setColor(role.Dark, c["border"].darker(130))
    pal.setColor(role.Shadow, QColor(0, 0, 0, 120))
    for r in (role.Text, role.WindowText, role.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, r, c["muted"])
    return pal


def style_sheet(name: str) -> str:
    """The application style sheet for ``name`` (placeholders filled in)."""
    text = files("labeldesk.resources").joinpath("styles/base.qss").read_text(encoding="utf-8")
    for key, value in COLORS[name].items():
        text = text.replace(f"@{key}@", value)
    return text


def system_scheme() -> str:
    """``"dark"`` when the desktop asks for a dark scheme, else ``"light"``."""
    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


class ThemeManager(QObject):
    """Applies a theme to the application; with ``"system"`` it follows scheme changes."""

    changed = Signal(str)  # the effective theme: "light" or "dark"

    def __init__(self, app: QApplication, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.choice = "system"
        self.effective = ""
        app.styleHints().colorSchemeChanged.connect(self._on_scheme)

    def apply(self, choice: str) -> str:
        """Use ``"system"``, ``"light"`` or ``"dark"``; returns the effective theme."""
        self.choice = choice if choice in ("system", "light", "dark") else "system"
        name = system_scheme() if self.choice == "system" else self.choice
        if name != self.effective:
            self.effective = name
            self.app.setStyle("Fusion")
            self.app.setPalette(palette_for(name))
            self.app.setStyleSheet(style_sheet(name))
            self.changed.emit(name)
        return name

    def color(self, key: str) -> QColor:
        return QColor(COLORS[self.effective or "light"][key])

    def _on_scheme(self, _scheme: Qt.ColorScheme) -> None:
        if self.choice == "system":
            self.apply("system")
