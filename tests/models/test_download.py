"""Checkpoint download: progress, resume, hash check, errors; against a server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from labeldesk.core import ModelError
from labeldesk.core.jobs import Progress, run_job
from labeldesk.models.download import download

PAYLOAD = bytes(range(256)) * 9000  # 2.3 MB: several chunks


class Handler(BaseHTTPRequestHandler):
    ranges_seen: list[str] = []
    honour_range = True
    cut_after: int | None = None

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path != "/model.pth":
            self.send_error(404, "Not Found")
            return
        start = 0
        rng = self.headers.get("Range")
        type(self).ranges_seen.append(rng or "")
        if rng and type(self).honour_range:
            start = int(rng.split("=")[1].rstrip("-"))
            if start >= len(PAYLOAD):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = type(self).cut_after
        self.wfile.write(body if cut is None else body[:cut])

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.ranges_seen = []
    Handler.honour_range = True
    Handler.cut_after = None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def run(gen):
    events: list[Progress] = []
    return run_job(gen, on_progress=events.append), events


def test_download_with_progress_and_hash(server: str, tmp_path: Path) -> None:
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    path, events = run(download(f"{server}/model.pth", tmp_path / "m.pth", sha256=digest))
    assert path.read_bytes() == PAYLOAD
    assert events[-1].done == len(PAYLOAD) and events[0].total == len(PAYLOAD)
    assert [e.done for e in events] == sorted(e.done for e in events)
    assert not (tmp_path / "m.pth.part").exists()


def test_resume_after_cancel(server: str, tmp_path: Path) -> None:
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 2  # two chunks, then cancel

    with pytest.raises(ModelError, match="cancelled"):
        run(download(f"{server}/model.pth", tmp_path / "m.pth", cancel=cancel))
    part = tmp_path / "m.pth.part"
    kept = part.stat().st_size
    assert 0 < kept < len(PAYLOAD) and not (tmp_path / "m.pth").exists()
    path, _ = run(
        download(
            f"{server}/model.pth", tmp_path / "m.pth", sha256=hashlib.sha256(PAYLOAD).hexdigest()
        )
    )
    assert Handler.ranges_seen[-1] == f"bytes={kept}-"
    assert path.read_bytes() == PAYLOAD


def test_server_ignoring_range_restarts_cleanly(server: str, tmp_path: Path) -> None:
    (tmp_path / "m.pth.part").write_bytes(b"garbage!")
    Handler.honour_range = False
    path, _ = run(download(f"{server}/model.pth", tmp_path / "m.pth"))
    assert path.read_bytes() == PAYLOAD


def test_truncated_body_can_be_resumed(server: str, tmp_path: Path) -> None:
    Handler.cut_after = 100_000
    with pytest.raises(ModelError, match="resumed"):
        run(download(f"{server}/model.pth", tmp_path / "m.pth", timeout=5))
    Handler.cut_after = None
    path, _ = run(download(f"{server}/model.pth", tmp_path / "m.pth"))
    assert path.read_bytes() == PAYLOAD


def test_hash_mismatch_deletes_download(server: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="damaged"):
        run(download(f"{server}/model.pth", tmp_path / "m.pth", sha256="0" * 64))
    assert not (tmp_path / "m.pth").exists() and not (tmp_path / "m.pth.part").exists()


def test_http_error_and_no_server(server: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="404"):
        run(download(f"{server}/missing.pth", tmp_path / "m.pth"))
    with pytest.raises(ModelError, match="cannot connect"):
        run(download("http://127.0.0.1:9/model.pth", tmp_path / "m.pth", timeout=2))
