"""Which objects are selected: view state shared by the canvas and the layers panel.

It is not part of the document (selecting is not an edit and is not undone), but it lives
here, Qt-free, so that tools and panels agree on it without talking to each other.
"""

from __future__ import annotations

from collections.abc import Iterable

from labeldesk.core.events import DocEvent, Signal


class Selection:
    """An ordered set of shape uids; ``changed`` emits ``DocEvent("selection")``."""

    def __init__(self) -> None:
        self._uids: list[int] = []
        self.changed = Signal()

    def uids(self) -> list[int]:
        return list(self._uids)

    def __contains__(self, uid: object) -> bool:
        return uid in self._uids

    def __len__(self) -> int:
        return len(self._uids)

    def set(self, uids: Iterable[int]) -> None:
        new = list(dict.fromkeys(uids))
        if new != self._uids:
            self._uids = new
            self.changed.emit(DocEvent("selection"))

    def add(self, uid: int) -> None:
        if uid not in self._uids:
            self.set([*self._uids, uid])

    def toggle(self, uid: int) -> None:
        self.set([u for u in self._uids if u != uid] if uid in self._uids else [*self._uids, uid])

    def clear(self) -> None:
        self.set([])

    def indices(self, doc) -> list[int]:
        """Indices in ``doc`` of the selected shapes still present, in z-order."""
        wanted = set(self._uids)
        return [i for i, s in enumerate(doc.shapes) if s.uid in wanted]

    def prune(self, doc) -> None:
        """Forget uids no longer in ``doc`` (after undo of an add, a delete...)."""
        present = {s.uid for s in doc.shapes}
        self.set(u for u in self._uids if u in present)
