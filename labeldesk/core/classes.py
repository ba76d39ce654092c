"""The class catalogue: names, colours, hotkeys and their order."""

from __future__ import annotations

import colorsys
from collections.abc import Iterator
from dataclasses import dataclass

from labeldesk.core.errors import LabeldeskError

RGB = tuple[int, int, int]


def default_color(index: int) -> RGB:
    """A distinct, saturated colour for the ``index``-th class (golden-angle hues)."""
    hue = (index * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.75, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


@dataclass
class LabelClass:
    """One class: its name, colour ``(r, g, b)`` and optional hotkey (``"1"``..``"9"``)."""

    name: str
    color: RGB
    hotkey: str | None = None


class ClassCatalogue:
    """Ordered classes with unique names; hotkeys ``1``-``9`` follow the order by default."""

    def __init__(self, classes: list[LabelClass] | None = None) -> None:
        self._classes: list[LabelClass] = []
        for c in classes or []:
            self.add(c.name, color=c.color, hotkey=c.hotkey)

    def __iter__(self) -> Iterator[LabelClass]:
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self._classes)

    def names(self) -> list[str]:
        return [c.name for c in self._classes]

    def get(self, name: str) -> LabelClass | None:
        return next((c for c in self._classes if c.name == name), None)

    def index(self, name: str) -> int:
        for i, c in enumerate(self._classes):
            if c.name == name:
                return i
        raise LabeldeskError(f"no class named {name!r}")

    def by_hotkey(self, key: str) -> LabelClass | None:
        return next((c for c in self._classes if c.hotkey == key), None)

    def color_of(self, name: str) -> RGB:
        """The class colour, or a stable colour derived from the name for unknown labels."""
        c = self.get(name)
        if c is not None:
            return c.color
        return default_color(sum(name.encode("utf-8")) + len(name))

    def add(
        self,
        name: str,
        *,
        color: RGB | None = None,
        hotkey: str | None = None,
        exact: bool = False,
    ) -> LabelClass:
        """Add a class. A typed name is stripped and must not be empty; ``exact`` keeps a name
        read from a file as written (labelme accepts ``' '`` and ``'cat '``)."""
        if not exact:
            name = name.strip()
            if not name:
                raise LabeldeskError("a class name cannot be empty")
        if name in self:
            raise LabeldeskError(f"a class named {name!r} exists already")
        n = len(self._classes)
        if hotkey is None and n < 9 and self.by_hotkey(str(n + 1)) is None:
            hotkey = str(n + 1)
        cls = LabelClass(name, color if color is not None else default_color(n), hotkey)
        self._classes.append(cls)
        return cls

    def ensure(self, name: str) -> LabelClass:
        """The class called ``name`` (exactly as written), added at the end when missing."""
        return self.get(name) or self.add(name, exact=True)

    def rename(self, old: str, new: str) -> None:
        new = new.strip()
        if not new:
            raise LabeldeskError("a class name cannot be empty")
        if new != old and new in self:
            raise LabeldeskError(f"a class named {new!r} exists already")
        self._classes[self.index(old)].name = new

    def recolor(self, name: str, color: RGB) -> None:
        self._classes[self.index(name)].color = color

    def remove(self, name: str) -> LabelClass:
        return self._classes.pop(self.index(name))

    def move(self, name: str, new_index: int) -> None:
        cls = self.remove(name)
        self._classes.insert(max(0, min(new_index, len(self._classes))), cls)

    def to_list(self) -> list[dict]:
        """JSON-ready list (for a project's class file)."""
        return [{"name": c.name, "color": list(c.color), "hotkey": c.hotkey} for c in self._classes]

    @classmethod
    def from_list(cls, items: list[dict]) -> ClassCatalogue:
        cat = cls()
        for i, item in enumerate(items):
            color = item.get("color")
            cat.add(
                str(item["name"]),
                color=(int(color[0]), int(color[1]), int(color[2])) if color else default_color(i),
                hotkey=item.get("hotkey"),
            )
        return cat

    @classmethod
    def from_names(cls, names: list[str]) -> ClassCatalogue:
        """From a labelme ``labels.txt`` list (``__ignore__`` and ``_background_`` skipped)."""
        cat = cls()
        for n in names:
            n = n.strip()
            if n and n not in ("__ignore__", "_background_") and n not in cat:
                cat.add(n)
        return cat
