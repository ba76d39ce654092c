"""Files and safety: class rename across a folder, bad files, crash recovery after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image

from labeldesk.core import Shape
from labeldesk.core.jobs import run_job
from labeldesk.ui.folder import rename_label_in_folder
from tests.gui.conftest import wait_loaded

REPO = Path(__file__).resolve().parents[2]


def make_folder(folder: Path, n: int = 3, label: str = "cat") -> list[Path]:
    """``n`` small images, each with a labelme JSON holding two objects (``label`` and "dog")."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        image = folder / f"img{i}.png"
        Image.fromarray(np.full((60, 80, 3), 40 * i, np.uint8)).save(image)
        shapes = [
            {
                "label": label,
                "points": [[5, 5], [30, 5], [30, 30]],
                "group_id": None,
                "description": "",
                "shape_type": "polygon",
                "flags": {},
                "mask": None,
                "score": 0.9,
            },
            {
                "label": "dog",
                "points": [[40, 10], [70, 50]],
                "group_id": 3,
                "description": "good boy",
                "shape_type": "rectangle",
                "flags": {},
                "mask": None,
            },
        ]
        data = {
            "version": "5.5.0",
            "flags": {},
            "shapes": shapes,
            "imagePath": image.name,
            "imageData": None,
            "imageHeight": 60,
            "imageWidth": 80,
            "custom": {"kept": True},
        }
        path = folder / f"img{i}.json"
        path.write_text(json.dumps(data, indent=2))
        out.append(path)
    return out


def test_class_rename_across_a_folder_of_three(make_window, tmp_path, qtbot):
    files = make_folder(tmp_path / "three")
    before = [json.loads(p.read_text()) for p in files]
    w = make_window(tmp_path / "three")
    assert "cat" in w.session.classes
    with qtbot.waitSignal(w.session.task_done, timeout=5000) as done:
        w.session.rename_class("cat", "feline")
    report = done.args[0]
    assert sorted(p.name for p in report.touched) == ["img0.json", "img1.json", "img2.json"]
    assert w.message_bar.text() == "Renamed 'cat' to 'feline' in 3 files"
    for path, old in zip(files, before, strict=True):
        new = json.loads(path.read_text())
        assert [s["label"] for s in new["shapes"]] == ["feline", "dog"]
        old["shapes"][0]["label"] = "feline"
        assert new == old  # nothing else changed: unknown keys, group ids, descriptions kept
    assert "feline" in w.session.classes and "cat" not in w.session.classes
    assert [s.label for s in w.session.doc.shapes] == ["feline", "dog"]
    assert w.classes.names()[: len(w.session.classes)] == w.session.classes.names()
    # the open image's rename is one undo step (the other files keep the new name)
    w.undo()
    assert [s.label for s in w.session.doc.shapes] == ["cat", "dog"]


def test_rename_never_rewrites_a_bad_file(tmp_path):
    files = make_folder(tmp_path / "f", 2)
    bad = tmp_path / "f" / "broken.json"
    bad.write_text('{"shapes": [{"label": "cat", ')
    report = run_job(rename_label_in_folder(tmp_path / "f", "cat", "lion"))
    assert len(report.touched) == 2 and len(report.failed) == 1
    assert "broken.json" in report.failed[0]
    assert bad.read_text() == '{"shapes": [{"label": "cat", '
    assert all(json.loads(p.read_text())["shapes"][0]["label"] == "lion" for p in files)


def test_bad_json_is_reported_and_never_overwritten(make_window, tmp_path, qtbot):
    make_folder(tmp_path / "b", 2)
    bad = tmp_path / "b" / "img0.json"
    bad.write_text('{"version": "5.5.0", "shapes": [ {"label": 3} ]')
    text = bad.read_text()
    w = make_window(tmp_path / "b")
    assert w.session.item.path.name == "img0.png"
    assert w.message_bar.isVisible()
    assert "img0.json" in w.message_bar.text() and "invalid JSON" in w.message_bar.text()
    w.session.doc.add_shape(Shape("cat", [[1, 1], [9, 1], [9, 9]]))
    assert not w.save()
    assert "Not saved" in w.message_bar.text()
    asked = []
    w.session.ask_unsaved = lambda name, can_save: asked.append((name, can_save)) or "cancel"
    w.go(+1)  # autosave cannot write it, so the user is asked, without a Save choice
    assert asked == [("img0.json", False)] and w.session.item.path.name == "img0.png"
    assert bad.read_text() == text
    qtbot.waitUntil(lambda: w.files.state_of(bad.with_suffix(".png")) == "bad", timeout=5000)


def test_missing_or_broken_image_is_a_message(make_window, tmp_path, qtbot):
    folder = tmp_path / "imgs"
    make_folder(folder, 1)
    (folder / "zz_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    w = make_window(folder)
    w.go(+1)
    qtbot.waitUntil(lambda: "zz_broken.png" in w.message_bar.text(), timeout=5000)
    # issue 11: the bad image is current, as a placeholder with no document to edit
    assert w.session.item.path.name == "zz_broken.png" and w.session.doc is None
    assert not w.open_path(tmp_path / "nope")
    assert "nope" in w.message_bar.text() and "no such file" in w.message_bar.text()


CRASHING_SESSION = textwrap.dedent(
    """
    import os, sys, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from labeldesk.core import Shape
    from labeldesk.ui.journal import Journal
    from labeldesk.ui.main_window import MainWindow
    from labeldesk.ui.settings import AppSettings

    folder, settings, journal = sys.argv[1:4]
    app = QApplication([])
    w = MainWindow(AppSettings(QSettings(settings, QSettings.Format.IniFormat)), Journal(journal))
    w.session.journal.start()
    w.apply_settings()
    w.open_path(folder)
    while w.session.doc is None:
        app.processEvents()
    w.session.doc.add_shape(Shape("cat", [[10, 10], [50, 10], [50, 40], [10, 40]]))
    w.session.doc.edit_shape(0, label="tiger")
    deadline = time.time() + 10
    while not w.session.journal.file.exists() and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)
    print("READY", flush=True)
    time.sleep(60)
    """
)


def test_crash_recovery_after_kill_9(make_window, tmp_path, settings_path, journal_dir, qtbot):
    files = make_folder(tmp_path / "c", 2)
    on_disk = files[0].read_text()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CRASHING_SESSION,
            str(tmp_path / "c"),
            str(settings_path),
            str(journal_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "READY", proc.stderr.read() if proc.poll() is not None else line
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert files[0].read_text() == on_disk  # nothing was saved

    w = make_window(tmp_path / "c", offer=True)
    assert "unsaved edits to img0.json: 3 objects" in w.message_bar.text()
    restore = next(b for b in w.message_bar.buttons() if b.text() == "Restore")
    restore.click()
    doc = w.session.doc
    assert [s.label for s in doc.shapes] == ["tiger", "dog", "cat"]
    np.testing.assert_array_equal(doc.shapes[2].points, [[10, 10], [50, 10], [50, 40], [10, 40]])
    assert doc.is_dirty() and files[0].read_text() == on_disk
    assert w.session.journal.orphans() == []  # offered once, then gone
    assert w.save()
    assert [s["label"] for s in json.loads(files[0].read_text())["shapes"]] == [
        "tiger",
        "dog",
        "cat",
    ]
    w.undo()  # the restore is one undo step back to the disk version
    assert [s.label for s in doc.shapes] == ["cat", "dog"]


def test_unsaved_changes_ask_when_autosave_is_off(make_window, tmp_path, qtbot):
    files = make_folder(tmp_path / "a", 2)
    w = make_window(tmp_path / "a", autosave=False)
    asked = []
    w.session.ask_unsaved = lambda name, can_save: asked.append(name) or "cancel"
    w.session.doc.remove_shapes([0])
    w.go(+1)
    assert asked == ["img0.json"] and w.session.item.path.name == "img0.png"
    w.session.ask_unsaved = lambda name, can_save: "discard"
    w.go(+1)
    wait_loaded(qtbot, w, "img1.png")
    assert len(json.loads(files[0].read_text())["shapes"]) == 2  # discarded, file untouched
    w.session.doc.remove_shapes([0])
    w.session.ask_unsaved = lambda name, can_save: "save"
    w.close()
    assert len(json.loads(files[1].read_text())["shapes"]) == 1
