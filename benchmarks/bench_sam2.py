"""Time SAM 2.1 on this machine with random weights of the real architectures (figures, not a
test).

Prints: the image-encoder time at 1024 px of SAM 2.1 Hiera-tiny next to MobileSAM's (vit_t),
the per-click decoder time of SAM 2.1 tiny, and the per-frame propagation time of the video
predictor (tiny, one object, 1024 px model input, frames of --frame-size). Medians of --runs.
On a GPU (--device cuda) it also times --dtype bf16 (autocast). Usage::

    .venv/bin/python benchmarks/bench_sam2.py [--device cpu] [--runs 3] [--frames 8]
        [--variant tiny] [--dtype fp32]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable

import numpy as np

from labeldesk.models.device import import_torch, select_device

torch = import_torch()

from labeldesk.models.sam import SamPredictor, build_sam  # noqa: E402
from labeldesk.models.sam2 import OFFICIAL_CONFIGS, Sam2Predictor, Sam2VideoPredictor  # noqa: E402
from labeldesk.models.sam2.model import Sam2Model  # noqa: E402


def picture(h: int, w: int, t: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx * 255 // w, yy * 255 // h, np.full_like(xx, 90)], -1)
    cx, cy = w // 3 + 4 * t, h // 2 + t
    img[(xx - cx) ** 2 + (yy - cy) ** 2 < (h // 6) ** 2] = (220, 40, 40)
    return img.astype(np.uint8)


def median(fn: Callable[[], object], runs: int, sync: Callable[[], None]) -> float:
    fn()
    sync()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def frame_times(video: Sam2VideoPredictor, state: object, sync: Callable[[], None]) -> list[float]:
    """Seconds per propagated frame after the prompted one (frame 0)."""
    per_frame = []
    last = time.perf_counter()
    for frame, _ in video.propagate(state):  # type: ignore[arg-type]
        sync()
        now = time.perf_counter()
        if frame > 0:
            per_frame.append(now - last)
        last = now
    return per_frame


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--frame-size", default="480x640")
    ap.add_argument("--variant", default="tiny", choices=sorted(OFFICIAL_CONFIGS))
    ap.add_argument("--dtype", default="fp32", choices=("fp32", "bf16"))
    ap.add_argument("--skip-mobilesam", action="store_true")
    args = ap.parse_args()
    device = select_device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    autocast = (
        torch.autocast(device.type, dtype=torch.bfloat16)
        if args.dtype == "bf16"
        else contextlib.nullcontext()
    )
    print(f"device {device} ({torch.get_num_threads()} CPU threads), dtype {args.dtype}")
    image = picture(1024, 1024)
    torch.manual_seed(0)
    sam2 = Sam2Model(OFFICIAL_CONFIGS[args.variant]).eval().requires_grad_(False).to(device)
    pred2 = Sam2Predictor(sam2)
    with autocast:
        enc = median(lambda: pred2.set_image(image), args.runs, sync)
        click = median(
            lambda: pred2.predict(np.array([[300.0, 350.0]]), np.array([1])), args.runs, sync
        )
    print(f"SAM 2.1 {args.variant} encoder 1024 px: {1000 * enc:.0f} ms (median of {args.runs})")
    print(f"SAM 2.1 {args.variant} click (decoder + upsampling): {1000 * click:.1f} ms")
    if not args.skip_mobilesam:
        mobile = build_sam("vit_t").to(device)
        pred1 = SamPredictor(mobile)
        enc1 = median(lambda: pred1.set_image(image), args.runs, sync)
        print(f"MobileSAM (vit_t) encoder 1024 px: {1000 * enc1:.0f} ms (median of {args.runs})")
    h, w = (int(v) for v in args.frame_size.split("x"))
    frames = [picture(h, w, t) for t in range(args.frames)]
    video = Sam2VideoPredictor(sam2)
    state = video.init_state(frames)
    with autocast:
        video.add_points(state, 0, 1, points=[[w // 3, h // 2]], labels=[1])
        per_frame = frame_times(video, state, sync)
    mid = statistics.median(per_frame)
    print(
        f"SAM 2.1 {args.variant} propagation, 1 object, {h}x{w} frames: {1000 * mid:.0f} ms/frame "
        f"(median of {len(per_frame)}; image encoder included) = {1 / mid:.2f} frames/s"
    )
    # again over the same frames: their image features are in the cache now, so this is the
    # memory attention + SAM heads + memory encoder alone
    with autocast:
        per_frame = frame_times(video, state, sync)
    mid = statistics.median(per_frame)
    print(
        f"SAM 2.1 {args.variant} propagation with cached image features: {1000 * mid:.0f} "
        f"ms/frame (median of {len(per_frame)}) = {1 / mid:.2f} frames/s"
    )


if __name__ == "__main__":
    main()
