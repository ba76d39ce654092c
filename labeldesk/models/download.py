"""Download a model checkpoint with progress, resume and a hash check. No torch, no Qt.

Only the model manager calls this, when the user asks for it: nothing in labeldesk downloads
on its own, and model constructors never touch the network.

:func:`download` is a :mod:`labeldesk.core.jobs` job: it yields ``Progress(bytes done, total
bytes)`` (total None when the server does not say) and returns the final path. A partial download is kept as ``NAME.part`` next to the target and resumed
with an HTTP ``Range`` request; the target appears (atomically renamed) only once complete
and, when a sha256 is known, verified.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from labeldesk.core.errors import ModelError
from labeldesk.core.jobs import Job, Progress

CHUNK = 1 << 20


def sha256_of(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def download(
    url: str,
    target: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    cancel: Callable[[], bool] | None = None,
    timeout: float = 30.0,
) -> Job[Path]:
    """Fetch ``url`` into ``target``, resuming ``target.part`` if present.

    Raises :class:`ModelError` with the URL or file and the reason (HTTP error, network,
    cancelled, hash mismatch). A cancelled download keeps its ``.part`` for a later resume;
    a download whose hash does not match is deleted.
    """
    target = Path(target)
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    start = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "labeldesk"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # the part is already complete
            response = None
        else:
            raise ModelError(f"{url}: the server answered {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"{url}: cannot connect ({reason})") from exc
    done = start
    if response is not None:
        with response:
            if start and response.status != 206:  # the server ignored Range: start again
                start = done = 0
            length = response.headers.get("Content-Length")
            total = done + int(length) if length is not None else None
            yield Progress(done, total)
            try:
                with open(part, "ab" if start else "wb") as f:
                    while True:
                        if cancel is not None and cancel():
                            raise ModelError(
                                f"{url}: download cancelled ({done} bytes kept for resume)"
                            )
                        block = response.read(CHUNK)
                        if not block:
                            break
                        f.write(block)
                        done += len(block)
                        yield Progress(done, total)
            except (OSError, http.client.HTTPException) as exc:
                raise ModelError(
                    f"{url}: the download broke off ({exc}); it can be resumed"
                ) from exc
            if total is not None and done != total:
                raise ModelError(f"{url}: got {done} of {total} bytes; it can be resumed")
    if sha256 is not None:
        actual = sha256_of(part)
        if actual.lower() != sha256.lower():
            part.unlink(missing_ok=True)
            raise ModelError(
                f"{target.name}: the download is damaged (sha256 {actual[:12]}..., expected {sha256[:12]}...)"
            )
    os.replace(part, target)
    yield Progress(done, done)
    return target
