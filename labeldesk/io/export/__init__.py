"""Dataset export (VOC, COCO, YOLO, COCO panoptic) and import (COCO, VOC) — Qt-free.

Public API: :func:`export_dataset` returns a generator that yields :class:`Progress` and
returns a :class:`Report` (see ``api.py`` for the loop a Qt worker runs);
:func:`import_coco` / :func:`import_voc` work the same way. The ``labeldesk export`` and
``labeldesk import`` commands live in ``command.py`` and ``import_command.py``.
"""

from labeldesk.io.export.api import FORMATS, export_dataset, list_sources, run_to_end
from labeldesk.io.export.common import ExportOptions
from labeldesk.io.export.importers import import_coco
from labeldesk.io.export.labels import LabelSet, labels_from_names, read_labels
from labeldesk.io.export.report import FileResult, Progress, Report
from labeldesk.io.export.voc_import import import_voc

__all__ = [
    "FORMATS",
    "ExportOptions",
    "FileResult",
    "LabelSet",
    "Progress",
    "Report",
    "export_dataset",
    "import_coco",
    "import_voc",
    "labels_from_names",
    "list_sources",
    "read_labels",
    "run_to_end",
]
