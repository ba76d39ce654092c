"""One set of rules for 8-bit conversion (labeldesk.algorithms.imaging), used by algorithms,
display, export, proposals and training."""

from __future__ import annotations

import numpy as np
import pytest

from labeldesk.algorithms import _validate
from labeldesk.algorithms.imaging import display_range, to_rgb8, to_uint8, value_window
from labeldesk.core.proposals import as_rgb
from labeldesk.io.export.imaging import to_uint8 as export_to_uint8
from labeldesk.io.images import to_display
from labeldesk.io.images import to_rgb8 as io_to_rgb8
from labeldesk.models.seg.dataset import as_rgb as training_rgb


def test_windows_map_values_as_documented() -> None:
    img = np.array([[1000, 2000], [3000, 4000]], np.uint16)
    assert to_uint8(img).tolist() == [[0, 85], [170, 255]]  # minmax
    assert to_uint8(img, "full").tolist() == [[4, 8], [12, 16]]  # 0..65535
    assert to_uint8(img, (2000.0, 3000.0)).tolist() == [[0, 0], [255, 255]]  # clipped
    lo, hi = display_range(img)
    assert 1000 <= lo < hi <= 4000 and value_window(img, "percentile") == (lo, hi)
    f = np.array([[0.0, 0.5], [np.nan, 1.0]], np.float32)
    assert to_uint8(f).tolist() == [[0, 128], [0, 255]]  # NaN becomes 0, rounded
    assert to_uint8(np.full((2, 2), np.nan, np.float32)).tolist() == [[0, 0], [0, 0]]
    with pytest.raises(ValueError, match="window must be"):
        to_uint8(img, "median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hi > lo"):
        to_uint8(img, (5.0, 5.0))


def test_uint8_is_untouched_alpha_and_gray() -> None:
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    assert to_uint8(rgb) is rgb
    rgba = np.dstack([rgb, np.full((2, 3), 7, np.uint8)])
    assert to_uint8(rgba).shape == (2, 3, 3) and to_uint8(rgba, keep_alpha=True) is rgba
    deep = np.dstack([np.full((2, 3, 3), 100, np.uint16), np.full((2, 3), 65535, np.uint16)])
    out = to_uint8(deep, "full", keep_alpha=True)
    assert out.shape == (2, 3, 4) and (out[..., 3] == 255).all()  # alpha by full range
    gray = np.array([[0, 255]], np.uint8)
    g3 = to_rgb8(gray)
    assert g3.shape == (1, 2, 3) and g3.flags.c_contiguous and g3[0, 1].tolist() == [255] * 3
    assert to_rgb8(gray[:, :, None]).shape == (1, 2, 3)


def test_every_layer_uses_the_same_rules() -> None:
    rng = np.random.default_rng(0)
    deep = rng.integers(0, 4096, (40, 50, 3)).astype(np.uint16)
    # algorithms and export: min..max; display and models: percentile; training: full range
    assert np.array_equal(_validate.to_uint8(deep), to_uint8(deep, "minmax"))
    assert np.array_equal(_validate.to_rgb8(deep), to_rgb8(deep, "minmax"))
    assert np.array_equal(export_to_uint8(deep), to_uint8(deep, "minmax"))
    assert np.array_equal(to_display(deep), to_uint8(deep, "percentile"))
    assert np.array_equal(io_to_rgb8(deep), to_rgb8(deep, "percentile"))
    assert np.array_equal(training_rgb(deep)[0], to_uint8(deep, "full"))
    shown = to_display(deep)
    assert np.array_equal(as_rgb(shown), to_rgb8(shown))  # proposals take the shown image
