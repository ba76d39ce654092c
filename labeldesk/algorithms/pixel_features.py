"""Multi-scale pixel features for a pixel classifier (ilastik's set, computed with OpenCV).

For every colour channel (one channel when the image is gray or its three channels are
equal) and every scale ``sigma`` in ``sigmas``:

- Gaussian smoothing ``G``;
- Laplacian of Gaussian (scale-normalised: ``sigma**2 * (Gxx + Gyy)``);
- gradient magnitude of ``G`` (scale-normalised: ``sigma * |grad G|``);
- the two eigenvalues of the structure tensor (gradient outer products of ``G`` smoothed at
  ``sigma``), larger first;
- the two eigenvalues of the Hessian of ``G`` (scale-normalised), larger first;
- the difference of Gaussians ``G(sigma) - G(2 sigma)``;

plus the channel itself. With the default four scales that is 33 features per channel.
Values are computed in float32 on the image scaled to 0-1 (uint8 / 255, uint16 / 65535,
float as given), so one classifier applies to every image of a folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from labeldesk.algorithms._validate import check_image

SIGMAS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
PER_SCALE = ("gauss", "log", "gradient", "st_1", "st_2", "hess_1", "hess_2", "dog")


def image_channels(image: Any, channels: int | None = None) -> list[np.ndarray]:
    """``image`` as a list of ``(H, W)`` float32 planes scaled to 0-1; one plane when the
    image is gray or its colour channels are all equal. Alpha is dropped. ``channels`` forces
    the count: 1 (the mean of the colour channels) or 3 (a gray image repeated).

    Raises:
        ValueError: ``image`` is not an ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` image.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    arr = check_image(arr)
    if arr.dtype == np.uint8:
        scale = 1.0 / 255.0
    elif arr.dtype == np.uint16:
        scale = 1.0 / 65535.0
    else:
        scale = 1.0
    if channels not in (None, 1, 3):
        raise ValueError(f"channels must be None, 1 or 3, got {channels!r}")
    if channels == 1 and arr.ndim == 3:
        return [arr.astype(np.float32).mean(axis=2) * np.float32(scale)]
    if channels == 3 and arr.ndim == 2:
        plane = np.ascontiguousarray(arr, dtype=np.float32) * np.float32(scale)
        return [plane, plane, plane]
    if channels == 3:
        planes = [arr[:, :, c] for c in range(3)]
    elif arr.ndim == 3:
        if np.array_equal(arr[:, :, 0], arr[:, :, 1]) and np.array_equal(
            arr[:, :, 0], arr[:, :, 2]
        ):
            planes = [arr[:, :, 0]]
        else:
            planes = [arr[:, :, c] for c in range(arr.shape[2])]
    else:
        planes = [arr]
    return [np.ascontiguousarray(p, dtype=np.float32) * np.float32(scale) for p in planes]


def feature_names(channels: int, sigmas: Sequence[float] = SIGMAS) -> list[str]:
    """Names of the features :func:`pixel_features` returns, in order."""
    names = []
    for c in range(channels):
        names.append(f"c{c}")
        for s in sigmas:
            names += [f"c{c}_{kind}_{s:g}" for kind in PER_SCALE]
    return names


def _blur(plane: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(
        plane, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT
    )


def _eigen(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (larger, smaller) of the symmetric 2x2 matrices ``[[a, b], [b, c]]``."""
    half_trace = (a + c) * 0.5
    root = cv2.sqrt(((a - c) * 0.5) ** 2 + b * b)
    return half_trace + root, half_trace - root


def _scale_features(plane: np.ndarray, g: np.ndarray, g2: np.ndarray, s: float) -> list[np.ndarray]:
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3, scale=0.125, borderType=cv2.BORDER_REFLECT)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3, scale=0.125, borderType=cv2.BORDER_REFLECT)
    gxx = cv2.Sobel(g, cv2.CV_32F, 2, 0, ksize=3, scale=0.25, borderType=cv2.BORDER_REFLECT)
    gyy = cv2.Sobel(g, cv2.CV_32F, 0, 2, ksize=3, scale=0.25, borderType=cv2.BORDER_REFLECT)
    gxy = cv2.Sobel(g, cv2.CV_32F, 1, 1, ksize=3, scale=0.25, borderType=cv2.BORDER_REFLECT)
    s2 = np.float32(s * s)
    log = (gxx + gyy) * s2
    grad = cv2.magnitude(gx, gy) * np.float32(s)
    jxx, jxy, jyy = _blur(gx * gx, s), _blur(gx * gy, s), _blur(gy * gy, s)
    st1, st2 = _eigen(jxx * s2, jxy * s2, jyy * s2)
    h1, h2 = _eigen(gxx * s2, gxy * s2, gyy * s2)
    return [g, log, grad, st1, st2, h1, h2, g - g2]


def pixel_features(
    image: Any, *, sigmas: Sequence[float] = SIGMAS, channels: int | None = None
) -> np.ndarray:
    """``(H, W, F)`` float32 features of ``image`` (see the module docstring for the list and
    :func:`feature_names` for their order). ``sigmas``: the scales, in pixels, each > 0;
    ``channels``: see :func:`image_channels`.

    Raises:
        ValueError: a bad ``image`` or ``sigmas``.
    """
    scales = [float(s) for s in sigmas]
    if not scales or any(not np.isfinite(s) or s <= 0 for s in scales):
        raise ValueError(f"sigmas must be one or more positive numbers, got {list(sigmas)}")
    planes = image_channels(image, channels)
    h, w = planes[0].shape
    count = len(planes) * (1 + len(PER_SCALE) * len(scales))
    out = np.empty((h, w, count), np.float32)
    k = 0
    for plane in planes:
        out[:, :, k] = plane
        k += 1
        blurred = {s: _blur(plane, s) for s in sorted(set(scales) | {2 * s for s in scales})}
        for s in scales:
            for f in _scale_features(plane, blurred[s], blurred[2 * s], s):
                out[:, :, k] = f
                k += 1
    return out
