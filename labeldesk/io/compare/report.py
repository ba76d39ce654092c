"""The comparison as JSON, CSV and a terminal table.

JSON layout (one layout scripts can rely on; IMAGE is the JSON file name)::

    {"images": {IMAGE: {"classes": {CLASS: {"dice", "iou", "hausdorff", "hausdorff95", "assd",
                                            "ref_pixels", "test_pixels"}},
                        "instances": {"classes": {CLASS: {"tp", "fp", "fn", "precision",
                                                          "recall", "f1", "sq", "rq", "pq"}},
                                      "matched": [{"class", "ref", "test", "iou"}],
                                      "missed": [{"class", "label", "group_id", "shapes"}],
                                      "extra": [...same...]},
                        "unknown_labels": [...]}},
     "classes": {CLASS: {"images", "one_sided", "dice_mean", "iou_mean", "hausdorff_mean",
                         "hausdorff95_mean", "assd_mean", "dice_pooled", "iou_pooled",
                         "tp", "fp", "fn", "precision", "recall", "f1", "sq", "rq", "pq"}},
     "panoptic": {"pq", "sq", "rq", "classes"},
     "ref", "test", "spacing", "units", "threshold",
     "failed": [{"file", "reason"}], "only_in_ref": [...], "only_in_test": [...]}

An object (``ref`` / ``test`` / missed / extra) is ``{"label", "group_id", "shapes"}`` with
``shapes`` the indices of its shapes in its file. Numbers that are undefined (NaN: a class
absent from both, a mean over nothing) are ``null``; infinite distances (the class is in only
one of the two) are the string ``"inf"``: the file is strict JSON. Distance means are over
the images where both sides have the class (``one_sided`` counts the others); ``dice_mean``
includes the 0 of those images.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Any, TextIO

from labeldesk.io.atomic import atomic_write_text
from labeldesk.io.compare.core import MEASURES, Comparison

CLASS_KEYS = ("tp", "fp", "fn", "precision", "recall", "f1", "sq", "rq", "pq")


def number(value: float | int) -> float | int | str | None:
    """A JSON-safe number: NaN -> None, inf -> "inf"."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return value


def to_dict(c: Comparison) -> dict[str, Any]:
    images: dict[str, Any] = {}
    for name, r in c.images.items():
        classes = {
            cname: {
                **{k: number(v) for k, v in s.as_dict().items()},
                "ref_pixels": s.ref_pixels,
                "test_pixels": s.test_pixels,
            }
            for cname, s in r.classes.items()
        }
        counts = {
            cname: {k: number(v) for k, v in cnt.as_dict().items()}
            for cname, cnt in r.counts.items()
        }
        images[name] = {
            "classes": classes,
            "instances": {
                "classes": counts,
                "matched": [{**m, "iou": number(m["iou"])} for m in r.matches],
                "missed": r.missed,
                "extra": r.extra,
            },
            "unknown_labels": r.unknown,
        }
    summary: dict[str, Any] = {}
    for cname, s in c.classes.items():
        row: dict[str, Any] = {"images": s.images, "one_sided": s.one_sided}
        for key in MEASURES:
            row[f"{key}_mean"] = number(s.mean(key))
        row["dice_pooled"] = number(s.dice_pooled)
        row["iou_pooled"] = number(s.iou_pooled)
        row.update({k: number(v) for k, v in s.counts.as_dict().items()})
        summary[cname] = row
    return {
        "ref": c.ref,
        "test": c.test,
        "spacing": list(c.spacing) if c.spacing else None,
        "units": "spacing" if c.spacing else "pixels",
        "threshold": c.threshold,
        "images": images,
        "classes": summary,
        "panoptic": {k: number(v) for k, v in c.panoptic().items()},
        "failed": [{"file": f, "reason": why} for f, why in c.failed],
        "only_in_ref": c.only_ref,
        "only_in_test": c.only_test,
    }


def write_json(c: Comparison, path: str | os.PathLike[str]) -> None:
    text = json.dumps(to_dict(c), indent=1, allow_nan=False, ensure_ascii=False)
    atomic_write_text(path, text + "\n")


def write_csv(c: Comparison, path: str | os.PathLike[str]) -> None:
    """One row per image and class: the five measures and the instance counts."""
    rows = [["image", "class", *MEASURES, "ref_pixels", "test_pixels", *CLASS_KEYS]]
    for name, r in c.images.items():
        for cname, s in r.classes.items():
            cnt = r.counts.get(cname)
            inst = cnt.as_dict() if cnt is not None else {}
            rows.append(
                [name, cname]
                + [_cell(v) for v in s.as_dict().values()]
                + [str(s.ref_pixels), str(s.test_pixels)]
                + [_cell(inst.get(k, math.nan)) for k in CLASS_KEYS]
            )
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    atomic_write_text(path, buf.getvalue())


def _cell(value: float | int) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf"
        return f"{value:.6g}"
    return str(value)


def fmt(value: float, digits: int = 3) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:.{digits}f}"


def print_summary(c: Comparison, out: TextIO) -> None:
    """The per-class table, the panoptic averages and what was not compared."""
    unit = "" if c.spacing else " px"
    head = ("class", "images", "Dice", "pooled", "IoU", "HD", "HD95", "ASSD", "P", "R", "PQ")
    rows = [head]
    for cname, s in c.classes.items():
        if not s.images:
            continue
        k = s.counts
        rows.append(
            (
                cname,
                str(s.images),
                fmt(s.mean("dice")),
                fmt(s.dice_pooled),
                fmt(s.mean("iou")),
                fmt(s.mean("hausdorff"), 2),
                fmt(s.mean("hausdorff95"), 2),
                fmt(s.mean("assd"), 2),
                fmt(k.precision),
                fmt(k.recall),
                fmt(k.pq),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for n, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(r[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)
    pan = c.panoptic()
    print(
        f"{len(c.images)} images compared; distances in{unit or ' spacing units'} "
        f"(means over images where both sides have the class); "
        f"PQ {fmt(pan['pq'])}, SQ {fmt(pan['sq'])}, RQ {fmt(pan['rq'])} "
        f"over {pan['classes']} classes",
        file=out,
    )
    missed = sum(len(r.missed) for r in c.images.values())
    extra = sum(len(r.extra) for r in c.images.values())
    if not c.volume:
        print(f"objects: {missed} missed, {extra} extra (IoU > {c.threshold:g} matches)", file=out)
    for f, why in c.failed:
        print(f"failed: {f}: {why}", file=out)
    if c.only_ref:
        print(f"only in REF ({len(c.only_ref)}): {', '.join(c.only_ref[:10])}", file=out)
    if c.only_test:
        print(f"only in TEST ({len(c.only_test)}): {', '.join(c.only_test[:10])}", file=out)
