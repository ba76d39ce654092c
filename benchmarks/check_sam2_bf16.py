"""bf16 autocast against fp32 for the SAM 2.1 video predictor on the reference clip (figures,
not a test): mask IoU per frame and object.

Default model: the tiny reference model of ../shared/sam2_reference (random weights, so its
logits sit near zero and bf16 flips more pixels than a trained model would). With a GPU, pass
``--device cuda`` and an official checkpoint (``--checkpoint sam2.1_hiera_tiny.pt``). Usage::

    .venv/bin/python benchmarks/check_sam2_bf16.py [--device cpu] [--checkpoint PATH --config JSON]
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import numpy as np

from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models.sam2 import Sam2VideoPredictor, load_sam2  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "sam2_reference"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--checkpoint", default=str(SHARED / "sam2_tiny_state.pt"))
    ap.add_argument("--config", default=str(SHARED / "sam2_tiny_config.json"))
    args = ap.parse_args()
    config = args.config if args.config and Path(args.config).is_file() else None
    model = load_sam2(args.checkpoint, args.device, config=config)
    frames = np.load(SHARED / "video_frames_decoded_6x200x300.npy")

    def run(ctx: contextlib.AbstractContextManager[object]) -> dict[int, dict[int, np.ndarray]]:
        vp = Sam2VideoPredictor(model)
        st = vp.init_state(frames)
        with ctx:
            vp.add_points(st, 0, 1, points=[[90, 100]], labels=[1])
            vp.add_points(st, 0, 2, box=[196, 56, 260, 104])
            return {f: {k: v > 0 for k, v in r.items()} for f, r in vp.propagate(st)}

    fp32 = run(contextlib.nullcontext())
    bf16 = run(torch.autocast(model.device.type, dtype=torch.bfloat16))
    ious = []
    for frame, objs in fp32.items():
        for obj, a in objs.items():
            b = bf16[frame][obj]
            union = int((a | b).sum())
            iou = (a & b).sum() / union if union else 1.0
            ious.append(iou)
            print(
                f"frame {frame} object {obj}: fp32 {int(a.sum())} px, bf16 {int(b.sum())} px, IoU {iou:.4f}"
            )
    print(
        f"bf16 vs fp32 mask IoU on {model.device.type}: min {min(ious):.4f}, mean {np.mean(ious):.4f}"
    )


if __name__ == "__main__":
    main()
