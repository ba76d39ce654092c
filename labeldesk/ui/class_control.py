"""Everything the window does with classes: the active class, hotkeys, the label dialog, and
the classes panel's add / rename / recolour / delete requests.

The work itself is the session's (a rename goes through every file of the folder); this
controller asks the user (dialogs), reports refusals as messages and keeps the classes panel
and the "Class 1..9" action texts in step with the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.tools import ops
from labeldesk.ui.actions import ActionManager
from labeldesk.ui.dialogs.label_dialog import LabelDialog
from labeldesk.ui.dialogs.questions import ask_color, ask_text
from labeldesk.ui.panels.classes import ClassesPanel
from labeldesk.ui.session import Session


class ClassControl(QObject):
    """Binds the classes panel and the class actions to the session."""

    def __init__(
        self,
        session: Session,
        panel: ClassesPanel,
        actions: ActionManager,
        parent: QWidget,
        message: Callable[[str, str], None],
        refresh_canvas: Callable[[], None],
    ) -> None:
        super().__init__(parent)
        self.session, self.panel, self.actions = session, panel, actions
        self.parent_widget, self.message, self.refresh_canvas = parent, message, refresh_canvas
        panel.chosen.connect(self.choose)
        panel.requested.connect(self.request)
        session.classes_changed.connect(self.refresh)

    def choose_key(self, key: str) -> None:
        """Hotkey ``1``..``9``: make that class active (and give it to the selection)."""
        cls = self.session.classes.by_hotkey(key)
        if cls is None:
            self.message(f"No class has the key {key}; see the Classes panel", "status")
            return
        self.choose(cls.name)

    def choose(self, name: str) -> None:
        """Make ``name`` active and give it to the selected objects (one undo step)."""
        s = self.session
        s.set_active(name)
        if s.doc is not None and len(s.selection):
            try:
                ops.change_class(s.doc, s.selection, name)
            except LabeldeskError as exc:
                self.message(str(exc), "warning")
        self.refresh()
        self.message(f"Class: {name}", "status")

    def label_dialog(self) -> None:
        """Ctrl+E: type a class (with completion) for the selection, or as the active class."""
        s = self.session
        chosen = s.selection.indices(s.doc) if s.doc is not None else []
        current = s.doc.shapes[chosen[-1]].label if chosen else s.active
        dialog = LabelDialog(s.classes, current, self.parent_widget)
        if dialog.exec() != LabelDialog.DialogCode.Accepted or not dialog.value():
            return
        s.classes.ensure(dialog.value())
        self.choose(dialog.value())

    def request(self, verb: str, name: str) -> None:
        """The panel's buttons: ``"add"``, ``"rename"``, ``"recolor"``, ``"delete"``."""
        s, parent = self.session, self.parent_widget
        try:
            if verb == "add" and (text := ask_text(parent, "Add class", "Name of the new class:")):
                s.classes.add(text)
                self.choose(text)
            elif verb == "rename" and name:
                text = ask_text(
                    parent,
                    "Rename class",
                    f"Rename {name!r} in every file of this folder to:",
                    name,
                )
                if text and text != name:
                    s.rename_class(name, text)
            elif verb == "recolor" and name:
                if rgb := ask_color(parent, f"Colour of {name}", s.classes.color_of(name)):
                    s.classes.recolor(name, rgb)
                    self.refresh_canvas()
                    self.refresh()
            elif verb == "delete" and name:
                s.delete_class(name)
        except LabeldeskError as exc:
            self.message(str(exc), "warning")

    def refresh(self) -> None:
        s = self.session
        self.panel.refresh(s.classes, s.counts(), s.active)
        for k in range(1, 10):
            cls = s.classes.by_hotkey(str(k))
            self.actions[f"class.{k}"].setText(f"Class {k}: {cls.name}" if cls else f"Class {k}")
