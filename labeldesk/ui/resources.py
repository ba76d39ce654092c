"""Bundled files: the app icon, the default class list and the sample folder.

They ship as the package ``labeldesk.resources`` (the top-level ``resources/`` folder) and are
found with :func:`importlib.resources.files`, so they work from a checkout, a wheel or a frozen
app alike.
"""

from __future__ import annotations

import json
import shutil
from importlib.resources import as_file, files
from pathlib import Path

from PySide6.QtGui import QIcon

from labeldesk.core.classes import ClassCatalogue

PACKAGE = "labeldesk.resources"


def resource(*parts: str):
    """A Traversable for ``resources/<parts>``."""
    return files(PACKAGE).joinpath(*parts)


def app_icon() -> QIcon:
    """The application icon (SVG with a PNG fallback for platforms without the SVG plugin)."""
    icon = QIcon()
    for name in ("labeldesk.svg", "labeldesk.png"):
        with as_file(resource("icons", name)) as path:
            if path.is_file():
                icon.addFile(str(path))
    return icon


def default_classes() -> ClassCatalogue:
    """The class list a new folder starts with (``resources/default_classes.json``)."""
    items = json.loads(resource("default_classes.json").read_text(encoding="utf-8"))
    return ClassCatalogue.from_list(items)


def sample_folder(target: Path) -> Path:
    """A writable copy of the bundled sample folder in ``target`` (copied once).

    The user labels the copy; the installed files are never written. Files the user already
    has in ``target`` are kept, so their work survives upgrades.
    """
    target.mkdir(parents=True, exist_ok=True)
    for entry in resource("sample").iterdir():
        if (
            entry.is_file()
            and not entry.name.startswith(".")
            and not (target / entry.name).exists()
        ):
            with as_file(entry) as src:
                shutil.copyfile(src, target / entry.name)
    return target
