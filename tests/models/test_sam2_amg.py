"""SAM 2.1 automatic masks against the official generator's output (compared as sets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labeldesk.models.device import import_torch

torch = import_torch()

from labeldesk.models.sam2 import Sam2AutomaticMaskGenerator, Sam2Predictor, load_sam2  # noqa: E402

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "sam2_reference"


@pytest.fixture(scope="module")
def reference() -> tuple[Sam2Predictor, np.ndarray, np.lib.npyio.NpzFile]:
    if not (SHARED / "sam2_tiny_state.pt").is_file():
        pytest.skip(f"SAM 2.1 reference vectors not found at {SHARED}")
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    model = load_sam2(SHARED / "sam2_tiny_state.pt", "cpu", config=SHARED / "sam2_tiny_config.json")
    image = np.load(SHARED / "input_image_200x300.npy")
    return Sam2Predictor(model), image, np.load(SHARED / "sam2_tiny_image_expected.npz")


@pytest.mark.parametrize(("key", "nms"), [("amg", 0.7), ("amg_nonms", 1.0)])
def test_automatic_masks_match_as_sets(reference, key: str, nms: float) -> None:  # type: ignore[no-untyped-def]
    predictor, image, expected = reference
    gen = Sam2AutomaticMaskGenerator(
        predictor,
        points_per_side=4,
        points_per_batch=64,
        pred_iou_thresh=0.0,
        stability_score_thresh=0.0,
        box_nms_thresh=nms,
    )
    records = gen.generate(image)
    segs = np.unpackbits(expected[key + "/segmentations"], axis=-1)[..., :300].astype(bool)
    n = segs.shape[0]
    assert len(records) == n == {"amg": 2, "amg_nonms": 48}[key]

    def ident(point: object, box: object, area: int) -> tuple[object, ...]:
        return (tuple(np.asarray(point, np.float64).ravel()), tuple(int(v) for v in box), area)

    want = {
        ident(
            expected[key + "/point_coords"][i],
            expected[key + "/bbox_xywh"][i],
            int(expected[key + "/area"][i]),
        ): i
        for i in range(n)
    }
    assert len(want) == n  # the identity is unique, so matching is one-to-one
    got = {ident(r["point_coords"], r["bbox"], r["area"]): r for r in records}
    assert set(got) == set(want)
    for ident_key, i in want.items():
        rec = got[ident_key]
        assert np.array_equal(rec["segmentation"], segs[i])
        assert abs(rec["predicted_iou"] - float(expected[key + "/predicted_iou"][i])) <= 1e-5
        assert rec["stability_score"] == pytest.approx(
            float(expected[key + "/stability_score"][i]), abs=1e-6
        )
        assert rec["crop_box"] == [int(v) for v in expected[key + "/crop_box"][i]]
