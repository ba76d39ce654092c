"""Networks, model files (save / load / errors) and tiled prediction, on random tiny nets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labeldesk.core.errors import ModelError
from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models import seg  # noqa: E402
from labeldesk.models.seg.networks import count_parameters  # noqa: E402
from labeldesk.models.seg.prediction import predict_proba  # noqa: E402

NAMES = ["disc", "square"]


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def tiny_model(arch: str = "unet", boundary: bool = False, seed: int = 0) -> seg.SegModel:
    torch.manual_seed(seed)
    cfg = seg.network_config(
        {"arch": arch, "width": 4, "num_classes": 3, "boundary": boundary}
        | ({"depth": 2} if arch == "unet" else {"blocks": [1, 1, 1]})
    )
    net = seg.build_network(cfg).eval()
    return seg.SegModel(net, list(NAMES), cfg, mean=(120.0, 110.0, 100.0), std=(50.0, 55.0, 60.0))


@pytest.mark.parametrize("arch", ["unet", "deeplab"])
@pytest.mark.parametrize("boundary", [False, True])
@pytest.mark.parametrize("size", [(32, 48), (37, 29)])
def test_network_output_shapes(arch, boundary, size):
    model = tiny_model(arch, boundary)
    x = torch.zeros(2, 3, *size)
    with torch.no_grad():
        out = model.network(x)
    assert out.shape == (2, 3 + int(boundary), *size)


def test_network_config_defaults_and_errors():
    cfg = seg.network_config({"arch": "unet", "num_classes": 4})
    assert cfg == {
        "arch": "unet",
        "in_channels": 3,
        "boundary": False,
        "norm": "batch",
        "width": 16,
        "depth": 4,
        "num_classes": 4,
    }
    assert count_parameters(seg.build_network(cfg)) > 1_000_000
    dl = seg.network_config({"arch": "deeplab", "num_classes": 2, "norm": "group"})
    assert dl["atrous_rates"] == [4, 8, 12] and dl["blocks"] == [1, 2, 2]
    assert seg.build_network(dl).stride == 8
    with pytest.raises(ModelError, match="unknown network architecture 'vit'"):
        seg.network_config({"arch": "vit", "num_classes": 2})
    with pytest.raises(ModelError, match="unknown unet setting.*rates"):
        seg.network_config({"arch": "unet", "num_classes": 2, "rates": [1]})
    with pytest.raises(
        ModelError, match="unet setting depth must be an integer in \\[1, 6\\], got 9"
    ):
        seg.network_config({"arch": "unet", "num_classes": 2, "depth": 9})
    with pytest.raises(ModelError, match="num_classes"):
        seg.network_config({"arch": "unet"})
    with pytest.raises(ModelError, match="deeplab setting blocks must be 3 integers"):
        seg.network_config({"arch": "deeplab", "num_classes": 2, "blocks": [1, 2]})


# -- prediction --------------------------------------------------------------------------------


def test_predict_outputs_and_gray_input():
    model = tiny_model()
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(45, 70, 3), dtype=np.uint8)
    labels, conf = seg.predict(model, rgb)
    assert labels.shape == (45, 70) and labels.dtype == np.uint8 and labels.max() <= 2
    assert conf.dtype == np.float32 and np.all((conf >= 1 / 3 - 1e-6) & (conf <= 1 + 1e-6))
    probs, bnd = predict_proba(model, rgb)
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-5)
    np.testing.assert_array_equal(probs.argmax(axis=0), labels)
    assert bnd is None
    gray = rgb[..., 0]
    g_labels, _ = seg.predict(model, gray)
    g_expected, _ = seg.predict(model, np.repeat(gray[..., None], 3, axis=2))
    np.testing.assert_array_equal(g_labels, g_expected)
    with pytest.raises(ModelError, match="expected an \\(H, W\\) gray"):
        seg.predict(model, np.zeros((4, 4, 2), np.uint8))


def test_tiled_prediction_matches_whole_image():
    model = tiny_model()  # receptive field well under the 32 px overlap
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(150, 210, 3), dtype=np.uint8)
    whole, _ = predict_proba(model, image, tile_size=256)
    tiled, _ = predict_proba(model, image, tile_size=64, overlap=32)
    assert tiled.shape == whole.shape == (3, 150, 210)
    np.testing.assert_allclose(tiled.sum(axis=0), 1.0, atol=1e-5)
    agree = (tiled.argmax(0) == whole.argmax(0)).mean()
    assert agree > 0.97, agree
    assert np.abs(tiled - whole).mean() < 0.02


def test_prediction_cancel_between_tiles():
    model = tiny_model()
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(InterruptedError):
        predict_proba(model, np.zeros((100, 100, 3), np.uint8), tile_size=32, cancel=cancel)
    assert len(calls) == 3


def test_predict_instances_with_boundary_channel():
    model = tiny_model("deeplab", boundary=True)
    pred = seg.predict_instances(model, np.zeros((40, 40, 3), np.uint8), min_area=1)
    assert pred.boundary.shape == (40, 40) and 0 <= pred.boundary.min() <= pred.boundary.max() <= 1
    assert pred.labels.shape == (40, 40) and 0.0 <= pred.uncertainty <= 1.0
    for inst in pred.instances:
        assert inst.mask.shape == (40, 40) and np.all(pred.labels[inst.mask] == inst.class_id)


# -- files -------------------------------------------------------------------------------------


def test_save_load_round_trip(tmp_path):
    model = tiny_model("deeplab", boundary=True, seed=3)
    model.training = {"seed": 3}
    model.metrics = {"mean_iou": 0.5}
    weights, sidecar = seg.save_model(model, tmp_path / "sub" / "m")
    assert (weights.name, sidecar.name) == ("m.pt", "m.json")
    meta = json.loads(sidecar.read_text())
    assert meta["format"] == "labeldesk-seg" and meta["weights"] == "m.pt"
    assert meta["classes"] == NAMES and meta["architecture"]["arch"] == "deeplab"
    assert meta["normalization"]["mean"] == [120.0, 110.0, 100.0]
    # weights-only: a plain state_dict of tensors
    state = torch.load(weights, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    loaded = seg.load_model(weights)
    assert loaded.std == (50.0, 55.0, 60.0) and loaded.training == {"seed": 3}
    assert not loaded.network.training
    image = np.random.default_rng(2).integers(0, 256, size=(33, 47, 3), dtype=np.uint8)
    a, b = predict_proba(model, image), predict_proba(loaded, image)
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)
    np.testing.assert_allclose(a[1], b[1], atol=1e-6)
    leftovers = [p.name for p in (tmp_path / "sub").iterdir()]
    assert sorted(leftovers) == ["m.json", "m.pt"]


def test_class_mismatch_is_a_clear_error(tmp_path):
    seg.save_model(tiny_model(), tmp_path / "m.pt")
    with pytest.raises(
        ModelError,
        match=r"m.json was trained on classes \['disc', 'square'\] but the project has "
        r"\['disc', 'cell'\]: the project has no class 'square'; the model was not trained on 'cell'",
    ):
        seg.load_model(tmp_path / "m.pt", classes=["disc", "cell"])
    with pytest.raises(ModelError, match="not trained on 'cell'"):
        seg.load_model(tmp_path / "m.pt", classes=["disc", "square", "cell"])
    model = seg.load_model(tmp_path / "m.pt", classes=["square", "cell", "disc"], allow_extra=True)
    assert model.class_names == NAMES


def test_missing_and_corrupt_files_name_the_file(tmp_path):
    with pytest.raises(ModelError, match=r"nothere.json: model description \(JSON\) not found"):
        seg.load_model(tmp_path / "nothere.pt")
    seg.save_model(tiny_model(), tmp_path / "m.pt")
    # corrupt weights
    (tmp_path / "m.pt").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ModelError, match=r"m.pt: not a readable weights file"):
        seg.load_model(tmp_path / "m.pt")
    # truncated weights
    seg.save_model(tiny_model(), tmp_path / "m.pt")
    data = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "m.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"m.pt: not a readable weights file"):
        seg.load_model(tmp_path / "m.json")
    # missing weights
    (tmp_path / "m.pt").unlink()
    with pytest.raises(ModelError, match=r"m.pt: model weights file not found"):
        seg.load_model(tmp_path / "m.json")
    # a pickle with code is refused by weights_only loading
    torch.save({"net": torch.nn.Linear(2, 2)}, tmp_path / "m.pt")
    with pytest.raises(ModelError, match=r"m.pt: not a readable weights file"):
        seg.load_model(tmp_path / "m.pt")
    # bad sidecar
    (tmp_path / "m.json").write_text("{oops")
    with pytest.raises(ModelError, match=r"m.json: not a readable model description"):
        seg.load_model(tmp_path / "m.pt")
    (tmp_path / "m.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ModelError, match=r"m.json: not a labeldesk segmentation model"):
        seg.load_model(tmp_path / "m.pt")


def test_weights_that_do_not_fit_the_architecture(tmp_path):
    seg.save_model(tiny_model(), tmp_path / "m.pt")
    meta = json.loads((tmp_path / "m.json").read_text())
    meta["architecture"]["width"] = 8
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"m.pt: weights do not fit the architecture in m.json"):
        seg.load_model(tmp_path / "m.pt")
    meta["architecture"]["num_classes"] = 5
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"m.json: architecture has 5 outputs but 2 classes"):
        seg.load_model(tmp_path / "m.pt")
