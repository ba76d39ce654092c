"""The live pixel classifier (Qt-free, torch-free): strokes in, a class map out, in about a
second, for the app's "Live classifier" mode (``labeldesk.ui.training.live``).

One :class:`LiveClassifier` lives in a worker thread. :meth:`LiveClassifier.update` takes the
current image (with a key that changes when the image does), the shapes drawn on it and the
classes; images larger than :data:`WORK_SIDE` are classified scaled down to it (and the
result scaled back); it keeps the image's features between calls (the slow part, once per
image), fits a
small forest on the painted pixels (:mod:`.forest_train`: strokes are sparse labels; a class
named ``background`` or ``_background_`` is the background) and predicts a coarse class map
(every ``step``-th pixel, enlarged) for the overlay. :meth:`LiveClassifier.objects` predicts
at full resolution and turns the map into objects per class (connected components, touching
objects split by a distance-transform watershed), as shapes marked machine-made
(``"forest"``). :meth:`LiveClassifier.set_context` adds the folder's other labeled images
(polygons or strokes) to what it learns from.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from labeldesk.core.convert import shape_from_crop
from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import Cancelled
from labeldesk.core.machine import mark_machine
from labeldesk.core.shapes import Shape
from labeldesk.models.seg.forest import ForestModel, ForestSettings, fit_forest
from labeldesk.models.seg.forest_train import (
    IGNORE,
    is_background,
    label_instances,
    labels_from_shapes,
    sample_pixels,
)

LIVE_SETTINGS = ForestSettings(trees=16, depth=10, per_class=3000)
WORK_SIDE = 512  # larger images are classified at this size (features cost 4x less at 1024)
PREVIEW_PIXELS = 100_000  # the overlay is predicted on about this many pixels
# Training pixels per fit, all classes together: with many classes each gets fewer than
# ``per_class`` (at least MIN_PER_CLASS), from the strokes and from the folder's other
# images alike, so a fit stays short (20 classes: 3000 -> 1000 per class).
MAX_PIXELS: int | None = 20_000
MIN_PER_CLASS = 300


@dataclass
class LivePrediction:
    """``labels`` ``(H, W)`` uint8 (0 background or unpainted class, ``i`` =
    ``class_names[i - 1]``), the classes, and the seconds each part took."""

    labels: np.ndarray
    class_names: list[str]
    features_seconds: float
    fit_seconds: float
    predict_seconds: float


def stroke_classes(shapes: Sequence[Shape]) -> list[str]:
    """The object classes painted (labels of the shapes, background names left out), sorted."""
    return sorted({s.label for s in shapes if s.label.strip() and not is_background(s.label)})


class LiveClassifier:
    """See the module docstring. Not thread-safe: one owner thread."""

    def __init__(self, settings: ForestSettings = LIVE_SETTINGS) -> None:
        self.settings = settings
        self._key: str | None = None
        self._features: np.ndarray | None = None
        self._channels = 1
        self.model: ForestModel | None = None
        self._context: list[tuple[np.ndarray, np.ndarray]] = []
        self._context_names: list[str] = []
        self._context_xy: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # each context image's sampled pixels, kept across set_context calls (the next image
        # opened has mostly the same other images): (digest, channels) -> (x, y)
        self._image_xy: dict[tuple[bytes, int], tuple[np.ndarray, np.ndarray]] = {}

    def set_context(self, samples: Sequence[Any], class_names: Sequence[str]) -> None:
        """The folder's other labeled images (:class:`.dataset.Sample`, labels ``i`` =
        ``class_names[i - 1]``, 255 unknown): their labeled pixels join the strokes' at every
        fit (sampled once per image and kept while the image and its labels stay the same;
        features at the working size)."""
        self._context = [(s.image, s.label) for s in samples]
        self._context_names = [str(c) for c in class_names]
        self._context_xy = {}

    def _context_pixels(
        self, channels: int, cancel: Callable[[], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        if not self._context:
            return None
        if channels not in self._context_xy:
            from labeldesk.algorithms.pixel_features import pixel_features

            kept: dict[tuple[bytes, int], tuple[np.ndarray, np.ndarray]] = {}
            for image, label in self._context:
                _check(cancel)
                key = (_digest(image, label), channels)
                if key in self._image_xy:
                    kept[key] = self._image_xy[key]
                    continue
                if not (label != IGNORE).any():
                    continue
                h, w = image.shape[:2]
                wh, ww = self.work_size(h, w)
                if (wh, ww) != (h, w):
                    image = cv2.resize(image, (ww, wh), interpolation=cv2.INTER_AREA)
                    label = cv2.resize(label, (ww, wh), interpolation=cv2.INTER_NEAREST)
                feats = pixel_features(image, sigmas=self.settings.sigmas, channels=channels)
                kept[key] = sample_pixels([feats], [label], self.settings.per_class, 0)
            self._image_xy = kept  # the images no longer in the context go
            if not kept:
                return None
            self._context_xy[channels] = (
                np.concatenate([x for x, _ in kept.values()]),
                np.concatenate([y for _, y in kept.values()]),
            )
        return self._context_xy[channels]

    def per_class(self, classes: int) -> int:
        """Training pixels per class (from the strokes, and again from the other images)
        when ``classes`` classes (background included) are learnt: ``per_class``, fewer
        when :data:`MAX_PIXELS` would be exceeded, never under :data:`MIN_PER_CLASS`."""
        per_class = self.settings.per_class
        if MAX_PIXELS is None or classes < 1:
            return per_class
        return min(per_class, max(MIN_PER_CLASS, MAX_PIXELS // classes))

    @staticmethod
    def work_size(h: int, w: int) -> tuple[int, int]:
        """``(h, w)`` the classifier works at for an image of ``(h, w)``."""
        scale = min(1.0, WORK_SIDE / max(h, w))
        return max(1, round(h * scale)), max(1, round(w * scale))

    def features(self, image: np.ndarray, key: str) -> tuple[np.ndarray, float]:
        """The image's features at the working size (cached for ``key``) and the seconds
        spent now."""
        if key == self._key and self._features is not None:
            return self._features, 0.0
        from labeldesk.algorithms.pixel_features import image_channels, pixel_features

        start = time.perf_counter()
        h, w = image.shape[:2]
        wh, ww = self.work_size(h, w)
        small = (
            image
            if (wh, ww) == (h, w)
            else cv2.resize(image, (ww, wh), interpolation=cv2.INTER_AREA)
        )
        self._channels = len(image_channels(small))
        self._features = pixel_features(small, sigmas=self.settings.sigmas)
        self._key = key
        return self._features, time.perf_counter() - start

    def fit(
        self,
        image: np.ndarray,
        key: str,
        shapes: Sequence[Shape],
        cancel: Callable[[], bool] | None = None,
    ) -> tuple[float, float]:
        """Fit on the painted pixels; ``(features seconds, fit seconds)``.

        ``cancel()`` is asked between the steps (each context image's features, each batch
        of trees); when it says True the fit stops with
        :class:`~labeldesk.core.jobs.Cancelled`.

        Raises:
            ModelError: fewer than two classes painted (say which are missing).
        """
        names = sorted(set(stroke_classes(shapes)) | set(self._context_names))
        h, w = image.shape[:2]
        labels = labels_from_shapes(shapes, (h, w), names)
        wh, ww = self.work_size(h, w)
        if (wh, ww) != (h, w):
            labels = cv2.resize(labels, (ww, wh), interpolation=cv2.INTER_NEAREST)
        if not any(is_background(s.label) for s in shapes):
            labels = np.where(labels == 0, IGNORE, labels).astype(np.uint8)  # strokes only
        painted = np.unique(labels[labels != IGNORE])
        feats, f_seconds = self.features(image, key)
        context = self._context_pixels(self._channels, cancel)
        if context is not None:
            lut = np.array(
                [0] + [names.index(n) + 1 for n in self._context_names] + [0] * 256, np.int64
            )
            painted = np.union1d(painted, np.unique(lut[context[1]]))
        if len(painted) < 2:
            have = ", ".join(["background", *names][int(v)] for v in painted) or "nothing"
            raise ModelError(
                "Live classifier: paint strokes of at least two classes (e.g. the objects "
                f"and 'background'); so far: {have}"
            )
        start = time.perf_counter()
        cap = self.per_class(len(painted))
        if (labels != IGNORE).any():
            x, y = sample_pixels([feats], [labels], cap, 0)
        else:
            x, y = np.zeros((0, feats.shape[2]), np.float32), np.zeros(0, np.int64)
        if context is not None:
            cx, cy = _at_most(context[0], lut[context[1]], cap)
            x = np.concatenate([x, cx])
            y = np.concatenate([y, cy])
        _check(cancel)
        trees, values = fit_forest(x, y, self.settings, seed=0, cancel=cancel)
        self.model = ForestModel(
            trees, names, values, feats.shape[2], self._channels, self.settings
        )
        return f_seconds, time.perf_counter() - start

    def update(
        self,
        image: np.ndarray,
        key: str,
        shapes: Sequence[Shape],
        cancel: Callable[[], bool] | None = None,
    ) -> LivePrediction:
        """Fit on ``shapes`` and predict the overlay's class map (coarse, full size);
        ``cancel`` as in :meth:`fit`."""
        f_seconds, fit_seconds = self.fit(image, key, shapes, cancel)
        assert self.model is not None and self._features is not None
        start = time.perf_counter()
        h, w = image.shape[:2]
        fh, fw = self._features.shape[:2]
        step = max(1, int(np.ceil(np.sqrt(fh * fw / PREVIEW_PIXELS))))
        coarse = self.model.proba_from_features(self._features[::step, ::step])
        labels = coarse.argmax(axis=0).astype(np.uint8)
        if labels.shape != (h, w):
            labels = cv2.resize(labels, (w, h), interpolation=cv2.INTER_NEAREST)
        return LivePrediction(
            labels, list(self.model.class_names), f_seconds, fit_seconds,
            time.perf_counter() - start,
        )  # fmt: skip

    def objects(
        self,
        image: np.ndarray,
        key: str,
        shapes: Sequence[Shape],
        *,
        min_area: int = 16,
        cancel: Callable[[], bool] | None = None,
    ) -> list[Shape]:
        """Fit, predict at full resolution and return the objects as shapes (machine-made,
        ``"forest"``), largest first; ``cancel`` as in :meth:`fit`."""
        self.fit(image, key, shapes, cancel)
        assert self.model is not None and self._features is not None
        proba = self.model.proba_from_features(self._features)
        h, w = image.shape[:2]
        if proba.shape[1:] != (h, w):  # back to full size, smoothly
            proba = np.stack([cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR) for p in proba])
        labels = proba.argmax(axis=0).astype(np.uint8)
        found = label_instances(labels, self.model.class_names, min_area=min_area)
        found.sort(key=lambda inst: -inst.area)
        out = []
        for inst in found:
            shape = shape_from_crop(inst.crop, inst.origin, inst.class_name)
            if shape is not None:
                out.append(mark_machine(shape, "forest"))
        return out


def _at_most(x: np.ndarray, y: np.ndarray, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``per_class`` rows of each class (a fixed random choice), in their order."""
    values, counts = np.unique(y, return_counts=True)
    if len(counts) == 0 or counts.max() <= per_class:
        return x, y
    rng = np.random.default_rng(0)
    keep = []
    for v, n in zip(values, counts, strict=True):
        where = np.flatnonzero(y == v)
        keep.append(where if n <= per_class else rng.choice(where, per_class, replace=False))
    idx = np.sort(np.concatenate(keep))
    return x[idx], y[idx]


def _digest(image: np.ndarray, label: np.ndarray) -> bytes:
    """A digest of an image and its label map (what a context image's pixels depend on)."""
    h = hashlib.blake2b(digest_size=16)
    for a in (image, label):
        h.update(repr((a.shape, a.dtype.str)).encode())
        h.update(np.ascontiguousarray(a).data)
    return h.digest()


def _check(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled


def overlay_rgba(
    labels: np.ndarray, colors: Sequence[tuple[int, int, int]], alpha: int = 96
) -> np.ndarray:
    """``(H, W, 4)`` uint8 RGBA: class ``i`` in ``colors[i - 1]`` at ``alpha``, 0 clear."""
    lut = np.zeros((256, 4), np.uint8)
    for i, (r, g, b) in enumerate(colors, start=1):
        lut[i] = (r, g, b, alpha)
    return lut[labels]
