"""Comparing two NIfTI label maps (``labeldesk compare REF.nii.gz TEST.nii.gz``).

The volumes are read with :func:`labeldesk.io.stacks.open_stack` (frame ``k`` = voxel plane
``k``), so the arrays are ``(z, y, x)`` and the spacing per array axis ``(sz, sy, sx)`` comes
from the header (``--spacing`` overrides it). Classes are the label values above 0; their
names come from the class JSON that ``labeldesk export nifti`` writes next to the volume
(``{"labels": {"1": "liver", ...}}``), else the value itself. Label maps hold classes, not
objects, so there is no instance matching for volumes: the instance measures are left empty.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from labeldesk.algorithms.metrics import label_scores
from labeldesk.core.errors import LabeldeskError
from labeldesk.io.compare.core import ClassSummary, Comparison, ImageResult


def is_volume(path: str | os.PathLike[str]) -> bool:
    name = Path(path).name.lower()
    return Path(path).is_file() and (name.endswith(".nii") or name.endswith(".nii.gz"))


def _names(path: Path) -> dict[int, str]:
    from labeldesk.io.stacks.exports import sidecar_json

    side = sidecar_json(path)
    if not side.is_file():
        return {}
    try:
        labels = json.loads(side.read_text(encoding="utf-8")).get("labels", {})
        return {int(k): str(v) for k, v in labels.items() if int(k) > 0}
    except (OSError, ValueError, AttributeError) as exc:
        raise LabeldeskError(f"{side}: cannot read the class names: {exc}") from exc


def read_label_volume(path: str | os.PathLike[str]):  # type: ignore[no-untyped-def]
    """``(volume (z, y, x) int64, spacing (sz, sy, sx), names by value)`` of a label map."""
    from labeldesk.io.stacks import open_stack

    p = Path(path)
    with open_stack(p, kind="nifti", read_ahead=0) as stack:
        frames = [stack.frame(i) for i in range(len(stack))]
        sx, sy, sz = stack.spacing
    vol = np.stack(frames)
    if vol.ndim != 3:
        raise LabeldeskError(f"{p}: a label map has one value per voxel, got shape {vol.shape}")
    if vol.dtype.kind == "f":
        if not np.all(np.isfinite(vol)) or not np.all(vol == np.round(vol)):
            raise LabeldeskError(f"{p}: not a label map (the voxels are not whole numbers)")
    return vol.astype(np.int64), (sz, sy, sx), _names(p)


def compare_volumes(
    ref: str | os.PathLike[str],
    test: str | os.PathLike[str],
    *,
    spacing: Sequence[float] | None = None,
) -> Comparison:
    """Per class Dice, IoU, HD, HD95 and ASSD of two label volumes (see the module docstring).

    ``spacing`` is per array axis ``(sz, sy, sx)``; None = REF's header. Raises
    :class:`LabeldeskError` when a file cannot be read or the shapes differ.
    """
    a, a_spacing, a_names = read_label_volume(ref)
    b, _b_spacing, b_names = read_label_volume(test)
    if a.shape != b.shape:
        raise LabeldeskError(
            f"{Path(test).name}: volume shape {b.shape[::-1]} differs from REF's {a.shape[::-1]}"
        )
    sp = tuple(float(s) for s in (spacing or a_spacing))
    names = {**b_names, **a_names}
    values = sorted(v for v in set(np.unique(a).tolist()) | set(np.unique(b).tolist()) if v > 0)
    out = Comparison(str(ref), str(test), sp, 0.5, volume=True)
    result = ImageResult(Path(ref).name, (a.shape[1], a.shape[2]))
    for v, scores in label_scores(a, b, values, spacing=sp).items():
        name = names.get(v, str(v))
        result.classes[name] = scores
        out.classes.setdefault(name, ClassSummary(name)).add(scores, None)
    out.images[result.name] = result
    return out
