"""Entry script frozen by PyInstaller: the same ``labeldesk`` command."""

import multiprocessing

from labeldesk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the dataset export runs worker processes
    raise SystemExit(main())
