from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeldesk.cli import main
from labeldesk.core.convert import mask_to_shape
from labeldesk.core.shapes import Shape
from labeldesk.io.stacks import open_stack
from labeldesk.io.stacks.sidecar import open_annotations
from tests.stacks.makers import volume, write_nifti, write_video


def _nifti_volume(path: Path) -> np.ndarray:
    import nibabel as nib

    return np.asarray(nib.load(str(path)).dataobj)


def test_tiff_stack_label_interpolate_export_import_round_trip(tmp_path: Path) -> None:
    import shutil

    import tifffile

    tif = tmp_path / "cells.tif"
    tifffile.imwrite(tif, volume((9, 30, 40)).astype(np.uint16))  # 9 pages of 30x40
    with open_stack(tif) as stack:
        ann = open_annotations(stack)
        ring = np.zeros((30, 40), bool)
        ring[5:20, 5:25] = True
        ring[10:14, 10:14] = False  # a hole: a mask object
        a = mask_to_shape(ring, "nucleus", group_id=1)
        b = mask_to_shape(np.roll(ring, 8, axis=1), "nucleus", group_id=1)
        assert a is not None and b is not None
        ann.document(0).add_shape(a)
        ann.document(8).add_shape(b)
        ann.document(4).add_shape(Shape("debris", [[30, 20], [36, 20], [36, 26]]))
        ann.save_all()
    assert main(["interpolate", str(tif), "--between", "0", "8"]) == 0
    out = tmp_path / "cells_labels.nii.gz"
    assert main(["export", "nifti", str(tif), str(out)]) == 0
    first = _nifti_volume(out)
    assert first.shape == (40, 30, 9) and set(np.unique(first)) == {0, 1, 2}
    assert (first[:, :, 1:8] == 1).sum(axis=(0, 1)).min() > 200  # every slice between is filled
    # import the map into a fresh copy of the stack, export again: the same voxels
    copy = tmp_path / "copy.tif"
    shutil.copy(tif, copy)
    assert main(["import", "nifti", str(copy), str(out)]) == 0
    with open_stack(copy) as stack:
        ann = open_annotations(stack)
        labels = {s.label for i in ann.annotated_frames() for s in ann.document(i).shapes}
        assert labels == {"nucleus", "debris"}
    again = tmp_path / "again.nii.gz"
    assert main(["export", "nifti", str(copy), str(again)]) == 0
    assert np.array_equal(_nifti_volume(again), first)
    # a second import onto labeled frames is refused, naming the file
    assert main(["import", "nifti", str(copy), str(out)]) == 1


def test_nifti_label_map_geometry_checked(tmp_path: Path, capsys) -> None:
    img = write_nifti(tmp_path / "ct.nii", volume((20, 16, 12)))
    wrong = write_nifti(tmp_path / "wrong.nii.gz", np.zeros((16, 20, 12), np.uint8))
    assert main(["import", "nifti", str(img), str(wrong)]) == 1
    assert "wrong.nii.gz: the label map is (16, 20, 12)" in capsys.readouterr().err


def test_davis_export_import_round_trip(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", n=6)
    with open_stack(video) as stack:
        ann = open_annotations(stack)
        for i in range(0, 5, 2):
            ann.document(i).add_shape(
                Shape("car", [[2 + i, 2], [20 + i, 2], [20 + i, 14]], group_id=4)
            )
            ann.document(i).add_shape(
                Shape("dog", [[30, 30], [40, 30], [40, 40], [30, 40]], group_id=7)
            )
        ann.save_all()
    davis = tmp_path / "davis"
    assert main(["export", "davis", str(video), str(davis)]) == 0
    assert sorted(p.name for p in davis.glob("*.png")) == [f"{i:06d}.png" for i in range(5)]
    video2 = tmp_path / "w.mp4"
    video2.write_bytes(video.read_bytes())
    assert main(["import", "davis", str(video2), str(davis)]) == 0
    with open_stack(video2) as stack:
        ann = open_annotations(stack)
        assert ann.annotated_frames() == [0, 2, 4]
        d2 = ann.document(2)
        assert sorted((s.label, s.group_id) for s in d2.shapes) == [("car", 4), ("dog", 7)]
    davis2 = tmp_path / "davis2"
    assert main(["export", "davis", str(video2), str(davis2)]) == 0
    for i in range(5):
        a = np.asarray(Image.open(davis / f"{i:06d}.png"))
        b = np.asarray(Image.open(davis2 / f"{i:06d}.png"))
        assert np.array_equal(a, b), i


def test_davis_without_objects_json_uses_ids_as_tracks(tmp_path: Path) -> None:
    video = write_video(tmp_path / "v.mp4", n=3)
    pngs = tmp_path / "Annotations"
    pngs.mkdir()
    lab = np.zeros((48, 64), np.uint8)
    lab[5:15, 5:15] = 3
    Image.fromarray(lab, mode="L").save(pngs / "00001.png")
    assert main(["import", "davis", str(video), str(pngs), "--label", "fish"]) == 0
    with open_stack(video) as stack:
        (s,) = open_annotations(stack).document(1).shapes
        assert (s.label, s.group_id) == ("fish", 3)
    bad = tmp_path / "bad"
    bad.mkdir()
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(bad / "00000.png")
    with pytest.raises(Exception, match="bad/00000.png: the PNG is 10x10"):
        from labeldesk.io.stacks.imports import import_davis

        with open_stack(video) as stack:
            list(import_davis(stack, bad))


def test_davis_png_with_eps_bytes_is_refused_without_ghostscript(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """Issue 11: DAVIS PNGs are opened with the image format allow-list."""
    from PIL import EpsImagePlugin

    tried: list[object] = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: tried.append(self))
    img = write_nifti(tmp_path / "ct.nii", volume((20, 16, 4)))
    davis = tmp_path / "davis"
    davis.mkdir()
    (davis / "00000.png").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n")
    assert main(["import", "davis", str(img), str(davis)]) == 1
    assert "00000.png: cannot read the label image" in capsys.readouterr().err
    assert tried == []
