"""The robot annotator runs every tool on every scene; mean IoU per tool and input.

Each entry of ``TOOLS`` maps ``"tool / input"`` to a function ``(scene, rng) -> IoU``; entries
marked ``(raw OpenCV)`` are the plain OpenCV call given the same input, for comparison.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

try:  # imported as tests.algorithms.quality (pytest) or run as a script next to robot.py
    from .robot import (
        Scene,
        best_tolerance,
        corrective_scribbles,
        iou,
        make_scenes,
        robot_box,
        robot_clicks,
        robot_extreme_points,
        robot_markers,
        robot_scribbles,
        robot_seed,
    )
except ImportError:  # pragma: no cover
    from robot import (  # type: ignore[no-redef]
        Scene,
        best_tolerance,
        corrective_scribbles,
        iou,
        make_scenes,
        robot_box,
        robot_clicks,
        robot_extreme_points,
        robot_markers,
        robot_scribbles,
        robot_seed,
    )

from labeldesk.algorithms import (
    auto_segment,
    fill_holes,
    grabcut,
    largest_component,
    live_wire,
    marker_watershed,
    polygons_to_mask,
    region_grow,
    threshold_mask,
)
from labeldesk.algorithms._validate import to_rgb8


def _spread(img: np.ndarray) -> float:
    return float(np.percentile(img, 99.5) - np.percentile(img, 0.5))


def _box_roi(gt: np.ndarray, margin: int = 10) -> np.ndarray:
    x0, y0, x1, y1 = robot_box(gt)
    roi = np.zeros(gt.shape, bool)
    roi[max(0, y0 - margin) : y1 + margin + 1, max(0, x0 - margin) : x1 + margin + 1] = True
    return roi


def threshold_otsu_box(sc: Scene, rng: np.random.Generator) -> float:
    """Otsu inside a box drawn around the object: the robot picks the channel that shows the
    object best (as a person would), flips polarity when the object is the dark class, keeps
    the part under its click and fills holes (the tool's clean-up buttons)."""
    roi = _box_roi(sc.gt)
    x, y = robot_seed(sc.gt)
    best = 0.0
    for channel in (None, 0, 1, 2) if sc.image.ndim == 3 else (None,):
        m = threshold_mask(sc.image, method="otsu", roi=roi, channel=channel)
        if not m[y, x]:  # the object came out dark: flip polarity (inside the box)
            m = roi & ~m
        _, comp = cv2.connectedComponents(m.view(np.uint8), connectivity=8)
        part = comp == comp[y, x] if m[y, x] else largest_component(m)
        best = max(best, iou(fill_holes(part), sc.gt))
    return best


def region_seed(sc: Scene, rng: np.random.Generator) -> float:
    seed = robot_seed(sc.gt)
    tols = np.linspace(0.02, 0.8, 30) * _spread(sc.image)
    return best_tolerance(lambda t: region_grow(sc.image, seed, tolerance=t), sc.gt, tols)[0]


def region_seed_no_edge(sc: Scene, rng: np.random.Generator) -> float:
    seed = robot_seed(sc.gt)
    tols = np.linspace(0.02, 0.8, 30) * _spread(sc.image)
    run = lambda t: region_grow(sc.image, seed, tolerance=t, edge_weight=0.0)  # noqa: E731
    return best_tolerance(run, sc.gt, tols)[0]


def region_seed_raw(sc: Scene, rng: np.random.Generator) -> float:
    """cv2.floodFill with a fixed range around the seed (per-channel box distance)."""
    seed = robot_seed(sc.gt)
    img = to_rgb8(sc.image)
    h, w = sc.gt.shape

    def run(t: float) -> np.ndarray:
        mask = np.zeros((h + 2, w + 2), np.uint8)
        flags = 8 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (1 << 8)
        cv2.floodFill(img.copy(), mask, seed, 0, (t,) * 3, (t,) * 3, flags)
        return mask[1:-1, 1:-1] > 0

    tols = np.linspace(0.02, 0.8, 30) * _spread(img)
    return best_tolerance(run, sc.gt, tols)[0]


def watershed_scribbles(sc: Scene, rng: np.random.Generator) -> float:
    return iou(marker_watershed(sc.image, robot_markers(sc.gt)) == 1, sc.gt)


def watershed_scribbles_raw(sc: Scene, rng: np.random.Generator) -> float:
    labels = robot_markers(sc.gt)
    cv2.watershed(to_rgb8(sc.image), labels)
    return iou(labels == 1, sc.gt)


def grabcut_box(sc: Scene, rng: np.random.Generator) -> float:
    return iou(grabcut(sc.image, box=robot_box(sc.gt)), sc.gt)


def grabcut_box_raw(sc: Scene, rng: np.random.Generator) -> float:
    x0, y0, x1, y1 = robot_box(sc.gt)
    mask = np.zeros(sc.gt.shape, np.uint8)
    rect = (x0, y0, x1 - x0 + 1, y1 - y0 + 1)
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.grabCut(to_rgb8(sc.image), mask, rect, bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
    return iou(np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)), sc.gt)


def grabcut_box_corrected(sc: Scene, rng: np.random.Generator) -> float:
    box = robot_box(sc.gt)

    def run(fg: np.ndarray, bg: np.ndarray) -> np.ndarray:
        return grabcut(sc.image, box=box, fg_scribbles=fg, bg_scribbles=bg)

    return iou(corrective_scribbles(run, sc.gt), sc.gt)


def grabcut_box_corrected_raw(sc: Scene, rng: np.random.Generator) -> float:
    """cv2.grabCut on the whole image: box as probable foreground, the same scribbles hard."""
    x0, y0, x1, y1 = robot_box(sc.gt)
    rgb = to_rgb8(sc.image)

    def run(fg: np.ndarray, bg: np.ndarray) -> np.ndarray:
        mask = np.full(sc.gt.shape, cv2.GC_BGD, np.uint8)
        mask[y0 : y1 + 1, x0 : x1 + 1] = cv2.GC_PR_FGD
        mask[fg] = cv2.GC_FGD
        mask[bg] = cv2.GC_BGD
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        cv2.grabCut(rgb, mask, None, bgd, fgd, 5, cv2.GC_INIT_WITH_MASK)
        return np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD))

    return iou(corrective_scribbles(run, sc.gt), sc.gt)


def grabcut_extreme(sc: Scene, rng: np.random.Generator) -> float:
    return iou(grabcut(sc.image, extreme_points=robot_extreme_points(sc.gt)), sc.gt)


def grabcut_scribbles(sc: Scene, rng: np.random.Generator) -> float:
    fg, bg = robot_scribbles(sc.gt)
    return iou(grabcut(sc.image, fg_scribbles=fg, bg_scribbles=bg), sc.gt)


def grabcut_box_scribbles(sc: Scene, rng: np.random.Generator) -> float:
    fg, bg = robot_scribbles(sc.gt)
    return iou(grabcut(sc.image, box=robot_box(sc.gt), fg_scribbles=fg, bg_scribbles=bg), sc.gt)


def live_wire_clicks(sc: Scene, rng: np.random.Generator) -> float:
    path = live_wire(sc.image, robot_clicks(sc.gt, rng), closed=True)
    return iou(polygons_to_mask(sc.gt.shape, [path]), sc.gt)


def clicks_polygon(sc: Scene, rng: np.random.Generator) -> float:
    """The same clicks joined by straight lines (what a plain polygon tool gives)."""
    return iou(polygons_to_mask(sc.gt.shape, [robot_clicks(sc.gt, rng)]), sc.gt)


def auto_best_region(sc: Scene, rng: np.random.Generator) -> float:
    """One click on the object in the auto-segmentation: the region under the seed."""
    labels = auto_segment(sc.image)
    x, y = robot_seed(sc.gt)
    return iou(labels == labels[y, x], sc.gt)


TOOLS: dict[str, Callable[[Scene, np.random.Generator], float]] = {
    "threshold_mask / otsu in box + click + fill": threshold_otsu_box,
    "region_grow / seed (best tolerance)": region_seed,
    "region_grow / seed, no edge term": region_seed_no_edge,
    "region_grow / seed (raw OpenCV floodFill)": region_seed_raw,
    "marker_watershed / scribbles": watershed_scribbles,
    "marker_watershed / scribbles (raw OpenCV)": watershed_scribbles_raw,
    "grabcut / box": grabcut_box,
    "grabcut / box (raw OpenCV)": grabcut_box_raw,
    "grabcut / box + 3 corrective scribbles": grabcut_box_corrected,
    "grabcut / box + 3 corrections (raw OpenCV)": grabcut_box_corrected_raw,
    "grabcut / extreme points": grabcut_extreme,
    "grabcut / scribbles": grabcut_scribbles,
    "grabcut / box + scribbles": grabcut_box_scribbles,
    "live_wire / clicks": live_wire_clicks,
    "live_wire / clicks as plain polygon": clicks_polygon,
    "auto_segment / click on object": auto_best_region,
}


def measure(repeats: int = 2, seed: int = 1234) -> dict[str, dict[str, float]]:
    """{tool: {scene name: mean IoU over repeats}} for every tool in ``TOOLS``."""
    scenes = make_scenes(repeats, seed)
    out: dict[str, dict[str, float]] = {}
    for name, fn in TOOLS.items():
        rng = np.random.default_rng(7)
        per: dict[str, list[float]] = {}
        for sc in scenes:
            per.setdefault(sc.name, []).append(fn(sc, rng))
        out[name] = {k: float(np.mean(v)) for k, v in per.items()}
    return out


def print_table(repeats: int = 3) -> None:  # pragma: no cover - for the report
    res = measure(repeats)
    scene_names = list(next(iter(res.values())))
    short = [n.split()[0][:7] for n in scene_names]
    print(f"{'tool / input':<46}{'mean':>6} " + " ".join(f"{s:>7}" for s in short))
    for tool, per in res.items():
        vals = [per[n] for n in scene_names]
        print(f"{tool:<46}{np.mean(vals):6.3f} " + " ".join(f"{v:7.3f}" for v in vals))
    print("scenes:", ", ".join(scene_names), f"({repeats} of each)")
