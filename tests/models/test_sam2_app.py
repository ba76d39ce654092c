"""SAM 2.1 in the app's model path: a checkpoint made from the reference weights
({"model": state} with its config sidecar) loads through AssistSession.load (what the model
manager's "Load from file..." and ``labeldesk prelabel --model`` use), answers a click with
the official mask, and gives automatic-mask proposals; the catalogue lists SAM 2.1."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from labeldesk.core.tools.sam import SamPrompt
from labeldesk.models.assist import AssistSession
from labeldesk.models.device import import_torch
from labeldesk.models.proposals import run_steps

torch = import_torch()

from labeldesk.models.sam2 import KNOWN_SAM2_CHECKPOINTS, Sam2Predictor  # noqa: E402
from labeldesk.models.sam2.checkpoint import is_sam2_file  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared" / "sam2_reference"


def test_catalogue_lists_the_four_sam21_checkpoints() -> None:
    names = [c.file_name for c in KNOWN_SAM2_CHECKPOINTS]
    assert names == [f"sam2.1_hiera_{v}.pt" for v in ("tiny", "small", "base_plus", "large")]
    for c in KNOWN_SAM2_CHECKPOINTS:
        assert c.url.startswith("https://dl.fbaipublicfiles.com/segment_anything_2/092824/")
        assert c.sha256 is not None and len(c.sha256) == 64 and c.size_bytes > 100_000_000


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (SHARED / "sam2_tiny_state.pt").is_file():
        pytest.skip(f"SAM 2.1 reference vectors not found at {SHARED}")
    folder = tmp_path_factory.mktemp("models")
    state = torch.load(SHARED / "sam2_tiny_state.pt", weights_only=True)
    path = folder / "sam21_tiny.pt"
    torch.save({"model": state}, path)
    shutil.copy(
        REPO_ROOT / "tests" / "data" / "sam2" / "sam2_tiny_config.json",
        folder / "sam21_tiny_config.json",
    )
    return path


def test_load_from_file_answers_a_click_and_auto_segment(checkpoint: Path) -> None:
    expected = np.load(SHARED / "sam2_tiny_image_expected.npz")
    image = np.load(SHARED / "input_image_200x300.npy")
    assert is_sam2_file(checkpoint)
    session = AssistSession()
    info = session.load(checkpoint, device="cpu")
    assert info.kind == "sam" and info.variant == "sam21_tiny_config" and info.precision == "fp32"
    assert isinstance(session._predictor, Sam2Predictor)
    key = session.set_image(image).key
    prompt = SamPrompt(1, np.array([[120.0, 100.0]]), np.array([1]), multimask=True)
    result = session.predict(key, prompt)
    want = expected["a_point_multi/masks"][
        int(np.argmax(expected["a_point_multi/iou_predictions"]))
    ]
    full = np.zeros(result.size, dtype=bool)
    x0, y0 = result.origin
    full[y0 : y0 + result.mask.shape[0], x0 : x0 + result.mask.shape[1]] = result.mask
    logits = expected["a_point_multi/logits"][
        int(np.argmax(expected["a_point_multi/iou_predictions"]))
    ]
    assert np.all((full == want) | (np.abs(logits) < 1e-4))
    assert result.low_res.shape == (1, 128, 128)
    # the embedding goes through the cache and comes back identical
    session._current = None
    again = session.predict(key, prompt)
    assert np.array_equal(again.mask, result.mask) and session.cache.hits >= 1
    proposals = run_steps(
        session.proposals(image, source="sam", points_per_side=4, pred_iou_thresh=0.0,
                          stability_score_thresh=0.0, min_region_area=0, max_fraction=1.0)
    )  # fmt: skip
    assert len(proposals) == 2  # as the official generator with NMS 0.7 (amg case)
    assert sorted(p.area for p in proposals) == sorted(int(a) for a in expected["amg/area"])


def test_prelabel_command_with_sam21(checkpoint: Path, tmp_path: Path) -> None:
    import io
    import json
    from importlib.resources import files

    from labeldesk.cli import main
    from labeldesk.models.prelabel_command import prelabel_folder

    sample = Path(str(files("labeldesk.resources").joinpath("sample")))
    folder = tmp_path / "imgs"
    folder.mkdir()
    shutil.copy(sample / "02-fruit.jpg", folder / "02-fruit.jpg")
    summary = prelabel_folder(
        folder,
        model=checkpoint,
        device="cpu",
        label="blob",
        points_per_side=4,
        progress=io.StringIO(),
    )
    assert [p.name for p in summary.written] == ["02-fruit.jpg"] and not summary.failed
    data = json.loads((folder / "02-fruit.json").read_text())
    assert data["imageWidth"] == 960 and all(s["label"] == "blob" for s in data["shapes"])
    (folder / "02-fruit.json").unlink()
    args = ["prelabel", str(folder), "--model", str(checkpoint), "--device", "cpu"]
    args += ["--points-per-side", "4"]
    assert main(args) == 0 and (folder / "02-fruit.json").is_file()
