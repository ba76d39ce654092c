"""The standard interactive-segmentation robot user, for the real images (tests/realdata.py).

Protocol (DESIGN.md section 6; as in the interactive-segmentation literature):

- every click goes to the interior point farthest from the boundary of the largest error
  region: the largest connected component of the missed pixels (ground truth not in the
  prediction) and of the false pixels (prediction not in the ground truth), pixels of the
  ignore mask left out; the distance transform counts the image border as boundary; the
  click is positive on a missed region and negative on a false one;
- a 20-click budget; NoC@85 / NoC@90 is the number of clicks after which IoU first reaches
  0.85 / 0.90 (20 when it never does); mIoU@k is the mean IoU after k clicks;
- box-driven tools get the ground truth's bounding box (or its four extreme points) and then
  corrective clicks placed the same way, given to the tool as disc scribbles.

IoU leaves out the ignore pixels. A run stops early once IoU >= 0.90 after at least
``min_clicks`` clicks (later figures then repeat the last IoU; the tools do not change a
result that needs no correction in a way that matters to NoC).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

Click = tuple[int, int, bool]
ClickTool = Callable[[np.ndarray, list[Click], "np.ndarray | None"], np.ndarray]
BUDGET = 20


def iou(pred: np.ndarray, gt: np.ndarray, ignore: np.ndarray | None = None) -> float:
    if ignore is not None and ignore.any():
        keep = ~ignore
        pred, gt = pred & keep, gt & keep
    union = np.count_nonzero(pred | gt)
    return 1.0 if union == 0 else np.count_nonzero(pred & gt) / union


def _inner_point(region: np.ndarray) -> tuple[int, int]:
    """The pixel of ``region`` farthest from its boundary (image border counts as boundary)."""
    padded = np.pad(region.view(np.uint8), 1)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return int(x), int(y)


def next_click(pred: np.ndarray, gt: np.ndarray, ignore: np.ndarray | None = None) -> Click:
    """The robot's next click for prediction ``pred`` of object ``gt``."""
    keep = np.ones(gt.shape, bool) if ignore is None else ~ignore
    best: tuple[int, np.ndarray, bool] | None = None
    for err, positive in ((gt & ~pred & keep, True), (pred & ~gt & keep, False)):
        if not err.any():
            continue
        n, comp, stats, _ = cv2.connectedComponentsWithStats(err.view(np.uint8), connectivity=8)
        k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        area = int(stats[k, cv2.CC_STAT_AREA])
        if best is None or area > best[0]:
            best = (area, comp == k, positive)
    if best is None:  # perfect: click the object's centre again
        x, y = _inner_point(gt)
        return x, y, True
    x, y = _inner_point(best[1])
    return x, y, best[2]


def bbox(gt: np.ndarray) -> tuple[int, int, int, int]:
    """Inclusive ``(x0, y0, x1, y1)``."""
    ys, xs = np.nonzero(gt)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def extreme_points(gt: np.ndarray) -> np.ndarray:
    """Left-, top-, right- and bottom-most pixels (middle of ties), ``(4, 2)`` ``(x, y)``."""
    ys, xs = np.nonzero(gt)
    out = []
    for coord, other, pick in (
        (xs, ys, np.min),
        (ys, xs, np.min),
        (xs, ys, np.max),
        (ys, xs, np.max),
    ):
        v = pick(coord)
        o = np.sort(other[coord == v])
        mid = int(o[len(o) // 2])
        out.append((int(v), mid) if coord is xs else (mid, int(v)))
    return np.array(out, np.float64)


@dataclass
class Run:
    """One object's run: IoU after each click (index 0: after the first click, or for box
    tools after the box) and the time of each tool call in ms."""

    ious: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)

    def noc(self, target: float, budget: int = BUDGET) -> int:
        for k, v in enumerate(self.ious[:budget]):
            if v >= target:
                return k + 1
        return budget

    def at(self, k: int) -> float:
        """IoU after ``k`` clicks (1-based; for box tools 0 is the box alone)."""
        return self.ious[min(k, len(self.ious)) - 1]


def run_clicks(
    tool: ClickTool,
    image: np.ndarray,
    gt: np.ndarray,
    ignore: np.ndarray | None = None,
    *,
    budget: int = BUDGET,
    min_clicks: int = 5,
    stop_at: float = 0.90,
) -> Run:
    """Drive a click tool with the robot; returns the IoU after each click."""
    run = Run()
    pred = np.zeros(gt.shape, bool)
    clicks: list[Click] = []
    prev: np.ndarray | None = None
    for k in range(budget):
        clicks.append(next_click(pred, gt, ignore))
        t = time.perf_counter()
        pred = tool(image, list(clicks), prev)
        run.ms.append((time.perf_counter() - t) * 1000)
        prev = pred
        run.ious.append(iou(pred, gt, ignore))
        if k + 1 >= min_clicks and run.ious[-1] >= stop_at:
            break
    return run


BoxTool = Callable[[np.ndarray, np.ndarray, list[Click], "np.ndarray | None"], np.ndarray]


def run_box(
    tool: BoxTool,
    image: np.ndarray,
    gt: np.ndarray,
    ignore: np.ndarray | None = None,
    *,
    corrections: int = 3,
    extreme: bool = False,
    stop_at: float | None = None,
) -> Run:
    """A box tool from the box (or extreme points), then ``corrections`` corrective clicks.

    ``tool(image, box_or_points, clicks, previous)``; ``run.ious[0]`` is from the box alone.
    """
    run = Run()
    prompt = extreme_points(gt) if extreme else np.array(bbox(gt), np.float64)
    clicks: list[Click] = []
    prev: np.ndarray | None = None
    for k in range(corrections + 1):
        if k:
            clicks.append(next_click(prev, gt, ignore))  # type: ignore[arg-type]
        t = time.perf_counter()
        pred = tool(image, prompt, list(clicks), prev)
        run.ms.append((time.perf_counter() - t) * 1000)
        prev = pred
        run.ious.append(iou(pred, gt, ignore))
        if stop_at is not None and run.ious[-1] >= stop_at:
            break
    return run


def discs(
    shape: tuple[int, int], clicks: Sequence[Click], radius: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Foreground and background scribbles: a disc at every positive / negative click."""
    fg = np.zeros(shape, np.uint8)
    bg = np.zeros(shape, np.uint8)
    for x, y, positive in clicks:
        cv2.circle(fg if positive else bg, (x, y), radius, 1, -1)
    fg_b, bg_b = fg.astype(bool), bg.astype(bool)
    return fg_b & ~bg_b, bg_b
