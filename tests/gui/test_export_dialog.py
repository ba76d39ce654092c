"""File > Export Dataset runs the export in the background and reports the result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QApplication

from labeldesk.ui.export_dialog import ExportDialog, install


def _dialog(qtbot) -> ExportDialog:
    qtbot.waitUntil(
        lambda: any(isinstance(w, ExportDialog) for w in QApplication.topLevelWidgets())
    )
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, ExportDialog))


def test_export_voc_from_the_menu(qtbot, make_window, sample_dir: Path, tmp_path: Path) -> None:
    window = make_window(sample_dir)
    install(window)
    action = window.actions.actions["file.export"]
    menu = window.actions.menus["File"].actions()
    assert menu.index(action) < menu.index(window.actions.actions["file.settings"])
    action.trigger()
    dialog = _dialog(qtbot)
    out = tmp_path / "voc"
    dialog.output.setText(str(out))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=60_000)
    assert dialog.report.exit_code == 0
    labeled = [p for p in sample_dir.glob("*.json")]
    pngs = sorted((out / "SegmentationClass").glob("*.png"))
    assert [p.stem for p in pngs] == sorted(p.stem for p in labeled)
    data = json.loads(labeled[0].read_text())
    classes = (out / "class_names.txt").read_text().split()
    seg = np.asarray(Image.open(pngs[0]))
    present = {classes[v] for v in np.unique(seg) if v not in (0, 255)}
    assert present == {s["label"] for s in data["shapes"]}
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.host.is_running())


def test_unsaved_edits_without_autosave_are_not_exported(
    qtbot, make_window, sample_dir: Path
) -> None:
    window = make_window(sample_dir, autosave=False)
    install(window)
    messages: list[str] = []
    window.show_message = lambda text, level="info", actions=None: messages.append(text)
    doc = window.session.doc
    assert len(doc) > 0
    doc.remove_shapes([0])
    window.actions.actions["file.export"].trigger()
    assert any("Save this image first" in m for m in messages)
    assert not any(
        isinstance(w, ExportDialog) and w.isVisible() for w in QApplication.topLevelWidgets()
    )
    doc.undo()  # back to the saved state, so closing the window does not ask
    assert not doc.is_dirty()
