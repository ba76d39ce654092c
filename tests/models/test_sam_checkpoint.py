"""Checkpoint loading: refusal of code-running pickles, variant recognition, strict loading."""

from __future__ import annotations

import json
import pathlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from labeldesk.core.errors import ModelError
from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models.sam import (  # noqa: E402
    KNOWN_CHECKPOINTS,
    SamPredictor,
    build_sam,
    config_from_dict,
    detect_variant,
    load_sam,
    load_state_dict_file,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY_DIR = REPO_ROOT / "tests" / "data" / "sam_tiny"
SHARED_DIR = REPO_ROOT.parent / "shared" / "sam_reference"
MANIFESTS = {
    "vit_b": "sam_vit_b_keys.json",
    "vit_l": "sam_vit_l_keys.json",
    "vit_h": "sam_vit_h_keys.json",
    "vit_t": "mobile_sam_vit_t_keys.json",
}


class TouchOnUnpickle:
    """Unpickling this creates the marker file: a stand-in for a malicious payload."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def tiny_config() -> dict:
    return json.loads((TINY_DIR / "sam_tiny_config.json").read_text())


@pytest.mark.parametrize("writer", ["torch_save", "plain_pickle"])
def test_pickle_that_runs_code_is_refused(tmp_path: Path, writer: str) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    payload = {"model": TouchOnUnpickle(marker), "w": torch.zeros(2)}
    if writer == "torch_save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    with pytest.raises(ModelError) as info:
        load_sam(path, "cpu")
    message = str(info.value)
    assert str(path) in message
    assert "code execution" in message
    assert not marker.exists()
    # The payload is real: an unsafe loader would have run it.
    pickle.loads(pickle.dumps(TouchOnUnpickle(marker)))
    assert marker.exists()


def test_not_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "notes.pth"
    path.write_bytes(b"this is not a checkpoint")
    with pytest.raises(ModelError, match="notes.pth: not a readable PyTorch checkpoint"):
        load_sam(path, "cpu")
    with pytest.raises(ModelError, match="not found"):
        load_sam(tmp_path / "missing.pth", "cpu")


@pytest.mark.parametrize("variant", sorted(MANIFESTS))
def test_builders_match_official_manifest(variant: str) -> None:
    manifest_path = SHARED_DIR / MANIFESTS[variant]
    if not manifest_path.is_file():
        pytest.skip(f"key manifest not found: {manifest_path}")
    manifest = json.loads(manifest_path.read_text())
    with torch.device("meta"):
        model = build_sam(variant)
    ours = [
        (k, list(t.shape), str(t.dtype).removeprefix("torch."))
        for k, t in model.state_dict().items()
    ]
    theirs = [(k, v["shape"], v["dtype"]) for k, v in manifest["keys"].items()]
    assert ours == theirs  # same keys, order, shapes and dtypes
    assert len(ours) == manifest["_meta"]["num_keys"]
    assert sum(int(np.prod(s)) for _, s, _ in ours) == manifest["_meta"]["num_elements"]
    fake_state = {k: torch.empty(v["shape"], device="meta") for k, v in manifest["keys"].items()}
    assert detect_variant(fake_state) == variant


def test_detect_variant_rejects_other_models() -> None:
    with torch.device("meta"):
        tiny = build_sam(config_from_dict(tiny_config()))
    with pytest.raises(ModelError, match="embed_dim 64, depth 2 .* not an official variant"):
        detect_variant(tiny.state_dict())
    with pytest.raises(ModelError, match="SAM 2"):
        detect_variant({"image_encoder.trunk.patch_embed.proj.weight": torch.empty(1)})
    with pytest.raises(ModelError, match="not a SAM checkpoint"):
        detect_variant({"fc.weight": torch.empty(3, 3)})


def test_random_tiny_model_round_trips_through_loader(tmp_path: Path) -> None:
    torch.manual_seed(3)
    model = build_sam(config_from_dict(tiny_config()))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    path = tmp_path / "tiny_random.pth"
    torch.save(model.state_dict(), path)
    loaded = load_sam(path, "cpu", config=tiny_config())
    for (k, a), (k2, b) in zip(
        model.state_dict().items(), loaded.state_dict().items(), strict=True
    ):
        assert k == k2 and torch.equal(a, b)
    image = np.random.default_rng(0).integers(0, 256, (40, 70, 3), dtype=np.uint8)
    outs = []
    for m in (model, loaded):
        pred = SamPredictor(m)
        pred.set_image(image)
        outs.append(pred.predict(np.array([[30.0, 20.0]]), np.array([1])))
    for a, b in zip(outs[0], outs[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.model_id.startswith("sam_tiny") and loaded.model_id != model.model_id

    # a dict wrapping the state_dict under "model" loads the same
    wrapped = tmp_path / "wrapped.pth"
    torch.save({"model": model.state_dict(), "epoch": 3}, wrapped)
    again = load_sam(wrapped, "cpu", config=tiny_config())
    assert torch.equal(again.mask_decoder.iou_token.weight, model.mask_decoder.iou_token.weight)


def test_missing_and_unexpected_keys_are_reported(tmp_path: Path) -> None:
    state = load_state_dict_file(TINY_DIR / "sam_tiny_state.pt")
    del state["mask_decoder.iou_token.weight"]
    state["mask_decoder.hq_extra.weight"] = torch.zeros(3)
    state["image_encoder.pos_embed"] = torch.zeros(1, 8, 8, 64)
    path = tmp_path / "broken.pth"
    torch.save(state, path)
    with pytest.raises(ModelError) as info:
        load_sam(path, "cpu", config=tiny_config())
    message = str(info.value)
    assert "broken.pth" in message
    assert "1 missing keys: mask_decoder.iou_token.weight" in message
    assert "1 unexpected keys: mask_decoder.hq_extra.weight" in message
    assert "image_encoder.pos_embed (1, 8, 8, 64) != (1, 16, 16, 64)" in message


def test_official_variant_needs_no_config(tmp_path: Path) -> None:
    # A state_dict with official vit_b keys is recognised; strict checks still apply.
    state = load_state_dict_file(TINY_DIR / "sam_tiny_state.pt")
    path = tmp_path / "tiny.pth"
    torch.save(state, path)
    with pytest.raises(ModelError, match="not an official variant; pass its config"):
        load_sam(path, "cpu")


def test_known_checkpoints_table() -> None:
    names = {c.variant: c for c in KNOWN_CHECKPOINTS}
    assert set(names) == {"vit_b", "vit_l", "vit_h", "vit_t"}
    for c in KNOWN_CHECKPOINTS:
        assert c.url.startswith("https://") and c.url.endswith(c.file_name)
        assert c.size_bytes > 1_000_000
        assert c.sha256 is None or len(c.sha256) == 64
