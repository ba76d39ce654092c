"""``labeldesk train SRC_DIR [--out MODEL] [--classes a,b] [--time S | --steps N] [--arch ...]``.

Trains a segmentation network on every labeled image of SRC_DIR (labelme JSON next to the
images, rasterized as the VOC export draws them), holds some images out, and writes the best
weights as ``MODEL.pt`` plus ``MODEL.json`` (classes, settings, held-out metrics). The default
``--out`` is ``SRC_DIR/.labeldesk/model.pt``, where the app's auto-segment finds it.

Training runs for a time budget (``--time``; default about a minute on a CPU, see
:mod:`.budget`) with crop size, batch, width and learning rate chosen for the device unless
given; ``--steps N`` alone trains exactly N steps (reproducible). ``--arch forest`` trains
the pixel classifier instead (:mod:`.forest_command`; seconds, no torch).

Under ``torchrun`` (``WORLD_SIZE`` > 1) every process trains one share of the work with
DistributedDataParallel (see :mod:`.distributed`) and only rank 0 prints and writes the
model; ``--arch forest`` trains in one process, so there rank 0 trains it and the other
ranks exit at once (code 0).

On a terminal a progress bar shows on stderr; otherwise only the summary is printed (stdout):
per-class IoU and Dice on the held-out images. Exit code 0 on success, 1 when the data or a
setting cannot train a model (the message says why), 2 for bad arguments, 130 when
interrupted (Ctrl+C; nothing is written then).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from labeldesk.core.errors import ModelError
from labeldesk.core.progress import TerminalBar

SPECIAL_LABELS = ("__ignore__", "_background_")
DEFAULT_OUT = Path(".labeldesk") / "model.pt"


def parse_classes(text: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; raises ModelError for empty or repeated names."""
    names = [c.strip() for c in text.split(",")]
    if not text.strip() or any(not c for c in names):
        raise ModelError(f"--classes {text!r}: give comma-separated class names, none empty")
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise ModelError(f"--classes {text!r}: {', '.join(map(repr, repeated))} given twice")
    special = [c for c in names if c in SPECIAL_LABELS]
    if special:
        raise ModelError(f"--classes: {', '.join(special)} is a reserved label, not a class")
    return names


def folder_classes(folder: Path) -> list[str]:
    """Labels of the shapes in the labelme JSON files of ``folder``, sorted by name.

    Files that are not labelme JSON are passed over here (training reports them).
    """
    labels: set[str] = set()
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        shapes = data.get("shapes") if isinstance(data, dict) else None
        if not isinstance(shapes, list):
            continue
        for shape in shapes:
            label = shape.get("label") if isinstance(shape, dict) else None
            if isinstance(label, str) and label.strip() and label not in SPECIAL_LABELS:
                labels.add(label)
    return sorted(labels)


def check_output(out: Path, classes: Sequence[str], *, force: bool) -> None:
    """Refuse to overwrite a file that is not a labeldesk model, or (without ``force``) a
    model trained on other classes.

    Raises:
        ModelError: naming the file and what is in the way.
    """
    from labeldesk.models.seg.model import FORMAT, model_paths

    weights, sidecar = model_paths(out)
    if weights.suffix != ".pt":
        raise ModelError(f"--out {out}: the model name must end in .pt or .json")
    for path in (weights, sidecar):
        if path.is_dir():
            raise ModelError(f"--out {out}: {path} is a folder")
    if not sidecar.exists():
        if weights.exists():
            raise ModelError(
                f"--out {out}: {weights} exists without a model description; not overwriting it"
            )
        return
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(
            f"--out {out}: {sidecar} exists and is not a labeldesk model (a labelme file?); "
            "choose another name"
        )
    old = [str(c) for c in meta.get("classes") or []]
    if sorted(old) != sorted(classes) and not force:
        raise ModelError(
            f"--out {out}: the model there was trained on classes {old}, these labels have "
            f"{list(classes)}; use --force to replace it, or choose another --out"
        )


class ProgressBar(TerminalBar):
    """The training bar on a terminal (``stream`` is a TTY): steps, loss, validation IoU."""

    def __init__(self, total: int, stream: TextIO) -> None:
        super().__init__("train", total, stream, width=28, interval=0.1, newline_at_end=False)
        self.loss: float | None = None
        self.iou: float | None = None
        self.best: float | None = None

    def update(self, ev: Any) -> None:
        if ev.kind == "step":
            self.loss = ev.loss
        elif ev.kind == "validation":
            self.iou = ev.mean_iou
            self.best = ev.mean_iou if ev.best else self.best
        if ev.kind == "note":
            return
        parts = []
        if self.loss is not None:
            parts.append(f"loss {self.loss:.3f}")
        if self.iou is not None:
            parts.append(f"val IoU {self.iou:.3f} (best {self.best or 0:.3f})")
        parts.append(f"{ev.elapsed:.0f} s")
        eta = ev.eta
        if eta is not None:
            parts.append(f"ETA {eta:.0f} s")
        if ev.budget:  # by time: the bar counts seconds of the budget
            parts.insert(0, f"step {ev.step}")
            done, total = int(min(ev.elapsed, ev.budget)), int(round(ev.budget))
            self.show(done, " ".join(parts), total=total, force=ev.kind == "validation")
            return
        self.show(ev.step, " ".join(parts), force=ev.kind == "validation")


def metrics_table(metrics: dict[str, Any], class_names: Sequence[str]) -> list[str]:
    """Lines of a per-class IoU / Dice table (``-`` where a class had no pixels)."""

    def fmt(v: float | None) -> str:
        return "   -  " if v is None else f"{v:6.3f}"

    iou, dice = metrics.get("iou", {}), metrics.get("dice", {})
    width = max(10, *(len(c) for c in class_names))
    lines = [f"  {'class':<{width}}  {'IoU':>6}  {'Dice':>6}"]
    for name in ("background", *class_names):
        lines.append(f"  {name:<{width}}  {fmt(iou.get(name))}  {fmt(dice.get(name))}")
    mean_iou, mean_dice = metrics.get("mean_iou"), metrics.get("mean_dice")
    lines.append(f"  {'mean':<{width}}  {fmt(mean_iou)}  {fmt(mean_dice)}   (foreground classes)")
    return lines


def summary_lines(result: Any, classes: Sequence[str], weights: Path, sidecar: Path) -> list[str]:
    training = result.model.training
    where = training.get("device", "?")
    if training.get("threads"):
        where += f", {training['threads']} thread(s)"
    if training.get("processes"):
        where = f"{training['processes']} processes ({training.get('backend')}), each {where}"
    stopped = {
        "max_steps": "reached --steps",
        "early_stopping": "stopped early: validation IoU stopped improving",
        "time": "time budget spent",
        "cancelled": "stopped",
    }.get(result.stopped, result.stopped)
    arch = result.model.arch
    lines = [
        f"trained {arch['arch']} (width {arch.get('width')}) on {training.get('train_images')} "
        f"image(s), {training.get('val_images')} held out: {result.steps} steps in "
        f"{result.seconds:.1f} s on {where}; {stopped}",
    ]
    if result.metrics:
        lines.append(f"held-out scores of the saved weights (step {result.metrics.get('step')}):")
        lines += metrics_table(result.metrics, classes)
    else:
        lines.append("saved before any validation: no held-out scores yet (not an IoU of 0)")
    lines.append(f"saved {weights} and {sidecar.name}")
    return lines


class TrainCommand:
    help = "train a segmentation model on the labeled images of a folder"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("src", metavar="SRC_DIR", help="folder of images with labelme JSON")
        parser.add_argument(
            "--out",
            metavar="MODEL",
            help="model file to write (MODEL.pt + MODEL.json); default "
            "SRC_DIR/.labeldesk/model.pt, where the app finds it",
        )
        parser.add_argument(
            "--classes",
            metavar="A,B,...",
            help="classes to learn, in output order (default: every label used, by name)",
        )
        parser.add_argument(
            "--time",
            metavar="SECONDS",
            type=_seconds,
            help="train for this long (default: about a minute on a CPU, 2 min on a GPU, "
            "unless --steps is given)",
        )
        parser.add_argument(
            "--steps",
            metavar="N",
            type=_positive,
            help="train exactly N steps (reproducible); with --time, at most N",
        )
        parser.add_argument("--arch", choices=("unet", "deeplab", "forest"), default="unet")
        parser.add_argument(
            "--width", metavar="N", type=_positive, help="network width (default: by device)"
        )
        parser.add_argument(
            "--boundary",
            action="store_true",
            help="learn object edges too, to split touching objects of one class",
        )
        parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
        parser.add_argument(
            "--seed", metavar="N", type=int, default=0, help="split, crops and weights (0)"
        )
        parser.add_argument(
            "--threads", metavar="N", type=_positive, help="CPU threads (default: all cores)"
        )
        parser.add_argument(
            "--crop-size", metavar="N", type=_positive, help="training crop (default: by device)"
        )
        parser.add_argument(
            "--batch-size", metavar="N", type=_positive, help="crops per step (default: by device)"
        )
        parser.add_argument(
            "--lr", metavar="LR", type=float, help="learning rate (default: by device)"
        )
        parser.add_argument(
            "--val-every",
            metavar="N",
            type=_positive,
            help="with --steps: validate every N steps (100); by time: 8 times per budget",
        )
        parser.add_argument(
            "--patience",
            metavar="N",
            type=_non_negative,
            default=6,
            help="stop after N validations without improvement; 0 never stops early (6)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a model at --out that was trained on other classes",
        )
        parser.add_argument(
            "--include-machine",
            action="store_true",
            help="also learn from machine-made shapes no person has reviewed yet "
            "(prelabel, accepted auto-segment proposals); left out by default",
        )

    def run(self, args: argparse.Namespace) -> int:
        return train_folder(args, progress=sys.stderr, out=sys.stdout)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def train_folder(args: argparse.Namespace, *, progress: TextIO, out: TextIO) -> int:
    """Run ``labeldesk train`` with parsed ``args``; returns the exit code.

    Raises:
        LabeldeskError: bad data or settings (the CLI prints it and exits 1).
    """
    from labeldesk.models.seg.dataset import TrainingDataError
    from labeldesk.models.seg.distributed import rank, world_size
    from labeldesk.models.seg.folder import samples_from_folder

    ranks = world_size()
    if ranks > 1 and args.arch == "forest" and rank() != 0:
        return 0  # the forest trains in one process: rank 0's
    src = Path(args.src)
    if not src.is_dir():
        raise TrainingDataError(f"{src}: not a folder")
    classes = parse_classes(args.classes) if args.classes else folder_classes(src)
    if not classes:
        raise TrainingDataError(
            f"{src}: no labeled shapes found in its labelme JSON files; label some images first"
        )
    out_path = Path(args.out) if args.out else src / DEFAULT_OUT
    check_output(out_path, classes, force=args.force)
    if args.arch == "forest":
        from labeldesk.models.seg.forest_command import train_forest_folder

        if ranks > 1:
            print(
                f"note: --arch forest trains in one process: rank 0 trains it, the other "
                f"{ranks - 1} process(es) started by torchrun have exited",
                file=progress,
            )

        return train_forest_folder(args, classes, out_path, progress=progress, out=out)
    samples, notes = samples_from_folder(
        src, classes, include_machine=bool(getattr(args, "include_machine", False))
    )

    from labeldesk.models.device import select_device
    from labeldesk.models.seg.budget import auto_settings, default_seconds
    from labeldesk.models.seg.distributed import from_environment, threads_per_rank
    from labeldesk.models.seg.model import save_model
    from labeldesk.models.seg.training import choose_threads, train, usable_cores

    group = from_environment(args.device)  # None without torchrun
    if group is None:
        device_type = select_device(args.device).type
        threads = choose_threads(args.threads)
    else:
        device_type = group.device.type
        threads = threads_per_rank(args.threads, usable_cores(), group.local_world_size)
        if not group.is_main:  # rank 0 alone prints and writes
            progress = out = io.StringIO()
    auto = auto_settings(
        [s.image.shape[:2] for s in samples], device_type=device_type, threads=threads
    )
    arch: dict[str, Any] = {"arch": args.arch}
    arch["width"] = args.width or auto["arch"]["width"]
    if args.boundary:
        arch["boundary"] = True
    seconds = args.time if args.time else (None if args.steps else default_seconds(device_type))
    steps = args.steps or 10**9
    config = {
        "arch": arch,
        "max_steps": steps,
        "max_seconds": seconds,
        "crop_size": args.crop_size or auto["crop_size"],
        "batch_size": args.batch_size or auto["batch_size"],
        "val_every": min(args.val_every or 100, steps),
        "patience": args.patience,
        "threads": args.threads,
        "lr": args.lr or auto["lr"],
    }
    print(f"classes: {', '.join(classes)}", file=progress)
    print(
        f"settings: {arch['arch']} width {arch['width']}, {config['crop_size']} px crops, "
        f"batch {config['batch_size']}, lr {config['lr']:g}, "
        + (f"{seconds:g} s budget" if seconds else f"{steps} steps")
        + ("" if device_type != "cpu" else f" (CPU, {threads} thread(s), no GPU found)")
        + (f"; {group.world_size} processes ({group.backend})" if group else ""),
        file=progress,
    )
    for note in notes:
        print(f"note: {note}", file=progress)
    gen = train(samples, classes, config, seed=args.seed, device=args.device, distributed=group)
    bar = ProgressBar(steps if not seconds else 0, progress)
    try:
        while True:
            try:
                ev = next(gen)
            except StopIteration as stop:
                result = stop.value
                break
            if ev.kind == "note" and ev.message not in notes:
                print(f"note: {ev.message}", file=progress)
            bar.update(ev)
    finally:
        gen.close()
        bar.close()
    if result.model is None:
        raise ModelError("training stopped before the first step; no model was written")
    if group is None or group.is_main:
        weights, sidecar = save_model(result.model, out_path)
        print("\n".join(summary_lines(result, classes, weights, sidecar)), file=out)
    if group is not None:
        group.close()
    return 0


COMMAND = TrainCommand()
