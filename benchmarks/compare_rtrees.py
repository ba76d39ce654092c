"""Why the pixel classifier uses scikit-learn's forest, not OpenCV's RTrees: both on the same
features and the same class-balanced pixel sample of the real nuclei tiles (see
tests/models/nuclei_data.py), 16 trees of depth 10, tile 3 held out; medians of 3 seeds.

cv2.ml is not in the opencv-python-headless 5.x wheels labeldesk depends on; it is in
opencv-contrib-python-headless, which installs the same ``cv2`` package and cannot sit
beside it. To measure, install it apart and put it first on the path:

    .venv/bin/pip install --no-deps --target /tmp/cvc opencv-contrib-python-headless
    PYTHONPATH=/tmp/cvc .venv/bin/python benchmarks/compare_rtrees.py
"""

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tempfile

import cv2
import numpy as np

from labeldesk.algorithms.pixel_features import pixel_features
from labeldesk.models.seg.forest import ForestModel, ForestSettings, fit_forest
from labeldesk.models.seg.forest_train import sample_pixels, samples_from_folder
from tests.models.nuclei_data import held_out, iou, make_folder

if not hasattr(cv2, "ml"):
    sys.exit("this cv2 has no ml module: see the docstring for how to measure")
print(f"load average {os.getloadavg()}")
for kind in ("polygons", "strokes"):
    d = make_folder(Path(tempfile.mkdtemp()) / kind, kind=kind)
    s, _ = samples_from_folder(d, ["nucleus"])
    feats = [pixel_features(x.image, channels=1) for x in s]
    x, y = sample_pixels(feats, [q.label for q in s], 5000, 0)
    img, truth = held_out()
    fh = pixel_features(img, channels=1).reshape(-1, x.shape[1])
    res = {"sk": [], "rt": []}
    for seed in range(3):
        t = time.perf_counter()
        tr, v = fit_forest(x, y, ForestSettings(), seed=seed)
        f = time.perf_counter() - t
        m = ForestModel(tr, ["nucleus"], v, x.shape[1], 1, ForestSettings())
        t = time.perf_counter()
        p = m.proba_from_features(fh.reshape(256, 256, -1)).argmax(0)
        pr = time.perf_counter() - t
        res["sk"].append((f, pr, iou(p, truth)))
        rt = cv2.ml.RTrees_create()
        rt.setMaxDepth(10)
        rt.setMinSampleCount(2)
        rt.setActiveVarCount(int(np.sqrt(x.shape[1])))
        rt.setTermCriteria((cv2.TERM_CRITERIA_MAX_ITER, 16, 0))
        rt.setCalculateVarImportance(False)
        cv2.setRNGSeed(seed)
        t = time.perf_counter()
        rt.train(x, cv2.ml.ROW_SAMPLE, y.astype(np.int32))
        f = time.perf_counter() - t
        t = time.perf_counter()
        _, out = rt.predict(fh)
        pr = time.perf_counter() - t
        res["rt"].append((f, pr, iou(out.ravel().reshape(256, 256) > 0, truth)))
    for k, v in res.items():
        fit, pred, score = (statistics.median(r[i] for r in v) for i in range(3))
        name = "scikit-learn" if k == "sk" else "cv2.ml.RTrees"
        print(f"{kind}: {name}: fit {fit:.2f} s, predict 65k px {pred:.3f} s, IoU {score:.3f}")
