"""The document model: Qt-free and torch-free."""

from labeldesk.core.classes import ClassCatalogue, LabelClass, default_color
from labeldesk.core.commands import AddShapes, EditShape, PaintMask, RemoveShapes, Reorder
from labeldesk.core.document import LABELME_VERSION, Document
from labeldesk.core.errors import (
    ExportError,
    ImageReadError,
    InvalidShapeError,
    LabeldeskError,
    ModelError,
    ReadError,
    WriteError,
)
from labeldesk.core.events import DocEvent, EventKind, Signal
from labeldesk.core.history import Command, History, Macro
from labeldesk.core.shapelist import ShapeList
from labeldesk.core.shapes import SHAPE_TYPES, Shape

__all__ = [
    "LABELME_VERSION",
    "SHAPE_TYPES",
    "AddShapes",
    "ClassCatalogue",
    "Command",
    "DocEvent",
    "Document",
    "EditShape",
    "EventKind",
    "ExportError",
    "History",
    "ImageReadError",
    "InvalidShapeError",
    "LabelClass",
    "LabeldeskError",
    "Macro",
    "ModelError",
    "PaintMask",
    "ReadError",
    "RemoveShapes",
    "Reorder",
    "Shape",
    "ShapeList",
    "Signal",
    "WriteError",
    "default_color",
]
