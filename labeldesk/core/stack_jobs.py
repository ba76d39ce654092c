"""Propagation and interpolation over a stack's per-frame documents, as cancellable jobs.

Both are :mod:`labeldesk.core.jobs` jobs: generators that yield a ``Progress`` after each frame
(``payload`` = the frame index) and return a :class:`StackResult`; closing the generator stops
them between frames, keeping the frames already done. The objects they make are marked machine-made (``labeldesk.core.machine``) with
the source ``"propagate"`` or ``"interpolate"``. A frame where a person made or kept an object
of a track is a key frame for that track: it is never overwritten, and propagation of that
track stops there; otherwise the track's machine-made objects in a frame are replaced, so
correcting a frame and propagating again from it replaces only machine-made objects after it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import numpy as np

from labeldesk.algorithms.interpolate import interpolate_masks, interpolate_polygons
from labeldesk.algorithms.propagate import propagate_mask
from labeldesk.algorithms.rasterize import shape_to_mask
from labeldesk.core.convert import mask_to_shape
from labeldesk.core.document import Document
from labeldesk.core.jobs import Progress
from labeldesk.core.machine import mark_machine
from labeldesk.core.shapes import Shape
from labeldesk.core.stack import StackDocument, has_person_made, replace_machine, track_shapes

FrameReader = Callable[[int], np.ndarray]


@dataclass
class StackResult:
    changed: list[int] = field(default_factory=list)  # frames whose document changed
    objects: int = 0  # objects made
    stopped: dict[int, int] = field(default_factory=dict)  # track -> frame where it stopped


def shape_mask(shape: Shape, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` bool pixels of ``shape`` (labelme's rasterization)."""
    return shape_to_mask(size, shape.points, shape.shape_type, mask=shape.mask)


def _doc_size(doc: Document, reader: FrameReader | None, index: int) -> tuple[int, int]:
    if doc.image_height and doc.image_width:
        return doc.image_height, doc.image_width
    if reader is None:
        raise ValueError(f"frame {index}: the document does not say the image size")
    h, w = reader(index).shape[:2]
    return int(h), int(w)


def _made(mask: np.ndarray, template: Shape, track: int, source: str) -> Shape | None:
    shape = mask_to_shape(mask, template.label, group_id=track)
    if shape is None:
        return None
    shape.flags = dict(template.flags)
    return mark_machine(shape, source)


@dataclass
class PropagationPlan:
    """What to carry where, decided on the thread that owns the documents.

    ``sources``: track -> (its mask in frame ``start``, the object whose label and flags the
    carried objects take); ``stops``: track -> the first target frame where a person made an
    object of that track (the track is not carried there or beyond).
    """

    start: int
    targets: list[int]
    sources: dict[int, tuple[np.ndarray, Shape]]
    stops: dict[int, int]


def plan_propagation(
    stack: StackDocument,
    start: int,
    stop: int,
    size: tuple[int, int],
    *,
    indices: Sequence[int] | None = None,
) -> PropagationPlan:
    """Give the chosen objects of frame ``start`` track ids and find where each must stop.

    Loads the documents of the annotated target frames (to find the person-made objects).
    """
    step = 1 if stop >= start else -1
    chosen = stack.ensure_tracks(start, indices)
    src = stack.document(start)
    sources: dict[int, tuple[np.ndarray, Shape]] = {}
    for i in chosen:
        s = src.shapes[i]
        assert s.group_id is not None
        m = shape_mask(s, size)
        if s.group_id in sources:
            sources[s.group_id] = (sources[s.group_id][0] | m, sources[s.group_id][1])
        else:
            sources[s.group_id] = (m, s)
    targets = list(range(start + step, stop + step, step))
    stops: dict[int, int] = {}
    annotated = set(stack.annotated_frames())  # a frame without objects stops nothing
    for j in targets:
        if j not in annotated:
            continue
        doc = stack.document(j)
        for track in sources:
            if track not in stops and has_person_made(doc, track):
                stops[track] = j
    return PropagationPlan(start, targets, sources, stops)


def track_masks(
    plan: PropagationPlan, frames: FrameReader, *, refine: bool = True
) -> Generator[Progress, None, int]:
    """Carry the plan's masks frame by frame; touches no document (any thread).

    Yields ``Progress`` whose payload is ``(frame, {track: mask or None})`` (None: the
    object vanished, its track stops); returns the number of frames done.
    """
    active = {t: m for t, (m, _s) in plan.sources.items()}
    prev = frames(plan.start)
    done = 0
    for done, j in enumerate(plan.targets, 1):
        for t in [t for t in active if plan.stops.get(t) == j]:
            del active[t]
        if not active:
            break
        nxt = frames(j)
        out: dict[int, np.ndarray | None] = {}
        for t in list(active):
            m = propagate_mask(prev, nxt, active[t], refine=refine)
            if m.any():
                active[t] = out[t] = m
            else:
                out[t] = None
                del active[t]
        prev = nxt
        yield Progress(done, len(plan.targets), f"frame {j}", payload=(j, out))
    return done


def apply_tracked(
    stack: StackDocument,
    plan: PropagationPlan,
    frame: int,
    masks: dict[int, np.ndarray | None],
    result: StackResult,
) -> None:
    """Put one frame's carried masks into its document (one undo step; owning thread)."""
    doc = stack.document(frame)
    with doc.group("Propagate"):
        for track, mask in masks.items():
            template = plan.sources[track][1]
            shape = None if mask is None else _made(mask, template, track, "propagate")
            replace_machine(doc, track, shape, "Propagate")
            if shape is None:
                result.stopped.setdefault(track, frame)
            else:
                result.objects += 1
    if masks and frame not in result.changed:
        result.changed.append(frame)


def propagate(
    stack: StackDocument,
    frames: FrameReader,
    start: int,
    stop: int,
    *,
    indices: Sequence[int] | None = None,
    refine: bool = True,
    tracker: Callable[[PropagationPlan, FrameReader], Generator[Progress, None, int]] | None = None,
) -> Generator[Progress, None, StackResult]:
    """Carry the region objects of frame ``start`` (or those at ``indices``) to ``stop``.

    Forward when ``stop > start``, backward otherwise. Objects without a track id get one in
    frame ``start`` first. ``tracker(plan, frames)`` replaces the weight-free
    :func:`track_masks` (e.g. SAM 2.1: ``labeldesk.models.stack_tracker``). (The app runs the
    tracker in a worker and :func:`apply_tracked` on the GUI thread; this runs both here.)
    """
    result = StackResult()
    size = frames(start).shape[:2]
    plan = plan_propagation(stack, start, stop, (int(size[0]), int(size[1])), indices=indices)
    if stack.document(start).is_dirty():
        result.changed.append(start)
    result.stopped.update(plan.stops)
    job = tracker(plan, frames) if tracker else track_masks(plan, frames, refine=refine)
    for progress in job:
        frame, masks = progress.payload
        apply_tracked(stack, plan, frame, masks, result)
        yield Progress(progress.done, progress.total, progress.message, payload=frame)
    return result


def _key_shape(doc: Document, track: int) -> Shape | None:
    found = track_shapes(doc, track)
    return doc.shapes[found[0]] if found else None


@dataclass
class InterpolationPlan:
    """One gap to fill, decided on the thread that owns the documents.

    ``keys``: track -> copies of its object in key frames ``first`` and ``last``; ``size``:
    the frames' ``(H, W)``. :func:`interpolated_shapes` needs nothing else (any thread).
    """

    first: int
    last: int
    size: tuple[int, int]
    keys: dict[int, tuple[Shape, Shape]]


def plan_interpolation(
    stack: StackDocument,
    first: int,
    last: int,
    *,
    tracks: Sequence[int] | None = None,
    frames: FrameReader | None = None,
) -> InterpolationPlan | None:
    """Pair the key frames' objects (giving untracked ones track ids) and copy them; None
    when no frame lies strictly between ``first`` and ``last``."""
    if last < first:
        first, last = last, first
    if last - first < 2:
        return None
    a, b = stack.document(first), stack.document(last)
    _pair_untracked(stack, first, last)
    in_both = {s.group_id for s in a.shapes} & {s.group_id for s in b.shapes} - {None}
    chosen = sorted(t for t in in_both if t is not None and (tracks is None or t in tracks))
    keys: dict[int, tuple[Shape, Shape]] = {}
    for track in chosen:
        sa, sb = _key_shape(a, track), _key_shape(b, track)
        assert sa is not None and sb is not None
        keys[track] = (copy.deepcopy(sa), copy.deepcopy(sb))
    return InterpolationPlan(first, last, _doc_size(a, frames, first), keys)


def interpolated_shapes(plan: InterpolationPlan) -> dict[int, list[Shape | None]]:
    """track -> the made object of every frame strictly between the key frames (any thread):
    two polygons by vertex correspondence, anything else by signed-distance masks."""
    first, last = plan.first, plan.last
    ts = [(j - first) / (last - first) for j in range(first + 1, last)]
    made: dict[int, list[Shape | None]] = {}
    for track, (sa, sb) in plan.keys.items():
        if sa.shape_type == "polygon" and sb.shape_type == "polygon":
            rings = interpolate_polygons(sa.points, sb.points, ts)
            made[track] = [
                mark_machine(Shape(sa.label, r, "polygon", group_id=track), "interpolate")
                for r in rings
            ]
        else:
            size = plan.size
            masks = interpolate_masks(shape_mask(sa, size), shape_mask(sb, size), ts)
            made[track] = [_made(m, sa, track, "interpolate") for m in masks]
    return made


def interpolate_plans(
    plans: Sequence[InterpolationPlan],
) -> Generator[Progress, None, list[dict[int, list[Shape | None]]]]:
    """:func:`interpolated_shapes` for every gap, as a job (a worker thread's)."""
    out = []
    for done, plan in enumerate(plans, 1):
        out.append(interpolated_shapes(plan))
        yield Progress(done, len(plans), f"frames {plan.first}-{plan.last}")
    return out


def apply_interpolated(
    stack: StackDocument,
    plan: InterpolationPlan,
    made: dict[int, list[Shape | None]],
    result: StackResult,
) -> Generator[Progress, None, StackResult]:
    """Put the made objects into the frames between (one undo step each; owning thread).
    Frames where a person made an object of a track keep it."""
    between = list(range(plan.first + 1, plan.last))
    for done, j in enumerate(between, 1):
        doc = stack.document(j)
        with doc.group("Interpolate"):
            for track, shapes in made.items():
                if has_person_made(doc, track):
                    continue
                shape = shapes[done - 1]
                replace_machine(doc, track, shape, "Interpolate")
                result.objects += shape is not None
                if j not in result.changed:
                    result.changed.append(j)
        yield Progress(done, len(between), f"frame {j}", payload=j)
    return result


def interpolate(
    stack: StackDocument,
    first: int,
    last: int,
    *,
    tracks: Sequence[int] | None = None,
    frames: FrameReader | None = None,
) -> Generator[Progress, None, StackResult]:
    """Fill the frames strictly between key frames ``first`` and ``last``.

    Every track present in both key frames (or those in ``tracks``) is interpolated: two
    polygons by vertex correspondence, anything else by signed-distance masks. Objects without
    a track id are paired when their label occurs once in each key frame (and get one id).
    (The app runs :func:`interpolated_shapes` in a worker; this runs every part here.)
    """
    plan = plan_interpolation(stack, first, last, tracks=tracks, frames=frames)
    if plan is None:
        return StackResult()
    made = interpolated_shapes(plan)
    return (yield from apply_interpolated(stack, plan, made, StackResult()))


def _pair_untracked(stack: StackDocument, first: int, last: int) -> None:
    a, b = stack.document(first), stack.document(last)

    def single(doc: Document) -> dict[str, int]:
        counts: dict[str, list[int]] = {}
        for i, s in enumerate(doc.shapes):
            if s.group_id is None:
                counts.setdefault(s.label, []).append(i)
        return {label: idx[0] for label, idx in counts.items() if len(idx) == 1}

    sa, sb = single(a), single(b)
    pairs = [(sa[label], sb[label]) for label in sa if label in sb]
    if not pairs:
        return
    next_id = stack.next_track_id()
    with a.group("Give objects track ids"), b.group("Give objects track ids"):
        for k, (i, j) in enumerate(pairs):
            a.edit_shape(i, "Track id", group_id=next_id + k)
            b.edit_shape(j, "Track id", group_id=next_id + k)
