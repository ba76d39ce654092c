"""The scaled prelabel paths write the same files as the plain one: decoding in worker
processes, batches of images through a trained network, and a Ray Data pipeline on a local
two-actor cluster (loopback only)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from labeldesk.cli import main
from labeldesk.io import load_image, read_labelme
from labeldesk.models import prelabel_pipeline as pipe
from labeldesk.models.prelabel_command import prelabel_folder

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def _images(tmp_path: Path, name: str) -> Path:
    """Five real video frames (1000x563, one size) and two real photos (other sizes)."""
    folder = tmp_path / name
    folder.mkdir()
    for src in sorted((REAL / "video").glob("*.jpg")) + sorted(
        (REAL / "photos").glob("2011_00000*.jpg")
    ):
        shutil.copy(src, folder / src.name)
    return folder


def _texts(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.json"))}


def _tiny_trained_model(tmp_path: Path) -> Path:
    import torch

    from labeldesk.models import seg

    torch.manual_seed(0)
    cfg = seg.network_config({"arch": "unet", "width": 4, "depth": 2, "num_classes": 3})
    net = seg.build_network(cfg).eval()
    head = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)][-1]
    with torch.no_grad():  # background vs "sky" decided by the random weights: objects
        head.bias[:] = torch.tensor([0.0, 0.0, -20.0])
    model = seg.SegModel(net, ["sky", "road"], cfg, mean=(120.0, 110.0, 100.0), std=(50.0,) * 3)
    weights, _ = seg.save_model(model, tmp_path / "model" / "model.pt")
    return weights


def test_decoding_in_worker_processes_writes_the_same_files(tmp_path: Path) -> None:
    plain, ahead = _images(tmp_path, "plain"), _images(tmp_path, "ahead")
    a = prelabel_folder(plain, workers=0)
    b = prelabel_folder(ahead, workers=2)
    assert len(a.written) == len(b.written) == 7 and not a.failed and not b.failed
    assert a.objects == b.objects > 0
    assert _texts(plain) == _texts(ahead)
    doc = read_labelme(ahead / "00000100.json")
    assert all(s.extra.get("machine") == "prelabel" for s in doc.shapes)


def test_decoded_keeps_order_and_reports_bad_files(tmp_path: Path) -> None:
    folder = _images(tmp_path, "imgs")
    (folder / "zz-broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    paths = sorted(folder.glob("*.jpg"))
    got = list(pipe.decoded(paths, workers=2, ahead=3))
    assert [d.path for d in got] == paths
    assert got[-1].rgb is None and "zz-broken.jpg" in (got[-1].error or "")
    for d in got[:-1]:
        assert d.error is None
        assert np.array_equal(d.rgb, load_image(d.path))  # RGB uint8 JPEGs: unchanged


def test_batches_through_a_trained_network_give_the_same_objects(tmp_path: Path) -> None:
    weights = _tiny_trained_model(tmp_path)
    one, four = _images(tmp_path, "one"), _images(tmp_path, "four")
    a = prelabel_folder(one, model=weights, device="cpu", batch_size=1, workers=0)
    b = prelabel_folder(four, model=weights, device="cpu", batch_size=4, workers=0)
    assert not a.failed and not b.failed and a.objects > 0
    ta, tb = _texts(one), _texts(four)
    assert ta.keys() == tb.keys() and len(ta) == 7
    for name in ta:
        da, db = read_labelme(one / name), read_labelme(four / name)
        assert [s.label for s in da.shapes] == [s.label for s in db.shapes], name
        # batched kernels may round the last float bit differently: pixels, not bytes
        for sa, sb in zip(da.shapes, db.shapes, strict=True):
            assert sa.shape_type == sb.shape_type
            assert np.abs(sa.points - sb.points).max(initial=0) <= 1.0


def test_batch_and_worker_options_are_checked(tmp_path: Path, capsys) -> None:
    folder = _images(tmp_path, "imgs")
    assert main(["prelabel", str(folder), "--batch-size", "0"]) == 2
    assert "--batch-size must be >= 1" in capsys.readouterr().err
    assert main(["prelabel", str(folder), "--workers", "-1"]) == 2


def test_ray_flag_without_ray_says_how_to_install(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    folder = _images(tmp_path, "imgs")
    code = main(["prelabel", str(folder), "--ray"])
    assert code != 0
    assert "pip install 'labeldesk[cluster]'" in capsys.readouterr().err
    assert not list(folder.glob("*.json"))


def test_ray_pipeline_on_a_local_cluster_writes_the_same_bytes(tmp_path: Path) -> None:
    pytest.importorskip("ray.data", reason="Ray is the optional 'cluster' extra")
    from labeldesk.models.prelabel_ray import prelabel_ray

    plain, on_ray = _images(tmp_path, "plain"), _images(tmp_path, "ray")
    # resumable: one image already has a person's JSON and is skipped by both
    for folder in (plain, on_ray):
        shutil.copy(REAL / "video" / "00000100.json", folder / "00000100.json")
    a = prelabel_folder(plain, workers=0)
    b = prelabel_ray(
        on_ray,
        actors=2,
        ray_init={"num_cpus": 3, "_node_ip_address": "127.0.0.1", "object_store_memory": 10**8},
    )
    assert not b.failed and len(b.written) == len(a.written) == 6 and len(b.skipped) == 1
    assert b.objects == a.objects
    assert _texts(plain) == _texts(on_ray)
    # running again writes nothing: everything has a JSON now
    again = prelabel_ray(
        on_ray, actors=1, ray_init={"num_cpus": 2, "_node_ip_address": "127.0.0.1"}
    )
    assert not again.written and len(again.skipped) == 7
