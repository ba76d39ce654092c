"""``labeldesk train SRC_DIR --arch forest``: the pixel classifier from a folder (no torch).

Reads every labeled image (polygons and brush strokes; see :mod:`.forest_train`), fits the
forest (holding an image out to report its scores when there are two or more), and writes
``MODEL.npz`` + ``MODEL.json`` where ``--out`` says (default ``SRC_DIR/.labeldesk/model.json``,
where the app and ``labeldesk prelabel --model`` find it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, TextIO

from labeldesk.models.seg.forest import ForestSettings


def train_forest_folder(
    args: argparse.Namespace,
    classes: list[str],
    out_path: Path,
    *,
    progress: TextIO,
    out: TextIO,
) -> int:
    """Train and save a forest for ``labeldesk train --arch forest``; returns the exit code.

    Raises:
        TrainingDataError: nothing usable to learn from (the message says why).
    """
    from labeldesk.models.seg.command import metrics_table
    from labeldesk.models.seg.forest import save_forest
    from labeldesk.models.seg.forest_train import (
        is_background,
        samples_from_folder,
        train_forest,
    )

    start = time.perf_counter()
    classes = [c for c in classes if not is_background(c)]
    include = bool(getattr(args, "include_machine", False))
    samples, notes = samples_from_folder(Path(args.src), classes, include_machine=include)
    print(f"classes: {', '.join(classes)}", file=progress)
    for note in notes:
        print(f"note: {note}", file=progress)

    def report(fraction: float, text: str) -> None:
        if progress.isatty():
            print(f"\rforest: {text:<60}", end="", file=progress, flush=True)

    result = train_forest(samples, classes, ForestSettings(), seed=args.seed, progress=report)
    if progress.isatty():
        print(file=progress)
    weights, sidecar = save_forest(result.model, out_path)
    seconds = time.perf_counter() - start
    training: dict[str, Any] = result.model.training
    lines = [
        f"trained a pixel classifier ({result.model.settings.trees} trees, "
        f"{result.model.n_features} features) on {training['images']} image(s), "
        f"{training['pixels']} labeled pixels sampled, in {seconds:.1f} s"
    ]
    if result.metrics:
        lines.append(
            f"held-out scores ({', '.join(result.val_names)}; fitted without it, then "
            "refitted on every image):"
        )
        lines += metrics_table(result.metrics, classes)
    else:
        lines.append("no held-out image (one labeled image): no scores")
    lines.append(f"saved {weights} and {sidecar.name}")
    print("\n".join(lines), file=out)
    return 0
