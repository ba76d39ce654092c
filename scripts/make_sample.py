"""Generate labeldesk's bundled sample: four small synthetic photo-like scenes.

Run: .venv/bin/python scripts/make_sample.py OUT_DIR   (writes JPEGs, one labelme JSON, default classes)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

W, H = 960, 640
rng = np.random.default_rng(7)


def vgrad(top, bottom, h=H, w=W):
    t = np.linspace(0, 1, h)[:, None, None]
    return (
        (np.array(top)[None, None] * (1 - t) + np.array(bottom)[None, None] * t)
        .repeat(w, 1)
        .astype(np.float32)
    )


def noise(h, w, scale, amp):
    small = rng.normal(0, 1, (max(2, h // scale), max(2, w // scale))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) * amp


def fill(img, pts, color, tex=6.0, shade=None):
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 255, lineType=cv2.LINE_AA)
    m = (mask.astype(np.float32) / 255)[..., None]
    col = np.array(color, np.float32)[None, None] + noise(*img.shape[:2], 3, tex)[..., None]
    if shade is not None:
        col = col * shade[..., None]
    img[:] = img * (1 - m) + col * m
    return mask


def ellipse_pts(cx, cy, rx, ry, n=40, rot=0.0, wobble=0.0):
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 1 + wobble * np.sin(3 * a + 1.3) + wobble * 0.5 * np.cos(5 * a)
    x, y = rx * r * np.cos(a), ry * r * np.sin(a)
    c, s = np.cos(rot), np.sin(rot)
    return np.stack([cx + c * x - s * y, cy + s * x + c * y], 1)


def shadow(img, cx, cy, rx, ry, strength=0.35):
    m = np.zeros(img.shape[:2], np.float32)
    cv2.ellipse(m, (int(cx), int(cy)), (int(rx), int(ry)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    m = cv2.GaussianBlur(m, (0, 0), 9)
    img *= (1 - strength * m)[..., None]


def radial_shade(cx, cy, r, light=(-0.4, -0.5)):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    d = np.hypot((xx - cx) / r - light[0], (yy - cy) / r - light[1])
    return np.clip(1.25 - 0.45 * d, 0.55, 1.25)


def finish(img):
    img = cv2.GaussianBlur(img, (0, 0), 0.8)
    img += rng.normal(0, 2.2, img.shape).astype(np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    vig = 1 - 0.18 * (((xx - W / 2) / (W / 2)) ** 2 + ((yy - H / 2) / (H / 2)) ** 2)
    return np.clip(img * vig[..., None], 0, 255).astype(np.uint8)


def tree(img, x, ground, h, shapes):
    trunk = np.array(
        [
            [x - 10, ground],
            [x - 7, ground - h * 0.45],
            [x + 7, ground - h * 0.45],
            [x + 10, ground],
        ],
        float,
    )
    fill(img, trunk, (92, 64, 44), 8)
    crown = ellipse_pts(x, ground - h * 0.68, h * 0.30, h * 0.34, 36, wobble=0.08)
    shade = radial_shade(x, ground - h * 0.68, h * 0.34)
    fill(img, crown, (58, 122, 60), 14, shade)
    np.vstack([trunk[:2][::-1][::-1], crown[(crown[:, 1] < ground - h * 0.45) | True]])
    shapes.append(
        (
            "tree",
            np.vstack(
                [crown[np.argsort(np.arctan2(crown[:, 1] - (ground - h * 0.6), crown[:, 0] - x))]]
            ),
        )
    )
    shapes.append(("tree", trunk))


def house(img, x, ground, w, h, wall, roof, shapes):
    body = np.array([[x, ground], [x, ground - h], [x + w, ground - h], [x + w, ground]], float)
    fill(img, body, wall, 5)
    rf = np.array(
        [[x - 14, ground - h], [x + w / 2, ground - h - h * 0.55], [x + w + 14, ground - h]], float
    )
    fill(img, rf, roof, 6)
    door = np.array(
        [
            [x + w * 0.42, ground],
            [x + w * 0.42, ground - h * 0.45],
            [x + w * 0.58, ground - h * 0.45],
            [x + w * 0.58, ground],
        ]
    )
    fill(img, door, (90, 60, 45), 4)
    for wx in (x + w * 0.14, x + w * 0.68):
        win = np.array(
            [
                [wx, ground - h * 0.55],
                [wx, ground - h * 0.82],
                [wx + w * 0.18, ground - h * 0.82],
                [wx + w * 0.18, ground - h * 0.55],
            ]
        )
        fill(img, win, (170, 205, 230), 3)
    shapes.append(
        (
            "house",
            np.array(
                [
                    [x, ground],
                    [x, ground - h],
                    [x - 14, ground - h],
                    [x + w / 2, ground - h - h * 0.55],
                    [x + w + 14, ground - h],
                    [x + w, ground - h],
                    [x + w, ground],
                ],
                float,
            ),
        )
    )


def car(img, x, ground, w, color, shapes):
    h = w * 0.28
    shadow(img, x + w / 2, ground + 4, w * 0.55, 9, 0.45)
    body = np.array(
        [
            [x, ground - 10],
            [x + 4, ground - h],
            [x + w * 0.25, ground - h - 4],
            [x + w * 0.36, ground - h * 1.75],
            [x + w * 0.72, ground - h * 1.75],
            [x + w * 0.86, ground - h - 2],
            [x + w - 2, ground - h + 6],
            [x + w, ground - 10],
        ],
        float,
    )
    fill(img, body, color, 5, radial_shade(x + w / 2, ground - h, w * 0.6, (0, -0.8)))
    glass = np.array(
        [
            [x + w * 0.39, ground - h - 2],
            [x + w * 0.41, ground - h * 1.62],
            [x + w * 0.69, ground - h * 1.62],
            [x + w * 0.8, ground - h - 2],
        ]
    )
    fill(img, glass, (150, 180, 200), 4)
    for wx in (x + w * 0.22, x + w * 0.78):
        fill(img, ellipse_pts(wx, ground - 10, w * 0.09, w * 0.09, 28), (30, 30, 32), 3)
        fill(img, ellipse_pts(wx, ground - 10, w * 0.045, w * 0.045, 20), (150, 150, 155), 3)
    shapes.append(("car", body))


def scene_street():
    shapes = []
    img = vgrad((120, 170, 225), (205, 225, 240))
    hills = np.array(
        [[0, 380], [200, 330], [420, 360], [640, 320], [960, 370], [960, 420], [0, 420]], float
    )
    fill(img, hills, (120, 160, 110), 6)
    fill(img, np.array([[0, 400], [960, 400], [960, 640], [0, 640]], float), (105, 150, 80), 10)
    road = np.array([[0, 520], [960, 500], [960, 600], [0, 625]], float)
    fill(img, road, (88, 88, 92), 6)
    for k in range(8):
        xx = 40 + k * 120
        fill(
            img,
            np.array(
                [
                    [xx, 562 - k * 2.6],
                    [xx + 60, 561 - k * 2.6],
                    [xx + 60, 566 - k * 2.6],
                    [xx, 567 - k * 2.6],
                ]
            ),
            (230, 225, 200),
            2,
        )
    house(img, 120, 470, 220, 120, (222, 196, 160), (150, 70, 60), shapes)
    house(img, 640, 460, 180, 110, (200, 210, 225), (80, 90, 110), shapes)
    tree(img, 470, 470, 190, shapes)
    tree(img, 880, 465, 150, shapes)
    car(img, 380, 590, 230, (200, 40, 45), shapes)
    shapes.append(("road", road))
    return finish(img), shapes


def scene_fruit():
    shapes = []
    img = vgrad((236, 228, 214), (214, 204, 188))
    np.array([[0, 330], [960, 330], [960, 640], [0, 640]], float)
    grain = np.sin(np.linspace(0, 60, W))[None, :] * 6 + noise(H, W, 40, 8)
    img[330:] = (
        np.array([150, 105, 70], np.float32)
        + grain[330:, :, None]
        + noise(H, W, 2, 4)[330:, :, None]
    )
    shadow(img, 480, 500, 250, 40, 0.35)
    np.vstack(
        [
            ellipse_pts(480, 420, 250, 40, 48)[24:],
            [[730, 420]],
            ellipse_pts(480, 420, 250, 120, 48)[:25],
        ]
    )
    fill(
        img,
        np.array([[230, 420], [730, 420], [650, 510], [310, 510]], float),
        (235, 235, 240),
        4,
        radial_shade(480, 420, 300, (0, -1)),
    )
    for cx, cy, r, col, lab in (
        (360, 360, 70, (200, 30, 35), "fruit"),
        (480, 345, 78, (240, 140, 20), "fruit"),
        (600, 365, 66, (120, 170, 40), "fruit"),
    ):
        shadow(img, cx + 10, cy + r * 0.8, r * 0.9, 14, 0.3)
        pts = ellipse_pts(cx, cy, r, r * 0.95, 40, wobble=0.02)
        fill(img, pts, col, 5, radial_shade(cx, cy, r))
        shapes.append((lab, pts))
    ball = ellipse_pts(820, 560, 55, 55, 36)
    shadow(img, 830, 610, 60, 10, 0.4)
    fill(img, ball, (40, 110, 200), 4, radial_shade(820, 560, 55))
    shapes.append(("ball", ball))
    return finish(img), shapes


def scene_beach():
    shapes = []
    img = vgrad((90, 160, 230), (190, 220, 240))
    sun = ellipse_pts(780, 110, 45, 45, 40)
    fill(img, sun, (255, 240, 190), 2)
    sea = np.array([[0, 300], [960, 300], [960, 420], [0, 440]], float)
    fill(
        img,
        sea,
        (40, 120, 170),
        10,
        1 + 0.08 * np.sin(np.mgrid[0:H, 0:W][0] * 0.5).astype(np.float32),
    )
    fill(img, np.array([[0, 440], [960, 420], [960, 640], [0, 640]], float), (226, 200, 150), 9)
    shapes.append(("water", sea))
    pole = np.array([[300, 560], [300, 300], [306, 300], [306, 560]], float)
    fill(img, pole, (240, 240, 240), 2)
    np.vstack([[[303, 285]], ellipse_pts(303, 330, 150, 60, 40)[20:][::-1][::-1]])
    canopy = np.array(
        [[153, 330], [180, 300], [230, 280], [303, 270], [376, 280], [426, 300], [453, 330]], float
    )
    fill(img, canopy, (230, 70, 80), 5)
    shadow(img, 330, 575, 140, 18, 0.3)
    ball = ellipse_pts(620, 540, 45, 45, 36)
    fill(img, ball, (250, 210, 40), 4, radial_shade(620, 540, 45))
    shapes.append(("ball", ball))
    person = np.array(
        [
            [520, 560],
            [526, 480],
            [515, 430],
            [532, 400],
            [548, 400],
            [562, 430],
            [552, 480],
            [556, 560],
        ],
        float,
    )
    fill(img, person, (120, 70, 50), 4)
    fill(img, ellipse_pts(540, 385, 13, 15, 24), (150, 100, 75), 3)
    shapes.append(("person", person))
    return finish(img), shapes


def scene_park():
    shapes = []
    img = vgrad((150, 190, 230), (220, 230, 235))
    fill(
        img,
        np.array([[0, 330], [300, 290], [600, 320], [960, 280], [960, 640], [0, 640]], float),
        (95, 150, 70),
        12,
    )
    path = np.array([[380, 640], [450, 330], [500, 330], [640, 640]], float)
    fill(img, path, (200, 180, 140), 8)
    for x, g, h in ((160, 420, 260), (760, 400, 240), (620, 340, 130), (300, 330, 110)):
        tree(img, x, g, h, shapes)
    dog = ellipse_pts(560, 560, 60, 28, 32)
    shadow(img, 560, 592, 65, 9, 0.4)
    fill(img, dog, (140, 95, 60), 6)
    fill(img, ellipse_pts(618, 530, 20, 18, 24), (130, 88, 55), 5)
    return finish(img), shapes


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    scenes = [
        ("01-street.jpg", scene_street),
        ("02-fruit.jpg", scene_fruit),
        ("03-beach.jpg", scene_beach),
        ("04-park.jpg", scene_park),
    ]
    for name, fn in scenes:
        img, shapes = fn()
        cv2.imwrite(
            str(out / name), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88]
        )
        if name == "01-street.jpg":
            ordered = sorted(shapes, key=lambda s: s[0] != "road")
            # a tree is two shapes (crown, trunk) of one instance: they share a group_id
            trees = [i for i, (lab, _) in enumerate(ordered) if lab == "tree"]
            groups = [trees.index(i) // 2 + 1 if i in trees else None for i in range(len(ordered))]
            data = {
                "version": "5.5.0",
                "flags": {},
                "shapes": [
                    {
                        "label": lab,
                        "points": [[round(float(x), 1), round(float(y), 1)] for x, y in pts],
                        "group_id": group,
                        "description": "",
                        "shape_type": "polygon",
                        "flags": {},
                        "mask": None,
                    }
                    for (lab, pts), group in zip(ordered, groups, strict=True)
                ],
                "imagePath": name,
                "imageData": None,
                "imageHeight": H,
                "imageWidth": W,
            }
            (out / "01-street.json").write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
