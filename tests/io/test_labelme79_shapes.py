"""Every shape type drawn as labelme 7.9.1 draws it (issue 11).

The golden masks were drawn by labelme 7.9.1's own ``shape_to_mask`` (Pillow 13) with
``scripts/labelme_goldens.py``: seeded shapes of every type with fractional corners, shapes
crossing the border, and linestrips with sharp turns (rounded joints since labelme 7).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from labeldesk.algorithms.rasterize import shape_to_mask

DATA = Path(__file__).parents[1] / "data" / "labelme"


def _golden() -> tuple[dict, np.ndarray]:
    doc = json.loads((DATA / "shapes_79.json").read_text())
    h, w = doc["size"]
    packed = np.load(DATA / "shapes_79_masks.npz")["masks"]
    masks = np.unpackbits(packed, axis=-1, count=w).astype(bool)
    return doc, masks


def test_every_shape_type_matches_labelme_791_pixel_for_pixel() -> None:
    doc, masks = _golden()
    assert doc["labelme"] == "7.9.1"
    kinds = {s["shape_type"] for s in doc["shapes"]}
    assert kinds == {"polygon", "rectangle", "circle", "line", "linestrip", "point",
                     "oriented_rectangle", "mask"}  # fmt: skip
    for i, shape in enumerate(doc["shapes"]):
        bitmap = np.array(shape["bitmap"], bool) if "bitmap" in shape else None
        ours = shape_to_mask(doc["size"], shape["points"], shape["shape_type"], mask=bitmap)
        diff = int((ours != masks[i]).sum())
        assert diff == 0, f"shape {i} ({shape['shape_type']}): {diff} pixels differ"


def test_old_linestrip_rule_is_labelme_6_and_differs_at_turns() -> None:
    doc, masks = _golden()
    turns = next(i for i, s in enumerate(doc["shapes"]) if s["label"] == "turns")
    shape = doc["shapes"][turns]
    old = shape_to_mask(doc["size"], shape["points"], "linestrip", joint=None)
    new = shape_to_mask(doc["size"], shape["points"], "linestrip")
    assert np.array_equal(new, masks[turns])
    assert (new & ~old).sum() > 10 and not (old & ~new).any()  # joints only add pixels
