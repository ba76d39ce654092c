"""``labeldesk compare`` on a realistic pair made from the real photos (tests/compare_pair.py)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from labeldesk.algorithms.metrics import label_scores
from labeldesk.cli import main
from labeldesk.io.export.labels import parse_labels
from labeldesk.io.export.raster import rasterize
from labeldesk.io.labelme import read_labelme
from tests.compare_pair import ADDED_TO, REMOVED_FROM, make_pair, real_files


def strict_json(path: Path) -> dict:
    def bad(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=bad)


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    return make_pair(tmp_path_factory.mktemp("pair"))


@pytest.fixture(scope="module")
def report(pair, tmp_path_factory) -> tuple[dict, Path, str]:
    out = tmp_path_factory.mktemp("out")
    ref, test = pair
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(
            [
                "compare",
                str(ref),
                str(test),
                "--json",
                str(out / "r.json"),
                "--csv",
                str(out / "r.csv"),
            ]
        )
    assert code == 0
    return strict_json(out / "r.json"), out, buf.getvalue()


def test_json_layout(report) -> None:
    data, _out, _text = report
    names = {p.name for p in real_files()}
    assert set(data["images"]) == names
    for image in data["images"].values():
        assert set(image) >= {"classes", "instances"}
        for scores in image["classes"].values():
            assert set(scores) >= {"dice", "iou", "hausdorff", "hausdorff95", "assd"}
        assert set(image["instances"]) >= {"classes", "matched", "missed", "extra"}
    for summary in data["classes"].values():
        assert {"dice_mean", "dice_pooled", "iou_mean", "pq", "sq", "rq"} <= set(summary)
    assert data["failed"] == [] and data["only_in_ref"] == [] and data["units"] == "pixels"


def test_missed_and_extra_objects_are_the_edited_ones(report, pair) -> None:
    data, _out, _text = report
    ref_doc = read_labelme(pair[0] / REMOVED_FROM, check_image=False)
    first = next(i for i, s in enumerate(ref_doc.shapes) if s.label != "__ignore__")
    missed = [m for img in data["images"].values() for m in img["instances"]["missed"]]
    extra = [m for img in data["images"].values() for m in img["instances"]["extra"]]
    assert missed == [
        {
            "class": ref_doc.shapes[first].label,
            "label": ref_doc.shapes[first].label,
            "group_id": ref_doc.shapes[first].group_id,
            "shapes": [first],
        }
    ]
    n_test = len(read_labelme(pair[1] / ADDED_TO, check_image=False).shapes)
    assert extra == [
        {"class": "bottle", "label": "bottle", "group_id": None, "shapes": [n_test - 1]}
    ]
    added = data["images"][ADDED_TO]
    assert added["classes"]["bottle"]["dice"] == 0.0
    assert added["classes"]["bottle"]["hausdorff"] == "inf"  # only TEST has a bottle there
    assert added["instances"]["classes"]["bottle"]["fp"] == 1


def test_numbers_equal_the_metrics_on_the_rasterized_files(report, pair) -> None:
    data, _out, _text = report
    ref, test = pair
    names = sorted(
        {s.label for p in ref.glob("*.json") for s in read_labelme(p, check_image=False).shapes}
        - {"__ignore__"}
    )
    labels = parse_labels(["__ignore__", *names])
    pooled: dict[str, list[int]] = {}
    for name, image in data["images"].items():
        a = read_labelme(ref / name, check_image=False)
        b = read_labelme(test / name, check_image=False)
        size = (a.image_height, a.image_width)
        ra, rb = rasterize(a.shapes, size, labels), rasterize(b.shapes, size, labels)
        for cname, got in image["classes"].items():
            v = labels.value_of(cname)
            want = label_scores(ra.cls, rb.cls, [v])[v]
            assert got["dice"] == pytest.approx(want.dice, abs=1e-12)
            assert got["assd"] == ("inf" if math.isinf(want.assd) else pytest.approx(want.assd))
            acc = pooled.setdefault(cname, [0, 0, 0])
            acc[0] += int((ra.cls == v).sum())
            acc[1] += int((rb.cls == v).sum())
            acc[2] += int(((ra.cls == v) & (rb.cls == v)).sum())
    for cname, (na, nb, both) in pooled.items():
        assert data["classes"][cname]["dice_pooled"] == pytest.approx(2 * both / (na + nb))
    # jittered polygons agree well; the removed bus halves that class's recall
    assert data["classes"]["person"]["dice_mean"] > 0.9
    assert data["classes"]["bus"]["recall"] == 0.5


def test_terminal_table_and_csv(report) -> None:
    data, out, text = report
    assert "class" in text.splitlines()[0] and "Dice" in text.splitlines()[0]
    assert "1 missed, 1 extra" in text
    rows = list(csv.DictReader((out / "r.csv").open(encoding="utf-8")))
    assert len(rows) == sum(len(i["classes"]) for i in data["images"].values())
    row = next(r for r in rows if r["image"] == ADDED_TO and r["class"] == "bottle")
    assert row["hausdorff"] == "inf" and float(row["dice"]) == 0.0


def test_spacing_scales_distances(pair, tmp_path) -> None:
    ref, test = pair
    runs = {}
    for key, spacing in (("px", None), ("iso", "2,2"), ("aniso", "1,3")):
        args = ["compare", str(ref), str(test), "--json", str(tmp_path / f"{key}.json")]
        assert main(args + (["--spacing", spacing] if spacing else [])) == 0
        runs[key] = strict_json(tmp_path / f"{key}.json")
    name = "2011_000003.json"
    px = runs["px"]["images"][name]["classes"]["person"]
    iso = runs["iso"]["images"][name]["classes"]["person"]
    assert iso["hausdorff"] == pytest.approx(2 * px["hausdorff"], rel=1e-6)
    assert iso["assd"] == pytest.approx(2 * px["assd"], rel=1e-6)
    assert iso["dice"] == px["dice"]
    aniso = runs["aniso"]["images"][name]["classes"]["person"]
    a = read_labelme(ref / name, check_image=False)
    b = read_labelme(test / name, check_image=False)
    labels = parse_labels(["__ignore__", "bottle", "person"])
    size = (a.image_height, a.image_width)
    want = label_scores(
        rasterize(a.shapes, size, labels).cls,
        rasterize(b.shapes, size, labels).cls,
        [2],
        spacing=(3.0, 1.0),  # SX=1, SY=3 -> (sy, sx) per array axis
    )[2]
    assert aniso["hausdorff95"] == pytest.approx(want.hausdorff95, rel=1e-9)
    assert runs["aniso"]["spacing"] == [3.0, 1.0] and runs["aniso"]["units"] == "spacing"


def test_bad_files_are_listed_and_the_rest_compared(pair, tmp_path, capsys) -> None:
    ref, test = pair
    bad_test = tmp_path / "test"
    bad_test.mkdir()
    for p in test.glob("*.json"):
        (bad_test / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (bad_test / "2011_000003.json").write_text("{not json", encoding="utf-8")
    sized = json.loads((test / "apc2016_obj3.json").read_text(encoding="utf-8"))
    sized["imageWidth"] += 1
    (bad_test / "apc2016_obj3.json").write_text(json.dumps(sized), encoding="utf-8")
    (bad_test / "2011_000006.json").unlink()
    code = main(["compare", str(ref), str(bad_test), "--json", str(tmp_path / "r.json")])
    assert code == 0
    data = strict_json(tmp_path / "r.json")
    failed = {f["file"]: f["reason"] for f in data["failed"]}
    assert set(failed) == {"2011_000003.json", "apc2016_obj3.json"}
    assert "2011_000003.json" in failed["2011_000003.json"]
    assert "image size differs" in failed["apc2016_obj3.json"]
    assert data["only_in_ref"] == ["2011_000006.json"]
    assert len(data["images"]) == len(real_files()) - 3
    assert "failed: 2011_000003.json" in capsys.readouterr().out


def test_bad_arguments_exit_2(pair, capsys) -> None:
    ref, test = pair
    assert main(["compare", str(ref), str(test), "--spacing", "1,x"]) == 2
    assert "--spacing" in capsys.readouterr().err
    assert main(["compare", str(ref), str(ref / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_labels_file_limits_the_classes(pair, tmp_path) -> None:
    ref, test = pair
    labels = tmp_path / "labels.txt"
    labels.write_text("__ignore__\n_background_\nperson\nbus\n", encoding="utf-8")
    assert (
        main(
            [
                "compare",
                str(ref),
                str(test),
                "--labels",
                str(labels),
                "--json",
                str(tmp_path / "r.json"),
            ]
        )
        == 0
    )
    data = strict_json(tmp_path / "r.json")
    assert set(data["classes"]) == {"person", "bus"}
    assert "bottle" in data["images"]["2011_000003.json"]["unknown_labels"]
    assert np.isclose(data["classes"]["bus"]["recall"], 0.5)


def test_worker_processes_give_the_same_report(pair, tmp_path) -> None:
    ref, test = pair
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert main(["compare", str(ref), str(test), "--workers", "1", "--json", str(one)]) == 0
    assert main(["compare", str(ref), str(test), "--workers", "2", "--json", str(two)]) == 0
    assert strict_json(one) == strict_json(two)


def test_frame_stacks_compare_by_their_sidecar_folders(pair, tmp_path) -> None:
    """``clip.mp4`` annotated in labeldesk keeps its frames' JSON in ``clip.mp4.labels``."""
    ref, test = pair
    for side, src in (("a", ref), ("b", test)):
        (tmp_path / side).mkdir()
        (tmp_path / side / "clip.mp4").write_bytes(b"not read")
        labels = tmp_path / side / "clip.mp4.labels"
        labels.mkdir()
        for p in sorted(src.glob("*.json"))[:2]:
            (labels / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "r.json"
    args = ["compare", str(tmp_path / "a" / "clip.mp4"), str(tmp_path / "b" / "clip.mp4")]
    assert main(args + ["--json", str(out)]) == 0
    data = strict_json(out)
    assert data["ref"].endswith("clip.mp4.labels") and len(data["images"]) == 2
