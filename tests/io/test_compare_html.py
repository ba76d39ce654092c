"""The HTML agreement report: one self-contained page with the tables, plot and thumbnails."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np

from labeldesk.cli import main
from tests.compare_pair import ADDED_BOX, ADDED_TO, make_pair, real_files


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)


def test_report_is_self_contained_with_tables_plot_and_thumbnails(tmp_path: Path) -> None:
    ref, test = make_pair(tmp_path)
    out = tmp_path / "report.html"
    assert main(["compare", str(ref), str(test), "--html", str(out), "--worst", "3"]) == 0
    page = out.read_text(encoding="utf-8")
    parser = Collector()
    parser.feed(page)
    parser.close()
    tags = [t for t, _ in parser.tags]
    text = " ".join(parser.text)
    # tables: the per-class table (every class found) and one per worst image
    assert tags.count("table") == 1 + 3
    classes = {s["label"] for p in real_files() for s in json.loads(p.read_text())["shapes"]}
    for name in classes - {"__ignore__"}:
        assert name in text
    # the Dice plot is inline SVG with a dot per (image, class)
    assert tags.count("svg") == 1 and tags.count("circle") >= 9
    # thumbnails: data: URIs only, nothing external, no script
    imgs = [a for t, a in parser.tags if t == "img"]
    assert len(imgs) == 3
    assert all((a["src"] or "").startswith("data:image/jpeg;base64,") for a in imgs)
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    for _t, attrs in parser.tags:
        for key in ("src", "href"):
            assert not (attrs.get(key) or "data:").lower().startswith(("http", "//", "file"))
    assert not re.search(r"url\(", page)
    # the worst image first: the one with the extra bottle (Dice 0 for that class)
    first = parser.tags[[t for t, _ in parser.tags].index("img")][1]
    assert first["alt"] == f"{ADDED_TO} overlay"
    raw = base64.b64decode((first["src"] or "").split(",", 1)[1])
    thumb = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    assert max(thumb.shape[:2]) == 320
    # the added rectangle (only in TEST) is drawn blue in the overlay
    scale = 320 / 500  # 2011_000006.jpg is 500 px wide
    (x0, y0), (x1, y1) = ADDED_BOX
    cy, cx = int((y0 + y1) / 2 * scale), int((x0 + x1) / 2 * scale)
    b, g, r = (int(v) for v in thumb[cy, cx])
    assert b > r + 60 and b > g + 40
