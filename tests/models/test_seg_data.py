"""Torch-free parts of labeldesk.models.seg: samples, split, augmentation, crops, metrics,
instances, uncertainty and reading a labelme project folder."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from labeldesk.models.seg.augment import augment_crop
from labeldesk.models.seg.config import AugmentConfig, TrainConfig
from labeldesk.models.seg.dataset import (
    CropDataset,
    Sample,
    TrainingDataError,
    boundary_target,
    check_trainable,
    prepare_samples,
    split_samples,
)
from labeldesk.models.seg.instances import instances_from_labels, split_touching
from labeldesk.models.seg.metrics import confusion, iou_dice, summarize
from labeldesk.models.seg.synthetic import CLASS_NAMES, make_samples
from labeldesk.models.seg.uncertainty import entropy_map, uncertainty_score

NAMES = list(CLASS_NAMES)


def test_package_import_does_not_import_torch_or_qt():
    code = (
        "import sys, labeldesk.models.seg as s\n"
        "from labeldesk.models.seg import dataset, augment, metrics, instances, uncertainty,"
        " folder, config, synthetic, model\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- samples -----------------------------------------------------------------------------------


def test_prepare_converts_gray_rgba_and_16_bit_and_says_so():
    lab = np.zeros((8, 10), np.uint8)
    lab[2:4, 2:4] = 1
    gray = np.full((8, 10), 7, np.uint8)
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[..., 0] = 200
    deep = np.full((8, 10, 3), 65535, np.uint16)
    out, notes = prepare_samples([(gray, lab), (rgba, lab), (deep, lab)], NAMES)
    assert [s.image.shape for s in out] == [(8, 10, 3)] * 3
    assert out[0].image[0, 0].tolist() == [7, 7, 7]
    assert out[1].image[0, 0].tolist() == [200, 0, 0]
    assert out[2].image.dtype == np.uint8 and out[2].image.max() == 255
    text = " | ".join(notes)
    assert "1 image(s) gray, converted to RGB" in text
    assert "alpha channel dropped" in text and "16-bit" in text


def test_prepare_rejects_bad_label_maps_naming_the_sample():
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(TrainingDataError, match=r"sample 1 \(b.png\): label map shape \(8, 7\)"):
        prepare_samples(
            [
                (img, np.zeros((8, 8), np.uint8)),
                Sample(img, np.zeros((8, 7), np.uint8), name="b.png"),
            ],
            NAMES,
        )
    bad = np.zeros((8, 8), np.uint8)
    bad[0, 0] = 3
    with pytest.raises(TrainingDataError, match=r"sample 0: label values \[3\]"):
        prepare_samples([(img, bad)], NAMES)
    with pytest.raises(TrainingDataError, match="float"):
        prepare_samples([(img, np.zeros((8, 8), np.float32))], NAMES)
    with pytest.raises(TrainingDataError, match=r"sample 0: expected an \(H, W\) gray"):
        prepare_samples([(np.zeros((8, 8, 2), np.uint8), np.zeros((8, 8), np.uint8))], NAMES)
    with pytest.raises(TrainingDataError, match="expected .image, label."):
        prepare_samples(["nope"], NAMES)


def test_prepare_skips_unlabeled_and_notes_sizes():
    a = make_samples(2, 32, seed=0)
    unlabeled = (np.zeros((16, 16, 3), np.uint8), np.full((16, 16), 255, np.uint8))
    out, notes = prepare_samples([a[0], unlabeled, (a[1].image[:20], a[1].label[:20])], NAMES)
    assert len(out) == 2
    assert any("1 image(s) with no labeled pixels were skipped" in n for n in notes)
    assert any("2 different sizes (from 32x20 to 32x32)" in n for n in notes)


def test_check_trainable_notes_missing_class():
    samples, _ = prepare_samples(make_samples(3, 32, seed=0), NAMES + ["cell"])
    notes = check_trainable(samples, NAMES + ["cell"])
    assert notes and "'cell' have no labeled pixels" in notes[0]
    with pytest.raises(TrainingDataError, match="at least 5 labeled images"):
        check_trainable(samples, NAMES, min_images=5)


def test_split_is_deterministic_disjoint_and_validates_on_objects():
    samples = make_samples(10, 32, seed=0)
    tr, va = split_samples(samples, 0.2, seed=5)
    assert (tr, va) == split_samples(samples, 0.2, seed=5)
    assert len(va) == 2 and sorted(tr + va) == list(range(10))
    # only one image has objects: it must be the held-out one
    blank = [Sample(s.image, np.zeros_like(s.label)) for s in samples]
    blank[7] = samples[7]
    blank[3] = samples[3]
    for seed in range(10):
        tr, va = split_samples(blank, 0.1, seed=seed)
        assert len(va) == 1 and va[0] in (3, 7)
    with pytest.raises(TrainingDataError):
        split_samples(samples[:1], 0.2, seed=0)


# -- augmentation ------------------------------------------------------------------------------


def _coded_sample(size: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An image whose colour encodes its label (label k -> value 60 k), with instances."""
    lab = np.zeros((size, size), np.uint8)
    cv2.circle(lab, (20, 20), 10, 1, -1)
    cv2.rectangle(lab, (36, 30), (55, 58), 2, -1)
    ins = np.zeros((size, size), np.int32)
    ins[lab == 1], ins[lab == 2] = 1, 2
    img = np.repeat((lab * 60 + 30)[:, :, None], 3, axis=2).astype(np.uint8)
    return img, lab, ins


def _erode(mask: np.ndarray) -> np.ndarray:
    """Pixels whose 5x5 neighbourhood, inside the array, is all in ``mask``."""
    kernel = np.ones((5, 5), np.uint8)
    m = mask.astype(np.uint8)
    return cv2.erode(m, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


@pytest.mark.parametrize("elastic", [0.0, 4.0])
def test_augment_keeps_image_and_labels_aligned(elastic):
    img, lab, ins = _coded_sample()
    cfg = AugmentConfig(rotate_deg=30, scale_range=(0.7, 1.5), color=0.0, hue=0.0, elastic=elastic)
    rng = np.random.default_rng(0)
    for _ in range(20):
        a_img, a_lab, a_ins = augment_crop(img, lab, ins, 48, rng, cfg)
        assert a_img.shape == (48, 48, 3) and a_lab.shape == (48, 48) and a_ins.shape == (48, 48)
        assert set(np.unique(a_lab)) <= {0, 1, 2, 255}  # nearest: no invented values
        # away from label edges, the image still says what the label says
        for k in (0, 1, 2):
            core = _erode(a_lab == k)
            assert np.all(a_img[core][:, 0] == 60 * k + 30)
        np.testing.assert_array_equal(a_ins > 0, (a_lab == 1) | (a_lab == 2))


def test_augment_is_reproducible_and_varied():
    img, lab, ins = _coded_sample()
    cfg = AugmentConfig(elastic=3.0)
    a = augment_crop(img, lab, ins, 32, np.random.default_rng(1), cfg)
    b = augment_crop(img, lab, ins, 32, np.random.default_rng(1), cfg)
    c = augment_crop(img, lab, ins, 32, np.random.default_rng(2), cfg)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_identity_settings_give_a_plain_crop():
    img, lab, ins = _coded_sample()
    cfg = AugmentConfig(
        hflip=False, vflip=False, rot90=False, rotate_deg=0, scale_range=(1, 1), color=0, hue=0
    )
    out_img, out_lab, _ = augment_crop(img, lab, ins, 64, np.random.default_rng(0), cfg)
    np.testing.assert_array_equal(out_img, img)
    np.testing.assert_array_equal(out_lab, lab)


def test_colour_jitter_changes_only_the_image():
    img, lab, ins = _coded_sample()
    cfg = AugmentConfig(
        hflip=False, vflip=False, rot90=False, rotate_deg=0, scale_range=(1, 1), color=0.5, hue=0.1
    )
    out_img, out_lab, _ = augment_crop(img, lab, ins, 64, np.random.default_rng(3), cfg)
    np.testing.assert_array_equal(out_lab, lab)
    assert not np.array_equal(out_img, img)


def test_crops_pad_small_images_with_ignore_and_favour_large_ones():
    small = Sample(np.full((10, 12, 3), 9, np.uint8), np.ones((10, 12), np.uint8))
    big = Sample(np.zeros((100, 100, 3), np.uint8), np.zeros((100, 100), np.uint8))
    big.label[40:60, 40:60] = 2
    ds = CropDataset([small, big], 32, AugmentConfig(), seed=0, boundary=True)
    assert ds.prob[1] > ds.prob[0] * 9  # ~10 crops tile the big image, 1 the small one
    images, labels, bounds = ds.batch(16)
    assert (
        images.shape == (16, 32, 32, 3)
        and labels.shape == (16, 32, 32)
        and bounds.shape == (16, 32, 32)
    )
    assert np.any(labels == 255)  # padding of the small image (and borders) is ignored
    assert set(np.unique(bounds)) <= {0, 1, 255}
    again = CropDataset([small, big], 32, AugmentConfig(), seed=0, boundary=True).batch(16)
    np.testing.assert_array_equal(again[0], images)


def test_boundary_target_marks_edges_between_touching_objects():
    lab = np.zeros((20, 20), np.uint8)
    lab[5:15, 2:18] = 1
    ins = np.zeros((20, 20), np.int32)
    ins[5:15, 2:10], ins[5:15, 10:18] = 1, 2
    t = boundary_target(lab, ins)
    assert t[10, 9] == 1 and t[10, 10] == 1  # the shared edge, both sides
    assert t[10, 5] == 0 and t[10, 14] == 0  # object interiors
    assert t[5, 5] == 1 and t[0, 0] == 0  # outer edge, background
    assert boundary_target(lab, None)[10, 9] == 0  # without instances: one object
    lab[0:2, :] = 255
    assert boundary_target(lab, ins)[2, 5] == 255  # next to ignored pixels


# -- metrics, instances, uncertainty -----------------------------------------------------------


def test_iou_and_dice_by_hand():
    truth = np.array([[0, 0, 1, 1], [0, 2, 2, 255]])
    pred = np.array([[0, 1, 1, 1], [0, 2, 0, 1]])
    conf = confusion(pred, truth, 3)
    assert conf.sum() == 7  # the 255 pixel is skipped
    iou, dice = iou_dice(conf)
    np.testing.assert_allclose(iou, [2 / 4, 2 / 3, 1 / 2])
    np.testing.assert_allclose(dice, [4 / 6, 4 / 5, 2 / 3])
    s = summarize(conf, ["a", "b"])
    assert s["iou"] == {"background": 0.5, "a": round(2 / 3, 6), "b": 0.5}
    assert s["mean_iou"] == pytest.approx((2 / 3 + 0.5) / 2, abs=1e-6)
    assert summarize(confusion(pred * 0, truth * 0, 3), ["a", "b"])["iou"]["a"] is None


def test_instances_from_connected_components():
    labels = np.zeros((30, 30), np.uint8)
    labels[2:8, 2:8] = 1
    labels[2:8, 20:28] = 1
    labels[15:25, 5:15] = 2
    labels[28, 28] = 2  # a speck, below min_area
    conf = np.full((30, 30), 0.5, np.float32)
    conf[15:25, 5:15] = 0.9
    objs = instances_from_labels(labels, ["a", "b"], confidence=conf, min_area=4)
    assert [(o.class_id, o.class_name, o.area) for o in objs] == [
        (1, "a", 48),
        (1, "a", 36),
        (2, "b", 100),
    ]
    assert objs[0].bbox == (20, 2, 27, 7) and objs[0].mask.shape == (30, 30)
    assert objs[2].score == pytest.approx(0.9)
    # the mask is kept cropped to the box; the full mask is built from it on demand
    a = objs[0]
    assert a.crop.shape == (6, 8) and a.crop.all() and a.origin == (20, 2)
    assert a.image_shape == (30, 30) and a.mask.sum() == 48 and a.mask[2:8, 20:28].all()
    assert a.full_mask((4, 24)).sum() == 2 * 4  # cut to a smaller image: rows 2-3, cols 20-23
    assert not a.full_mask((2, 20)).any()


def test_cropped_instances_match_full_image_components():
    rng = np.random.default_rng(5)
    blocks = rng.integers(0, 3, (9, 13)).astype(np.uint8)
    labels = cv2.resize(blocks, (83, 61), interpolation=cv2.INTER_NEAREST)
    specks = rng.random(labels.shape) < 0.03
    labels[specks] = rng.integers(0, 3, int(specks.sum()))
    conf = rng.random(labels.shape).astype(np.float32)
    objs = instances_from_labels(labels, ["a", "b"], confidence=conf, min_area=3)
    # reference: every 8-connected component of each class as a full mask
    want = []
    for cid in (1, 2):
        n, ids = cv2.connectedComponents((labels == cid).astype(np.uint8), connectivity=8)
        masks = [ids == k for k in range(1, n) if (ids == k).sum() >= 3]
        want += [(cid, m) for m in sorted(masks, key=lambda m: -int(m.sum()))]
    assert len(objs) == len(want) > 20
    for o, (cid, m) in zip(objs, want, strict=True):
        assert o.class_id == cid and o.area == m.sum() and np.array_equal(o.mask, m)
        x0, y0, x1, y1 = o.bbox
        assert np.array_equal(o.crop, m[y0 : y1 + 1, x0 : x1 + 1])
        assert m[y0, :].any() and m[y1, :].any() and m[:, x0].any() and m[:, x1].any()  # tight
        assert o.score == pytest.approx(float(conf[m].mean()), rel=1e-5)


def test_watershed_splits_touching_objects_along_the_boundary():
    labels = np.zeros((40, 60), np.uint8)
    cv2.circle(labels, (20, 20), 12, 1, -1)
    cv2.circle(labels, (42, 20), 12, 1, -1)  # overlapping discs: one component
    assert len(instances_from_labels(labels, ["a"])) == 1
    bnd = np.zeros((40, 60), np.float32)
    bnd[:, 30:33] = 0.9  # predicted edge between them
    ids = split_touching(labels == 1, bnd)
    assert ids.max() == 2
    assert ids[20, 15] != ids[20, 45] and ids[20, 15] > 0 and ids[20, 45] > 0
    # the band is shared out to the nearest core: everything of the class is assigned
    assert np.all((ids > 0) == (labels == 1))
    objs = instances_from_labels(labels, ["a"], boundary=bnd)
    assert len(objs) == 2 and abs(objs[0].area - objs[1].area) < 40


def test_uncertainty_orders_images():
    h = w = 20
    sure_bg = np.zeros((3, h, w), np.float32)
    sure_bg[0] = 1.0
    sure_obj = sure_bg.copy()
    sure_obj[0, :10], sure_obj[1, :10] = 0.0, 1.0
    doubtful = np.full((3, h, w), 1 / 3, np.float32)
    speck = sure_bg.copy()
    speck[:, 0, 0] = 1 / 3
    scores = [uncertainty_score(p) for p in (sure_bg, sure_obj, speck, doubtful)]
    assert scores[0] == 0.0 and scores[1] < 1e-4
    assert scores[3] == pytest.approx(1.0, abs=1e-4)
    assert scores[1] < scores[2] < scores[3]
    assert entropy_map(doubtful).max() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="probs must be"):
        uncertainty_score(np.zeros((20, 20)))


def test_train_config_round_trip_and_errors():
    cfg = TrainConfig(crop_size=128, augment=AugmentConfig(elastic=4.0, scale_range=(0.5, 2.0)))
    again = TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    from labeldesk.core.errors import ModelError

    with pytest.raises(ModelError, match="unknown augmentation setting.*blur"):
        TrainConfig.from_dict({"augment": {"blur": 1}})
    with pytest.raises(ModelError, match="crop_size must be at least 16"):
        TrainConfig(crop_size=8).validate()
    with pytest.raises(ModelError, match="scale_range"):
        TrainConfig(augment=AugmentConfig(scale_range=(2.0, 1.0))).validate()


# -- a labelme project folder ------------------------------------------------------------------


def _write_project(folder):
    img = np.zeros((40, 50, 3), np.uint8)
    img[..., 1] = 90
    Image.fromarray(img).save(folder / "a.png")
    Image.fromarray(np.full((30, 30), 120, np.uint8)).save(folder / "b.png")
    shape = {"group_id": None, "description": "", "flags": {}, "mask": None}
    a = {
        "version": "5.5.0",
        "flags": {},
        "shapes": [
            {**shape, "label": "disc", "points": [[10, 10], [15, 10]], "shape_type": "circle"},
            {**shape, "label": "square", "points": [[30, 5], [40, 15]], "shape_type": "rectangle"},
            {
                **shape,
                "label": "__ignore__",
                "points": [[0, 30], [5, 39]],
                "shape_type": "rectangle",
            },
            {**shape, "label": "tree", "points": [[20, 20], [25, 25]], "shape_type": "rectangle"},
        ],
        "imagePath": "a.png",
        "imageData": None,
        "imageHeight": 40,
        "imageWidth": 50,
    }
    b = {**a, "shapes": a["shapes"][:1], "imagePath": "b.png", "imageHeight": 30, "imageWidth": 30}
    empty = {**a, "shapes": [], "imagePath": "a.png"}
    (folder / "a.json").write_text(json.dumps(a))
    (folder / "b.json").write_text(json.dumps(b))
    (folder / "c.json").write_text(json.dumps(empty))
    (folder / "d.json").write_text("{not json")


def test_samples_from_folder(tmp_path):
    from labeldesk.models.seg.folder import samples_from_folder

    _write_project(tmp_path)
    samples, notes = samples_from_folder(tmp_path, NAMES)
    assert [s.name for s in samples] == ["a.json", "b.json"]
    a, b = samples
    assert a.image.shape == (40, 50, 3) and a.label.shape == (40, 50)
    assert a.label[10, 10] == 1 and a.label[10, 35] == 2 and a.label[35, 2] == 255
    assert a.label[22, 22] == 0  # 'tree' is not a project class: background
    assert a.label[5, 30] == 2 and a.label[15, 40] == 2  # rectangles include both corners
    assert a.instances[10, 10] != a.instances[10, 35]
    assert b.image.shape == (30, 30, 3) and b.image[0, 0].tolist() == [120, 120, 120]
    text = " | ".join(notes)
    assert "'tree' is not a project class" in text
    assert "1 annotation file(s) without shapes were skipped" in text
    assert "skipped d.json" in text
    with pytest.raises(TrainingDataError, match="not a folder"):
        samples_from_folder(tmp_path / "a.png", NAMES)
