"""``labeldesk train`` as one process against N torchrun processes, same steps and settings,
on the real nuclei (tests/data/real/nuclei: tiles 0-2 in the folder, tile 3 never seen,
where the IoU below is measured; Otsu's threshold on the same tile is the plain baseline).

Each torchrun rank draws its own crops, so N ranks learn from N x batch crops per step; the
figures show what that buys per step and what it costs in wall time here. Wall seconds
include starting Python and importing torch in every process. On a machine with fewer cores
than ranks x threads the ranks share the cores, so this is not a speed-up measurement
there; on GPUs pass ``--device cuda`` (one process per GPU). The load average is printed.

Usage: .venv/bin/python benchmarks/bench_train_distributed.py [--nproc 2] [--steps 40]
       [--seeds 0,1,2] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.models.nuclei_data import held_out, iou, make_folder  # noqa: E402

SETTINGS = ["--width", "8", "--crop-size", "96", "--batch-size", "4", "--threads", "1",
            "--patience", "0"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(folder: Path, out: Path, nproc: int, steps: int, seed: int, device: str) -> dict:
    """Train once; ``{"seconds", "iou" (tile 3), "val_iou" (in-folder held-out)}``."""
    args = ["train", str(folder), "--out", str(out), "--steps", str(steps), "--seed", str(seed),
            "--val-every", str(steps), "--device", device, "--force", *SETTINGS]  # fmt: skip
    if nproc > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
               "--master_addr=127.0.0.1", f"--master_port={free_port()}", "-m", "labeldesk",
               *args]  # fmt: skip
    else:
        cmd = [sys.executable, "-m", "labeldesk", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=1800)
    seconds = time.perf_counter() - start
    from labeldesk.models.seg import load_model, predict

    model = load_model(out)
    image, truth = held_out()
    labels, _ = predict(model, image)
    meta = json.loads(out.with_suffix(".json").read_text())
    return {"seconds": seconds, "iou": iou(labels, truth), "val_iou": meta["metrics"]["mean_iou"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    from labeldesk.algorithms import threshold_mask

    image, truth = held_out()
    otsu = iou(threshold_mask(image[:, :, 0], method="otsu").astype(int), truth)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"{args.steps} steps, {' '.join(SETTINGS)}, device {args.device}, seeds {seeds}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_folder(Path(tmp) / "nuclei", (0, 1, 2))
        for nproc in (1, args.nproc):
            runs = [
                run(folder, Path(tmp) / f"m{nproc}.pt", nproc, args.steps, seed, args.device)
                for seed in seeds
            ]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            each = ", ".join(f"{r['iou']:.3f}" for r in runs)
            print(
                f"{nproc} process(es): tile-3 IoU median {med['iou']:.3f} ({each}), in-folder "
                f"held-out IoU median {med['val_iou']:.3f}, wall {med['seconds']:.1f} s median"
            )
    print(f"Otsu's threshold on tile 3: IoU {otsu:.3f}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
