"""File > Export Dataset: format, labels, output folder and options; runs in the background.

The export is :func:`labeldesk.io.export.export_dataset` (the same code as ``labeldesk
export``) driven by a :class:`~labeldesk.ui.workers.WorkerHost` job: the progress bar follows
its progress, Cancel stops it at the next file (the half-written output is removed and an
earlier export in the folder is kept), and the report (failed files with the reason, labels
missing from the labels file, warnings) is shown in the dialog at the end.

The export reads the files on disk: save the current image before opening the dialog.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labeldesk.core.errors import LabeldeskError
from labeldesk.core.jobs import Job, Progress
from labeldesk.ui.actions import ActionSpec
from labeldesk.ui.workers import Worker, WorkerHost

if TYPE_CHECKING:  # labeldesk.io.export (with COCO) is imported when an export starts
    from labeldesk.io.export import ExportOptions, Report

FORMATS = (
    ("PASCAL VOC (segmentation masks)", "voc"),
    ("COCO instances (annotations.json)", "coco"),
    ("YOLO segmentation", "yolo"),
    ("COCO panoptic", "coco-panoptic"),
)


def export_job(
    fmt: str, src: Path, out: Path, options: ExportOptions, overwrite: bool
) -> Job[Report]:
    """The worker-thread job: the export's ``Progress`` per file, returns the report.

    Closing it (Cancel) closes the export, which removes its partial output. Frozen builds
    export in this thread only (``workers=1``): worker processes there need
    ``multiprocessing.freeze_support()`` in the entry point.
    """
    from labeldesk.io.export import export_dataset

    workers = 1 if getattr(sys, "frozen", False) else None
    task = export_dataset(fmt, src, out, options, overwrite=overwrite, workers=workers)
    yield Progress(0, None, "starting")
    return (yield from task)


class ExportDialog(QDialog):
    """Choose what to export and run it; ``report`` holds the last finished export's report."""

    def __init__(
        self,
        source: Path | None,
        class_names: Sequence[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Dataset")
        self.class_names = [n for n in class_names if n not in ("__ignore__", "_background_")]
        self._ignore = "__ignore__" in class_names  # then __ignore__ shapes are written as 255
        self.report: Report | None = None
        self._rid: int | None = None
        self._auto_output = True  # the output folder follows the source and format
        self.host = WorkerHost(Worker(), name="export", parent=self)

        self.format = QComboBox(self)
        for text, key in FORMATS:
            self.format.addItem(text, key)
        self.source = QLineEdit(str(source or ""), self)
        self.labels = QLineEdit(self)
        self.labels.setPlaceholderText(f"the classes of this folder ({len(self.class_names)})")
        self.output = QLineEdit(self)
        self.viz = QCheckBox("Visualization images", self)
        self.viz.setChecked(True)
        self.objects = QCheckBox("Object (instance) images", self)
        self.objects.setChecked(True)
        self.npy = QCheckBox(".npy label arrays", self)
        self.npy.setChecked(True)
        self.val = QDoubleSpinBox(self)
        self.val.setRange(0.0, 1.0)
        self.val.setSingleStep(0.05)
        self.val.setValue(0.1)
        self.segmentation = QComboBox(self)
        self.segmentation.addItem("Polygons (exact pixel outlines), RLE where needed", "polygon")
        self.segmentation.addItem("RLE for every object", "rle")
        self.stuff = QLineEdit(self)
        self.stuff.setPlaceholderText("comma-separated classes, e.g. sky, road")
        self.overwrite = QCheckBox("Replace an earlier export in that folder", self)
        self.allow_outside = QCheckBox("Allow images outside the annotation folder", self)
        self.allow_outside.setToolTip(
            "Export images whose imagePath leads outside the annotation folder (../, absolute"
            " paths, symlinks). Off: such files are refused and listed, as a folder someone"
            " sends you could otherwise copy any file you can read into the dataset"
            " (the CLI's --allow-outside)."
        )

        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Annotations", self._with_browse(self.source, folder=True))
        form.addRow("Labels file", self._with_browse(self.labels, folder=False))
        form.addRow("Output folder", self._with_browse(self.output, folder=True))
        self._rows: dict[str, QWidget] = {}
        for key, label, widget in (
            ("viz", "", self.viz),
            ("objects", "", self.objects),
            ("npy", "", self.npy),
            ("val", "Validation share", self.val),
            ("segmentation", "Segmentation", self.segmentation),
            ("stuff", "Stuff classes", self.stuff),
        ):
            form.addRow(label, widget)
            self._rows[key] = widget
        form.addRow("", self.overwrite)
        form.addRow("", self.allow_outside)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.buttons = QDialogButtonBox(self)
        self.run_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.addButton(
            "Open Folder", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self._open_output)
        self.close_button.clicked.connect(self.reject)
        self.host.cancelled.connect(lambda _rid: self._finished("Cancelled: nothing was written."))

        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.progress)
        box.addWidget(self.status)
        box.addWidget(self.details, 1)
        box.addWidget(self.buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.source.textChanged.connect(self._suggest_output)
        self.output.textEdited.connect(lambda _t: setattr(self, "_auto_output", False))
        self._format_changed()
        self._set_running(False)
        self.open_button.setEnabled(False)
        self.resize(560, 420)

    # -- form ------------------------------------------------------------------------------------
    def _with_browse(self, edit: QLineEdit, *, folder: bool) -> QWidget:
        row = QWidget(self)
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(edit, 1)
        button = QPushButton("Browse…", row)
        button.clicked.connect(lambda: self._browse(edit, folder))
        lay.addWidget(button)
        return row

    def _browse(self, edit: QLineEdit, folder: bool) -> None:
        start = edit.text() or self.source.text()
        if folder:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder", start)
        else:
            path, _ = QFileDialog.getOpenFileName(
                self, "Labels file", start, "Text (*.txt);;All (*)"
            )
        if path:
            edit.setText(path)

    def fmt(self) -> str:
        return str(self.format.currentData())

    def _format_changed(self) -> None:
        fmt = self.fmt()
        shown = {
            "viz": fmt in ("voc", "coco"),
            "objects": fmt == "voc",
            "npy": fmt == "voc",
            "val": fmt in ("voc", "yolo"),
            "segmentation": fmt == "coco",
            "stuff": fmt == "coco-panoptic",
        }
        form = self.layout().itemAt(0).layout()
        for key, widget in self._rows.items():
            form.setRowVisible(widget, shown[key])
        self._suggest_output()

    def _suggest_output(self) -> None:
        text = self.source.text().strip()
        if text and self._auto_output:
            src = Path(text)
            self.output.setText(str(src.parent / f"{src.name}_{self.fmt().replace('-', '_')}"))
            self._auto_output = True

    def options(self) -> ExportOptions:
        """The options the form describes; raises LabeldeskError for a bad labels file."""
        from labeldesk.io.export import ExportOptions, labels_from_names, read_labels

        if self.labels.text().strip():
            labels = read_labels(self.labels.text().strip())
        else:
            if not self.class_names:
                raise LabeldeskError("this folder has no classes: choose a labels file")
            special = ["__ignore__"] if self._ignore else []
            labels = labels_from_names([*special, "_background_", *self.class_names])
        stuff = tuple(s.strip() for s in self.stuff.text().split(",") if s.strip())
        return ExportOptions(
            labels,
            noviz=not self.viz.isChecked(),
            noobject=not self.objects.isChecked(),
            nonpy=not self.npy.isChecked(),
            val_fraction=float(self.val.value()),
            segmentation=str(self.segmentation.currentData()),
            stuff=stuff,
            allow_outside=self.allow_outside.isChecked(),
        )

    # -- running ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the export in the background (the Export button)."""
        try:
            options = self.options()
        except LabeldeskError as exc:
            self._show_error(str(exc))
            return
        src, out = Path(self.source.text().strip()), Path(self.output.text().strip())
        if not self.source.text().strip() or not self.output.text().strip():
            self._show_error("Choose the annotation folder and the output folder.")
            return
        self.report = None
        self.details.clear()
        self.details.setVisible(False)
        self.progress.setValue(0)
        self.status.setText("Exporting…")
        self._set_running(True)
        self._rid = self.host.submit(
            export_job,
            self.fmt(),
            src,
            out,
            options,
            self.overwrite.isChecked(),
            key="export",
            on_result=self._done,
            on_error=self._failed,
            on_progress=self._progress,
        )

    def cancel(self) -> None:
        if self._rid is not None:
            self.status.setText("Cancelling…")
            self.host.cancel(self._rid)

    def _progress(self, p: Progress) -> None:
        self.progress.setValue(int((p.fraction or 0.0) * 1000))
        counts = f"{p.done} of {p.total}: " if p.counts else ""
        self.status.setText(f"Exporting {counts}{p.message}")

    def _done(self, report: Report) -> None:
        self.report = report
        self._finished(report.summary())
        lines = report.lines()[1:]
        if lines:
            hint = f"(tick “{self.allow_outside.text()}” if you trust this folder)"
            text = "\n".join(lines).replace("(pass --allow-outside if you trust this folder)", hint)
            self.details.setPlainText(text)
            self.details.setVisible(True)
        self.open_button.setEnabled(True)
        if report.exit_code:
            self.status.setText(f"{report.summary()} — see the problems below.")

    def _failed(self, message: str) -> None:
        self._finished("")
        hint = "(tick “Replace an earlier export” to replace it)"
        self._show_error(message.replace("(pass --overwrite to replace it)", hint))

    def _finished(self, text: str) -> None:
        self._rid = None
        self._set_running(False)
        self.status.setText(text)

    def _show_error(self, message: str) -> None:
        self.status.setText(f"<span style='color:#c62828'>{message}</span>")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.close_button.setEnabled(not running)
        for w in (
            self.format,
            self.source,
            self.labels,
            self.output,
            self.overwrite,
            self.allow_outside,
        ):
            w.setEnabled(not running)

    def _open_output(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.output.text()))

    def is_running(self) -> bool:
        return self._rid is not None

    def done(self, result: int) -> None:
        """Closing cancels a running export and stops the worker thread."""
        if self._rid is not None:
            self.host.cancel(self._rid)
        self.host.stop()
        super().done(result)

    def reject(self) -> None:
        if self.is_running():
            self.cancel()  # Esc while exporting cancels first
            return
        super().reject()


def open_export_dialog(window: Any) -> ExportDialog | None:
    """Show the export dialog for the window's folder; the open image is saved first when
    autosave is on (the export reads the files on disk), else the user is asked to save."""
    session = window.session
    if session.folder is None:
        window.show_message("Open a folder of labeled images first, then export it.", "warning")
        return None
    if session.doc is not None and session.doc.is_dirty():
        if not session.autosave:
            window.show_message(
                "Save this image first (Ctrl+S): the export reads the files on disk.", "warning"
            )
            return None
        if not window.save():
            return None
    dialog = ExportDialog(window.session.folder, window.session.classes.names(), window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def install(window: Any) -> None:
    """Add File ▸ Export Dataset… (Ctrl+Shift+E) to ``window``, above Settings."""
    spec = ActionSpec(
        "file.export",
        "&Export Dataset…",
        "File",
        open_export_dialog,
        ("Ctrl+Shift+E",),
        "mdi6.database-export-outline",
        tip="Export the folder as VOC, COCO, YOLO or COCO panoptic (Ctrl+Shift+E)",
        section=3,
    )
    manager = window.actions
    action = manager.add(spec)
    menu = manager.menus.get("File")
    anchor = manager.actions.get("file.settings")
    if menu is not None and anchor is not None:
        menu.removeAction(action)
        menu.insertAction(anchor, action)
