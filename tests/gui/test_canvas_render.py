"""Image pyramid (no moiré, bounded memory) and the cached object layer with many polygons."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint

from labeldesk.core import Document, Shape
from labeldesk.core.selection import Selection
from labeldesk.ui.canvas import Canvas
from labeldesk.ui.canvas.pyramid import TILE, ImagePyramid
from labeldesk.ui.canvas.raster import Batch, entry_from_shape, render
from labeldesk.ui.canvas.shapes import CACHE_MIN_OBJECTS


@pytest.fixture
def canvas(qtbot):
    c = Canvas()
    qtbot.addWidget(c)
    c.resize(400, 300)
    c.show()
    qtbot.waitExposed(c)
    yield c
    c.close()


def grab(c: Canvas) -> np.ndarray:
    img = (
        c.viewport()
        .grab()
        .toImage()
        .convertToFormat(c.viewport().grab().toImage().Format.Format_RGB888)
    )
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def test_pyramid_levels_are_area_averages_built_per_tile():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (1500, 9000, 3), dtype=np.uint8)
    p = ImagePyramid(img)
    assert p.first_stored == 2  # 9000 / 4 fits in 4096: levels 0-1 are never stored whole
    assert (
        p.level_for(1.0) == 0
        and p.level_for(0.5) == 1
        and p.level_for(0.3) == 1
        and p.level_for(0.2) == 2
    )
    t = p.tile_array(1, 3, 1)  # level 1, built from level 0 for this tile only
    want = cv2.resize(img[512:1024, 1536:2048], (256, 256), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(t, want)
    assert p.memory_bytes() == 0  # nothing stored yet
    whole = p.stored(3)
    assert whole.shape == (188, 1125, 3)
    assert p.memory_bytes() == p.stored(2).nbytes + whole.nbytes


def test_large_fine_checker_shows_without_moire_and_in_tiles(canvas):
    n = 6000
    stripes = ((np.arange(n) // 2) % 2).astype(np.uint8)
    img = (stripes[:, None] ^ stripes[None, :]) * np.uint8(255)  # 2-pixel checker
    canvas.set_image(img)
    canvas.fit()  # zoom ~0.05
    shown = grab(canvas)
    x0, y0 = canvas.image_to_widget(0, 0)
    x1, y1 = canvas.image_to_widget(n, n)
    inner = shown[int(y0) + 5 : int(y1) - 5, int(x0) + 5 : int(x1) - 5, 0].astype(float)
    assert abs(inner.mean() - 127.5) < 3 and inner.std() < 3  # uniform gray: no moiré
    pyr = canvas.pyramid()
    assert all(pix.width() <= TILE and pix.height() <= TILE for pix in pyr._tiles.values())
    assert pyr.memory_bytes() < 12 * 2**20  # levels kept whole are small; tiles are few
    canvas.set_zoom(4.0, (200, 150))  # zoomed in: nearest neighbour, sharp pixels
    shown = grab(canvas)
    vals = np.unique(shown[20:280, 20:380, 0])
    assert set(vals.tolist()) <= {0, 255}


def test_cursor_position_is_reported_in_image_pixels(canvas, qtbot):
    canvas.set_image(np.zeros((100, 100), np.uint8))
    canvas.fit()
    seen = []
    canvas.cursor_moved.connect(lambda x, y: seen.append((x, y)))
    wx, wy = canvas.image_to_widget(25, 75)
    qtbot.mouseMove(canvas.viewport(), pos=QPoint(round(wx), round(wy)))
    assert seen and abs(seen[-1][0] - 25) < 1 and abs(seen[-1][1] - 75) < 1


def grid_squares(n: int) -> list[Shape]:
    """``n`` 12 px squares on a 20 px grid in the left half of an 800 x 600 image."""
    out = []
    for i in range(n):
        cx, cy = 20 + 20 * (i % 18), 20 + 20 * (i // 18)
        out.append(
            Shape(
                "a" if i % 2 else "b",
                [[cx - 6, cy - 6], [cx + 6, cy - 6], [cx + 6, cy + 6], [cx - 6, cy + 6]],
            )
        )
    return out


def test_many_objects_use_the_cache_and_follow_edits(canvas):
    doc = Document("x.png", 600, 800)
    doc.classes.add("a", color=(255, 0, 0))
    doc.classes.add("b", color=(0, 255, 0))
    shapes = grid_squares(CACHE_MIN_OBJECTS + 50)
    doc.replace_all(shapes)
    canvas.set_image(np.zeros((600, 800, 3), np.uint8))
    canvas.set_document(doc, Selection())
    canvas.fit()
    layer = canvas._layer
    old = (20, 20)  # centre of shapes[0] ("b": green)
    new = (420, 20)
    px = grab(canvas)
    ow, oh = (int(v) for v in canvas.image_to_widget(*old))
    nw, nh = (int(v) for v in canvas.image_to_widget(*new))
    assert layer.stats["cached"] and px[oh, ow, 1] > 0 and px[nh, nw].max() == 0
    renders = layer.stats["renders"]
    canvas.viewport().repaint()
    assert layer.stats["renders"] == renders  # a plain repaint reuses the cache
    doc.edit_shape(0, points=shapes[0].points + [400, 0])
    px = grab(canvas)
    assert layer.stats["renders"] == renders + 1
    assert px[oh, ow].max() == 0 and px[nh, nw, 1] > 0
    doc.undo()
    px = grab(canvas)
    assert px[oh, ow, 1] > 0 and px[nh, nw].max() == 0


def test_raster_renderer_fills_in_z_order_and_culls():
    a = Shape("a", [[0, 0], [10, 0], [10, 10], [0, 10]])
    b = Shape("b", [[5, 5], [15, 5], [15, 15], [5, 15]])
    batch = Batch([entry_from_shape(a, (255, 0, 0)), entry_from_shape(b, (0, 0, 255))])
    buf = render(batch, 2.0, 0, 0, 40, 40)
    # BGRA premultiplied: the overlap shows the later (blue) object's fill
    assert buf[15, 15, 0] > 0 and buf[15, 15, 2] == 0
    assert buf[4, 4, 2] > 0 and buf[4, 4, 0] == 0
    assert buf[35, 35].sum() == 0
    assert render(batch, 1.0, 100, 100, 10, 10).sum() == 0  # nothing in view
    skipped = render(batch, 2.0, 0, 0, 40, 40, skip=frozenset({b.uid}))
    assert skipped[25, 25].sum() == 0


def test_tool_previews_do_not_re_render_the_objects(canvas):
    from labeldesk.core.tools import TOOLS, PointerEvent, ToolContext

    doc = Document("x.png", 600, 800)
    doc.replace_all(grid_squares(40))
    sel = Selection()
    canvas.set_image(np.zeros((600, 800, 3), np.uint8))
    canvas.set_document(doc, sel)
    canvas.fit()
    tool = TOOLS["polygon"](ToolContext(doc, sel))
    canvas.set_tool(tool)
    canvas.viewport().repaint()
    layer = canvas._layer
    renders = layer.stats["renders"]
    assert not layer.stats["cached"]
    for x in range(500, 700, 20):
        tool.pointer(
            PointerEvent("press" if x == 500 else "move", x, 300, "" if x > 500 else "left")
        )
        canvas.viewport().repaint()
    assert layer.stats["renders"] == renders
    canvas.pan_by(10, 0)
    canvas.viewport().repaint()
    assert layer.stats["renders"] == renders + 1
