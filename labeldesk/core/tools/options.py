"""A tool's options as a small schema (Qt-free): what the "Tool options" dock renders.

A tool lists its settings in ``options`` (a tuple of :class:`Option`); the dock builds one
widget per option name (tools that declare the same name share it, so a value carries over
when the tool changes), groups them under ``group`` titles, and hands changed values back
with :meth:`~labeldesk.core.tools.base.Tool.set_options`. The tool reads and writes its own
values (:meth:`~labeldesk.core.tools.base.Tool.option`), so the dock has no code for any
particular tool.

Kinds: ``"int"``, ``"float"`` (spin boxes over ``[low, high]`` with ``step`` and
``decimals``; ``special`` is the text shown at ``low``, e.g. ``"auto"``), ``"bool"`` (a check
box labelled ``label``), ``"choice"`` (``choices`` as ``(text, value)`` pairs; values listed in
``colour_only`` are offered only for colour images) and ``"range"`` (a ``(low, high)`` pair of
ints in ``[low, high]`` drawn as a two-handle slider over the tool's histogram, see
:meth:`~labeldesk.core.tools.base.Tool.histogram_request`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

OptionKind = Literal["int", "float", "bool", "choice", "range"]
Condition = tuple[str, tuple[Any, ...]]  # (option name, the values that make it true)


@dataclass(frozen=True)
class Option:
    """One setting of a tool (see module docs).

    Attributes:
        name: the tool's attribute (or the :class:`~labeldesk.core.tools.base.ToolContext`
            attribute, such as ``brush_size``) the value goes to.
        label: the form label (for ``"bool"``: the check box's text).
        kind: see module docs.
        default: the value before the person changes it.
        group: the title of the group box it is shown in.
        visible_if / enabled_if: ``(other option, values)``: show / enable the row only while
            the other option has one of ``values``.
        live: the tool changes the value itself (region grow's tolerance while dragging):
            the dock follows it.
        in_runner: applied by the worker to the mask result (clean-up), not set on the tool;
            a change recomputes the preview.
        on_accept: used only when the result is accepted: a change recomputes nothing.
    """

    name: str
    label: str
    kind: OptionKind
    default: Any
    group: str
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    decimals: int = 0
    special: str = ""
    choices: tuple[tuple[str, Any], ...] = ()
    colour_only: tuple[Any, ...] = ()
    visible_if: Condition | None = None
    enabled_if: Condition | None = None
    live: bool = False
    in_runner: bool = False
    on_accept: bool = False

    def __post_init__(self) -> None:
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"option {self.name!r}: a choice needs choices")
        if self.kind in ("int", "float", "range") and self.low > self.high:
            raise ValueError(f"option {self.name!r}: low {self.low} > high {self.high}")


def holds(condition: Condition | None, values: dict[str, Any]) -> bool:
    """Whether ``condition`` holds for the option ``values`` (None always holds)."""
    if condition is None:
        return True
    name, wanted = condition
    return values.get(name) in wanted
