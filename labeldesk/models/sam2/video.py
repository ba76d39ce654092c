"""SAM 2.1 video predictor (Qt-free): prompts on any frame, propagation through the memory bank.

Frames are read lazily (a sequence, or a callable with a frame count); image features are kept
in an LRU cache bounded in bytes. Each object is tracked on its own (batch 1), as in the
official multi-object predictor. The memory bank follows the official rules: all of the
object's conditioning frames, the 6 nearest tracked frames in the direction of propagation,
and up to 15 object pointers.

One difference on purpose: the official code raises a bf16/fp32 dtype error when a frame has
spatial memory but no object pointer (e.g. reverse propagation starting after the last
prompted frame); here the bf16-rounded memory is promoted to fp32, which is exactly what type
promotion does in the official code whenever a pointer is present.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.nn import functional as F

from labeldesk.core.errors import ModelError
from labeldesk.models.sam2.model import NO_OBJ_SCORE, HeadOutput, ImageFeatures, Sam2Model

Prompt = tuple[torch.Tensor, torch.Tensor]  # coords (1, N, 2) model pixels, labels (1, N)


@dataclass
class FrameOutput:
    """One object's result on one frame."""

    low_res: torch.Tensor  # (1, 1, 4E, 4E) logits
    obj_ptr: torch.Tensor  # (1, C)
    object_score: torch.Tensor  # (1, 1)
    memory: torch.Tensor | None = None  # (1, mem_dim, E, E) bfloat16
    num_memory_tokens: int = 0
    num_pointer_tokens: int = 0
    head: HeadOutput | None = None
    from_prompt: bool = False  # memory made from the binarised mask (prompted frames)


@dataclass
class ObjectTrack:
    points: dict[int, Prompt] = field(default_factory=dict)
    cond: dict[int, FrameOutput] = field(default_factory=dict)
    non_cond: dict[int, FrameOutput] = field(default_factory=dict)
    temp: dict[bool, dict[int, FrameOutput]] = field(default_factory=lambda: {True: {}, False: {}})
    tracked: dict[int, bool] = field(default_factory=dict)  # frame -> tracked in reverse

    def output(self, frame: int) -> FrameOutput | None:
        """The stored result for ``frame`` (pending prompts first)."""
        for d in (self.temp[True], self.temp[False], self.cond, self.non_cond):
            if frame in d:
                return d[frame]
        return None


class VideoState:
    """Frames (read lazily), per-object tracks, and the feature cache of one video."""

    def __init__(
        self, read: Callable[[int], np.ndarray], num_frames: int, budget_bytes: int
    ) -> None:
        if num_frames < 1:
            raise ModelError("the video has no frames")
        self.read = read
        self.num_frames = num_frames
        first = self._frame(0)
        self.video_hw = (int(first.shape[0]), int(first.shape[1]))
        self.budget_bytes = budget_bytes
        self.cache: OrderedDict[int, tuple[ImageFeatures, int]] = OrderedDict()
        self.objects: dict[int, ObjectTrack] = {}

    def _frame(self, index: int) -> np.ndarray:
        frame = np.asarray(self.read(index))
        if frame.ndim == 2 and frame.dtype == np.uint8:  # grey frames (e.g. a volume's slices)
            frame = np.repeat(frame[..., None], 3, axis=2)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ModelError(
                f"frame {index}: expected an (H, W, 3) uint8 RGB array, got {frame.shape} {frame.dtype}"
            )
        return frame

    @property
    def obj_ids(self) -> list[int]:
        return list(self.objects)


def _sine_1d(pos: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    dim_t = torch.arange(half, dtype=torch.float32, device=pos.device)
    dim_t = 10000 ** (2 * (dim_t // 2) / half)
    x = pos.unsqueeze(-1) / dim_t
    return torch.cat([x.sin(), x.cos()], dim=-1)


class Sam2VideoPredictor:
    """Tracks objects through a video with a loaded :class:`Sam2Model`.

    Args:
        model: the model (eval mode); runs on ``model.device``.
        feature_budget_bytes: bound of the per-frame image-feature cache.
        add_all_frames_to_correct_as_cond: store correction prompts on tracked frames as
            conditioning frames (official default False: the correction is then discarded by
            the next propagation over that frame).
        memory_window: during propagation, the memory features of tracked frames further
            than this behind the current frame are dropped (masks and pointers are kept); a
            dropped memory that is needed again is recomputed exactly from the stored mask.
            Default: num_maskmem - 1 (6), the frames the memory bank can use.
    """

    def __init__(
        self,
        model: Sam2Model,
        *,
        feature_budget_bytes: int = 512 << 20,
        add_all_frames_to_correct_as_cond: bool = False,
        memory_window: int | None = None,
    ) -> None:
        self.model = model.eval()
        window = model.config.num_maskmem - 1 if memory_window is None else memory_window
        self.memory_window = max(0, int(window))
        self.feature_budget_bytes = feature_budget_bytes
        self.add_all_frames_to_correct_as_cond = add_all_frames_to_correct_as_cond
        self.keep_attention_inputs = False
        self.last_attention: dict[str, torch.Tensor] | None = None

    # ------------------------------------------------------------------------ state
    def init_state(
        self,
        frames: Sequence[np.ndarray] | Callable[[int], np.ndarray],
        num_frames: int | None = None,
    ) -> VideoState:
        """Start on ``frames``: a sequence of (H, W, 3) uint8 RGB (or (H, W) grey) frames, read
        by index one at a time, or a callable ``index -> frame`` with ``num_frames`` (e.g.
        ``init_state(stack.frame, num_frames=len(stack))`` for a ``labeldesk.io.stacks`` reader;
        other depths must be converted to uint8 first, e.g. with ``labeldesk.io.to_display``)."""
        if callable(frames) and not isinstance(frames, Sequence):
            if num_frames is None:
                raise ModelError("num_frames is required when frames is a callable")
            return VideoState(frames, int(num_frames), self.feature_budget_bytes)
        seq = frames
        return VideoState(lambda i: seq[i], len(seq), self.feature_budget_bytes)

    def reset(self, state: VideoState) -> None:
        """Forget every object, prompt and result (the feature cache is kept)."""
        state.objects.clear()

    def reset_object(self, state: VideoState, obj_id: int) -> None:
        """Remove one object with its prompts and results."""
        if state.objects.pop(int(obj_id), None) is None:
            raise ModelError(f"no object with id {obj_id}")

    def preprocess_frame(self, frame: np.ndarray) -> torch.Tensor:
        """(H, W, 3) uint8 -> (1, 3, S, S): Pillow bicubic resize on uint8, /255, normalise."""
        s = self.model.image_size
        resized = np.asarray(Image.fromarray(frame).resize((s, s), Image.Resampling.BICUBIC))
        x = torch.from_numpy((resized / 255.0).astype(np.float32)).permute(2, 0, 1)
        return self.model.normalize(x.unsqueeze(0)).to(self.model.device)

    def features(self, state: VideoState, index: int) -> ImageFeatures:
        """Image features of frame ``index`` (cached within the state's byte budget)."""
        hit = state.cache.get(index)
        if hit is not None:
            state.cache.move_to_end(index)
            return hit[0]
        with torch.inference_mode():
            feats = self.model.encode(self.preprocess_frame(state._frame(index)))
        tensors = [feats.level2, feats.image_embed, feats.pos, *feats.high_res]
        size = sum(t.numel() * t.element_size() for t in tensors)
        state.cache[index] = (feats, size)
        total = sum(v[1] for v in state.cache.values())
        while total > state.budget_bytes and len(state.cache) > 1:
            _, (_, dropped) = state.cache.popitem(last=False)
            total -= dropped
        return feats

    # ---------------------------------------------------------------------- prompts
    def _object(self, state: VideoState, obj_id: int) -> ObjectTrack:
        return state.objects.setdefault(int(obj_id), ObjectTrack())

    def _check_frame(self, state: VideoState, index: int) -> int:
        if not 0 <= int(index) < state.num_frames:
            raise ModelError(
                f"frame index {index} is outside the video (0..{state.num_frames - 1})"
            )
        return int(index)

    def add_points(
        self,
        state: VideoState,
        frame_index: int,
        obj_id: int,
        points: Any = None,
        labels: Any = None,
        box: Any = None,
        clear_old_points: bool = True,
    ) -> tuple[int, list[int], np.ndarray]:
        """Clicks (N, 2) (x, y) pixels with labels 1/0, and/or a box XYXY, for one object on
        one frame. Returns (frame_index, obj_ids, logits (num_objects, H, W)) on that frame."""
        frame = self._check_frame(state, frame_index)
        h, w = state.video_hw
        scale = np.array([w, h], dtype=np.float32)
        s = np.float32(self.model.image_size)
        pts = np.zeros((0, 2), np.float32)
        lab = np.zeros((0,), np.int64)
        if points is not None:
            pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
            if labels is None or np.asarray(labels).reshape(-1).shape[0] != pts.shape[0]:
                raise ModelError("labels must give one 0/1 label per point")
            lab = np.asarray(labels).reshape(-1).astype(np.int64)
            if not np.isin(lab, (0, 1)).all():
                raise ModelError("point labels must be 0 (background) or 1 (foreground)")
        if box is not None:
            corners = np.asarray(box, dtype=np.float32).reshape(2, 2)
            pts = np.concatenate([corners, pts])
            lab = np.concatenate([np.array([2, 3], np.int64), lab])
        if pts.shape[0] == 0:
            raise ModelError("add_points needs points or a box")
        dev = self.model.device
        coords = torch.as_tensor(pts / scale * s, device=dev)[None]
        label_t = torch.as_tensor(lab, device=dev)[None]
        obj = self._object(state, obj_id)
        if not clear_old_points and frame in obj.points:
            old_c, old_l = obj.points[frame]
            coords, label_t = torch.cat([old_c, coords], 1), torch.cat([old_l, label_t], 1)
        obj.points[frame] = (coords, label_t)
        return self._prompt(state, obj, frame, (coords, label_t), None)

    def add_mask(
        self, state: VideoState, frame_index: int, obj_id: int, mask: np.ndarray
    ) -> tuple[int, list[int], np.ndarray]:
        """A (H, W) bool mask for one object on one frame, taken as that frame's output."""
        frame = self._check_frame(state, frame_index)
        m = torch.as_tensor(np.asarray(mask, dtype=bool), device=self.model.device)
        if m.ndim != 2:
            raise ModelError(f"mask must be (H, W), got {tuple(m.shape)}")
        m = m[None, None].float()
        s = self.model.image_size
        if m.shape[-2:] != (s, s):
            m = F.interpolate(m, size=(s, s), mode="bilinear", align_corners=False, antialias=True)
            m = (m >= 0.5).float()
        obj = self._object(state, obj_id)
        obj.points.pop(frame, None)
        return self._prompt(state, obj, frame, None, m)

    def _prompt(
        self,
        state: VideoState,
        obj: ObjectTrack,
        frame: int,
        points: Prompt | None,
        mask: torch.Tensor | None,
    ) -> tuple[int, list[int], np.ndarray]:
        is_init = frame not in obj.tracked
        reverse = False if is_init else obj.tracked[frame]
        is_cond = is_init or self.add_all_frames_to_correct_as_cond
        prev = obj.temp[is_cond].get(frame) or obj.cond.get(frame) or obj.non_cond.get(frame)
        prev_logits = None
        if prev is not None and mask is None:
            prev_logits = torch.clamp(prev.low_res, -32.0, 32.0)
        out = self._track(state, obj, frame, is_init, points, mask, reverse, False, prev_logits)
        obj.temp[is_cond][frame] = out
        return frame, state.obj_ids, self._consolidate(state, frame, is_cond)

    def _consolidate(self, state: VideoState, frame: int, is_cond: bool) -> np.ndarray:
        h, w = state.video_hw
        result = np.full((len(state.objects), h, w), NO_OBJ_SCORE, dtype=np.float32)
        for i, obj in enumerate(state.objects.values()):
            out = obj.temp[is_cond].get(frame) or obj.cond.get(frame) or obj.non_cond.get(frame)
            if out is not None:
                result[i] = self._video_res(out.low_res, state)
        return result

    def _video_res(self, low_res: torch.Tensor, state: VideoState) -> np.ndarray:
        with torch.inference_mode():
            up = F.interpolate(low_res, size=state.video_hw, mode="bilinear", align_corners=False)
        return up[0, 0].float().cpu().numpy()

    # ---------------------------------------------------------------------- tracking
    def _track(
        self,
        state: VideoState,
        obj: ObjectTrack,
        frame: int,
        is_init: bool,
        points: Prompt | None,
        mask: torch.Tensor | None,
        reverse: bool,
        run_memory: bool,
        prev_logits: torch.Tensor | None,
    ) -> FrameOutput:
        model = self.model
        feats = self.features(state, frame)
        n_mem = n_ptr = 0
        with torch.inference_mode():
            if mask is not None:
                head = model.mask_as_output(feats.level2, feats.high_res, mask)
            else:
                if is_init:
                    pix = feats.image_embed
                else:
                    pix, n_mem, n_ptr = self._condition(state, obj, frame, feats, reverse)
                coords, labels = points if points is not None else (None, None)
                multimask = labels is None or labels.shape[1] <= 1
                head = model.sam_heads(pix, feats.high_res, coords, labels, prev_logits, multimask)
            memory = None
            if run_memory:
                memory, _ = model.encode_memory(
                    feats.level2, head.high_res, head.object_score, points is not None
                )
        return FrameOutput(
            head.low_res, head.obj_ptr, head.object_score, memory, n_mem, n_ptr, head,
            from_prompt=points is not None or mask is not None,
        )  # fmt: skip

    def _memory_of(self, state: VideoState, frame: int, out: FrameOutput) -> torch.Tensor:
        """The stored memory of ``out`` (frame ``frame``), or recomputed (not stored again)
        when it was dropped: the same mask, score and features give the same bf16 values."""
        if out.memory is not None:
            return out.memory
        feats = self.features(state, frame)
        s = self.model.image_size
        with torch.inference_mode():
            high = F.interpolate(out.low_res, size=(s, s), mode="bilinear", align_corners=False)
            memory, _ = self.model.encode_memory(
                feats.level2, high, out.object_score, out.from_prompt
            )
        return memory

    def _memory_pos(self, feats: ImageFeatures) -> torch.Tensor:
        e = feats.level2.shape[-1]
        probe = feats.level2.new_zeros((1, self.model.config.mem_dim, e, e))
        return self.model.memory_encoder.position_encoding(probe)

    def _condition(
        self, state: VideoState, obj: ObjectTrack, frame: int, feats: ImageFeatures, reverse: bool
    ) -> tuple[torch.Tensor, int, int]:
        model, cfg = self.model, self.model.config
        if not obj.cond:
            raise ModelError("the object has no prompted frame to track from")
        pos = self._memory_pos(feats).flatten(2).transpose(1, 2)
        tpos = model.maskmem_tpos_enc.view(cfg.num_maskmem, 1, -1)
        mems: list[torch.Tensor] = []
        poss: list[torch.Tensor] = []
        entries = [(cfg.num_maskmem - 1, t, out) for t, out in obj.cond.items()]
        for t_rel in range(cfg.num_maskmem - 1, 0, -1):
            t = frame + t_rel if reverse else frame - t_rel
            prev = obj.non_cond.get(t)
            if prev is not None:
                entries.append((t_rel - 1, t, prev))
        for index, t, out in entries:
            memory = self._memory_of(state, t, out)
            mems.append(memory.float().flatten(2).transpose(1, 2))
            poss.append(pos + tpos[index])
        n_spatial = sum(m.shape[1] for m in mems)
        max_ptr = min(state.num_frames, cfg.max_obj_ptrs_in_encoder)
        sign = -1 if reverse else 1
        ptrs = [
            ((frame - t) * sign, out.obj_ptr)
            for t, out in obj.cond.items()
            if (t >= frame if reverse else t <= frame)
        ]
        for dist in range(1, max_ptr):
            t = frame + dist if reverse else frame - dist
            if t < 0 or t >= state.num_frames:
                break
            near = obj.non_cond.get(t)
            if near is not None:
                ptrs.append((dist, near.obj_ptr))
        c, mem_dim = cfg.d_model, cfg.mem_dim
        if ptrs:
            where = torch.tensor([p for p, _ in ptrs], device=model.device) / max(max_ptr - 1, 1)
            ptr_pos = model.obj_ptr_tpos_proj(_sine_1d(where, c))  # (P, mem_dim)
            ptr = torch.stack([o for _, o in ptrs])  # (P, 1, C)
            split = c // mem_dim
            ptr = ptr.reshape(len(ptrs), split, mem_dim)
            mems.append(ptr.reshape(1, -1, mem_dim))
            poss.append(ptr_pos.repeat_interleave(split, dim=0).unsqueeze(0))
        memory = torch.cat(mems, dim=1)
        memory_pos = torch.cat(poss, dim=1)
        n_ptr = memory.shape[1] - n_spatial
        curr = feats.level2.flatten(2).transpose(1, 2)
        curr_pos = feats.pos.flatten(2).transpose(1, 2)
        out = model.memory_attention(curr, curr_pos, memory, memory_pos, n_ptr)
        if self.keep_attention_inputs:
            self.last_attention = {
                "curr": curr, "curr_pos": curr_pos, "memory": memory,
                "memory_pos": memory_pos, "out": out,
            }  # fmt: skip
        e = feats.level2.shape[-1]
        return out.transpose(1, 2).reshape(1, c, e, e), memory.shape[1], n_ptr

    # ------------------------------------------------------------------- propagation
    def _preflight(self, state: VideoState) -> None:
        s = self.model.image_size
        for obj_id, obj in state.objects.items():
            for is_cond in (False, True):
                for frame, out in obj.temp[is_cond].items():
                    if out.memory is None:
                        feats = self.features(state, frame)
                        with torch.inference_mode():
                            high = F.interpolate(
                                out.low_res, size=(s, s), mode="bilinear", align_corners=False
                            )
                            out.memory, _ = self.model.encode_memory(
                                feats.level2, high, out.object_score, True
                            )
                    (obj.cond if is_cond else obj.non_cond)[frame] = out
                obj.temp[is_cond].clear()
            if not obj.cond:
                raise ModelError(
                    f"object {obj_id} has no prompts: add points, a box or a mask first"
                )
            for frame in obj.cond:
                obj.non_cond.pop(frame, None)

    def propagate(
        self,
        state: VideoState,
        start_frame: int | None = None,
        reverse: bool = False,
        max_frames: int | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Iterator[tuple[int, dict[int, np.ndarray]]]:
        """Track every object from ``start_frame`` (default: the earliest prompted frame) to
        the end (or to frame 0 with ``reverse``), yielding (frame_index, {obj_id: (H, W)
        logits}) frame by frame. ``cancel()`` is checked before each frame; closing the
        generator also stops. Results of frames already done stay stored."""
        self._preflight(state)
        if not state.objects:
            raise ModelError("no objects to track: add points, a box or a mask first")
        if start_frame is None:
            start_frame = min(t for obj in state.objects.values() for t in obj.cond)
        start = self._check_frame(state, start_frame)
        count = state.num_frames if max_frames is None else int(max_frames)
        if reverse:
            order = range(start, max(start - count, 0) - 1, -1) if start > 0 else range(0)
        else:
            order = range(start, min(start + count, state.num_frames - 1) + 1)
        for frame in order:
            if cancel is not None and cancel():
                return
            result: dict[int, np.ndarray] = {}
            for obj_id, obj in state.objects.items():
                out = obj.cond.get(frame)
                if out is None:
                    tracked = self._track(state, obj, frame, False, None, None, reverse, True, None)
                    obj.non_cond[frame] = out = tracked
                behind = obj.non_cond.get(
                    frame + self.memory_window + 1 if reverse else frame - self.memory_window - 1
                )
                if behind is not None:
                    behind.memory = None  # bounded storage; recomputed if needed again
                obj.tracked[frame] = reverse
                result[obj_id] = self._video_res(out.low_res, state)
            yield frame, result
