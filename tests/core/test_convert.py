"""Result masks become one polygon, or one mask object when they have holes or parts."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.core.convert import mask_to_shape


def test_square_becomes_polygon_with_same_pixels() -> None:
    m = np.zeros((50, 60), bool)
    m[10:30, 20:45] = True
    s = mask_to_shape(m, "cat", tolerance=0)
    assert s.shape_type == "polygon" and s.label == "cat"
    got = shape_to_mask(m.shape, s.points, s.shape_type)
    assert (got == m).all()


def test_ring_becomes_mask_object_with_exact_pixels() -> None:
    yy, xx = np.mgrid[:80, :80]
    r = np.hypot(yy - 40, xx - 40)
    m = (r < 30) & (r > 12)
    s = mask_to_shape(m, "donut")
    assert s.shape_type == "mask"
    s.validate()
    assert (shape_to_mask(m.shape, s.points, "mask", mask=s.mask) == m).all()


def test_specks_dropped_and_empty_gives_none() -> None:
    m = np.zeros((40, 40), bool)
    m[5:25, 5:25] = True
    m[35, 35] = True  # a one-pixel speck
    s = mask_to_shape(m, "a", min_area=10)
    assert s.shape_type == "polygon"
    assert mask_to_shape(np.zeros((10, 10), bool), "a") is None
    assert mask_to_shape(m & False, "a") is None


def test_two_parts_become_one_mask_object() -> None:
    m = np.zeros((40, 40), bool)
    m[2:12, 2:12] = True
    m[20:30, 20:30] = True
    s = mask_to_shape(m, "pair", group_id=4)
    assert s.shape_type == "mask" and s.group_id == 4 and s.mask.sum() == 200


def reference_mask_to_shape(mask, label, *, tolerance=1.0, min_area=10, group_id=None):
    """The straightforward version (whole image, contours always traced): the behaviour the
    cropped one must keep exactly."""
    from labeldesk.algorithms.contours import mask_to_polygons
    from labeldesk.core.convert import clean_parts
    from labeldesk.core.shapes import Shape

    m = clean_parts(mask, min_area=min_area)
    polygons = mask_to_polygons(m, tolerance=tolerance)
    if not polygons:
        return None
    if len(polygons) == 1 and not polygons[0].holes and len(polygons[0].exterior) >= 3:
        pts = polygons[0].exterior
        if len(np.unique(pts, axis=0)) >= 3:
            return Shape(label, pts, "polygon", group_id=group_id)
    ys, xs = np.nonzero(m)
    x1, y1, x2, y2 = int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())
    crop = m[y1 : y2 + 1, x1 : x2 + 1].copy()
    return Shape(label, [[x1, y1], [x2, y2]], "mask", mask=crop, group_id=group_id)


def random_masks(count: int):
    """Blobs with holes, thin lines, diagonal pixels, specks, parts on the border."""
    import cv2

    rng = np.random.default_rng(7)
    for i in range(count):
        h, w = int(rng.integers(8, 70)), int(rng.integers(8, 70))
        kind = i % 4
        if kind == 0:  # smooth blobs, with holes and several parts
            small = rng.random((max(2, h // 6), max(2, w // 6)))
            m = cv2.resize(small, (w, h)) > rng.uniform(0.3, 0.7)
        elif kind == 1:  # salt: diagonal contacts and one-pixel parts
            m = rng.random((h, w)) > rng.uniform(0.55, 0.9)
        elif kind == 2:  # one box, maybe with a hole, maybe at the border
            m = np.zeros((h, w), bool)
            y0, x0 = int(rng.integers(0, h - 3)), int(rng.integers(0, w - 3))
            y1, x1 = int(rng.integers(y0 + 2, h + 1)), int(rng.integers(x0 + 2, w + 1))
            m[y0:y1, x0:x1] = True
            if rng.random() < 0.5 and y1 - y0 > 4 and x1 - x0 > 4:
                m[(y0 + y1) // 2, (x0 + x1) // 2] = False
        else:  # thin lines and a ring
            m = np.zeros((h, w), np.uint8)
            for _ in range(int(rng.integers(1, 3))):
                p = tuple(int(v) for v in rng.integers(0, min(h, w), 2))
                q = tuple(int(v) for v in rng.integers(0, min(h, w), 2))
                cv2.line(m, p, q, 1, int(rng.integers(1, 3)))
            if rng.random() < 0.5:
                cv2.circle(m, (w // 2, h // 2), min(h, w) // 3, 1, 1)
            m = m.astype(bool)
        yield m


def test_same_result_as_the_whole_image_version() -> None:
    checked = {"polygon": 0, "mask": 0, None: 0}
    for m in random_masks(400):
        for tolerance, min_area in ((0.0, 0), (1.0, 10), (1.5, 3)):
            want = reference_mask_to_shape(m, "x", tolerance=tolerance, min_area=min_area)
            got = mask_to_shape(m, "x", tolerance=tolerance, min_area=min_area)
            checked[None if want is None else want.shape_type] += 1
            if want is None:
                assert got is None
                continue
            assert got.shape_type == want.shape_type
            assert np.array_equal(got.points, want.points)
            if want.shape_type == "mask":
                assert np.array_equal(got.mask, want.mask)
    assert min(checked.values()) > 20, checked  # every outcome was exercised


def test_works_on_the_bounding_box_only(monkeypatch) -> None:
    import labeldesk.core.convert as convert

    seen: list[tuple[int, int]] = []
    real = convert.mask_to_polygons

    def recording(m, **kwargs):
        seen.append(m.shape)
        return real(m, **kwargs)

    monkeypatch.setattr(convert, "mask_to_polygons", recording)
    m = np.zeros((3000, 4000), bool)
    yy, xx = np.ogrid[:3000, :4000]
    m |= (xx - 1500) ** 2 + (yy - 1800) ** 2 <= 200**2  # a 401 px disc
    s = mask_to_shape(m, "disc")
    assert s.shape_type == "polygon" and seen == [(401, 401)]
    assert s.points.min(axis=0).tolist() == [1300, 1600]
    assert s.points.max(axis=0).tolist() == [1700, 2000]
    m[1800, 1500] = False  # a hole: a mask object, no contour traced
    m[100:120, 100:120] = True  # and a second part
    seen.clear()
    s = mask_to_shape(m, "disc")
    assert s.shape_type == "mask" and seen == []
    assert s.points.tolist() == [[100, 100], [1700, 2000]] and s.mask.shape == (1901, 1601)
    assert s.mask.sum() == m.sum()


def test_non_bool_masks_and_bad_shapes() -> None:
    m = np.zeros((20, 20), np.uint8)
    m[4:12, 5:15] = 255
    s = mask_to_shape(m, "a")
    assert s.shape_type == "polygon" and s.points.min(axis=0).tolist() == [5, 4]
    with pytest.raises(ValueError, match=r"mask must have shape \(H, W\)"):
        mask_to_shape(np.zeros((4, 4, 3), bool), "a")
