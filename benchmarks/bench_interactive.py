"""Interactive segmentation on the real images: the robot user's table, ours next to baselines.

    .venv/bin/python benchmarks/bench_interactive.py [--nuclei 20] [--only NAME] [--big]

Images and objects: tests/realdata.py (photos with labelme polygons, one video frame, a seeded
size-stratified sample of the DSB 2018 nuclei). Protocol: tests/robot_user.py (clicks at the
interior point farthest from the boundary of the largest error region, 20-click budget).
Tools and baselines: tests/interactive_tools.py.

Printed per tool: NoC@85, NoC@90 and mIoU after 1..5 clicks (click tools), or mIoU from the
box / extreme points and after 1..3 corrective clicks (box tools), and the median ms per
call at the images' own sizes; "photos" and "all" rows. ``--big`` times click_segment per
click on a real photo scaled up to 4000x3000 (target: <= 150 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.interactive_tools import BOX_TOOLS, CLICK_TOOLS  # noqa: E402
from tests.realdata import RealImage, real_images  # noqa: E402
from tests.robot_user import BUDGET, Run, run_box, run_clicks  # noqa: E402


def click_table(images: list[RealImage], only: str | None) -> dict[str, list[tuple[str, Run]]]:
    out: dict[str, list[tuple[str, Run]]] = {}
    for name, tool in CLICK_TOOLS.items():
        if only and only not in name:
            continue
        runs = []
        for im in images:
            for gt in im.masks:
                runs.append((im.kind, run_clicks(tool, im.image, gt, im.ignore)))
        out[name] = runs
    return out


def box_table(images: list[RealImage], only: str | None) -> dict[str, list[tuple[str, Run]]]:
    out: dict[str, list[tuple[str, Run]]] = {}
    for name, (tool, extreme) in BOX_TOOLS.items():
        if only and only not in name:
            continue
        runs = []
        for im in images:
            for gt in im.masks:
                runs.append((im.kind, run_box(tool, im.image, gt, im.ignore, extreme=extreme)))
        out[name] = runs
    return out


def box_noc(images: list[RealImage]) -> list[tuple[str, Run]]:
    """grabcut(box=) driven like a click tool: the box counts as 2 clicks, then corrective
    clicks (discs) until IoU >= 0.90 or 20 clicks in all."""
    from tests.interactive_tools import tool_grabcut_box

    out = []
    for im in images:
        for gt in im.masks:
            r = run_box(
                tool_grabcut_box, im.image, gt, im.ignore, corrections=BUDGET - 2, stop_at=0.90
            )
            # clicks: the box = 2, then one per correction
            r.ious = [0.0] + r.ious
            out.append((im.kind, r))
    return out


def summary_click(runs: list[Run]) -> str:
    noc85 = statistics.mean(r.noc(0.85) for r in runs)
    noc90 = statistics.mean(r.noc(0.90) for r in runs)
    miou = [statistics.mean(r.at(k) for r in runs) for k in range(1, 6)]
    ms = statistics.median(v for r in runs for v in r.ms)
    return f"{noc85:6.2f} {noc90:6.2f} " + " ".join(f"{v:5.3f}" for v in miou) + f" {ms:8.1f}"


def summary_box(runs: list[Run]) -> str:
    miou = [statistics.mean(r.ious[k] for r in runs) for k in range(4)]
    ms = statistics.median(v for r in runs for v in r.ms)
    return " ".join(f"{v:5.3f}" for v in miou) + f" {ms:8.1f}"


def big_timing() -> None:
    """click_segment per click on a real photo scaled to 4000x3000 (robot clicks, 8 clicks)."""
    from tests.interactive_tools import tool_click_segment
    from tests.robot_user import run_clicks as rc

    ims = [im for im in real_images(nuclei=0) if im.name.endswith("2011_000025.jpg")]
    im = ims[0]
    big = cv2.resize(im.image, (4000, 3000), interpolation=cv2.INTER_LINEAR)
    times = []
    cpu: list[float] = []

    def timed(image: np.ndarray, clicks: list, prev: np.ndarray | None) -> np.ndarray:
        c = time.process_time()
        out = tool_click_segment(image, clicks, prev)
        cpu.append((time.process_time() - c) * 1000)
        return out

    for gt in im.masks:
        g = cv2.resize(gt.view(np.uint8), (4000, 3000), interpolation=cv2.INTER_NEAREST) > 0
        n = len(cpu)
        r = rc(timed, big, g, None, budget=8, min_clicks=8, stop_at=2.0)
        times += r.ms
        print(
            f"  object {int(g.sum())} px: IoU after 8 clicks {r.ious[-1]:.3f}; ms per click: "
            f"wall median {statistics.median(r.ms):.0f}, CPU median "
            f"{statistics.median(cpu[n:]):.0f}, CPU max {max(cpu[n:]):.0f}"
        )
    print(
        f"click_segment at 4000x3000 ({im.name} scaled): median {statistics.median(times):.1f} ms,"
        f" max {max(times):.1f} ms per click over {len(times)} clicks (wall); CPU median "
        f"{statistics.median(cpu):.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nuclei", type=int, default=20)
    ap.add_argument("--only", help="run only the tools whose name contains this")
    ap.add_argument("--big", action="store_true", help="time click_segment at 4000x3000")
    ap.add_argument(
        "--part", choices=("all", "click", "box"), default="all", help="run one table only"
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    images = real_images(nuclei=args.nuclei)
    n_photo = sum(len(im.masks) for im in images if im.kind == "photo")
    n_all = sum(len(im.masks) for im in images)
    print(
        f"real set: {len(images)} images, {n_all} objects ({n_photo} in photos, "
        f"{n_all - n_photo} nuclei); machine: {os.cpu_count()} cores, shared (loaded)"
    )
    clicks = click_table(images, args.only) if args.part != "box" else {}
    if clicks:
        print(
            f"\n{'click tool':40s} {'set':6s} NoC85  NoC90  IoU@1 IoU@2 IoU@3 IoU@4 IoU@5  ms/call"
        )
        for name, runs in clicks.items():
            for subset in ("photo", "all"):
                sel = [r for kind, r in runs if subset == "all" or kind == subset]
                print(f"{name:40s} {subset:6s} {summary_click(sel)}")
    if args.part != "click" and (not args.only or "grabcut(box=)" in args.only):
        runs = box_noc(images)
        for subset in ("photo", "all"):
            sel = [r for kind, r in runs if subset == "all" or kind == subset]
            noc85 = statistics.mean(r.noc(0.85) for r in sel)
            noc90 = statistics.mean(r.noc(0.90) for r in sel)
            print(f"{'grabcut(box=), box = 2 clicks':40s} {subset:6s} {noc85:6.2f} {noc90:6.2f}")
    boxes = box_table(images, args.only) if args.part != "click" else {}
    if boxes:
        print(f"\n{'box tool':40s} {'set':6s} box   +1clk +2clk +3clk  ms/call")
        for name, runs in boxes.items():
            for subset in ("photo", "all"):
                sel = [r for kind, r in runs if subset == "all" or kind == subset]
                print(f"{name:40s} {subset:6s} {summary_box(sel)}")
    if args.big:
        print()
        big_timing()
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
