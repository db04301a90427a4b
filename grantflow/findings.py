"""Findings: what validation reports, one line each (severity, file, line/row, field, message)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .text import printable_name

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
        # a file name (config/projects/$'x\nERROR   y.yaml') or a value in the message is the
        # user's text: escaped, so one finding is always one line and cannot forge another
        return printable_name(f"{self.severity.upper():7} {where}{field} {self.message}")


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


SHOWN_PER_COLUMN = 10   # findings shown for one column of one file before the rest become one line


def condense(findings: list[Finding], limit: int = SHOWN_PER_COLUMN) -> list[Finding]:
    """The findings as a reader can take them in: a whole column written wrong (an export with
    the wrong number format) is one mistake, not three thousand lines. For each file, field and
    severity the first ``limit`` findings are kept as they are, in order; the rest become one
    finding at the place of the first one left out, saying how many rows and which."""
    groups: dict[tuple, list[int]] = {}
    for i, f in enumerate(findings):
        groups.setdefault((f.severity, f.file, f.field), []).append(i)
    over = {key: members for key, members in groups.items() if len(members) > limit + 1}
    if not over:
        return list(findings)
    dropped = {i for members in over.values() for i in members[limit:]}
    summary_at = {members[limit]: key for key, members in over.items()}
    out = []
    for i, f in enumerate(findings):
        if i in summary_at:
            rest = [findings[j] for j in over[summary_at[i]][limit:]]
            rows = sorted(r.line for r in rest if r.line is not None)
            unit = "rows" if _is_table(f.file) else "lines"
            where = f" between {unit} {count_shown(rows[0])} and {count_shown(rows[-1])}" if len(rows) > 1 else ""
            noun = f.severity if len(rest) == 1 else f"{f.severity}s"
            out.append(Finding(f.severity, f.file, f.line, f.field,
                               f"{count_shown(len(rest))} more {noun} in this field{where}, not listed one by one"))
        elif i not in dropped:
            out.append(f)
    return out


def _is_table(file: str) -> bool:
    """A CSV or workbook (a sheet is named ``file.xlsx:Sheet``): its findings' lines are rows."""
    name = file.casefold()
    return name.endswith(".csv") or ".xls" in name


ROWS_NAMED = 5          # rows named in a line about many rows, before 'and N more'


def rows_named(numbers: list[int]) -> str:
    """'row 34', 'rows 34, 35 and 2 more'."""
    shown = ", ".join(map(str, numbers[:ROWS_NAMED]))
    if len(numbers) > ROWS_NAMED:
        shown += f" and {count_shown(len(numbers) - ROWS_NAMED)} more"
    return f"row {shown}" if len(numbers) == 1 else f"rows {shown}"


def count_shown(n: int) -> str:
    """1 234 567: a count with a space between thousands."""
    return f"{n:,}".replace(",", " ")


def loc_text(loc: tuple) -> str:
    """('milestones', 1, 'date') -> 'milestones[1].date'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # a key is the user's text: shown escaped, never able to turn the line around
            out += ("." if out else "") + printable_name(str(part))
    return out
