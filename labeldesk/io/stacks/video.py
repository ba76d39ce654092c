"""Video files (mp4, mov, avi, mkv, ...) through PyAV, read lazily.

Opening reads every frame's presentation time and the keyframes from the container's index
(mp4/mov list every frame; no pass over the file), or else demuxes the packets once without
decoding them (a pass over the file's bytes, no pixels made). ``frame(i)`` then either
continues the running decoder (the next frame: one decode) or seeks to the last keyframe at or
before frame ``i`` and decodes forward to it (a random seek: at most one group of pictures).
:class:`~labeldesk.io.stacks.readahead.ReadAhead` decodes the following frames in a thread.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from labeldesk.io.stacks.base import Stack

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")


class _WrongIndex(Exception):
    """A decoded frame's time is not where the container's index said."""


class VideoStack(Stack):
    kind = "video"
    index_source = "packets"  # "container": the container's index; "packets": one demux pass

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        try:
            import av
        except ImportError as exc:  # pragma: no cover - av is a dependency
            raise self._fail("reading videos needs PyAV (pip install av)") from exc
        self._av = av
        try:
            self._container: Any = av.open(str(self.path))
        except FileNotFoundError as exc:
            raise self._fail("the video file does not exist") from exc
        except av.error.FFmpegError as exc:  # type: ignore[attr-defined]
            raise self._fail(f"not a video PyAV can read ({exc})") from exc
        if not self._container.streams.video:
            self._container.close()
            raise self._fail("the file has no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        try:
            self._index()
        except av.error.FFmpegError as exc:  # type: ignore[attr-defined]
            self._container.close()
            raise self._fail(f"cannot read the video's packets ({exc})") from exc
        if self.count == 0:
            self._container.close()
            raise self._fail("the video has no frames")
        ctx = self._stream.codec_context
        self.frame_shape = (int(ctx.height), int(ctx.width), 3)
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps = float(rate) if rate else None
        self._decoder: Iterator[Any] | None = None
        self._next = -1  # index the running decoder returns next

    def _index(self) -> None:
        """Presentation times of all frames and the keyframes among them.

        From the container's own index when it lists every frame (mp4/mov: read at open, no
        pass over the file); its times are decode times, shifted to presentation times by the
        B-frame delay measured on the first packets. Otherwise (or when a decoded frame later
        shows that the shift was wrong) every packet is demuxed once, without decoding.
        """
        entries = getattr(self._stream, "index_entries", None)
        n = int(self._stream.frames or 0)
        if entries is not None and n > 0 and len(entries) == n:
            dts = [int(e.timestamp) for e in entries]
            keys = [int(e.timestamp) for e in entries if e.is_keyframe]
            shift = 0
            if self._stream.codec_context.has_b_frames:
                first = []
                for packet in self._container.demux(self._stream):
                    if packet.pts is not None and packet.dts is not None and packet.size:
                        first.append((int(packet.pts), int(packet.dts)))
                    if len(first) >= 32:
                        break
                if first:
                    shift = min(p for p, _ in first) - min(d for _, d in first)
                self._container.seek(0)
            self._pts = sorted(d + shift for d in dts)
            self._key_pts = sorted(k + shift for k in keys) or self._pts[:1]
            self.count = n
            self.index_source = "container"
            return
        self._full_index()

    def _full_index(self) -> None:
        self._container.seek(0)
        pts: list[int] = []
        keys: list[int] = []
        for packet in self._container.demux(self._stream):
            if packet.pts is None or packet.size == 0:
                continue
            pts.append(int(packet.pts))
            if packet.is_keyframe:
                keys.append(int(packet.pts))
        self._pts = sorted(pts)
        self._key_pts = sorted(keys) or self._pts[:1]
        self.count = len(self._pts)
        self.index_source = "packets"
        self._container.seek(0)

    @property
    def keyframes(self) -> list[int]:
        """Indices of the keyframes (where a seek lands)."""
        return [bisect.bisect_left(self._pts, p) for p in self._key_pts]

    def _decode_to(self, index: int) -> np.ndarray:
        target = self._pts[index]
        assert self._decoder is not None
        for frame in self._decoder:
            pts = frame.pts
            if pts is None or pts < target:
                continue
            if pts != target and self.index_source == "container":
                raise _WrongIndex
            self._next = bisect.bisect_right(self._pts, pts)
            return frame.to_ndarray(format="rgb24")
        self._decoder = None
        raise self._fail(f"frame {index} could not be decoded (the stream ended early)")

    def _read(self, index: int) -> np.ndarray:
        try:
            return self._read_at(index)
        except _WrongIndex:
            # the container's times did not match the decoded frames: index every packet
            count = self.count
            self._decoder = None
            self._full_index()
            if self.count != count:
                self.notes.append(f"frame count corrected from {count} to {self.count}")
            return self._read_at(min(index, self.count - 1))

    def _read_at(self, index: int) -> np.ndarray:
        if self._decoder is None or index != self._next:
            target = self._pts[index]
            key = self._key_pts[max(0, bisect.bisect_right(self._key_pts, target) - 1)]
            try:
                self._container.seek(key, stream=self._stream, backward=True, any_frame=False)
            except self._av.error.FFmpegError as exc:
                raise self._fail(f"cannot seek to frame {index} ({exc})") from exc
            self._decoder = self._container.decode(self._stream)
        try:
            return self._decode_to(index)
        except self._av.error.FFmpegError as exc:
            self._decoder = None
            raise self._fail(f"frame {index} could not be decoded ({exc})") from exc

    def close(self) -> None:
        with self._lock:
            self._decoder = None
            self._container.close()
