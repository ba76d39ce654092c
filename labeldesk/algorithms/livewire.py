"""Live-wire (intelligent scissors): paths that snap to edges between clicked points.

Built on OpenCV's ``cv2.segmentation.IntelligentScissorsMB`` (Mortensen & Barrett's cost:
Laplacian zero-crossings, gradient magnitude and gradient direction, Dijkstra over
8-neighbours), run on a window around the points so the cost follows the distance between
clicks, not the image size. We compute the features ourselves, from the window lightly
smoothed, so that noise does not make every pixel an edge and a ``roi`` can be honoured:
pixels outside it get the highest cost everywhere.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms._validate import (
    Window,
    check_image,
    check_points,
    optional_mask,
    pixel,
    to_uint8,
)


def _features(
    window: np.ndarray, roi: np.ndarray | None, smoothing: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(non_edge uint8 {0,1}, direction float32x2 unit, magnitude cost float32 [0,1]).

    Colour windows use every channel: the gradient magnitude is the root sum of squares over
    R, G, B, the direction that of the strongest channel, and a zero crossing in any channel
    counts, so edges between objects of equal brightness but different colour attract the
    path too.
    """
    f: np.ndarray = to_uint8(window).astype(np.float32)
    if f.ndim == 2:
        f = f[:, :, None]
    if smoothing > 0:
        f = cv2.GaussianBlur(f, (0, 0), smoothing).reshape(f.shape)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3).reshape(f.shape)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3).reshape(f.shape)
    per_channel = gx * gx + gy * gy
    mag = np.sqrt(per_channel.sum(axis=2))
    strongest = np.argmax(per_channel, axis=2)[:, :, None]
    dx = np.take_along_axis(gx, strongest, axis=2)[:, :, 0]
    dy = np.take_along_axis(gy, strongest, axis=2)[:, :, 0]
    norm = np.sqrt(dx * dx + dy * dy)
    flat = norm == 0
    norm[flat] = 1.0
    direction = np.dstack([np.where(flat, 1.0, dx / norm), dy / norm]).astype(np.float32)
    top = float(mag.max())
    cost = 1.0 - mag / top if top > 0 else np.ones_like(mag)
    lap = cv2.Laplacian(f, cv2.CV_32F, ksize=3).reshape(f.shape) > 0
    zc = np.zeros(mag.shape, dtype=bool)
    zc[:, :-1] |= (lap[:, :-1] != lap[:, 1:]).any(axis=2)
    zc[:-1, :] |= (lap[:-1, :] != lap[1:, :]).any(axis=2)
    zc &= mag > 0.05 * top
    non_edge = (~zc).astype(np.uint8)
    if roi is not None:
        non_edge[~roi] = 1
        cost[~roi] = 1.0
    return non_edge, direction, cost.astype(np.float32)


class LiveWireMap:
    """Shortest paths from one anchor to any point of a window (one Dijkstra, many queries).

    For the interactive tool: build it when the user clicks an anchor, then call
    :meth:`path_to` on every mouse move (a lookup, well under a millisecond); build a new map
    when the cursor leaves :meth:`contains`.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` RGB, uint8/uint16/float (checked).
        anchor: ``(x, y)`` start point, inside the image.
        radius: half-side of the square window around the anchor, in pixels.
        window: an explicit window ``(x0, y0, x1, y1)`` (x1/y1 exclusive) instead of radius.
        roi: optional ``(H, W)`` bool mask; paths avoid pixels outside it.
        smoothing: Gaussian sigma of the pre-smoothing, in pixels.
    """

    def __init__(
        self,
        image: Any,
        anchor: Any,
        *,
        radius: int = 200,
        window: Window | None = None,
        roi: Any = None,
        smoothing: float = 1.0,
    ) -> None:
        img = check_image(image)
        h, w = img.shape[:2]
        self.shape = (h, w)
        a = check_points(anchor, (h, w), "anchor")
        ax, ay = pixel(a[0])
        roi_m = optional_mask(roi, (h, w), "roi")
        if roi_m is not None and not roi_m[ay, ax]:
            raise ValueError(f"anchor (x, y) = ({ax}, {ay}) is outside the roi")
        if window is None:
            r = int(radius)
            if r < 1:
                raise ValueError(f"radius must be >= 1 (pixels), got {radius!r}")
            window = (max(0, ax - r), max(0, ay - r), min(w, ax + r + 1), min(h, ay + r + 1))
        x0, y0, x1, y1 = (int(v) for v in window)
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if not (x0 <= ax < x1 and y0 <= ay < y1):
            raise ValueError(f"window {tuple(window)} does not contain the anchor ({ax}, {ay})")
        window = (x0, y0, x1, y1)
        self.window: Window = window
        self.anchor = (ax, ay)
        sub_roi = None if roi_m is None else roi_m[y0:y1, x0:x1]
        non_edge, direction, cost = _features(img[y0:y1, x0:x1], sub_roi, float(smoothing))
        self._tool = cv2.segmentation.IntelligentScissorsMB()
        self._tool.applyImageFeatures(non_edge, direction, cost)
        self._tool.buildMap((ax - x0, ay - y0))

    def contains(self, point: Any) -> bool:
        """Whether ``point`` ``(x, y)`` lies in this map's window."""
        x, y = pixel(np.asarray(point, dtype=np.float64))
        x0, y0, x1, y1 = self.window
        return x0 <= x < x1 and y0 <= y < y1

    def path_to(self, point: Any) -> np.ndarray:
        """``(N, 2)`` float64 ``(x, y)`` path from the anchor to ``point`` (both included).

        Raises:
            ValueError: ``point`` is outside the window (build a new map around it).
        """
        x, y = pixel(np.asarray(point, dtype=np.float64))
        if not self.contains((x, y)):
            raise ValueError(
                f"point (x, y) = ({x}, {y}) is outside the live-wire window {self.window}"
            )
        x0, y0 = self.window[:2]
        c = self._tool.getContour((x - x0, y - y0)).reshape(-1, 2)
        return (c + np.array([x0, y0])).astype(np.float64)


def live_wire(
    image: Any,
    points: Any,
    *,
    roi: Any = None,
    closed: bool = False,
    smoothing: float = 1.0,
) -> np.ndarray:
    """The edge-following path through ``points`` in order.

    Each leg between consecutive points is the cheapest 8-connected path inside a window
    around the two points (their bounding box grown by a third of their distance, at least
    24 px), so a leg costs about the same in any image size.

    Args:
        image: ``(H, W)`` or ``(H, W, 3)`` RGB, uint8/uint16/float.
        points: ``(M, 2)`` clicked ``(x, y)`` points, M >= 2, inside the image.
        roi: optional ``(H, W)`` bool mask the path avoids leaving (points must be inside it).
        closed: also join the last point back to the first.
        smoothing: Gaussian sigma of the pre-smoothing, in pixels.

    Returns:
        ``(N, 2)`` float64 ``(x, y)`` pixel path, starting at the first point and passing
        through every point (rounded to pixel centres); consecutive pixels are 8-neighbours.
        When ``closed`` the first point is not repeated at the end.

    Raises:
        ValueError: fewer than 2 points, a point outside the image or the roi, bad image/roi.
    """
    img = check_image(image)
    h, w = img.shape[:2]
    pts = check_points(points, (h, w), "points", min_count=2)
    roi_m = optional_mask(roi, (h, w), "roi")
    pix = [pixel(p) for p in pts]
    if roi_m is not None:
        for x, y in pix:
            if not roi_m[y, x]:
                raise ValueError(f"points: (x, y) = ({x}, {y}) is outside the roi")
    legs = list(zip(pix[:-1], pix[1:], strict=True))
    if closed:
        legs.append((pix[-1], pix[0]))
    out: list[np.ndarray] = [np.array([pix[0]], dtype=np.float64)]
    for a, b in legs:
        if a == b:
            continue
        dist = float(np.hypot(b[0] - a[0], b[1] - a[1]))
        m = int(max(24, dist / 3))
        win = (
            max(0, min(a[0], b[0]) - m),
            max(0, min(a[1], b[1]) - m),
            min(w, max(a[0], b[0]) + m + 1),
            min(h, max(a[1], b[1]) + m + 1),
        )
        leg = LiveWireMap(img, a, window=win, roi=roi_m, smoothing=smoothing).path_to(b)
        out.append(leg[1:])
    path = np.concatenate(out, axis=0)
    if closed and len(path) > 1 and tuple(path[-1]) == tuple(path[0]):
        path = path[:-1]
    return path
