"""A labelme folder made from the real nuclei image (tests/data/real/nuclei), for training
tests and benchmarks/bench_train.py.

The 512x512 fluorescence image is shown as the app shows it (``to_rgb8``) and cut into four
256x256 tiles: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right. A folder holds some
tiles as PNG with a labelme JSON each; the other tiles are held out (:func:`held_out`).

- ``kind="polygons"``: one polygon (or mask shape) ``nucleus`` per nucleus of the label map;
- ``kind="strokes"``: a handful of brush strokes (mask shapes, 3 px wide): a short line
  inside some nuclei (``nucleus``) and a few in the background (``background``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from labeldesk.core.convert import mask_to_shape
from labeldesk.core.document import Document
from labeldesk.core.shapes import Shape

REAL = Path(__file__).resolve().parents[1] / "data" / "real" / "nuclei"
TILE = 256
PAD = 3  # nucleus strokes cover the middle third of the nucleus's width


def nuclei() -> tuple[np.ndarray, np.ndarray]:
    """``(image (512, 512, 3) uint8 as displayed, instances (512, 512) int32)``."""
    import tifffile

    from labeldesk.io.images import to_rgb8

    image = to_rgb8(tifffile.imread(REAL / "img2d.tif"))
    instances = tifffile.imread(REAL / "mask2d.tif").astype(np.int32)
    return image, instances


def tile(index: int) -> tuple[np.ndarray, np.ndarray]:
    """Tile ``index`` (0..3): ``(image (256, 256, 3) uint8, instances (256, 256) int32)``."""
    image, instances = nuclei()
    y, x = divmod(index, 2)
    sl = (slice(y * TILE, (y + 1) * TILE), slice(x * TILE, (x + 1) * TILE))
    return image[sl].copy(), instances[sl].copy()


def held_out(index: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``(image, truth (H, W) uint8 0/1)`` of a tile not put in the folder."""
    image, ins = tile(index)
    return image, (ins > 0).astype(np.uint8)


def _line_mask(shape: tuple[int, int], p0: tuple[int, int], p1: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.line(m, p0, p1, 1, 3)
    return m.astype(bool)


def _mask_shape(mask: np.ndarray, label: str) -> Shape:
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max(), ys.max()
    return Shape(label, [[x0, y0], [x1, y1]], "mask", mask=mask[y0 : y1 + 1, x0 : x1 + 1])


def stroke_lines(
    instances: np.ndarray, *, nuclei: int = 6, background: int = 4
) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """``(label, start, end)`` of brush strokes: a line across the middle of ``nuclei`` of the
    largest nuclei (ending 2 px inside each) and ``background`` 30 px lines at least 4 px away
    from any nucleus. Points are ``(x, y)`` pixels."""
    lines = []
    ids, areas = np.unique(instances[instances > 0], return_counts=True)
    for k in ids[np.argsort(-areas)][:nuclei]:
        inside = cv2.erode((instances == k).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        ys, xs = np.nonzero(inside)
        if len(xs) < 4:
            continue
        cy = int(ys.mean())
        row = np.nonzero(inside[cy])[0]
        if len(row) < 3:
            continue
        lo, hi = int(row.min()), int(row.max())
        pad = (hi - lo) // PAD
        lines.append(("nucleus", (lo + pad, cy), (hi - pad, cy)))
    far = cv2.erode((instances == 0).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    h, w = instances.shape
    rng = np.random.default_rng(0)
    made = tries = 0
    while made < background and tries < 500:
        tries += 1
        x, y = int(rng.integers(10, w - 40)), int(rng.integers(10, h - 10))
        if far[y, x : x + 31].all():
            lines.append(("background", (x, y), (x + 30, y)))
            made += 1
    return lines


def stroke_shapes(instances: np.ndarray, *, nuclei: int = 6, background: int = 4) -> list[Shape]:
    """:func:`stroke_lines` as 3 px wide brush strokes (mask shapes)."""
    return [
        _mask_shape(_line_mask(instances.shape, p0, p1), label)
        for label, p0, p1 in stroke_lines(instances, nuclei=nuclei, background=background)
    ]


def polygon_shapes(instances: np.ndarray) -> list[Shape]:
    out = []
    for k in np.unique(instances[instances > 0]):
        shape = mask_to_shape(instances == k, "nucleus", tolerance=0.5, min_area=1)
        if shape is not None:
            out.append(shape)
    return out


def make_folder(dst: Path, tiles: Sequence[int] = (0, 1, 2), *, kind: str = "polygons") -> Path:
    """Write tiles ``tiles`` with their labelme JSON into ``dst``; returns ``dst``."""
    from labeldesk.io import write_labelme

    dst.mkdir(parents=True, exist_ok=True)
    for i in tiles:
        image, ins = tile(i)
        name = f"nuclei_{i}.png"
        cv2.imwrite(str(dst / name), image[:, :, 0])
        shapes = polygon_shapes(ins) if kind == "polygons" else stroke_shapes(ins)
        doc = Document(name, TILE, TILE, shapes=shapes)
        write_labelme(doc, dst / f"nuclei_{i}.json", embed_image=False)
    return dst


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    """Foreground IoU of a predicted label map (> 0 = nucleus) against a 0/1 truth."""
    p, t = pred > 0, truth > 0
    return float((p & t).sum() / max(1, (p | t).sum()))


def describe(folder: Path) -> str:
    counts = {}
    for path in sorted(folder.glob("*.json")):
        shapes = json.loads(path.read_text())["shapes"]
        counts[path.name] = len(shapes)
    return ", ".join(f"{k}: {v} shapes" for k, v in counts.items())
