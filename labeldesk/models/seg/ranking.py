"""What to label next: unlabeled images ranked by a trained model's uncertainty.

Each image is read as training reads it (EXIF orientation applied, 16-bit windowed to 8 bits,
gray and RGBA made RGB), predicted whole (tiled when large) and scored with
:func:`labeldesk.models.seg.uncertainty.uncertainty_score`: the mean normalised entropy over
the pixels the model does not confidently call background, damped when they cover under 5 %
of the image. The most uncertain images come first; those are the ones whose labels teach the
model most. Ties keep the order the paths were given in.

::

    steps = rank_by_uncertainty(model, unlabeled_images(folder))
    ranking = run_job(steps)         # a labeldesk.core.jobs job: yields Progress
    for path, score in ranking.scores: ...

This module imports torch only when a ranking runs (through :mod:`.prediction`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.jobs import Job, Progress, ProgressCallback, run_job

if TYPE_CHECKING:
    from labeldesk.models.seg.model import SegModel

Steps = Job["Ranking"]


@dataclass
class Ranking:
    """The result of :func:`rank_by_uncertainty`.

    scores: ``(path, score)`` pairs, most uncertain first; scores are in [0, 1].
    failed: ``(path, reason)`` for images that could not be read or predicted.
    seconds: wall time of the whole ranking.
    """

    scores: list[tuple[Path, float]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0

    def order(self) -> list[Path]:
        """The ranked paths, most uncertain first (failed images are left out)."""
        return [p for p, _ in self.scores]

    def as_dict(self) -> dict[Path, float]:
        return dict(self.scores)


def is_unlabeled(image: str | os.PathLike[str]) -> bool:
    """True when ``image`` has no labelme JSON next to it, or one without shapes.

    A JSON that cannot be read counts as labeled: a person may be working on it, and it is
    not this function's business to judge it.
    """
    path = Path(image).with_suffix(".json")
    if not path.is_file():
        return True
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    shapes = data.get("shapes") if isinstance(data, dict) else None
    return isinstance(shapes, list) and len(shapes) == 0


def unlabeled_images(folder: str | os.PathLike[str]) -> list[Path]:
    """The images of ``folder`` (sorted as the app lists them) that :func:`is_unlabeled`."""
    from labeldesk.io import list_images

    return [p for p in list_images(Path(folder)) if is_unlabeled(p)]


def image_uncertainty(model: SegModel, image: object, *, tile_size: int = 1024) -> float:
    """The uncertainty score in [0, 1] of one ``(H, W[, C])`` uint8/uint16 image."""
    from labeldesk.models.seg.prediction import predict_proba
    from labeldesk.models.seg.uncertainty import uncertainty_score

    probs, _ = predict_proba(model, image, tile_size=tile_size)  # type: ignore[arg-type]
    return uncertainty_score(probs)


def rank_by_uncertainty(
    model: SegModel,
    paths: Sequence[str | os.PathLike[str]],
    *,
    tile_size: int = 1024,
    read: Callable[[Path], object] | None = None,
) -> Steps:
    """Job: score every image of ``paths``; yields ``Progress(i, n, message)`` before each
    image and returns a :class:`Ranking` (most uncertain first).

    Args:
        model: a loaded :class:`~labeldesk.models.seg.model.SegModel` (any device).
        paths: image files; unreadable ones are listed in ``Ranking.failed``, never raised.
        tile_size: largest side predicted in one pass (see :func:`.prediction.predict_proba`).
        read: how to read an image (default: :func:`labeldesk.io.load_image` then
            :func:`labeldesk.io.to_rgb8`, as training reads them).

    Closing the generator stops after the image being scored.
    """
    from labeldesk.io import load_image, to_rgb8

    def default_read(p: Path) -> object:
        return to_rgb8(load_image(p))

    reader = read or default_read
    files = [Path(p) for p in paths]
    start = time.perf_counter()
    ranking = Ranking()
    scored: list[tuple[int, Path, float]] = []
    n = len(files)
    for i, path in enumerate(files):
        yield Progress(i, n, f"scoring {path.name} ({i + 1}/{n})")
        try:
            score = image_uncertainty(model, reader(path), tile_size=tile_size)
        except LabeldeskError as exc:
            ranking.failed.append((path, str(exc)))
            continue
        except (OSError, ValueError, MemoryError) as exc:
            ranking.failed.append((path, f"{type(exc).__name__}: {exc}"))
            continue
        scored.append((i, path, score))
    scored.sort(key=lambda t: (-t[2], t[0]))
    ranking.scores = [(p, s) for _, p, s in scored]
    ranking.seconds = time.perf_counter() - start
    yield Progress(n, n, f"scored {len(scored)} image(s)")
    return ranking


def drive(steps: Steps, on_progress: ProgressCallback | None = None) -> Ranking:
    """Run a :func:`rank_by_uncertainty` job to the end (headless use): ``run_job``."""
    return run_job(steps, on_progress=on_progress)
