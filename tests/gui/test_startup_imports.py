"""What starting the app imports: nothing the first frame does not need (issue 12, item 7).

A fresh interpreter runs ``labeldesk FOLDER`` (every built-in plugin installed, as a user
starts it) and, at the first idle after the image and its objects are shown, lists
``sys.modules``. Export formats, COCO, torch, the training plot and the model code are
imported when the user asks for them, never at start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from labeldesk.ui.plugins import PLUGINS

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1])
    def check():
        w = next((x for x in app.topLevelWidgets() if type(x).__name__ == "MainWindow"), None)
        if w is None or w.session.doc is None:
            QTimer.singleShot(5, check)
            return
        QTimer.singleShot(0, lambda: done(w))  # the next pass of the event loop: first idle
    def done(w):
        print(json.dumps({"plugins": sorted(getattr(w, "plugins", {})),
                          "objects": len(w.session.doc), "modules": sorted(sys.modules)}),
              flush=True)
        w.close()
    QTimer.singleShot(0, check)
    from labeldesk.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)

# module (or package prefix) -> why it must wait until it is used
NOT_AT_STARTUP = {
    "torch": "models are loaded on demand (Model Manager, auto-segment, training)",
    "pycocotools": "COCO export/import only",
    "labeldesk.io.export.api": "the export runs when File > Export Dataset is used",
    "labeldesk.io.export.runner": "the export runs when File > Export Dataset is used",
    "labeldesk.io.export.coco": "COCO export only",
    "labeldesk.io.export.voc": "VOC export only",
    "labeldesk.io.export.yolo": "YOLO export only",
    "labeldesk.io.export.panoptic": "panoptic export only",
    "labeldesk.io.export.importers": "dataset import only",
    "labeldesk.models.seg": "training and trained-model prediction only",
    "labeldesk.models.sam2": "SAM 2 is loaded on demand",
    "shapely": "Edit > Union/Subtract/Intersect/Simplify only",
    "labeldesk.core.tools.geometry": "Edit > Union/Subtract/Intersect/Simplify only",
    "qtawesome": "icons come from labeldesk.ui.icons (qtpy's star imports cost ~150 ms CPU)",
    "qtpy": "only through qtawesome",
    "pyqtgraph": "the training plot only",
    "sklearn": "the pixel classifier only",
    "scipy": "not used by the app's start-up",
    "monai": "a test oracle, never a runtime dependency",
}


def imported_at_startup(tmp_path: Path, folder: Path) -> dict:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        LABELDESK_JOURNAL_DIR=str(tmp_path / "journal"),
        PYTHONPATH=str(REPO),
    )
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    line = next(x for x in out.stdout.splitlines() if x.startswith("{"))
    return json.loads(line)


def test_startup_imports_only_what_the_first_frame_needs(tmp_path, sample_dir):
    info = imported_at_startup(tmp_path, sample_dir)
    assert info["plugins"] == sorted(PLUGINS)  # every built-in plugin was installed
    assert info["objects"] == 8  # the first image and its objects are shown
    modules = set(info["modules"])
    found = {
        name: why
        for name, why in NOT_AT_STARTUP.items()
        if any(m == name or m.startswith(name + ".") for m in modules)
    }
    assert not found, f"imported before the first frame: {found}"
    # what the first frame does need is there (so the list above is a real check)
    assert {"numpy", "cv2", "labeldesk.ui.main_window", "labeldesk.io.labelme"} <= modules


def test_actions_whose_code_loads_on_first_use_still_work(make_window, sample_dir):
    import numpy as np

    from labeldesk.core import Shape

    w = make_window(sample_dir)
    doc = w.session.doc
    n = len(doc)
    for x0 in (10, 30):  # two overlapping 40x40 squares
        doc.add_shape(
            Shape("car", np.array([[x0, 10], [x0 + 40, 10], [x0 + 40, 50], [x0, 50]], float))
        )
    w.session.selection.set([s.uid for s in doc.shapes[n:]])
    w.actions["edit.union"].trigger()  # geometry (shapely) is imported here
    assert len(doc) == n + 1
    union = doc.shapes[-1]
    xs, ys = union.points[:, 0], union.points[:, 1]
    area = 0.5 * abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1)))
    assert union.label == "car" and area == 60 * 40
