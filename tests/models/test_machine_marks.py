"""Machine-made objects: the review tool's rules (Qt-free), prelabel's marks, the folder
state that says "to review", and training leaving unreviewed shapes out unless asked."""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path

import numpy as np
from PIL import Image

from labeldesk.cli import main
from labeldesk.core.document import Document
from labeldesk.core.machine import machine_source
from labeldesk.core.selection import Selection
from labeldesk.core.tools import KeyEvent, ToolContext
from labeldesk.core.tools.review import ProposalTool
from labeldesk.io import read_labelme
from labeldesk.models.proposals import Proposal
from labeldesk.models.seg.folder import samples_from_folder
from labeldesk.ui.folder import LABELED, file_state

SAMPLE = Path(str(files("labeldesk.resources").joinpath("sample")))


def _review(labels: list[str | None]) -> tuple[ProposalTool, Document, Selection, list[str]]:
    doc = Document("x.png", 40, 60)
    sel = Selection()
    messages: list[str] = []
    ctx = ToolContext(doc, sel, active_label=lambda: "person", message=messages.append)
    items = [
        Proposal(np.ones((8, 8), bool), (10 * i, 5), label, 0.9, "sam")
        for i, label in enumerate(labels)
    ]
    return ProposalTool(ctx, items, source="sam"), doc, sel, messages


def test_enter_accepts_only_proposals_with_a_class() -> None:
    tool, doc, sel, messages = _review([None, "car", None])
    assert tool.key(KeyEvent("Enter"))
    assert [s.label for s in doc.shapes] == ["car"] and tool.open == [0, 2]
    assert (
        "2 proposed regions have no class" in messages[-1]
        and "Accept All 2 as person" in (messages[-1])
    )
    assert machine_source(doc.shapes[0]) == "sam" and len(sel) == 0  # marked, not selected
    assert tool.key(KeyEvent("Enter"))  # nothing with a class left: nothing happens
    assert len(doc) == 1 and tool.open == [0, 2]
    tool.select([2])
    assert tool.key(KeyEvent("Escape")) and len(doc) == 1  # Esc rejects the rest


def test_accept_all_as_is_one_undo_step_and_class_keys_take_the_picked() -> None:
    tool, doc, sel, _ = _review([None, None, "car"])
    doc.classes.ensure("tree")
    assert doc.classes.by_hotkey("1").name == "tree"
    assert not tool.wants_key(KeyEvent("1"))  # nothing picked: the key is the window's
    tool.select([0])
    assert tool.key(KeyEvent("1"))  # the person's class for the picked proposal
    assert doc.shapes[-1].label == "tree" and tool.open == [1, 2]
    added = tool.accept_all_as("person")
    assert {s.label for s in added} == {"person"} and not tool.open
    assert all(machine_source(s) == "sam" for s in doc.shapes) and len(sel) == 0
    n = len(doc)
    doc.undo()
    assert len(doc) == n - len(added)


def test_prelabel_marks_what_it_writes_and_training_leaves_it_out(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("01-street.jpg", "01-street.json", "02-fruit.jpg"):
        shutil.copy(SAMPLE / name, folder / name)
    assert main(["prelabel", str(folder), "--label", "thing"]) == 0
    doc = read_labelme(folder / "02-fruit.json")
    assert len(doc) >= 5 and all(machine_source(s) == "prelabel" for s in doc.shapes)
    raw = json.loads((folder / "02-fruit.json").read_text())
    assert all(s["machine"] == "prelabel" for s in raw["shapes"])  # a labelme extra key
    assert not any(machine_source(s) for s in read_labelme(folder / "01-street.json").shapes)
    state = file_state(folder / "02-fruit.jpg")
    assert state.state == LABELED and state.machine == len(doc)
    assert file_state(folder / "01-street.jpg").machine == 0
    # training: the person's file only, unless the machine's shapes are asked for
    classes = sorted({s.label for s in read_labelme(folder / "01-street.json").shapes} | {"thing"})
    samples, notes = samples_from_folder(folder, classes)
    assert [s.name for s in samples] == ["01-street.json"]
    assert any(f"{len(doc)} machine-made shape(s) not reviewed yet" in n for n in notes)
    samples, _ = samples_from_folder(folder, classes, include_machine=True)
    assert [s.name for s in samples] == ["01-street.json", "02-fruit.json"]


def test_a_file_with_some_machine_shapes_trains_on_the_person_s(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(tmp_path / "a.png")
    shape = {"group_id": None, "description": "", "flags": {}, "mask": None}
    data = {
        "version": "5.5.0",
        "flags": {},
        "shapes": [
            {**shape, "label": "a", "points": [[1, 1], [5, 5]], "shape_type": "rectangle"},
            {**shape, "label": "a", "points": [[10, 10], [15, 15]], "shape_type": "rectangle",
             "machine": "model"},
        ],
        "imagePath": "a.png",
        "imageData": None,
        "imageHeight": 20,
        "imageWidth": 20,
    }  # fmt: skip
    (tmp_path / "a.json").write_text(json.dumps(data))
    (sample,), _ = samples_from_folder(tmp_path, ["a"])
    assert sample.label[3, 3] == 1 and sample.label[12, 12] == 0
    (sample,), _ = samples_from_folder(tmp_path, ["a"], include_machine=True)
    assert sample.label[12, 12] == 1


def test_train_cli_leaves_machine_shapes_out_unless_asked(tmp_path: Path, capsys) -> None:
    img = np.zeros((48, 48, 3), np.uint8)
    img[10:30, 10:30] = (200, 60, 60)
    Image.fromarray(img).save(tmp_path / "a.png")
    shape = {"group_id": None, "description": "", "flags": {}, "mask": None}
    data = {
        "version": "5.5.0",
        "flags": {},
        "shapes": [{**shape, "label": "box", "points": [[10, 10], [29, 29]],
                    "shape_type": "rectangle", "machine": "prelabel"}],
        "imagePath": "a.png",
        "imageData": None,
        "imageHeight": 48,
        "imageWidth": 48,
    }  # fmt: skip
    (tmp_path / "a.json").write_text(json.dumps(data))
    Image.fromarray(img[::-1].copy()).save(tmp_path / "b.png")  # training holds one image out
    flipped = {**data["shapes"][0], "points": [[10, 18], [29, 37]]}
    (tmp_path / "b.json").write_text(
        json.dumps({**data, "imagePath": "b.png", "shapes": [flipped]})
    )
    args = ["train", str(tmp_path), "--classes", "box", "--out", str(tmp_path / "m.pt"),
            "--steps", "2", "--width", "8", "--crop-size", "32", "--batch-size", "2",
            "--val-every", "2", "--threads", "1"]  # fmt: skip
    assert main(args) == 1  # only unreviewed machine shapes: nothing to learn from
    err = capsys.readouterr().err
    assert "2 machine-made shape(s) not reviewed yet were left out" in err
    assert main([*args, "--include-machine"]) == 0
    assert (tmp_path / "m.pt").is_file()
    assert "machine-made" not in capsys.readouterr().err
