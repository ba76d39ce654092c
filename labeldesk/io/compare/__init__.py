"""Agreement between two label sets: ``labeldesk compare`` and the app's review mode.

:func:`compare_folders` (a job: yields progress, returns a :class:`Comparison`) and
:func:`compare_documents` (one image) live in :mod:`labeldesk.io.compare.core`; the JSON, CSV
and terminal output in :mod:`~labeldesk.io.compare.report`; the HTML report in
:mod:`~labeldesk.io.compare.html`. The measures are :mod:`labeldesk.algorithms.metrics` and
:mod:`labeldesk.algorithms.matching`.
"""

from labeldesk.io.compare.core import (
    Comparison,
    ImageResult,
    compare_documents,
    compare_folders,
    compare_rasters,
)

__all__ = [
    "Comparison",
    "ImageResult",
    "compare_documents",
    "compare_folders",
    "compare_rasters",
]
