"""Frame stacks in the window: each frame is shown as an ordinary document of the session.

Opening a video, multi-page TIFF, NIfTI file or DICOM folder (or a frame folder through
File ▸ Open Frame Stack…) keeps the stack open here and shows frame 0; moving to another
frame saves the current one to the stack's sidecar folder (as moving to another image does)
and hands the next frame to the session as a :class:`LoadedImage` whose document is that
frame's document. Propagation runs :func:`~labeldesk.core.stack_jobs.track_masks` in a worker
thread (or, when the Model Manager has a SAM 2.1 model loaded, SAM 2.1's video predictor in the
inference worker that owns the model); each carried frame comes back as a progress record and
is applied here, on the GUI thread, as one undo step of that frame's document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget

from labeldesk.core.classes import ClassCatalogue
from labeldesk.core.errors import LabeldeskError
from labeldesk.core.stack import StackDocument
from labeldesk.core.stack_jobs import (
    PropagationPlan,
    StackResult,
)
from labeldesk.core.stack_undo import StackJobUndo
from labeldesk.io import to_display
from labeldesk.io.stacks import open_stack
from labeldesk.io.stacks.base import Stack
from labeldesk.io.stacks.sidecar import SidecarStore, open_annotations
from labeldesk.ui.canvas.pyramid import coarse_levels
from labeldesk.ui.folder import file_state
from labeldesk.ui.resources import default_classes
from labeldesk.ui.stack.dock import WINDOW_PRESETS, FrameDock
from labeldesk.ui.stack.jobs import StackJobs
from labeldesk.ui.stack.paths import VOLUME_KINDS, opens_as_stack, sidecar_frame
from labeldesk.ui.stack.views import CrossViews, CrossViewsArea
from labeldesk.ui.workers.base import Worker, WorkerHost
from labeldesk.ui.workers.images import LoadedImage
from labeldesk.ui.workers.lifetime import stop_on_close

MAX_LABEL_SCAN = 2000  # saved frames read for their labels when a stack opens


class StackController(StackJobs, QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.stack: Stack | None = None
        self.annotations: StackDocument | None = None
        self.index = 0
        self.window_preset: tuple[float, float] | None = None
        self.panel = FrameDock(window)
        self.dock = QDockWidget("Frames", window)
        self.dock.setObjectName("dock.frames")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.views = CrossViews(window)
        self.views_dock = QDockWidget("Cross-sections", window)
        self.views_dock.setObjectName("dock.cross_sections")
        self.views_dock.setWidget(CrossViewsArea(self.views))  # scrolls: see DOCK_HEIGHT
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.views_dock)
        self.views_dock.hide()
        self.views.frame_chosen.connect(self.go_to)
        self._cursor: tuple[int, int] | None = None
        self._classes_before: ClassCatalogue | None = None  # the folder's list, while a stack
        self._views_timer = QTimer(self)
        self._views_timer.setSingleShot(True)
        self._views_timer.setInterval(120)
        self._views_timer.timeout.connect(self.update_views)
        window.canvas.cursor_moved.connect(self._on_cursor)
        self.host = WorkerHost(Worker(), name="labeldesk-stack", parent=self)
        self._plan: PropagationPlan | None = None
        self._result: StackResult | None = None
        self._rid: int | None = None
        self._job_host: WorkerHost = self.host
        self._job_kind = ""  # "Propagate" or "Interpolate": the undo step each frame got
        self._last_job: tuple[str, list[int]] | None = None
        self.job_undo = StackJobUndo()  # Ctrl+Z right after a job takes all of it back
        self._save_failed: set[int] = set()
        self._save_timer = QTimer(self)  # saves the frames a job changed, a few per turn
        self._save_timer.setInterval(0)
        self._save_timer.timeout.connect(self._save_some)
        if hasattr(window, "history_hooks"):
            window.history_hooks.append(self._whole_job_history)
        self.panel.frame_chosen.connect(self.go_to)
        self.panel.window_chosen.connect(self.set_window)
        self.panel.propagate.connect(self.propagate)
        self.panel.interpolate.connect(self.interpolate)
        self.panel.cancel.connect(self.cancel)
        self.panel.play_toggled.connect(self.play)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        window.session.loaded.connect(self._on_session_loaded)
        self._lifetime = stop_on_close(window, self.stop)

    # -- opening -------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.stack is not None

    def open_path(self, path: str | Path, *, force: bool = False) -> bool | None:
        """Open ``path`` as a stack; None when it is not one (the window opens it itself).

        A frame's image path in a sidecar folder (``clip.mp4.labels/000123.png``, what the
        crash journal records) opens ``clip.mp4`` at that frame.
        """
        frame = sidecar_frame(path)
        if frame is not None:
            stack_path, index = frame
            if self.stack is None or self.stack.path != stack_path:
                opened = self.open_path(stack_path, force=True)
                if not opened:
                    return opened
            return self.show_frame(index)
        if not force and not opens_as_stack(path):
            self.close_stack()
            return None
        if not self.window.session.leave():
            return False
        try:
            stack = open_stack(path)
            annotations = open_annotations(stack)
            assert isinstance(annotations.store, SidecarStore)
            annotations.store.folder.mkdir(parents=True, exist_ok=True)
        except (LabeldeskError, OSError) as exc:
            self.window.show_message(str(exc), "error")
            return False
        self.close_stack(keep_classes=True)
        self.stack, self.annotations = stack, annotations
        self._enter_classes(annotations)
        volume = stack.kind in VOLUME_KINDS
        sx, sy, sz = stack.spacing
        info = f"{stack.kind}: {len(stack)} frames of {stack.frame_shape[1]}x{stack.frame_shape[0]}"
        if stack.fps:
            info += f", {stack.fps:.3g} fps"
        if volume:
            info += f", spacing {sx:.3g} x {sy:.3g} x {sz:.3g}"
        info += f"; labels in {annotations.store.folder.name}/"
        if stack.notes:
            info += " (" + "; ".join(stack.notes) + ")"  # e.g. which DICOM series was opened
        self.panel.set_stack(len(stack), info, volume)
        self.window_preset = None
        self._cursor = None
        self.dock.show()
        self.views_dock.setVisible(volume and len(stack) > 1)
        self.index = -1
        shown = self.show_frame(0)
        QTimer.singleShot(100, self.window.canvas.fit)  # once the docks have taken their room
        return shown

    def close_stack(self, *, keep_classes: bool = False) -> None:
        """Stack mode ends; the window's previous class list comes back unless
        ``keep_classes`` (another stack is opening: it saves the list it replaces)."""
        self.play(False)
        self.cancel()
        self.flush_saves()
        if self.stack is not None:
            self.save_classes()
            if not keep_classes:
                self._leave_classes()
        if self.stack is not None:
            self.stack.close()
        self.stack, self.annotations = None, None
        self._last_job = None
        self.job_undo.forget()
        self.dock.hide()
        self.views_dock.hide()

    def stop(self) -> None:
        self._timer.stop()
        self.host.stop()
        self.flush_saves()
        if self.stack is not None:
            self._leave_classes()
            self.stack.close()
            self.stack = None

    # -- moving --------------------------------------------------------------------------------
    def _item(self, index: int) -> LoadedImage:
        assert self.stack is not None and self.annotations is not None
        raw = self.stack.frame(index)
        display = np.ascontiguousarray(self._display(raw))
        doc = self.annotations.document(index)
        store = self.annotations.store
        assert isinstance(store, SidecarStore)
        image = store.folder / store.image_name(index)
        return LoadedImage(image, raw, display, doc, "", None, coarse_levels(display))

    def _display(self, raw: np.ndarray) -> np.ndarray:
        if self.window_preset is None or raw.ndim != 2:
            return to_display(raw)
        level, width = self.window_preset
        return to_display(raw, (level - width / 2, level + width / 2))

    def show_frame(self, index: int) -> bool:
        if self.stack is None:
            return False
        index = int(np.clip(index, 0, len(self.stack) - 1))
        if index == self.index:
            return True
        try:
            item = self._item(index)
        except (LabeldeskError, IndexError) as exc:
            self.window.show_message(str(exc), "error")
            return False
        view = self._view() if self.index >= 0 else None
        if not self.window.session.show_item(item):
            self.panel.set_frame(self.index)
            return False
        if view is not None:
            self._restore_view(view)
        self.index = index
        self.panel.set_frame(index)
        self.window.status.set_index(index, len(self.stack))
        self.window._update_title()
        self._views_timer.start()
        return True

    def frame_title(self, image: Path) -> str | None:
        """The window title's name for the shown item: ``clip.mp4 — frame 1/240`` when
        ``image`` is a frame of the open stack (taken from the item itself, so the title
        always names the frame whose document is shown), else None."""
        if self.stack is None or self.annotations is None:
            return None
        store = self.annotations.store
        assert isinstance(store, SidecarStore)
        if image.parent != store.folder:
            return None
        if store.image_name(self.index if self.index >= 0 else 0) == image.name:
            index = max(self.index, 0)
        else:  # the frame being shown, before ``self.index`` moves to it
            names = [store.image_name(i) for i in range(len(self.stack))]
            if image.name not in names:
                return None
            index = names.index(image.name)
        return f"{Path(self.stack.path).name} — frame {index + 1}/{len(self.stack)}"

    # -- classes -------------------------------------------------------------------------------
    def _enter_classes(self, annotations: StackDocument) -> None:
        """Give the session the stack's class list, as opening a folder does: the list last
        used with its sidecar folder, else the default list, plus the labels its saved frames
        use; the previous list is kept (and saved) for the folder the window came from."""
        session, settings = self.window.session, getattr(self.window, "settings", None)
        store = annotations.store
        assert isinstance(store, SidecarStore)
        if self._classes_before is None:
            self._classes_before = session.classes
            if settings is not None and session.folder is not None:
                settings.set_classes_for(session.folder, session.classes.to_list())
        saved = settings.classes_for(store.folder) if settings is not None else None
        classes = ClassCatalogue.from_list(saved) if saved else default_classes()
        for i in store.annotated()[:MAX_LABEL_SCAN]:
            for label in file_state(store.folder / store.image_name(i)).labels:
                classes.ensure(label)
        self._set_session_classes(classes)

    def _is_frame(self, doc: Any) -> bool:
        return self.annotations is not None and any(
            d is doc for d in self.annotations.loaded().values()
        )

    def save_classes(self) -> None:
        """Remember the open stack's class list for its sidecar folder."""
        settings = getattr(self.window, "settings", None)
        if settings is None or self.annotations is None:
            return
        store = self.annotations.store
        assert isinstance(store, SidecarStore)
        settings.set_classes_for(store.folder, self.window.session.classes.to_list())

    def _leave_classes(self) -> None:
        """Save the stack's list and give the session back the list it had before."""
        self.save_classes()
        if self._classes_before is not None:
            self._set_session_classes(self._classes_before)
            self._classes_before = None
            doc = self.window.session.doc
            if doc is not None and self.stack is not None and not self._is_frame(doc):
                doc.classes = self.window.session.classes  # an image of the folder, shown

    def _set_session_classes(self, classes: ClassCatalogue) -> None:
        session = self.window.session
        session.classes = classes  # the shown frame's document takes it when it loads
        if session.active not in classes:
            session.active = classes.names()[0] if len(classes) else ""
        session.classes_changed.emit()

    def _on_cursor(self, x: float, y: float) -> None:
        if self.stack is None or not self.views_dock.isVisible():
            return
        h, w = self.stack.frame_shape[:2]
        if 0 <= x < w and 0 <= y < h:
            self._cursor = (int(x), int(y))
            self._views_timer.start()

    def update_views(self) -> None:
        """Redraw the cross-sections through the cursor (the centre before it moves)."""
        if self.stack is None or not self.views_dock.isVisible():
            return
        h, w = self.stack.frame_shape[:2]
        cursor = self._cursor or (w // 2, h // 2)
        flip = self.stack.affine is not None and self.stack.affine[2, 2] > 0
        try:
            self.views.update_views(
                self.stack.cross_section,
                self._display,
                self.stack.spacing,
                cursor,
                self.index,
                flip,
            )
            area = self.views_dock.widget()
            if isinstance(area, CrossViewsArea):
                area.follow()
        except (LabeldeskError, ValueError) as exc:
            self.window.show_message(str(exc), "status")

    def _view(self) -> tuple[float, float, float]:
        """Zoom and the image point at the centre of the view (kept from frame to frame)."""
        canvas = self.window.canvas
        vp = canvas.viewport().rect()
        cx, cy = canvas.widget_to_image(vp.width() / 2, vp.height() / 2)
        return canvas.zoom(), cx, cy

    def _restore_view(self, view: tuple[float, float, float]) -> None:
        from PySide6.QtCore import QPointF

        canvas = self.window.canvas
        zoom, cx, cy = view
        vp = canvas.viewport().rect()
        centre = (vp.width() / 2, vp.height() / 2)
        canvas.set_zoom(zoom, centre)
        canvas._put(QPointF(cx, cy), QPointF(*centre))

    def play(self, on: bool) -> None:
        """Step through the frames at the video's rate (10 per second without one)."""
        if not on or self.stack is None:
            self._timer.stop()
            self.panel.set_playing(False)
            return
        self._timer.setInterval(int(1000 / min(self.stack.fps or 10.0, 60.0)))
        self._timer.start()
        self.panel.set_playing(True)

    def _tick(self) -> None:
        if (
            self.stack is None
            or self.index >= len(self.stack) - 1
            or not self.show_frame(self.index + 1)
        ):
            self.play(False)

    def go_to(self, index: int) -> None:
        self.show_frame(index)

    def step(self, delta: int) -> None:
        if self.stack is not None:
            self.show_frame(self.index + delta)

    def set_window(self, name: str) -> None:
        self.window_preset = WINDOW_PRESETS.get(name)
        if self.stack is not None and self.window.session.item is not None:
            display = np.ascontiguousarray(self._display(self.window.session.item.raw))
            self.window.session.item.display = display
            self.window.canvas.set_image(display, coarse_levels(display))
            self._views_timer.start()

    def _on_session_loaded(self) -> None:
        item = self.window.session.item
        if self.stack is None or item is None or self.annotations is None:
            return
        store = self.annotations.store
        assert isinstance(store, SidecarStore)
        if item.path.parent != store.folder:
            self.close_stack()  # the window moved to an image of a folder: stack mode ends
