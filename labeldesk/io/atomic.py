"""Atomic file writes: a temporary file in the same folder, fsync, then ``os.replace``.

The temporary is ``.<name>.<pid>.<random>.ldtmp`` with ``<name>`` shortened so the whole stays
within 255 characters (a file name of 255 characters can be saved). A writer killed mid-write
leaves its temporary behind; the next write of the same file removes temporaries whose
process is gone (and those of older labeldesk versions, ``.<name>.XXXXXXXX.tmp``, once they
are a minute old). A symlink is written through to its target; a read-only file is refused
unless ``allow_read_only`` is given.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from pathlib import Path

from labeldesk.core.errors import WriteError

NAME_MAX = 255
SUFFIX = ".ldtmp"
_OURS = re.compile(r"\.(\d+)\.[0-9a-f]{6}" + re.escape(SUFFIX) + r"$")
_OLD_STYLE_AGE_S = 60.0
_in_flight: set[str] = set()


class ReadOnlyFileError(WriteError):
    """The file exists and is read-only; writing it needs ``allow_read_only=True``."""


def _prefix(name: str) -> str:
    room = NAME_MAX - 1 - len(f".{2**22}.ffffff{SUFFIX}")
    cut = name.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
    return "." + cut


def temporary_name(name: str) -> str:
    """A fresh temporary name for the file ``name`` (at most 255 characters)."""
    return f"{_prefix(name)}.{os.getpid()}.{secrets.token_hex(3)}{SUFFIX}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def clean_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Remove temporaries of ``path`` left by writers that died; returns those removed.

    Never raises: a temporary that cannot be removed is left for the next time.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    prefix = _prefix(path.name) + "."
    old_style = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}\.tmp$")
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except (OSError, ValueError):
        return removed
    now = time.time()
    for name in names:
        stale = False
        if name.startswith(prefix) and (m := _OURS.search(name)) is not None:
            full = str(folder / name)
            stale = full not in _in_flight and (
                int(m.group(1)) == os.getpid() or not _alive(int(m.group(1)))
            )
        elif old_style.match(name):
            with contextlib.suppress(OSError):
                stale = now - os.lstat(folder / name).st_mtime > _OLD_STYLE_AGE_S
        if stale:
            try:
                os.unlink(folder / name)
                removed.append(folder / name)
            except OSError:
                pass
    return removed


def is_read_only(st: os.stat_result) -> bool:
    """True when nobody may write the file by its mode (root included, unlike os.access)."""
    return not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, allow_read_only: bool = False
) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new, never half.

    The permissions of an existing file are kept; a new file gets the usual umask mode. A
    symlink is written through (its target is replaced, the link stays). Raises
    :class:`ReadOnlyFileError` for a read-only file unless ``allow_read_only``, and
    :class:`WriteError` naming the file for anything else; the old file is then untouched.
    """
    shown = Path(path)
    try:
        target = Path(os.path.realpath(shown)) if os.path.islink(shown) else shown
        folder = target.parent if str(target.parent) else Path(".")
        try:
            st = os.stat(target)
            mode = stat.S_IMODE(st.st_mode)
            if is_read_only(st) and not allow_read_only:
                raise ReadOnlyFileError(shown, "the file is read-only; it was not replaced")
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    except ValueError as exc:  # embedded null byte
        raise WriteError(shown, f"not a usable file name: {exc}") from exc
    except OSError as exc:
        raise WriteError(shown, f"cannot read its permissions: {exc.strerror or exc}") from exc
    clean_stale_temporaries(target)
    tmp = str(folder / temporary_name(target.name))
    _in_flight.add(tmp)
    written = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        written = True
    except OSError as exc:
        raise WriteError(shown, f"could not write: {exc.strerror or exc}") from exc
    finally:
        _in_flight.discard(tmp)
        if not written:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, allow_read_only: bool = False
) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"), allow_read_only=allow_read_only)
