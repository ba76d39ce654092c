"""Background work for the UI: one long-lived worker object per QThread (DESIGN section 1.4).

* :mod:`labeldesk.ui.workers.base`: the generic :class:`Worker` / :class:`WorkerHost` pair
  (requests with ids, the latest request per key wins, generator jobs with progress and
  cancel at every yield, errors as signals). Reuse it for any long job.
* :mod:`labeldesk.ui.workers.images`: reading images and their annotation (opening files and
  reading the next image ahead).
* :mod:`labeldesk.ui.workers.lifetime`: :func:`stop_on_close`, ending a controller's worker
  when its window closes or the app quits.
"""

from labeldesk.ui.workers.base import Cancelled, Request, Worker, WorkerHost
from labeldesk.ui.workers.lifetime import stop_on_close

__all__ = ["Cancelled", "Request", "Worker", "WorkerHost", "stop_on_close"]
