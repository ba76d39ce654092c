"""Issue 11, items 12 and 16: model loaders say what a file is and never suggest running it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from labeldesk.core.errors import ModelError
from labeldesk.models.sam.checkpoint import load_state_dict_file


def test_json_passed_as_model_is_named_for_what_it_is(tmp_path: Path) -> None:
    labelme = tmp_path / "photo.json"
    labelme.write_text(json.dumps({"version": "5.5.0", "shapes": [], "imagePath": "photo.jpg"}))
    with pytest.raises(ModelError) as info:
        load_state_dict_file(labelme)
    message = str(info.value)
    assert str(labelme) in message and "a labelme annotation (JSON)" in message
    assert "code execution" not in message and "unpickl" not in message


def test_sam_loader_names_the_blocked_global(tmp_path: Path) -> None:
    path = tmp_path / "numpy_inside.pth"
    torch.save({"w": np.zeros(3)}, path)
    with pytest.raises(ModelError) as info:
        load_state_dict_file(path)
    message = str(info.value)
    assert "numpy" in message and "_reconstruct" in message
    assert "weights_only" not in message and "documentation" not in message


def test_trained_model_loader_never_shows_torchs_hint(tmp_path: Path) -> None:
    from labeldesk.models import seg

    cfg = seg.network_config({"arch": "unet", "width": 4, "num_classes": 2, "depth": 2})
    model = seg.SegModel(seg.build_network(cfg).eval(), ["cell"], cfg)
    weights, _sidecar = seg.save_model(model, tmp_path / "m.pt")
    torch.save({"w": np.zeros(3)}, weights)  # now it needs a numpy global to unpickle
    with pytest.raises(ModelError) as info:
        seg.load_model(weights)
    message = str(info.value)
    assert "not a readable weights file" in message and "_reconstruct" in message
    assert "weights_only" not in message and info.value.__cause__ is None
