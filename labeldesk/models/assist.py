"""The model-assist session (Qt-free): one loaded model, its predictor and embedding cache.

An :class:`AssistSession` is owned by one thread (the app's inference worker, or a headless
command) and is not thread-safe. Torch is imported only when a model is loaded::

    s = AssistSession()
    s.load("sam_vit_b_01ec64.pth", device="auto")       # or a trained labeldesk model
    key = s.set_image(rgb).key                           # encoder, or the cache
    res = s.predict(key, prompt)                         # SamPrompt -> SamResult (per click)
    props = run_steps(s.proposals(rgb))                  # auto-segment (any model, or none)

Device: CUDA when available, then Apple MPS, then CPU. On CUDA the image encoder runs in
bf16 (or fp16) only when that gives the same masks as fp32 on a probe image
(:func:`choose_precision`); the decoder always runs in fp32. A CUDA/MPS out-of-memory error
moves the model to the CPU and retries; :attr:`AssistSession.notice` then says so.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.core.convert import crop_mask
from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import Progress
from labeldesk.core.prompts import SamPrompt, SamResult
from labeldesk.models import proposals as props
from labeldesk.models.proposals import as_rgb

EXACT_IOU = 0.97  # mean mask IoU vs fp32 a reduced precision must reach on the probe image
CACHE_BYTES = 512 * 1024 * 1024


@dataclass
class ModelInfo:
    """What is loaded: ``kind`` ``"sam"`` or ``"trained"``; ``variant`` (vit_b/l/h/t or the
    config name); ``device`` ("cuda", "mps", "cpu"); ``precision`` of the image encoder;
    ``classes`` of a trained model; ``seconds`` to load; ``notice`` for the user, or ""."""

    kind: str
    name: str
    path: str
    variant: str = ""
    device: str = "cpu"
    precision: str = "fp32"
    classes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notice: str = ""


@dataclass(frozen=True)
class Encoded:
    """An image made current: its cache ``key``, whether the embedding came from the cache,
    the encoder time, and a ``notice`` (e.g. moved to the CPU) or ""."""

    key: str
    cached: bool
    seconds: float
    notice: str = ""


def config_sidecar(path: str | os.PathLike[str]) -> Path | None:
    """A model-config JSON next to a non-official checkpoint (``NAME.config.json``,
    ``NAME_config.json``, or ``..._state.pt`` -> ``..._config.json``), or None."""
    p = Path(path)
    stem = p.stem
    names = [f"{stem}.config.json", f"{stem}_config.json"]
    if stem.endswith("_state"):
        names.append(stem[: -len("_state")] + "_config.json")
    for name in names:
        if (p.parent / name).is_file():
            return p.parent / name
    return None


def choose_precision(model: Any, requested: str = "auto") -> str:
    """The image-encoder precision to use: ``requested`` unless "auto"; with "auto", fp32
    except on CUDA, where bf16 (then fp16) is taken when masks for a 3x3 grid of point
    prompts on a probe image match fp32 with mean IoU >= :data:`EXACT_IOU`."""
    if requested != "auto":
        return requested
    if model.device.type != "cuda":
        return "fp32"
    from labeldesk.models.device import import_torch
    from labeldesk.models.sam import SamPredictor

    torch = import_torch()
    yy, xx = np.mgrid[0:512, 0:512]
    probe = np.stack([(xx // 64 % 2) * 200, (yy // 96 % 2) * 180, (xx + yy) % 256], -1).astype(
        np.uint8
    )
    pts = [(x, y) for x in (96, 256, 416) for y in (96, 256, 416)]

    def masks(precision: str) -> list[np.ndarray]:
        model.set_encoder_precision(precision)
        pred = SamPredictor(model)
        pred.set_image(probe)
        return [
            pred.predict(np.array([p]), np.array([1]), multimask_output=False)[0][0] for p in pts
        ]

    reference = masks("fp32")
    candidates = ["bf16", "fp16"] if torch.cuda.is_bf16_supported() else ["fp16"]
    for precision in candidates:
        got = masks(precision)
        ious = [
            np.logical_and(a, b).sum() / max(1, np.logical_or(a, b).sum())
            for a, b in zip(reference, got, strict=True)
        ]
        if float(np.mean(ious)) >= EXACT_IOU:
            model.set_encoder_precision(precision)
            return precision
    model.set_encoder_precision("fp32")
    return "fp32"


class AssistSession:
    """Holds the loaded models (a SAM model and/or a trained one), the SAM predictor and the
    embedding cache. ``sam_info`` / ``trained_info`` describe what is loaded."""

    def __init__(self, cache_bytes: int = CACHE_BYTES, keep_images: int = 3) -> None:
        from labeldesk.models.sam import EmbeddingCache  # torch-free

        self.cache = EmbeddingCache(cache_bytes)
        self.sam_info: ModelInfo | None = None
        self.trained_info: ModelInfo | None = None
        self.notice = ""
        self._sam: Any = None
        self._predictor: Any = None
        self._trained: Any = None
        self._current: str | None = None  # key of the image the predictor holds
        self._images: OrderedDict[str, np.ndarray] = OrderedDict()  # to re-encode if evicted
        self._keep = keep_images

    # -- models ------------------------------------------------------------------------------
    @property
    def has_sam(self) -> bool:
        return self._predictor is not None

    @property
    def has_trained(self) -> bool:
        return self._trained is not None

    @property
    def trained_model(self) -> Any:
        """The loaded trained model (``labeldesk.models.seg``), or None."""
        return self._trained

    @property
    def current(self) -> str | None:
        """Content key of the image the SAM predictor holds, or None."""
        return self._current

    def load(
        self,
        path: str | os.PathLike[str],
        *,
        device: str = "auto",
        precision: str = "auto",
        classes: list[str] | None = None,
    ) -> ModelInfo:
        """Load a SAM/MobileSAM/SAM 2.1 checkpoint (replacing the SAM model) or a trained labeldesk
        model (replacing the trained one), told apart by the trained model's sidecar JSON.

        Raises ModelError naming the file (unsafe pickle, unknown variant, bad keys...).
        """
        path = Path(path)
        start = time.perf_counter()
        if props.is_trained_model(path):
            from labeldesk.models.seg import load_model

            model = load_model(path, classes=classes, allow_extra=True, device=device)
            self._trained = model
            info = ModelInfo(
                "trained",
                path.stem,
                str(path),
                "seg",
                model.device.type,
                "fp32",
                list(model.class_names),
            )
            self.trained_info = info
        else:
            from labeldesk.models.sam2.checkpoint import is_sam2_file

            if is_sam2_file(path):  # SAM 2.1: fp32 only (reduced precision not validated)
                from labeldesk.models.sam2 import load_sam2

                model = load_sam2(path, device=device, config=config_sidecar(path))
            else:
                from labeldesk.models.sam import load_sam

                model = load_sam(path, device=device, config=config_sidecar(path))
                model.set_encoder_precision(choose_precision(model, precision))
            info = self.use_model(model, path.name, str(path))
        info.seconds = time.perf_counter() - start
        return info

    def use_model(self, model: Any, name: str = "model", path: str = "") -> ModelInfo:
        """Use an already built :class:`SamModel` (or SAM 2.1 ``Sam2Model``) as the SAM model."""
        self.unload("sam")
        if type(model).__module__.startswith("labeldesk.models.sam2"):
            from labeldesk.models.sam2 import Sam2Predictor

            self._sam, self._predictor = model, Sam2Predictor(model)
        else:
            from labeldesk.models.sam import SamPredictor

            self._sam, self._predictor = model, SamPredictor(model)
        self.sam_info = ModelInfo(
            "sam", name, path, model.config.name, model.device.type, model.encoder_precision
        )
        return self.sam_info

    def unload(self, kind: str | None = None) -> None:
        """Forget the SAM model (``kind="sam"``), the trained one ("trained") or both."""
        if kind in (None, "sam"):
            self._sam = self._predictor = self.sam_info = None
            self._current = None
        if kind in (None, "trained"):
            self._trained = self.trained_info = None

    # -- images ------------------------------------------------------------------------------
    def _remember(self, key: str, rgb: np.ndarray) -> None:
        self._images[key] = rgb
        self._images.move_to_end(key)
        while len(self._images) > self._keep:
            self._images.popitem(last=False)

    def _encode(self, rgb: np.ndarray) -> float:
        from labeldesk.models.device import run_with_cpu_fallback

        pred = self._predictor
        start = time.perf_counter()
        _, message = run_with_cpu_fallback(
            lambda: pred.set_image(rgb),
            move_to_cpu=lambda: pred.to("cpu"),
            current_device=pred.device.type,
        )
        if message:
            self.notice = message
            if self.sam_info is not None:
                self.sam_info.device = "cpu"
        return time.perf_counter() - start

    def set_image(self, image: np.ndarray, key: str | None = None) -> Encoded:
        """Make ``image`` (display array, see :func:`as_rgb`) current; run the encoder unless
        its embedding is cached. ``key``: its content key when already known (skips hashing).
        Without a SAM model only the key is computed."""
        from labeldesk.models.sam import image_key

        if key is not None and self._predictor is not None and self._current == key:
            return Encoded(key, True, 0.0)
        rgb = as_rgb(image)
        key = key or image_key(rgb)
        self._remember(key, rgb)
        self.notice = ""
        if self._predictor is None:
            return Encoded(key, False, 0.0)
        if self._current == key:
            return Encoded(key, True, 0.0)
        hit = self.cache.get(key, self._sam.model_id)
        if hit is not None:
            self._predictor.set_embedding(hit)
            self._current = key
            return Encoded(key, True, 0.0)
        seconds = self._encode(rgb)
        self.cache.put(key, self._predictor.get_embedding())
        self._current = key
        return Encoded(key, False, seconds, self.notice)

    def prefetch(self, image: np.ndarray) -> Encoded | None:
        """Compute ``image``'s embedding into the cache (the current image stays current).
        None without a SAM model."""
        if self._predictor is None:
            return None
        from labeldesk.models.sam import image_key

        rgb = as_rgb(image)
        key = image_key(rgb)
        if self.cache.get(key, self._sam.model_id) is not None:
            return Encoded(key, True, 0.0)
        current = self._current
        self.notice = ""
        seconds = self._encode(rgb)
        self.cache.put(key, self._predictor.get_embedding())
        self._current = key
        if current is not None and current != key:
            hit = self.cache.get(current, self._sam.model_id)
            if hit is not None:
                self._predictor.set_embedding(hit)
                self._current = current
        return Encoded(key, False, seconds, self.notice)

    def _ensure(self, key: str) -> None:
        if self._predictor is None:
            raise ModelError("no SAM model is loaded: open Tools ▸ Model Manager to load one")
        if self._current == key:
            return
        hit = self.cache.get(key, self._sam.model_id)
        if hit is not None:
            self._predictor.set_embedding(hit)
            self._current = key
        elif key in self._images:
            self.set_image(self._images[key], key)
        else:
            raise ModelError("this image has not been encoded yet; try again")

    # -- prompts -----------------------------------------------------------------------------
    def predict(self, key: str, prompt: SamPrompt) -> SamResult:
        """The best mask for ``prompt`` on image ``key`` (from :meth:`set_image`)."""
        self._ensure(key)
        pred = self._predictor
        points = labels = None
        if len(prompt.points):
            points, labels = prompt.points, prompt.labels
        box = np.asarray(prompt.box, dtype=np.float64) if prompt.box is not None else None
        masks, iou, low = pred.predict(
            point_coords=points,
            point_labels=labels,
            box=box,
            mask_input=prompt.mask_input,
            multimask_output=prompt.multimask,
        )
        best = int(np.argmax(iou))
        crop, origin = crop_mask(masks[best])
        size = (int(masks.shape[1]), int(masks.shape[2]))
        return SamResult(
            prompt.serial, crop, origin, size, float(iou[best]), low[best][None].copy()
        )

    # -- auto-segment ------------------------------------------------------------------------
    def resolve_source(self, source: str = "auto") -> str:
        """ "auto" -> "model" (a trained model is loaded), else "sam", else "classical"."""
        if source == "auto":
            return (
                "model"
                if self._trained is not None
                else "sam"
                if self._predictor is not None
                else "classical"
            )
        if source not in ("model", "sam", "classical"):
            raise ModelError(
                f"unknown proposal source {source!r}; use auto, model, sam or classical"
            )
        return source

    def proposals(self, image: np.ndarray, *, source: str = "auto", **options: Any) -> props.Steps:
        """Proposals for ``image`` from the trained model, else SAM, else the classical
        method (``source`` forces one: "model", "sam" or "classical")."""
        source = self.resolve_source(source)
        if source == "model":
            if self._trained is None:
                raise ModelError("no trained model is loaded")
            return props.model_proposals(self._trained, image, **options)
        if source == "sam":
            if self._predictor is None:
                raise ModelError("no SAM model is loaded")
            return self._sam_steps(image, **options)
        return props.classical_proposals(image, **options)

    def _sam_steps(self, image: np.ndarray, **options: Any) -> props.Steps:
        from labeldesk.models.device import is_out_of_memory

        yield Progress.at(0.0, "encoding the image")
        self.set_image(image)  # from the cache when the image was encoded before
        try:
            result = yield from props.sam_proposals(
                self._predictor, image, reuse_embedding=True, **options
            )
        except Exception as exc:  # a GPU out of memory: once more on the CPU
            if self._predictor.device.type == "cpu" or not is_out_of_memory(exc):
                raise
            self._predictor.to("cpu")
            if self.sam_info is not None:
                self.sam_info.device = "cpu"
            self.notice = (
                "The GPU ran out of memory; auto-segment moved the model to the CPU (slower)."
            )
            result = yield from props.sam_proposals(
                self._predictor, image, reuse_embedding=True, **options
            )
        return result
