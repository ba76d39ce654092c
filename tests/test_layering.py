"""Layering: the Qt-free packages import neither PySide6 nor torch (DESIGN section 1)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHECK = r"""
import importlib, pkgutil, sys
import labeldesk.core, labeldesk.io, labeldesk.algorithms, labeldesk.models, labeldesk.cli
for pkg in (labeldesk.core, labeldesk.io, labeldesk.algorithms):
    for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(mod.name)
for name in ("labeldesk.models.sam", "labeldesk.models.sam2", "labeldesk.models.seg"):
    importlib.import_module(name)  # the packages import torch lazily: it must not appear
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "torch", "qtawesome", "pyqtgraph"))
print(",".join(bad))
"""


def test_qt_free_packages_import_neither_qt_nor_torch() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"imported by the Qt-free packages: {out.stdout.strip()}"


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    exe = str(lint) if lint.exists() else shutil.which("lint-imports")
    assert exe, "import-linter is part of the dev extra"
    out = subprocess.run(
        [exe, "--config", str(ROOT / "pyproject.toml")], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stdout + out.stderr
