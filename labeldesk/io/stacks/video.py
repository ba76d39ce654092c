"""Video files (mp4, mov, avi, mkv, ...) through PyAV, read lazily.

Opening demuxes the packets once without decoding them (fast: no pixels are made) to learn
every frame's presentation time and which packets are keyframes. ``frame(i)`` then either
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


class VideoStack(Stack):
    kind = "video"

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
        """Presentation times of all frames and the keyframes' positions among them."""
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
            self._next = bisect.bisect_right(self._pts, pts)
            return frame.to_ndarray(format="rgb24")
        self._decoder = None
        raise self._fail(f"frame {index} could not be decoded (the stream ended early)")

    def _read(self, index: int) -> np.ndarray:
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
