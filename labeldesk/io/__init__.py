"""File formats and images: Qt-free codecs.

Public API: :func:`read_labelme` returns a :class:`~labeldesk.core.Document`,
:func:`write_labelme` writes one; :func:`load_image` decodes an image with its orientation;
:func:`open_stack` opens a video, frame folder, TIFF, NIfTI or DICOM series as lazily read frames.
"""

from labeldesk.io.atomic import atomic_write_bytes, atomic_write_text
from labeldesk.io.images import (
    DEFAULT_MAX_PIXELS,
    IMAGE_SUFFIXES,
    list_images,
    load_image,
    read_info,
    to_display,
    to_rgb8,
)
from labeldesk.io.labelme import (
    document_from_dict,
    document_to_dict,
    dumps_labelme,
    read_labelme,
    write_labelme,
)
from labeldesk.io.stacks import open_stack

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "atomic_write_bytes",
    "atomic_write_text",
    "document_from_dict",
    "document_to_dict",
    "dumps_labelme",
    "list_images",
    "load_image",
    "open_stack",
    "read_info",
    "read_labelme",
    "to_display",
    "to_rgb8",
    "write_labelme",
]
