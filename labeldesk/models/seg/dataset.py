"""Training samples: checking them, a held-out split, and random training crops.

Torch-free (numpy + OpenCV). A sample is an image with its label map:

- ``image``: ``(H, W, 3)`` uint8 RGB, or ``(H, W)`` gray, ``(H, W, 1)`` or ``(H, W, 4)``
  (alpha dropped); uint16 images are scaled to 8 bits. Everything becomes ``(H, W, 3)`` uint8
  RGB and each conversion is reported as a note.
- ``label``: ``(H, W)`` integer map indexed ``[y, x]``: 0 = background, ``i`` = class
  ``class_names[i - 1]``, 255 = ignore (not counted in the loss or the metrics).
- ``instances`` (optional): ``(H, W)`` int instance ids (0 = none); used only to draw the
  boundary target that lets a boundary channel split touching objects of one class.

Images of different sizes are fine: training uses random square crops (smaller images are
padded with "ignore"), validation and prediction run on whole images, tiled when large.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labeldesk.algorithms.imaging import to_uint8
from labeldesk.core.errors import ModelError
from labeldesk.models.seg.augment import augment_crop
from labeldesk.models.seg.config import AugmentConfig

IGNORE = 255


class TrainingDataError(ModelError):
    """The labeled images cannot train a model (too few, nothing to learn, bad label maps)."""


@dataclass
class Sample:
    """One training image: ``image`` (H, W, 3) uint8 RGB, ``label`` (H, W) uint8, optional
    ``instances`` (H, W) int32, and a ``name`` used in messages (a file name, say)."""

    image: np.ndarray
    label: np.ndarray
    instances: np.ndarray | None = None
    name: str = ""


def as_rgb(image: Any, *, what: str = "image") -> tuple[np.ndarray, str | None]:
    """Return ``(image as (H, W, 3) uint8 RGB, note or None)``; a note says what was converted.

    Raises:
        TrainingDataError: the array is not an image (wrong rank, channels or dtype).
    """
    arr = np.asarray(image)
    note = None
    if arr.dtype == np.uint16:
        arr = to_uint8(arr, "full", keep_alpha=True)  # one rule for 8 bits: algorithms.imaging
        note = "16-bit, scaled to 8 bits"
    elif arr.dtype == bool or arr.dtype.kind == "f" or arr.dtype != np.uint8:
        raise TrainingDataError(
            f"{what}: expected a uint8 (or uint16) image, got dtype {arr.dtype}"
        )
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
        note = "gray, converted to RGB" if note is None else note + "; gray, converted to RGB"
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
        note = "alpha channel dropped" if note is None else note + "; alpha channel dropped"
    elif not (arr.ndim == 3 and arr.shape[2] == 3):
        raise TrainingDataError(
            f"{what}: expected an (H, W) gray or (H, W, 3) RGB image, got shape {arr.shape}"
        )
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise TrainingDataError(f"{what}: image is empty (shape {arr.shape})")
    return np.ascontiguousarray(arr), note


def prepare_samples(
    samples: Sequence[Any], class_names: Sequence[str]
) -> tuple[list[Sample], list[str]]:
    """Check and normalise ``samples`` (``Sample`` or ``(image, label[, instances])`` tuples).

    Returns ``(samples, notes)``: images as (H, W, 3) uint8 RGB, labels (H, W) uint8; images
    whose label map is all "ignore" are dropped. ``notes`` are sentences for the user.

    Raises:
        TrainingDataError: a label map of the wrong shape or with values outside
            ``0..len(class_names)`` and 255, naming the sample.
    """
    k = len(class_names)
    if k == 0:
        raise TrainingDataError("there are no classes to learn: add at least one class")
    out: list[Sample] = []
    notes: list[str] = []
    converted: dict[str, int] = {}
    dropped = 0
    for i, s in enumerate(samples):
        if isinstance(s, Sample):
            image, label, instances, name = s.image, s.label, s.instances, s.name
        elif isinstance(s, (tuple, list)) and len(s) in (2, 3):
            image, label = s[0], s[1]
            instances = s[2] if len(s) == 3 else None
            name = ""
        else:
            raise TrainingDataError(
                f"sample {i}: expected (image, label) or a Sample, got {type(s).__name__}"
            )
        what = f"sample {i}" + (f" ({name})" if name else "")
        rgb, note = as_rgb(image, what=what)
        if note:
            converted[note] = converted.get(note, 0) + 1
        lab = np.asarray(label)
        if lab.ndim != 2 or lab.shape != rgb.shape[:2]:
            raise TrainingDataError(
                f"{what}: label map shape {lab.shape} does not match image size {rgb.shape[:2]}"
            )
        if lab.dtype == bool:
            lab = lab.astype(np.uint8)
        if lab.dtype.kind not in "iu":
            raise TrainingDataError(f"{what}: label map must be integers, got dtype {lab.dtype}")
        values = np.unique(lab)
        bad = [int(v) for v in values if not (0 <= v <= k or v == IGNORE)]
        if bad:
            raise TrainingDataError(
                f"{what}: label values {bad[:5]} are not background (0), one of the "
                f"{k} classes (1..{k}) or ignore (255)"
            )
        lab = lab.astype(np.uint8)
        if np.all(lab == IGNORE):
            dropped += 1
            continue
        ins = None
        if instances is not None:
            ins = np.asarray(instances)
            if ins.shape != lab.shape:
                raise TrainingDataError(
                    f"{what}: instance map shape {ins.shape} != label shape {lab.shape}"
                )
            ins = ins.astype(np.int32)
        out.append(Sample(rgb, lab, ins, name or f"sample {i}"))
    for note, count in converted.items():
        notes.append(f"{count} image(s) {note}")
    if dropped:
        notes.append(f"{dropped} image(s) with no labeled pixels were skipped")
    sizes = {s.image.shape[:2] for s in out}
    if len(sizes) > 1:
        hs = [h for h, _ in sizes]
        ws = [w for _, w in sizes]
        notes.append(
            f"images have {len(sizes)} different sizes (from {min(ws)}x{min(hs)} to "
            f"{max(ws)}x{max(hs)}); training uses random crops, so that is fine"
        )
    return out, notes


def check_trainable(
    samples: Sequence[Sample], class_names: Sequence[str], *, min_images: int = 2
) -> list[str]:
    """Refuse data that cannot train a model; return notes about classes never labeled.

    Raises:
        TrainingDataError: no classes, fewer than ``min_images`` labeled images, or only one
            value (all background, or all one class) among the labeled pixels.
    """
    if not class_names:
        raise TrainingDataError("there are no classes to learn: add at least one class")
    if len(samples) < min_images:
        raise TrainingDataError(
            f"training needs at least {min_images} labeled images (one is held out to "
            f"measure the model); found {len(samples)}"
        )
    counts = np.zeros(256, dtype=np.int64)
    for s in samples:
        counts += np.bincount(s.label.ravel(), minlength=256)
    counts[IGNORE] = 0
    present = np.flatnonzero(counts[: len(class_names) + 1])
    if len(present) == 1 and present[0] == 0:
        raise TrainingDataError(
            f"the {len(samples)} labeled images contain only background: label some objects "
            f"of {', '.join(repr(c) for c in class_names)} first"
        )
    if len(present) == 1:
        name = class_names[present[0] - 1]
        raise TrainingDataError(
            f"every labeled pixel in the {len(samples)} images is {name!r}: there is no "
            "background or second class to tell it apart from; leave background unlabeled"
        )
    missing = [c for i, c in enumerate(class_names, start=1) if counts[i] == 0]
    if missing:
        return [
            f"class(es) {', '.join(repr(c) for c in missing)} have no labeled pixels; the "
            "model will not learn to predict them"
        ]
    return []


def split_samples(
    samples: Sequence[Sample], val_fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Deterministic held-out split: ``(train_indices, val_indices)``, each non-empty.

    At least one image is held out. When the random pick holds out only background images,
    one of them is swapped for a training image with objects, so validation measures
    something.
    """
    n = len(samples)
    if n < 2:
        raise TrainingDataError(f"a held-out split needs at least 2 images, got {n}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_val = min(n - 1, max(1, round(n * val_fraction)))
    val, train = list(order[:n_val]), list(order[n_val:])

    def has_fg(i: int) -> bool:
        lab = samples[i].label
        return bool(np.any((lab != 0) & (lab != IGNORE)))

    if not any(has_fg(i) for i in val):
        donors = [i for i in train if has_fg(i)]
        if len(donors) > 1:
            train.remove(donors[0])
            train.append(val[0])
            val[0] = donors[0]
    return sorted(int(i) for i in train), sorted(int(i) for i in val)


def boundary_target(label: np.ndarray, instances: np.ndarray | None) -> np.ndarray:
    """Boundary map ``(H, W)`` uint8: 1 on pixels next to a different object (or background),
    0 elsewhere, 255 near ignored pixels. Objects are ``instances`` when given, else classes."""
    import cv2

    ids = (instances if instances is not None else label).astype(np.float32)
    ids = np.where(label == IGNORE, -1.0, ids).astype(np.float32)
    kernel = np.ones((3, 3), np.uint8)
    edge = cv2.dilate(ids, kernel) != cv2.erode(ids, kernel)
    fg = (label != 0) & (label != IGNORE)
    out = (edge & fg).astype(np.uint8)
    near_ignore = cv2.dilate((label == IGNORE).astype(np.uint8), kernel) > 0
    out[near_ignore] = IGNORE
    return out


class CropDataset:
    """Random augmented square crops from training samples, reproducible from ``seed``.

    Large images are drawn more often (weight = number of crops needed to tile them), so every
    part of a big image is seen; images smaller than a crop are padded with "ignore".
    """

    def __init__(
        self,
        samples: Sequence[Sample],
        crop_size: int,
        augment: AugmentConfig,
        *,
        seed: int,
        boundary: bool = False,
    ) -> None:
        if not samples:
            raise TrainingDataError("no training images")
        self.samples = list(samples)
        self.crop_size = int(crop_size)
        self.augment = augment
        self.boundary = boundary
        self.rng = np.random.default_rng(seed)
        area = np.array([s.label.size for s in self.samples], dtype=np.float64)
        self.weights = np.maximum(1.0, area / float(crop_size) ** 2)
        self.prob = self.weights / self.weights.sum()
        self.fg_points = [_foreground_points(s.label, self.rng) for s in self.samples]

    def crops_per_epoch(self) -> int:
        """Crops that cover every training image about once."""
        return int(np.ceil(self.weights.sum()))

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``n`` crops: images ``(n, S, S, 3)`` uint8, labels ``(n, S, S)`` uint8 and boundary
        targets ``(n, S, S)`` uint8 (0, 1, 255 = ignore) or None when not asked for."""
        s = self.crop_size
        images = np.empty((n, s, s, 3), np.uint8)
        labels = np.empty((n, s, s), np.uint8)
        bounds = np.empty((n, s, s), np.uint8) if self.boundary else None
        for j in range(n):
            i = int(self.rng.choice(len(self.samples), p=self.prob))
            sample = self.samples[i]
            centre = None
            pts = self.fg_points[i]
            if len(pts) and self.rng.random() < self.augment.foreground_crop:
                y, x = pts[self.rng.integers(len(pts))]
                centre = (float(x), float(y))
            img, lab, ins = augment_crop(
                sample.image,
                sample.label,
                sample.instances,
                s,
                self.rng,
                self.augment,
                centre=centre,
            )
            images[j], labels[j] = img, lab
            if bounds is not None:
                bounds[j] = boundary_target(lab, ins)
        return images, labels, bounds


def _foreground_points(
    label: np.ndarray, rng: np.random.Generator, per_class: int = 512
) -> np.ndarray:
    """Up to ``per_class`` random ``(y, x)`` pixels of each labeled class (class-balanced)."""
    pts = []
    for v in np.unique(label):
        if v == 0 or v == IGNORE:
            continue
        ys, xs = np.nonzero(label == v)
        pick = rng.choice(len(ys), size=min(per_class, len(ys)), replace=False)
        pts.append(np.stack([ys[pick], xs[pick]], axis=1))
    return np.concatenate(pts) if pts else np.zeros((0, 2), np.int64)
