"""``labeldesk train`` under torchrun: two CPU processes with gloo on 127.0.0.1, started by
``python -m torch.distributed.run`` in a subprocess of its own session (killed whole on a
timeout), training on the real nuclei (tiles 0-2 in the folder, tile 3 held out).

- by steps: both ranks train with DistributedDataParallel, rank 0 alone prints and writes one
  model (``.pt`` + ``.json``), which loads and predicts tile 3 above an IoU floor;
- by time: the budget stops both ranks at the same step (a rank stopping alone would leave
  the other waiting in the gradient all-reduce until the timeout);
- ``--arch forest`` is single-process: the ranks other than 0 exit at once, writing nothing
  (rank 0 trains it as without torchrun, with a note; the forest itself is tested in
  test_forest.py).
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from labeldesk.cli import main
from labeldesk.core.errors import ModelError
from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models.seg import load_model, predict  # noqa: E402
from labeldesk.models.seg.distributed import from_environment, threads_per_rank  # noqa: E402
from tests.models.nuclei_data import held_out, iou, make_folder  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 150  # seconds for one torchrun job; a deadlock fails the test instead of hanging CI
SMALL = ["--width", "8", "--crop-size", "96", "--batch-size", "4", "--threads", "1",
         "--device", "cpu", "--patience", "0"]  # fmt: skip


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def torchrun(args: list[str], *, nproc: int = 2) -> subprocess.CompletedProcess[str]:
    """``torchrun --nproc_per_node=NPROC -m labeldesk train ARGS`` on loopback; every process
    it started is killed when it returns, or if it runs past :data:`TIMEOUT`. Tried once more
    on another port when the free port picked was taken in between."""
    for _ in range(2):
        done = _torchrun_once(args, nproc, free_port())
        if done.returncode == 0 or "address already in use" not in done.stderr.lower():
            break
    return done


def _torchrun_once(args: list[str], nproc: int, port: int) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
           "--nnodes=1", "--master_addr=127.0.0.1", f"--master_port={port}",
           "-m", "labeldesk", "train", *args]  # fmt: skip
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    env.pop("WORLD_SIZE", None)
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"torchrun ran past {TIMEOUT} s (deadlock?)\n{stdout}\n{stderr}")
    finally:
        try:  # torchrun's session: it and every rank it started
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("nuclei"), (0, 1, 2))


def test_two_gloo_processes_train_one_model_that_loads_and_predicts(folder, tmp_path) -> None:
    out = tmp_path / "models" / "seg.pt"
    done = torchrun([str(folder), "--out", str(out), "--steps", "40", "--val-every", "20", *SMALL])
    assert done.returncode == 0, done.stderr
    # rank 0 alone writes and prints: one model, one summary, one settings line
    assert sorted(p.name for p in out.parent.iterdir()) == ["seg.json", "seg.pt"]
    assert [line.startswith("saved ") for line in done.stdout.splitlines()].count(
        True
    ) == 1 and done.stderr.count("settings: ") == 1
    assert "2 processes (gloo)" in done.stdout
    meta = json.loads(out.with_suffix(".json").read_text())
    training = meta["training"]
    assert training["processes"] == 2 and training["backend"] == "gloo"
    assert training["steps_done"] == 40 and training["stopped"] == "max_steps"
    assert training["threads"] == 1 and training["device"] == "cpu"
    assert meta["metrics"]["step"] in (20, 40)
    # the model trained: it finds the nuclei of the tile neither rank saw (40 steps of two
    # ranks reach about 0.8 here; an untrained network is near 0 or near the foreground share)
    model = load_model(out, device="cpu")
    image, truth = held_out(3)
    pred, confidence = predict(model, image)
    assert pred.shape == truth.shape == confidence.shape
    assert iou(pred, truth) > 0.6
    assert meta["metrics"]["mean_iou"] > 0.6


def test_the_time_budget_stops_both_ranks_at_the_same_step(folder, tmp_path) -> None:
    out = tmp_path / "timed.pt"
    done = torchrun([str(folder), "--out", str(out), "--time", "4", *SMALL])
    assert done.returncode == 0, done.stderr
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["training"]["stopped"] == "time" and meta["training"]["steps_done"] >= 1
    assert meta["metrics"]["step"] <= meta["training"]["steps_done"]
    assert "time budget spent" in done.stdout


def test_forest_under_torchrun_other_ranks_exit_at_once(folder, tmp_path, monkeypatch) -> None:
    out = tmp_path / "forest.pt"
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", stdout)
    monkeypatch.setattr("sys.stderr", stderr)
    assert main(["train", str(folder), "--arch", "forest", "--out", str(out)]) == 0
    assert not out.exists() and not out.with_suffix(".json").exists()
    assert stdout.getvalue() == "" and stderr.getvalue() == ""


def test_without_torchrun_nothing_is_distributed_and_a_half_set_environment_is_named(
    monkeypatch,
) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert from_environment("cpu") is None
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert from_environment("cpu") is None
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    monkeypatch.setenv("MASTER_PORT", "29500")
    with pytest.raises(ModelError, match="WORLD_SIZE=2 but MASTER_ADDR not set: .*torchrun"):
        from_environment("cpu")
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ModelError, match="WORLD_SIZE='two' is not a whole number"):
        from_environment("cpu")


def test_ranks_on_one_machine_share_its_cores() -> None:
    assert threads_per_rank(None, 16, 8) == 2
    assert threads_per_rank(None, 2, 2) == 1
    assert threads_per_rank(None, 2, 4) == 1  # at least one
    assert threads_per_rank(3, 16, 8) == 3  # --threads wins, up to the cores
    assert threads_per_rank(64, 16, 8) == 16
