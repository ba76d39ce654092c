"""Speed of the classical segmentation functions on a 4000x3000 photo-like image.

Each figure is the median of several runs, printed next to the raw OpenCV call that does the
core of the same job, timed in the same process, and their ratio:

    .venv/bin/python benchmarks/bench_algorithms.py [--runs 7] [--save scene.png]

Targets (issue 4): threshold and region-grow previews <= 50 ms; watershed on a 1000x1000
region, GrabCut from a 400x400 box and a live-wire segment <= 500 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np

from labeldesk.algorithms import (
    auto_segment,
    grabcut,
    live_wire,
    marker_watershed,
    region_grow,
    threshold_mask,
)

H, W = 3000, 4000


def photo_like(seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A 4000x3000 RGB uint8 scene: sky gradient, textured ground, objects, noise, vignetting.

    Returns the image and a few object masks used to place inputs.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.empty((H, W, 3), np.float32)
    sky = yy < 1100 + 80 * np.sin(xx / 500)
    t = (yy / 1100.0)[..., None]
    img[:] = (1 - t) * np.array([70, 120, 200], np.float32) + t * np.array(
        [180, 200, 230], np.float32
    )
    ground_tex = cv2.resize(rng.standard_normal((H // 8, W // 8, 3)).astype(np.float32), (W, H))
    ground = np.array([90, 110, 60], np.float32) + 18 * ground_tex
    img[~sky] = ground[~sky]
    objects: dict[str, np.ndarray] = {}
    specs = [
        ("disc", lambda: (xx - 1500) ** 2 + (yy - 1800) ** 2 <= 200**2, (200, 60, 50)),
        ("box", lambda: (abs(xx - 2600) < 350) & (abs(yy - 2000) < 260), (60, 70, 160)),
        (
            "ellipse",
            lambda: ((xx - 3300) / 420) ** 2 + ((yy - 700) / 180) ** 2 <= 1,
            (240, 240, 235),
        ),
        ("blob", lambda: (xx - 800) ** 2 / 1.4 + (yy - 2500) ** 2 <= 260**2, (150, 120, 40)),
    ]
    for name, make, colour in specs:
        m = make()
        shade = 1.0 + 0.15 * (xx[m] - xx[m].mean()) / max(1.0, float(np.ptp(xx[m])))
        img[m] = np.array(colour, np.float32) * shade[:, None]
        objects[name] = m
    vignette = 1.0 - 0.35 * (((xx - W / 2) / W) ** 2 + ((yy - H / 2) / H) ** 2)
    img *= vignette[..., None]
    img = cv2.GaussianBlur(img, (0, 0), 1.2)
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8), objects


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up (first calls pay for allocations and OpenCV's lazy init)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--save", help="write the test image to this PNG path")
    args = parser.parse_args()
    img, objects = photo_like()
    if args.save:
        cv2.imwrite(args.save, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    runs = args.runs
    rows: list[tuple[str, float, str, float, str]] = []

    def row(
        name: str, ours: Callable[[], object], ref_name: str, ref: Callable[[], object], target: str
    ) -> None:
        rows.append((name, median_ms(ours, runs), ref_name, median_ms(ref, runs), target))
        n, a, rn, b, t = rows[-1]
        print(
            f"{n:<34} {a:8.1f} ms   {rn:<44} {b:8.1f} ms   x{a / b:5.2f}   target {t}", flush=True
        )

    print(
        f"image {W}x{H} RGB uint8, median of {runs} runs, cv2 {cv2.__version__}, "
        f"threads {cv2.getNumThreads()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'ours':<34} {'':>11}   {'raw OpenCV':<44} {'':>11}   ratio")

    # threshold preview: Otsu over the whole image
    row(
        "threshold_mask otsu (full image)",
        lambda: threshold_mask(img, method="otsu"),
        "cvtColor + threshold(OTSU)",
        lambda: cv2.threshold(
            cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU
        ),
        "<= 50 ms",
    )
    row(
        "threshold_mask manual (full image)",
        lambda: threshold_mask(img, method="manual", low=80, high=160),
        "cvtColor + inRange",
        lambda: cv2.inRange(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 80, 160),
        "<= 50 ms",
    )
    # region-grow preview from a seed inside the 400 px disc
    seed = (1500, 1800)
    ff_mask = np.zeros((H + 2, W + 2), np.uint8)

    def flood() -> None:
        ff_mask[:] = 0
        cv2.floodFill(
            img,
            ff_mask,
            seed,
            0,
            (30,) * 3,
            (30,) * 3,
            8 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (1 << 8),
        )

    row(
        "region_grow (400 px object)",
        lambda: region_grow(img, seed, tolerance=40),
        "floodFill FIXED_RANGE",
        flood,
        "<= 50 ms",
    )
    # watershed on a 1000x1000 region with two scribbles
    roi = np.zeros((H, W), bool)
    roi[1300:2300, 1000:2000] = True
    markers = np.zeros((H, W), np.int32)
    cv2.line(markers, (1450, 1800), (1550, 1800), 1, 5)
    cv2.rectangle(markers, (1050, 1350), (1950, 2250), 2, 5)
    sub_img = np.ascontiguousarray(img[1300:2300, 1000:2000])
    sub_mk = np.ascontiguousarray(markers[1300:2300, 1000:2000])
    row(
        "marker_watershed (1000x1000 roi)",
        lambda: marker_watershed(img, markers, roi=roi),
        "watershed on the 1000x1000 crop",
        lambda: cv2.watershed(sub_img, sub_mk.copy()),
        "<= 500 ms",
    )
    # GrabCut from a 400x400 box around the disc
    box = (1300, 1600, 1699, 1999)
    crop = np.ascontiguousarray(img[1560:2040, 1260:1740])

    def raw_grabcut() -> None:
        m = np.zeros(crop.shape[:2], np.uint8)
        cv2.grabCut(
            crop,
            m,
            (40, 40, 400, 400),
            np.zeros((1, 65)),
            np.zeros((1, 65)),
            5,
            cv2.GC_INIT_WITH_RECT,
        )

    row(
        "grabcut (400x400 box, 5 iter)",
        lambda: grabcut(img, box=box),
        "grabCut rect on a 480x480 crop",
        raw_grabcut,
        "<= 500 ms",
    )
    # live-wire: one 300 px segment along the disc's rim
    a, b = (1300, 1800), (1500, 1600)

    # the same window live_wire uses: the points' box grown by max(24, distance / 3)
    win = np.ascontiguousarray(img[1506:1895, 1206:1595])

    def raw_scissors() -> None:
        tool = cv2.segmentation.IntelligentScissorsMB()
        tool.applyImage(win)
        tool.buildMap((94, 294))
        tool.getContour((294, 94))

    row(
        "live_wire (one 283 px leg)",
        lambda: live_wire(img, [a, b]),
        "IntelligentScissorsMB, same 389 px window",
        raw_scissors,
        "<= 500 ms",
    )
    row(
        "auto_segment (full image)",
        lambda: auto_segment(img),
        "watershed on a 512 px copy (no merge)",
        lambda: cv2.watershed(cv2.resize(img, (512, 384)), _grid_markers(384, 512, 12)),
        "(background job)",
    )
    # the timed calls do real work: their results against the drawn disc
    disc = objects["disc"]
    for name, m in (
        ("region_grow", region_grow(img, seed, tolerance=40)),
        ("grabcut", grabcut(img, box=box)),
        ("marker_watershed", marker_watershed(img, markers, roi=roi) == 1),
    ):
        print(f"IoU with the disc: {name} {(m & disc).sum() / (m | disc).sum():.3f}")


def _grid_markers(h: int, w: int, cell: int) -> np.ndarray:
    m = np.zeros((h, w), np.int32)
    ys, xs = np.mgrid[cell // 2 : h : cell, cell // 2 : w : cell]
    m[ys.ravel(), xs.ravel()] = np.arange(1, ys.size + 1)
    return m


if __name__ == "__main__":
    main()
