"""Declarative actions: each one is declared once (id, text, shortcuts, icon, handler).

:class:`ActionRegistry` holds :class:`ActionSpec` declarations (built-ins register the way a
plugin would, see :mod:`labeldesk.ui.builtin_actions`). :class:`ActionManager` turns them
into QActions for one window, puts every action in its menu (so every binding is
discoverable), fills the toolbars, applies user key bindings over the defaults, and repaints
the icons when the theme changes. Handlers are called with the window. A plugin takes over
an action declared before it (a built-in tool's plain entry, say) with
:meth:`ActionRegistry.replace` before the window is built, or :meth:`ActionManager.replace`
in a built window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from labeldesk.ui import icons

MENUS = ("File", "Edit", "View", "Tools", "Classes", "Help")


@dataclass(frozen=True)
class ActionSpec:
    """One user command.

    id: stable identifier (``"file.save"``), also the key of user bindings.
    text: menu text (``&`` marks the mnemonic).
    menu: top-level menu it appears in (one of :data:`MENUS`); ``section`` groups items
        between separators inside that menu.
    shortcuts: default key sequences in portable text (``"Ctrl+S"``); the first is shown in
        the menu.
    icon: a qtawesome icon name, or None.
    handler: called with the window when the action triggers.
    checkable / group: a checkable action; actions sharing ``group`` are exclusive.
    toolbar: ``"main"`` or ``"tools"`` to show it in that toolbar.
    enabled_when: ``"document"`` (an image is open), ``"selection"`` (objects selected) or
        None (always); the window updates enabled states from it.
    """

    id: str
    text: str
    menu: str
    handler: Callable[[Any], None]
    shortcuts: tuple[str, ...] = ()
    icon: str | None = None
    tip: str = ""
    section: int = 0
    checkable: bool = False
    group: str | None = None
    toolbar: str | None = None
    enabled_when: str | None = None


class ActionRegistry:
    """Ordered declarations; ids are unique."""

    def __init__(self) -> None:
        self._specs: dict[str, ActionSpec] = {}

    def register(self, spec: ActionSpec) -> ActionSpec:
        if spec.id in self._specs:
            raise ValueError(f"action {spec.id!r} is registered already")
        if spec.menu not in MENUS:
            raise ValueError(
                f"action {spec.id!r}: menu must be one of {', '.join(MENUS)}, got {spec.menu!r}"
            )
        self._specs[spec.id] = spec
        return spec

    def replace(self, spec: ActionSpec) -> ActionSpec:
        """Make ``spec`` the declaration of its id, which must be registered already (a
        plugin taking over a built-in action); it keeps its place in the menu order.
        Returns the declaration it replaces."""
        if spec.id not in self._specs:
            raise ValueError(f"action {spec.id!r} is not registered; register() it instead")
        if spec.menu not in MENUS:
            raise ValueError(
                f"action {spec.id!r}: menu must be one of {', '.join(MENUS)}, got {spec.menu!r}"
            )
        old = self._specs[spec.id]
        self._specs[spec.id] = spec
        return old

    def __contains__(self, action_id: object) -> bool:
        return action_id in self._specs

    def __iter__(self):
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __getitem__(self, action_id: str) -> ActionSpec:
        return self._specs[action_id]

    def defaults(self) -> dict[str, list[str]]:
        return {s.id: list(s.shortcuts) for s in self._specs.values()}


def normalize(sequence: str) -> str:
    """A key sequence in Qt's portable text (``"ctrl+s"`` -> ``"Ctrl+S"``); "" if invalid."""
    seq = QKeySequence(sequence)
    return seq.toString(QKeySequence.SequenceFormat.PortableText) if not seq.isEmpty() else ""


def conflicts(bindings: dict[str, list[str]]) -> dict[str, list[str]]:
    """Key sequences bound to more than one action: ``{sequence: [action ids]}``."""
    seen: dict[str, list[str]] = {}
    for action_id, seqs in bindings.items():
        for s in seqs:
            key = normalize(s)
            if key:
                seen.setdefault(key, []).append(action_id)
    return {k: v for k, v in seen.items() if len(v) > 1}


class ActionManager(QObject):
    """The QActions of one window, built from a registry."""

    def __init__(self, registry: ActionRegistry, window: QMainWindow) -> None:
        super().__init__(window)
        self.registry = registry
        self.window = window
        self.actions: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {}
        self.toolbars: dict[str, QToolBar] = {}
        self._groups: dict[str, QActionGroup] = {}
        self.bindings: dict[str, list[str]] = registry.defaults()
        self._user: dict[str, list[str]] = {}
        self._colors: tuple[QColor, QColor] | None = None
        for spec in registry:
            self._make(spec)

    def _make(self, spec: ActionSpec) -> QAction:
        action = QAction(spec.text, self.window)
        action.setObjectName(spec.id)
        action.setToolTip(spec.tip or spec.text.replace("&", ""))
        action.setCheckable(spec.checkable)
        if spec.group:
            group = self._groups.get(spec.group)
            if group is None:
                group = self._groups[spec.group] = QActionGroup(self.window)
            group.addAction(action)
        # the handler is looked up when triggered, so replace() can change it
        action.triggered.connect(
            lambda _checked=False, i=spec.id: self.registry[i].handler(self.window)
        )
        self.window.addAction(action)  # shortcuts work even with the menu bar hidden
        self.actions[spec.id] = action
        return action

    def __getitem__(self, action_id: str) -> QAction:
        return self.actions[action_id]

    def add(self, spec: ActionSpec) -> QAction:
        """Create the QAction of ``spec`` (registered already) in a built window: in its menu,
        its toolbar, with its keys (the user's binding when one is saved) and themed icon."""
        if spec.id not in self.registry:
            self.registry.register(spec)
        if spec.id in self.actions:
            return self.actions[spec.id]
        action = self._make(spec)
        if spec.menu in self.menus:
            self._insert_in_menu(spec, action)
        if spec.toolbar in self.toolbars:
            self.toolbars[spec.toolbar].addAction(action)
        self._apply_keys_and_icon(spec, action)
        return action

    def _insert_in_menu(self, spec: ActionSpec, action: QAction) -> None:
        """Put ``action`` at the end of its section of its menu, a new section between
        separators before the first later section, as :meth:`build_menus` would have (an
        action added by a plugin in a built window does not land under Quit)."""
        menu = self.menus[spec.menu]
        items = menu.actions()

        def section(item: QAction) -> int | None:
            name = item.objectName()
            if name and name != spec.id and name in self.registry:
                other = self.registry[name]
                if other.menu == spec.menu:
                    return other.section
            return None

        later = next(
            (i for i, item in enumerate(items) if (section(item) or 0) > spec.section), None
        )
        if later is None:
            if items and not items[-1].isSeparator() and section(items[-1]) != spec.section:
                menu.addSeparator()
            menu.addAction(action)
            return
        known = [i for i in range(later) if section(items[i]) is not None]
        at = known[-1] + 1 if known else 0
        if at < len(items):
            menu.insertAction(items[at], action)
        else:
            menu.addAction(action)
        if known and section(items[known[-1]]) != spec.section:
            menu.insertSeparator(action)
        if not known or section(items[known[-1]]) != spec.section:
            follower = items[at] if at < len(items) else None
            if follower is not None and not follower.isSeparator():
                menu.insertSeparator(follower)

    def replace(self, spec: ActionSpec) -> QAction:
        """Take over the action ``spec.id`` with ``spec`` (a plugin replacing a built-in
        declaration), or :meth:`add` it when there is none. The QAction stays the same object
        (connections to it keep working) and takes the new text, tip, handler, default keys
        (a binding the user saved still wins), icon, checkability, group, menu and toolbar."""
        if spec.id not in self.actions:
            return self.add(spec)
        old = self.registry.replace(spec)
        action = self.actions[spec.id]
        action.setText(spec.text)
        action.setToolTip(spec.tip or spec.text.replace("&", ""))
        action.setCheckable(spec.checkable)
        if old.group != spec.group:
            if old.group in self._groups:
                self._groups[old.group].removeAction(action)
            if spec.group:
                group = self._groups.get(spec.group)
                if group is None:
                    group = self._groups[spec.group] = QActionGroup(self.window)
                group.addAction(action)
        for where, was, now in (
            (self.menus, old.menu, spec.menu),
            (self.toolbars, old.toolbar, spec.toolbar),
        ):
            if was != now:
                if was in where:
                    where[was].removeAction(action)
                if now in where:
                    where[now].addAction(action)
        if spec.enabled_when is None:
            action.setEnabled(True)
        if not spec.icon:
            action.setIcon(QIcon())
        self._apply_keys_and_icon(spec, action)
        return action

    def _apply_keys_and_icon(self, spec: ActionSpec, action: QAction) -> None:
        """The user's saved keys for ``spec.id`` (else its defaults), and its themed icon."""
        seqs = self._user.get(spec.id, list(spec.shortcuts))
        self.bindings[spec.id] = [s for s in (normalize(x) for x in seqs) if s]
        action.setShortcuts([QKeySequence(s) for s in self.bindings[spec.id]])
        if spec.icon and self._colors is not None:
            action.setIcon(
                icons.icon(
                    spec.icon,
                    color=self._colors[0],
                    color_active=self._colors[1],
                    color_on=self._colors[1],
                )
            )

    # -- menus and toolbars ---------------------------------------------------------------------
    def build_menus(self) -> dict[str, QMenu]:
        bar = self.window.menuBar()
        for name in MENUS:
            self.menus[name] = bar.addMenu("&" + name)
        last_section: dict[str, int] = {}
        for spec in self.registry:
            menu = self.menus[spec.menu]
            if spec.menu in last_section and last_section[spec.menu] != spec.section:
                menu.addSeparator()
            last_section[spec.menu] = spec.section
            menu.addAction(self.actions[spec.id])
        return self.menus

    def build_toolbars(self) -> dict[str, QToolBar]:
        for name, title in (("main", "Main"), ("tools", "Tools")):
            bar = QToolBar(title, self.window)
            bar.setObjectName(f"toolbar.{name}")
            bar.setMovable(True)
            self.window.addToolBar(bar)
            self.toolbars[name] = bar
        last: dict[str, int] = {}
        for spec in self.registry:
            if spec.toolbar in self.toolbars:
                bar = self.toolbars[spec.toolbar]
                if spec.toolbar in last and last[spec.toolbar] != spec.section:
                    bar.addSeparator()
                last[spec.toolbar] = spec.section
                bar.addAction(self.actions[spec.id])
        return self.toolbars

    # -- keys and looks ---------------------------------------------------------------------------
    def apply_bindings(self, user: dict[str, list[str]]) -> None:
        """Defaults overridden by ``user`` (action id -> sequences; [] unbinds)."""
        self._user = {k: list(v) for k, v in user.items()}
        self.bindings = self.registry.defaults()
        for action_id, seqs in user.items():
            if action_id in self.bindings:
                self.bindings[action_id] = [s for s in (normalize(x) for x in seqs) if s]
        for action_id, seqs in self.bindings.items():
            if action_id in self.actions:
                self.actions[action_id].setShortcuts([QKeySequence(s) for s in seqs])

    def user_overrides(self) -> dict[str, list[str]]:
        """Only the bindings that differ from the defaults (what settings store); saved
        bindings of actions not present in this window (a plugin not loaded) are kept."""
        defaults = self.registry.defaults()
        out = {k: v for k, v in self._user.items() if k not in self.bindings}
        out.update(
            {k: v for k, v in self.bindings.items() if [normalize(s) for s in defaults[k]] != v}
        )
        return out

    def refresh_icons(self, color: QColor, active: QColor) -> None:
        self._colors = (color, active)
        for spec in self.registry:
            if spec.icon:
                self.actions[spec.id].setIcon(
                    icons.icon(spec.icon, color=color, color_active=active, color_on=active)
                )

    def set_enabled(self, condition: str, enabled: bool) -> None:
        for spec in self.registry:
            if spec.enabled_when == condition:
                self.actions[spec.id].setEnabled(enabled)

    def rows(self) -> Iterable[tuple[ActionSpec, list[str]]]:
        """Every action with its current bindings (for the cheat sheet), in the order its
        menu shows it (an action a plugin added sits where the menu has it), then any not in
        a menu."""
        seen: set[str] = set()
        for name in MENUS:
            menu = self.menus.get(name)
            for item in menu.actions() if menu is not None else []:
                action_id = item.objectName()
                if action_id in self.registry and action_id not in seen:
                    seen.add(action_id)
                    yield self.registry[action_id], self.bindings.get(action_id, [])
        for spec in self.registry:
            if spec.id not in seen:
                yield spec, self.bindings.get(spec.id, [])
