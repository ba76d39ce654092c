"""Training the pixel classifier (:mod:`.forest`) from whatever has been drawn.

Torch-free. Two kinds of labeled image, told apart per image:

- **dense** (no shape labeled ``_background_`` or ``background``): every pixel is labeled,
  as for the network: shapes are their classes, the rest is background;
- **sparse** (brush strokes): the image has background strokes, so only pixels under a
  shape count; the rest is unknown (255) and is left out of training and of the metrics.

Shapes are rasterized as the VOC export draws them (mask shapes = brush strokes, polygons,
rectangles...); ``__ignore__`` shapes are unknown too; machine-made shapes
(:mod:`labeldesk.core.machine`) are left out unless ``include_machine``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.machine import is_machine
from labeldesk.core.shapes import Shape
from labeldesk.models.seg.dataset import IGNORE, Sample, TrainingDataError, split_samples
from labeldesk.models.seg.forest import ForestModel, ForestSettings, fit_forest
from labeldesk.models.seg.instances import Instance
from labeldesk.models.seg.metrics import confusion, summarize

BACKGROUND_LABELS = ("_background_", "background")
Progress = Callable[[float, str], None]


def is_background(label: str) -> bool:
    return label.strip().lower() in BACKGROUND_LABELS


def labels_from_shapes(
    shapes: Sequence[Shape],
    size: tuple[int, int],
    class_names: Sequence[str],
    *,
    include_machine: bool = False,
) -> np.ndarray:
    """``(H, W)`` uint8 label map of ``shapes``: ``i`` = ``class_names[i - 1]``, 0 =
    background, 255 = unknown (sparse images; see the module docstring)."""
    from labeldesk.io.export.labels import LabelSet
    from labeldesk.io.export.raster import rasterize

    names = [str(c) for c in class_names]
    bg_value = len(names) + 1
    used = [s for s in shapes if include_machine or not is_machine(s)]
    bg_names = sorted({s.label for s in used if is_background(s.label)} - set(names))
    values = ("", *names, *([f"\0bg{i}" for i in range(len(bg_names))]))
    labels = LabelSet(values, has_ignore=True)
    renamed = []
    for s in used:
        if s.label in bg_names:
            s = s.copy()
            s.label = f"\0bg{bg_names.index(s.label)}"
        renamed.append(s)
    raster = rasterize(renamed, size, labels)
    cls = raster.cls
    if bg_names:
        out = np.full(cls.shape, IGNORE, np.uint8)
        covered = raster.ins > 0
        out[covered] = np.where(cls[covered] >= bg_value, 0, cls[covered])
    else:
        out = np.where(cls < 0, IGNORE, cls).astype(np.uint8)
    return out


def samples_from_folder(
    folder: str | Path, class_names: Sequence[str], *, include_machine: bool = False
) -> tuple[list[Sample], list[str]]:
    """Every labeled image of ``folder`` as a :class:`.dataset.Sample` (image as the app
    shows it, ``(H, W, 3)`` uint8); returns ``(samples, notes)`` like
    :func:`.folder.samples_from_folder`."""
    import base64

    from labeldesk.io.images import load_image, to_rgb8
    from labeldesk.io.labelme import read_labelme

    root = Path(folder)
    if not root.is_dir():
        raise TrainingDataError(f"{root}: not a folder")
    samples: list[Sample] = []
    notes: list[str] = []
    for path in sorted(root.glob("*.json"), key=lambda p: p.name.lower()):
        try:
            doc = read_labelme(path)
            if not doc.shapes:
                continue
            if doc.image_data is not None:
                raw = load_image(base64.b64decode(doc.image_data), name=f"{path.name} (imageData)")
            else:
                image_file = doc.image_file()
                if image_file is None:
                    raise TrainingDataError(f"{path}: names no image")
                raw = load_image(image_file)
        except (LabeldeskError, ValueError) as exc:
            notes.append(f"skipped {path.name}: {exc}")
            continue
        image = to_rgb8(raw)
        label = labels_from_shapes(
            doc.shapes, image.shape[:2], class_names, include_machine=include_machine
        )
        if not (label != IGNORE).any() or not ((label > 0) & (label != IGNORE)).any():
            notes.append(f"skipped {path.name}: no pixels of a project class")
            continue
        samples.append(Sample(image, label, None, path.name))
    return samples, notes


def sample_pixels(
    feats: Sequence[np.ndarray], labels: Sequence[np.ndarray], per_class: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """A class-balanced sample of the labeled pixels: ``(x (N, F) float32, y (N,) int64)``.

    Pixels right on the edge between two classes are drawn less often (they are the least
    certain); every labeled pixel counts when a class has fewer than ``per_class``."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    classes = np.unique(np.concatenate([lab[lab != IGNORE] for lab in labels]))
    for c in classes:
        where = [np.flatnonzero(lab.ravel() == c) for lab in labels]
        total = sum(len(w) for w in where)
        take = min(per_class, total)
        for f, w in zip(feats, where, strict=True):
            n = int(round(take * len(w) / total)) if total else 0
            if n == 0:
                continue
            pick = w if n >= len(w) else rng.choice(w, n, replace=False)
            xs.append(f.reshape(-1, f.shape[2])[pick])
            ys.append(np.full(len(pick), c, np.int64))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


@dataclass
class ForestResult:
    """What :func:`train_forest` returns: the model, held-out ``metrics`` (empty without a
    held-out image), ``seconds``, ``notes`` and the split."""

    model: ForestModel
    metrics: dict[str, Any]
    seconds: float
    notes: list[str] = field(default_factory=list)
    train_names: list[str] = field(default_factory=list)
    val_names: list[str] = field(default_factory=list)


def train_forest(
    samples: Sequence[Sample],
    class_names: Sequence[str],
    settings: ForestSettings | None = None,
    *,
    seed: int = 0,
    hold_out: bool = True,
    val_fraction: float = 0.2,
    progress: Progress | None = None,
) -> ForestResult:
    """Fit a forest on ``samples`` (labels 0..K, 255 unknown).

    With ``hold_out`` and at least two images, some images are held out: the forest is
    fitted on the others and scored on them (``metrics``), then fitted again on all images
    (that is the one returned). Takes seconds.

    Raises:
        TrainingDataError: no labeled pixels, or only one class drawn.
    """
    from labeldesk.models.seg.forest import model_channels

    cfg = settings or ForestSettings()
    names = [str(c) for c in class_names]
    report = progress or (lambda f, t: None)
    start = time.perf_counter()
    if not samples:
        raise TrainingDataError("nothing to learn from: draw some strokes or shapes first")
    channels = model_channels([s.image for s in samples])
    report(0.0, "computing pixel features")
    from labeldesk.algorithms.pixel_features import pixel_features

    feats = [pixel_features(s.image, sigmas=cfg.sigmas, channels=channels) for s in samples]
    labels = [s.label for s in samples]
    seen = np.unique(np.concatenate([lab[lab != IGNORE] for lab in labels]))
    if len(seen) < 2:
        raise TrainingDataError(
            "the classifier needs at least two classes drawn (e.g. objects and background); "
            f"found only {[(['background', *names])[int(v)] for v in seen]}"
        )
    notes = []
    metrics: dict[str, Any] = {}
    train_idx, val_idx = list(range(len(samples))), list[int]()
    if hold_out and len(samples) >= 2:
        train_idx, val_idx = split_samples(list(samples), val_fraction, seed)
        report(0.2, f"fitting on {len(train_idx)} image(s) to score {len(val_idx)} held out")
        x, y = sample_pixels(
            [feats[i] for i in train_idx], [labels[i] for i in train_idx], cfg.per_class, seed
        )
        if len(np.unique(y)) >= 2:
            trees, values = fit_forest(x, y, cfg, seed=seed)
            probe = ForestModel(trees, names, values, feats[0].shape[2], channels, cfg)
            k = len(names) + 1
            conf = np.zeros((k, k), np.int64)
            for i in val_idx:
                pred = probe.proba_from_features(feats[i]).argmax(axis=0)
                conf += confusion(pred, labels[i], k)
            metrics = summarize(conf, names)
            notes.append(f"held-out mean IoU {metrics['mean_iou']:.3f} on {len(val_idx)} image(s)")
    report(0.6, f"fitting on all {len(samples)} image(s)")
    x, y = sample_pixels(feats, labels, cfg.per_class, seed)
    trees, values = fit_forest(x, y, cfg, seed=seed)
    seconds = time.perf_counter() - start
    model = ForestModel(trees, names, values, feats[0].shape[2], channels, cfg)
    model.metrics = metrics
    model.training = {
        "seed": seed,
        "images": len(samples),
        "held_out_images": len(val_idx),
        "pixels": int(len(y)),
        "seconds": round(seconds, 2),
    }
    report(1.0, "done")
    return ForestResult(
        model,
        metrics,
        seconds,
        notes,
        [samples[i].name for i in train_idx],
        [samples[i].name for i in val_idx],
    )


def label_instances(
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    confidence: np.ndarray | None = None,
    min_area: int = 16,
) -> list[Instance]:
    """Objects per class of a label map (1..K): connected components, touching objects split
    by a distance-transform watershed (:func:`labeldesk.algorithms.split_objects`)."""
    from scipy import ndimage

    from labeldesk.algorithms.split_objects import split_objects

    h, w = labels.shape
    out: list[Instance] = []
    for value, name in enumerate(class_names, start=1):
        mask = labels == value
        if not mask.any():
            continue
        objects = split_objects(mask, min_area=min_area)
        for i, box in enumerate(ndimage.find_objects(objects), start=1):
            if box is None:
                continue
            crop = objects[box] == i
            area = int(crop.sum())
            score = float(confidence[box][crop].mean()) if confidence is not None else 1.0
            origin = (int(box[1].start), int(box[0].start))
            out.append(Instance(value, name, crop, origin, (h, w), score, area))
    return out


def forest_instances(
    model: ForestModel, image: np.ndarray, *, min_area: int = 16
) -> list[Instance]:
    """The objects the forest finds in ``image`` (see :func:`label_instances`)."""
    labels, confidence = model.predict(image)
    return label_instances(labels, model.class_names, confidence=confidence, min_area=min_area)
