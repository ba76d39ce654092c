"""Guard against the PySide6 6.12.0 bug that aborts Python 3.11 with ``none_dealloc``.

6.12.0 returns ``None`` from void methods without taking a reference, so each call drops
one reference to ``None`` until the interpreter frees it and aborts. We pin below 6.12; this
test fails on a build with that leak instead of letting users crash after an hour of work.
"""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("PySide6")


@pytest.mark.skipif(
    sys.version_info >= (3, 12),
    reason="None is immortal from Python 3.12 (PEP 683): its reference count is a constant, so "
    "the leak can neither crash nor be measured there; test_pinned_below_612 still guards",
)
def test_void_methods_keep_references_to_none() -> None:
    from PySide6.QtCore import QObject, QRect

    obj = QObject()
    rect = QRect(0, 0, 10, 10)
    before = sys.getrefcount(None)
    for i in range(1000):
        obj.setObjectName("guard")  # a void method
        rect.setWidth(i)  # a void method on a value type
        obj.blockSignals(False)
    after = sys.getrefcount(None)
    assert after >= before - 20, f"None lost {before - after} references over 2000 void calls"


def test_pinned_below_612() -> None:
    import PySide6

    major, minor = (int(p) for p in PySide6.__version__.split(".")[:2])
    assert (major, minor) < (6, 12), f"PySide6 {PySide6.__version__}: 6.12.0 aborts Python 3.11"
