"""Frame stacks in the app: the Frames dock, frame keys, propagate and interpolate actions.

Installed as a plugin (:mod:`labeldesk.ui.plugins`). Keys: ``.`` / ``,`` (or Ctrl+Right /
Ctrl+Left) next / previous frame, ``>`` / ``<`` (Shift with them, or Ctrl+Shift+Right / Left)
ten frames; none of them is bound by the built-in actions.
"""

from __future__ import annotations

from typing import Any

from labeldesk.ui.actions import ActionSpec
from labeldesk.ui.stack.controller import StackController
from labeldesk.ui.stack.paths import opens_as_stack

__all__ = ["StackController", "install", "opens_as_stack"]


def _open_dialog(window: Any, ctl: StackController, folder: bool) -> None:
    from PySide6.QtWidgets import QFileDialog

    start = str(window.session.folder or "")
    if folder:
        path = QFileDialog.getExistingDirectory(window, "Open frame folder or DICOM series", start)
    else:
        pattern = "*.mp4 *.m4v *.mov *.avi *.mkv *.webm *.tif *.tiff *.nii *.nii.gz"
        path, _ = QFileDialog.getOpenFileName(
            window, "Open video or volume", start, f"Videos and volumes ({pattern})"
        )
    if path:
        ctl.open_path(path, force=True)


def install(window: Any) -> StackController:
    """Add the frame-stack feature to ``window``; also set as ``window.stack_opener``."""
    ctl = StackController(window)
    specs = [
        ActionSpec("stack.open", "Open &Video or Volume…", "File",
                   lambda w: _open_dialog(w, ctl, False), (), "mdi6.filmstrip", section=0),
        ActionSpec("stack.open_folder", "Open Frame &Stack Folder…", "File",
                   lambda w: _open_dialog(w, ctl, True), (), "mdi6.folder-play-outline", section=0),
        ActionSpec("stack.next", "Next &Frame", "View", lambda w: ctl.step(+1),
                   (".", "Ctrl+Right"), "mdi6.skip-next-outline", section=5),
        ActionSpec("stack.previous", "Previous F&rame", "View", lambda w: ctl.step(-1),
                   (",", "Ctrl+Left"), "mdi6.skip-previous-outline", section=5),
        ActionSpec("stack.next10", "Forward 10 Frames", "View", lambda w: ctl.step(+10),
                   (">", "Ctrl+Shift+Right"), "mdi6.skip-forward-outline", section=5),
        ActionSpec("stack.previous10", "Back 10 Frames", "View", lambda w: ctl.step(-10),
                   ("<", "Ctrl+Shift+Left"), "mdi6.skip-backward-outline", section=5),
        ActionSpec("stack.propagate", "&Propagate Forward", "Tools", lambda w: ctl.propagate(+1),
                   ("Ctrl+Shift+P",), "mdi6.arrow-right-bold-box-outline", section=5,
                   tip="Carry the selected (or all) objects of this frame to the following frames"),
        ActionSpec("stack.propagate_back", "Propagate &Backward", "Tools",
                   lambda w: ctl.propagate(-1), (), "mdi6.arrow-left-bold-box-outline", section=5),
        ActionSpec("stack.interpolate", "&Interpolate Between Key Frames", "Tools",
                   lambda w: ctl.interpolate(), ("Ctrl+Shift+L",), "mdi6.vector-polyline", section=5),
        ActionSpec("stack.undo_job", "&Undo Last Propagation or Interpolation", "Tools",
                   lambda w: ctl.undo_last_job(), ("Ctrl+Alt+Z",), "mdi6.undo-variant", section=5,
                   tip="Take it back on every frame it changed"),
    ]  # fmt: skip
    for spec in specs:
        if spec.id not in window.actions.actions:
            window.actions.add(spec)
    window.actions.menus["View"].addAction(ctl.dock.toggleViewAction())
    window.actions.menus["View"].addAction(ctl.views_dock.toggleViewAction())
    window.stack_opener = ctl
    return ctl
