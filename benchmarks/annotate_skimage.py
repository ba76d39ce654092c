"""Ground truth for scikit-image's bundled photographs, as labelme JSON (how it was made).

Not a labeldesk tool: each object's outline was placed by hand (vertices, circles and ellipses
read off zoomed, gridded views of the photo), then every outline was refined by scikit-image's
random walker inside a narrow band around it only (``band`` px inside and outside; the band's
inner edge is object, its outer edge background), and the result was checked by eye on
overlays (``--overlays DIR``) and the hand outline corrected where the overlay was wrong.
Random walker is not one of the tools benchmarked, and it can only move the outline within the
band, so the ground truth is the hand outline made pixel-accurate, not a tool's output.

    python benchmarks/annotate_skimage.py SKIMAGE_DATA_DIR tests/data/real/photos [--overlays D]

SKIMAGE_DATA_DIR is ``skimage/data`` of the scikit-image 0.26.0 wheel
(``pip download --no-deps scikit-image==0.26.0``); the photos are copied unchanged.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

# object: (label, kind, params, band px); kinds: poly [(x, y), ...], circle (cx, cy, r),
# ellipse (cx, cy, semi-axis x, semi-axis y, angle deg)
OBJECTS: dict[str, list[tuple[str, str, Any, int]]] = {
    "astronaut.png": [
        ("patch", "ellipse", (171, 387, 38.5, 40, 0), 4),
        (
            "name_tag",
            "poly",
            [(280, 339), (327, 345), (325, 361), (318, 368), (310, 374), (279, 371)],
            2,
        ),
        (
            "helmet",
            "poly",
            [
                (278, 511),
                (278, 480),
                (280, 440),
                (284, 412),
                (292, 394),
                (304, 380),
                (320, 366),
                (340, 354),
                (360, 350),
                (380, 346),
                (400, 344),
                (420, 346),
                (437, 352),
                (452, 360),
                (465, 370),
                (475, 382),
                (484, 395),
                (490, 410),
                (494, 425),
                (496, 440),
                (497, 452),
                (505, 458),
                (511, 470),
                (511, 511),
            ],
            4,
        ),
    ],
    "chelsea.png": [
        ("eye", "ellipse", (170, 114, 35, 29, 0), 4),
        ("eye", "ellipse", (319, 136, 22.5, 27.5, 0), 4),
        (
            "nose",
            "poly",
            [
                (229, 229),
                (245, 227),
                (265, 228),
                (281, 230),
                (289, 233),
                (283, 238),
                (275, 244),
                (268, 250),
                (261, 258),
                (258, 263),
                (255, 261),
                (253, 255),
                (249, 250),
                (245, 244),
                (237, 238),
                (230, 233),
            ],
            3,
        ),
    ],
    "coffee.png": [("coffee", "ellipse", (287.5, 146, 82.5, 51, 0), 4)],
    "rocket.jpg": [
        (
            "rocket",
            "poly",
            [
                (320, 126),
                (326, 129),
                (330, 136),
                (333, 148),
                (334, 170),
                (334, 260),
                (331, 270),
                (331, 408),
                (312, 408),
                (312, 270),
                (310, 260),
                (310, 170),
                (311, 148),
                (314, 136),
            ],
            3,
        )
    ],
    "coins.png": [
        ("coin", "circle", (334, 44.8, 29.5), 5),
        ("coin", "circle", (46, 124, 20.7), 4),
        ("coin", "circle", (346.6, 187, 31.5), 5),
        ("coin", "circle", (154.5, 198, 19.5), 4),
        ("coin", "circle", (46, 260, 28), 5),
        ("coin", "circle", (336, 125, 19.5), 4),
    ],
}


def hand_mask(kind: str, params: Any, shape: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    if kind == "poly":
        pts = np.round(np.array(params, np.float64) * 16).astype(np.int32)
        cv2.fillPoly(m, [pts], 1, lineType=cv2.LINE_8, shift=4)
    elif kind == "circle":
        cx, cy, r = params
        cv2.circle(m, (round(cx * 16), round(cy * 16)), round(r * 16), 1, -1, shift=4)
    else:
        cx, cy, ax, ay, ang = params
        cv2.ellipse(
            m,
            (round(cx * 16), round(cy * 16)),
            (round(ax * 16), round(ay * 16)),
            ang,
            0,
            360,
            1,
            -1,
            shift=4,
        )
    return m.astype(bool)


def refine(image: np.ndarray, rough: np.ndarray, band: int) -> np.ndarray:
    from skimage.segmentation import random_walker

    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    inner = cv2.erode(rough.view(np.uint8), k).astype(bool)
    outer = cv2.dilate(rough.view(np.uint8), k).astype(bool)
    ys, xs = np.nonzero(outer)
    y0, y1 = max(0, ys.min() - 2), min(rough.shape[0], ys.max() + 3)
    x0, x1 = max(0, xs.min() - 2), min(rough.shape[1], xs.max() + 3)
    labels = np.full((y1 - y0, x1 - x0), 2, np.int32)
    labels[outer[y0:y1, x0:x1]] = 0
    labels[inner[y0:y1, x0:x1]] = 1
    sub = image[y0:y1, x0:x1].astype(np.float64) / 255.0
    axis = -1 if sub.ndim == 3 else None
    seg = random_walker(sub, labels, beta=130, mode="cg_j", channel_axis=axis) == 1
    n, comp = cv2.connectedComponents(seg.view(np.uint8))
    if n > 2:  # one piece: the one holding the inner seed
        keep = np.bincount(comp[labels == 1], minlength=n)
        keep[0] = 0
        seg = comp == int(np.argmax(keep))
    out = np.zeros(rough.shape, bool)
    out[y0:y1, x0:x1] = seg
    return out


def to_polygon(mask: np.ndarray) -> list[list[float]]:
    cs, _ = cv2.findContours(mask.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    c = max(cs, key=cv2.contourArea)
    c = cv2.approxPolyDP(c, 0.6, True)[:, 0, :]
    return [[float(x), float(y)] for x, y in c]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--overlays", type=Path)
    args = ap.parse_args()
    for name, objs in OBJECTS.items():
        image = np.array(Image.open(args.src / name))
        shape = image.shape[:2]
        out_name = "skimage_" + name
        shutil.copyfile(args.src / name, args.dst / out_name)
        shapes = []
        over = np.array(Image.fromarray(image).convert("RGB"))
        for label, kind, params, band in objs:
            rough = hand_mask(kind, params, shape)
            mask = refine(image, rough, band)
            poly = to_polygon(mask)
            shapes.append(
                {
                    "label": label,
                    "points": poly,
                    "group_id": None,
                    "description": "hand outline refined by random walker in a band",
                    "shape_type": "polygon",
                    "flags": {},
                    "mask": None,
                }
            )
            if args.overlays:
                cs, _ = cv2.findContours(
                    mask.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
                )
                cv2.drawContours(over, cs, -1, (0, 255, 0), 1)
                rc, _ = cv2.findContours(
                    rough.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
                )
                cv2.drawContours(over, rc, -1, (255, 0, 255), 1)
        doc = {
            "version": "5.5.0",
            "flags": {},
            "shapes": shapes,
            "imagePath": out_name,
            "imageData": None,
            "imageHeight": shape[0],
            "imageWidth": shape[1],
        }
        stem = Path(out_name).stem
        (args.dst / f"{stem}.json").write_text(json.dumps(doc, indent=2) + "\n")
        if args.overlays:
            args.overlays.mkdir(parents=True, exist_ok=True)
            Image.fromarray(over).save(args.overlays / f"{stem}.png")
        print(name, len(shapes), "objects")


if __name__ == "__main__":
    main()
