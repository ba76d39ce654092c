"""Golden-vector equivalence with the official SAM / MobileSAM (shared/sam_reference/README.md).

The tiny SAM vectors live in tests/data/sam_tiny; the larger MobileSAM vectors are read from
../shared/sam_reference next to the repository when present.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labeldesk.core.jobs import run_job
from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models.sam import (  # noqa: E402
    SamAutomaticMaskGenerator,
    SamPredictor,
    load_sam,
)
from labeldesk.models.sam.transforms import resize_longest_side  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY_DIR = REPO_ROOT / "tests" / "data" / "sam_tiny"
SHARED_DIR = REPO_ROOT.parent / "shared" / "sam_reference"

CASES = {
    "a_point": dict(point_coords=np.array([[120.0, 100.0]]), point_labels=np.array([1])),
    "b_pos_neg": dict(
        point_coords=np.array([[120.0, 100.0], [230.0, 120.0]]), point_labels=np.array([1, 0])
    ),
    "c_box": dict(box=np.array([75.0, 55.0, 175.0, 145.0])),
    "d_box_point": dict(
        box=np.array([190.0, 80.0, 270.0, 160.0]),
        point_coords=np.array([[230.0, 120.0]]),
        point_labels=np.array([1]),
    ),
}
PROMPT_CASES = [(name, multi) for name in CASES for multi in (True, False)]


class Golden:
    def __init__(self, directory: Path, stem: str) -> None:
        torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
        self.expected = np.load(directory / f"{stem}_expected.npz")
        self.image = np.load(directory / "input_image_200x300.npy")
        self.model = load_sam(
            directory / f"{stem}_state.pt", "cpu", config=directory / f"{stem}_config.json"
        )
        self.predictor = SamPredictor(self.model)
        self.predictor.set_image(self.image)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.expected[key]

    def has(self, key: str) -> bool:
        return key in self.expected.files


@pytest.fixture(scope="module")
def tiny() -> Golden:
    return Golden(TINY_DIR, "sam_tiny")


@pytest.fixture(scope="module")
def mobile() -> Golden:
    if not (SHARED_DIR / "mobile_sam_tiny_expected.npz").is_file():
        pytest.skip(f"MobileSAM golden vectors not found in {SHARED_DIR}")
    return Golden(SHARED_DIR, "mobile_sam_tiny")


def check_masks(masks: np.ndarray, expected: np.ndarray, logits: np.ndarray) -> None:
    """Bool masks must agree except where the full-res logit is within 1e-4 of 0."""
    assert masks.dtype == bool and masks.shape == expected.shape
    differ = masks != expected
    assert not np.any(differ & (np.abs(logits) >= 1e-4)), f"{differ.sum()} pixels differ"


def check_image(g: Golden) -> None:
    assert g.predictor.original_size == tuple(g["original_size"])
    assert g.predictor.input_size == tuple(g["input_size"])
    np.testing.assert_array_equal(
        resize_longest_side(g.image, g.model.image_size), g["resized_uint8"]
    )
    emb = g.predictor.get_image_embedding().numpy()
    assert emb.shape == g["image_embedding"].shape
    np.testing.assert_allclose(emb, g["image_embedding"], rtol=0, atol=1e-4)


def check_prompt_case(g: Golden, name: str, multi: bool) -> None:
    key = f"{name}_{'multi' if multi else 'single'}/"
    kw = CASES[name]
    p, m = g.predictor, g.model
    if "point_coords" in kw:
        model_pts = p.transform_coords(kw["point_coords"]).astype(np.float32)
        np.testing.assert_allclose(model_pts, g[key + "model_point_coords"], atol=1e-5, rtol=0)
    if "box" in kw:
        model_box = p.transform_boxes(kw["box"]).astype(np.float32)
        np.testing.assert_allclose(model_box, g[key + "model_box"], atol=1e-5, rtol=0)
        box_t = torch.as_tensor(model_box)
    else:
        box_t = None
    pts_t = lbl_t = None
    if "point_coords" in kw:
        pts_t = torch.as_tensor(model_pts)[None]
        lbl_t = torch.as_tensor(kw["point_labels"])[None]
    with torch.inference_mode():
        points = (pts_t, lbl_t) if pts_t is not None else None
        sparse, dense = m.prompt_encoder(points, box_t, None)
        all_masks, all_iou = m.mask_decoder.predict_all(
            p.features, m.prompt_encoder.get_dense_pe(), sparse, dense
        )
    np.testing.assert_allclose(sparse.numpy(), g[key + "sparse_embeddings"], atol=1e-5, rtol=0)
    if g.has(key + "dense_embeddings"):
        np.testing.assert_allclose(dense.numpy(), g[key + "dense_embeddings"], atol=1e-5, rtol=0)
    sel = slice(1, None) if multi else slice(0, 1)
    np.testing.assert_allclose(
        all_iou[:, sel].numpy(), g[key + "decoder_all_iou_pred"], atol=1e-4, rtol=0
    )
    if g.has(key + "decoder_all_low_res_masks"):
        np.testing.assert_allclose(
            all_masks[:, sel].numpy(), g[key + "decoder_all_low_res_masks"], atol=1e-4, rtol=0
        )

    masks, iou, low = p.predict(**kw, multimask_output=multi)
    logits, iou2, _ = p.predict(**kw, multimask_output=multi, return_logits=True)
    np.testing.assert_allclose(iou, g[key + "iou_predictions"], atol=1e-5, rtol=0)
    np.testing.assert_array_equal(iou, iou2)
    np.testing.assert_allclose(low, g[key + "low_res_logits"], atol=1e-4, rtol=0)
    if g.has(key + "fullres_logits"):
        np.testing.assert_allclose(logits, g[key + "fullres_logits"], atol=1e-4, rtol=0)
        check_masks(masks, g[key + "masks"], g[key + "fullres_logits"])
    else:
        check_masks(masks, g[key + "masks"], logits)
    assert masks.shape == (3 if multi else 1, 200, 300)
    np.testing.assert_array_equal(masks, logits > 0.0)


def check_mask_input(g: Golden) -> None:
    key = "e_point_maskinput_single/"
    mask_input = g[key + "mask_input"]
    # The previous call's best low-res mask is what gets fed back.
    _, iou, low = g.predictor.predict(**CASES["a_point"], multimask_output=True)
    np.testing.assert_allclose(low[np.argmax(iou)][None], mask_input, atol=1e-4, rtol=0)
    with torch.inference_mode():
        pts = torch.as_tensor(g.predictor.transform_coords(CASES["a_point"]["point_coords"]))
        sparse, dense = g.model.prompt_encoder(
            (pts.float()[None], torch.tensor([[1]])), None, torch.as_tensor(mask_input)[None]
        )
    np.testing.assert_allclose(sparse.numpy(), g[key + "sparse_embeddings"], atol=1e-5, rtol=0)
    if g.has(key + "dense_embeddings"):
        np.testing.assert_allclose(dense.numpy(), g[key + "dense_embeddings"], atol=1e-5, rtol=0)
    masks, iou, low = g.predictor.predict(
        **CASES["a_point"], mask_input=mask_input, multimask_output=False
    )
    logits, _, _ = g.predictor.predict(
        **CASES["a_point"], mask_input=mask_input, multimask_output=False, return_logits=True
    )
    np.testing.assert_allclose(iou, g[key + "iou_predictions"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(low, g[key + "low_res_logits"], atol=1e-4, rtol=0)
    check_masks(masks, g[key + "masks"], logits)


def check_batched_boxes(g: Golden) -> None:
    key = "g_batched_boxes_single/"
    p = g.predictor
    boxes = torch.as_tensor(p.transform_boxes(g[key + "boxes"]).astype(np.float32))
    masks, iou, low = p.predict_torch(None, None, boxes, multimask_output=False)
    logits, _, _ = p.predict_torch(None, None, boxes, multimask_output=False, return_logits=True)
    assert masks.shape == (2, 1, 200, 300)
    np.testing.assert_allclose(iou.numpy(), g[key + "iou_predictions"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(low.numpy(), g[key + "low_res_logits"], atol=1e-4, rtol=0)
    check_masks(masks.numpy(), g[key + "masks"], logits.numpy())


def check_amg(g: Golden, key: str, nms: float) -> None:
    gen = SamAutomaticMaskGenerator(
        g.predictor,
        points_per_side=4,
        points_per_batch=64,
        pred_iou_thresh=0.0,
        stability_score_thresh=0.0,
        stability_score_offset=1.0,
        box_nms_thresh=nms,
        min_mask_region_area=0,
    )
    result = run_job(gen.generate_steps(g.image, reuse_embedding=True))
    n = len(g[key + "/area"])
    assert len(result) == n
    segs = np.unpackbits(g[key + "/segmentations"], axis=-1)[..., :300].astype(bool)
    unmatched = set(range(n))
    for r in result:
        # Compare as sets: the same point prompt yields 3 masks, told apart by predicted IoU.
        cands = [
            i
            for i in unmatched
            if np.allclose(r["point_coords"][0], g[key + "/point_coords"][i], atol=1e-6)
            and abs(r["predicted_iou"] - g[key + "/predicted_iou"][i]) <= 1e-4
        ]
        assert len(cands) == 1, f"{r['point_coords']} iou {r['predicted_iou']}: {cands}"
        i = cands[0]
        unmatched.discard(i)
        assert r["bbox"] == g[key + "/bbox_xywh"][i].tolist()
        assert r["area"] == int(g[key + "/area"][i])
        assert abs(r["stability_score"] - g[key + "/stability_score"][i]) <= 1e-4
        assert r["crop_box"] == g[key + "/crop_box"][i].tolist()
        np.testing.assert_array_equal(r["segmentation"], segs[i])
    ious = [r["predicted_iou"] for r in result]
    assert ious == sorted(ious, reverse=True)


# ------------------------------------------------------------------------------- tiny SAM
def test_tiny_image_embedding(tiny: Golden) -> None:
    check_image(tiny)
    x = torch.as_tensor(tiny["resized_uint8"]).permute(2, 0, 1)[None]
    pre = tiny.model.preprocess(x).numpy()
    np.testing.assert_allclose(pre, tiny["preprocessed_input"], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name,multi", PROMPT_CASES)
def test_tiny_prompt_cases(tiny: Golden, name: str, multi: bool) -> None:
    check_prompt_case(tiny, name, multi)


def test_tiny_mask_input_feedback(tiny: Golden) -> None:
    check_mask_input(tiny)


def test_tiny_batched_boxes(tiny: Golden) -> None:
    check_batched_boxes(tiny)


@pytest.mark.parametrize("key,nms", [("amg", 0.7), ("amg_nonms", 1.0)])
def test_tiny_automatic_masks(tiny: Golden, key: str, nms: float) -> None:
    check_amg(tiny, key, nms)


def test_tiny_bgr_input_matches_rgb(tiny: Golden) -> None:
    p = SamPredictor(tiny.model)
    p.set_image(np.ascontiguousarray(tiny.image[..., ::-1]), image_format="BGR")
    np.testing.assert_array_equal(p.get_image_embedding().numpy(), tiny.predictor.features.numpy())


# ------------------------------------------------------------------------------ MobileSAM
def test_mobile_image_embedding(mobile: Golden) -> None:
    check_image(mobile)


@pytest.mark.parametrize("name,multi", PROMPT_CASES)
def test_mobile_prompt_cases(mobile: Golden, name: str, multi: bool) -> None:
    check_prompt_case(mobile, name, multi)


def test_mobile_mask_input_feedback(mobile: Golden) -> None:
    check_mask_input(mobile)


def test_mobile_batched_boxes(mobile: Golden) -> None:
    check_batched_boxes(mobile)


@pytest.mark.parametrize("key,nms", [("amg", 0.7), ("amg_nonms", 1.0)])
def test_mobile_automatic_masks(mobile: Golden, key: str, nms: float) -> None:
    check_amg(mobile, key, nms)
