"""Synthetic scenes with ground truth, and a robot annotator that places inputs like a person.

Each scene is an image with one target object (its ground-truth mask) and distractors:
noise, texture, blur, low contrast, touching objects, illumination ramps, gray and colour,
uint8 / uint16 / float. The robot derives every tool input from the ground truth only:

- box: the mask's bounding box (inclusive corners);
- extreme points: left-, top-, right- and bottom-most mask pixels (middle of ties);
- seed: the interior point farthest from the boundary (distance transform maximum);
- scribbles: a 3-px stroke along the mask's skeleton (foreground) and a 2-px ring 6 px
  outside the mask (background);
- live-wire clicks: points every ~35 px along the true contour, jittered by 1 px.

Run ``python tests/algorithms/robot.py`` to print the mean-IoU table the quality tests assert.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

H, W = 180, 220


@dataclass
class Scene:
    name: str
    image: np.ndarray  # (H, W) or (H, W, 3); uint8, uint16 or float
    gt: np.ndarray  # (H, W) bool, the target object
    others: list[np.ndarray]  # masks of the other objects (for auto-segment)
    bright: bool  # the target is brighter than its surroundings (threshold polarity)


# ---------------------------------------------------------------- shapes and textures


def blob(
    rng: np.random.Generator, cx: float, cy: float, r: float, wobble: float = 0.18
) -> np.ndarray:
    """A smooth star-convex blob: radius r(t) = r (1 + sum_k a_k cos(k t + p_k))."""
    t = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    rad = np.ones_like(t)
    for k in range(2, 6):
        rad += rng.uniform(-wobble, wobble) / (k - 1) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    pts = np.stack([cx + r * rad * np.cos(t), cy + r * rad * np.sin(t)], axis=1)
    m = np.zeros((H, W), np.uint8)
    cv2.fillPoly(m, [np.round(pts * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return m.astype(bool)


def disc(cx: float, cy: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[:H, :W]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def texture(rng: np.random.Generator, scale: float, amp: float, channels: int = 1) -> np.ndarray:
    """Band-limited noise with standard deviation ``amp`` and feature size ``scale`` px."""
    n = rng.standard_normal((H, W, channels)).astype(np.float32)
    n = cv2.GaussianBlur(n, (0, 0), scale)
    if n.ndim == 2:
        n = n[:, :, None]
    n /= n.std() + 1e-6
    return (n * amp)[:, :, :channels] if channels > 1 else n[:, :, 0] * amp


def to_u8(img: np.ndarray) -> np.ndarray:
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- scenes


def _gray_scene(rng, bg, fg, noise, blur=0.0, tex=0.0, ramp=0.0):
    gt = blob(rng, W * rng.uniform(0.4, 0.6), H * rng.uniform(0.4, 0.6), rng.uniform(40, 55))
    other = blob(rng, W * 0.15, H * 0.2, 14) & ~gt
    img = np.full((H, W), bg, np.float32)
    if tex:
        img += texture(rng, 2.0, tex)
    img[other] = (bg + fg) / 2
    obj = np.full((H, W), fg, np.float32) + (texture(rng, 1.0, tex) if tex else 0)
    img[gt] = obj[gt]
    if ramp:
        img += np.linspace(-ramp, ramp, W, dtype=np.float32)[None, :]
    if blur:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    img += rng.standard_normal((H, W)).astype(np.float32) * noise
    return img, gt, [other]


def scene_clean(rng):
    img, gt, o = _gray_scene(rng, 60, 170, 3)
    return Scene("clean gray", to_u8(img), gt, o, True)


def scene_noise(rng):
    img, gt, o = _gray_scene(rng, 90, 160, 22)
    return Scene("noise gray", to_u8(img), gt, o, True)


def scene_texture(rng):
    img, gt, o = _gray_scene(rng, 80, 160, 4, tex=18)
    return Scene("texture gray", to_u8(img), gt, o, True)


def scene_blur(rng):
    img, gt, o = _gray_scene(rng, 70, 160, 3, blur=3.5)
    return Scene("blur gray", to_u8(img), gt, o, True)


def scene_low_contrast(rng):
    img, gt, o = _gray_scene(rng, 120, 136, 3)
    return Scene("low contrast gray", to_u8(img), gt, o, True)


def scene_dark_ramp(rng):
    img, gt, o = _gray_scene(rng, 170, 70, 5, ramp=40)
    return Scene("dark on ramp gray", to_u8(img), gt, o, False)


def scene_touching(rng):
    r = rng.uniform(28, 34)
    cx, cy = W / 2 - r * 0.95, H / 2 + rng.uniform(-5, 5)
    gt = disc(cx, cy, r)
    right = disc(cx + 1.9 * r, cy + rng.uniform(-8, 8), r * rng.uniform(0.9, 1.1)) & ~gt
    below = disc(cx + 0.3 * r, cy + 1.9 * r, r * 0.8) & ~gt & ~right
    img = np.full((H, W), 50, np.float32)
    img[right] = 200
    img[below] = 110
    img[gt] = 150
    img = cv2.GaussianBlur(img, (0, 0), 1.0) + rng.standard_normal((H, W)).astype(np.float32) * 6
    return Scene("touching gray", to_u8(img), gt, [right, below], True)


def _colour_scene(rng, bg_rgb, fg_rgb, noise, tex=0.0):
    gt = blob(rng, W * rng.uniform(0.4, 0.6), H * rng.uniform(0.4, 0.6), rng.uniform(40, 55))
    other = blob(rng, W * 0.85, H * 0.8, 15) & ~gt
    img = np.empty((H, W, 3), np.float32)
    img[:] = bg_rgb
    if tex:
        img += texture(rng, 2.0, tex, 3)
    img[other] = (60, 60, 200)
    fg = np.empty((H, W, 3), np.float32)
    fg[:] = fg_rgb
    if tex:
        fg += texture(rng, 1.0, tex, 3)
    img[gt] = fg[gt]
    img += rng.standard_normal((H, W, 3)).astype(np.float32) * noise
    return img, gt, [other]


def scene_isoluminant(rng):
    # equal luminance (0.299 R + 0.587 G + 0.114 B ~ 120): only colour separates them
    img, gt, o = _colour_scene(rng, (190, 90, 110), (80, 155, 100), 8)
    return Scene("isoluminant colour", to_u8(img), gt, o, False)


def scene_colour_texture(rng):
    img, gt, o = _colour_scene(rng, (90, 120, 70), (200, 150, 60), 6, tex=16)
    return Scene("texture colour", to_u8(img), gt, o, True)


def scene_uint16(rng):
    img, gt, o = _gray_scene(rng, 1000, 1800, 90, blur=1.5)
    return Scene("12-bit uint16", np.clip(img, 0, 4095).astype(np.uint16), gt, o, True)


def scene_float(rng):
    img, gt, o = _gray_scene(rng, 0.25, 0.55, 0.05, tex=0.03)
    return Scene("float [0,1]", img.astype(np.float32), gt, o, True)


def scene_camouflage(rng):
    """A two-tone object whose lower part nearly matches the textured background."""
    gt = blob(rng, W * rng.uniform(0.45, 0.55), H * 0.5, rng.uniform(48, 56), wobble=0.1)
    ys = np.nonzero(gt)[0]
    lower = gt & (np.arange(H)[:, None] > np.percentile(ys, 55))
    img = np.empty((H, W, 3), np.float32)
    img[:] = (70, 95, 60)
    img += texture(rng, 1.5, 12, 3)
    top = np.empty((H, W, 3), np.float32)
    top[:] = (200, 70, 60)
    img[gt & ~lower] = top[gt & ~lower]
    camo = np.empty((H, W, 3), np.float32)
    camo[:] = (88, 104, 52)
    camo += texture(rng, 1.5, 10, 3)
    img[lower] = camo[lower]
    img += rng.standard_normal((H, W, 3)).astype(np.float32) * 5
    return Scene("camouflage colour", to_u8(img), gt, [], True)


def scene_clutter(rng):
    """An object among many blobs of random colours, some close to its own."""
    gt = blob(rng, W * 0.5, H * 0.5, rng.uniform(36, 44))
    img = np.empty((H, W, 3), np.float32)
    img[:] = (120, 120, 120)
    others = []
    fg_col = np.array((210, 180, 40), np.float32)
    for k in range(26):
        c = fg_col + rng.normal(0, 25, 3) if k % 3 == 0 else rng.uniform(20, 235, 3)
        m = blob(rng, rng.uniform(0, W), rng.uniform(0, H), rng.uniform(6, 16)) & ~gt
        img[m] = c
        others.append(m)
    img[gt] = fg_col
    img = cv2.GaussianBlur(img, (0, 0), 0.8) + rng.standard_normal((H, W, 3)).astype(np.float32) * 6
    return Scene("clutter colour", to_u8(img), gt, others, True)


def scene_concave(rng):
    """A U-shaped object: its box is half background, the background fills its notch."""
    gt = np.zeros((H, W), bool)
    cx, cy = W * rng.uniform(0.45, 0.55), H * rng.uniform(0.45, 0.55)
    yy, xx = np.mgrid[:H, :W]
    outer = (np.abs(xx - cx) <= 55) & (np.abs(yy - cy) <= 50)
    notch = (np.abs(xx - cx) <= 25) & (yy - cy <= 50) & (yy - cy >= -20)
    gt = outer & ~notch
    img = np.full((H, W), 90, np.float32) + texture(rng, 2.0, 10)
    img[gt] = 150 + texture(rng, 2.0, 10)[gt]
    img = cv2.GaussianBlur(img, (0, 0), 1.0) + rng.standard_normal((H, W)).astype(np.float32) * 8
    return Scene("concave gray", to_u8(img), gt, [], True)


SCENES: list[Callable[[np.random.Generator], Scene]] = [
    scene_clean,
    scene_noise,
    scene_texture,
    scene_blur,
    scene_low_contrast,
    scene_dark_ramp,
    scene_touching,
    scene_isoluminant,
    scene_colour_texture,
    scene_uint16,
    scene_float,
    scene_camouflage,
    scene_clutter,
    scene_concave,
]


def make_scenes(repeats: int = 2, seed: int = 1234) -> list[Scene]:
    rng = np.random.default_rng(seed)
    return [make(rng) for _ in range(repeats) for make in SCENES]


# ---------------------------------------------------------------- the robot annotator


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def robot_box(gt: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(gt)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def robot_extreme_points(gt: np.ndarray) -> np.ndarray:
    """(4, 2) (x, y): left, top, right, bottom-most pixels (middle of each tie)."""
    ys, xs = np.nonzero(gt)
    out = []
    for coord, other, pick in (
        (xs, ys, xs.min()),
        (ys, xs, ys.min()),
        (xs, ys, xs.max()),
        (ys, xs, ys.max()),
    ):
        sel = np.sort(other[coord == pick])
        mid = sel[len(sel) // 2]
        out.append((pick, mid) if coord is xs else (mid, pick))
    return np.array(out, dtype=np.float64)


def robot_seed(gt: np.ndarray) -> tuple[int, int]:
    d = cv2.distanceTransform(gt.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(d)), d.shape)
    return int(x), int(y)


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Morphological (Lantuejoul) skeleton, kept where the mask is at least 4 px thick."""
    img = mask.astype(np.uint8)
    k = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    skel = np.zeros_like(img)
    while img.any():
        opened = cv2.morphologyEx(img, cv2.MORPH_OPEN, k)
        skel |= img & ~opened & 1
        img = cv2.erode(img, k)
    d = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    return (skel > 0) & (d >= 4)


def robot_scribbles(gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fg, bg): a 3-px stroke on the skeleton, and a 2-px ring about 6 px outside the mask."""
    sk = skeleton(gt).astype(np.uint8)
    fg = cv2.dilate(sk, np.ones((3, 3), np.uint8)).astype(bool) & gt
    g8 = gt.astype(np.uint8)
    outer = cv2.dilate(g8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (17, 17)))
    inner = cv2.dilate(g8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (13, 13)))
    bg = (outer > 0) & ~(inner > 0)
    return fg, bg


def robot_clicks(gt: np.ndarray, rng: np.random.Generator, spacing: float = 35.0) -> np.ndarray:
    """(N, 2) (x, y) clicks every ``spacing`` px along the outer contour, jittered by 1 px."""
    cs, _ = cv2.findContours(gt.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    c = max(cs, key=len)[:, 0, :].astype(np.float64)
    n = max(4, int(round(len(c) / spacing)))
    idx = np.linspace(0, len(c), n, endpoint=False).astype(int)
    pts = c[idx] + rng.integers(-1, 2, size=(n, 2))
    return np.clip(pts, 0, [gt.shape[1] - 1, gt.shape[0] - 1])


def robot_markers(gt: np.ndarray) -> np.ndarray:
    fg, bg = robot_scribbles(gt)
    markers = np.zeros(gt.shape, np.int32)
    markers[bg] = 2
    markers[fg] = 1
    return markers


def corrective_scribbles(
    run: Callable[[np.ndarray, np.ndarray], np.ndarray], gt: np.ndarray, rounds: int = 3
) -> np.ndarray:
    """What a person does after a first result: scribble on the worst mistake, up to ``rounds``
    times. Each correction is a disc (radius up to 5 px) at the centre of the largest wrong
    region, marked foreground for a miss and background for a false alarm; slivers thinner
    than 5 px along the boundary are left alone."""
    fg = np.zeros(gt.shape, bool)
    bg = np.zeros(gt.shape, bool)
    m = run(fg, bg)
    for _ in range(rounds):
        best = None
        for err, target in ((gt & ~m, fg), (m & ~gt, bg)):
            d = cv2.distanceTransform(err.astype(np.uint8), cv2.DIST_L2, 5)
            if d.max() > (best[0] if best else 0):
                best = (float(d.max()), np.unravel_index(int(np.argmax(d)), d.shape), target)
        if best is None or best[0] < 2.5:
            break
        r, (y, x), target = best
        disc = np.zeros(gt.shape, np.uint8)
        cv2.circle(disc, (int(x), int(y)), int(min(5, r - 1)), 1, -1)
        target |= disc.astype(bool)
        m = run(fg, bg)
    return m


def best_tolerance(
    run: Callable[[float], np.ndarray], gt: np.ndarray, tolerances
) -> tuple[float, float]:
    """What a person does while dragging: keep the tolerance whose result looks best."""
    best = (-1.0, 0.0)
    for t in tolerances:
        best = max(best, (iou(run(t), gt), t))
    return best


if __name__ == "__main__":  # pragma: no cover - prints the table for the report
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from quality import print_table  # noqa: E402

    print_table()
