"""Starting the app as ``labeldesk`` does: the bundled sample, no torch, settings that persist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtCore import QSettings

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    def check():
        w = next((x for x in app.topLevelWidgets() if type(x).__name__ == "MainWindow"), None)
        if w is None or w.session.doc is None:
            QTimer.singleShot(10, check)
            return
        s = w.session
        print(json.dumps({
            "image": str(s.item.path), "objects": len(s.doc), "classes": s.classes.names(),
            "torch": "torch" in sys.modules, "title": w.windowTitle(),
            "next_keys": [k.toString() for k in w.actions["file.next"].shortcuts()],
            "actions_in_menus": all(a in [x for m in w.actions.menus.values() for x in m.actions()]
                                    for a in w.actions.actions.values()),
        }), flush=True)
        w.set_tool("rectangle")
        s.set_active(s.classes.names()[2])
        w.close()
    QTimer.singleShot(0, check)
    from labeldesk.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def run_child(home: Path, *args: str) -> dict:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DOCUMENTS_DIR=str(home / "Documents"),
        LABELDESK_JOURNAL_DIR=str(home / "journal"),
        PYTHONPATH=str(REPO),
    )
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr[-3000:]
    line = next(x for x in out.stdout.splitlines() if x.startswith("{"))
    return json.loads(line)


def test_labeldesk_opens_a_writable_copy_of_the_sample_without_torch(tmp_path):
    info = run_child(tmp_path)
    image = Path(info["image"])
    assert image.name == "01-street.jpg" and image.parent.name == "labeldesk-sample"
    assert tmp_path in image.parents  # a copy in the user's documents, not the installed files
    assert info["objects"] == 8
    assert info["classes"][:3] == ["tree", "house", "car"]
    assert info["torch"] is False
    assert info["actions_in_menus"] is True
    assert info["title"] == "01-street.jpg — labeldesk"
    ini = tmp_path / "config" / "labeldesk" / "labeldesk.ini"
    store = QSettings(str(ini), QSettings.Format.IniFormat)
    assert store.value("labeling/last_class") == "car"  # written back on close
    assert json.loads(store.value("files/recent"))[0] == str(image.parent)


def test_a_given_path_and_reset_settings(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "a.png").write_bytes((REPO / "resources" / "icons" / "labeldesk.png").read_bytes())
    ini = tmp_path / "config" / "labeldesk" / "labeldesk.ini"
    ini.parent.mkdir(parents=True)
    QSettings(str(ini), QSettings.Format.IniFormat).setValue(
        "keyboard/shortcuts", json.dumps({"file.next": ["N"]})
    )
    info = run_child(tmp_path, str(folder / "a.png"))
    assert Path(info["image"]) == folder / "a.png" and info["objects"] == 0
    assert info["next_keys"] == ["N"]  # the saved binding is applied
    info = run_child(tmp_path, str(folder / "a.png"), "--reset-settings")
    assert info["next_keys"] == ["D"]


def test_an_unexpected_error_is_a_message_not_a_crash(make_window, sample_dir):
    from labeldesk.core.errors import WriteError
    from labeldesk.ui.app import _report_to

    w = make_window(sample_dir)
    hook = _report_to(w)
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError as exc:
        hook(type(exc), exc, exc.__traceback__)
    assert w.message_bar.isVisible()
    assert w.message_bar.text().startswith("Unexpected error (ZeroDivisionError: division by zero)")
    hook(WriteError, WriteError("/x/a.json", "disk full"), None)
    assert w.message_bar.text().startswith("/x/a.json: disk full.")
