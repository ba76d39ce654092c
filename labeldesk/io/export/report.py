"""What an export or import did: progress while it runs, a report at the end.

Progress is :class:`labeldesk.core.jobs.Progress`: ``done`` of ``total`` files, ``message``
the file just finished (its name), ``payload`` its :class:`FileResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labeldesk.core.jobs import Progress

__all__ = ["FileResult", "Progress", "Report"]


@dataclass
class FileResult:
    """What a worker did with one input file (picklable; built in the worker process).

    Attributes:
        file: the input file (for messages).
        error: why nothing was written for it, or None when it was written.
        warnings: things written differently than asked (hidden objects, 16-bit PNGs...).
        unknown: labels of shapes skipped because they are not in the labels file.
        data: what the format's ``finish`` step needs from this file (COCO annotations...).
    """

    file: str
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    data: Any = None


@dataclass
class Report:
    """The end of an export/import: counts, per-file failures and what was skipped.

    ``exit_code`` is 0 when every file was written in full, 1 when a file failed or shapes
    were skipped for unknown labels (everything else is still written), 130 when cancelled.
    """

    title: str
    out_dir: Path
    total: int = 0
    written: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    unknown_labels: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.cancelled:
            return 130
        return 1 if self.failures or self.unknown_labels else 0

    def add(self, result: FileResult) -> None:
        if result.error is not None:
            self.failures.append((result.file, result.error))
        else:
            self.written += 1
        for label in result.unknown:
            self.unknown_labels.setdefault(label, []).append(result.file)
        self.warnings.extend((result.file, w) for w in result.warnings)

    def summary(self) -> str:
        if self.cancelled:
            return f"{self.title}: cancelled; nothing was written to {self.out_dir}"
        rate = f" in {self.seconds:.1f} s" if self.seconds else ""
        return f"{self.title}: wrote {self.written} of {self.total} files to {self.out_dir}{rate}"

    def lines(self, *, limit: int = 50) -> list[str]:
        """The report as text lines: summary, failures, unknown labels, warnings."""
        out = [self.summary()]
        if self.failures:
            out.append(f"{len(self.failures)} file(s) failed and were not written:")
            out += [f"  {f}: {why}" for f, why in self.failures[:limit]]
            if len(self.failures) > limit:
                out.append(f"  ... and {len(self.failures) - limit} more")
        if self.unknown_labels:
            out.append("labels not in the labels file (those shapes were skipped):")
            for label, files in self.unknown_labels.items():
                more = f" and {len(files) - 3} more" if len(files) > 3 else ""
                out.append(f"  {label!r} in {', '.join(files[:3])}{more}")
        if self.warnings:
            out.append(f"{len(self.warnings)} warning(s):")
            out += [f"  {f}: {w}" for f, w in self.warnings[:limit]]
            if len(self.warnings) > limit:
                out.append(f"  ... and {len(self.warnings) - limit} more")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "total": self.total,
            "written": self.written,
            "failures": [{"file": f, "reason": r} for f, r in self.failures],
            "unknown_labels": self.unknown_labels,
            "warnings": [{"file": f, "warning": w} for f, w in self.warnings],
        }
