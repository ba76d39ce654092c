"""Edits on the selection that the window binds to actions: clipboard, delete, class, z-order.

Each function is one undo step and leaves the selection on the objects it made or kept.
Locked objects are skipped by edits that would change them, with a message via the returned
count or a :class:`~labeldesk.core.errors.LabeldeskError` when nothing could be done.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labeldesk.core.commands import AddShapes, EditShape, RemoveShapes, Reorder
from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.selection import Selection
from labeldesk.core.shapes import Shape


def copy_selected(doc: Document, sel: Selection) -> list[Shape]:
    """Deep copies of the selected objects in z-order (the clipboard content)."""
    return [doc.shapes[i].copy() for i in sel.indices(doc)]


def paste(
    doc: Document, sel: Selection, shapes: Sequence[Shape], offset: tuple[float, float] = (0.0, 0.0)
) -> list[int]:
    """Add copies of ``shapes`` (new uids, unlocked, visible) moved by ``offset``; selects them.

    Masks move by whole pixels. Returns the new indices (appended on top).
    """
    if not shapes:
        return []
    dx, dy = offset
    new = []
    for s in shapes:
        c = s.copy(new_uid=True)
        c.locked, c.visible = False, True
        if s.shape_type == "mask":
            c.points = c.points + np.array([round(dx), round(dy)], dtype=np.float64)
        else:
            c.points = c.points + np.array([dx, dy], dtype=np.float64)
        new.append(c)
    n = len(doc.shapes)
    cmd = AddShapes(new)
    cmd.text = "Paste" if len(new) == 1 else f"Paste {len(new)} objects"
    doc.execute(cmd)
    sel.set([s.uid for s in new])
    return list(range(n, n + len(new)))


def duplicate_selected(
    doc: Document, sel: Selection, offset: tuple[float, float] = (10.0, 10.0)
) -> list[int]:
    """Paste copies of the selection moved by ``offset`` (image px); returns new indices."""
    return paste(doc, sel, copy_selected(doc, sel), offset)


def delete_selected(doc: Document, sel: Selection) -> int:
    """Delete the selected unlocked objects (one step); returns how many were deleted."""
    idx = sel.indices(doc)
    gone = [i for i in idx if not doc.shapes[i].locked]
    if idx and not gone:
        raise LabeldeskError("the selected objects are locked; unlock them to delete")
    if gone:
        doc.execute(RemoveShapes(gone))
    sel.prune(doc)
    return len(gone)


def change_class(doc: Document, sel: Selection, label: str) -> int:
    """Give the selected unlocked objects the class ``label`` (one step); returns the count."""
    label = label.strip()
    if not label:
        raise LabeldeskError("a class name cannot be empty")
    idx = [i for i in sel.indices(doc) if not doc.shapes[i].locked and doc.shapes[i].label != label]
    if idx:
        with doc.group(f"Change class to {label}"):
            for i in idx:
                doc.execute(EditShape(i, "Change class", label=label))
    return len(idx)


def set_visible(doc: Document, sel: Selection, visible: bool) -> int:
    """Show or hide the selected objects (one step); returns the count changed."""
    idx = [i for i in sel.indices(doc) if doc.shapes[i].visible != visible]
    if idx:
        with doc.group("Show objects" if visible else "Hide objects"):
            for i in idx:
                doc.execute(EditShape(i, "Show" if visible else "Hide", visible=visible))
    return len(idx)


def move_in_z(doc: Document, sel: Selection, where: str) -> bool:
    """Move the selection ``"up"`` / ``"down"`` one place, or to the ``"top"`` / ``"bottom"``.

    "Up" is towards the top (drawn later, exported later). Returns False when nothing moved.
    """
    n = len(doc.shapes)
    chosen = set(sel.indices(doc))
    if not chosen:
        return False
    order = list(range(n))
    if where == "top":
        order = [i for i in order if i not in chosen] + sorted(chosen)
    elif where == "bottom":
        order = sorted(chosen) + [i for i in order if i not in chosen]
    elif where in ("up", "down"):
        rng = range(n - 2, -1, -1) if where == "up" else range(1, n)
        for k in rng:
            j = k + 1 if where == "up" else k - 1
            if order[k] in chosen and order[j] not in chosen:
                order[k], order[j] = order[j], order[k]
    else:
        raise ValueError(f"where must be 'up', 'down', 'top' or 'bottom', got {where!r}")
    if order == list(range(n)):
        return False
    doc.execute(Reorder(order, "Raise objects" if where in ("up", "top") else "Lower objects"))
    return True
