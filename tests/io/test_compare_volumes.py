"""``labeldesk compare`` on two NIfTI label maps: the volume's own spacing, class names."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from labeldesk.algorithms.metrics import label_scores
from labeldesk.cli import main

nib = pytest.importorskip("nibabel")


def save(path: Path, vol_zyx: np.ndarray, zooms: tuple[float, float, float]) -> None:
    """Write ``vol_zyx`` (z, y, x) as NIfTI (x, y, z) with voxel sizes ``zooms`` (sx, sy, sz)."""
    img = nib.Nifti1Image(np.ascontiguousarray(vol_zyx.transpose(2, 1, 0)), np.diag([*zooms, 1]))
    img.header.set_zooms(zooms)
    nib.save(img, str(path))


def test_two_label_volumes(tmp_path: Path) -> None:
    z, y, x = np.indices((12, 30, 40))
    ref = np.zeros((12, 30, 40), np.uint8)
    ref[((z - 6) * 2.5) ** 2 + (y - 15) ** 2 + (x - 15) ** 2 < 64] = 1
    ref[(abs(z - 5) < 3) & (abs(y - 10) < 5) & (abs(x - 32) < 5)] = 2
    test = np.zeros_like(ref)
    test[((z - 6) * 2.5) ** 2 + (y - 16) ** 2 + (x - 14) ** 2 < 60] = 1
    test[(abs(z - 5) < 3) & (abs(y - 10) < 5) & (abs(x - 33) < 5)] = 2
    test[0, 0, 0] = 3  # a class only TEST has
    zooms = (0.8, 0.8, 2.5)
    save(tmp_path / "ref.nii.gz", ref, zooms)
    save(tmp_path / "test.nii.gz", test, zooms)
    (tmp_path / "ref.json").write_text(json.dumps({"labels": {"1": "liver", "2": "kidney"}}))
    out = tmp_path / "r.json"
    html = tmp_path / "r.html"
    code = main(["compare", str(tmp_path / "ref.nii.gz"), str(tmp_path / "test.nii.gz"),
                 "--json", str(out), "--html", str(html)])  # fmt: skip
    assert code == 0
    data = json.loads(out.read_text())
    assert data["spacing"] == pytest.approx([2.5, 0.8, 0.8])
    scores = data["images"]["ref.nii.gz"]["classes"]
    assert set(scores) == {"liver", "kidney", "3"}
    want = label_scores(ref, test, [1, 2], spacing=data["spacing"])
    assert scores["liver"]["hausdorff95"] == pytest.approx(want[1].hausdorff95)
    assert scores["kidney"]["assd"] == pytest.approx(want[2].assd)
    assert scores["3"]["dice"] == 0.0 and scores["3"]["hausdorff"] == "inf"
    assert math.isclose(data["classes"]["liver"]["dice_pooled"], want[1].dice)
    assert "<table" in html.read_text()
    # --spacing overrides the header, and needs three values for volumes
    assert main(["compare", str(tmp_path / "ref.nii.gz"), str(tmp_path / "test.nii.gz"),
                 "--spacing", "1,1,1", "--json", str(out)]) == 0  # fmt: skip
    iso = label_scores(ref, test, [1])[1]
    assert json.loads(out.read_text())["images"]["ref.nii.gz"]["classes"]["liver"][
        "hausdorff"
    ] == pytest.approx(iso.hausdorff)
    assert main(["compare", str(tmp_path / "ref.nii.gz"), str(tmp_path / "test.nii.gz"),
                 "--spacing", "1,1"]) == 2  # fmt: skip
