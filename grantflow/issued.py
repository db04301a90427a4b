"""Issued workbooks (utstedte arbeidsbøker): which workbook grantflow made, for which project,
for which status date, when and for whom.

Every project workbook grantflow hands out (``grantflow workbook``, the status cycle's request
mail) gets an unguessable id, written in its hidden sheet and recorded here, in
``data/<project>/arbeidsboker.csv`` beside the project's import log. A returned workbook speaks
for the project its id was issued for, and for no other: the hidden sheet is plain data a leader's
program can rewrite, the record is the secretariat's.

A record rather than a signature: the secretariat can open it in Excel and see every workbook
handed out, and there is no key to keep outside the repository and the outputs, nor to lose.
The file is rewritten whole and atomically under a lock on the project's data folder, so two
processes issuing at once never lose an entry.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .errors import UserError
from .fileio import atomic_write
from .register import Register, display_path
from .text import printable_name, spreadsheet_text

RECORD = "arbeidsboker.csv"
HEADER = ["Utstedt", "Id", "Prosjekt", "Status per", "Til", "Hvordan"]
PREFIX = "gf-"          # an id never starts like a formula in Excel (token_urlsafe may begin with '-')


@dataclass(frozen=True)
class Issue:
    """One issued workbook as recorded."""

    id: str
    project: str
    as_of: str            # ISO date
    issued: str           # ISO timestamp
    to: str
    how: str


def record_file(register: Register, project_id: str) -> Path:
    return register.data_path(f"data/{project_id}/{RECORD}")


def new_id() -> str:
    return PREFIX + secrets.token_urlsafe(24)


def read_record(path: Path) -> list[Issue]:
    """The issues recorded in ``path`` (none when it does not exist); a row that does not read
    is skipped (it cannot vouch for any workbook)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise UserError(f"the record of issued workbooks cannot be read ({why})", file=display_path(path)) from None
    out = []
    for row in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]:
        if len(row) >= 6 and row[1].startswith(PREFIX):
            out.append(Issue(id=row[1], project=row[2], as_of=row[3], issued=row[0], to=row[4], how=row[5]))
    return out


def record_issue(register: Register, project_id: str, as_of: date, issue: str, *, to: str, how: str,
                 now: datetime | None = None) -> None:
    """Record ``issue`` (``new_id``) as the id of ``project_id``'s workbook of ``as_of``; two
    processes at once both get their entry."""
    now = now or datetime.now().astimezone().replace(microsecond=0)
    path = record_file(register, project_id)
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerow(
        [now.isoformat(), issue, project_id, as_of.isoformat(), spreadsheet_text(printable_name(to)),
         spreadsheet_text(printable_name(how))])
    path.parent.mkdir(parents=True, exist_ok=True)
    # the whole file is rewritten (atomically): one writer at a time, or an entry written meanwhile
    # would be lost. The lock is on the project's data folder, not on the file a rename replaces.
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            # a byte order mark, as the import log: Excel reads a CSV without one in the machine's code page
            old = ("\ufeff" + ";".join(HEADER) + "\n").encode("utf-8")
        atomic_write(path, old + (b"" if old.endswith(b"\n") else b"\n") + out.getvalue().encode("utf-8"))
    finally:
        os.close(fd)


def find_issue(register: Register, issue_id: str, claimed: str | None) -> Issue | None:
    """The record of ``issue_id``: looked up first in the claimed project's record, then in every
    other project's (to say whose workbook it is)."""
    projects = ([claimed] if claimed in register.projects else []) + sorted(p for p in register.projects
                                                                            if p != claimed)
    for project_id in projects:
        for issue in read_record(record_file(register, project_id)):
            if secrets.compare_digest(issue.id, issue_id) and issue.project == project_id:
                return issue
    return None
