"""A realistic REF / TEST pair from the real photos in tests/data/real/photos.

REF = the labelme files as they are; TEST = the same files with every polygon vertex moved by
a seeded Gaussian jitter, one object removed (the first non-ignore shape of REMOVED_FROM) and
one object added (a rectangle labelled "bottle" in ADDED_TO). ``imagePath`` points at the
real image (relative), so thumbnails and the app find it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

PHOTOS = Path(__file__).parent / "data" / "real" / "photos"
REMOVED_FROM = "2011_000025.json"
ADDED_TO = "2011_000006.json"
ADDED_BOX = [[10.0, 10.0], [60.0, 90.0]]


def real_files() -> list[Path]:
    return sorted(PHOTOS.glob("*.json"))


def make_pair(root: Path, *, jitter: float = 2.0, seed: int = 0, files: list[Path] | None = None):
    """Write ``root/ref`` and ``root/test``; returns the two folders."""
    rng = np.random.default_rng(seed)
    ref_dir, test_dir = root / "ref", root / "test"
    ref_dir.mkdir(parents=True)
    test_dir.mkdir(parents=True)
    for src in files or real_files():
        data = json.loads(src.read_text(encoding="utf-8"))
        image = (src.parent / data["imagePath"]).resolve()
        data["imagePath"] = os.path.relpath(image, ref_dir)
        data["imageData"] = None
        (ref_dir / src.name).write_text(json.dumps(data), encoding="utf-8")
        test = json.loads(json.dumps(data))
        for shape in test["shapes"]:
            if shape["shape_type"] == "polygon":
                pts = np.asarray(shape["points"], dtype=float)
                pts += rng.normal(0.0, jitter, pts.shape)
                shape["points"] = pts.round(2).tolist()
        if src.name == REMOVED_FROM:
            first = next(i for i, s in enumerate(test["shapes"]) if s["label"] != "__ignore__")
            del test["shapes"][first]
        if src.name == ADDED_TO:
            test["shapes"].append(
                {
                    "label": "bottle",
                    "points": ADDED_BOX,
                    "group_id": None,
                    "description": "",
                    "shape_type": "rectangle",
                    "flags": {},
                    "mask": None,
                }
            )
        test["imagePath"] = os.path.relpath(image, test_dir)
        (test_dir / src.name).write_text(json.dumps(test), encoding="utf-8")
    return ref_dir, test_dir
