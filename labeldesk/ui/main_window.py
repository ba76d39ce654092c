"""The main window: canvas in the centre, layers / classes / files docks, menus, status bar.

The window lays out widgets and forwards intents; the session (:mod:`labeldesk.ui.session`)
owns the folder, the document and saving, the tools own drawing. Actions are declared once in
:mod:`labeldesk.ui.builtin_actions`. Settings are applied by :meth:`MainWindow.apply_settings`
after construction (never read in a constructor) and written back on close.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QColor
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from labeldesk import __version__
from labeldesk.core.classes import ClassCatalogue
from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.tools import TOOLS, Tool, ToolContext
from labeldesk.io import IMAGE_SUFFIXES
from labeldesk.ui.actions import ActionManager, ActionRegistry
from labeldesk.ui.builtin_actions import default_registry
from labeldesk.ui.canvas import Canvas
from labeldesk.ui.class_control import ClassControl
from labeldesk.ui.dialogs.cheat_sheet import CheatSheet
from labeldesk.ui.dialogs.questions import ask_replace_read_only, ask_unsaved
from labeldesk.ui.dialogs.settings_dialog import Preferences, SettingsDialog
from labeldesk.ui.journal import Journal
from labeldesk.ui.panels.classes import ClassesPanel
from labeldesk.ui.panels.common import MessageBar
from labeldesk.ui.panels.files import FilesPanel
from labeldesk.ui.panels.layers import LayersPanel
from labeldesk.ui.panels.status import StatusBar
from labeldesk.ui.resources import app_icon, default_classes
from labeldesk.ui.session import Session
from labeldesk.ui.settings import AppSettings
from labeldesk.ui.themes import ThemeManager


class MainWindow(QMainWindow):
    """The composition root of one labeling window."""

    def __init__(
        self,
        settings: AppSettings,
        journal: Journal,
        theme: ThemeManager | None = None,
        registry: ActionRegistry | None = None,
    ) -> None:
        super().__init__()
        self.settings, self.theme = settings, theme
        self.setWindowIcon(app_icon())
        self.session = Session(journal, self)
        self.session.ask_unsaved = lambda name, can_save: ask_unsaved(self, name, can_save)
        self.session.ask_read_only = lambda name: ask_replace_read_only(self, name)
        self.canvas = Canvas(self)
        self.message_bar = MessageBar(self)
        central = QWidget(self)
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.canvas, 1)
        self.message_bar.overlay_on(self.canvas)  # over the canvas: showing it moves nothing
        self.setCentralWidget(central)
        self.layers, self.classes, self.files = (
            LayersPanel(self),
            ClassesPanel(self),
            FilesPanel(self),
        )
        self.docks = {
            name: self._dock(title, widget, area)
            for name, title, widget, area in (
                ("files", "Files", self.files, Qt.DockWidgetArea.LeftDockWidgetArea),
                ("layers", "Layers", self.layers, Qt.DockWidgetArea.RightDockWidgetArea),
                ("classes", "Classes", self.classes, Qt.DockWidgetArea.RightDockWidgetArea),
            )
        }
        self.actions = ActionManager(registry or default_registry(), self)
        self.actions.build_menus()
        self.actions.build_toolbars()
        file_menu, view_menu = self.actions.menus["File"], self.actions.menus["View"]
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.insertMenu(self.actions["file.save"], self.recent_menu)
        view_menu.addSeparator()
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.ctx = ToolContext(
            Document(),
            self.session.selection,
            active_label=lambda: self.session.active or "object",
            image=lambda: self.session.item.display if self.session.item else None,
            measured=lambda: self.session.item.raw if self.session.item else None,
            message=lambda text: self.show_message(text, "status"),
        )
        self._tools: dict[str, Tool] = {}
        # Edit > Undo / Redo ask these first (``hook("undo" | "redo") -> handled``): a stack
        # takes a whole propagation or interpolation back in one step (ui.stack)
        self.history_hooks: list[Callable[[str], bool]] = []
        self.clipboard: list = []  # copied objects (Edit > Copy / Paste)
        self._cheat: CheatSheet | None = None
        self.class_control = ClassControl(
            self.session, self.classes, self.actions, self, self.show_message, self.canvas.refresh
        )
        self._wire()
        self.set_tool("polygon")
        self._update_title()
        self._on_selection()
        self.resize(1280, 800)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock.{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    def _wire(self) -> None:
        s = self.session
        s.loaded.connect(self._on_loaded)
        s.dirty_changed.connect(lambda _d: self._update_title())
        s.message.connect(self.show_message)
        s.states_changed.connect(lambda: self.files.set_states(s.states))
        s.navigator.listing_changed.connect(self._on_listing)
        s.selection.changed.connect(lambda _e: self._on_selection())
        self.canvas.cursor_moved.connect(
            lambda x, y: self.status.set_cursor(s.item.raw if s.item else None, x, y)
        )
        self.canvas.zoom_changed.connect(self.status.set_zoom)
        self.canvas.hint_changed.connect(self.status.set_hint)
        self.canvas.message.connect(lambda text: self.show_message(text, "status"))
        self.files.activated.connect(lambda p: self.go_to(s.navigator.images.index(p)))
        self.files.order_changed.connect(s.navigator.set_order)
        self.canvas.double_clicked.connect(self._double_clicked)
        self.layers.activated.connect(self.canvas.center_on_object)
        if self.theme is not None:
            self.theme.changed.connect(lambda _name: self._recolor_icons())
        self._recolor_icons()

    # -- settings (read here, after construction; written back on close) ---------------------------
    def apply_settings(self) -> None:
        st = self.settings
        self.actions.apply_bindings(st.shortcuts())
        geometry, state = st.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._fill_recent(st.recent_folders())
        self.set_autosave(st.autosave())
        self.session.navigator.read_ahead = st.read_ahead()
        if st.last_class():
            self.session.active = st.last_class()
        if self.theme is not None:
            self.theme.apply(st.theme())

    def _save_settings(self) -> None:
        st = self.settings
        st.set_window_state(self.saveGeometry(), self.saveState())
        st.set_shortcuts(self.actions.user_overrides())
        st.set_autosave(self.session.autosave)
        st.set_last_class(self.session.active)
        stacks = getattr(self, "stack_opener", None)
        if stacks is not None and stacks.active:
            stacks.save_classes()  # a stack's list belongs to its sidecar folder (ui.stack)
        elif self.session.folder is not None:
            st.set_classes_for(self.session.folder, self.session.classes.to_list())
        st.sync()

    # -- files -------------------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Open a folder, an image or a labelme JSON; a problem shows as a message."""
        stacks = getattr(self, "stack_opener", None)  # frame stacks (plugin labeldesk.ui.stack)
        if stacks is not None:
            opened = stacks.open_path(path)
            if opened is not None:
                return opened
        try:
            folder = Path(path) if Path(path).is_dir() else Path(path).parent
            if self.session.folder is not None:
                self.settings.set_classes_for(self.session.folder, self.session.classes.to_list())
            saved = self.settings.classes_for(folder)
            classes = ClassCatalogue.from_list(saved) if saved else default_classes()
            if not self.session.open(path, classes):
                return False
        except LabeldeskError as exc:
            self.show_message(str(exc), "error")
            return False
        if self.session.active not in self.session.classes and len(self.session.classes):
            self.session.active = self.session.classes.names()[0]
        self._fill_recent(self.settings.add_recent_folder(self.session.folder))
        return True

    def _fill_recent(self, folders: list[str]) -> None:
        self.recent_menu.clear()
        for folder in folders:
            self.recent_menu.addAction(folder, lambda f=folder: self.open_path(f))
        self.recent_menu.setEnabled(bool(folders))

    def open_dialog(self, folder: bool) -> None:
        start = str(self.session.folder or Path.home())
        if folder:
            path = QFileDialog.getExistingDirectory(self, "Open folder", start)
        else:
            pattern = " ".join(f"*{s}" for s in IMAGE_SUFFIXES)
            path, _ = QFileDialog.getOpenFileName(
                self, "Open image", start, f"Images ({pattern});;labelme JSON (*.json)"
            )
        if path:
            self.open_path(path)

    def go(self, step: int) -> None:
        """Next (+1) or previous (-1) image, in the order the files panel shows."""
        index = self.session.navigator.neighbour(step)
        if index is not None:
            self.go_to(index)

    def go_to(self, index: int) -> None:
        """Show image ``index`` of the folder (saving or asking first)."""
        tool = self.canvas.tool()
        if tool is not None and tool.busy():
            tool.cancel()
        self.session.go(index)

    def save(self) -> bool:
        """File ▸ Save: a person's save, which also reviews machine-made objects."""
        return self.session.save(reviewed=True)

    def set_autosave(self, on: bool | None) -> None:
        action = self.actions["file.autosave"]
        on = action.isChecked() if on is None else on
        action.setChecked(on)
        self.session.autosave = on

    def offer_recovery(self) -> int:
        """Offer the edits of sessions that crashed; returns how many entries were offered."""
        entries = self.session.journal.orphans()
        if not entries:
            return 0
        e = entries[0]
        more = f" (and {len(entries) - 1} older)" if len(entries) > 1 else ""
        self.show_message(
            f"labeldesk stopped unexpectedly with unsaved edits to {e.json_path.name}: {e.n_objects} objects{more}.",
            "warning",
            [
                ("Restore", lambda: self.restore(e)),
                ("Discard", lambda: self.session.journal.discard(e)),
            ],
        )
        return len(entries)

    def restore(self, entry) -> None:
        current = self.session.item.path.resolve() if self.session.item else None
        if current != entry.image_path and not self.open_path(entry.image_path):
            return
        self.session.restore(entry)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        if not self.session.leave():
            event.ignore()
            return
        self._save_settings()
        self.session.close()
        if self._cheat is not None:
            self._cheat.close()
        event.accept()

    # -- editing -----------------------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        if name not in TOOLS:
            return
        if name not in self._tools:
            self._tools[name] = TOOLS[name](self.ctx)
        self.canvas.set_tool(self._tools[name])
        self.actions[f"tool.{name}"].setChecked(True)
        self.status.set_hint(self._tools[name].hint)

    def undo(self) -> None:
        self._history("undo")

    def redo(self) -> None:
        self._history("redo")

    def _history(self, which: str) -> None:
        doc, tool = self.session.doc, self.canvas.tool()
        if doc is None:
            return
        if tool is not None and tool.busy():
            tool.cancel()
        if any(hook(which) for hook in self.history_hooks):
            return
        getattr(doc, which)()
        self.session.selection.prune(doc)

    # -- dialogs -----------------------------------------------------------------------------------
    def show_settings(self) -> None:
        prefs = Preferences(
            self.session.autosave,
            self.session.navigator.read_ahead,
            self.theme.choice if self.theme else "system",
            dict(self.actions.bindings),
        )
        dialog = SettingsDialog(prefs, self.actions.registry, self)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_preferences(dialog.preferences())

    def apply_preferences(self, prefs: Preferences) -> None:
        self.set_autosave(prefs.autosave)
        self.session.navigator.read_ahead = prefs.read_ahead
        self.actions.apply_bindings(prefs.bindings)
        if self.theme is not None:
            self.theme.apply(prefs.theme)
        self.settings.set_theme(prefs.theme)
        self.settings.set_shortcuts(self.actions.user_overrides())
        self.settings.set_autosave(prefs.autosave)
        self.settings.sync()
        if self._cheat is not None:
            self._cheat.rebuild()

    def show_cheat_sheet(self) -> None:
        if self._cheat is None:
            self._cheat = CheatSheet(self.actions, self)
        self._cheat.rebuild()
        self._cheat.show()
        self._cheat.raise_()

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About labeldesk",
            f"<b>labeldesk {__version__}</b><br>Image labeling for segmentation.",
        )

    def show_message(self, text: str, level: str = "info", actions: list | None = None) -> None:
        """``"status"``: the status bar; other levels: the non-modal message bar."""
        if level == "status":
            self.statusBar().showMessage(text, 4000)
        else:
            self.message_bar.show_message(text, level, actions)
            item = self.session.item
            self.message_bar.context = item.path if item is not None else None

    # -- views follow the session ------------------------------------------------------------------
    def _on_loaded(self) -> None:
        s = self.session
        doc, item = s.doc, s.item
        tool = self.canvas.tool()
        if tool is not None:
            tool.cancel()
        self.message_bar.hide_if_about_other(item.path)  # a message about the previous image
        self.ctx.document = doc
        self.canvas.set_image(item.display, item.levels)  # coarse levels built in the worker
        self.canvas.set_document(doc, s.selection)
        self.canvas.fit()
        self.layers.set_document(doc, s.selection)
        self.files.set_current(item.path)
        self.status.set_index(s.navigator.index, len(s.navigator.images))
        self.actions.set_enabled("document", doc is not None)  # None: an unreadable image
        self._update_title()

    def _double_clicked(self, _x: float, _y: float) -> None:
        tool = self.canvas.tool()
        if tool is not None and tool.name == "edit" and len(self.session.selection):
            self.class_control.label_dialog()  # labelme: double-click an object to relabel it

    def _on_listing(self) -> None:
        self.files.set_images(self.session.navigator.images)

    def _on_selection(self) -> None:
        has = self.session.doc is not None and len(self.session.selection) > 0
        self.actions.set_enabled("selection", has)
        if self.session.doc is None:
            self.actions.set_enabled("document", False)

    def _update_title(self) -> None:
        s = self.session
        name = s.item.path.name if s.item else "no image"
        frame_title = getattr(getattr(self, "stack_opener", None), "frame_title", None)
        if s.item is not None and callable(frame_title):
            name = frame_title(s.item.path) or name  # "clip.mp4 — frame 1/240" (ui.stack)
        self.setWindowTitle(
            f"{name}{' •' if s.doc is not None and s.doc.is_dirty() else ''} — labeldesk"
        )

    def _recolor_icons(self) -> None:
        if self.theme is not None and self.theme.effective:
            icon, accent = self.theme.color("icon"), self.theme.color("accent_text")
        else:
            icon, accent = QColor("#3b4252"), QColor("#ffffff")
        self.actions.refresh_icons(icon, accent)
        self.classes.set_icon_color(icon.name())
        self.layers.set_icon_color(icon.name())
