"""labeldesk.ui.icons draws the same pixels as qtawesome, without importing it at start-up."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage

from labeldesk.ui import icons


def pixels(ic: QIcon, size: int, mode: QIcon.Mode, state: QIcon.State) -> np.ndarray:
    image = ic.pixmap(QSize(size, size), mode, state).toImage()
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    return np.frombuffer(image.constBits(), np.uint8).reshape(size, size, 4).copy()


@pytest.mark.parametrize("name", ["mdi6.vector-polygon", "mdi6.brush", "mdi6.square"])
@pytest.mark.parametrize("size", [16, 24, 32])
def test_same_pixels_as_qtawesome_in_every_mode_and_state(qapp, name, size):
    import qtawesome

    kwargs = {"color": QColor("#336699"), "color_active": QColor("#e5484d"), "color_on": "#e5484d"}
    ours, theirs = icons.icon(name, **kwargs), qtawesome.icon(name, **kwargs)
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Active, QIcon.Mode.Disabled, QIcon.Mode.Selected):
        for state in (QIcon.State.Off, QIcon.State.On):
            a, b = pixels(ours, size, mode, state), pixels(theirs, size, mode, state)
            assert a[..., 3].sum() > 0, "nothing was drawn"
            np.testing.assert_array_equal(a, b, err_msg=f"{name} {size}px {mode} {state}")


def test_colours_follow_mode_and_state(qapp):
    ic = icons.icon("mdi6.square", color="#0000ff", color_active="#ff0000")
    normal = pixels(ic, 32, QIcon.Mode.Normal, QIcon.State.Off)
    active = pixels(ic, 32, QIcon.Mode.Active, QIcon.State.Off)
    solid = normal[..., 3] == 255
    assert solid.any()
    assert (normal[solid][:, :3] == [0, 0, 255]).all() and (
        active[solid][:, :3] == [255, 0, 0]
    ).all()


def test_other_icon_sets_fall_back_to_qtawesome(qapp):
    assert not icons.icon("fa5s.save", color="#000000").isNull()
