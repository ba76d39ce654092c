"""The inference worker in its thread (latest result wins, errors as messages, the thread
keeps serving) and the model manager's download against a server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from labeldesk.core.tools.sam import SamPrompt
from labeldesk.models.assist import AssistSession
from labeldesk.ui.workers.base import WorkerHost
from labeldesk.ui.workers.inference import InferenceWorker, ProposalsResult

DATA = Path(__file__).resolve().parents[1] / "data" / "sam_tiny"
IMAGE = np.load(DATA / "input_image_200x300.npy")


def prompt(serial: int, x: float = 150.0, y: float = 100.0) -> SamPrompt:
    return SamPrompt(serial, np.array([[x, y]]), np.array([1]), None, None, True)


@pytest.fixture(scope="module")
def session() -> AssistSession:
    s = AssistSession()
    s.load(DATA / "sam_tiny_state.pt", device="cpu")  # loaded once for the module
    return s


@pytest.fixture
def host(qtbot, session: AssistSession) -> Iterator[WorkerHost]:
    h = WorkerHost(InferenceWorker(session), name="test-inference")
    yield h
    assert h.stop()


def test_only_the_latest_prediction_is_applied(host: WorkerHost, qtbot) -> None:
    got: list[int] = []
    for serial in (1, 2, 3):
        host.submit(
            "predict",
            IMAGE,
            prompt(serial, 50.0 * serial),
            key="sam-click",
            on_result=lambda r: got.append(r.serial),
        )
    qtbot.waitUntil(lambda: not host.is_busy(), timeout=10000)
    assert got == [3]
    # the answer is the model's for the third prompt
    ref = host.worker.session.predict(host.worker.session.current, prompt(3, 150.0))
    assert ref.full_mask().shape == IMAGE.shape[:2]


def test_a_failing_job_reports_and_the_next_one_works(host: WorkerHost, qtbot, monkeypatch) -> None:
    real = host.worker.session.predict
    calls = []

    def broken_once(key, p):
        calls.append(p.serial)
        if len(calls) == 1:
            raise ValueError("decoder exploded")
        return real(key, p)

    monkeypatch.setattr(host.worker.session, "predict", broken_once)
    errors, results = [], []
    host.submit(
        "predict", IMAGE, prompt(10), key="a", on_error=errors.append, on_result=results.append
    )
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert errors == ["predict: ValueError: decoder exploded"]
    host.submit(
        "predict", IMAGE, prompt(11), key="a", on_error=errors.append, on_result=results.append
    )
    qtbot.waitUntil(lambda: bool(results), timeout=10000)
    assert results[0].serial == 11 and len(errors) == 1
    # a user error (bad file) comes back as its own message
    host.submit("load", DATA / "missing.pth", key="model", on_error=errors.append)
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=10000)
    assert "checkpoint file not found" in errors[1]


def test_encode_then_prefetch_and_classical_proposals(
    host: WorkerHost, qtbot, tmp_path: Path
) -> None:
    from PIL import Image

    other = np.ascontiguousarray(IMAGE[:, ::-1])
    Image.fromarray(other).save(tmp_path / "next.png")
    out = {}
    host.submit("encode", IMAGE, key="encode", on_result=lambda e: out.setdefault("enc", e))
    host.submit(
        "prefetch",
        tmp_path / "next.png",
        key="prefetch",
        on_result=lambda e: out.setdefault("pre", e),
    )
    host.submit(
        "proposals", IMAGE, "classical", key="auto", on_result=lambda r: out.setdefault("auto", r)
    )
    qtbot.waitUntil(lambda: len(out) == 3, timeout=20000)
    session = host.worker.session
    assert out["pre"] is not None and session.current == out["enc"].key  # the current image stayed
    assert session.cache.get(out["pre"].key, session._sam.model_id) is not None
    auto: ProposalsResult = out["auto"]
    assert auto.source == "classical" and auto.proposals and auto.seconds > 0


# -- the model manager -------------------------------------------------------------------------
PAYLOAD = bytes(range(256)) * 12000  # 3 MB: several 1 MB chunks


class Handler(BaseHTTPRequestHandler):
    ranges: list[str] = []
    delay = 0.0

    def do_GET(self) -> None:  # noqa: N802
        start = 0
        rng = self.headers.get("Range")
        type(self).ranges.append(rng or "")
        if rng:
            start = int(rng.split("=")[1].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for i in range(0, len(body), 64 * 1024):
                self.wfile.write(body[i : i + 64 * 1024])
                time.sleep(type(self).delay)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.ranges, Handler.delay = [], 0.0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/tiny.pth"
    httpd.shutdown()
    httpd.server_close()


def dialog_for(qtbot, tmp_path: Path, url: str, sha256: str | None):
    from labeldesk.models.sam import KnownCheckpoint
    from labeldesk.ui.model_manager import ModelManagerDialog

    known = KnownCheckpoint(
        "Tiny SAM", "vit_t", "tiny.pth", len(PAYLOAD), url, sha256, "Apache-2.0"
    )
    (tmp_path / "extra").mkdir(exist_ok=True)
    (tmp_path / "extra" / "mine.pt").write_bytes(b"x" * 10)
    dlg = ModelManagerDialog(
        tmp_path / "models", catalogue=[known], extra_dirs=[tmp_path / "extra"]
    )
    qtbot.addWidget(dlg)
    return dlg


def test_download_with_progress_resume_and_hash_then_load(
    qtbot, tmp_path: Path, server: str
) -> None:
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    dlg = dialog_for(qtbot, tmp_path, server, digest)
    assert [e.name for e in dlg.entries] == ["Tiny SAM", "mine"]
    assert (
        dlg.table.item(0, 3).text() == "not downloaded" and dlg.table.item(1, 3).text() == "on disk"
    )
    assert dlg.table.item(0, 4).text() == server
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny.pth.part").write_bytes(PAYLOAD[:1_000_000])  # an earlier attempt
    dlg.refresh()
    assert dlg.table.item(0, 3).text() == "partial (33 %)"
    dlg.select("Tiny SAM")
    assert dlg.download_button.isEnabled() and not dlg.load_button.isEnabled()
    values = []
    dlg.progress.valueChanged.connect(values.append)
    qtbot.mouseClick(dlg.download_button, Qt.MouseButton.LeftButton)
    assert "resuming" in dlg.status.text()
    qtbot.waitUntil(lambda: not dlg.is_downloading(), timeout=10000)
    assert dlg.status.text() == "Downloaded and checked tiny.pth."
    assert (tmp_path / "models" / "tiny.pth").read_bytes() == PAYLOAD
    assert Handler.ranges == ["bytes=1000000-"]
    assert values and values[-1] == 1000 and values == sorted(values)
    assert dlg.table.item(0, 3).text() == "on disk" and dlg.load_button.isEnabled()
    with qtbot.waitSignal(dlg.load_requested) as blocker:
        qtbot.mouseClick(dlg.load_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [str(tmp_path / "models" / "tiny.pth")]


def test_damaged_download_is_refused_and_cancel_keeps_the_part(
    qtbot, tmp_path: Path, server: str
) -> None:
    dlg = dialog_for(qtbot, tmp_path, server, "0" * 64)
    dlg.select("Tiny SAM")
    dlg.download_selected()
    qtbot.waitUntil(lambda: not dlg.is_downloading(), timeout=10000)
    assert "damaged" in dlg.status.text() and not (tmp_path / "models" / "tiny.pth").exists()
    Handler.delay = 0.01  # slow enough to cancel in the middle
    dlg.select("Tiny SAM")
    dlg.download_selected()
    qtbot.waitUntil(lambda: dlg.progress.value() > 0, timeout=10000)
    dlg.cancel_download()
    qtbot.waitUntil(lambda: not dlg.is_downloading(), timeout=10000)
    assert "cancelled" in dlg.status.text()
    part = tmp_path / "models" / "tiny.pth.part"
    assert part.is_file() and 0 < part.stat().st_size < len(PAYLOAD)
    assert not (tmp_path / "models" / "tiny.pth").exists()
    dlg.close()
    assert dlg._host is None  # its thread was stopped with the dialog
