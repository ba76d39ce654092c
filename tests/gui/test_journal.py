"""The crash journal writes snapshots off the GUI thread; the newest wins; clear() is final."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from labeldesk.core import Document, Shape
from labeldesk.ui import journal as journal_module
from labeldesk.ui.journal import Journal


def _doc(tmp_path: Path, label: str) -> Document:
    doc = Document("a.jpg", 10, 10, path=tmp_path / "a.json")
    doc.add_shape(Shape(label, [[1, 1], [5, 1], [5, 5]]))
    return doc


def test_snapshot_is_taken_at_call_time_and_newest_wins(tmp_path: Path, monkeypatch) -> None:
    j = Journal(tmp_path / "journal")
    j.start()
    gate = threading.Event()
    real = journal_module.atomic_write_text
    monkeypatch.setattr(
        journal_module, "atomic_write_text", lambda p, t: (gate.wait(5), real(p, t))
    )
    doc = _doc(tmp_path, "first")
    j.record_later(doc, tmp_path / "a.jpg", None)  # blocked in the writer
    doc.set_label([0], "second")
    j.record_later(doc, tmp_path / "a.jpg", None)  # waits behind it
    doc.set_label([0], "third")
    j.record_later(doc, tmp_path / "a.jpg", None)  # replaces the waiting one
    doc.set_label([0], "changed after the snapshot")
    gate.set()
    j.flush()
    entry = json.loads(j.file.read_text())
    assert entry["document"]["shapes"][0]["label"] == "third"
    j.stop()
    assert not j.file.exists()


def test_clear_wins_over_a_pending_write(tmp_path: Path, monkeypatch) -> None:
    j = Journal(tmp_path / "journal")
    j.start()
    started, gate = threading.Event(), threading.Event()
    real = journal_module.document_to_dict

    def slow(doc, path):
        started.set()
        gate.wait(5)
        return real(doc, path)

    monkeypatch.setattr(journal_module, "document_to_dict", slow)
    j.record_later(_doc(tmp_path, "x"), tmp_path / "a.jpg", None)
    started.wait(5)
    j.clear()  # the document was saved while the snapshot was being serialised
    gate.set()
    j.flush()
    assert not j.file.exists()
    j.stop()


def test_background_failure_is_reported_once(tmp_path: Path, monkeypatch) -> None:
    from labeldesk.core.errors import WriteError

    j = Journal(tmp_path / "journal")
    j.start()

    def fail(path, text):
        raise WriteError(path, "disk full")

    monkeypatch.setattr(journal_module, "atomic_write_text", fail)
    j.record_later(_doc(tmp_path, "x"), tmp_path / "a.jpg", None)
    j.flush()
    assert isinstance(j.last_error, WriteError) and "disk full" in str(j.last_error)
    j.stop()


def test_shapes_that_cannot_be_drawn_reach_the_journal(tmp_path: Path) -> None:
    from labeldesk.core.shapes import KeptShape

    j = Journal(tmp_path / "journal")
    j.start()
    doc = _doc(tmp_path, "cat")
    raw = {"label": "bird", "points": [[1, 1], [2, 2]], "shape_type": "blob"}
    doc.kept_shapes = [KeptShape(0, raw, "unknown shape type")]
    j.record_later(doc, tmp_path / "a.jpg", None)
    j.flush()
    shapes = json.loads(j.file.read_text())["document"]["shapes"]
    assert shapes[0] == raw and shapes[1]["label"] == "cat"
    j.stop()
