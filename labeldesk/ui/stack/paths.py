"""Which paths open as frame stacks, and the SAM 2.1 propagation job for the inference worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labeldesk.core.stack_jobs import PropagationPlan
from labeldesk.io.stacks import stack_kind
from labeldesk.ui.workers.base import WorkerHost

VOLUME_KINDS = ("nifti", "dicom", "tiff")


def opens_as_stack(path: str | Path) -> bool:
    """True for what File ▸ Open should show with the frame slider (not plain images)."""
    p = Path(path)
    kind = stack_kind(p) if p.exists() else None
    if kind in ("video", "nifti", "dicom"):
        return True
    if kind == "tiff":
        try:
            import tifffile

            with tifffile.TiffFile(str(p)) as tif:
                series = tif.series[0]
                shape = tuple(series.shape)
                return len(series.pages) > 1 or (len(shape) == 3 and shape[-1] not in (3, 4))
        except Exception:
            return False
    return False


def sam2_job(host: WorkerHost, plan: PropagationPlan, frames: Any, count: int) -> Any:
    """A job for the inference worker: SAM 2.1's video predictor on the loaded model."""

    def job() -> Any:
        from labeldesk.models.sam2 import Sam2VideoPredictor
        from labeldesk.models.stack_tracker import sam2_track_masks

        model = host.worker.session._sam  # type: ignore[attr-defined]  # in its own thread
        return (yield from sam2_track_masks(plan, frames, count, Sam2VideoPredictor(model)))

    return job


def sidecar_frame(path: str | Path) -> tuple[Path, int] | None:
    """``(stack, frame)`` for ``X.labels/000123.png`` (or ``.json``) when ``X`` exists."""
    p = Path(path)
    folder = p.parent
    if not folder.name.endswith(".labels") or not p.stem.isdigit():
        return None
    stack = folder.with_name(folder.name[: -len(".labels")])
    return (stack, int(p.stem)) if stack.exists() else None
