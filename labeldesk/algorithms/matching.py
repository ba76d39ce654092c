"""Instance matching by IoU and panoptic quality, as the COCO panoptic API defines them.

Instances come as instance maps: ``(H, W)`` (or ``(D, H, W)``) integer arrays where ``k > 0``
marks the pixels of instance ``k`` and 0 none, each instance with one class (``ref_classes[k]``
/ ``test_classes[k]``). Only instances of the same class can match. The IoU of a pair is
``|A&B| / (|A| + |B| - |A&B| - |B & void|)``: pixels of ``test`` that fall on ``void`` (the
reference's ``__ignore__`` pixels) do not count against it, as in panopticapi's
``pq_compute_single_core`` (whose VOID is the ground truth's unlabeled pixels; here the
reference's background is *not* void: a test object drawn over it is wrong).

A pair matches when its IoU is above ``threshold`` (0.5 = panopticapi's rule, strict ``>``).
Above 0.5 a match is unique (two objects cannot both overlap a third by more than half), so
the matching is simply every such pair; below 0.5 the pairs are chosen by the Hungarian
algorithm (maximum total IoU; scipy's ``linear_sum_assignment`` when scipy is installed, else
:func:`hungarian` here). An unmatched test object that lies more than half on void is not
counted as a false positive (panopticapi again).

Per class: ``SQ = sum(IoU of matches) / TP``, ``RQ = TP / (TP + FP/2 + FN/2)``,
``PQ = SQ * RQ``; precision ``TP / (TP + FP)``, recall ``TP / (TP + FN)``, F1 = RQ. With no
instance on either side every measure is NaN (panopticapi leaves such a class out of its
averages); with ``TP = 0`` SQ is 0 (panopticapi's choice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

NAN = float("nan")


def hungarian(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of a minimum-cost assignment of a ``(n, m)`` cost matrix (finite),
    ``min(n, m)`` pairs, like ``scipy.optimize.linear_sum_assignment``."""
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost must be a 2-D matrix, got shape {c.shape}")
    if not np.isfinite(c).all():
        raise ValueError("cost must be finite")
    transposed = c.shape[0] > c.shape[1]
    if transposed:
        c = c.T
    n, m = c.shape
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # shortest augmenting paths with potentials (Jonker-Volgenant style), O(n^2 m)
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    way = np.zeros(m + 1, dtype=np.int64)
    col_of = np.zeros(m + 1, dtype=np.int64)  # col_of[j] = row (1-based) assigned to column j
    for i in range(1, n + 1):
        col_of[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = col_of[j0]
            cur = c[i0 - 1] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (cur < minv[1:])
            minv[1:][better] = cur[better]
            way[1:][better] = j0
            cand = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(cand)) + 1
            delta = cand[j1 - 1]
            u[col_of[used]] += delta
            v[used] -= delta
            minv[1:][free] -= delta
            j0 = j1
            if col_of[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            col_of[j0] = col_of[j1]
            j0 = j1
    cols = np.flatnonzero(col_of[1:])
    rows = col_of[1:][cols] - 1
    order = np.argsort(rows)
    rows, cols = rows[order], cols[order]
    return (cols, rows) if transposed else (rows, cols)


def _assign(benefit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        return hungarian(-benefit)
    rows, cols = linear_sum_assignment(-benefit)
    return np.asarray(rows), np.asarray(cols)


@dataclass
class Matching:
    """The outcome of :func:`match_instances` (ids are the instance maps' values)."""

    matches: list[tuple[int, int, float]] = field(default_factory=list)  # (ref, test, IoU)
    missed: list[int] = field(default_factory=list)  # unmatched reference ids (FN)
    extra: list[int] = field(default_factory=list)  # unmatched test ids (FP)
    on_void: list[int] = field(default_factory=list)  # unmatched test ids not counted (void)


DENSE_LIMIT = 1 << 22  # more (ref id, test id) cells than this: a sparse table


class Overlaps:
    """Pixel counts of two instance maps: ``ref_area[r]``, ``test_area[t]``,
    ``void_area[t]`` (pixels of test id ``t`` on ``void``) and :meth:`block` for the
    intersections of some ref ids with some test ids. Dense (one bincount) for up to
    ``DENSE_LIMIT`` id pairs, sparse (the pairs that occur) beyond, so thousands of
    instances on each side cost no more memory than the images."""

    def __init__(self, ref_ins: np.ndarray, test_ins: np.ndarray, void: np.ndarray | None):
        a = np.asarray(ref_ins)
        b = np.asarray(test_ins)
        if a.shape != b.shape:
            raise ValueError(f"ref_ins and test_ins must have the same shape: {a.shape}, {b.shape}")
        if (a.size and a.min() < 0) or (b.size and b.min() < 0):
            raise ValueError("instance maps must not hold negative ids")
        nr = int(a.max()) + 1 if a.size else 1
        nt = int(b.max()) + 1 if b.size else 1
        self.nt = nt
        self.ref_area = np.bincount(a.ravel(), minlength=nr)
        self.test_area = np.bincount(b.ravel(), minlength=nt)
        if void is None:
            self.void_area = np.zeros(nt, dtype=np.int64)
        else:
            self.void_area = np.bincount(b[np.asarray(void, dtype=bool)], minlength=nt)
        key_type = np.dtype(np.int32) if nr * nt < 2**31 else np.dtype(np.int64)
        key: np.ndarray = a.astype(key_type, copy=False) * nt
        key += b.astype(key_type, copy=False)
        self.dense: np.ndarray | None = None
        if nr * nt <= DENSE_LIMIT:
            self.dense = np.bincount(key.ravel(), minlength=nr * nt).reshape(nr, nt)
        else:
            both = key[(a > 0) & (b > 0)]
            keys, counts = np.unique(both, return_counts=True)
            self.pair_r, self.pair_t, self.pair_n = keys // nt, keys % nt, counts

    def block(self, rs: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """``out[i, j]`` = pixels of ref id ``rs[i]`` and test id ``ts[j]`` (both sorted)."""
        if self.dense is not None:
            return self.dense[np.ix_(rs, ts)]
        out = np.zeros((rs.size, ts.size), dtype=np.int64)
        keep = np.isin(self.pair_r, rs) & np.isin(self.pair_t, ts)
        i = np.searchsorted(rs, self.pair_r[keep])
        j = np.searchsorted(ts, self.pair_t[keep])
        out[i, j] = self.pair_n[keep]
        return out


def match_instances(
    ref_ins: np.ndarray,
    test_ins: np.ndarray,
    ref_classes: Mapping[int, int],
    test_classes: Mapping[int, int],
    *,
    threshold: float = 0.5,
    void: np.ndarray | None = None,
) -> Matching:
    """Match the instances of two instance maps class by class (see the module docstring).

    Ids with no visible pixel are left out, as a panoptic PNG would not hold them.
    """
    if not 0.0 <= threshold < 1.0:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    table = Overlaps(ref_ins, test_ins, void)
    ref_area, test_area, void_area = table.ref_area, table.test_area, table.void_area
    out = Matching()
    refs = [k for k in sorted(ref_classes) if 0 < k < len(ref_area) and ref_area[k] > 0]
    tests = [k for k in sorted(test_classes) if 0 < k < len(test_area) and test_area[k] > 0]
    for cls in sorted({ref_classes[k] for k in refs} | {test_classes[k] for k in tests}):
        rs = np.array([k for k in refs if ref_classes[k] == cls], dtype=np.int64)
        ts = np.array([k for k in tests if test_classes[k] == cls], dtype=np.int64)
        matched_r: set[int] = set()
        matched_t: set[int] = set()
        if rs.size and ts.size:
            i = table.block(rs, ts).astype(np.float64)
            union = ref_area[rs][:, None] + test_area[ts][None, :] - i - void_area[ts][None, :]
            ious = np.where(union > 0, i / np.maximum(union, 1), 0.0)
            if threshold >= 0.5:
                pairs = list(zip(*np.nonzero(ious > threshold), strict=True))
            else:
                rows, cols = _assign(np.where(ious > threshold, ious, 0.0))
                pairs = [(r, c) for r, c in zip(rows, cols, strict=True) if ious[r, c] > threshold]
            for r, c in pairs:
                out.matches.append((int(rs[r]), int(ts[c]), float(ious[r, c])))
                matched_r.add(int(rs[r]))
                matched_t.add(int(ts[c]))
        out.missed.extend(int(k) for k in rs if int(k) not in matched_r)
        for k in ts:
            if int(k) in matched_t:
                continue
            if void_area[k] > 0.5 * test_area[k]:
                out.on_void.append(int(k))
            else:
                out.extra.append(int(k))
    out.matches.sort()
    out.missed.sort()
    out.extra.sort()
    return out


@dataclass
class Counts:
    """Instance counts of one class, summed over images; the measures as properties."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    iou_sum: float = 0.0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.iou_sum += other.iou_sum

    @property
    def empty(self) -> bool:
        return self.tp + self.fp + self.fn == 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else NAN

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else NAN

    @property
    def rq(self) -> float:
        return NAN if self.empty else self.tp / (self.tp + 0.5 * self.fp + 0.5 * self.fn)

    f1 = rq

    @property
    def sq(self) -> float:
        if self.empty:
            return NAN
        return self.iou_sum / self.tp if self.tp else 0.0

    @property
    def pq(self) -> float:
        return NAN if self.empty else self.iou_sum / (self.tp + 0.5 * self.fp + 0.5 * self.fn)

    def as_dict(self) -> dict[str, float]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "sq": self.sq,
            "rq": self.rq,
            "pq": self.pq,
        }


def class_counts(
    matching: Matching, ref_classes: Mapping[int, int], test_classes: Mapping[int, int]
) -> dict[int, Counts]:
    """Per class :class:`Counts` of one :func:`match_instances` result."""
    out: dict[int, Counts] = {}
    for r, _t, value in matching.matches:
        c = out.setdefault(ref_classes[r], Counts())
        c.tp += 1
        c.iou_sum += value
    for r in matching.missed:
        out.setdefault(ref_classes[r], Counts()).fn += 1
    for t in matching.extra:
        out.setdefault(test_classes[t], Counts()).fp += 1
    return out


def panoptic_average(counts: Mapping[int, Counts]) -> dict[str, float]:
    """panopticapi's ``pq_average``: the mean PQ, SQ and RQ over the classes that have at
    least one instance on either side (NaN when none has)."""
    used = [c for c in counts.values() if not c.empty]
    if not used:
        return {"pq": NAN, "sq": NAN, "rq": NAN, "classes": 0}
    return {
        "pq": float(np.mean([c.pq for c in used])),
        "sq": float(np.mean([c.sq for c in used])),
        "rq": float(np.mean([c.rq for c in used])),
        "classes": len(used),
    }
