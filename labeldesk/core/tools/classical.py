"""Classical segmentation tools (Qt-free): threshold, region grow, watershed, GrabCut, live-wire.

Each tool turns pointer/key events into inputs for a :mod:`labeldesk.algorithms` function and
shows its result as a translucent mask preview; Enter accepts it into one object of the active
class (a polygon, or a mask object when it has holes or several parts; one undo step), Esc
drops everything, Backspace drops the last input. The five tools live in
:mod:`.threshold`, :mod:`.region_grow`, :mod:`.scribbles` (watershed, GrabCut) and
:mod:`.livewire`, their shared base :class:`ClassicalTool` in :mod:`.classical_base`; this
module imports them all in one place. Each declares its key, icon, options and runner kind
(see :class:`~labeldesk.core.tools.base.Tool`):

=============  ==============================================================================
name           gestures
=============  ==============================================================================
threshold      the UI sets ``method``/``low``/``high``/``channel``/``invert``/... with
               :meth:`ThresholdTool.set_params`; a left drag limits it to a box; a click keeps
               only the part under the click (click outside the mask: keep all again).
region_grow    press on the object and drag away from it: the tolerance grows with the
               distance dragged (``units_per_px`` image units per screen pixel, added to the
               last tolerance); Shift+press adds another region to the result.
watershed      left drag paints object scribbles, right drag (or Shift+left) background ones;
               the flood runs on the scribbles' box grown by half its size.
grabcut        left drag draws the box, or four left clicks place the extreme points; then
               left drags paint object scribbles and right drags (Shift+left) background ones.
live_wire      click anchors along the boundary; the path follows edges to the pointer;
               double-click or Enter closes it back to the first anchor and accepts a polygon.
               Edge maps are built through the runner; clicks and Enter made meanwhile wait
               and are replayed in order when the map arrives.
=============  ==============================================================================

Slow work (the tool's computation, and on Enter the mask-to-object step) goes through
``runner(job, done)``: the default runs ``job()`` at once and calls ``done(result)``; the UI
may pass a runner that calls ``job`` in a worker thread and ``done`` on the GUI thread later
(a ``ValueError`` raised by ``job`` must be passed to ``done`` as the result). Results may
arrive late, out of order, or not at all for a request a newer one superseded before it
started. Every request has a serial: a result newer than the one shown replaces it (so a
fast drag keeps showing progress), an older one is dropped, and the latest request decides
when the tool is no longer pending (latest wins). Enter while a result is pending accepts it
when it arrives; a new request or Esc while the object is being made drops it. Bad input (an
image of the wrong kind, an empty box, a seed outside the image...) is shown with
``ctx.message`` and never raised.

Pointer coordinates follow :mod:`~labeldesk.core.tools.base` (pixel ``(i, j)`` covers
``[i, i+1) x [j, j+1)``), so a click picks pixel ``floor(x), floor(y)``; result masks are
``(H, W)`` bool, previews are cropped to their box.
"""

from __future__ import annotations

from labeldesk.core.tools.base import DRAG_PX
from labeldesk.core.tools.classical_base import ClassicalTool, Runner, pixel_of, run_inline
from labeldesk.core.tools.livewire import LiveWireTool
from labeldesk.core.tools.region_grow import RegionGrowTool
from labeldesk.core.tools.scribbles import GrabCutTool, WatershedTool
from labeldesk.core.tools.threshold import ThresholdTool

__all__ = [
    "DRAG_PX",
    "ClassicalTool",
    "GrabCutTool",
    "LiveWireTool",
    "RegionGrowTool",
    "Runner",
    "ThresholdTool",
    "WatershedTool",
    "pixel_of",
    "run_inline",
]
