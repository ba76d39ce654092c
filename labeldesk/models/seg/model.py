"""A trained segmentation model and its files: weights plus a JSON sidecar.

On disk a model is two files side by side:

- ``NAME.pt``: the network's ``state_dict`` written by ``torch.save`` and read back with
  ``torch.load(weights_only=True)`` (no pickled code is ever executed);
- ``NAME.json``: ``{"format": "labeldesk-seg", "format_version": 1, "weights": "NAME.pt",
  "classes": [...], "architecture": {...}, "normalization": {"mean": [r, g, b], "std": [...],
  "scale": "0-255 RGB"}, "training": {...}, "metrics": {...}}``.

Either path may be given to :func:`load_model`. Both files are written atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labeldesk.core.errors import ModelError, WriteError

if TYPE_CHECKING:
    import torch

FORMAT = "labeldesk-seg"
FORMAT_VERSION = 1


@dataclass
class SegModel:
    """A segmentation network with what is needed to use it.

    Attributes:
        network: the torch module (see :mod:`.networks`), in eval mode when loaded.
        class_names: the classes, in output order: label value ``i`` is
            ``class_names[i - 1]``; 0 is background.
        arch: the complete network config (:func:`.networks.network_config`).
        mean, std: per-channel RGB input normalisation in 0-255 units.
        training: the training settings and run facts (JSON-able).
        metrics: held-out metrics of the saved weights (JSON-able).
    """

    network: torch.nn.Module
    class_names: list[str]
    arch: dict[str, Any]
    mean: tuple[float, float, float] = (127.5, 127.5, 127.5)
    std: tuple[float, float, float] = (64.0, 64.0, 64.0)
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters()).device

    @property
    def has_boundary(self) -> bool:
        return bool(self.arch.get("boundary", False))

    @property
    def stride(self) -> int:
        return int(getattr(self.network, "stride", 1))

    def to(self, device: str | torch.device) -> SegModel:
        """Move the network to ``device`` (``"auto"``, ``"cpu"``, ``"cuda"``, ...); returns self."""
        from labeldesk.models.device import import_torch, select_device

        channels_last = import_torch().channels_last
        if isinstance(device, str):
            device = select_device(device)
        # channels-last runs these small-channel convolutions 1.4-1.8x faster on CPU
        # Module.to accepts memory_format at run time; torch's overloads do not list it
        self.network.to(device, memory_format=channels_last)  # type: ignore[call-overload]
        return self

    def sidecar(self, weights_name: str) -> dict[str, Any]:
        """The JSON sidecar content for weights stored as ``weights_name``."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "weights": weights_name,
            "classes": list(self.class_names),
            "architecture": dict(self.arch),
            "normalization": {"mean": list(self.mean), "std": list(self.std), "scale": "0-255 RGB"},
            "training": self.training,
            "metrics": self.metrics,
        }


def model_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """``(weights, sidecar)`` for a path to either file (``x.pt`` <-> ``x.json``); a path
    with another or no suffix gets ``.pt`` / ``.json`` appended."""
    p = Path(path)
    if p.suffix == ".json":
        return p.with_suffix(".pt"), p
    if p.suffix == ".pt":
        return p, p.with_suffix(".json")
    return p.with_name(p.name + ".pt"), p.with_name(p.name + ".json")


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise WriteError(path, f"could not write ({exc.strerror or exc})") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_model(model: SegModel, path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``model`` as weights + JSON sidecar; returns ``(weights_path, sidecar_path)``.

    Raises:
        WriteError: a file could not be written (any previous file is left as it was).
    """
    from labeldesk.models.device import import_torch

    torch = import_torch()
    weights, sidecar = model_paths(path)
    state = {k: v.detach().cpu() for k, v in model.network.state_dict().items()}
    _atomic_write(weights, lambda tmp: torch.save(state, tmp))
    text = json.dumps(model.sidecar(weights.name), indent=2, allow_nan=False)

    def write_json(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text + "\n")

    _atomic_write(sidecar, write_json)
    return weights, sidecar


def check_classes(
    model_classes: Sequence[str],
    project_classes: Sequence[str],
    *,
    source: str = "the model",
    allow_extra: bool = False,
) -> None:
    """Raise ModelError unless the model's classes are the project's (any order).

    With ``allow_extra``, a project that has more classes than the model is accepted (the
    model simply never proposes the extra ones).
    """
    have, want = set(model_classes), set(project_classes)
    unknown_to_project = sorted(have - want)
    unknown_to_model = sorted(want - have)
    if unknown_to_project or (unknown_to_model and not allow_extra):
        parts = []
        if unknown_to_project:
            parts.append(f"the project has no class {', '.join(map(repr, unknown_to_project))}")
        if unknown_to_model and not allow_extra:
            parts.append(f"the model was not trained on {', '.join(map(repr, unknown_to_model))}")
        raise ModelError(
            f"{source} was trained on classes {list(model_classes)} but the project has "
            f"{list(project_classes)}: {'; '.join(parts)}. Retrain the model on this project."
        )


def load_model(
    path: str | os.PathLike[str],
    *,
    classes: Sequence[str] | None = None,
    allow_extra: bool = False,
    device: str = "cpu",
) -> SegModel:
    """Load a model saved by :func:`save_model` (give either file), in eval mode.

    Args:
        classes: the project's class names; when given they must match the model's (see
            :func:`check_classes`).
        device: ``"cpu"``, ``"cuda"``, ``"mps"`` or ``"auto"``.

    A sidecar whose architecture is ``"forest"`` gives a :class:`.forest.ForestModel`.

    Raises:
        ModelError: a file is missing or unreadable, the sidecar is not a labeldesk model,
            the weights do not fit its architecture, or the classes do not match; the message
            names the file.
    """
    from labeldesk.models.device import import_torch, select_device
    from labeldesk.models.seg.networks import build_network

    torch = import_torch()
    weights, sidecar = model_paths(path)
    if not sidecar.is_file():
        raise ModelError(f"{sidecar}: model description (JSON) not found")
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{sidecar}: not a readable model description ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(
            f"{sidecar}: not a labeldesk segmentation model (format is not {FORMAT!r})"
        )
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise ModelError(
            f"{sidecar}: made by a newer labeldesk (format {meta.get('format_version')})"
        )
    try:
        names = [str(c) for c in meta["classes"]]
        arch = dict(meta["architecture"])
        norm = meta.get("normalization", {})
        mean = tuple(float(v) for v in norm.get("mean", (127.5,) * 3))
        std = tuple(float(v) for v in norm.get("std", (64.0,) * 3))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{sidecar}: missing or bad field ({exc})") from exc
    if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
        raise ModelError(f"{sidecar}: normalization needs 3 means and 3 positive stds")
    if arch.get("num_classes") != len(names) + 1:
        raise ModelError(
            f"{sidecar}: architecture has {arch.get('num_classes')} outputs but {len(names)} "
            "classes are listed (plus background)"
        )
    if classes is not None:
        check_classes(names, classes, source=str(sidecar.name), allow_extra=allow_extra)
    if arch.get("arch") == "forest":  # the pixel classifier: no torch network
        from labeldesk.models.seg.forest import load_forest

        return load_forest(sidecar, meta, names, arch)  # type: ignore[return-value]
    try:
        network = build_network(arch)
    except ModelError as exc:
        raise ModelError(f"{sidecar}: {exc}") from exc
    if not weights.is_file():
        raise ModelError(f"{weights}: model weights file not found")
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or unsafe files
        from labeldesk.models.sam.checkpoint import _refusal_reason, not_a_checkpoint

        # never torch's own text: it suggests weights_only=False, which would run the file
        what = not_a_checkpoint(weights)
        reason = f"it is {what}" if what else _refusal_reason(exc)
        raise ModelError(f"{weights}: not a readable weights file ({reason})") from None
    if not isinstance(state, dict):
        raise ModelError(f"{weights}: expected a state_dict, got {type(state).__name__}")
    try:
        network.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError) as exc:
        first = str(exc).splitlines()
        detail = " ".join(line.strip() for line in first[1:3])[:300]
        raise ModelError(
            f"{weights}: weights do not fit the architecture in {sidecar.name} ({detail})"
        ) from exc
    network.eval()
    model = SegModel(
        network,
        names,
        arch,
        mean=mean,  # type: ignore[arg-type]
        std=std,  # type: ignore[arg-type]
        training=dict(meta.get("training") or {}),
        metrics=dict(meta.get("metrics") or {}),
    )
    return model.to(select_device(device))
