"""Icons drawn from the Material Design Icons 6 font that qtawesome ships, without qtawesome.

``icon("mdi6.vector-polygon", color=..., color_active=..., color_on=...)`` gives the same
picture as ``qtawesome.icon`` with the same arguments (its default "text" drawing: the glyph at
7/8 of the icon height, centred; a colour per mode and state; disabled in the palette's
disabled text colour). Importing qtawesome costs about 150 ms of CPU at start-up (its qtpy
layer star-imports QtCore, QtGui, QtWidgets and loads QtOpenGL); this module imports nothing
beyond Qt and reads the one font the app uses. Other prefixes fall back to qtawesome.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)

PREFIX = "mdi6"
FONT_FILE = "materialdesignicons6-webfont-6.9.96.ttf"
CHARMAP_FILE = "materialdesignicons6-webfont-charmap-6.9.96.json"

Color = QColor | str | Qt.GlobalColor


def font_dir() -> Path:
    """qtawesome's font folder (its package, or the frozen app's copy of its data files)."""
    spec = importlib.util.find_spec("qtawesome")  # finds the package without importing it
    if spec is not None and spec.origin is not None:
        return Path(spec.origin).parent / "fonts"
    return Path(getattr(sys, "_MEIPASS", ".")) / "qtawesome" / "fonts"


@cache
def _font() -> tuple[str, dict[str, str]] | None:
    """(font family, icon name -> character), loaded once; None when the files are missing."""
    folder = font_dir()
    try:
        codes = json.loads((folder / CHARMAP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    font_id = QFontDatabase.addApplicationFont(str(folder / FONT_FILE))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        return None
    return families[0], {name: chr(int(code, 16)) for name, code in codes.items()}


def _palette_color(group: QPalette.ColorGroup) -> QColor:
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app.palette().color(group, QPalette.ColorRole.Text)
    return QColor(50, 50, 50)


class GlyphEngine(QIconEngine):
    """Paints one glyph of the icon font, in a colour chosen by mode and state."""

    def __init__(self, family: str, char: str, colors: dict[tuple[Any, Any], QColor]) -> None:
        super().__init__()
        self.family, self.char, self.colors = family, char, colors

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        painter.setPen(self.colors[(state, mode)])
        font = QFont()
        font.setFamily(self.family)
        font.setPixelSize(round(0.875 * rect.height()))
        painter.setFont(font)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self.char)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pm = QPixmap(size)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pm

    def clone(self) -> QIconEngine:
        return GlyphEngine(self.family, self.char, dict(self.colors))


def icon(
    name: str,
    *,
    color: Color | None = None,
    color_active: Color | None = None,
    color_on: Color | None = None,
    color_disabled: Color | None = None,
) -> QIcon:
    """The icon ``PREFIX.name`` (e.g. ``"mdi6.brush"``) with qtawesome's colour rules:
    normal ``color`` (default: the palette's text colour), active ``color_active``, checked
    ``color_on``, disabled ``color_disabled`` (default: the palette's disabled text)."""
    prefix, _, glyph = name.partition(".")
    loaded = _font() if prefix == PREFIX else None
    if loaded is None or glyph not in loaded[1]:
        import qtawesome  # another icon set (or the font files are missing): the real thing

        options = {"color": color, "color_active": color_active, "color_on": color_on}
        options["color_disabled"] = color_disabled
        return qtawesome.icon(name, **{k: v for k, v in options.items() if v is not None})
    family, chars = loaded
    normal = QColor(color) if color is not None else _palette_color(QPalette.ColorGroup.Active)
    disabled = (
        QColor(color_disabled)
        if color_disabled is not None
        else _palette_color(QPalette.ColorGroup.Disabled)
    )
    on = QColor(color_on) if color_on is not None else normal
    active = QColor(color_active) if color_active is not None else on
    colors = {}
    for state, base in ((QIcon.State.On, on), (QIcon.State.Off, normal)):
        colors[(state, QIcon.Mode.Normal)] = base
        colors[(state, QIcon.Mode.Active)] = active
        colors[(state, QIcon.Mode.Selected)] = active
        colors[(state, QIcon.Mode.Disabled)] = disabled
    return QIcon(GlyphEngine(family, chars[glyph], colors))
