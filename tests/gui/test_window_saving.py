"""Issue 11 saving through the window: background writes, failures, read-only files (17, 19)."""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest

from labeldesk.core import Shape
from labeldesk.io import atomic
from labeldesk.ui import saving
from tests.gui.conftest import wait_loaded
from tests.gui.test_window_files import make_folder


def big_polygon(n: int = 30_000) -> Shape:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return Shape("cat", np.c_[40 + 15 * np.cos(t), 30 + 15 * np.sin(t)])


def test_large_save_runs_in_background_newest_wins(make_window, tmp_path, qtbot, monkeypatch):
    jsons = make_folder(tmp_path / "f", 2)
    w = make_window(tmp_path / "f")
    s = w.session
    threads: list[str] = []
    real = saving.write_text

    def recording(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(saving, "write_text", recording)
    s.doc.add_shape(big_polygon())
    assert w.save()
    assert not s.doc.is_dirty()  # clean at once: the snapshot is what goes to disk
    s.doc.add_shape(Shape("dog", [[1, 1], [9, 1], [9, 9]]))
    assert w.save()
    s.flush_saves()
    assert threads and all(t.startswith("labeldesk-save") for t in threads)
    shapes = json.loads(jsons[0].read_text())["shapes"]
    assert len(shapes) == 4 and len(shapes[2]["points"]) == 30_000
    assert shapes[3]["label"] == "dog"  # the newest snapshot is on disk
    assert not s.doc.is_dirty()


def test_failed_background_save_is_never_silent(make_window, tmp_path, qtbot, monkeypatch):
    jsons = make_folder(tmp_path / "f", 2)
    before = jsons[0].read_text()
    w = make_window(tmp_path / "f")
    s = w.session

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full_disk)
    s.doc.add_shape(big_polygon())
    assert w.save()
    s.flush_saves()
    assert s.doc.is_dirty() and "•" in w.windowTitle()
    assert "No space left" in w.message_bar.text() and "img0.json" in w.message_bar.text()
    assert jsons[0].read_text() == before
    # the autosave on moving on fails too: the edits are kept and come back
    w.go(+1)
    wait_loaded(qtbot, w, "img1.png")
    s.flush_saves()
    assert "come back when img0 is opened again" in w.message_bar.text()
    monkeypatch.undo()
    w.go(-1)
    wait_loaded(qtbot, w, "img0.png")
    assert len(s.doc) == 3 and len(s.doc.shapes[2].points) == 30_000
    assert s.doc.is_dirty() and "back" in w.message_bar.text()
    assert w.save()
    s.flush_saves()
    assert len(json.loads(jsons[0].read_text())["shapes"]) == 3


@pytest.mark.parametrize("agree", [False, True])
def test_read_only_json_asks_before_replacing(make_window, tmp_path, qtbot, agree):
    jsons = make_folder(tmp_path / "f", 1)
    os.chmod(jsons[0], 0o444)
    before = jsons[0].read_text()
    w = make_window(tmp_path / "f")
    asked: list[str] = []
    w.session.ask_read_only = lambda name: asked.append(name) or agree
    w.session.doc.add_shape(Shape("dog", [[1, 1], [9, 1], [9, 9]]))
    assert w.save() is agree
    assert asked == ["img0.json"]
    if agree:
        assert len(json.loads(jsons[0].read_text())["shapes"]) == 3
        assert not os.stat(jsons[0]).st_mode & 0o222  # still read-only
    else:
        assert jsons[0].read_text() == before
        assert "read-only" in w.message_bar.text() and w.session.doc.is_dirty()
        w.session.doc.mark_clean()


def test_symlinked_json_stays_a_link(make_window, tmp_path, qtbot):
    jsons = make_folder(tmp_path / "f", 1)
    real = tmp_path / "elsewhere.json"
    jsons[0].rename(real)
    jsons[0].symlink_to(real)
    w = make_window(tmp_path / "f")
    w.session.doc.add_shape(Shape("dog", [[1, 1], [9, 1], [9, 9]]))
    assert w.save()
    assert jsons[0].is_symlink()
    assert len(json.loads(real.read_text())["shapes"]) == 3


def test_huge_image_coarse_levels_are_built_in_the_worker(make_window, tmp_path, qtbot):
    from PIL import Image

    folder = tmp_path / "wide"
    folder.mkdir()
    Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), (64, 40))).save(folder / "w.png")
    w = make_window(folder)  # 10240 x 64: wider than the pyramid keeps whole
    item = w.session.item
    assert item.levels and min(item.levels) >= 1
    pyramid = w.canvas.pyramid()
    for k, arr in item.levels.items():
        assert pyramid.stored(k) is arr  # handed over, not rebuilt on the GUI thread
    assert pyramid.stored(pyramid.first_stored).shape[1] == 10240 // 2**pyramid.first_stored


def test_stale_temporaries_are_cleaned_when_the_image_is_opened(make_window, tmp_path, qtbot):
    import subprocess
    import sys

    jsons = make_folder(tmp_path / "f", 2)
    pid = int(
        subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    stale = jsons[1].parent / f".{jsons[1].name}.{pid}.0a0b0c.ldtmp"
    stale.write_text("half a file from a save killed with kill -9")
    w = make_window(tmp_path / "f")
    w.go(+1)
    wait_loaded(qtbot, w, "img1.png")
    assert not stale.exists()


def test_coming_back_during_a_background_save_shows_what_it_writes(
    make_window, tmp_path, qtbot, monkeypatch
):
    jsons = make_folder(tmp_path / "f", 2)
    w = make_window(tmp_path / "f")
    s = w.session
    gate = threading.Event()
    real = saving.write_text

    def slow(*args, **kwargs):
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(saving, "write_text", slow)
    s.doc.add_shape(big_polygon())
    w.go(+1)  # autosave: queued in the background, held at the gate
    wait_loaded(qtbot, w, "img1.png")
    assert s.saver.is_pending(jsons[0])
    threading.Timer(0.5, gate.set).start()
    w.go(-1)
    wait_loaded(qtbot, w, "img0.png")
    assert len(s.doc) == 3 and len(s.doc.shapes[2].points) == 30_000
    s.flush_saves()
