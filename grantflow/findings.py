"""Findings: what validation reports, one line each (severity, file, line/row, field, message)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found in the register or the data files.

    ``line`` is the YAML line, or the spreadsheet row (header = row 1) of a CSV/XLSX file.
    """

    severity: Severity
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        field = f" {self.field}:" if self.field else ""
        return f"{self.severity.upper():7} {where}{field} {self.message}"


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def loc_text(loc: tuple) -> str:
    """('milestones', 1, 'date') -> 'milestones[1].date'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
