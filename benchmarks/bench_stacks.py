"""Frame-stack reading: 1080p H.264 video and a 512x512x300 int16 NIfTI volume.

    .venv/bin/python benchmarks/bench_stacks.py [--frames 240] [--gop 60] [--slices 300]

Video (made here with PyAV/libx264, 1920x1080, 30 fps, a keyframe every ``--gop`` frames):
- open: frame index (from the mp4's own index, no pass over the file);
- next frame, decoder only: ``frame(i)`` right after ``frame(i - 1)`` with no read-ahead;
- next frame with read-ahead, for a viewer that spends ``--work`` ms on each frame (drawing
  it) before asking for the next, as when stepping or playing: the wait in ``frame(i)``;
- random seek: ``frame(i)`` for random ``i`` (no read-ahead, so each is a seek + decode).

Long video (64x48, ``--long-frames``): open time of an mp4 (container index) against an mkv
(whose index lists keyframes only, so every packet is demuxed once).

NIfTI (random int16 CT-like volume): open to first slice shown (``open_stack`` +
``frame(0)`` + the 8-bit display view), for ``.nii`` and ``.nii.gz``; slice step (next slice
with read-ahead and ``--work`` ms per slice, and without read-ahead); peak RSS growth while
stepping through every slice (the volume is never loaded whole).

Prints medians. Other processes share this machine; figures vary with its load.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    """Current resident memory of this process (file-backed mapped pages included)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1e3:.1f} ms (n={len(values)})"


def make_video(path: Path, frames: int, gop: int) -> None:
    import av

    rng = np.random.default_rng(0)
    base = (rng.random((270, 480, 3)) * 255).astype(np.uint8)
    base = np.kron(base, np.ones((4, 4, 1), np.uint8))  # 1080x1920 blocky texture
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=30)
        st.width, st.height, st.pix_fmt = 1920, 1080, "yuv420p"
        st.gop_size = gop
        st.options = {"preset": "ultrafast", "crf": "23", "bf": "2"}
        for i in range(frames):
            img = np.roll(base, 8 * i, axis=1)
            img[100:300, (20 * i) % 1700 : (20 * i) % 1700 + 200] = (255, 40, 40)
            for p in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
        for p in st.encode():
            out.mux(p)


def bench_video(tmp: Path, frames: int, gop: int, work: float) -> None:
    from labeldesk.io.stacks import open_stack

    path = tmp / "clip1080.mp4"
    t = time.perf_counter()
    make_video(path, frames, gop)
    print(
        f"video: {frames} frames 1920x1080 H.264, gop {gop}, made in "
        f"{time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.1f} MB)"
    )
    t = time.perf_counter()
    stack = open_stack(path, read_ahead=0)
    print(f"  open ({stack.stack.index_source} index): {(time.perf_counter() - t) * 1e3:.0f} ms")
    stack.frame(0)
    seq = []
    for i in range(1, min(frames, 90)):
        t = time.perf_counter()
        stack.frame(i)
        seq.append(time.perf_counter() - t)
    print(f"  next frame, decoder only: {ms(seq)}")
    rng = np.random.default_rng(1)
    seeks = []
    for i in rng.integers(0, frames, 30):
        t = time.perf_counter()
        stack.frame(int(i))
        seeks.append(time.perf_counter() - t)
    print(f"  random seek: {ms(seeks)}, max {max(seeks) * 1e3:.0f} ms")
    stack.close()
    with open_stack(path, read_ahead=8) as stack:
        stack.frame(0)
        waits = []
        for i in range(1, min(frames, 90)):
            time.sleep(work)
            t = time.perf_counter()
            stack.frame(i)
            waits.append(time.perf_counter() - t)
        print(f"  next frame with read-ahead ({work * 1e3:.0f} ms of work per frame): {ms(waits)}")


def bench_long_video(tmp: Path, frames: int) -> None:
    """Opening a long video: the container's index (mp4) against one demux pass (mkv)."""
    import av

    from labeldesk.io.stacks import open_stack

    for name in ("long.mp4", "long.mkv"):
        path = tmp / name
        with av.open(str(path), "w") as out:
            st = out.add_stream("libx264", rate=30)
            st.width, st.height, st.pix_fmt = 64, 48, "yuv420p"
            st.options = {"preset": "ultrafast"}
            img = np.zeros((48, 64, 3), np.uint8)
            for i in range(frames):
                img[:, :, 0] = i % 256
                for p in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                    out.mux(p)
            for p in st.encode():
                out.mux(p)
        opens = []
        for _ in range(3):
            t = time.perf_counter()
            stack = open_stack(path, read_ahead=0)
            opens.append(time.perf_counter() - t)
            source = stack.stack.index_source
            stack.close()
        print(
            f"long video {name}: {frames} frames ({frames / 30 / 60:.0f} min at 30 fps), "
            f"open {ms(opens)} (index from {source})"
        )


def bench_nifti(tmp: Path, slices: int, work: float) -> None:
    import nibabel as nib

    from labeldesk.io import to_display
    from labeldesk.io.stacks import open_stack

    rng = np.random.default_rng(0)
    vol = np.empty((512, 512, slices), np.int16)
    for k in range(slices):
        vol[:, :, k] = rng.normal(40, 300, (512, 512))
    nbytes = vol.nbytes
    affine = np.diag([0.7, 0.7, 1.25, 1.0])
    for name in ("ct.nii", "ct.nii.gz"):
        nib.save(nib.Nifti1Image(vol, affine), str(tmp / name))
    del vol
    for name in ("ct.nii", "ct.nii.gz"):
        path = tmp / name
        opens = []
        for _ in range(3):
            t = time.perf_counter()
            stack = open_stack(path, read_ahead=0)
            to_display(stack.frame(0))
            opens.append(time.perf_counter() - t)
            stack.close()
        print(
            f"nifti {name} ({path.stat().st_size / 1e6:.0f} MB): open to first slice shown: "
            f"{ms(opens)}"
        )
        lasts = []
        for _ in range(3):
            with open_stack(path, read_ahead=0) as stack:
                t = time.perf_counter()
                stack.frame(slices - 1)
                lasts.append(time.perf_counter() - t)
        print(f"  open, then the last slice at once: {ms(lasts)}")
        rss0, rss_max = rss_mb(), 0.0
        with open_stack(path, read_ahead=0) as stack:
            plain = []
            for i in range(slices):
                t = time.perf_counter()
                stack.frame(i)
                plain.append(time.perf_counter() - t)
                rss_max = max(rss_max, rss_mb())
        print(
            f"  slice step, no read-ahead: {ms(plain)}; RSS growth while stepping through "
            f"all slices: max {rss_max - rss0:.0f} MB (volume {nbytes / 1e6:.0f} MB)"
        )
        with open_stack(path, read_ahead=8) as stack:
            stack.frame(0)
            waits = []
            for i in range(1, min(slices, 120)):
                time.sleep(work)
                t = time.perf_counter()
                stack.frame(i)
                waits.append(time.perf_counter() - t)
        print(f"  slice step with read-ahead ({work * 1e3:.0f} ms of work per slice): {ms(waits)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--gop", type=int, default=60)
    ap.add_argument("--slices", type=int, default=300)
    ap.add_argument("--work", type=float, default=16.0, help="ms a viewer spends per frame")
    ap.add_argument("--only", choices=("video", "long", "nifti"), default=None)
    ap.add_argument("--long-frames", type=int, default=30000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        if args.only in (None, "video"):
            bench_video(Path(d), args.frames, args.gop, args.work / 1e3)
        if args.only in (None, "long"):
            bench_long_video(Path(d), args.long_frames)
        if args.only in (None, "nifti"):
            bench_nifti(Path(d), args.slices, args.work / 1e3)


if __name__ == "__main__":
    main()
