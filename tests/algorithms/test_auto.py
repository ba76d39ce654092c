from __future__ import annotations

import numpy as np

from labeldesk.algorithms import auto_segment

from .robot import iou, scene_clutter, scene_low_contrast, scene_texture


def test_regions_cover_image_and_are_numbered_by_area() -> None:
    sc = scene_texture(np.random.default_rng(0))
    lab = auto_segment(sc.image)
    assert lab.dtype == np.int32 and lab.shape == sc.image.shape[:2]
    ids, counts = np.unique(lab, return_counts=True)
    assert ids[0] == 1 and np.array_equal(ids, np.arange(1, len(ids) + 1))
    assert np.all(np.diff(counts) <= 0)
    assert 2 <= len(ids) <= 20 and counts[0] > 0.5 * lab.size  # 1 = the background


def test_objects_come_out_as_regions() -> None:
    rng = np.random.default_rng(1)
    for make in (scene_texture, scene_low_contrast, scene_clutter):
        sc = make(rng)
        lab = auto_segment(sc.image)
        ids = np.unique(lab[sc.gt])
        assert max(iou(lab == i, sc.gt) for i in ids) > 0.9, sc.name


def test_large_images_are_worked_small_and_refined_at_full_size() -> None:
    img = np.full((1200, 1600, 3), (40, 90, 160), np.uint8)
    yy, xx = np.mgrid[:1200, :1600]
    disc = (xx - 801) ** 2 + (yy - 603) ** 2 <= 301**2
    img[disc] = (220, 200, 40)
    lab = auto_segment(img)
    region = lab == lab[603, 801]
    assert iou(region, disc) > 0.995  # boundary accurate to about a pixel, not 3 (the scale)


def test_threshold_controls_the_number_of_regions() -> None:
    sc = scene_clutter(np.random.default_rng(2))
    few = auto_segment(sc.image, threshold=4.0).max()
    many = auto_segment(sc.image, threshold=0.8).max()
    assert few < many


def test_constant_and_gray_images() -> None:
    assert (auto_segment(np.zeros((50, 40), np.uint8)) == 1).all()
    assert (auto_segment(np.full((30, 30), 0.5, np.float32)) == 1).all()
