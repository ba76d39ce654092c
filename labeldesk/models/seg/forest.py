"""The instant pixel classifier: a random forest over multi-scale pixel features.

Torch-free (numpy, OpenCV, scikit-learn). Features are
:func:`labeldesk.algorithms.pixel_features.pixel_features` (Gaussian, LoG, gradient,
structure-tensor and Hessian eigenvalues, DoG at four scales, per colour channel); the
forest is scikit-learn's ``RandomForestClassifier`` (OpenCV 5 no longer ships ``cv2.ml``),
fitted on a class-balanced sample of the labeled pixels.

On disk a forest is, like a network, two files side by side:

- ``NAME.json``: the sidecar of :mod:`.model` (``"format": "labeldesk-seg"``) with
  ``"architecture": {"arch": "forest", ...}`` and ``"weights": "NAME.npz"``;
- ``NAME.npz``: the trees' node arrays (children, split feature and threshold, class
  fractions per node), read with ``numpy.load(allow_pickle=False)`` and rebuilt into
  scikit-learn trees: no code is ever unpickled.

Prediction calls each tree's compiled ``predict`` (it releases the GIL) from a small thread
pool and averages the class fractions, as scikit-learn's forest does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.algorithms.pixel_features import SIGMAS, image_channels, pixel_features
from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import Cancelled

ARCH = "forest"
NODE_FIELDS = (
    "left_child",
    "right_child",
    "feature",
    "threshold",
    "impurity",
    "n_node_samples",
    "weighted_n_node_samples",
    "missing_go_to_left",
)
BAND = 256  # rows of features computed at a time when predicting a large image


@dataclass
class ForestSettings:
    """Forest hyper-parameters: ``trees``, ``depth`` (most levels), ``per_class`` (labeled
    pixels sampled per class), ``min_leaf`` (pixels per leaf), ``sigmas`` (feature scales)."""

    trees: int = 16
    depth: int = 10
    per_class: int = 5000
    min_leaf: int = 2
    sigmas: tuple[float, ...] = SIGMAS

    def to_dict(self) -> dict[str, Any]:
        return {
            "trees": self.trees,
            "depth": self.depth,
            "per_class": self.per_class,
            "min_leaf": self.min_leaf,
            "sigmas": list(self.sigmas),
        }


@dataclass(frozen=True)
class CpuDevice:
    """What ``model.device`` says for a forest (it always runs on the CPU)."""

    type: str = "cpu"


def usable_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def model_channels(images: Sequence[np.ndarray]) -> int:
    """1 when every image is gray (or has equal colour channels), else 3."""
    return 3 if any(len(image_channels(im)) > 1 for im in images) else 1


@dataclass
class ForestModel:
    """A fitted forest and what is needed to use it.

    Attributes:
        trees: scikit-learn ``Tree`` objects (``sklearn.tree._tree.Tree``).
        class_names: the K classes; label value ``i`` is ``class_names[i - 1]``, 0 background.
        values: the label values of the trees' output columns (classes seen in training).
        n_features: features per pixel; channels: 1 (gray) or 3 (RGB) input planes.
        settings: the :class:`ForestSettings` it was fitted with.
    """

    trees: list[Any]
    class_names: list[str]
    values: np.ndarray
    n_features: int
    channels: int
    settings: ForestSettings = field(default_factory=ForestSettings)
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    kind = ARCH

    @property
    def arch(self) -> dict[str, Any]:
        return {
            "arch": ARCH,
            "num_classes": len(self.class_names) + 1,
            "features": self.n_features,
            "channels": self.channels,
            **self.settings.to_dict(),
        }

    @property
    def device(self) -> CpuDevice:
        return CpuDevice()

    @property
    def has_boundary(self) -> bool:
        return False

    @property
    def stride(self) -> int:
        """Any image size works (the network's stride is 1 for a forest)."""
        return 1

    def to(self, device: Any) -> ForestModel:
        """Forests run on the CPU whatever ``device`` says; returns self."""
        return self

    def features(self, image: np.ndarray) -> np.ndarray:
        """``(H, W, F)`` float32 features of ``image`` as this forest expects them."""
        return pixel_features(image, sigmas=self.settings.sigmas, channels=self.channels)

    def proba_from_features(self, feats: np.ndarray, threads: int | None = None) -> np.ndarray:
        """``(K + 1, H, W)`` float32 class probabilities from ``(H, W, F)`` features."""
        h, w, f = feats.shape
        if f != self.n_features:
            raise ModelError(f"the forest expects {self.n_features} features per pixel, got {f}")
        x = np.ascontiguousarray(feats.reshape(-1, f), dtype=np.float32)
        k = len(self.class_names) + 1
        n = min(len(self.trees), threads or usable_threads())

        def run(part: list[Any]) -> np.ndarray:
            acc = np.zeros((x.shape[0], len(self.values)), np.float32)
            for tree in part:
                v = tree.predict(x)
                v = v[:, 0, :] if v.ndim == 3 else v
                acc += v / np.maximum(v.sum(axis=1, keepdims=True), 1e-12)
            return acc

        parts = [self.trees[i::n] for i in range(n)]
        if n > 1:
            with ThreadPoolExecutor(n) as pool:
                acc = np.sum(list(pool.map(run, parts)), axis=0)
        else:
            acc = run(parts[0])
        out = np.zeros((k, h * w), np.float32)
        out[self.values] = (acc / len(self.trees)).T
        return out.reshape(k, h, w)

    def predict_proba(self, image: np.ndarray) -> np.ndarray:
        """``(K + 1, H, W)`` float32 probabilities for ``image`` (computed in row bands)."""
        h = np.asarray(image).shape[0]
        if h <= 2 * BAND:
            return self.proba_from_features(self.features(image))
        margin = int(np.ceil(6 * max(self.settings.sigmas)))
        parts = []
        for y0 in range(0, h, BAND):
            a, b = max(0, y0 - margin), min(h, y0 + BAND + margin)
            feats = self.features(np.asarray(image)[a:b])
            parts.append(self.proba_from_features(feats)[:, y0 - a : y0 - a + min(BAND, h - y0)])
        return np.concatenate(parts, axis=1)

    def predict(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(labels (H, W) uint8, confidence (H, W) float32)``."""
        proba = self.predict_proba(image)
        return proba.argmax(axis=0).astype(np.uint8), proba.max(axis=0)


def fit_forest(
    x: np.ndarray,
    y: np.ndarray,
    settings: ForestSettings,
    *,
    seed: int = 0,
    threads: int | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[list[Any], np.ndarray]:
    """Fit on ``x`` (N, F) float32 and ``y`` (N,) label values; ``(trees, values)``.

    With ``cancel``, the trees are grown a few at a time (scikit-learn's ``warm_start``; the
    same trees as in one go) and ``cancel()`` is asked before each batch: when it says True,
    :class:`~labeldesk.core.jobs.Cancelled` is raised, so a running fit stops within one
    batch (one tree per thread).
    """
    from sklearn.ensemble import RandomForestClassifier

    n_jobs = threads or usable_threads()
    forest = RandomForestClassifier(
        n_estimators=settings.trees,
        max_depth=settings.depth,
        min_samples_leaf=settings.min_leaf,
        max_features="sqrt",
        n_jobs=n_jobs,
        random_state=seed,
        warm_start=cancel is not None,
    )
    if cancel is None:
        forest.fit(x, y)
    else:
        grown = 0
        while grown < settings.trees:
            if cancel():
                raise Cancelled
            grown = min(settings.trees, grown + n_jobs)
            forest.set_params(n_estimators=grown)
            forest.fit(x, y)
    return [e.tree_ for e in forest.estimators_], np.asarray(forest.classes_, np.int64)


# -- files -----------------------------------------------------------------------------------------
def save_forest(model: ForestModel, path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``NAME.npz`` + ``NAME.json`` for a path to either (or ``NAME.pt``); returns
    ``(weights, sidecar)``. Both are written atomically."""
    from labeldesk.models.seg.model import FORMAT, FORMAT_VERSION, _atomic_write, model_paths

    pt, sidecar = model_paths(path)
    weights = pt.with_suffix(".npz")
    states = [t.__getstate__() for t in model.trees]
    arrays: dict[str, np.ndarray] = {
        "node_counts": np.array([s["node_count"] for s in states], np.int64),
        "max_depths": np.array([s["max_depth"] for s in states], np.int64),
        "values_seen": model.values.astype(np.int64),
        "class_values": np.concatenate([s["values"][:, 0, :] for s in states]).astype(np.float64),
    }
    for name in NODE_FIELDS:
        arrays[name] = np.concatenate([s["nodes"][name] for s in states])

    def write_npz(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)  # type: ignore[arg-type]

    _atomic_write(weights, write_npz)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "weights": weights.name,
        "classes": list(model.class_names),
        "architecture": model.arch,
        "training": model.training,
        "metrics": model.metrics,
    }
    text = json.dumps(meta, indent=2, allow_nan=False)

    def write_json(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text + "\n")

    _atomic_write(sidecar, write_json)
    return weights, sidecar


def _rebuild_trees(data: Any, n_features: int, weights: Path) -> list[Any]:
    from sklearn.tree._tree import NODE_DTYPE, Tree

    counts = data["node_counts"]
    values_all = data["class_values"]
    n_cls = values_all.shape[1]
    trees, start = [], 0
    for t, count in enumerate(counts):
        count = int(count)
        nodes = np.zeros(count, dtype=NODE_DTYPE)
        for name in nodes.dtype.names or ():
            if name in data.files:
                nodes[name] = data[name][start : start + count]
        tree = Tree(n_features, np.array([n_cls], dtype=np.intp), 1)
        tree.__setstate__(
            {
                "max_depth": int(data["max_depths"][t]),
                "node_count": count,
                "nodes": nodes,
                "values": np.ascontiguousarray(values_all[start : start + count, None, :]),
            }
        )
        trees.append(tree)
        start += count
    if start != len(data["left_child"]):
        raise ModelError(f"{weights}: node counts do not add up to the stored nodes")
    return trees


def load_forest(
    sidecar: Path, meta: dict[str, Any], names: list[str], arch: dict[str, Any]
) -> ForestModel:
    """Rebuild the forest a sidecar describes (called by :func:`.model.load_model`).

    Raises:
        ModelError: the weights file is missing, unreadable or does not fit the sidecar.
    """
    weights = sidecar.parent / str(meta.get("weights") or sidecar.with_suffix(".npz").name)
    if not weights.is_file():
        raise ModelError(f"{weights}: forest weights file not found")
    try:
        n_features, channels = int(arch["features"]), int(arch.get("channels", 3))
        settings = ForestSettings(
            trees=int(arch.get("trees", 0)),
            depth=int(arch.get("depth", 0)),
            per_class=int(arch.get("per_class", 0)),
            min_leaf=int(arch.get("min_leaf", 1)),
            sigmas=tuple(float(s) for s in arch.get("sigmas", SIGMAS)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{sidecar}: bad forest architecture ({exc})") from exc
    try:
        with np.load(weights, allow_pickle=False) as data:
            trees = _rebuild_trees(data, n_features, weights)
            values = data["values_seen"].astype(np.int64)
    except ModelError:
        raise
    except Exception as exc:  # zip, key and value errors of a damaged file
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ModelError(f"{weights}: not a readable forest file ({reason})") from exc
    if not trees or len(values) == 0 or values.max() > len(names):
        raise ModelError(f"{weights}: the forest does not fit the {len(names)} classes listed")
    return ForestModel(
        trees,
        names,
        values,
        n_features,
        channels,
        settings,
        training=dict(meta.get("training") or {}),
        metrics=dict(meta.get("metrics") or {}),
    )
