"""The assist session and the SAM tool with tiny SAM models loaded through the real loader:
a randomly initialised one saved to a temporary file (its config found as a sidecar), and the
golden tiny model of tests/data. What the tool accepts must be exactly the predictor's mask.
"""

from __future__ import annotations

import json
import pathlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from labeldesk.core import Document
from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import run_job
from labeldesk.core.selection import Selection
from labeldesk.core.tools import KeyEvent, PointerEvent, ToolContext
from labeldesk.core.tools.sam import SamPrompt, SamTool
from labeldesk.models.assist import AssistSession, config_sidecar
from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models.sam import SamPredictor, build_sam, config_from_dict  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "sam_tiny"
IMAGE = np.load(DATA / "input_image_200x300.npy")


@pytest.fixture(scope="module")
def random_ckpt(tmp_path_factory) -> Path:
    """A random tiny SAM saved as ``tiny_state.pt`` with ``tiny_config.json`` beside it."""
    folder = tmp_path_factory.mktemp("tiny")
    cfg_dict = json.loads((DATA / "sam_tiny_config.json").read_text())
    torch.manual_seed(0)
    model = build_sam(config_from_dict(cfg_dict, name="tiny"))
    torch.save(model.state_dict(), folder / "tiny_state.pt")
    (folder / "tiny_config.json").write_text(json.dumps(cfg_dict))
    return folder / "tiny_state.pt"


@pytest.fixture(scope="module")
def session() -> AssistSession:
    s = AssistSession()
    s.load(DATA / "sam_tiny_state.pt", device="cpu")
    return s


def test_random_model_loads_with_its_sidecar_config(random_ckpt: Path) -> None:
    assert config_sidecar(random_ckpt) == random_ckpt.with_name("tiny_config.json")
    s = AssistSession()
    info = s.load(random_ckpt, device="cpu")
    assert info.kind == "sam" and info.device == "cpu" and info.precision == "fp32"
    assert info.variant == "tiny_config" and s.has_sam and not s.has_trained
    key = s.set_image(IMAGE).key
    res = s.predict(key, SamPrompt(1, np.array([[150.0, 100.0]]), np.array([1]), None, None, True))
    # the same as the predictor over the same weights, loaded independently
    torch.manual_seed(0)
    ref_model = build_sam(config_from_dict(json.loads((DATA / "sam_tiny_config.json").read_text())))
    pred = SamPredictor(ref_model)
    pred.set_image(IMAGE)
    masks, iou, low = pred.predict(np.array([[150.0, 100.0]]), np.array([1]))
    best = int(np.argmax(iou))
    np.testing.assert_array_equal(res.full_mask(), masks[best])
    assert res.score == pytest.approx(float(iou[best]))
    np.testing.assert_allclose(res.low_res, low[best][None], atol=1e-6)


def test_a_checkpoint_that_runs_code_is_refused(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):  # noqa: ANN204
            return (pathlib.Path.touch, (tmp_path / "pwned",))

    path = tmp_path / "evil.pth"
    torch.save({"model": Evil()}, path)
    with pytest.raises(ModelError, match="refused to load"):
        AssistSession().load(path, device="cpu")
    assert not (tmp_path / "pwned").exists()


def test_embedding_cache_and_prefetch_keep_the_current_image(session: AssistSession) -> None:
    first = session.set_image(IMAGE)
    other = np.ascontiguousarray(IMAGE[::-1])
    assert session.set_image(IMAGE).cached
    prompt = SamPrompt(1, np.array([[60.0, 40.0]]), np.array([1]), None, None, True)
    before = session.predict(first.key, prompt)
    pre = session.prefetch(other)
    assert pre is not None and not pre.cached and session.current == first.key
    assert session.prefetch(other).cached
    after = session.predict(first.key, prompt)
    np.testing.assert_array_equal(before.full_mask(), after.full_mask())
    hits = session.cache.hits
    session.set_image(other)  # was prefetched: no encoder run
    assert session.cache.hits == hits + 1 and session.current == pre.key


def test_sam_tool_end_to_end_feeds_back_and_accepts_the_mask(session: AssistSession) -> None:
    key = session.set_image(IMAGE).key
    doc = Document("img.png", *IMAGE.shape[:2])
    prompts: list[SamPrompt] = []

    def predict(prompt, reply):
        prompts.append(prompt)
        reply(session.predict(key, prompt))

    tool = SamTool(ToolContext(doc, Selection(), active_label=lambda: "cell"), predict=predict)
    tool.pointer(PointerEvent("press", 170, 20))
    tool.pointer(PointerEvent("move", 240, 100, "left"))
    tool.pointer(PointerEvent("release", 240, 100))
    tool.pointer(PointerEvent("press", 200, 60))
    tool.pointer(PointerEvent("release", 200, 60))
    assert prompts[0].box == (170, 20, 240, 100) and prompts[1].box == (170, 20, 240, 100)
    # the second prompt carries the first result's low-res logits, one mask wanted
    np.testing.assert_array_equal(prompts[1].mask_input, tool._results[0].low_res)
    assert not prompts[1].multimask
    pred = session._predictor
    masks, iou, _ = pred.predict(
        np.array([[200.0, 60.0]]),
        np.array([1]),
        np.array([170, 20, 240, 100.0]),
        tool._results[0].low_res,
        multimask_output=False,
    )
    expected = masks[0]
    np.testing.assert_array_equal(tool.result.full_mask(), expected)
    assert 0 < expected.sum() < expected.size  # neither empty nor everything
    assert tool.key(KeyEvent("Enter"))
    shape = doc.shapes[0]
    assert shape.label == "cell" and len(doc) == 1
    from labeldesk.algorithms.rasterize import shape_to_mask

    got = shape_to_mask(IMAGE.shape[:2], shape.points, shape.shape_type, mask=shape.mask)
    iou = (got & expected).sum() / (got | expected).sum()
    assert iou > 0.97
    assert doc.undo() and len(doc) == 0


def test_sam_proposals_reuse_the_embedding(session: AssistSession, monkeypatch) -> None:
    session.set_image(IMAGE)
    pred = session._predictor
    calls = []
    monkeypatch.setattr(pred, "set_image", lambda *a, **k: calls.append(1))
    steps = session.proposals(
        IMAGE,
        points_per_side=4,
        pred_iou_thresh=0.0,
        stability_score_thresh=0.0,
        min_region_area=0,
        max_fraction=1.0,
    )
    fractions: list[float | None] = []
    found = run_job(steps, on_progress=lambda p: fractions.append(p.fraction))
    assert calls == [] and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert found and all(p.source == "sam" and p.label is None for p in found)
    for p in found:
        x0, y0, x1, y1 = p.bbox
        assert 0 <= x0 <= x1 < IMAGE.shape[1] and 0 <= y0 <= y1 < IMAGE.shape[0]
        assert p.mask[0].any() and p.mask[:, 0].any()  # cropped to its box
    assert session.resolve_source() == "sam"


def test_gpu_out_of_memory_falls_back_to_the_cpu_with_a_notice(
    random_ckpt: Path, monkeypatch
) -> None:
    s = AssistSession()
    s.load(random_ckpt, device="cpu")
    pred = s._predictor
    real_set_image, moved = pred.set_image, []

    class FakeDevice:
        type = "cuda"

    def oom_once(image):
        if not moved:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_set_image(image)

    monkeypatch.setattr(
        type(pred), "device", property(lambda self: torch.device("cpu") if moved else FakeDevice())
    )
    monkeypatch.setattr(pred, "set_image", oom_once)
    monkeypatch.setattr(pred, "to", lambda device: moved.append(device))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    enc = s.set_image(IMAGE)
    assert moved == ["cpu"] and "ran out of memory" in enc.notice and s.sam_info.device == "cpu"


def test_classical_source_needs_no_model() -> None:
    s = AssistSession()
    assert s.resolve_source() == "classical" and not s.has_sam
    with pytest.raises(ModelError, match="no SAM model"):
        s.predict("x", SamPrompt(1, np.zeros((1, 2)), np.ones(1, int)))
    with pytest.raises(ModelError, match="unknown proposal source"):
        s.resolve_source("magic")


def test_config_sidecar_names(tmp_path: Path) -> None:
    ckpt = tmp_path / "net.pth"
    ckpt.write_bytes(b"")
    assert config_sidecar(ckpt) is None
    shutil.copy(DATA / "sam_tiny_config.json", tmp_path / "net.config.json")
    assert config_sidecar(ckpt) == tmp_path / "net.config.json"
