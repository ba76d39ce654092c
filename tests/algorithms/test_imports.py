"""The algorithms package stays pure: importing it pulls in no Qt, torch or document model."""

from __future__ import annotations

import subprocess
import sys


def test_import_pulls_no_qt_torch_or_core() -> None:
    code = (
        "import sys, labeldesk.algorithms as a; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'torch', 'qtawesome', "
        "'pyqtgraph') or m.startswith('labeldesk.core')]; "
        "print(','.join(bad)); print(len(a.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    bad, count = out.stdout.split("\n")[:2]
    assert bad == ""
    assert int(count) >= 15
