"""Reader fuzz test (issue 11): only ReadError escapes, sources stay byte-identical, and every
file that opens also saves (and reads back to the same shapes)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from labeldesk.core import ReadError, WriteError
from labeldesk.io import read_labelme, write_labelme
from tests.io.labelme_fuzz import cases

DATA = Path(__file__).parents[1] / "data" / "labelme"
CASES_PER_RUN = 300


@pytest.mark.parametrize("seed", [11, 1979])
def test_fuzzed_labelme_files(tmp_path: Path, seed: int) -> None:
    shutil.copy(DATA / "scene.png", tmp_path / "scene.png")
    base = json.loads((DATA / "modern.json").read_text())
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(DATA / "scene.png", out / "scene.png")
    opened = refused = 0
    limit = sys.getrecursionlimit()
    for i, text in cases(base, CASES_PER_RUN, seed):
        src = tmp_path / f"case{i}.json"
        src.write_text(text, encoding="utf-8", errors="surrogatepass")
        before = src.read_bytes()
        for check_image in (True, False):
            try:
                doc = read_labelme(src, check_image=check_image)
            except ReadError as exc:
                assert str(src) in str(exc), f"case {i}: {exc}"
                refused += 1
                continue
            opened += 1
            target = tmp_path / f"saved{i}.json"
            write_labelme(doc, target)  # every file that opens also saves, next to it
            again = read_labelme(target, check_image=False)
            assert [s.label for s in again.shapes] == [s.label for s in doc.shapes], f"case {i}"
            assert [k.raw for k in again.kept_shapes] == [k.raw for k in doc.kept_shapes]
            try:  # elsewhere imagePath is rewritten: a path that cannot be is a WriteError
                write_labelme(again, out / f"case{i}.json")
            except WriteError as exc:
                assert "imagePath" in str(exc), f"case {i}: {exc}"
        assert src.read_bytes() == before, f"case {i}: the source was modified"
    assert sys.getrecursionlimit() == limit
    assert opened > 30 and refused > 30, (opened, refused)
