"""Training a segmentation network on labeled images, as a generator of progress events.

::

    gen = train(samples, ["disc", "square"], {"max_steps": 500}, seed=0, cancel=event.is_set)
    for ev in gen: ...                # TrainEvent: "note", "step", "validation"
    # or: result = run_training(gen)  # drives it and returns the TrainResult
    # finish=stop_event: "stop and save" (validates once more, then returns the best weights)

Each step draws a batch of augmented random crops (:class:`.dataset.CropDataset`), and the
loss is cross-entropy (pixels labeled 255 ignored) + ``dice_weight`` x soft Dice (+ the
boundary channel's binary cross-entropy when the network has one). AdamW with a linear
warm-up and cosine decay. Every ``val_every`` steps the held-out images are predicted whole
(tiled when large) and scored (IoU / Dice per class); training stops early after
``patience`` validations without improvement of the mean foreground IoU, and the best
weights are the ones returned.

Two ways to stop: ``cancel`` (nothing will be kept) is checked before every step and between
held-out images, so training stops within one step and no further validation runs.
``finish`` ("stop and save") is checked before every step too; when steps were taken since
the last validation (or none ran yet) one final validation runs before returning, so the
returned model always carries held-out metrics. On CUDA it uses mixed precision; on CPU
``torch.set_num_threads`` is set for the run (default: the usable cores) and restored after.

Under torchrun (``distributed``, see :mod:`.distributed`) each rank trains the same network
wrapped in DistributedDataParallel on its own device; the ranks draw different random crops
(the crop sampler is seeded ``seed + 1 + 7919 * rank``: it samples with replacement, weighted
by image area, so a per-rank seed gives each rank its own share of crops even when there are
fewer training images than ranks, where splitting the images would leave ranks idle), so one
step learns from ``batch_size x world_size`` crops. Stop flags and "validate now" are agreed
by all-reduce before they act, and the held-out images are split between the ranks with their
confusion matrices summed, so every rank gets the same scores and stops at the same step.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from labeldesk.core.errors import ModelError
from labeldesk.models.device import import_torch, select_device
from labeldesk.models.seg.budget import VALIDATIONS
from labeldesk.models.seg.config import TrainConfig
from labeldesk.models.seg.dataset import (
    CropDataset,
    Sample,
    check_trainable,
    prepare_samples,
    split_samples,
)
from labeldesk.models.seg.distributed import Distributed, threads_per_rank
from labeldesk.models.seg.metrics import confusion, summarize
from labeldesk.models.seg.model import SegModel
from labeldesk.models.seg.networks import build_network, network_config
from labeldesk.models.seg.prediction import predict_proba

if TYPE_CHECKING:
    import torch
    import torch.nn.functional as F
else:
    torch = import_torch()  # with the thread settings (see models.device)
    F = torch.nn.functional

Cancel = Callable[[], bool] | Any  # a callable, or an object with is_set() (threading.Event)


@dataclass
class TrainEvent:
    """One progress report.

    kind: ``"note"`` (``message`` for the user), ``"step"`` (``loss``, ``lr``) or
    ``"validation"`` (``mean_iou``, ``iou`` and ``dice`` per class name incl. background,
    ``best`` when it is the best so far). ``step`` counts optimizer steps from 1,
    ``total_steps`` is ``max_steps`` (with a time budget: the steps expected to fit in it,
    updated as the step rate is measured), ``epoch`` counts passes over the training images,
    ``elapsed`` is seconds since training started and ``budget`` the time budget (or None).
    """

    kind: str
    step: int = 0
    total_steps: int = 0
    epoch: int = 0
    elapsed: float = 0.0
    loss: float | None = None
    lr: float | None = None
    mean_iou: float | None = None
    iou: dict[str, float | None] | None = None
    dice: dict[str, float | None] | None = None
    best: bool = False
    message: str = ""
    budget: float | None = None

    @property
    def eta(self) -> float | None:
        """Seconds left: the budget's rest when training by time, else from the step rate;
        None before the first step."""
        if self.budget is not None:
            return max(0.0, self.budget - self.elapsed)
        if self.step <= 0 or self.total_steps <= 0:
            return None
        return self.elapsed / self.step * max(0, self.total_steps - self.step)


@dataclass
class TrainResult:
    """What training returns.

    model: the best weights (or the last ones if never validated) with classes, settings and
        metrics filled in; None only when cancelled before the first step.
    metrics: held-out summary of ``model`` (see :func:`.metrics.summarize`) plus ``"step"``;
        empty only when cancelled before the first validation.
    stopped: ``"max_steps"``, ``"time"`` (the time budget was spent), ``"early_stopping"``,
        ``"stopped"`` (``finish``) or ``"cancelled"`` (``cancel``).
    """

    model: SegModel | None
    metrics: dict[str, Any]
    stopped: str
    steps: int
    seconds: float
    train_indices: list[int]
    val_indices: list[int]
    notes: list[str] = field(default_factory=list)
    losses: list[tuple[int, float]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def choose_threads(requested: int | None) -> int:
    """Threads for CPU training: ``requested`` (or all usable cores), at most the core count."""
    cores = usable_cores()
    return max(1, min(requested or cores, cores))


def _cancel_fn(cancel: Cancel | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if hasattr(cancel, "is_set"):
        return cancel.is_set
    if callable(cancel):
        return lambda: bool(cancel())
    raise ModelError("cancel must be a callable or an object with is_set()")


def _normalisation(samples: Sequence[Sample]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std (0-255 units) over a pixel subsample of ``samples``."""
    pix = []
    for s in samples:
        flat = s.image.reshape(-1, 3)
        step = max(1, len(flat) // 20000)
        pix.append(flat[::step].astype(np.float64))
    allpix = np.concatenate(pix)
    mean = allpix.mean(axis=0)
    std = np.maximum(allpix.std(axis=0), 1.0)
    return tuple(round(float(v), 4) for v in mean), tuple(round(float(v), 4) for v in std)


def _loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    bounds: torch.Tensor | None,
    k: int,
    cfg: TrainConfig,
) -> torch.Tensor:
    logits = logits.float()
    seg = logits[:, :k]
    loss = F.cross_entropy(seg, labels, ignore_index=255)
    if cfg.dice_weight > 0:
        valid = (labels != 255).unsqueeze(1).float()
        probs = torch.softmax(seg, dim=1) * valid
        onehot = (
            F.one_hot(torch.where(labels == 255, 0, labels), k).permute(0, 3, 1, 2).float() * valid
        )
        inter = (probs * onehot).sum(dim=(0, 2, 3))
        denom = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
        loss = loss + cfg.dice_weight * (1 - ((2 * inter + 1) / (denom + 1)).mean())
    if bounds is not None:
        valid = bounds != 255
        if valid.any():
            # BCE plus soft Dice: BCE alone on thin edges learns to say "no edge" everywhere,
            # a positive class weight instead blurs the edges over whole objects
            target = bounds[valid].float()
            edge_logits = logits[:, k][valid]
            p = torch.sigmoid(edge_logits)
            dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
            bce = F.binary_cross_entropy_with_logits(edge_logits, target)
            loss = loss + cfg.boundary_weight * (bce + dice)
    return loss


class _Best:
    """The best validation so far: its score, a copy of its weights and its metrics."""

    def __init__(self) -> None:
        self.score, self.since = -1.0, 0
        self.state: dict[str, Any] | None = None
        self.metrics: dict[str, Any] = {}

    def update(
        self, step: int, summary: dict[str, Any], network: torch.nn.Module, min_delta: float
    ) -> bool:
        """Keep ``network``'s weights when ``summary`` improves on the best; True if so."""
        if self.state is not None and summary["mean_iou"] <= self.score + min_delta:
            self.since += 1
            return False
        self.score, self.since = summary["mean_iou"], 0
        self.state = copy.deepcopy(network.state_dict())
        self.metrics = {"step": step, **summary}
        return True


def _validate(
    model: SegModel,
    samples: Sequence[Sample],
    cfg: TrainConfig,
    cancelled: Callable[[], bool],
    group: Distributed | None = None,
) -> dict[str, Any] | None:
    """Held-out summary, or None when cancelled part way. With ``group`` each rank scores its
    share of ``samples`` with rank 0's weights and the confusion matrices are summed (no
    cancelling part way then: the other ranks would wait for this one)."""
    k = len(model.class_names) + 1
    conf = np.zeros((k, k), np.int64)
    if group is not None:
        group.sync_buffers(model.network)
        samples, cancelled = group.share(samples), lambda: False
    try:
        for s in samples:
            if cancelled():
                return None
            probs, _ = predict_proba(model, s.image, tile_size=cfg.tile_size, cancel=cancelled)
            conf += confusion(probs.argmax(axis=0), s.label, k)
    except InterruptedError:
        return None
    if group is not None:
        conf = group.sum_array(conf)
    return summarize(conf, model.class_names)


def train(
    samples: Sequence[Any],
    class_names: Sequence[str],
    config: TrainConfig | Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    device: str = "auto",
    cancel: Cancel | None = None,
    finish: Cancel | None = None,
    distributed: Distributed | None = None,
) -> Generator[TrainEvent, None, TrainResult]:
    """Train a segmentation model; yields :class:`TrainEvent`, returns :class:`TrainResult`.

    Args:
        samples: ``(image, label[, instances])`` tuples or :class:`.dataset.Sample` (see
            :mod:`.dataset` for shapes and values).
        class_names: the K classes; label value ``i`` is ``class_names[i - 1]``.
        config: a :class:`.config.TrainConfig` or a partial dict of its fields.
        seed: makes the split, the crops and the initial weights reproducible.
        device: ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"`` or ``"mps"``.
        cancel: a callable returning True, or a ``threading.Event``, to stop within one step
            (also between held-out images); no further validation runs.
        finish: the same, for "stop and save": stops before the next step, then validates
            once more when steps were taken since the last validation (``cancel`` still
            interrupts that validation).
        distributed: this rank of a torchrun job (:func:`.distributed.from_environment`);
            ``device`` is then the group's, and every rank must call ``train`` alike.

    Raises:
        TrainingDataError: the data cannot train a model (too few images, nothing to learn,
            bad label maps); raised at the first ``next()``, before any work.
        ModelError: a bad setting, an unavailable device, divergence or out of memory.
    """
    cfg = TrainConfig.from_dict(config)
    cfg.validate()
    names = [str(c) for c in class_names]
    cancelled, finishing = _cancel_fn(cancel), _cancel_fn(finish)
    data, notes = prepare_samples(samples, names)
    notes += check_trainable(data, names, min_images=cfg.min_images)
    arch = network_config({**cfg.arch, "num_classes": len(names) + 1, "in_channels": 3})
    group = distributed
    dev = group.device if group is not None else select_device(device)
    start = time.perf_counter()
    old_threads = torch.get_num_threads()
    threads = choose_threads(cfg.threads)
    if group is not None:  # the ranks on one machine share its cores
        threads = threads_per_rank(cfg.threads, usable_cores(), group.local_world_size)
    if dev.type == "cpu":
        torch.set_num_threads(threads)
    try:
        train_idx, val_idx = split_samples(data, cfg.val_fraction, seed)
        train_set = [data[i] for i in train_idx]
        val_set = [data[i] for i in val_idx]
        torch.manual_seed(seed)
        # Module.to accepts memory_format at run time; torch's overloads do not list it
        network = build_network(arch).to(dev, memory_format=torch.channels_last)  # type: ignore[call-overload]
        mean, std = _normalisation(train_set)
        model = SegModel(network, names, arch, mean=mean, std=std)  # type: ignore[arg-type]
        crop = math.ceil(cfg.crop_size / model.stride) * model.stride
        ranks = group.world_size if group is not None else 1
        crop_seed = seed + 1 + (7919 * group.rank if group is not None else 0)
        crops = CropDataset(train_set, crop, cfg.augment, seed=crop_seed, boundary=arch["boundary"])
        steps_per_epoch = max(1, math.ceil(crops.crops_per_epoch() / (cfg.batch_size * ranks)))
        where = f"CPU with {threads} thread(s)" if dev.type == "cpu" else str(dev)
        if group is not None:
            where = f"{ranks} processes ({group.backend}), each on {where}"
        notes.append(
            f"training on {len(train_set)} image(s), validating on {len(val_set)}, {where}, "
            f"{arch['arch']} network, {crop}x{crop} crops"
        )
        for note in notes:
            yield TrainEvent(
                "note",
                total_steps=0 if cfg.max_seconds else cfg.max_steps,
                message=note,
                budget=float(cfg.max_seconds) if cfg.max_seconds else None,
            )

        opt = torch.optim.AdamW(network.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        budget = float(cfg.max_seconds) if cfg.max_seconds else None
        warmup = max(1, min(100, cfg.max_steps // 20)) if budget is None else 20
        val_interval = budget / VALIDATIONS if budget is not None else 0.0
        next_val = val_interval

        def lr_at(step: int) -> float:
            if step <= warmup:
                return step / warmup
            if budget is not None:  # the cosine follows the clock
                t = min(1.0, (time.perf_counter() - start) / budget)
            else:
                t = (step - warmup) / max(1, cfg.max_steps - warmup)
            return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t))

        def expected_steps(step: int, elapsed: float) -> int:
            if budget is None:
                return cfg.max_steps
            if step == 0 or elapsed <= 0:
                return cfg.max_steps if cfg.max_steps < 10**6 else 0
            return min(cfg.max_steps, max(step, int(step * budget / elapsed)))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
        use_amp = cfg.amp and dev.type == "cuda"
        amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
        scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
        mean_t = torch.tensor(mean, device=dev).view(1, 3, 1, 1)
        std_t = torch.tensor(std, device=dev).view(1, 3, 1, 1)
        k = len(names) + 1

        best = _Best()
        stopped, step, epoch, validated = "max_steps", 0, 0, 0
        losses: list[tuple[int, float]] = []
        validations: list[dict[str, Any]] = []

        def validate() -> Generator[TrainEvent, None, bool]:
            """Score the held-out images at ``step``; False when cancelled part way."""
            nonlocal validated
            summary = _validate(model, val_set, cfg, cancelled, group)
            network.train()
            if summary is None:
                return False
            validated = step
            improved = best.update(step, summary, network, cfg.min_delta)
            validations.append({"step": step, **summary})
            elapsed = time.perf_counter() - start
            yield TrainEvent(
                "validation",
                step,
                expected_steps(step, elapsed),
                epoch,
                elapsed,
                mean_iou=summary["mean_iou"],
                iou=summary["iou"],
                dice=summary["dice"],
                best=improved,
                budget=budget,
            )
            return True

        net = group.wrap(network) if group is not None else network  # what the steps run
        net.train()
        for step in range(1, cfg.max_steps + 1):
            is_cancelled, is_finishing = cancelled(), finishing()
            time_up = budget is not None and step > 1 and time.perf_counter() - start >= budget
            if group is not None:  # all ranks stop at the same step, or none does
                is_cancelled, is_finishing, time_up = group.any(is_cancelled, is_finishing, time_up)
            if is_cancelled or is_finishing:
                stopped, step = "cancelled" if is_cancelled else "stopped", step - 1
                break
            if time_up:
                stopped, step = "time", step - 1
                break
            imgs, labs, bnds = crops.batch(cfg.batch_size)
            x = torch.from_numpy(imgs).to(dev).permute(0, 3, 1, 2).float()
            x = ((x - mean_t) / std_t).contiguous(memory_format=torch.channels_last)
            y = torch.from_numpy(labs).to(dev).long()
            b = torch.from_numpy(bnds).to(dev) if bnds is not None else None
            try:
                with torch.autocast(device_type=dev.type, dtype=amp_dtype, enabled=use_amp):
                    loss = _loss(net(x), y, b, k, cfg)
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            except torch.cuda.OutOfMemoryError as exc:
                raise ModelError(
                    f"out of memory on {dev} with batch size {cfg.batch_size} and "
                    f"{crop}x{crop} crops; lower them"
                ) from exc
            sched.step()
            value = float(loss.detach())
            elapsed = time.perf_counter() - start
            if group is not None:  # the mean loss, and one clock for "validate now"
                value, elapsed = (v / ranks for v in group.sum([value, elapsed]))
            if not math.isfinite(value):
                raise ModelError(
                    f"training diverged (loss {value} at step {step}); lower the learning rate"
                )
            losses.append((step, value))
            epoch = (step - 1) // steps_per_epoch + 1
            lr = opt.param_groups[0]["lr"]
            total = expected_steps(step, elapsed)
            yield TrainEvent("step", step, total, epoch, elapsed, loss=value, lr=lr, budget=budget)

            if budget is not None:
                due = elapsed >= next_val or step == cfg.max_steps
                if due:
                    while next_val <= elapsed:
                        next_val += val_interval
            else:
                due = step % cfg.val_every == 0 or step == cfg.max_steps
            if due:
                if not (yield from validate()):
                    stopped = "cancelled"
                    break
                if cfg.patience and best.since >= cfg.patience:
                    stopped = "early_stopping"
                    break
        if stopped in ("stopped", "time") and step > validated:
            yield TrainEvent(
                "note",
                step,
                cfg.max_steps,
                epoch,
                time.perf_counter() - start,
                message=f"stopped at step {step}: validating on {len(val_set)} held-out image(s)",
                budget=budget,
            )
            if not (yield from validate()):
                stopped = "cancelled"
    finally:
        if dev.type == "cpu":
            torch.set_num_threads(old_threads)

    if best.state is not None:
        network.load_state_dict(best.state)
    network.eval()
    seconds = time.perf_counter() - start
    model.metrics = best.metrics
    model.training = {
        **cfg.to_dict(),
        "seed": seed,
        "steps_done": step,
        "stopped": stopped,
        "device": str(dev),
        "threads": threads if dev.type == "cpu" else None,
        "train_images": len(train_set),
        "val_images": len(val_set),
        "seconds": round(seconds, 2),
    }
    if group is not None:
        model.training.update(processes=group.world_size, backend=group.backend)
    return TrainResult(
        model if step > 0 else None,
        best.metrics,
        stopped,
        step,
        seconds,
        train_idx,
        val_idx,
        notes,
        losses,
        validations,
    )


def run_training(
    gen: Generator[TrainEvent, None, TrainResult],
    on_event: Callable[[TrainEvent], None] | None = None,
) -> TrainResult:
    """Drive a :func:`train` generator to the end, passing each event to ``on_event``."""
    while True:
        try:
            ev = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_event is not None:
            on_event(ev)
