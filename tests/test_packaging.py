"""The wheel ships resources/ as labeldesk.resources; entry points exist."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_resources_found_with_importlib() -> None:
    root = resources.files("labeldesk.resources")
    names = {p.name for p in root.iterdir()}
    assert "sample" in names


def test_wheel_contains_resources_and_entry_points(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(ROOT),
            "-w",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    (wheel,) = tmp_path.glob("labeldesk-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry = next(n for n in names if n.endswith("entry_points.txt"))
        entry_points = zf.read(entry).decode()
    assert "labeldesk/resources/__init__.py" in names
    samples = [n for n in names if n.startswith("labeldesk/resources/sample/")]
    assert any(n.endswith((".jpg", ".png")) for n in samples), samples
    assert "labeldesk = labeldesk.cli:main" in entry_points
    assert not any(n.startswith("tests/") for n in names)
