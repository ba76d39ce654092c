"""The HTML agreement report rendered headless by Qt's HTML engine: it lays out and paints,
with its tables (the browser test of the issue; QtWebEngine is not installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage, QPainter, QTextDocument, QTextTable

from labeldesk.cli import main
from tests.compare_pair import make_pair


def test_report_renders_with_tables(qtbot, tmp_path: Path) -> None:
    ref, test = make_pair(tmp_path)
    out = tmp_path / "report.html"
    assert main(["compare", str(ref), str(test), "--html", str(out), "--worst", "2"]) == 0
    doc = QTextDocument()
    doc.setHtml(out.read_text(encoding="utf-8"))
    doc.setTextWidth(1000)
    tables = [f for f in doc.rootFrame().childFrames() if isinstance(f, QTextTable)]
    assert len(tables) >= 1
    first = tables[0]
    assert first.cellAt(0, 0).firstCursorPosition().block().text() == "class"
    assert first.rows() > 5  # a header and one row per class found
    text = doc.toPlainText()
    assert "Agreement report" in text and "person" in text and "Lowest agreement" in text
    image = QImage(1000, int(doc.size().height()) + 1, QImage.Format.Format_RGB32)
    image.fill(0xFFFFFF)
    painter = QPainter(image)
    doc.drawContents(painter)
    painter.end()
    pixels = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    assert image.height() > 400 and (pixels != 255).mean() > 0.01  # text and tables drawn
