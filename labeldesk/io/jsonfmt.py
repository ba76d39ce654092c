"""A fast writer of exactly ``json.dumps(obj, ensure_ascii=False, indent=2)``.

With ``indent`` set, the standard library falls back to its pure-Python encoder, which takes
seconds for an annotation of a few hundred thousand points (each point spans four lines in
labelme's layout). This writer produces the same text, byte for byte, several times faster
by formatting ``[x, y]`` point lists in one pass. A property test compares it with ``json``.
"""

from __future__ import annotations

import json
from typing import Any

_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]
_INF = float("inf")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return float.__repr__(value)


def _scalar(value: Any) -> str | None:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _encode_str(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    return None


def _points(value: list, depth: int) -> str | None:
    """``value`` formatted as a list of ``[x, y]`` float pairs, or None when it is not one.

    float.__repr__ refuses non-floats and unpacking refuses other lengths, so the fast path
    needs no separate type check; 'n' appears in a float's repr only for inf and nan, which
    JSON spells differently, so those take the slow path.
    """
    outer = "\n" + "  " * (depth + 1)
    inner = "\n" + "  " * (depth + 2)
    fr = float.__repr__
    try:
        body = (outer + "]," + outer).join(f"[{inner}{fr(x)},{inner}{fr(y)}" for x, y in value)
    except (TypeError, ValueError):
        return None
    if "n" in body:
        body = (outer + "]," + outer).join(
            f"[{inner}{_float(x)},{inner}{_float(y)}" for x, y in value
        )
    return "[" + outer + body + outer + "]\n" + "  " * depth + "]"


def _write(value: Any, depth: int, out: list[str]) -> None:
    s = _scalar(value)
    if s is not None:
        out.append(s)
        return
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        pad = "\n" + "  " * (depth + 1)
        out.append("{")
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                key = _scalar(key) if isinstance(key, int | float) or key is None else None
                if key is None:
                    raise TypeError("keys must be str, int, float, bool or None")
            out.append((pad if first else "," + pad) + _encode_str(key) + ": ")
            first = False
            _write(item, depth + 1, out)
        out.append("\n" + "  " * depth + "}")
        return
    if isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        if type(value) is list and type(value[0]) is list and len(value[0]) == 2:
            text = _points(value, depth)
            if text is not None:
                out.append(text)
                return
        pad = "\n" + "  " * (depth + 1)
        out.append("[")
        for i, item in enumerate(value):
            out.append(pad if i == 0 else "," + pad)
            _write(item, depth + 1, out)
        out.append("\n" + "  " * depth + "]")
        return
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps_indent2(obj: Any) -> str:
    """Same text as ``json.dumps(obj, ensure_ascii=False, indent=2)``."""
    out: list[str] = []
    _write(obj, 0, out)
    return "".join(out)
