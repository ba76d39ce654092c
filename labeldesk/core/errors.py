"""One exception tree for everything labeldesk reports to a user.

Every error a user can cause (a bad file, a bad model, a bad argument to a tool) is a
:class:`LabeldeskError`; the UI shows ``str(error)`` in a message and never a traceback.
"""

from __future__ import annotations

from os import PathLike


class LabeldeskError(Exception):
    """Base of every error labeldesk raises on purpose."""


class ReadError(LabeldeskError):
    """A file could not be read. Names the file, and the field when one is at fault.

    Args:
        path: the file that failed.
        reason: what is wrong, in words a user understands.
        field: the key or element at fault (``"shapes[3].points"``), if any.
    """

    def __init__(self, path: str | PathLike[str], reason: str, *, field: str | None = None):
        self.path = str(path)
        self.reason = reason
        self.field = field
        where = f" (field {field!r})" if field else ""
        super().__init__(f"{self.path}: {reason}{where}")


class ImageReadError(ReadError):
    """An image could not be decoded, is too large, or is of an unsupported kind."""


class WriteError(LabeldeskError):
    """A file could not be written; the previous file, if any, is left as it was."""

    def __init__(self, path: str | PathLike[str], reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelError(LabeldeskError):
    """A model or checkpoint could not be loaded or run (wrong keys, unsafe pickle, OOM...)."""


class ExportError(LabeldeskError):
    """A dataset export or import could not proceed (output exists, bad labels file...)."""


class InvalidShapeError(LabeldeskError, ValueError):
    """A shape's data does not fit its type (wrong number of points, bad mask...)."""
