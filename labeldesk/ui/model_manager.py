"""The model manager: known checkpoints, checkpoints found on disk, load, optional download.

Nothing is downloaded unless the user presses Download. A download runs in a background
worker (:func:`labeldesk.models.download.download`: progress, resume of a ``.part`` file with
an HTTP Range request, sha256 check) and can be cancelled; the partial file is kept for a
later resume. ``load_requested(path)`` asks the app to load a checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labeldesk.core.jobs import Job, Progress, mapped
from labeldesk.models.download import download
from labeldesk.models.proposals import is_trained_model
from labeldesk.ui.workers.base import Worker, WorkerHost

SUFFIXES = (".pth", ".pt")


@dataclass(frozen=True)
class Entry:
    """A row: a known official checkpoint (``known`` True) or a file found on disk."""

    name: str
    variant: str
    file: Path
    size_bytes: int
    url: str = ""
    sha256: str | None = None
    license: str = ""
    known: bool = False

    @property
    def part(self) -> Path:
        return self.file.with_name(self.file.name + ".part")

    def status(self, loaded: str | None = None) -> str:
        if loaded and self.file.exists() and Path(loaded).resolve() == self.file.resolve():
            return "loaded"
        if self.file.is_file():
            return "on disk"
        if self.part.is_file() and self.size_bytes:
            return f"partial ({100 * self.part.stat().st_size / self.size_bytes:.0f} %)"
        return "not downloaded"


def default_models_dir() -> Path:
    """``LABELDESK_MODELS_DIR``, or ``<app data>/labeldesk/models``."""
    env = os.environ.get("LABELDESK_MODELS_DIR")
    if env:
        return Path(env)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home() / ".local" / "share") / "labeldesk" / "models"


def known_checkpoints() -> list:
    from labeldesk.models.sam import KNOWN_CHECKPOINTS  # torch-free (lazy package)
    from labeldesk.models.sam2 import KNOWN_SAM2_CHECKPOINTS

    return list(KNOWN_CHECKPOINTS) + list(KNOWN_SAM2_CHECKPOINTS)


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} B"


def list_entries(
    models_dir: Path, catalogue: Sequence, extra_dirs: Sequence[Path] = ()
) -> list[Entry]:
    """Known checkpoints (expected in ``models_dir``) then other ``.pth``/``.pt`` files in
    ``models_dir`` and ``extra_dirs`` (the project folder and its ``.labeldesk``); a model
    trained in labeldesk (its sidecar JSON says so) has the variant ``"trained"``."""
    rows = [
        Entry(
            k.name,
            k.variant,
            models_dir / k.file_name,
            k.size_bytes,
            k.url,
            k.sha256,
            k.license,
            True,
        )
        for k in catalogue
    ]
    seen = {r.file.resolve() for r in rows}
    for folder in (models_dir, *extra_dirs):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in SUFFIXES and path.is_file() and path.resolve() not in seen:
                seen.add(path.resolve())
                variant = "trained" if is_trained_model(path) else ""
                rows.append(Entry(path.stem, variant, path, path.stat().st_size))
    return rows


def download_job(url: str, target: Path, sha256: str | None) -> Job[Path]:
    """:func:`download` as a worker job, with the sizes as the message; returns the file."""

    def sizes(p: Progress) -> Progress:
        done = human_size(int(p.done))
        text = f"{done} of {human_size(int(p.total))}" if p.total else done
        return replace(p, message=text)

    return mapped(download(url, target, sha256=sha256), sizes)


class ModelManagerDialog(QDialog):
    """Lists checkpoints; Download / Load / Load from file… (see module docs).

    Signals: ``load_requested(str)`` (a checkpoint path to load), ``downloaded(str)``.
    """

    load_requested = Signal(str)
    downloaded = Signal(str)
    COLUMNS = ("Model", "Variant", "Size", "Status", "Where to get it")

    def __init__(
        self,
        models_dir: Path | None = None,
        *,
        catalogue: Sequence | None = None,
        extra_dirs: Sequence[Path] = (),
        loaded: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model Manager")
        self.models_dir = Path(models_dir) if models_dir is not None else default_models_dir()
        self.catalogue = list(catalogue) if catalogue is not None else known_checkpoints()
        self.extra_dirs = list(extra_dirs)
        self.loaded = loaded
        self.entries: list[Entry] = []
        self._host: WorkerHost | None = None
        self._rid: int | None = None
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for col in range(4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.load_selected())
        self.where = QLabel(f"Checkpoints are kept in {self.models_dir}", self)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.download_button = QPushButton("&Download", self)
        self.cancel_button = QPushButton("&Cancel Download", self)
        self.load_button = QPushButton("&Load", self)
        self.file_button = QPushButton("Load from &File…", self)
        close = QPushButton("Close", self)
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.load_button.clicked.connect(self.load_selected)
        self.file_button.clicked.connect(self.load_from_file)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.download_button, self.cancel_button, self.load_button, self.file_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        box = QVBoxLayout(self)
        for w in (self.table, self.where, self.progress, self.status):
            box.addWidget(w)
        box.addLayout(buttons)
        self.resize(860, 360)
        self.refresh()

    # -- rows --------------------------------------------------------------------------------
    def refresh(self) -> None:
        keep = self.selected_entry()
        self.entries = list_entries(self.models_dir, self.catalogue, self.extra_dirs)
        self.table.setRowCount(len(self.entries))
        for r, e in enumerate(self.entries):
            where = e.url or str(e.file)
            cells = (
                e.name,
                e.variant or "?",
                human_size(e.size_bytes),
                e.status(self.loaded),
                where,
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                tip = f"{e.file}\n{e.url}\nlicence: {e.license}" if e.known else str(e.file)
                item.setToolTip(tip)
                self.table.setItem(r, c, item)
            if keep is not None and e.file == keep.file:
                self.table.selectRow(r)
        self._update_buttons()

    def selected_entry(self) -> Entry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.entries[rows[0].row()] if rows and rows[0].row() < len(self.entries) else None

    def select(self, name: str) -> None:
        for r, e in enumerate(self.entries):
            if e.name == name:
                self.table.selectRow(r)
                return

    def _update_buttons(self) -> None:
        e = self.selected_entry()
        busy = self.is_downloading()
        self.download_button.setEnabled(
            bool(e and e.known and e.url and not e.file.is_file() and not busy)
        )
        self.load_button.setEnabled(bool(e and e.file.is_file()))
        self.cancel_button.setEnabled(busy)

    # -- loading -----------------------------------------------------------------------------
    def load_selected(self) -> None:
        e = self.selected_entry()
        if e is not None and e.file.is_file():
            self.load_requested.emit(str(e.file))
            self.accept()

    def start_folder(self) -> str:
        """The folder "Load from file…" opens in: the models folder, or its nearest existing
        parent (a missing folder would be typed into the file name field as "models")."""
        folder = Path(self.models_dir)
        while not folder.is_dir() and folder != folder.parent:
            folder = folder.parent
        return str(folder) + os.sep

    def load_from_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Load a model",
            self.start_folder(),
            "Checkpoints (*.pth *.pt);;labeldesk models (*.json)",
        )
        if path:
            self.load_requested.emit(path)
            self.accept()

    # -- downloading -------------------------------------------------------------------------
    def is_downloading(self) -> bool:
        return self._rid is not None

    def download_selected(self) -> None:
        e = self.selected_entry()
        if e is None or not e.known or not e.url or self.is_downloading():
            return
        if self._host is None:
            self._host = WorkerHost(Worker(), name="labeldesk-download")
            self._host.cancelled.connect(self._on_cancelled)
        resume = " (resuming)" if e.part.is_file() else ""
        self.status.setText(f"Downloading {e.name}{resume} from {e.url}")
        self.progress.setValue(0)
        self.progress.show()
        self._rid = self._host.submit(
            download_job,
            e.url,
            e.file,
            e.sha256,
            key="download",
            on_progress=self._on_progress,
            on_result=self._on_done,
            on_error=self._on_error,
        )
        self._update_buttons()

    def cancel_download(self) -> None:
        if self._host is not None and self._rid is not None:
            self._host.cancel(self._rid)

    def _on_progress(self, progress: Progress) -> None:
        self.progress.setValue(round(1000 * (progress.fraction or 0.0)))
        self.progress.setFormat(f"%p %  {progress.message}")

    def _finish(self, text: str) -> None:
        self._rid = None
        self.status.setText(text)
        self.refresh()

    def _on_done(self, path: Path) -> None:
        self.progress.setValue(1000)
        self._finish(f"Downloaded and checked {Path(path).name}.")
        self.downloaded.emit(str(path))

    def _on_error(self, message: str) -> None:
        self.progress.hide()
        self._finish(f"Download failed: {message}")

    def _on_cancelled(self, rid: int) -> None:
        if rid == self._rid:
            self.progress.hide()
            self._finish(
                "Download cancelled; the partial file is kept and the next download resumes it."
            )

    def stop(self) -> None:
        """Cancel a running download and end the worker thread (idempotent)."""
        if self._host is not None:
            self._host.stop()
            self._host = None
            self._rid = None

    def done(self, result: int) -> None:  # noqa: D102 - Qt override: any close ends the thread
        self.stop()
        super().done(result)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.stop()
        super().closeEvent(event)
