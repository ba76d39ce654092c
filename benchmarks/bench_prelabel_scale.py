"""``labeldesk prelabel`` throughput with the defaults a user gets, and what the pipeline adds.

For each source (no model = classical auto-segment; a trained U-Net of the default size;
MobileSAM and SAM 2.1 tiny automatic masks with ``--sam``) it pre-labels a folder of
1024x768 JPEGs (real photos from tests/data/real, resized) and prints images per second and
the share of the wall time the model stage was busy, for:

- ``plain``: one process, one image at a time (``--workers 0 --batch-size 1``);
- ``default``: what ``labeldesk prelabel`` does by default (decode processes when the folder
  has 8 or more images, JSON written by a writer thread, batches of 8 on a GPU);
- ``batch 8``: eight images per network pass (trained U-Net only).

The networks have random weights of the real architectures (speed does not depend on the
training; the U-Net's head is biased so that it finds objects to write). The load average is
printed: on a shared machine the figures are only as quiet as the machine.

Usage: .venv/bin/python benchmarks/bench_prelabel_scale.py [--images 16] [--runs 3] [--sam]
       [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import cv2  # noqa: E402

from labeldesk.models.device import import_torch  # noqa: E402

torch = import_torch()

from labeldesk.models import seg  # noqa: E402
from labeldesk.models.prelabel_command import prelabel_folder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "real"


def write_images(folder: Path, n: int) -> None:
    sources = sorted((REAL / "photos").glob("*.jpg")) + sorted((REAL / "video").glob("*.jpg"))
    folder.mkdir(parents=True)
    for i in range(n):
        img = cv2.imread(str(sources[i % len(sources)]))
        cv2.imwrite(str(folder / f"img{i:03d}.jpg"), cv2.resize(img, (1024, 768)))


def unet_file(tmp: Path, device: str) -> Path:
    torch.manual_seed(0)
    cfg = seg.network_config({"arch": "unet", "num_classes": 3})  # default width and depth
    net = seg.build_network(cfg).eval()
    head = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    with torch.no_grad():
        head.bias[:] = torch.tensor([0.0, 0.0, -20.0])
    model = seg.SegModel(net, ["a", "b"], cfg, mean=(120.0,) * 3, std=(60.0,) * 3)
    weights, _ = seg.save_model(model, tmp / "unet" / "model.pt")
    return weights


def sam_files(tmp: Path) -> dict[str, Path]:
    from labeldesk.models.sam import build_sam
    from labeldesk.models.sam2 import OFFICIAL_CONFIGS
    from labeldesk.models.sam2.model import Sam2Model

    torch.manual_seed(0)
    out = {"MobileSAM": tmp / "mobile_sam.pt", "SAM 2.1 tiny": tmp / "sam2.1_hiera_tiny.pt"}
    torch.save(build_sam("vit_t").state_dict(), out["MobileSAM"])
    torch.save({"model": Sam2Model(OFFICIAL_CONFIGS["tiny"]).state_dict()}, out["SAM 2.1 tiny"])
    return out


def run(folder: Path, runs: int, **options: object) -> tuple[float, float, int]:
    """Median (images/s, model busy share, objects) over ``runs`` fresh runs."""
    rates, busy, objects = [], [], 0
    for _ in range(runs):
        for js in folder.glob("*.json"):
            js.unlink()
        s = prelabel_folder(folder, progress=open(os.devnull, "w"), **options)  # noqa: SIM115
        if s.failed:
            raise SystemExit(f"failed: {s.failed[:3]}")
        rates.append(len(s.written) / s.seconds)
        busy.append(s.model_seconds / s.seconds)
        objects = s.objects
    return statistics.median(rates), statistics.median(busy), objects


def stage_times(folder: Path) -> str:
    """Median ms of decoding one JPEG, serialising its classical proposals' JSON, writing it."""
    from labeldesk.core.jobs import run_job
    from labeldesk.core.proposals import classical_proposals
    from labeldesk.io.atomic import atomic_write_text
    from labeldesk.models import prelabel_pipeline as pipe

    path = sorted(folder.glob("*.jpg"))[0]
    json_path = folder / "stage.json"

    def ms(fn: object, n: int = 9) -> float:
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()  # type: ignore[operator]
            times.append(time.perf_counter() - t0)
        return 1000 * statistics.median(times)

    rgb = pipe.decode_one(str(path))[1]
    doc = pipe.document_for(path, rgb.shape, run_job(classical_proposals(rgb)), label="object")
    text = pipe.labelme_text(doc, json_path)
    out = (
        f"stages of one image: decode {ms(lambda: pipe.decode_one(str(path))):.0f} ms; "
        f"serialise JSON of {len(doc.shapes)} objects ({len(text) // 1024} KiB) "
        f"{ms(lambda: pipe.labelme_text(doc, json_path)):.0f} ms; atomic write "
        f"{ms(lambda: atomic_write_text(json_path, text)):.1f} ms"
    )
    json_path.unlink()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sam", action="store_true", help="also SAM-family automatic masks (slow)")
    ap.add_argument("--sam-images", type=int, default=2)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = ap.parse_args()
    print(
        f"torch {torch.__version__}, {args.device}, load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs; {args.images} JPEGs of 1024x768, median of {args.runs} runs"
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "images"
        write_images(folder, args.images)
        print(stage_times(folder))
        rows: list[tuple[str, str, dict[str, object]]] = [
            ("no model (classical)", "plain", {"workers": 0, "batch_size": 1}),
            ("no model (classical)", "default", {}),
        ]
        unet = unet_file(tmp, args.device)
        common = {"model": unet, "device": args.device}
        rows += [
            ("trained U-Net (w16 d4)", "plain", {**common, "workers": 0, "batch_size": 1}),
            ("trained U-Net (w16 d4)", "default", common),
            ("trained U-Net (w16 d4)", "batch 8", {**common, "batch_size": 8}),
        ]
        for source, mode, options in rows:
            rate, busy, objects = run(folder, args.runs, **options)
            print(
                f"{source:24s} {mode:8s} {rate:6.2f} images/s  model busy {100 * busy:3.0f} %  "
                f"({objects / args.images:.0f} objects/image)"
            )
        if args.sam:
            small = tmp / "few"
            small.mkdir()
            for p in sorted(folder.glob("*.jpg"))[: args.sam_images]:
                shutil.copy(p, small / p.name)
            for name, path in sam_files(tmp).items():
                rate, busy, objects = run(small, 1, model=path, device=args.device)
                print(
                    f"{name + ' AMG 16x16':24s} default  {rate:6.3f} images/s  model busy "
                    f"{100 * busy:3.0f} %  ({args.sam_images} images, 1 run)"
                )


if __name__ == "__main__":
    main()
