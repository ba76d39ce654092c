"""Predictor API, embedding cache, OOM fallback, AMG helpers, lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import run_job
from labeldesk.models.device import import_torch, is_out_of_memory, run_with_cpu_fallback
from labeldesk.models.sam.cache import EmbeddingCache, ImageEmbedding, image_key

torch = import_torch()

from labeldesk.models.sam import SamAutomaticMaskGenerator, SamPredictor, load_sam  # noqa: E402
from labeldesk.models.sam.amg_utils import (  # noqa: E402
    box_nms,
    mask_to_uncompressed_rle,
    masks_to_boxes,
    point_grid,
    remove_small_regions,
    stability_score,
)

TINY_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "sam_tiny"


@pytest.fixture(scope="module")
def model():
    return load_sam(TINY_DIR / "sam_tiny_state.pt", "cpu", config=TINY_DIR / "sam_tiny_config.json")


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return np.load(TINY_DIR / "input_image_200x300.npy")


# ------------------------------------------------------------------------------ predictor
def test_embedding_round_trip_through_cache(model, image) -> None:
    first = SamPredictor(model)
    first.set_image(image)
    expected = first.predict(np.array([[120.0, 100.0]]), np.array([1]))
    cache = EmbeddingCache(max_bytes=1 << 20)
    key = image_key(image)
    assert cache.put(key, first.get_embedding())
    hit = cache.get(key, model.model_id)
    assert hit is not None and hit.original_size == (200, 300) and hit.input_size == (171, 256)
    assert not hit.embedding.flags.writeable
    assert hit.image_hash == key

    second = SamPredictor(model)

    def no_encoder(*args, **kwargs):
        raise AssertionError("the encoder must not run when the embedding is set")

    second.model.image_encoder.forward, saved = no_encoder, second.model.image_encoder.forward
    try:
        second.set_embedding(hit)
        got = second.predict(np.array([[120.0, 100.0]]), np.array([1]))
    finally:
        second.model.image_encoder.forward = saved
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(a, b)


def test_set_embedding_rejects_other_model(model, image) -> None:
    pred = SamPredictor(model)
    pred.set_image(image)
    item = pred.get_embedding()
    other = ImageEmbedding(item.embedding, item.original_size, item.input_size, "vit_b:other")
    with pytest.raises(ModelError, match="made by model 'vit_b:other'"):
        pred.set_embedding(other)
    wrong = ImageEmbedding(item.embedding, (100, 100), item.input_size, item.model_id)
    with pytest.raises(ModelError, match="input_size"):
        pred.set_embedding(wrong)


def test_predict_errors_are_clear(model, image) -> None:
    pred = SamPredictor(model)
    with pytest.raises(ModelError, match="no image is set"):
        pred.predict(np.array([[1.0, 1.0]]), np.array([1]))
    pred.set_image(image)
    with pytest.raises(ModelError, match="point_labels must be given"):
        pred.predict(np.array([[1.0, 1.0]]))
    with pytest.raises(ModelError, match="2 entries for 1 points"):
        pred.predict(np.array([[1.0, 1.0]]), np.array([1, 0]))
    with pytest.raises(ModelError, match="0 \\(background\\) or 1"):
        pred.predict(np.array([[1.0, 1.0]]), np.array([2]))
    with pytest.raises(ModelError, match="mask_input must be \\(1, 64, 64\\)"):
        pred.predict(np.array([[1.0, 1.0]]), np.array([1]), mask_input=np.zeros((1, 32, 32)))
    with pytest.raises(ModelError, match="image must be an \\(H, W, 3\\) uint8"):
        pred.set_image(image.astype(np.float32))


def test_point_feedback_changes_mask(model, image) -> None:
    pred = SamPredictor(model)
    pred.set_image(image)
    masks, iou, low = pred.predict(np.array([[120.0, 100.0]]), np.array([1]))
    assert masks.shape == (3, 200, 300) and iou.shape == (3,) and low.shape == (3, 64, 64)
    best = low[np.argmax(iou)][None]
    m2, iou2, low2 = pred.predict(
        np.array([[120.0, 100.0], [230.0, 120.0]]),
        np.array([1, 0]),
        mask_input=best,
        multimask_output=False,
    )
    assert m2.shape == (1, 200, 300) and iou2.shape == (1,)
    assert not np.array_equal(low2[0], low[np.argmax(iou)])


# ------------------------------------------------------------------------------- cache
def test_cache_is_lru_bounded_by_bytes() -> None:
    def item(model_id: str, fill: float) -> ImageEmbedding:
        return ImageEmbedding(np.full((1, 4, 4, 4), fill, np.float32), (8, 8), (8, 8), model_id)

    cache = EmbeddingCache(max_bytes=3 * 256)  # room for three 256-byte embeddings
    for name in "abc":
        assert cache.put(name, item("m", 1.0))
    assert cache.get("a", "m") is not None  # a is now most recent; b is least recent
    cache.put("d", item("m", 2.0))
    assert cache.get("b", "m") is None
    assert cache.get("a", "m") is not None and cache.get("d", "m") is not None
    assert cache.nbytes == 3 * 256 and len(cache) == 3
    assert cache.get("a", "other-model") is None  # keyed by model too
    assert not cache.put(
        "big", ImageEmbedding(np.zeros((1, 8, 8, 8), np.float32), (8, 8), (8, 8), "m")
    )
    assert len(cache) == 3


def test_image_key_depends_on_content_and_shape() -> None:
    a = np.zeros((4, 6, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 1
    assert image_key(a) == image_key(a.copy())
    assert image_key(a) != image_key(b)
    assert image_key(a) != image_key(a.reshape(6, 4, 3))


# -------------------------------------------------------------------------- OOM fallback
def test_cuda_oom_falls_back_to_cpu(model, image) -> None:
    pred = SamPredictor(model)
    moved: list[str] = []
    real_forward = model.image_encoder.forward
    calls = {"n": 0}

    def flaky_forward(x):
        calls["n"] += 1
        if calls["n"] == 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_forward(x)

    model.image_encoder.forward = flaky_forward
    try:
        _, message = run_with_cpu_fallback(
            lambda: pred.set_image(image),
            move_to_cpu=lambda: (moved.append("cpu"), pred.to("cpu")),
            current_device="cuda",
        )
    finally:
        model.image_encoder.forward = real_forward
    assert moved == ["cpu"] and calls["n"] == 2
    assert message is not None and "CUDA device ran out of memory" in message
    assert "CPU" in message
    assert pred.is_image_set and pred.device.type == "cpu"


def test_fallback_passes_other_errors_and_cpu_oom() -> None:
    def boom() -> None:
        raise ValueError("not memory")

    with pytest.raises(ValueError, match="not memory"):
        run_with_cpu_fallback(boom, move_to_cpu=lambda: None, current_device="cuda")

    def cpu_oom() -> None:
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried 10 GB")

    with pytest.raises(ModelError, match="out of memory on the CPU"):
        run_with_cpu_fallback(cpu_oom, move_to_cpu=lambda: None, current_device="cpu")
    assert is_out_of_memory(RuntimeError("MPS backend out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    result, message = run_with_cpu_fallback(
        lambda: 7, move_to_cpu=lambda: None, current_device="cuda"
    )
    assert (result, message) == (7, None)


def test_encoder_precision_flag(model) -> None:
    assert model.encoder_precision == "fp32"
    with pytest.raises(ValueError, match="precision"):
        model.set_encoder_precision("int8")


# ------------------------------------------------------------------------- AMG helpers
def test_point_grid_order() -> None:
    grid = point_grid(2)
    np.testing.assert_allclose(grid, [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]])


def test_masks_to_boxes_inclusive_and_empty() -> None:
    masks = torch.zeros((3, 10, 12), dtype=torch.bool)
    masks[0, 2:5, 3:9] = True
    masks[1, 7, 11] = True
    boxes = masks_to_boxes(masks)
    assert boxes.tolist() == [[3, 2, 8, 4], [11, 7, 11, 7], [0, 0, 0, 0]]


def test_stability_score_counts_pixels() -> None:
    logits = torch.tensor([[[2.0, 0.5, -0.5, -2.0]]])
    # > +1: one pixel; > -1: three pixels
    assert stability_score(logits, 0.0, 1.0).item() == pytest.approx(1 / 3)


def test_box_nms_matches_brute_force() -> None:
    rng = np.random.default_rng(5)
    xy = rng.integers(0, 50, (60, 2))
    wh = rng.integers(1, 30, (60, 2))
    boxes = torch.as_tensor(np.concatenate([xy, xy + wh], 1), dtype=torch.float32)
    scores = torch.as_tensor(rng.random(60), dtype=torch.float32)
    keep = box_nms(boxes, scores, 0.3).tolist()

    def iou(a, b):
        lt = np.maximum(a[:2], b[:2])
        rb = np.minimum(a[2:], b[2:])
        inter = np.prod(np.clip(rb - lt, 0, None))
        area = lambda z: (z[2] - z[0]) * (z[3] - z[1])  # noqa: E731
        return inter / (area(a) + area(b) - inter)

    expected: list[int] = []
    for i in np.argsort(-scores.numpy(), kind="stable"):
        if all(iou(boxes[i].numpy(), boxes[j].numpy()) <= 0.3 for j in expected):
            expected.append(int(i))
    assert keep == expected
    assert 0 < len(keep) < 60


def test_remove_small_regions() -> None:
    mask = np.zeros((20, 20), bool)
    mask[2:12, 2:12] = True
    mask[5, 5] = False  # a 1-pixel hole
    mask[16:18, 16:18] = True  # a 4-pixel island
    filled, changed = remove_small_regions(mask, 5, "holes")
    assert changed and filled[5, 5] and filled.sum() == mask.sum() + 1
    cleaned, changed = remove_small_regions(filled, 5, "islands")
    assert changed and not cleaned[16:18, 16:18].any() and cleaned.sum() == 100
    same, changed = remove_small_regions(cleaned, 5, "islands")
    assert not changed and np.array_equal(same, cleaned)


def test_uncompressed_rle_is_column_major() -> None:
    mask = np.array([[0, 1], [1, 1]], bool)
    assert mask_to_uncompressed_rle(mask) == {"size": [2, 2], "counts": [1, 3]}
    assert mask_to_uncompressed_rle(np.ones((1, 2), bool))["counts"] == [0, 2]


def test_amg_filters_and_cleanup(model, image) -> None:
    gen = SamAutomaticMaskGenerator(
        model,
        points_per_side=3,
        pred_iou_thresh=0.0,
        stability_score_thresh=0.0,
        box_nms_thresh=1.0,
    )
    everything = gen.generate(image)
    assert len(everything) == 27
    ious = sorted(r["predicted_iou"] for r in everything)
    cut = ious[len(ious) // 2]
    gen.pred_iou_thresh = cut
    kept = gen.generate(image)
    assert len(kept) == sum(v > cut for v in ious)
    gen.pred_iou_thresh = 0.0
    assert any(remove_small_regions(r["segmentation"], 400, "holes")[1] for r in everything)
    gen.min_mask_region_area = 400
    cleaned = gen.generate(image)
    for r in cleaned:
        seg = r["segmentation"]
        assert r["area"] == int(seg.sum())
        x, y, w, h = r["bbox"]
        ys, xs = np.nonzero(seg)
        assert (x, y, x + w, y + h) == (xs.min(), ys.min(), xs.max(), ys.max())
        assert remove_small_regions(seg, 400, "holes")[1] is False
    with pytest.raises(ModelError, match="crop_n_layers"):
        SamAutomaticMaskGenerator(model, crop_n_layers=1)


def test_package_import_does_not_import_torch() -> None:
    code = (
        "import sys, labeldesk.models, labeldesk.models.sam, labeldesk.models.sam.cache, "
        "labeldesk.models.sam.config, labeldesk.models.sam.transforms\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'PySide6' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_postprocess_same_size_equals_explicit_resize(model) -> None:
    low = torch.randn(2, 3, 64, 64)
    up = torch.nn.functional.interpolate(low, (256, 256), mode="bilinear", align_corners=False)
    explicit = torch.nn.functional.interpolate(
        up[..., :256, :200], (256, 200), mode="bilinear", align_corners=False
    )
    assert torch.equal(model.postprocess_masks(low, (256, 200), (256, 200)), explicit)
    assert model.postprocess_masks(low, (256, 200), (512, 400)).shape == (2, 3, 512, 400)


def test_amg_reuses_only_the_same_images_embedding(model, image) -> None:
    kwargs = dict(points_per_side=2, pred_iou_thresh=0.0, stability_score_thresh=0.0)
    expected = SamAutomaticMaskGenerator(model, **kwargs).generate(image)
    pred = SamPredictor(model)
    other = np.ascontiguousarray(image[::-1])  # same size, different content
    pred.set_image(other)
    gen = SamAutomaticMaskGenerator(pred, **kwargs)

    def run() -> list:
        return run_job(gen.generate_steps(image, reuse_embedding=True))

    got = run()  # must re-encode: the held embedding is of another image
    assert pred.holds_image(image) and not pred.holds_image(other)
    real_forward = model.image_encoder.forward

    def no_encoder(x):
        raise AssertionError("encoder ran although the embedding was for this image")

    model.image_encoder.forward = no_encoder
    try:
        again = run()
    finally:
        model.image_encoder.forward = real_forward
    for results in (got, again):
        assert [r["bbox"] for r in results] == [r["bbox"] for r in expected]
        assert [r["predicted_iou"] for r in results] == [r["predicted_iou"] for r in expected]


def test_leave_a_core_free_keeps_one_core_for_the_gui() -> None:
    import os

    from labeldesk.models.device import import_torch, leave_a_core_free

    torch = import_torch()
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(os.cpu_count() or 1)
        assert leave_a_core_free() == max(1, (os.cpu_count() or 1) - 1)
        torch.set_num_threads(1)
        assert leave_a_core_free() == 1  # never raised
    finally:
        torch.set_num_threads(before)
