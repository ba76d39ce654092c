"""Dice, IoU, Hausdorff, HD95 and ASSD against MONAI; exact distance transforms; PQ by hand."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from labeldesk.algorithms.distance import (
    boundary_distances,
    distance_to,
    distances_at,
    exact_edt,
    mask_edges,
)
from labeldesk.algorithms.matching import (
    Counts,
    class_counts,
    hungarian,
    match_instances,
    panoptic_average,
)
from labeldesk.algorithms.metrics import (
    assd,
    dice,
    hausdorff,
    iou,
    label_scores,
    mask_scores,
    surface_distances,
)

monai_metrics = pytest.importorskip("monai.metrics")
torch = pytest.importorskip("torch")


def monai_scores(ref: np.ndarray, test: np.ndarray, spacing) -> list[float]:
    """MONAI's five numbers (y = ref, y_pred = test)."""
    y = torch.from_numpy(ref[None, None].astype(np.float32))
    p = torch.from_numpy(test[None, None].astype(np.float32))
    kw = {"include_background": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [
            monai_metrics.compute_dice(p, y, ignore_empty=False, **kw).item(),
            monai_metrics.compute_iou(p, y, ignore_empty=False, **kw).item(),
            monai_metrics.compute_hausdorff_distance(p, y, spacing=spacing, **kw).item(),
            monai_metrics.compute_hausdorff_distance(
                p, y, percentile=95, spacing=spacing, **kw
            ).item(),
            monai_metrics.compute_average_surface_distance(
                p, y, symmetric=True, spacing=spacing, **kw
            ).item(),
        ]


def ours(ref: np.ndarray, test: np.ndarray, spacing) -> list[float]:
    s = mask_scores(ref, test, spacing=spacing)
    return [s.dice, s.iou, s.hausdorff, s.hausdorff95, s.assd]


def blobs(rng: np.random.Generator, shape: tuple[int, ...], n: int) -> np.ndarray:
    """Union of ``n`` random axis-aligned ellipsoids: realistic, compact masks."""
    grid = np.indices(shape).astype(np.float64)
    out = np.zeros(shape, dtype=bool)
    for _ in range(n):
        centre = [rng.uniform(0, s) for s in shape]
        radius = [rng.uniform(1.5, max(2.0, s / 3)) for s in shape]
        d = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radius, strict=True))
        out |= d <= 1.0
    return out


CASES_2D = [(32, 48), (64, 64), (7, 90)]
CASES_3D = [(12, 20, 16), (5, 30, 25)]


@pytest.mark.parametrize("shape", CASES_2D + CASES_3D)
@pytest.mark.parametrize("kind", ["noise", "blobs"])
def test_random_masks_equal_monai(shape: tuple[int, ...], kind: str) -> None:
    rng = np.random.default_rng(hash((shape, kind)) % 2**32)
    for trial in range(4):
        if kind == "noise":
            ref = rng.random(shape) < rng.uniform(0.05, 0.5)
            test = rng.random(shape) < rng.uniform(0.05, 0.5)
        else:
            ref = blobs(rng, shape, 3)
            test = ref ^ (blobs(rng, shape, 2) if trial % 2 else np.zeros(shape, bool))
        # isotropic pixels, isotropic non-unit, anisotropic
        spacing = [None, 0.7, tuple(rng.uniform(0.3, 3.0, len(shape)))][trial % 3]
        if trial == 3:
            spacing = tuple(float(x) for x in rng.uniform(0.5, 2.0, len(shape)))
        got, want = ours(ref, test, spacing), monai_scores(ref, test, spacing)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=f"{spacing}")


def edge_cases(shape: tuple[int, ...]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    z = np.zeros(shape, dtype=bool)
    one = z.copy()
    one[(0,) * len(shape)] = True  # a corner pixel: on the array border
    far = z.copy()
    far[tuple(s - 1 for s in shape)] = True
    full = ~z
    half = z.copy()
    half[: shape[0] // 2] = True
    line = z.copy()
    line[(slice(None),) + (1,) * (len(shape) - 1)] = True  # 1 pixel wide
    ring = full.copy()
    ring[tuple(slice(2, s - 2) for s in shape)] = False  # a hole: an inner boundary
    return [
        ("identical", half, half.copy()),
        ("single pixels far apart", one, far),
        ("single pixel in full", full, one),
        ("full vs half", full, half),
        ("line vs half", line, half),
        ("ring vs full", ring, full),
        ("border pixel vs line", one, line),
    ]


@pytest.mark.parametrize("shape", [(9, 13), (6, 7, 8)])
@pytest.mark.parametrize("spacing", [None, "aniso"])
def test_edge_cases_equal_monai(shape: tuple[int, ...], spacing) -> None:
    sp = None if spacing is None else tuple(0.5 + 0.75 * i for i in range(len(shape)))
    for name, ref, test in edge_cases(shape):
        for a, b in ((ref, test), (test, ref)):
            got, want = ours(a, b, sp), monai_scores(a, b, sp)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=name)


def test_identical_masks_score_perfect() -> None:
    m = blobs(np.random.default_rng(3), (40, 50), 3)
    s = mask_scores(m, m, spacing=(2.0, 0.5))
    assert (s.dice, s.iou, s.hausdorff, s.hausdorff95, s.assd) == (1.0, 1.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("shape", [(20, 30), (6, 10, 12)])
def test_empty_cases_defined(shape: tuple[int, ...]) -> None:
    z = np.zeros(shape, dtype=bool)
    m = z.copy()
    m[(slice(1, 4),) * len(shape)] = True
    both = mask_scores(z, z)
    assert all(math.isnan(v) for v in (both.dice, both.iou, both.hausdorff, both.assd))
    assert math.isnan(both.hausdorff95)
    for ref, test in ((z, m), (m, z)):
        s = mask_scores(ref, test, spacing=2.0)
        assert (s.dice, s.iou) == (0.0, 0.0)
        assert s.hausdorff == s.hausdorff95 == s.assd == math.inf
        # MONAI: the same for HD and ASSD, NaN when both are empty
        want = monai_scores(ref, test, 2.0)
        assert want[2] == math.inf and want[4] == math.inf
    want = monai_scores(z, z, None)
    assert math.isnan(want[2]) and math.isnan(want[4])
    # MONAI's default ignore_empty=True gives NaN for an empty reference; ours 0.0 (documented)
    y = torch.from_numpy(z[None, None].astype(np.float32))
    p = torch.from_numpy(m[None, None].astype(np.float32))
    assert math.isnan(monai_metrics.compute_dice(p, y, include_background=True).item())


def test_single_functions_agree_with_mask_scores() -> None:
    rng = np.random.default_rng(5)
    ref, test = blobs(rng, (50, 60), 3), blobs(rng, (50, 60), 3)
    s = mask_scores(ref, test, spacing=(1.5, 0.5))
    assert dice(ref, test) == s.dice and iou(ref, test) == s.iou
    assert hausdorff(ref, test, spacing=(1.5, 0.5)) == s.hausdorff
    assert hausdorff(ref, test, spacing=(1.5, 0.5), percentile=95) == s.hausdorff95
    assert assd(ref, test, spacing=(1.5, 0.5)) == s.assd
    to_ref, to_test = surface_distances(ref, test, spacing=(1.5, 0.5))
    assert to_ref.size == mask_edges(test).sum() and to_test.size == mask_edges(ref).sum()


def test_label_scores_equal_per_mask_scores() -> None:
    rng = np.random.default_rng(9)
    ref = rng.integers(-1, 5, (40, 50)).astype(np.int32)
    test = ref.copy()
    test[rng.random(ref.shape) < 0.2] = 2
    test[test == 4] = 0  # class 4 only in ref; class 7 in neither
    got = label_scores(ref, test, [1, 2, 3, 4, 7], spacing=(1.0, 2.0))
    for v in (1, 2, 3, 4):
        want = mask_scores(ref == v, test == v, spacing=(1.0, 2.0))
        assert got[v] == want
    assert got[4].hausdorff == math.inf and got[4].dice == 0.0
    assert math.isnan(got[7].dice) and math.isnan(got[7].hausdorff)


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="same shape"):
        mask_scores(np.zeros((3, 4), bool), np.zeros((4, 3), bool))
    with pytest.raises(ValueError, match="spacing"):
        mask_scores(np.zeros((3, 4), bool), np.zeros((3, 4), bool), spacing=(1, 2, 3))
    with pytest.raises(ValueError, match="spacing"):
        mask_scores(np.zeros((3, 4), bool), np.zeros((3, 4), bool), spacing=(1, -2))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        mask_scores(np.zeros(5, bool), np.zeros(5, bool))
    with pytest.raises(ValueError, match="percentile"):
        hausdorff(np.ones((3, 3), bool), np.ones((3, 3), bool), percentile=120)


# --- exact distance transforms ----------------------------------------------------------


def brute_edt(features: np.ndarray, spacing) -> np.ndarray:
    pts = np.argwhere(features) * np.asarray(spacing)
    grid = np.indices(features.shape).reshape(features.ndim, -1).T * np.asarray(spacing)
    d = np.sqrt(((grid[:, None, :] - pts[None, :, :]) ** 2).sum(-1)).min(axis=1)
    return d.reshape(features.shape)


@pytest.mark.parametrize("shape", [(1, 1), (1, 17), (15, 1), (23, 19), (7, 9, 11)])
def test_exact_edt_equals_brute_force(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    for p in (0.0, 0.01, 0.1, 0.6):
        feat = rng.random(shape) < p
        feat.flat[rng.integers(feat.size)] = True
        sp = tuple(rng.uniform(0.3, 3.0, len(shape)))
        np.testing.assert_allclose(exact_edt(feat, spacing=sp), brute_edt(feat, sp), rtol=1e-12)
        np.testing.assert_allclose(distance_to(feat), brute_edt(feat, (1,) * len(shape)), 1e-6)


def test_distance_to_nothing_is_inf() -> None:
    assert np.isinf(distance_to(np.zeros((4, 5), bool))).all()
    assert np.isinf(exact_edt(np.zeros((2, 4, 5), bool))).all()


# --- instance matching and panoptic quality --------------------------------------------------


def test_hungarian_is_optimal() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n, m = (int(x) for x in rng.integers(1, 6, 2))
        cost = rng.integers(0, 4, (n, m)).astype(float) if _ % 2 else rng.random((n, m))
        rows, cols = hungarian(cost)
        assert len(rows) == min(n, m) == len(set(rows.tolist())) == len(set(cols.tolist()))
        best = min(
            sum(cost[r, c] for r, c in zip(perm_r, perm_c, strict=False))
            for perm_r in ([list(range(n))] if n <= m else itertools.permutations(range(n), m))
            for perm_c in (itertools.permutations(range(m), n) if n <= m else [list(range(m))])
        )
        assert cost[rows, cols].sum() == pytest.approx(best)


def square(ins: np.ndarray, k: int, x0: int, y0: int, w: int, h: int) -> None:
    ins[y0 : y0 + h, x0 : x0 + w] = k


def test_panoptic_quality_hand_made() -> None:
    ref = np.zeros((40, 60), np.int32)
    test = np.zeros_like(ref)
    # cat 1: 10x10, test shifted by 2 columns -> IoU 80 / 120 = 2/3 (match)
    square(ref, 1, 0, 0, 10, 10)
    square(test, 1, 2, 0, 10, 10)
    # cat 2: missed (FN)
    square(ref, 2, 20, 0, 10, 10)
    # dog 3: test covers 40 of its 100 pixels exactly -> IoU 0.4 (no match: FN + FP)
    square(ref, 3, 0, 20, 10, 10)
    square(test, 2, 0, 20, 4, 10)
    # dog 4: identical (IoU 1)
    square(ref, 4, 30, 20, 5, 5)
    square(test, 3, 30, 20, 5, 5)
    # an extra cat in test (FP)
    square(test, 4, 50, 30, 6, 6)
    ref_cls = {1: 1, 2: 1, 3: 2, 4: 2}
    test_cls = {1: 1, 2: 2, 3: 2, 4: 1}
    m = match_instances(ref, test, ref_cls, test_cls)
    assert [(r, t) for r, t, _ in m.matches] == [(1, 1), (4, 3)]
    assert m.matches[0][2] == pytest.approx(80 / 120) and m.matches[1][2] == 1.0
    assert m.missed == [2, 3] and m.extra == [2, 4]
    counts = class_counts(m, ref_cls, test_cls)
    cat, dog = counts[1], counts[2]
    assert (cat.tp, cat.fp, cat.fn) == (1, 1, 1)
    assert (dog.tp, dog.fp, dog.fn) == (1, 1, 1)
    assert cat.sq == pytest.approx(2 / 3) and cat.rq == pytest.approx(0.5)
    assert cat.pq == pytest.approx(1 / 3) and dog.pq == pytest.approx(0.5)
    assert cat.precision == 0.5 and cat.recall == 0.5 and cat.f1 == 0.5
    avg = panoptic_average(counts)
    assert avg["pq"] == pytest.approx((1 / 3 + 0.5) / 2) and avg["classes"] == 2
    # a lower threshold lets the dog at IoU 0.4 match (Hungarian path)
    low = match_instances(ref, test, ref_cls, test_cls, threshold=0.3)
    assert (3, 2) in [(r, t) for r, t, _ in low.matches]


def test_iou_exactly_half_does_not_match() -> None:
    ref = np.zeros((10, 10), np.int32)
    test = np.zeros_like(ref)
    square(ref, 1, 0, 0, 4, 3)  # 12 pixels
    square(test, 1, 0, 0, 6, 3)  # 18 pixels, 12 shared: IoU = 12 / 18 = 2/3
    square(ref, 2, 0, 5, 2, 2)  # 4 pixels
    square(test, 2, 0, 5, 2, 4)  # 8 pixels, IoU = 0.5 exactly
    m = match_instances(ref, test, {1: 1, 2: 1}, {1: 1, 2: 1})
    assert [(r, t) for r, t, _ in m.matches] == [(1, 1)]
    assert m.missed == [2] and m.extra == [2]


def test_void_pixels_as_panopticapi() -> None:
    ref = np.zeros((20, 20), np.int32)
    test = np.zeros_like(ref)
    void = np.zeros(ref.shape, bool)
    void[:, 10:] = True
    square(ref, 1, 0, 0, 10, 4)  # 40 px
    square(test, 1, 0, 0, 16, 4)  # 64 px, 24 of them on void: IoU = 40 / (64 + 40 - 40 - 24)
    square(test, 2, 12, 10, 5, 5)  # all on void: not a false positive
    m = match_instances(ref, test, {1: 1}, {1: 1, 2: 1}, void=void)
    assert m.matches == [(1, 1, 1.0)] and m.extra == [] and m.on_void == [2]
    plain = match_instances(ref, test, {1: 1}, {1: 1, 2: 1})
    assert plain.matches[0][2] == pytest.approx(40 / 64) and plain.extra == [2]


def test_counts_of_nothing_are_nan() -> None:
    c = Counts()
    assert all(math.isnan(c.as_dict()[k]) for k in ("precision", "recall", "pq", "sq", "rq"))
    assert math.isnan(panoptic_average({1: c})["pq"])
    missed_only = Counts(fn=2)
    assert missed_only.pq == 0.0 and missed_only.sq == 0.0 and missed_only.recall == 0.0


def test_local_boxes_are_exact_on_a_large_sparse_image(monkeypatch) -> None:
    """Far-apart objects are measured box by box; distances beyond the margin (a shifted
    object, an object with no partner) fall back to the whole transform; all equal MONAI."""
    shape = (600, 900)
    ref = np.zeros(shape, bool)
    test = np.zeros(shape, bool)
    ref[20:60, 30:90] = True
    test[22:63, 28:88] = True  # close: local
    ref[450:510, 700:780] = True
    test[450:510, 700 + 70 : 780 + 70 - 10] = True  # shifted beyond the margin
    ref[300:320, 10:25] = True  # no partner nearby
    yy, xx = np.indices(shape)
    test |= (yy - 560) ** 2 / 3 + (xx - 300) ** 2 < 20**2  # an extra object, no partner
    import labeldesk.algorithms.distance as distance

    calls = []
    real_local = distance._local
    monkeypatch.setattr(distance, "_local", lambda *a: calls.append(1) or real_local(*a))
    for spacing in (None, (1.0, 1.0), (0.8, 1.7)):
        got, want = ours(ref, test, spacing), monai_scores(ref, test, spacing)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=f"{spacing}")
    assert calls


def test_distances_at_equals_the_whole_transform(monkeypatch) -> None:
    import labeldesk.algorithms.distance as distance

    calls = []
    real_local = distance._local
    monkeypatch.setattr(distance, "_local", lambda *a: calls.append(1) or real_local(*a))
    rng = np.random.default_rng(12)
    yy, xx = np.indices((600, 800))
    for _ in range(5):
        near = np.zeros((600, 800), bool)
        for cy, cx in rng.uniform(0, 1, (3, 2)) * (600, 800):
            near |= (yy - cy) ** 2 + (xx - cx) ** 2 < 15**2  # three small clusters
        feat = near & (rng.random(near.shape) < 0.05)
        where = near & (rng.random(near.shape) < 0.05)
        feat[5, 5] = True  # and one lone feature far from them
        sp = (1.3, 0.6) if _ % 2 else None
        want = exact_edt(feat, spacing=sp)[where]
        np.testing.assert_allclose(distances_at(feat, where, spacing=sp), want, rtol=1e-6)
        got_a, got_b = boundary_distances(feat, where, spacing=sp)
        np.testing.assert_allclose(got_a, want, rtol=1e-6)
        np.testing.assert_allclose(got_b, exact_edt(where, spacing=sp)[feat], rtol=1e-6)
    assert calls  # the box-by-box path ran


def test_low_threshold_matching_without_scipy_equals_with(monkeypatch) -> None:
    rng = np.random.default_rng(21)
    ref = np.zeros((60, 80), np.int32)
    test = np.zeros_like(ref)
    for k in range(1, 7):
        x, y = (int(v) for v in rng.integers(0, 60, 2))
        square(ref, k, x, y % 45, 12, 12)
        square(test, k, x + int(rng.integers(-5, 6)), y % 45 + int(rng.integers(-5, 6)), 11, 13)
    classes = {k: 1 + k % 2 for k in range(1, 7)}
    with_scipy = match_instances(ref, test, classes, classes, threshold=0.2)
    import sys

    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # import fails: our Hungarian
    without = match_instances(ref, test, classes, classes, threshold=0.2)
    assert with_scipy == without and with_scipy.matches


@pytest.mark.parametrize("spacing", [None, (2.5, 0.7, 0.7), (1.0, 2.0, 3.0)])
def test_distances_at_in_3d_equal_brute_force(spacing) -> None:
    """3-D with square pixels goes slice by slice (OpenCV) then across slices at the points."""
    rng = np.random.default_rng(31)
    feat = rng.random((9, 14, 12)) < 0.02
    feat[4, 7, 6] = True
    where = rng.random(feat.shape) < 0.2
    sp = spacing or (1.0, 1.0, 1.0)
    np.testing.assert_allclose(
        distances_at(feat, where, spacing=spacing), brute_edt(feat, sp)[where], rtol=1e-6
    )
    np.testing.assert_allclose(distance_to(feat, spacing=spacing), brute_edt(feat, sp), rtol=1e-6)


def test_sparse_overlap_table_gives_the_same_matching(monkeypatch) -> None:
    """Thousands of instances: the sparse table (pairs that occur) equals the dense one."""
    import labeldesk.algorithms.matching as matching

    rng = np.random.default_rng(41)
    ref = np.zeros((200, 300), np.int32)
    test = np.zeros_like(ref)
    k = 0
    for y in range(0, 200, 5):
        for x in range(0, 300, 5):
            k += 1
            ref[y : y + 4, x : x + 4] = k
            dy, dx = (int(v) for v in rng.integers(-1, 2, 2))
            test[max(y + dy, 0) : y + dy + 4, max(x + dx, 0) : x + dx + 4] = k
    classes = {i: 1 + i % 3 for i in range(1, k + 1)}
    dense = match_instances(ref, test, classes, classes)
    monkeypatch.setattr(matching, "DENSE_LIMIT", 0)
    sparse = match_instances(ref, test, classes, classes)
    assert sparse == dense and len(dense.matches) > 1000
