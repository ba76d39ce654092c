"""Training samples from a project folder of labelme JSON files (torch-free).

Every ``*.json`` directly in the folder that labelme's format reads is one labeled image.
Its shapes are rasterized exactly as the VOC export draws them
(:func:`labeldesk.io.export.raster.rasterize`: labelme's Pillow drawing, shapes in file
order, later over earlier); shapes labeled ``__ignore__`` become 255 ("ignore"); shapes with
labels that are not project classes are left out and reported. Pixels no shape covers are
background. The image is the file ``imagePath`` names (or the embedded ``imageData``),
with its EXIF orientation applied and 16-bit / float images windowed to 8 bits as the app
shows them (:func:`labeldesk.io.images.to_rgb8`); feed prediction the same way.

All images are held in memory while training.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.machine import is_machine
from labeldesk.models.seg.dataset import IGNORE, Sample, TrainingDataError

IGNORE_LABEL = "__ignore__"


def samples_from_folder(
    folder: str | os.PathLike[str],
    class_names: Sequence[str],
    *,
    include_machine: bool = False,
) -> tuple[list[Sample], list[str]]:
    """Read every labeled image of ``folder``; returns ``(samples, notes)``.

    Machine-made shapes no person has reviewed yet (the ``"machine"`` mark of
    :mod:`labeldesk.core.machine`: prelabel, accepted auto-segment proposals) are left out
    unless ``include_machine``; a note says how many.

    ``samples`` hold ``image`` (H, W, 3) uint8 RGB, ``label`` (H, W) uint8 (0 background,
    ``i`` = ``class_names[i - 1]``, 255 ignore), ``instances`` (H, W) int32 and ``name`` (the
    JSON file name). Files without shapes, files that are not labelme JSON and images that
    cannot be read are skipped, each reported in ``notes``.

    Raises:
        TrainingDataError: ``folder`` is not a folder, or ``class_names`` is empty or has
            duplicates.
    """
    from labeldesk.io.export.labels import LabelSet
    from labeldesk.io.export.raster import rasterize
    from labeldesk.io.images import load_image, to_rgb8
    from labeldesk.io.labelme import read_labelme

    root = Path(folder)
    if not root.is_dir():
        raise TrainingDataError(f"{root}: not a folder")
    names = [str(c) for c in class_names]
    if not names:
        raise TrainingDataError("there are no classes to learn: add at least one class")
    if len(set(names)) != len(names) or any(n in (IGNORE_LABEL, "_background_", "") for n in names):
        raise TrainingDataError(f"class names must be unique and not special names, got {names}")
    labels = LabelSet(("_background_", *names), has_ignore=True, source="project classes")
    samples: list[Sample] = []
    notes: list[str] = []
    empty = machine = 0
    unknown: dict[str, int] = {}
    for path in sorted(root.glob("*.json"), key=lambda p: p.name.lower()):
        try:
            doc = read_labelme(path)
            shapes = [s for s in doc.shapes if include_machine or not is_machine(s)]
            machine += len(doc.shapes) - len(shapes)
            if not shapes:
                empty += 1
                continue
            if doc.image_data is not None:
                raw = load_image(base64.b64decode(doc.image_data), name=f"{path.name} (imageData)")
            else:
                image_file = doc.image_file()
                if image_file is None:
                    raise TrainingDataError(f"{path}: names no image")
                raw = load_image(image_file)
        except LabeldeskError as exc:
            notes.append(f"skipped {path.name}: {exc}")
            continue
        except ValueError as exc:  # base64 errors
            notes.append(f"skipped {path.name}: {exc}")
            continue
        image = to_rgb8(raw)
        raster = rasterize(shapes, image.shape[:2], labels)
        for label in raster.unknown:
            unknown[label] = unknown.get(label, 0) + 1
        cls = raster.cls
        label_map = np.where(cls < 0, IGNORE, cls).astype(np.uint8)
        if not raster.instances:
            notes.append(f"skipped {path.name}: none of its shapes is of a project class")
            continue
        samples.append(Sample(image, label_map, raster.ins.astype(np.int32), path.name))
    if machine:
        notes.append(
            f"{machine} machine-made shape(s) not reviewed yet were left out "
            "(save them in the app to review them, or pass --include-machine)"
        )
    if empty:
        notes.append(f"{empty} annotation file(s) without shapes were skipped")
    for label, count in sorted(unknown.items()):
        notes.append(
            f"label {label!r} is not a project class; its shapes in {count} file(s) were left out"
        )
    return samples, notes
