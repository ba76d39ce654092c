"""Classical segmentation as pure numpy/OpenCV functions (no Qt, no torch, no document).

Conventions shared by every function:

- ``image`` is ``(H, W)`` gray or ``(H, W, 3)`` RGB, uint8, uint16 or float (float must be
  finite); anything else raises ``ValueError`` naming ``image`` with its shape and dtype.
  Value options (``low``, ``high``, ``tolerance``, ``offset``) are in the image's own units.
- Points are ``(x, y)`` pixels; integer coordinates are pixel centres (labelme's Pillow
  rasterization convention), fractional ones go to the nearest pixel. (The canvas's pointer
  coordinates put pixel ``i`` over ``[i, i+1)``; the tools in ``labeldesk.core.tools.classical``
  pass ``floor`` of them, i.e. pixel indices, so the two conventions agree.) ``box`` is
  ``(x0, y0, x1, y1)`` inclusive of both corners; ``extreme_points`` is ``(4, 2)``.
- Masks (``roi``, scribbles, results) are ``(H, W)`` bool indexed ``[y, x]``; label maps are
  ``(H, W)`` int32.
- Options are keyword-only; inputs are never modified; bad input raises ``ValueError`` with a
  message that names the argument and says what is wrong (meant for the status bar).
"""

from labeldesk.algorithms.auto import auto_segment
from labeldesk.algorithms.click import click_segment
from labeldesk.algorithms.contours import Polygon, mask_to_polygons
from labeldesk.algorithms.graphcut import grabcut
from labeldesk.algorithms.livewire import LiveWireMap, live_wire
from labeldesk.algorithms.postprocess import (
    fill_holes,
    largest_component,
    remove_small,
    smooth_mask,
)
from labeldesk.algorithms.rasterize import polygons_to_mask, shape_to_mask, shapes_to_label
from labeldesk.algorithms.region import region_grow
from labeldesk.algorithms.regions import RegionProposal, auto_proposals
from labeldesk.algorithms.threshold import otsu_threshold, threshold_mask
from labeldesk.algorithms.watershed import marker_watershed

__all__ = [
    "LiveWireMap",
    "Polygon",
    "RegionProposal",
    "auto_proposals",
    "auto_segment",
    "click_segment",
    "fill_holes",
    "grabcut",
    "largest_component",
    "live_wire",
    "marker_watershed",
    "mask_to_polygons",
    "otsu_threshold",
    "polygons_to_mask",
    "region_grow",
    "remove_small",
    "shape_to_mask",
    "shapes_to_label",
    "smooth_mask",
    "threshold_mask",
]
