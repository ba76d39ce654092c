"""The layers panel: the document's objects in z-order, the front-most at the top.

Each row shows the class colour, the label, and visibility and lock toggles. Selecting rows
sets the shared :class:`~labeldesk.core.selection.Selection` (so the canvas selects the same
objects), and the canvas's selection shows here. Dragging rows reorders the objects with one
:class:`~labeldesk.core.commands.Reorder` command; the order is the export order.
"""

from __future__ import annotations

import json

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelection,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from labeldesk.core.commands import EditShape, Reorder
from labeldesk.core.document import Document
from labeldesk.core.events import DocEvent
from labeldesk.core.selection import Selection
from labeldesk.ui import icons
from labeldesk.ui.panels.common import swatch

MIME = "application/x-labeldesk-layer-rows"
_ROOT = QModelIndex()
COL_LABEL, COL_VISIBLE, COL_LOCK = 0, 1, 2


class LayersModel(QAbstractItemModel):
    """Rows are objects front-most first: row ``r`` is ``doc.shapes[n - 1 - r]``."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self._shapes: tuple = ()
        self.icon_color = "#667085"

    def set_document(self, doc: Document | None) -> None:
        if self.doc is not None:
            self.doc.changed.disconnect(self._on_doc)
        self.beginResetModel()
        self.doc = doc
        self._shapes = doc.shapes if doc is not None else ()
        self.endResetModel()
        if doc is not None:
            doc.changed.connect(self._on_doc)

    def _on_doc(self, ev: DocEvent) -> None:
        if ev.kind == "history":
            return
        n_old = len(self._shapes)
        if ev.kind == "changed" and self.doc is not None and len(self.doc) == n_old:
            self._shapes = self.doc.shapes
            for i in ev.indices:
                r = n_old - 1 - i
                self.dataChanged.emit(self.index(r, 0), self.index(r, 2))
            return
        self.beginResetModel()
        self._shapes = self.doc.shapes if self.doc is not None else ()
        self.endResetModel()

    # -- rows <-> shapes ----------------------------------------------------------------------------
    def shape_index(self, row: int) -> int:
        return len(self._shapes) - 1 - row

    def row_of(self, shape_index: int) -> int:
        return len(self._shapes) - 1 - shape_index

    # -- QAbstractItemModel -------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex = _ROOT) -> QModelIndex:
        if parent.isValid() or not (0 <= row < len(self._shapes)) or not (0 <= column < 3):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, _index: QModelIndex = _ROOT) -> QModelIndex:  # type: ignore[override]
        return QModelIndex()

    def rowCount(self, parent: QModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._shapes)

    def columnCount(self, parent: QModelIndex = _ROOT) -> int:
        return 3

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ("Object (front first)", "", "")[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.doc is None:
            return None
        shape = self._shapes[self.shape_index(index.row())]
        col = index.column()
        if col == COL_LABEL:
            if role == Qt.ItemDataRole.DisplayRole:
                kind = "" if shape.shape_type == "polygon" else f"  ({shape.shape_type})"
                gid = "" if shape.group_id is None else f"  #{shape.group_id}"
                return f"{shape.label}{gid}{kind}"
            if role == Qt.ItemDataRole.DecorationRole:
                return swatch(self.doc.classes.color_of(shape.label), 14, not shape.visible)
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{shape.label}: {shape.shape_type}, {len(shape.points)} points"
        elif role == Qt.ItemDataRole.DecorationRole:
            if col == COL_VISIBLE:
                name = "mdi6.eye-outline" if shape.visible else "mdi6.eye-off-outline"
            else:
                name = "mdi6.lock-outline" if shape.locked else "mdi6.lock-open-variant-outline"
            on = shape.locked if col == COL_LOCK else not shape.visible
            return icons.icon(name, color=self.icon_color if not on else "#e5484d")
        elif role == Qt.ItemDataRole.ToolTipRole:
            return "Show / hide (H)" if col == COL_VISIBLE else "Lock against edits"
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDragEnabled

    # -- drag and drop: one Reorder command -----------------------------------------------------------
    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        data = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data.setData(MIME, json.dumps(rows).encode())
        return data

    def dropMimeData(
        self, data: QMimeData, action, row: int, column: int, parent: QModelIndex
    ) -> bool:
        """Move the dragged rows before ``row`` (or onto ``parent``'s row; -1 = the end)."""
        if self.doc is None or not data.hasFormat(MIME):
            return False
        rows = json.loads(bytes(data.data(MIME)).decode())
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._shapes)
        return self.move_rows(rows, row)

    def move_rows(self, rows: list[int], before: int) -> bool:
        """Put the objects shown at ``rows`` just above the row ``before``; one undo step."""
        n = len(self._shapes)
        order_rows = [r for r in range(n) if r not in rows]
        insert_at = sum(1 for r in order_rows if r < before)
        order_rows[insert_at:insert_at] = [r for r in sorted(rows) if 0 <= r < n]
        if order_rows == list(range(n)):
            return False
        order = [self.shape_index(r) for r in reversed(order_rows)]  # rows are front-first
        self.doc.execute(Reorder(order))
        return True


class LayersPanel(QWidget):
    """The dock's widget: a tree view over :class:`LayersModel`, synced with the Selection."""

    activated = Signal(int)  # uid of an object double-clicked (the window centres on it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LayersModel(self)
        self.view = QTreeView(self)
        self.view.setModel(self.model)
        self.view.setRootIsDecorated(False)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setDragEnabled(True)
        self.view.setDropIndicatorShown(True)
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_LABEL, QHeaderView.ResizeMode.Stretch)
        for col in (COL_VISIBLE, COL_LOCK):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(col, 28)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        # shapes labelme opens but labeldesk cannot draw: kept in the file, listed here
        self.cannot_draw = QListWidget(self)
        self.cannot_draw.setObjectName("cannotDraw")
        self.cannot_draw.setMaximumHeight(90)
        self.cannot_draw.setWordWrap(True)
        self.cannot_draw.hide()
        layout.addWidget(self.cannot_draw)
        self.selection: Selection | None = None
        self._syncing = False
        self.view.selectionModel().selectionChanged.connect(self._view_selection_changed)
        self.view.clicked.connect(self._clicked)
        self.view.doubleClicked.connect(self._double_clicked)
        self.model.modelReset.connect(self._selection_to_view)

    def set_document(self, doc: Document | None, selection: Selection) -> None:
        if self.selection is not None and self.selection is not selection:
            self.selection.changed.disconnect(self._on_selection)
        self.selection = selection
        selection.changed.connect(self._on_selection)
        self.model.set_document(doc)
        self._show_cannot_draw(doc)
        self._selection_to_view()

    def _show_cannot_draw(self, doc: Document | None) -> None:
        self.cannot_draw.clear()
        kept = list(getattr(doc, "kept_shapes", ())) if doc is not None else []
        for k in kept:
            item = QListWidgetItem(f"⚠ {k.describe()} (kept unchanged in the file)")
            item.setToolTip(k.describe())
            self.cannot_draw.addItem(item)
        self.cannot_draw.setVisible(bool(kept))

    def cannot_draw_texts(self) -> list[str]:
        """The "cannot draw" lines shown under the objects (for tests and the status bar)."""
        return [self.cannot_draw.item(i).text() for i in range(self.cannot_draw.count())]

    def set_icon_color(self, color: str) -> None:
        self.model.icon_color = color
        self.view.viewport().update()

    # -- selection both ways --------------------------------------------------------------------------
    def _on_selection(self, _ev: DocEvent) -> None:
        self._selection_to_view()

    def _selection_to_view(self) -> None:
        doc, sel = self.model.doc, self.selection
        if doc is None or sel is None or self._syncing:
            return
        self._syncing = True
        try:
            chosen = QItemSelection()
            last = None
            for i in sel.indices(doc):
                r = self.model.row_of(i)
                chosen.select(self.model.index(r, 0), self.model.index(r, 2))
                last = self.model.index(r, 0)
            sm = self.view.selectionModel()
            sm.select(chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            if last is not None:
                sm.setCurrentIndex(last, QItemSelectionModel.SelectionFlag.NoUpdate)
                self.view.scrollTo(last)
        finally:
            self._syncing = False

    def _view_selection_changed(self, *_args) -> None:
        doc, sel = self.model.doc, self.selection
        if doc is None or sel is None or self._syncing:
            return
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        shapes = doc.shapes
        self._syncing = True
        try:
            sel.set(shapes[self.model.shape_index(r)].uid for r in reversed(rows))
        finally:
            self._syncing = False

    # -- toggles ---------------------------------------------------------------------------------------
    def _clicked(self, index: QModelIndex) -> None:
        doc = self.model.doc
        if doc is None or index.column() == COL_LABEL:
            return
        i = self.model.shape_index(index.row())
        shape = doc.shapes[i]
        if index.column() == COL_VISIBLE:
            doc.execute(
                EditShape(i, "Show" if not shape.visible else "Hide", visible=not shape.visible)
            )
        else:
            doc.execute(EditShape(i, "Unlock" if shape.locked else "Lock", locked=not shape.locked))

    def _double_clicked(self, index: QModelIndex) -> None:
        if self.model.doc is not None and index.column() == COL_LABEL:
            self.activated.emit(self.model.doc.shapes[self.model.shape_index(index.row())].uid)
