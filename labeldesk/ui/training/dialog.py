"""The training dialog: settings, Train / Stop & Save / Cancel, progress, live plot, log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from labeldesk.ui.panels.common import MessageBar
from labeldesk.ui.training.plot import LivePlot


class TrainingDialog(QDialog):
    """The view: settings, buttons, progress, live plot, log, result. The controller fills it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a model on your labels")
        self.setObjectName("dialog.training")
        self.data_label = QLabel(self)
        self.data_label.setWordWrap(True)
        self.message = MessageBar(self)
        self.arch = QComboBox(self)
        self.arch.addItem("U-Net (fast)", "unet")
        self.arch.addItem("DeepLabv3+ (stronger)", "deeplab")
        self.arch.addItem("Pixel classifier (random forest, seconds)", "forest")
        self.budget = QSpinBox(self)
        self.budget.setRange(5, 24 * 3600)
        self.budget.setSingleStep(30)
        self.budget.setValue(60)
        self.budget.setSuffix(" s")
        self.budget.setToolTip("Train for this long; the settings are chosen for the device")
        self.by_steps = QCheckBox("Fixed steps", self)
        self.by_steps.setToolTip("Train an exact number of steps instead (reproducible)")
        self.steps = QSpinBox(self)
        self.steps.setRange(10, 100000)
        self.steps.setSingleStep(500)
        self.steps.setValue(300)
        # touching the step count means training by steps
        self.steps.valueChanged.connect(lambda _v: self.by_steps.setChecked(True))
        self.by_steps.toggled.connect(self._mode_changed)
        self.estimate = QLabel(self)
        self.estimate.setObjectName("training.estimate")
        self.estimate.setWordWrap(True)
        self.device = QComboBox(self)
        for text, value in (("Automatic", "auto"), ("CPU", "cpu"), ("GPU (CUDA)", "cuda")):
            self.device.addItem(text, value)
        self.early = QCheckBox("Stop early when validation stops improving", self)
        self.early.setChecked(True)
        settings = QHBoxLayout()
        for label, widget in (
            ("Network", self.arch),
            ("Train for", self.budget),
            ("", self.by_steps),
            ("", self.steps),
            ("Device", self.device),
        ):
            if label:
                settings.addWidget(QLabel(label, self))
            settings.addWidget(widget)
        settings.addSpacing(8)
        settings.addWidget(self.early)
        settings.addStretch(1)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p %")
        self.status = QLabel("Not started", self)
        self.plot = LivePlot(self)
        self.early_label = QLabel(self)
        self.early_label.setObjectName("muted")
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(1000)
        self.log.setFixedHeight(84)
        self.log.setPlaceholderText("Notes about the data and each validation appear here.")
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.train_button = QPushButton("Train", self)
        self.train_button.setDefault(True)
        self.stop_button = QPushButton("Stop && Save", self)
        self.stop_button.setToolTip(
            "Stop after this step, validate once more and save the best weights so far"
        )
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop after this step and save nothing")
        self.close_button = QPushButton("Close", self)
        self.close_button.setToolTip("Hide this window; training goes on in the background")
        self.close_button.clicked.connect(self.hide)
        buttons = QHBoxLayout()
        for b in (self.train_button, self.stop_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        box = QVBoxLayout(self)
        box.addWidget(self.data_label)
        box.addWidget(self.message)
        box.addLayout(settings)
        box.addWidget(self.estimate)
        box.addWidget(self.progress)
        box.addWidget(self.status)
        box.addWidget(self.plot, 1)
        box.addWidget(self.early_label)
        box.addWidget(self.log)
        box.addWidget(self.result)
        box.addLayout(buttons)
        self.set_running(False)
        self.resize(760, 640)

    def _mode_changed(self, by_steps: bool) -> None:
        self.budget.setEnabled(not by_steps and self.by_steps.isEnabled())

    def set_running(self, running: bool, can_train: bool = True) -> None:
        for w in (self.arch, self.steps, self.by_steps, self.device, self.early):
            w.setEnabled(not running)
        self.budget.setEnabled(not running and not self.by_steps.isChecked())
        self.train_button.setEnabled(not running and can_train)
        self.stop_button.setEnabled(running)
        self.cancel_button.setEnabled(running)

    def append(self, text: str) -> None:
        self.log.appendPlainText(text)
