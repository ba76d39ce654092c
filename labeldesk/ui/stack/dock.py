"""The frame dock: slider, frame number, window/level presets, propagate / interpolate."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

# name -> (level, width) in the image's own units (Hounsfield units for CT); None: automatic
WINDOW_PRESETS: dict[str, tuple[float, float] | None] = {
    "Auto": None,
    "CT soft tissue (40 / 400)": (40.0, 400.0),
    "CT lung (-600 / 1500)": (-600.0, 1500.0),
    "CT bone (400 / 1800)": (400.0, 1800.0),
    "CT brain (40 / 80)": (40.0, 80.0),
}


class FrameDock(QWidget):
    """Signals: ``frame_chosen(int)``, ``window_chosen(str)``, ``propagate(int)`` (+1 / -1),
    ``interpolate()``, ``cancel()``, ``play_toggled(bool)``."""

    frame_chosen = Signal(int)
    window_chosen = Signal(str)
    propagate = Signal(int)
    interpolate = Signal()
    cancel = Signal()
    play_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play = QPushButton("▶", self)
        self.play.setCheckable(True)
        self.play.setToolTip("Play / pause (steps through the frames at the video's rate)")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("stack.slider")
        self.spin = QSpinBox(self)
        self.count = QLabel("/ 0", self)
        self.info = QLabel("", self)
        self.info.setObjectName("stack.info")
        self.window_box = QComboBox(self)
        self.window_box.addItems(list(WINDOW_PRESETS))
        self.window_box.setToolTip("Window / level of the frame display (CT presets in HU)")
        self.back = QPushButton("◀ Propagate", self)
        self.back.setToolTip("Carry the selected (or all) objects to the earlier frames")
        self.forward = QPushButton("Propagate ▶", self)
        self.forward.setToolTip("Carry the selected (or all) objects to the following frames")
        self.fill = QPushButton("Interpolate", self)
        self.fill.setToolTip("Fill the frames between key frames (frames a person labeled)")
        self.stop = QPushButton("Cancel", self)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.set_busy(False)
        top = QHBoxLayout()
        top.addWidget(self.play)
        top.addWidget(self.slider, 1)
        top.addWidget(self.spin)
        top.addWidget(self.count)
        row = QHBoxLayout()
        for w in (self.window_box, self.back, self.forward, self.fill, self.stop):
            row.addWidget(w)
        row.addWidget(self.progress, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 2, 4, 2)
        box.addLayout(top)
        box.addLayout(row)
        box.addWidget(self.info)
        self.slider.valueChanged.connect(self._chosen)
        self.spin.valueChanged.connect(self._chosen)
        self.window_box.currentTextChanged.connect(self.window_chosen)
        self.back.clicked.connect(lambda: self.propagate.emit(-1))
        self.forward.clicked.connect(lambda: self.propagate.emit(+1))
        self.fill.clicked.connect(self.interpolate)
        self.stop.clicked.connect(self.cancel)
        self.play.toggled.connect(self.play_toggled)

    def set_playing(self, on: bool) -> None:
        self.play.blockSignals(True)
        self.play.setChecked(on)
        self.play.setText("⏸" if on else "▶")
        self.play.blockSignals(False)

    def set_stack(self, count: int, info: str, volume: bool) -> None:
        for w in (self.slider, self.spin):
            w.blockSignals(True)
            w.setRange(0, max(count - 1, 0))
            w.setValue(0)
            w.blockSignals(False)
        self.count.setText(f"/ {count - 1}")
        self.info.setText(info)
        self.window_box.setVisible(volume)

    def set_frame(self, index: int) -> None:
        for w in (self.slider, self.spin):
            if w.value() != index:
                w.blockSignals(True)
                w.setValue(index)
                w.blockSignals(False)

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.stop.setEnabled(busy)
        for w in (self.back, self.forward, self.fill):
            w.setEnabled(not busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
            self.progress.setFormat(text)

    def set_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(text)

    def _chosen(self, value: int) -> None:
        self.set_frame(value)
        self.frame_chosen.emit(value)
