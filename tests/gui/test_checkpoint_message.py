"""A file that is no model, loaded through the window (the Model Manager's "Load from
file…" path), gets a message naming every kind of model the app takes."""

from __future__ import annotations

from pathlib import Path

from labeldesk.ui.assist import install


def test_not_a_checkpoint_names_every_model_kind(make_window, sample_dir, qtbot, tmp_path):
    window = make_window(sample_dir)
    ctl = install(window, models_dir=tmp_path / "models")
    bad = tmp_path / "notes.pth"
    bad.write_text("these are my notes, not weights\n")
    ctl.load_model(Path(bad), device="cpu")
    qtbot.waitUntil(lambda: "notes.pth" in window.message_bar.text(), timeout=20000)
    text = window.message_bar.text()
    assert window.message_bar.property("level") == "error"
    assert "not a readable PyTorch checkpoint" in text
    for kind in ("SAM", "MobileSAM", "SAM 2.1", "MODEL.json", "MODEL.pt", "MODEL.npz"):
        assert kind in text, (kind, text)
    ctl.stop()
