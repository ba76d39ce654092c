"""The class list of an export: labelme's ``labels.txt``.

labelme numbers the lines of its labels file from -1: ``__ignore__`` first (value -1, written
as 255 in PNGs), ``_background_`` second (0), then the classes 1, 2, ... labelme requires both
special lines; here both are optional, and the classes are numbered from 1 whether or not
``_background_`` is listed (0 always means background), so files labelme accepts get the same
values. As in labelme, ``--labels`` may also be comma-separated text instead of a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from labeldesk.core.errors import ExportError

IGNORE = "__ignore__"
BACKGROUND = "_background_"
IGNORE_VALUE = -1  # in label maps; 255 in 8-bit PNGs, as labelme writes it


@dataclass(frozen=True)
class LabelSet:
    """Class names and their values.

    Attributes:
        names: ``names[v]`` is the name of class value ``v`` (``names[0]`` is ``_background_``);
            what ``class_names.txt`` lists.
        has_ignore: the file starts with ``__ignore__``; shapes with that label get value -1.
        values: label -> value, ``__ignore__`` -> -1 when listed.
        source: where the list came from, for messages.
    """

    names: tuple[str, ...]
    has_ignore: bool = False
    source: str = ""
    values: dict[str, int] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        values = {name: v for v, name in enumerate(self.names) if name}
        if self.has_ignore:
            values[IGNORE] = IGNORE_VALUE
        object.__setattr__(self, "values", values)

    @property
    def classes(self) -> list[tuple[int, str]]:
        """``(value, name)`` of the object classes: no background, no ignore, no blank line."""
        return [(v, n) for v, n in enumerate(self.names) if v > 0 and n]

    def value_of(self, label: str) -> int | None:
        """The value of ``label``, or None when it is not in the list."""
        return self.values.get(label)


def parse_labels(lines: list[str], source: str = "") -> LabelSet:
    """Build a :class:`LabelSet` from the lines of a labels file (already stripped).

    Raises :class:`ExportError` for duplicate names, misplaced special names or an empty list.
    Blank lines between classes keep their number (as in labelme) but name no class.
    """
    while lines and not lines[-1]:
        lines = lines[:-1]
    where = f"{source}: " if source else ""
    has_ignore = bool(lines) and lines[0] == IGNORE
    rest = lines[1:] if has_ignore else list(lines)
    if rest and rest[0] == BACKGROUND:
        rest = rest[1:]
    names = [BACKGROUND, *rest]
    seen: dict[str, int] = {}
    for n, name in enumerate(names):
        if not name:
            continue
        if name in (IGNORE, BACKGROUND) and n > 0:
            special = "first line" if name == IGNORE else "first line (after __ignore__)"
            raise ExportError(f"{where}{name} may only be the {special} of the labels")
        if name in seen:
            raise ExportError(f"{where}the label {name!r} is listed twice")
        seen[name] = n
    if len(names) < 2 or not any(names[1:]):
        raise ExportError(f"{where}no classes listed (only __ignore__ / _background_)")
    return LabelSet(tuple(names), has_ignore=has_ignore, source=source)


def read_labels(spec: str | os.PathLike[str]) -> LabelSet:
    """Read a labels file, or comma-separated label text when ``spec`` is not a file.

    Raises :class:`ExportError` naming the file for a missing/unreadable file or bad content.
    """
    path = Path(spec)
    text = str(spec)
    if path.is_file():
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ExportError(f"{path}: cannot read the labels file: {exc}") from exc
        return parse_labels([line.strip() for line in raw.splitlines()], str(path))
    if path.suffix.lower() in (".txt", ".csv", ".names") or "/" in text or os.sep in text:
        raise ExportError(f"{path}: the labels file does not exist")
    return parse_labels([s.strip() for s in text.split(",")], "--labels")


def labels_from_names(names: list[str]) -> LabelSet:
    """A LabelSet for classes ``names`` (1, 2, ... in order), for the app and the importers."""
    return parse_labels([n.strip() for n in names], "labels")
