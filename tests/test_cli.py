"""The labeldesk command line."""

from __future__ import annotations

import subprocess
import sys

from labeldesk import __version__, cli


def test_version_and_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "labeldesk", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"labeldesk {__version__}"
    out = subprocess.run(
        [sys.executable, "-m", "labeldesk", "--help"], capture_output=True, text=True
    )
    assert "export" in out.stdout and "prelabel" in out.stdout


def test_unknown_subcommand_module_is_reported(monkeypatch, capsys) -> None:
    monkeypatch.setitem(cli.SUBCOMMANDS, "ghost", "labeldesk.no_such_module:COMMAND")
    assert cli.main(["ghost"]) == 2
    assert "not available" in capsys.readouterr().err
