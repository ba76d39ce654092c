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


def test_allow_outside_switch(qtbot, make_window, sample_dir: Path, tmp_path: Path) -> None:
    """Issue 11: the dialog has the CLI's --allow-outside as a check box, off by default; the
    refusal in the report names the check box."""
    street = json.loads((sample_dir / "01-street.json").read_text())
    away = tmp_path / "away.jpg"
    away.write_bytes((sample_dir / "01-street.jpg").read_bytes())
    (sample_dir / "05-away.json").write_text(json.dumps({**street, "imagePath": "../away.jpg"}))
    window = make_window(sample_dir)
    install(window)
    window.actions.actions["file.export"].trigger()
    dialog = _dialog(qtbot)
    assert dialog.allow_outside.isVisibleTo(dialog) and not dialog.allow_outside.isChecked()
    out = tmp_path / "voc"
    dialog.output.setText(str(out))
    dialog.viz.setChecked(False)
    dialog.start()
    assert not dialog.allow_outside.isEnabled()  # locked while exporting
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=60_000)
    assert dialog.report.exit_code == 1
    assert [Path(f).name for f, _ in dialog.report.failures] == ["05-away.json"]
    details = dialog.details.toPlainText()
    assert "outside the source folder" in details
    assert "tick “Allow images outside the annotation folder”" in details
    assert "--allow-outside" not in details
    assert sorted(p.name for p in (out / "JPEGImages").iterdir()) == ["01-street.jpg"]

    dialog.allow_outside.setChecked(True)
    dialog.overwrite.setChecked(True)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=60_000)
    assert dialog.report.exit_code == 0 and dialog.report.failures == []
    stems = sorted(p.stem for p in (out / "SegmentationClass").glob("*.png"))
    assert stems == ["01-street", "05-away"]
    a, b = (np.asarray(Image.open(out / f"SegmentationClass/{s}.png")) for s in stems)
    assert np.array_equal(a, b) and len(np.unique(a)) > 2
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.host.is_running())
