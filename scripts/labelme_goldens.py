"""Regenerate the golden files the tests compare with, using labelme itself (issue 11).

Run with an interpreter that has labelme 7.9.1 (it needs Python 3.12 or newer), from the
repository root, e.g.::

    ~/.pyenv/versions/3.12.1/bin/python -m venv /tmp/lm79
    /tmp/lm79/bin/pip install labelme==7.9.1
    /tmp/lm79/bin/python scripts/labelme_goldens.py

It writes:

- ``tests/data/export/labelme_voc/``: labelme's ``labelme2voc.py`` procedure (read each file
  with labelme's reader, ``shapes_to_label``, ``ins[cls == -1] = 0``, palette PNGs saved with
  ``imgviz.io.lblsave``) over ``tests/data/export/src``;
- ``tests/data/labelme/shapes_79.json`` and ``shapes_79_masks.npz``: seeded shapes of every
  type (fractional corners, sharp linestrip turns, shapes crossing the border) and the mask
  labelme's ``shape_to_mask`` draws for each (bits packed with numpy).

It does not import labeldesk (labelme's venv does not have it).
"""

from __future__ import annotations

import json
import random
import sys
from importlib.metadata import version
from pathlib import Path

import imgviz
import numpy as np
from labelme._label_file import read_label_file
from labelme._utils import img_data_to_pil, shape_to_mask, shapes_to_label

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "tests" / "data" / "export"
LABELME = ROOT / "tests" / "data" / "labelme"
SIZE = (48, 64)  # (height, width) of the per-shape golden


def voc_goldens() -> None:
    out = EXPORT / "labelme_voc"
    names = (EXPORT / "labels.txt").read_text().splitlines()
    name_to_value = {}
    class_names = []
    for i, line in enumerate(names):
        name = line.strip()
        name_to_value[name] = i - 1
        if i > 0:
            class_names.append(name)
    (out / "class_names.txt").write_text("\n".join(class_names))
    for path in sorted((EXPORT / "src").glob("*.json")):
        ann = read_label_file(filename=str(path))
        img = np.asarray(img_data_to_pil(ann.image_data))
        cls, ins = shapes_to_label(
            img_shape=img.shape, shapes=ann.shapes, label_name_to_value=name_to_value
        )
        ins[cls == -1] = 0
        for sub, lbl in (("SegmentationClass", cls), ("SegmentationObject", ins)):
            (out / sub).mkdir(parents=True, exist_ok=True)
            imgviz.io.lblsave(out / sub / f"{path.stem}.png", lbl.astype(np.uint8))
        print(f"{path.name}: {len(ann.shapes)} shapes -> {out}")


def _point(rng: random.Random) -> list[float]:
    h, w = SIZE
    # quarter pixels and thirds, some outside the image
    return [
        round(rng.uniform(-6, w + 6) * 4) / 4 + rng.choice([0, 0, 1 / 3]),
        round(rng.uniform(-6, h + 6) * 4) / 4 + rng.choice([0, 0, 1 / 3]),
    ]


def shape_cases(seed: int = 79) -> list[dict]:
    rng = random.Random(seed)
    shapes: list[dict] = []
    counts = {"polygon": None, "rectangle": 2, "circle": 2, "line": 2, "linestrip": None,
              "point": 1, "oriented_rectangle": 4}  # fmt: skip
    for kind, n in counts.items():
        for _ in range(12):
            k = n if n is not None else rng.randint(3 if kind == "polygon" else 2, 8)
            shapes.append({"label": kind, "points": [_point(rng) for _ in range(k)],
                           "shape_type": kind})  # fmt: skip
    # sharp turns, where joint="curve" matters most
    shapes.append({"label": "turns", "shape_type": "linestrip",
                   "points": [[5, 5], [58, 8], [6, 12], [57, 40], [30, 2.5]]})  # fmt: skip
    shapes.append({"label": "zigzag", "shape_type": "linestrip",
                   "points": [[4 + 6 * i, 20 + (14 if i % 2 else 0)] for i in range(10)]})  # fmt: skip
    return shapes


def mask_cases() -> list[dict]:
    """Mask shapes: integer and fractional corners, partly outside the image."""
    rng = np.random.default_rng(79)
    out = []
    for x1, y1, bw, bh in [(2, 3, 7, 5), (2.6, 3.4, 7, 5), (2.5, 3.5, 6, 4), (-3.2, 40.7, 9, 9),
                           (58.4, -2.6, 10, 6), (10.49, 20.51, 5, 5)]:  # fmt: skip
        bitmap = rng.random((bh, bw)) > 0.4
        out.append({"label": "mask", "shape_type": "mask", "bitmap": bitmap,
                    "points": [[x1, y1], [x1 + bw - 1, y1 + bh - 1]]})  # fmt: skip
    return out


def _draw_mask(case: dict) -> np.ndarray:
    shape = {"label": "m", "points": case["points"], "shape_type": "mask", "group_id": None,
             "mask": case["bitmap"]}  # fmt: skip
    cls, _ = shapes_to_label(img_shape=SIZE, shapes=[shape], label_name_to_value={"m": 1})
    return cls == 1


def shape_goldens() -> None:
    shapes = shape_cases()
    masks = [shape_to_mask(SIZE, s["points"], shape_type=s["shape_type"]) for s in shapes]
    for case in mask_cases():
        masks.append(_draw_mask(case))
        bitmap = case.pop("bitmap")
        case["bitmap"] = bitmap.astype(int).tolist()
        shapes.append(case)
    doc = {"labelme": version("labelme"), "pillow": version("pillow"), "size": list(SIZE),
           "shapes": shapes}  # fmt: skip
    (LABELME / "shapes_79.json").write_text(json.dumps(doc, indent=1))
    packed = np.packbits(np.stack(masks).astype(np.uint8), axis=-1)
    np.savez_compressed(LABELME / "shapes_79_masks.npz", masks=packed)
    print(f"{len(shapes)} shapes -> {LABELME / 'shapes_79_masks.npz'}")


if __name__ == "__main__":
    print(
        f"labelme {version('labelme')}, Pillow {version('pillow')}, Python {sys.version.split()[0]}"
    )
    voc_goldens()
    shape_goldens()
