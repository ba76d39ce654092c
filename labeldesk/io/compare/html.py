"""The agreement report: one self-contained HTML page a person can send to a colleague.

Everything is inside the file: inline CSS, plots as inline SVG drawn here, thumbnails as
``data:`` JPEG URIs; no script, no font, no link to anything outside. Sections: the per-class
table (means, pooled Dice, instance precision / recall / PQ), the Dice of every image per
class as a strip plot, and the images with the lowest Dice, each with an overlay thumbnail
(green: both agree, red: only REF, i.e. missed; blue: only TEST, i.e. extra) and its objects.
"""

from __future__ import annotations

import base64
import datetime
import html
import math
import os
from pathlib import Path

import cv2
import numpy as np

from labeldesk.core.document import Document
from labeldesk.core.errors import LabeldeskError
from labeldesk.io.atomic import atomic_write_text
from labeldesk.io.compare.core import Comparison, labels_for
from labeldesk.io.compare.report import fmt
from labeldesk.io.export.labels import LabelSet
from labeldesk.io.export.raster import rasterize
from labeldesk.io.labelme import read_labelme

THUMB = 320  # longest side of a thumbnail, pixels
AGREE, MISSED, EXTRA = (40, 180, 60), (230, 40, 40), (40, 90, 240)

CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f2f2f2}.muted{color:#777;font-size:12px}
.worst{display:flex;gap:16px;align-items:flex-start;border-top:1px solid #ddd;padding:10px 0}
.worst img{border:1px solid #999;image-rendering:auto}
.key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:-2px}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def class_table(c: Comparison) -> str:
    head = ["class", "images", "Dice mean", "Dice pooled", "IoU mean", "HD", "HD95", "ASSD"]
    head += ["one-sided", "TP", "FP", "FN", "precision", "recall", "PQ"]
    rows = ["<table class='classes'><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for name, s in c.classes.items():
        if not s.images:
            continue
        k = s.counts
        cells = [name, s.images, fmt(s.mean("dice")), fmt(s.dice_pooled), fmt(s.mean("iou"))]
        cells += [fmt(s.mean("hausdorff"), 2), fmt(s.mean("hausdorff95"), 2)]
        cells += [fmt(s.mean("assd"), 2), s.one_sided, k.tp, k.fp, k.fn]
        cells += [fmt(k.precision), fmt(k.recall), fmt(k.pq)]
        rows.append("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in cells) + "</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def dice_plot(c: Comparison) -> str:
    """Strip plot: one row per class, a dot per image at its Dice, a bar at the mean."""
    names = [n for n, s in c.classes.items() if s.images]
    left = 16 + 7 * max((len(n) for n in names), default=5)
    width, row = 560, 22
    height = row * len(names) + 40
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{left + width + 30}' "
        f"height='{height}' role='img' aria-label='Dice per image and class'>"
    ]
    for i in range(11):
        x = left + width * i / 10
        parts.append(
            f"<line x1='{x:.1f}' y1='10' x2='{x:.1f}' y2='{height - 25}' stroke='#e3e3e3'/>"
            f"<text x='{x:.1f}' y='{height - 8}' font-size='11' text-anchor='middle'>"
            f"{i / 10:.1f}</text>"
        )
    for j, name in enumerate(names):
        y = 20 + j * row
        parts.append(
            f"<text x='{left - 8}' y='{y + 4}' font-size='12' text-anchor='end'>{_e(name)}</text>"
        )
        values = [
            r.classes[name].dice
            for r in c.images.values()
            if name in r.classes and not math.isnan(r.classes[name].dice)
        ]
        for v in values:
            parts.append(
                f"<circle cx='{left + width * v:.1f}' cy='{y}' r='4' fill='#3465a4' "
                f"fill-opacity='0.6'><title>{v:.3f}</title></circle>"
            )
        if values:
            m = left + width * float(np.mean(values))
            parts.append(
                f"<line x1='{m:.1f}' y1='{y - 8}' x2='{m:.1f}' y2='{y + 8}' "
                f"stroke='#c00' stroke-width='2'/>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _jpeg_uri(rgb: np.ndarray) -> str:
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 88])
    if not ok:
        raise LabeldeskError("could not encode a thumbnail as JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _background(doc: Document, size: tuple[int, int]) -> np.ndarray:
    """The image as gray RGB uint8 of ``size``; mid-gray when the image cannot be read."""
    from labeldesk.io.images import load_image, to_display

    h, w = size
    path = doc.image_file()
    try:
        if path is None:
            raise LabeldeskError("no image path")
        pixels = to_display(load_image(path))
    except (LabeldeskError, OSError, ValueError):
        return np.full((h, w, 3), 128, np.uint8)
    if pixels.shape[:2] != (h, w):
        return np.full((h, w, 3), 128, np.uint8)
    gray = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels[..., :3], cv2.COLOR_RGB2GRAY)
    return np.repeat(gray[..., None], 3, axis=2)


def overlay(ref: Document, test: Document, labels: LabelSet) -> np.ndarray:
    """RGB thumbnail: the image in gray, agreement green, missed red, extra blue."""
    size = (ref.image_height, ref.image_width)
    a = rasterize(ref.shapes, size, labels).cls
    b = rasterize(test.shapes, size, labels).cls
    img = _background(ref, size).astype(np.float32)
    both = (a > 0) & (a == b)
    missed = (a > 0) & (a != b)
    extra = (b > 0) & (a != b)
    for mask, colour in ((both, AGREE), (missed, MISSED), (extra, EXTRA)):
        img[mask] = 0.45 * img[mask] + 0.55 * np.asarray(colour, np.float32)
    scale = THUMB / max(size)
    out: np.ndarray = img.astype(np.uint8)
    if scale < 1:
        out = np.asarray(
            cv2.resize(
                out,
                (max(1, round(size[1] * scale)), max(1, round(size[0] * scale))),
                interpolation=cv2.INTER_AREA,
            )
        )
    return out


def _objects(items: list[dict], what: str) -> str:
    if not items:
        return ""
    text = ", ".join(
        f"{_e(o['label'])}"
        + (f" (group {o['group_id']})" if o["group_id"] is not None else "")
        + f" [shape {', '.join(str(s) for s in o['shapes'])}]"
        for o in items
    )
    return f"<p>{what}: {text}</p>"


def worst_section(c: Comparison, labels: LabelSet | None, n: int) -> str:
    if c.volume or labels is None:
        return "<p>Label volumes: no thumbnails.</p>"
    ranked = sorted(
        (r for r in c.images.values() if not math.isnan(r.worst_dice())),
        key=lambda r: (r.worst_dice(), r.name),
    )[:n]
    out = []
    for r in ranked:
        ref = read_labelme(Path(c.ref) / r.name, check_image=False)
        test = read_labelme(Path(c.test) / r.name, check_image=False)
        thumb = _jpeg_uri(overlay(ref, test, labels))
        rows = "".join(
            f"<tr><td>{_e(k)}</td><td>{fmt(s.dice)}</td><td>{fmt(s.hausdorff95, 2)}</td></tr>"
            for k, s in sorted(r.classes.items(), key=lambda kv: (kv[1].dice, kv[0]))
        )
        out.append(
            f"<div class='worst'><img src='{thumb}' alt='{_e(r.name)} overlay'>"
            f"<div><b>{_e(r.name)}</b> &middot; lowest Dice {fmt(r.worst_dice())}"
            f"<table class='image'><tr><th>class</th><th>Dice</th><th>HD95</th></tr>{rows}"
            f"</table>{_objects(r.missed, 'missed')}{_objects(r.extra, 'extra')}</div></div>"
        )
    return "\n".join(out)


def render(c: Comparison, *, labels: LabelSet | None = None, worst: int = 8) -> str:
    """The report as one HTML string."""
    if labels is None and not c.volume:
        docs = []
        for name in c.images:
            for folder in (c.ref, c.test):
                docs.append(read_labelme(Path(folder) / name, check_image=False))
        labels = labels_for(docs)
    pan = c.panoptic()
    unit = "in the given spacing units" if c.spacing else "in pixels"
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    missed = sum(len(r.missed) for r in c.images.values())
    extra = sum(len(r.extra) for r in c.images.values())
    failed = "".join(f"<li>{_e(f)}: {_e(why)}</li>" for f, why in c.failed)
    only = [("only in REF", c.only_ref), ("only in TEST", c.only_test)]
    lonely = "".join(f"<p>{k}: {_e(', '.join(v))}</p>" for k, v in only if v)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Agreement report</title>
<style>{CSS}</style></head><body>
<h1>Agreement report</h1>
<p>REF <code>{_e(c.ref)}</code> &middot; TEST <code>{_e(c.test)}</code><br>
{len(c.images)} images compared on {when}; distances {unit}; objects match at IoU &gt;
{c.threshold:g}.</p>
<h2>Per class</h2>
{class_table(c)}
<p>Panoptic quality (mean over {pan["classes"]} classes): PQ {fmt(pan["pq"])},
SQ {fmt(pan["sq"])}, RQ {fmt(pan["rq"])}. Objects: {missed} missed, {extra} extra.</p>
<p class="muted">Means over the images where REF or TEST has the class; distances over those
where both have it ("one-sided" counts the others, where the distance is infinite).</p>
<h2>Dice per image</h2>
{dice_plot(c)}
<p class="muted">A dot per image, the red bar at the mean.</p>
<h2>Lowest agreement</h2>
<p class="key">overlay:<span style="background:rgb{AGREE}"></span>both
<span style="background:rgb{MISSED}"></span>only REF (missed)
<span style="background:rgb{EXTRA}"></span>only TEST (extra)</p>
{worst_section(c, labels, worst)}
{"<h2>Not compared</h2><ul>" + failed + "</ul>" if failed else ""}{lonely}
</body></html>
"""


def write_html(
    c: Comparison,
    path: str | os.PathLike[str],
    *,
    labels: LabelSet | None = None,
    worst: int = 8,
) -> None:
    atomic_write_text(path, render(c, labels=labels, worst=worst))
