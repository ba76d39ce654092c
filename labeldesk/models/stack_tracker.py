"""SAM 2.1 propagation through a frame stack, with the weight-free tracker's interface.

:func:`sam2_track_masks` is a job with the payload of
:func:`labeldesk.core.stack_jobs.track_masks` (``(frame, {track: mask or None})`` per frame),
so the CLI and the app apply its results the same way: each track's mask in the plan's start
frame is given to :class:`~labeldesk.models.sam2.Sam2VideoPredictor` as that object's mask
prompt, and the predictor's memory carries it frame by frame (logits > 0 = the object). A
track stops at the plan's stop frame (a person's object) or where its mask comes out empty.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.core.jobs import Progress
from labeldesk.core.stack_jobs import PropagationPlan


def load_video_predictor(checkpoint: str | Path, device: str = "auto") -> Any:
    """A :class:`Sam2VideoPredictor` for ``checkpoint`` (``NAME_config.json`` beside it, when
    present, gives the model configuration). Raises ModelError for a bad checkpoint."""
    from labeldesk.models.sam2 import Sam2VideoPredictor, load_sam2

    path = Path(checkpoint)
    config = path.with_name(f"{path.stem}_config.json")
    model = load_sam2(path, device, config=config if config.is_file() else None)
    return Sam2VideoPredictor(model)


def _rgb8(frame: np.ndarray) -> np.ndarray:
    from labeldesk.io import to_rgb8

    return np.ascontiguousarray(to_rgb8(frame))


def sam2_track_masks(
    plan: PropagationPlan,
    frames: Callable[[int], np.ndarray],
    count: int,
    predictor: Any,
) -> Generator[Progress, None, int]:
    """Carry the plan's masks with SAM 2.1 (payload as ``track_masks``); returns frames done."""
    state = predictor.init_state(lambda i: _rgb8(frames(i)), num_frames=count)
    for track, (mask, _template) in plan.sources.items():
        predictor.add_mask(state, plan.start, track, mask)
    reverse = bool(plan.targets) and plan.targets[0] < plan.start
    active = set(plan.sources)
    done = 0
    run = predictor.propagate(
        state, start_frame=plan.start, reverse=reverse, max_frames=len(plan.targets)
    )
    try:
        for frame, logits in run:
            if frame == plan.start:
                continue
            active -= {t for t in active if plan.stops.get(t) == frame}
            if not active:
                break
            out: dict[int, np.ndarray | None] = {}
            for track in sorted(active):
                m = np.asarray(logits[track]) > 0
                m = m.reshape(m.shape[-2:])
                out[track] = m if m.any() else None
            active -= {t for t, m in out.items() if m is None}
            done += 1
            yield Progress(done, len(plan.targets), f"frame {frame}", payload=(frame, out))
    finally:
        run.close()
    return done
