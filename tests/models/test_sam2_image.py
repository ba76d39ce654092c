"""SAM 2.1: the loader (variants from the official key manifests, strict, safe) and the image
predictor against the official outputs in ../shared/sam2_reference (README there)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from labeldesk.core.errors import ModelError
from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models.sam2 import (  # noqa: E402
    OFFICIAL_CONFIGS,
    Sam2Model,
    Sam2Predictor,
    detect_sam2_variant,
    load_sam2,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT / "tests" / "data" / "sam2"
SHARED = REPO_ROOT.parent / "shared" / "sam2_reference"
needs_shared = pytest.mark.skipif(
    not (SHARED / "sam2_tiny_state.pt").is_file(),
    reason=f"SAM 2.1 reference vectors not found at {SHARED}",
)

P_FG, P_BG = [120.0, 100.0], [230.0, 120.0]
BOX_1, BOX_2 = [75.0, 55.0, 175.0, 145.0], [190.0, 80.0, 270.0, 160.0]
CASES = {
    "a_point": dict(point_coords=np.array([P_FG]), point_labels=np.array([1])),
    "b_pos_neg": dict(point_coords=np.array([P_FG, P_BG]), point_labels=np.array([1, 0])),
    "c_box": dict(box=np.array(BOX_1)),
    "d_box_point": dict(
        box=np.array(BOX_2), point_coords=np.array([P_BG]), point_labels=np.array([1])
    ),
}


def _manifest(variant: str) -> dict[str, dict[str, object]]:
    return json.loads((DATA / f"sam2.1_hiera_{variant}_keys.json").read_text())["keys"]


@pytest.mark.parametrize("variant", ["tiny", "small", "base_plus", "large"])
def test_official_layout_matches_key_manifest(variant: str) -> None:
    with torch.device("meta"):
        model = Sam2Model(OFFICIAL_CONFIGS[variant])
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: v["shape"] for k, v in _manifest(variant).items()}
    assert ours == theirs
    meta_state = {k: torch.empty(s, device="meta") for k, s in theirs.items()}
    assert detect_sam2_variant(meta_state) == variant


def test_detect_refuses_non_sam2_and_unknown_hiera() -> None:
    with pytest.raises(ModelError, match="not a SAM 2 checkpoint"):
        detect_sam2_variant({"image_encoder.patch_embed.proj.weight": torch.empty(1)})
    state = {k: torch.empty(v["shape"], device="meta") for k, v in _manifest("tiny").items()}
    state.pop("image_encoder.trunk.blocks.11.norm1.weight")
    state = {k: v for k, v in state.items() if not k.startswith("image_encoder.trunk.blocks.11.")}
    with pytest.raises(ModelError, match="11 blocks is not an official"):
        detect_sam2_variant(state)


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("this must never run",))


@needs_shared
def test_loader_accepts_wrapped_and_plain_refuses_code_and_mismatch(tmp_path: Path) -> None:
    state = torch.load(SHARED / "sam2_tiny_state.pt", weights_only=True)
    cfg = SHARED / "sam2_tiny_config.json"
    wrapped = tmp_path / "wrapped.pt"
    torch.save({"model": state}, wrapped)
    a = load_sam2(wrapped, "cpu", config=cfg)
    b = load_sam2(SHARED / "sam2_tiny_state.pt", "cpu", config=cfg)
    key = "sam_mask_decoder.iou_token.weight"
    assert torch.equal(a.state_dict()[key], state[key])
    assert torch.equal(b.state_dict()[key], state[key])
    evil = tmp_path / "evil.pt"
    with evil.open("wb") as fh:
        pickle.dump({"model": _Evil()}, fh)
    with pytest.raises(ModelError, match="refused to load"):
        load_sam2(evil, "cpu", config=cfg)
    broken = dict(state)
    broken.pop("no_obj_ptr")
    broken["extra.weight"] = torch.zeros(1)
    path = tmp_path / "broken.pt"
    torch.save({"model": broken}, path)
    with pytest.raises(ModelError, match=r"broken\.pt.*1 missing keys: no_obj_ptr.*1 unexpected"):
        load_sam2(path, "cpu", config=cfg)
    old = {k: v for k, v in state.items() if k != "no_obj_embed_spatial"}
    torch.save({"model": old}, tmp_path / "sam2_hiera_tiny.pt")
    with pytest.raises(ModelError, match=r"sam2_hiera_tiny\.pt: this looks like a SAM 2\.0"):
        load_sam2(tmp_path / "sam2_hiera_tiny.pt", "cpu", config=cfg)
    with pytest.raises(ModelError, match="not an official SAM 2.1 variant"):
        load_sam2(wrapped, "cpu")  # the tiny reference model is not an official size


class Golden:
    def __init__(self) -> None:
        torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
        self.expected = np.load(SHARED / "sam2_tiny_image_expected.npz")
        self.image = np.load(SHARED / "input_image_200x300.npy")
        self.model = load_sam2(
            SHARED / "sam2_tiny_state.pt", "cpu", config=SHARED / "sam2_tiny_config.json"
        )
        self.predictor = Sam2Predictor(self.model)
        self.predictor.keep_input = True
        self.predictor.set_image(self.image)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.expected[key]


@pytest.fixture(scope="module")
def golden() -> Golden:
    if not (SHARED / "sam2_tiny_state.pt").is_file():
        pytest.skip(f"SAM 2.1 reference vectors not found at {SHARED}")
    return Golden()


def close(actual: object, expected: np.ndarray, tol: float) -> None:
    actual = np.asarray(actual, dtype=np.float64)
    assert actual.shape == expected.shape
    diff = float(np.abs(actual - expected.astype(np.float64)).max())
    assert diff <= tol, f"max abs diff {diff} > {tol}"


def masks_equal(masks: np.ndarray, expected: np.ndarray, logits: np.ndarray) -> None:
    assert masks.shape == expected.shape
    differ = masks != expected
    assert np.all(np.abs(logits[differ]) < 1e-4)


def test_preprocessing_and_features(golden: Golden) -> None:
    pred = golden.predictor
    close(pred.preprocessed, golden["preprocessed_input"], 1e-6)
    with torch.inference_mode():
        stages = golden.model.image_encoder.trunk(pred.preprocessed)
    for i, stage in enumerate(stages, start=1):
        close(stage, golden[f"trunk_stage{i}"], 1e-4)
    feats = pred.features
    assert feats is not None
    close(feats.level2, golden["backbone_fpn_2_before_no_mem_embed"], 1e-4)
    close(feats.image_embed, golden["image_embed"], 1e-4)
    close(feats.high_res[0], golden["high_res_feats_0"], 1e-4)
    close(feats.high_res[1], golden["high_res_feats_1"], 1e-4)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("multi", [True, False])
def test_prompt_cases(golden: Golden, name: str, multi: bool) -> None:
    key = f"{name}_{'multi' if multi else 'single'}/"
    r = golden.predictor.predict_full(multimask_output=multi, **CASES[name])  # type: ignore[arg-type]
    close(r.sparse, golden[key + "sparse_embeddings"], 1e-5)
    close(r.all_iou, golden[key + "decoder_all_iou_pred"], 1e-5)
    close(r.object_score, golden[key + "decoder_object_score_logits"], 1e-5)
    close(r.tokens, golden[key + "decoder_mask_tokens_out"], 1e-4)
    close(r.iou, golden[key + "iou_predictions"], 1e-5)
    close(r.low_res, golden[key + "low_res_masks"], 1e-4)
    close(r.logits, golden[key + "logits"], 1e-4)
    masks_equal(r.masks, golden[key + "masks"], r.logits)
    if key in ("a_point_multi/", "b_pos_neg_single/"):
        close(r.all_low_res, golden[key + "decoder_all_low_res_masks"], 1e-4)
    if not multi:
        stab = golden.model.sam_mask_decoder.stability(torch.as_tensor(r.all_low_res[:, 0]))
        close(stab.numpy()[:, None], golden[key + "singlemask_stability"], 1e-4)
    masks, iou, low = golden.predictor.predict(multimask_output=multi, **CASES[name])  # type: ignore[arg-type]
    assert masks.dtype == bool and np.array_equal(masks, r.masks)


def test_mask_input_case(golden: Golden) -> None:
    key = "e_point_maskinput_single/"
    best = golden["a_point_multi/low_res_masks"][np.argmax(golden["a_point_multi/iou_predictions"])]
    close(best[None, None], golden[key + "mask_input"], 0.0)
    r = golden.predictor.predict_full(
        point_coords=np.array([P_FG]),
        point_labels=np.array([1]),
        mask_input=best[None],
        multimask_output=False,
    )
    close(r.dense, golden[key + "dense_embeddings"], 1e-5)
    close(r.all_low_res, golden[key + "decoder_all_low_res_masks"], 1e-4)
    close(r.iou, golden[key + "iou_predictions"], 1e-5)
    close(r.logits, golden[key + "logits"], 1e-4)
    masks_equal(r.masks, golden[key + "masks"], r.logits)


def test_batched_boxes(golden: Golden) -> None:
    key = "g_batched_boxes_single/"
    r = golden.predictor.predict_full(box=np.array([BOX_1, BOX_2]), multimask_output=False)
    assert r.masks.shape == (2, 1, 200, 300)
    close(r.sparse, golden[key + "sparse_embeddings"], 1e-5)
    close(r.iou, golden[key + "iou_predictions"], 1e-5)
    close(r.low_res, golden[key + "low_res_masks"], 1e-4)
    close(r.logits, golden[key + "logits"], 1e-4)
    masks_equal(r.masks, golden[key + "masks"], r.logits)


def test_bad_prompts_are_refused(golden: Golden) -> None:
    pred = golden.predictor
    with pytest.raises(ModelError, match="point_labels must be given"):
        pred.predict(point_coords=np.array([P_FG]))
    with pytest.raises(ModelError, match="at least one prompt"):
        pred.predict()
    with pytest.raises(ModelError, match="mask_input must be"):
        pred.predict(point_coords=np.array([P_FG]), point_labels=[1], mask_input=np.zeros((64, 64)))
    with pytest.raises(ModelError, match="uint8"):
        pred.set_image(np.zeros((10, 10, 3), dtype=np.float32))


def test_mask_only_prompt_has_no_point_token(golden: Golden) -> None:
    """As the official image predictor: a mask alone gives no sparse token (no padding point),
    unlike the video path, which always passes a "not a point" pair."""
    mask = golden["e_point_maskinput_single/mask_input"][0]
    r = golden.predictor.predict_full(mask_input=mask, multimask_output=False)
    assert r.sparse.shape == (1, 0, 64)
    assert r.masks.shape == (1, 200, 300) and np.isfinite(r.logits).all()
