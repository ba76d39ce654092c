"""Run by tests/gui/test_no_torch_on_gui_thread.py in a fresh process: open the sample, open
every dialog the window offers through its own actions (each closed again at once), and print
whether torch got imported. Usage: python open_every_dialog.py FOLDER WORKDIR"""

from __future__ import annotations

import os
import sys

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox  # noqa: E402

DIALOG_ACTIONS = (
    "file.settings",
    "help.keys",
    "class.add",
    "file.export",
    "assist.model_manager",
    "train.dialog",
    "review.compare",
    "file.open_image",
    "file.open_folder",
    "stack.open",
    "stack.open_folder",
)


def main() -> int:
    folder, work = sys.argv[1], sys.argv[2]
    app = QApplication([])
    from labeldesk.ui.journal import Journal
    from labeldesk.ui.main_window import MainWindow
    from labeldesk.ui.plugins import install_plugins
    from labeldesk.ui.settings import AppSettings

    settings = AppSettings(QSettings(os.path.join(work, "s.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, Journal(os.path.join(work, "journal")))
    install_plugins(window)
    window.show()
    window.open_path(folder)
    for _ in range(100):
        app.processEvents()
        if window.session.doc is not None:
            break
        QTimer.singleShot(20, lambda: None)
        app.processEvents()
    # answer every question / file dialog at once so exec() returns
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Cancel)
    for name in ("getOpenFileName", "getSaveFileName"):
        setattr(QFileDialog, name, staticmethod(lambda *a, **k: ("", "")))
    QFileDialog.getExistingDirectory = staticmethod(lambda *a, **k: "")

    def close_dialogs() -> None:
        for widget in app.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.reject()

    closer = QTimer()
    closer.timeout.connect(close_dialogs)
    closer.start(50)
    opened = []
    for action_id in DIALOG_ACTIONS:
        try:
            action = window.actions[action_id]
        except KeyError:
            continue
        if not action.isEnabled():
            continue
        action.trigger()
        app.processEvents()
        close_dialogs()
        opened.append(action_id)
    closer.stop()
    print("opened:", " ".join(opened))
    print("torch imported:", "torch" in sys.modules)
    if window.session.doc is not None:
        window.session.doc.mark_clean()
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
