"""Entry script frozen by PyInstaller: the same ``labeldesk`` command."""

from labeldesk.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
