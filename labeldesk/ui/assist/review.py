"""Reviewing auto-segment proposals in the window: the "Proposed" dock and the canvas overlay.

:class:`ProposalReview` shows one set of proposals at a time. It puts a Qt-free
:class:`~labeldesk.core.tools.review.ProposalTool` on the canvas (click, 1-9, Enter,
Delete, Esc act there), paints the open proposals into the canvas overlay ``"proposals"``
and lists them in the "Proposed" dock (tabbed with the objects list). When nothing is left
to review, or a new image opens, the overlay and the dock go away and the previous tool
comes back. Picking another tool ends the review too (the overlay and the dock go, the
picked tool stays): proposals are never shown without the tool that acts on them. The assist controller (:mod:`labeldesk.ui.assist`) owns one.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labeldesk.core.tools import TOOLS
from labeldesk.core.tools.review import ProposalTool, render_proposals
from labeldesk.models.proposals import Proposal
from labeldesk.ui import icons

INDEX_ROLE = 256  # Qt.ItemDataRole.UserRole: the proposal's index in the tool's items


def palette(n: int) -> list[tuple[int, int, int]]:
    """``n`` distinct, saturated ``(r, g, b)`` colours (golden-angle hues)."""
    out = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb((i * 0.618034) % 1.0, 0.75, 1.0)
        out.append((int(r * 255), int(g * 255), int(b * 255)))
    return out


class ProposalsPanel(QWidget):
    """The "Proposed" dock's widget: one row per open proposal, Accept / Reject buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.accept_all = QPushButton("Accept with class (Enter)", self)
        self.accept_all.setToolTip("Accept the proposals that carry a class (a trained model's)")
        self.accept_as = QPushButton("Accept all as…", self)
        self.accept_as.setToolTip("Accept every open proposal with the active class")
        self.accept_sel = QPushButton("Accept selected", self)
        self.reject_sel = QPushButton("Reject selected", self)
        self.reject_all = QPushButton("Reject all (Esc)", self)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.list, 1)
        box.addWidget(self.accept_as)
        for pair in ((self.accept_all, self.accept_sel), (self.reject_sel, self.reject_all)):
            row = QHBoxLayout()
            row.addWidget(pair[0])
            row.addWidget(pair[1])
            box.addLayout(row)


class ProposalReview(QObject):
    """The review of one set of proposals in ``window`` (see module docs).

    ``tool`` is the review tool while a review is open, else None; ``source`` names where
    the proposals came from (``"model"``, ``"sam"``, ``"classical"``).
    """

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.tool: ProposalTool | None = None
        self.source = ""
        self._prev_tool: Any = None
        self._version = -1
        self._colors: list[tuple[int, int, int]] = []
        self._syncing = False
        self.panel = ProposalsPanel(window)
        self.dock = QDockWidget("Proposed", window)
        self.dock.setObjectName("dock.proposed")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        layers = getattr(window, "docks", {}).get("layers")
        if layers is not None:
            window.tabifyDockWidget(layers, self.dock)  # next to the objects, as "Proposed"
        self.dock.hide()
        p = self.panel
        p.accept_all.clicked.connect(self.accept_all)
        p.accept_as.clicked.connect(self.accept_all_as)
        p.reject_all.clicked.connect(self.reject_all)
        p.accept_sel.clicked.connect(self.accept_selected)
        p.reject_sel.clicked.connect(lambda: self.tool and self.tool.reject(self.tool.selected))
        p.list.itemSelectionChanged.connect(self._list_to_tool)
        window.canvas.tool_changed.connect(self._tool_changed)
        window.session.classes_changed.connect(self._update_accept_as)

    def start(self, proposals: Sequence[Proposal], source: str = "") -> ProposalTool:
        """Show ``proposals`` for review (ending any review open); returns the review tool."""
        self.end()
        self.source = source
        tool = ProposalTool(self.window.ctx, proposals, on_finish=self.end, source=source)
        doc_classes = self.window.ctx.document.classes
        spare = palette(len(proposals))
        self._colors = [
            doc_classes.color_of(p.label) if p.label else spare[i] for i, p in enumerate(proposals)
        ]
        current = self.window.canvas.tool()
        self._prev_tool = current if not isinstance(current, ProposalTool) else self._prev_tool
        self.tool = tool
        tool.changed.connect(self._on_changed)
        self.activate()
        self._version = -1
        self._on_changed(None)
        self.dock.show()
        self.dock.raise_()
        return tool

    def activate(self) -> None:
        """Put the review tool on the canvas (when it is not there already)."""
        if self.tool is not None and self.window.canvas.tool() is not self.tool:
            self.window.canvas.set_tool(self.tool)
            self.window.canvas.setFocus()

    def _tool_changed(self, tool: Any) -> None:
        """Another tool on the canvas ends the review."""
        if self.tool is not None and tool is not self.tool:
            self.end()

    def end(self) -> None:
        """Drop the open review: overlay, list and dock go; the previous tool comes back."""
        tool = self.tool
        if tool is None:
            return
        self.tool = None
        tool.changed.disconnect(self._on_changed)
        self.window.canvas.set_overlay("proposals", None)
        self.panel.list.clear()
        self.dock.hide()
        self._update_accept_as()
        if self.window.canvas.tool() is tool:
            prev = self._prev_tool
            if prev is not None and prev.name in TOOLS:
                self.window.set_tool(prev.name)
            else:
                self.window.canvas.set_tool(prev)
        self._prev_tool = None

    def accept_all(self) -> None:
        """Accept the proposals that carry a class (what Enter does)."""
        if self.tool is not None:
            self.tool.accept_classed()

    def accept_all_as_text(self) -> str:
        """``"Accept All N as <class>"`` for the open review (the active class), or ""."""
        if self.tool is None or not self.tool.open:
            return ""
        return f"Accept All {len(self.tool.open)} as {self.window.ctx.active_label()}"

    def accept_selected(self) -> None:
        """Accept N selected as <class>: the picked proposals with the active class, as the
        button says (one undo step)."""
        if self.tool is not None and self.tool.selected:
            self.tool.accept(list(self.tool.selected), self.window.ctx.active_label())

    def accept_all_as(self) -> None:
        """The explicit bulk accept: every open proposal with the active class."""
        if self.tool is not None:
            self.tool.accept_all_as(self.window.ctx.active_label())

    def _update_accept_as(self) -> None:
        picked = len(self.tool.selected) if self.tool is not None else 0
        self.panel.accept_sel.setText(
            f"Accept {picked} selected as {self.window.ctx.active_label()}"
            if picked
            else "Accept selected"
        )
        self.panel.accept_sel.setEnabled(picked > 0)
        text = self.accept_all_as_text()
        self.panel.accept_as.setText(text or "Accept all as…")
        self.panel.accept_as.setEnabled(bool(text))
        self.panel.accept_all.setEnabled(self.tool is not None and bool(self.tool.classed()))
        action = getattr(self.window.actions, "actions", {}).get("assist.accept_all_as")
        if action is not None:
            action.setText(text or "Accept All Proposals as the Active Class")
            action.setEnabled(bool(text))

    def reject_all(self) -> None:
        if self.tool is not None:
            self.tool.reject(list(self.tool.open))

    def _on_changed(self, _ev: Any) -> None:
        tool = self.tool
        if tool is None or tool.version == self._version:
            return
        self._version = tool.version
        doc = self.window.ctx.document
        size = (doc.image_height, doc.image_width)
        colors = [self._colors[i] for i in tool.open]
        rendered = render_proposals(tool.items, tool.open, size, colors)
        if rendered is None:
            self.window.canvas.set_overlay("proposals", None)
        else:
            self.window.canvas.set_overlay("proposals", *rendered)
        self._fill_list()

    def _fill_list(self) -> None:
        tool, lst = self.tool, self.panel.list
        if tool is None:
            return
        self._syncing = True
        try:
            lst.clear()
            for i in tool.open:
                p = tool.items[i]
                name = f"proposed {p.label}" if p.label else "proposed"
                item = QListWidgetItem(f"{name} · {p.score:.2f} · {p.area} px")
                item.setToolTip(
                    "Click to pick; 1-9 accepts as that class, Delete rejects"
                    + ("" if p.label else "; no class yet: Enter leaves it")
                )
                item.setIcon(icons.icon("mdi6.square", color=QColor(*self._colors[i])))
                item.setData(INDEX_ROLE, i)
                lst.addItem(item)
                item.setSelected(i in tool.selected)
            self.dock.setWindowTitle(f"Proposed ({len(tool.open)}, {self.source})")
        finally:
            self._syncing = False
        self._update_accept_as()

    def _list_to_tool(self) -> None:
        if self._syncing or self.tool is None:
            return
        self.activate()
        self.tool.select([it.data(INDEX_ROLE) for it in self.panel.list.selectedItems()])
