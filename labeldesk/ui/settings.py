"""Persistent preferences over QSettings, read by the composition root, never by widgets.

Widgets get values passed in (``window.apply_settings(settings)`` after construction); they
never open QSettings themselves. Tests give a QSettings on an INI file in a temporary
folder, so they never touch the user's preferences.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

MAX_RECENT = 10
THEMES = ("system", "light", "dark")


def default_qsettings() -> QSettings:
    """The user's settings store (registry, plist or INI, as the platform does it)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "labeldesk", "labeldesk"
    )


def default_journal_dir() -> Path:
    """Where crash journals go: ``LABELDESK_JOURNAL_DIR`` or the platform's app-data folder."""
    env = os.environ.get("LABELDESK_JOURNAL_DIR")
    if env:
        return Path(env)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home() / ".local" / "share") / "labeldesk" / "journal"


class AppSettings:
    """Typed access to the keys labeldesk stores. ``store`` is any QSettings."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else default_qsettings()

    def reset(self) -> None:
        self.store.clear()
        self.store.sync()

    def _get(self, key: str, default, kind=str):
        value = self.store.value(key, default)
        if kind is bool:
            return (
                value in (True, "true", "1", 1) if isinstance(value, str | int | bool) else default
            )
        try:
            return kind(value) if value is not None else default
        except (TypeError, ValueError):
            return default

    # -- files -------------------------------------------------------------------------------------
    def recent_folders(self) -> list[str]:
        raw = self._get("files/recent", "[]")
        try:
            items = json.loads(raw)
        except ValueError:
            return []
        return [str(p) for p in items if isinstance(p, str)][:MAX_RECENT]

    def add_recent_folder(self, folder: str | os.PathLike[str]) -> list[str]:
        folder = str(Path(folder).resolve())
        items = [folder] + [p for p in self.recent_folders() if p != folder]
        self.store.setValue("files/recent", json.dumps(items[:MAX_RECENT]))
        return items[:MAX_RECENT]

    def autosave(self) -> bool:
        return self._get("files/autosave", True, bool)

    def set_autosave(self, on: bool) -> None:
        self.store.setValue("files/autosave", bool(on))

    def read_ahead(self) -> bool:
        return self._get("files/read_ahead", True, bool)

    # -- window ------------------------------------------------------------------------------------
    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.store.value("window/geometry")
        state = self.store.value("window/state")
        ok = lambda v: v if isinstance(v, QByteArray) and not v.isEmpty() else None  # noqa: E731
        return ok(geometry), ok(state)

    def set_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)

    def theme(self) -> str:
        value = self._get("appearance/theme", "system")
        return value if value in THEMES else "system"

    def set_theme(self, theme: str) -> None:
        self.store.setValue("appearance/theme", theme if theme in THEMES else "system")

    # -- keyboard ----------------------------------------------------------------------------------
    def shortcuts(self) -> dict[str, list[str]]:
        """User bindings: action id -> key sequences (portable text); missing = default."""
        raw = self._get("keyboard/shortcuts", "{}")
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): [str(s) for s in v] for k, v in data.items() if isinstance(v, list)}

    def set_shortcuts(self, bindings: dict[str, list[str]]) -> None:
        self.store.setValue("keyboard/shortcuts", json.dumps(bindings, sort_keys=True))

    # -- labeling ----------------------------------------------------------------------------------
    def last_class(self) -> str:
        return self._get("labeling/last_class", "")

    def set_last_class(self, name: str) -> None:
        self.store.setValue("labeling/last_class", name)

    def classes_for(self, folder: str | os.PathLike[str]) -> list[dict] | None:
        """The class list (names, colours, hotkeys) last used with ``folder``, if any."""
        raw = self._get(f"classes/{_folder_key(folder)}", "")
        if not raw:
            return None
        try:
            items = json.loads(raw)
        except ValueError:
            return None
        return items if isinstance(items, list) else None

    def set_classes_for(self, folder: str | os.PathLike[str], items: list[dict]) -> None:
        self.store.setValue(f"classes/{_folder_key(folder)}", json.dumps(items))

    # -- assist ------------------------------------------------------------------------------------
    def model_offer_shown(self) -> bool:
        """Whether the one-time offer of a SAM download (first auto-segment without a
        model) was shown already."""
        return self._get("assist/model_offer_shown", False, bool)

    def set_model_offer_shown(self, shown: bool = True) -> None:
        self.store.setValue("assist/model_offer_shown", bool(shown))

    def sync(self) -> None:
        self.store.sync()


def _folder_key(folder: str | os.PathLike[str]) -> str:
    import hashlib

    return hashlib.sha1(str(Path(folder).resolve()).encode("utf-8")).hexdigest()[:16]
