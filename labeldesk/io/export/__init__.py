"""Dataset export (VOC, COCO, YOLO, COCO panoptic) and import (COCO, VOC) — Qt-free.

Public API: :func:`export_dataset` returns a :mod:`labeldesk.core.jobs` job that yields
``Progress`` per file and returns a :class:`Report` (see ``api.py``);
:func:`import_coco` / :func:`import_voc` work the same way. The ``labeldesk export`` and
``labeldesk import`` commands live in ``command.py`` and ``import_command.py``.

The names below are imported on first use (PEP 562), so importing one submodule (say
``labeldesk.io.export.labels``) does not load every format and pycocotools: the app starts
without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "FORMATS": "api",
    "export_dataset": "api",
    "list_sources": "api",
    "run_to_end": "api",
    "ExportOptions": "common",
    "import_coco": "importers",
    "LabelSet": "labels",
    "labels_from_names": "labels",
    "read_labels": "labels",
    "FileResult": "report",
    "Progress": "report",
    "Report": "report",
    "import_voc": "voc_import",
}

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
assert sorted(__all__) == sorted(_WHERE)

if TYPE_CHECKING:
    from labeldesk.io.export.api import FORMATS, export_dataset, list_sources, run_to_end
    from labeldesk.io.export.common import ExportOptions
    from labeldesk.io.export.importers import import_coco
    from labeldesk.io.export.labels import LabelSet, labels_from_names, read_labels
    from labeldesk.io.export.report import FileResult, Progress, Report
    from labeldesk.io.export.voc_import import import_voc


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
