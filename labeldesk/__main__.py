"""``python -m labeldesk`` is the ``labeldesk`` command."""

from labeldesk.cli import main

raise SystemExit(main())
