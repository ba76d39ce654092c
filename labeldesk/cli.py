"""The ``labeldesk`` command: opens the GUI, or runs a headless subcommand.

``labeldesk [PATH]`` opens the app on a folder or image (the bundled sample when no path is
given). ``labeldesk SUBCOMMAND ...`` runs headless work. Subcommands are registered below as
``name -> "module:attribute"``; the module is imported only when that subcommand runs, so
``labeldesk export`` never pays for Qt or torch. Each entry point names an object with
``help`` (one line), ``add_arguments(parser)`` and ``run(args) -> int`` (the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from labeldesk import __version__

SUBCOMMANDS: dict[str, str] = {
    "export": "labeldesk.io.export.command:COMMAND",
    "import": "labeldesk.io.export.import_command:COMMAND",
    "prelabel": "labeldesk.models.prelabel_command:COMMAND",
    "train": "labeldesk.models.seg.command:COMMAND",
    "propagate": "labeldesk.io.stacks.command:PROPAGATE",
    "interpolate": "labeldesk.io.stacks.command:INTERPOLATE",
    "compare": "labeldesk.io.compare.command:COMMAND",
}


def _load(spec: str):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labeldesk",
        description="Label images for segmentation. Subcommands: "
        + ", ".join(SUBCOMMANDS)
        + " (labeldesk SUBCOMMAND --help).",
    )
    parser.add_argument(
        "path", nargs="?", help="a folder of images or one image (default: the bundled sample)"
    )
    parser.add_argument("--version", action="version", version=f"labeldesk {__version__}")
    parser.add_argument("--reset-settings", action="store_true", help="start with default settings")
    parser.add_argument("--exit-when-idle", action="store_true", help=argparse.SUPPRESS)
    return parser


def run_subcommand(name: str, argv: Sequence[str]) -> int:
    """Run subcommand ``name`` with its arguments; returns the exit code."""
    try:
        command = _load(SUBCOMMANDS[name])
    except ModuleNotFoundError as exc:
        print(
            f"labeldesk {name}: not available in this build ({exc.name} is missing)",
            file=sys.stderr,
        )
        return 2
    parser = argparse.ArgumentParser(prog=f"labeldesk {name}", description=command.help)
    command.add_arguments(parser)
    args = parser.parse_args(list(argv))
    from labeldesk.core.errors import LabeldeskError

    try:
        return int(command.run(args) or 0)
    except LabeldeskError as exc:
        print(f"labeldesk {name}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"labeldesk {name}: interrupted", file=sys.stderr)
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return run_subcommand(argv[0], argv[1:])
    args = _gui_parser().parse_args(argv)
    from labeldesk.ui.app import run_app

    return run_app(
        args.path, reset_settings=args.reset_settings, exit_when_idle=args.exit_when_idle
    )


def gui_main() -> None:
    raise SystemExit(main())


if __name__ == "__main__":
    raise SystemExit(main())
