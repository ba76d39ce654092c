"""Machine-made objects: what a model, a tracker or auto-segment made and no person has checked.

A machine-made shape carries the extra shape key ``"machine": SOURCE`` (for example ``"sam"``,
``"model"``, ``"classical"``, ``"forest"``, ``"propagate"``, ``"interpolate"``,
``"prelabel"``). labelme keeps unknown shape keys, so the mark survives a round trip through
labelme. The mark is removed when a person saves the image in the app (saving is reviewing);
``labeldesk train`` leaves marked shapes out unless asked.
"""

from __future__ import annotations

from collections.abc import Iterable

from labeldesk.core.shapes import Shape

MACHINE_KEY = "machine"


def mark_machine(shape: Shape, source: str) -> Shape:
    """Mark ``shape`` as made by ``source`` (not yet reviewed by a person); returns it."""
    shape.extra[MACHINE_KEY] = str(source)
    return shape


def machine_source(shape: Shape) -> str | None:
    """What made ``shape`` when it is machine-made and unreviewed, else None."""
    value = shape.extra.get(MACHINE_KEY)
    return str(value) if value is not None else None


def is_machine(shape: Shape) -> bool:
    return MACHINE_KEY in shape.extra


def count_machine(shapes: Iterable[Shape]) -> int:
    return sum(1 for s in shapes if MACHINE_KEY in s.extra)


def clear_machine(shapes: Iterable[Shape]) -> int:
    """Drop the mark from ``shapes`` (a person reviewed them by saving); returns how many
    were marked."""
    n = 0
    for s in shapes:
        if s.extra.pop(MACHINE_KEY, None) is not None:
            n += 1
    return n
