"""Tools ▸ Live Classifier: paint a few strokes per class, see the prediction as you paint.

While the mode is on, every change to the open image's objects (a brush stroke, a polygon,
an undo) sends the image and its shapes to one worker thread (latest request wins): a
:class:`~labeldesk.models.seg.live.LiveClassifier` fits a small random forest on the painted
pixels and predicts a class map, shown as a translucent overlay (in each class's colour;
background clear). Strokes of a class named ``background`` (or ``_background_``) teach the
background; the folder's other labeled images (polygons or strokes) are learnt from too.
Enter turns the prediction into objects, in one undo step: the strokes drawn on
this image are replaced by the objects (per class, connected components, touching objects
split by a distance-transform watershed), marked machine-made (``"forest"``).

While the worker is busy, a label and a busy bar at the right of the status bar say what it
is doing (reading the folder, fitting, making objects) until the result arrives; errors go to
the window's message banner (they stay until dismissed or until the next overlay arrives),
not to the status bar, where the tool's hint would overwrite them at once. Stopping the
worker (the window closing) cancels a running fit between two batches of trees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QProgressBar

from labeldesk.core.machine import is_machine
from labeldesk.ui.actions import ActionSpec
from labeldesk.ui.panels.status import ElidedLabel
from labeldesk.ui.workers.base import Worker, WorkerHost
from labeldesk.ui.workers.lifetime import stop_on_close

LIVE_ID = "tools.live_classifier"
PREFIX = "Live classifier: "
OVERLAY = "live-classifier"
DELAY_MS = 60  # edits closer together than this are one request


class LiveWorker(Worker):
    """Jobs ``warm_up()``, ``update(image, key, shapes)`` and ``objects(image, key, shapes)``."""

    def __init__(self) -> None:
        super().__init__()
        from labeldesk.models.seg.live import LiveClassifier

        self.classifier = LiveClassifier()

    def warm_up(self) -> bool:
        import sklearn.ensemble  # noqa: F401 - imported here, not on the first stroke

        return True

    def context(self, folder: str, exclude: str) -> int:
        """Learn from the folder's other labeled images too (all but ``exclude``, the open
        image's JSON); returns how many."""
        from labeldesk.models.seg.command import folder_classes
        from labeldesk.models.seg.forest_train import is_background, samples_from_folder

        classes = [c for c in folder_classes(Path(folder)) if not is_background(c)]
        samples: list[Any] = []
        if classes:
            samples, _notes = samples_from_folder(folder, classes)
            samples = [s for s in samples if s.name != exclude]
        self.classifier.set_context(samples, classes if samples else [])
        return len(samples)

    def update(self, image: Any, key: str, shapes: list[Any]) -> Any:
        # a newer request, or the host stopping (the window closing), stops the fit early
        return self.classifier.update(image, key, shapes, cancel=self.is_stale)

    def objects(self, image: Any, key: str, shapes: list[Any]) -> Any:
        return self.classifier.objects(image, key, shapes, cancel=self.is_stale)


class LiveClassifierController(QObject):
    """The mode (see module docs). ``window.live_classifier`` after :func:`install`."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.host: WorkerHost | None = None
        self.active = False
        self.prediction: Any = None  # the last LivePrediction shown
        self.seconds: list[float] = []  # request-to-overlay times, for tests and benchmarks
        self.context_images = 0  # the folder's other labeled images it learns from
        self._doc: Any = None
        self._stopped = False  # the worker has ended (the window closed): no more requests
        self._sent = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.request)
        window.session.loaded.connect(self._on_loaded)
        window.session.classes_changed.connect(self._on_classes)
        self._active_class = window.session.active
        window.canvas.installEventFilter(self)
        self._lifetime = stop_on_close(window, self.stop)
        # what the worker is doing, shown while it is busy (see the module docs)
        self.busy_label = ElidedLabel(window)
        self.busy_label.setObjectName("live.busy")
        self.busy_bar = QProgressBar(window)
        self.busy_bar.setRange(0, 0)  # busy, no fraction
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumWidth(80)
        for w in (self.busy_label, self.busy_bar):
            window.statusBar().addPermanentWidget(w)
            w.hide()

    # -- the mode ----------------------------------------------------------------------------
    def set_active(self, on: bool) -> None:
        """Turn the mode on (start following the edits) or off (clear the overlay)."""
        self.active = bool(on)
        action = self.window.actions.actions.get(LIVE_ID)
        if action is not None and action.isChecked() != self.active:
            action.setChecked(self.active)
        if self.active:
            self._submit("starting…", "warm_up", key="warm")
            self._send_context()
            self._follow(self.window.session.doc)
            self.window.show_message(
                "Live classifier: paint strokes of each class (and of 'background') with the "
                "brush; Enter turns the prediction into objects",
                "status",
            )
            self.request()
        else:
            self._follow(None)
            self.clear()

    def clear(self) -> None:
        self.prediction = None
        self.window.canvas.set_overlay(OVERLAY, None)

    def _host(self) -> WorkerHost:
        if self.host is None:
            self.host = WorkerHost(LiveWorker(), name="labeldesk-live-classifier", parent=self)
            self.host.busy_changed.connect(self._on_busy)
        return self.host

    def _submit(self, doing: str, job: str, *args: Any, **kwargs: Any) -> int | None:
        """Submit ``job`` and say ``doing`` in the status bar until the worker is idle
        (None, nothing sent, once the worker has been stopped)."""
        if self._stopped:
            return None
        rid = self._host().submit(job, *args, **kwargs)
        self.busy_label.setText(PREFIX + doing)
        self._on_busy(self._host().is_busy())
        return rid

    def _on_busy(self, busy: bool) -> None:
        for w in (self.busy_label, self.busy_bar):
            w.setVisible(busy)

    def is_showing_busy(self) -> bool:
        """True while the status bar says the worker is busy."""
        return not self.busy_label.isHidden()

    def _follow(self, doc: Any) -> None:
        if self._doc is not None:
            self._doc.changed.disconnect(self._on_doc)
        self._doc = doc
        if doc is not None:
            doc.changed.connect(self._on_doc)

    def _on_loaded(self) -> None:
        if self.active:
            self.clear()
            self._send_context()
            self._follow(self.window.session.doc)
            self.request()

    def _send_context(self) -> None:
        """The folder's other labeled images join the strokes (read in the worker)."""
        s = self.window.session
        if s.folder is None or s.item is None:
            return
        exclude = s.item.path.with_suffix(".json").name
        self._submit(
            "reading the folder's labeled images…", "context", str(s.folder), exclude,
            key="context", on_result=self._context_done, on_error=self._error,
        )  # fmt: skip

    def _context_done(self, count: int) -> None:
        self.context_images = count
        if count and self.active:
            self.window.show_message(
                f"Live classifier: learning from {count} other labeled image(s) of this folder too",
                "status",
            )

    def _on_classes(self) -> None:
        """Another class picked: the brush extends the selected mask, so while the mode is
        on, a mask of another class is deselected and the next stroke starts a new one."""
        active = self.window.session.active
        if active == self._active_class:
            return
        self._active_class = active
        doc, ctx = self.window.session.doc, getattr(self.window, "ctx", None)
        if not self.active or doc is None or ctx is None:
            return
        selected = [doc.shapes[i] for i in ctx.selection.indices(doc)]
        if any(s.label != active for s in selected):
            ctx.selection.clear()

    def _on_doc(self, ev: Any) -> None:
        if self.active and ev.kind == "history":
            self._timer.start()

    # -- requests ----------------------------------------------------------------------------
    def _inputs(self) -> tuple[Any, str, list[Any]] | None:
        s = self.window.session
        item, doc = s.item, s.doc
        if item is None or doc is None:
            return None
        shapes = [sh.copy() for sh in doc.shapes if not is_machine(sh)]
        return item.display, str(item.path), shapes

    def request(self) -> int | None:
        """Send the current image and strokes to the worker (the newest request wins)."""
        import time

        inputs = self._inputs() if self.active else None
        if inputs is None:
            return None
        if not inputs[2]:
            self.clear()
            return None
        self._sent = time.perf_counter()
        more = f" and {self.context_images} other image(s)" if self.context_images else ""
        return self._submit(
            f"learning from the strokes{more}…", "update", *inputs,
            key="live", on_result=self._show, on_error=self._error,
        )  # fmt: skip

    def _show(self, pred: Any) -> None:
        import time

        from labeldesk.models.seg.live import overlay_rgba

        if not self.active:
            return
        self.seconds.append(time.perf_counter() - self._sent)
        self.prediction = pred
        classes = self.window.session.classes
        colors = [tuple(classes.color_of(n))[:3] for n in pred.class_names]
        self.window.canvas.set_overlay(OVERLAY, overlay_rgba(pred.labels, colors))
        bar = getattr(self.window, "message_bar", None)
        if bar is not None and bar.isVisible() and bar.text().startswith(PREFIX):
            bar.hide()  # an earlier problem ("paint two classes") is solved now

    def _error(self, message: str) -> None:
        """A failed request: in the message banner, where it stays visible."""
        self.clear()
        text = message if message.startswith(PREFIX) else PREFIX + message
        self.window.show_message(text, "warning")

    # -- Enter: the prediction becomes objects ---------------------------------------------------
    def accept(self) -> int | None:
        """Turn the prediction into objects (in the worker, at full resolution); the document
        changes in one undo step when the result arrives."""
        inputs = self._inputs()
        if inputs is None or self.prediction is None:
            self.window.show_message("Live classifier: nothing to accept yet", "status")
            return None
        doc = self.window.session.doc
        strokes = [sh.uid for sh in doc.shapes if not is_machine(sh)]
        return self._submit(
            "making objects…",
            "objects",
            *inputs,
            key="live",
            on_result=lambda shapes: self._apply(doc, strokes, shapes),
            on_error=self._error,
        )

    def _apply(self, doc: Any, strokes: list[int], shapes: list[Any]) -> None:
        if doc is not self.window.session.doc:
            return  # another image is open now
        indices = [doc.index_of(uid) for uid in strokes if _has(doc, uid)]
        with doc.group("Live classifier objects"):
            if indices:
                doc.remove_shapes(indices)
            for shape in shapes:
                doc.add_shape(shape)
        self.set_active(False)
        self.window.show_message(f"Live classifier: {len(shapes)} object(s) made", "info")

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            self.active
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)  # type: ignore[attr-defined]
        ):
            tool = self.window.canvas.tool()
            if tool is not None and tool.can_accept():
                return False  # the tool's own result first (a click-segment mask, say)
            self.accept()
            return True
        return False

    def stop(self) -> None:
        """End the worker thread (idempotent); later edits send nothing."""
        self._stopped = True
        self._timer.stop()
        if self.host is not None and self.host.is_running():
            self.host.stop()
        try:
            self._on_busy(False)
        except RuntimeError:  # the window's widgets are gone already
            pass


def _has(doc: Any, uid: int) -> bool:
    try:
        doc.index_of(uid)
    except (KeyError, ValueError, IndexError):
        return False
    return True


def install(window: Any) -> LiveClassifierController:
    """Add Tools ▸ Live Classifier (checkable) to ``window``; returns the controller."""
    ctl = LiveClassifierController(window)
    spec = ActionSpec(
        LIVE_ID, "&Live Classifier", "Tools", lambda w: ctl.set_active(not ctl.active), (),
        "mdi6.brush-variant", tip="Paint strokes per class; a random forest predicts the rest "
        "as you paint; Enter makes the objects", section=4, checkable=True,
    )  # fmt: skip
    if LIVE_ID not in window.actions.actions:
        window.actions.add(spec)
    window.live_classifier = ctl
    return ctl
