"""Collecting from the people who know: workbooks out, returned workbooks in.

- ``make_workbook``: a project's workbook (register + this period's input), pre-filled.
- ``plan_import`` / ``apply``: a returned workbook checked like ``validate`` does (row-level
  findings naming ``file:sheet:row`` and column), merged three ways against what the workbook
  was made from (so a change made in the register meanwhile is kept, and a clash is reported),
  and written only when clean, each file atomically, with who reported and when.
- ``plan_new_project``: a project created from a filled-in blank workbook.
- ``process_inbox``: returned workbooks saved in ``config/inbox/`` are imported and moved to
  ``processed/`` or ``rejected/`` (with the findings beside them).
"""

from __future__ import annotations

import csv
import difflib
import fcntl
import hashlib
import io
import os
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError

from . import clock
from .data import (DECISIONS, HOURS_COLUMNS, LEDGER_COLUMNS, MILESTONE_COLUMNS, MILESTONE_STATUSES, ProjectData,
                   collect, read_milestones, read_notes)
from .errors import UserError
from .fileio import atomic_write
from .findings import Finding, has_errors, loc_text
from .issued import find_issue, new_id, record_issue
from .models import LEADER_ROLES, Project, ProjectNotes, StatusNote, error_loc
from .register import Register, display_path, validation_message
from .text import bad_character, name_key, printable_name, spreadsheet_text
from .validate import check_project
from .numbers import FIRST_YEAR, read_date
from .xlsxcells import EXCEL_MAX_TEXT
from .workbook import (INPUT_SHEETS, META, NOTE_LABELS, NOTE_LIST_TYPES, WorkbookContent, _text_of, not_a, project_data, read_value,
                       read_workbook, write_workbook, Kind)
from .yamledit import load_tree, new_yaml, update_yaml

PROJECT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
INBOX = "inbox"


# ---------------------------------------------------------------------------------------------
# Register data as the YAML files hold it


def yaml_data(model, *, full: bool = False) -> dict:
    """A model as the YAML files spell it: defaults left out, month-only milestones as 'YYYY-MM'."""
    data = model.model_dump(mode="python", exclude_defaults=not full)
    membership = getattr(model, "membership", None)
    if membership and isinstance(data.get("municipalities"), list):
        # a participant's years as written: {name: Elv, from: 2026} (not kept apart in dumps)
        data["municipalities"] = [
            {"name": n, **{k: v for k, v in (("from", membership[n].first), ("until", membership[n].until)) if v}}
            if n in membership else n for n in data["municipalities"]]
    for item in data.get("milestones") or []:
        if item.pop("month_only", False):
            item["date"] = f"{item['date']:%Y-%m}"
    return data


def progress_rows(register: Register, project: Project) -> list[dict]:
    """The project's milestone progress as plain rows (empty when it has no file yet)."""
    if not project.data.milestones:
        return []
    path = register.data_path(project.data.milestones)
    if not path.exists():
        return []
    table = read_milestones(path)
    rows = []
    for _, rec in table.frame.iterrows():
        # the workbook and the form have one date per milestone: the day it was finished, or the day
        # it was postponed or cancelled (Vedtaksdato); the status says which (see _is_decision)
        actual = rec["Faktisk dato"]
        if (not hasattr(actual, "date") or _nat(actual)) and "Vedtaksdato" in rec.index:
            actual = rec["Vedtaksdato"]
        rows.append({"number": int(rec["Milepæl"]), "status": str(rec["Status"]),
                     "actual": actual.date() if hasattr(actual, "date") and not _nat(actual) else None,
                     "comment": str(rec["Kommentar"] or "")})
    return rows


def _is_decision(status) -> bool:
    """utsatt or avlyst: the row's date is the day it was decided (Vedtaksdato in the data file)."""
    text = unicodedata.normalize("NFC", str(status or "")).strip().casefold()
    return MILESTONE_STATUSES.get(text) in DECISIONS


def _nat(value) -> bool:
    try:
        return value != value  # NaT/NaN
    except TypeError:
        return False


def _note_texts(note: StatusNote):
    """(path, text) of each piece of text a status note holds (what a workbook cell gets)."""
    for key in ("summary", "results", "reported_by"):
        yield (key,), getattr(note, key)
    for key in ("quality", "benefits"):
        if getattr(note, key) is not None:
            yield (key, "comment"), getattr(note, key).comment
    for key in ("deviations", "decisions", "next_period"):
        for index, text in enumerate(getattr(note, key)):
            yield (key, index), text


def _unholdable(note: StatusNote) -> tuple[tuple, str] | None:
    """The first text in ``note`` a workbook cell cannot hold, and why (a control character, or
    more characters than Excel keeps in a cell)."""
    for path, text in _note_texts(note):
        found = bad_character(text)
        if found:
            return path, f"contains the control character {found}; delete it (a plain line break is fine)"
        if len(text) > EXCEL_MAX_TEXT:
            return path, (f"is {len(text)} characters, more than a workbook cell holds ({EXCEL_MAX_TEXT}); "
                          f"shorten it")
    return None


def make_workbook(register: Register, project_id: str, as_of: date | None = None, *, issue: str | None = None) -> bytes:
    """The project's workbook, pre-filled with the register, progress and the last status note.
    Only a workbook made with an ``issue`` on record (``issue_workbook``) is taken back in."""
    project = register.project(project_id)
    council = register.council_of(project)
    as_of = as_of or clock.today()
    notes = ProjectNotes()
    if project.data.notes and register.data_path(project.data.notes).exists():
        notes, problems = read_notes(register.data_path(project.data.notes))
        wrong = next((f for f in problems if f.severity == "error"), None)
        if wrong is not None:
            # the workbook was made without the last note (its answers lost from the form) and exit 0
            raise UserError(f"{wrong.message} (fix the notes file first: the workbook is pre-filled from it)",
                            file=wrong.file, line=wrong.line, field=wrong.field)
    last = notes.note_for(as_of)         # never a note dated after the status date
    unholdable = _unholdable(last) if last is not None else None
    if unholdable:
        path, why = unholdable
        raise UserError(f"the status note of {last.as_of:%d.%m.%Y} {why} (a workbook cell could not hold it)",
                        file=display_path(register.data_path(project.data.notes)),
                        field=".".join(map(str, path)))
    note = last.model_dump(mode="python") if last else None
    return write_workbook(project_data(project), council_municipalities=[m.name for m in council.municipalities],
                          progress=progress_rows(register, project), note=note, as_of=as_of, issue=issue)


def issue_workbook(config, project_id: str, as_of: date, *, how: str, to: str | None = None,
                   now: datetime | None = None) -> bytes:
    """The project's workbook for ``as_of``, issued: its id recorded (``issued``) for this project
    and date, when, to whom (default: the project leader) and how it went out."""
    from .register import open_register

    register = config if isinstance(config, Register) else open_register(config)
    project = register.project(project_id)
    issue = new_id()
    payload = make_workbook(register, project_id, as_of, issue=issue)   # its refusals come before a record
    if to is None:
        to = project.leader.name + (f" <{project.leader.email}>" if project.leader.email else "")
    record_issue(register, project_id, as_of, issue, to=to, how=how, now=now)
    return payload


def make_blank(register: Register, council_id: str) -> bytes:
    council = register.council(council_id)
    return write_workbook({"council": council.id}, council_municipalities=[m.name for m in council.municipalities],
                          blank=True)


# ---------------------------------------------------------------------------------------------
# Findings located in the workbook


class _WorkbookRegister(Register):
    """The register with one project read from a workbook: findings point at sheet and row."""

    def __init__(self, base: Register, project: Project, content: WorkbookContent):
        super().__init__(root=base.root, councils=base.councils, projects={**base.projects, project.id: project},
                         sources=dict(base.sources))
        self._project_id = project.id
        self._content = content

    def where(self, kind, item_id, loc):
        if kind == "project" and item_id == self._project_id:
            file, row, _ = self._content.locate(tuple(loc))
            return file, row
        return super().where(kind, item_id, loc)


def _validation(exc: ValidationError, content: WorkbookContent, prefix: tuple = ()) -> list[Finding]:
    """Schema errors placed in the workbook; a cell already reported as unreadable is not repeated."""
    out = []
    unreadable = {(f.file, f.line) for f in content.findings if f.severity == "error"}
    for err in exc.errors():
        loc = prefix + error_loc(err)
        file, row, header = content.locate(loc)
        if (file, row) in unreadable:
            continue
        msg = validation_message(err, missing="value is missing", extra="unknown field")
        out.append(Finding("error", file, row, header or ".".join(map(str, loc[len(prefix):])), msg))
    return out


_TOTALS = re.compile(r"financing [^(]*?\skr\svs\scosts\s[^(]*?\skr\s")


def _totals_placed(findings: list[Finding], content: WorkbookContent) -> list[Finding]:
    """A finding on a table's totals (budget against financing) named by the workbook's row for them
    (Finansiering's 'Finansiering − kostnader', Budsjett's 'Sum'), not by the YAML key
    'budget.financing'; one on a Prosjekt row by the row's label ('Deltakende kommuner', not
    'municipalities[1]'). After _new_only, which matches findings by that key."""
    labels = {loc_text(loc): header for loc, (sheet, _, header) in content.where.items() if sheet == "Prosjekt"}
    out = []
    for f in findings:
        loc = tuple(f.field.split("."))
        sheet, row, header = content.where.get(loc, (None, None, ""))
        if loc[:1] == ("budget",) and len(loc) == 2 and header and f.file == f"{content.file}:{sheet}":
            f = Finding(f.severity, f.file, f.line, header, f.message)
        elif f.file == f"{content.file}:Prosjekt" and labels.get(f.field):
            f = Finding(f.severity, f.file, f.line, labels[f.field], f.message)
        out.append(f)
    return out


def _new_only(before: list[Finding], after: list[Finding]) -> list[Finding]:
    """Errors that were already in the register do not block an import; they stay as warnings.
    An imbalance is the same error while its difference is (a line changed on both sides by the
    same amount changes the totals the message names, not the mistake)."""
    def key(f: Finding) -> tuple[str, str]:
        return f.field, _TOTALS.sub("", f.message)

    known = {key(f) for f in before if f.severity == "error"}
    out = []
    for f in after:
        if f.severity == "error" and key(f) in known:
            f = Finding("warning", f.file, f.line, f.field, f.message + " (already so in the register)")
        out.append(f)
    return out


# ---------------------------------------------------------------------------------------------
# Changes to files


@dataclass
class FileChange:
    path: Path
    old: bytes | None
    new: bytes

    def diff(self) -> str:
        name = display_path(self.path)
        if self.path.suffix.lower() in (".xlsx", ".xlsm"):
            return f"--- {name}\n+++ {name}\n(workbook data file rewritten)\n"
        old = (self.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = self.new.decode("utf-8").splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"{name} (nå)", f"{name} (ny)"))


@dataclass
class ImportResult:
    """What importing a workbook would change, and why it may not."""

    file: str
    project: str | None
    findings: list[Finding] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)
    applied: bool = False
    reported_by: str = ""
    refusal_log: tuple[Path, bytes] | None = None    # the import log's line for a refused protected change

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    def diff(self) -> str:
        return "".join(change.diff() for change in self.changes)

    def summary(self) -> str:
        files = ", ".join(display_path(c.path) for c in self.changes) or "nothing"
        verb = "wrote" if self.applied else "would write"
        if not self.ok:
            errors = sum(f.severity == "error" for f in self.findings)
            return f"{self.file}: not imported, {errors} error(s)"
        return f"{self.file}: {verb} {files}" if self.changes else f"{self.file}: nothing new to import"


def _change(path: Path, new: bytes, changes: list[FileChange]) -> None:
    old = path.read_bytes() if path.exists() else None
    if old != new:
        changes.append(FileChange(path, old, new))


# ---------------------------------------------------------------------------------------------
# Three-way merge


def _merge_fields(base: dict | None, theirs: dict, current: dict, content: WorkbookContent,
                  made: str) -> tuple[dict, list[Finding]]:
    if base is None:
        return theirs, []
    merged, findings = dict(current), []
    for key in set(theirs) | set(current) | set(base):
        b, t, c = base.get(key), theirs.get(key), current.get(key)
        if t == b or t == c:
            continue
        if c == b:
            merged[key] = t
        else:
            file, row, header = content.locate((key,))
            findings.append(Finding("error", file, row, header or key,
                                    f"changed both here and in the register since the workbook was made "
                                    f"({made}); make a new workbook"))
    return merged, findings


# What a returned workbook may not change (the council's and the secretariat's, not the project
# leader's): who receives the documents, where the data files are, and how costs are split.
_WHO = "who receives the project's documents"
_WHERE = "where the project's data files are (another project's or a settings file could be overwritten)"
_SPLIT = "how the costs are split between the municipalities (the council's decision)"


def _protected_changes(base: dict, theirs: Project, content: WorkbookContent, project_id: str) -> list[Finding]:
    """One error per change the workbook makes (against what it was made from) to a field that
    decides who receives documents, where data files live or how costs are split."""
    theirs_d = _project_dict(theirs)
    changed: list[tuple[tuple, str, str]] = []          # (location, field shown, why)

    if base.get("recipients") != theirs_d.get("recipients"):
        changed.append((("recipients",), "recipients", _WHO))
    b_names = [name_key(m) for m in base.get("municipalities") or []]
    t_names = [name_key(m) for m in theirs_d.get("municipalities") or []]
    if sorted(b_names) != sorted(t_names):                   # (listed in another order is no change)
        index = next((i for i, name in enumerate(t_names) if i >= len(b_names) or name != b_names[i]), None)
        changed.append((("municipalities",) + ((index,) if index is not None else ()), "municipalities", _SPLIT))
    for group, why in (("data", _WHERE), ("split", _SPLIT)):
        b, t = base.get(group), theirs_d.get(group)
        for name in type(t).model_fields:
            if getattr(b, name, None) != getattr(t, name, None):
                changed.append(((group, name), f"{group}.{name}", why))
    for person in ("leader", "contact"):
        if _address(base.get(person)) != _address(theirs_d.get(person)):
            changed.append(((person, "email"), f"{person}.email", _WHO))
    b_group, t_group = base.get("steering_group") or [], theirs_d.get("steering_group") or []
    if _group_addresses(b_group) != _group_addresses(t_group):
        before = {_address(p) for p in b_group}
        index = next((i for i, p in enumerate(t_group) if _address(p) not in before), None)
        loc = ("steering_group",) if index is None else ("steering_group", index, "email")
        changed.append((loc, "steering_group", _WHO))
    findings = []
    for loc, shown, why in changed:
        file, row, header = content.locate(loc)
        findings.append(Finding("error", file, row, header or shown,
                                f"cannot be changed by a returned workbook: it decides {why}; nothing was "
                                f"imported. Put the value back (the secretariat changes it in "
                                f"projects/{project_id}.yaml)"))
    return findings


def _members_as_registered(merged: Project, current: Project) -> Project:
    """The participants as the register writes them. A workbook and the status form list them by
    name only: a name typed in another case ('elv') is the same member (``_protected_changes``), and
    no answer can say a member's years ({name: Elv, from: 2026}). So each keeps the register's
    spelling and years; before, the form's answer wrote `[Åsen, Berg, Dal, Elv]` and a retyped
    'elv' lost its `from:`, billing it for years before it joined."""
    spelled = {name_key(n): n for n in current.municipalities}
    names = [spelled.get(name_key(n), n) for n in merged.municipalities]
    membership = {n: current.membership[n] for n in names if n in current.membership}
    if names == merged.municipalities and membership == merged.membership:
        return merged
    return merged.model_copy(update={"municipalities": names, "membership": membership})


def _address(person) -> str | None:
    email = getattr(person, "email", None)
    return email.strip().casefold() if email else None


def _group_addresses(group: list) -> tuple:
    """The steering group as far as sending goes: every member's address (members without one
    count: a member added with an address later), and whose copy the leader's is."""
    leader = next((p for p in group if p.role.casefold() in LEADER_ROLES), group[0] if group else None)
    return tuple(sorted(str(_address(p)) for p in group)), _address(leader)


def _refusal_log(register: Register, project_id: str, now: datetime, content: WorkbookContent, source: bytes,
                 findings: list[Finding]) -> tuple[Path, bytes]:
    """The import log's line for a workbook refused for a protected field (written unless a dry run)."""
    log = register.data_path(f"data/{project_id}/innlesinger.csv")
    fields = ", ".join(dict.fromkeys(f"{f.file.rpartition(':')[2]}:{f.line or ''} {f.field}" for f in findings))
    who = str((content.note or {}).get("reported_by") or "")
    return log, _log_line(log, now, who, content.file, source, f"AVVIST, endret felt som ikke kan endres: {fields}")


def _project_dict(project: Project) -> dict:
    return {name: getattr(project, name) for name in Project.model_fields}


# ---------------------------------------------------------------------------------------------
# Import


def _read_progress(content: WorkbookContent) -> tuple[dict[int, dict], list[Finding]]:
    out, findings = {}, []
    for row in content.progress or []:
        try:
            number = read_value(row["number"], Kind("int"))
        except ValueError as exc:
            findings.append(Finding("error", f"{content.file}:Milepælstatus", row["_row"], "Nr", str(exc)))
            continue
        if number in out:
            findings.append(Finding("error", f"{content.file}:Milepælstatus", row["_row"], "Nr",
                                    f"milestone {number} is listed twice (also in row {out[number]['_row']}); "
                                    f"each milestone has one row"))
            continue
        actual = row["actual"]
        if isinstance(actual, datetime):
            actual = actual.date()
        elif not_a(actual, "a date"):
            findings.append(Finding("error", f"{content.file}:Milepælstatus", row["_row"], "Faktisk dato",
                                    f"cannot read {_text_of(actual)!r}: {not_a(actual, 'a date')}"))
            continue
        elif actual is not None and not isinstance(actual, date):
            try:
                actual = read_date(str(actual))
            except ValueError as exc:
                findings.append(Finding("error", f"{content.file}:Milepælstatus", row["_row"], "Faktisk dato",
                                        str(exc)))
                continue
        out[number] = {"number": number, "status": row["status"], "actual": actual, "comment": row["comment"],
                       "_row": row["_row"], "event": row.get("event") or ""}
    return out, findings


def _report_day(content: WorkbookContent) -> date | None:
    """The day the workbook reports for: the status note's date, else the day it was made for."""
    day = (content.note or {}).get("as_of")
    if isinstance(day, date):
        return day
    try:
        return date.fromisoformat(str(content.meta.get("as_of")))
    except ValueError:
        return None


def _same_row(a: dict | None, b: dict | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a["status"].casefold(), a.get("actual"), a.get("comment") or "") == \
        (b["status"].casefold(), b.get("actual"), b.get("comment") or "")


def _cell_of(row: dict | None, key: str):
    if row is None:
        return None
    value = row.get(key)
    return (value or "").casefold() if key == "status" else (value or "") if key == "comment" else value


def _progress_table(rows: list[dict]) -> tuple[list[str], list[list]]:
    """The progress file's header and rows: a date beside utsatt/avlyst goes to Vedtaksdato, a
    column written only when some row has one (a file without decisions keeps its four columns)."""
    decided = any(row.get("actual") and _is_decision(row["status"]) for row in rows)
    header = ["Milepæl", "Status", "Faktisk dato", "Kommentar"] + (["Vedtaksdato"] if decided else [])
    out = []
    for row in rows:
        actual, decision = row.get("actual"), _is_decision(row["status"])
        cells = [row["number"], row["status"], None if decision else actual, row.get("comment") or ""]
        out.append(cells + ([actual if decision else None] if decided else []))
    return header, out


def _progress_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    header, table = _progress_table(rows)
    writer.writerow(header)
    for cells in table:
        writer.writerow([c.strftime("%d.%m.%Y") if isinstance(c, date) else "" if c is None else c for c in cells])
    return out.getvalue().encode("utf-8")


def _progress_xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    header, table = _progress_table(rows)
    ws.append(header)
    for cells in table:
        ws.append(cells)
        for col in (3, 5)[:len(header) - 3]:
            ws.cell(ws.max_row, col).number_format = "DD.MM.YYYY"
        for col in (2, 4):
            ws.cell(ws.max_row, col).data_type = "s"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def plan_import(register: Register, path: Path, *, now: datetime | None = None,
                shown: str | None = None) -> ImportResult:
    """Read and check a returned workbook; the changes it would make (nothing is written).
    ``shown``: the name findings give the file (default: its path)."""
    shown = shown or printable_name(display_path(path))
    content = read_workbook(path, shown)
    if content.meta.get("kind") == "blank":
        raise UserError("this is a workbook for a new project: use 'grantflow new-project'", file=shown)
    if not isinstance(content.meta.get("snapshot"), dict) or not isinstance(content.meta.get("progress"), list):
        # Without what it was made from, every value in it would win over the register and the data
        # files, also over what was changed there since: it is not imported.
        raise UserError(f"the workbook does not say what it was made from (its hidden sheet {META!r} is missing or "
                        f"damaged: were its sheets copied into another workbook?); importing it could overwrite "
                        f"what was changed since. Make a new workbook with 'grantflow workbook PROJECT' and copy "
                        f"the answers into it", file=shown)
    refused = _not_issued(register, content, path.read_bytes(), now or datetime.now().astimezone().replace(microsecond=0))
    if refused is not None:
        return refused
    return plan_content(register, content, path.read_bytes(), now=now)


def _not_issued(register: Register, content: WorkbookContent, source: bytes, now: datetime) -> ImportResult | None:
    """The refusal of a workbook that does not speak for the project it names: its id (hidden
    sheet) not on record, on record for another project or status date, or missing (a workbook made
    before ids were recorded, or its id deleted). The hidden sheet is data anyone's program can
    rewrite (an outside tester made a Haugaland workbook claim Nord-Gudbrandsdal and wrote its
    note); the record (``issued``) is the secretariat's. None when it was issued for what it says."""
    shown = content.file
    claimed = content.meta.get("project")
    claimed = claimed if isinstance(claimed, str) else None
    issue_id = content.meta.get("issue")
    for_whom = repr(claimed) if claimed else "the project"

    def advice(as_of: str = "") -> str:
        return (f"nothing of it was taken in; ask the secretariat for a new workbook (grantflow workbook "
                f"{claimed or 'PROJECT'}{as_of}) and fill that in")

    found = None
    if isinstance(issue_id, str) and issue_id.isascii() and 0 < len(issue_id) <= 100:
        found = find_issue(register, issue_id, claimed)
    if issue_id is None:
        message, logged = (f"this workbook has no issue id (made before workbooks were recorded, or its hidden "
                           f"sheet {META!r} was edited), so it cannot be shown to be {for_whom}'s; {advice()}",
                           "AVVIST, arbeidsboken har ingen utstedelses-id")
    elif found is None:
        message, logged = (f"this workbook's issue id is not on record: it was not issued by grantflow for "
                           f"{for_whom} (its hidden sheet {META!r} was edited, or it comes from another "
                           f"installation); {advice()}", "AVVIST, arbeidsbokens id er ikke utstedt")
    elif found.project != claimed:
        message, logged = (f"this workbook was issued for {found.project!r}, not for {for_whom} as its hidden sheet "
                           f"now says (issued {found.issued[:10]} to {found.to}); {advice()}",
                           f"AVVIST, arbeidsboken ble utstedt for {found.project}, ikke for {claimed}")
    elif found.as_of != content.meta.get("as_of"):
        message, logged = (f"this workbook was issued for the status date {found.as_of}, not "
                           f"{content.meta.get('as_of')} as its hidden sheet now says; {advice(' --as-of DATE')}",
                           f"AVVIST, arbeidsboken ble utstedt for status per {found.as_of}")
    else:
        return None
    result = ImportResult(shown, claimed)
    result.findings.append(Finding("error", shown, None, "", message))
    # the inbox records it (nobody at a terminal): in the log of the project it would have written,
    # else of the project it was issued for
    logged_in = claimed if claimed in register.projects else found.project if found else None
    if logged_in is not None:
        log = register.data_path(f"data/{logged_in}/innlesinger.csv")
        who = str((content.note or {}).get("reported_by") or "")
        result.refusal_log = (log, _log_line(log, now, who, shown, source, logged))
    return result


def plan_content(register: Register, content: WorkbookContent, source: bytes, *,
                 now: datetime | None = None) -> ImportResult:
    """Check what a workbook (or the status form) says and plan the changes to the files.

    ``source``: the bytes it came as, recorded (as a hash) in the import log.
    """
    now = now or datetime.now().astimezone().replace(microsecond=0)
    shown = content.file
    result = ImportResult(shown, content.project.get("id") or content.meta.get("project"))
    result.findings += content.findings
    project_id = result.project
    made_for_id = content.meta.get("project")
    if made_for_id and project_id and made_for_id != project_id:
        # The hidden sheet knows which project the workbook was made for: an id typed over (a typo
        # or another project's) is that, not an unknown project to be made with new-project.
        file, row, header = content.locate(("id",))
        raise UserError(f"the project id was changed from {made_for_id!r} to {project_id!r}; ids cannot be "
                        f"changed by a workbook: put it back", file=file, line=row, field=header or "Prosjekt-id")
    if not project_id or project_id not in register.projects:
        known = ", ".join(sorted(register.projects))
        raise UserError(f"unknown project {project_id!r} (known: {known}); a new project is made with "
                        f"'grantflow new-project'", file=f"{shown}:Prosjekt", field="Prosjekt-id")
    current = register.project(project_id)
    # The council decides the municipalities, the split's figures and the recipients: a council id
    # typed over would refuse every municipality in turn (ten lines for one slip).
    made_for = content.meta.get("council") or current.council
    council = content.project.get("council")
    if council and council != made_for and council != current.council:
        file, row, header = content.locate(("council",))
        result.findings.append(Finding("error", file, row, header,
                                       f"the council was changed from {made_for!r} to {council!r}; a project moves "
                                       f"to another council in its register file, not by a workbook: put it back"))
        return result
    try:
        theirs = Project.model_validate(content.project)
    except ValidationError as exc:
        result.findings += _validation(exc, content)
        return result
    if any(f.severity == "error" and f.file.rpartition(":")[2] not in INPUT_SHEETS for f in result.findings):
        return result        # cross-checks on a table with an unreadable cell would only add noise
    # An unreadable cell in the period's input is its row's or field's own error: the rest is still
    # checked, so the leader sees every finding in one pass (an outside tester fixed one at a time).
    base = None
    if isinstance(content.meta.get("snapshot"), dict):
        try:
            base = _project_dict(Project.model_validate(content.meta["snapshot"]))
        except ValidationError:
            result.findings.append(Finding("error", f"{shown}:{META}", None, "",
                                           "cannot read what the workbook was made from (its hidden sheet is "
                                           "damaged); importing it could overwrite what was changed since: make a "
                                           "new workbook"))
    protected = _protected_changes(base, theirs, content, project_id) if base is not None else []
    if protected:
        # The whole workbook is refused: what else it says was written beside a change that is not
        # the leader's to make, and the secretariat should see it before anything is taken in.
        result.findings += protected
        result.refusal_log = _refusal_log(register, project_id, now, content, source, protected)
        return result
    made = str(content.meta.get("made", "?"))
    merged_fields, conflicts = _merge_fields(base, _project_dict(theirs), _project_dict(current), content, made)
    result.findings += conflicts
    merged = _members_as_registered(Project.model_validate({k: v for k, v in merged_fields.items()}), current)

    # Milestone progress, merged row by row.
    wb_rows, problems = _read_progress(content)
    result.findings += problems
    current_rows = {row["number"]: row for row in progress_rows(register, current)}
    base_rows = {}
    for row in content.meta.get("progress") or []:
        try:
            base_rows[int(row["number"])] = {**row, "actual": date.fromisoformat(row["actual"]) if row.get("actual")
                                             else None}
        except (KeyError, TypeError, ValueError):
            continue
    # The row's (locked) event names the milestone: a number changed to another milestone's would
    # move this row's progress onto it.
    events: dict[int, set[str]] = {}
    for milestones in (current.milestones, theirs.milestones, (base or {}).get("milestones") or []):
        for m in milestones:
            events.setdefault(m.number, set()).add(m.event.strip().casefold())
    for number, t in wb_rows.items():
        event = t.get("event", "").strip().casefold()
        if not event or number not in events or event in events[number]:
            continue
        if any(event in names for names in events.values()):
            # another milestone's event: the number was changed
            result.findings.append(Finding(
                "error", f"{shown}:Milepælstatus", t["_row"], "Nr",
                f"milestone {number} is not {t['event']!r} (the row's Hendelse); the number was changed: "
                f"put it back, each row keeps its milestone's number"))
        else:
            # no milestone's event: the (locked) Hendelse text was edited, which changes nothing
            planned = next((m.event for m in current.milestones if m.number == number), None)
            result.findings.append(Finding(
                "error", f"{shown}:Milepælstatus", t["_row"], "Hendelse",
                f"{t['event']!r} is not milestone {number}'s event in the plan"
                + (f" ({planned!r})" if planned else "") + "; this column only shows the plan: put it back "
                "(a milestone's event is changed in the Milepæler sheet)"))
    # A milestone is not reached after the day it is reported for (a date already in the data stays);
    # a day still to come is the milestone reader's finding (one line for one mistake).
    report_day = _report_day(content)
    for number, t in wb_rows.items():
        actual, decision = t.get("actual"), _is_decision(t.get("status"))
        # a decision dated after the report day is fine: the reports show it from that day on
        if report_day and actual and not decision and report_day < actual <= clock.today() and \
                all(actual != (r or {}).get("actual") for r in (base_rows.get(number), current_rows.get(number))):
            result.findings.append(Finding(
                "error", f"{shown}:Milepælstatus", t["_row"], "Faktisk dato",
                f"{actual:%d.%m.%Y} is after the report date {report_day:%d.%m.%Y}; a milestone is reached "
                f"on or before the day reported for"))
        # Nor before the project started: a year typed wrong (2014 for 2016, Excel's day 60 of
        # 1900) would go into every report as the day it was reached.
        start = merged.period.start
        if actual and FIRST_YEAR <= actual.year and actual < start and \
                all(actual != (r or {}).get("actual") for r in (base_rows.get(number), current_rows.get(number))):
            result.findings.append(Finding(
                "error", f"{shown}:Milepælstatus", t["_row"], "Faktisk dato",
                f"{actual:%d.%m.%Y} is before the project started ({start:%d.%m.%Y}); give the day "
                + ("it was decided" if decision else "the milestone was reached")))
    # A milestone whose row was deleted from the sheet: its progress would silently vanish.
    unsure = any(f.severity == "error" and f.field == "Nr" and f.file.endswith(":Milepælstatus")
                 for f in result.findings)                # a row whose number is unreadable is one error
    if content.listed is not None and not unsure:
        planned = {m.number for m in merged.milestones}
        for number in sorted((set(base_rows) | set(current_rows)) & planned - content.listed):
            result.findings.append(Finding(
                "error", f"{shown}:Milepælstatus", None, "Nr",
                f"milestone {number} has no row (deleted?); its progress in the data file would be lost: put the "
                f"row back (to clear a milestone's progress, empty its Status, Faktisk dato and Kommentar)"))
    new_rows = dict(current_rows)
    if content.progress is not None:
        for number in sorted(set(wb_rows) | set(base_rows)):
            t, b, c = wb_rows.get(number), base_rows.get(number), current_rows.get(number)
            if _same_row(t, b) or _same_row(t, c):
                continue
            if _same_row(c, b) or not base_rows:
                if t is None:
                    new_rows.pop(number, None)
                else:
                    new_rows[number] = t
            else:
                # name the columns that differ (a comment changed on both sides was reported as "Status")
                differ = [label for label, key in (("Status", "status"), ("Faktisk dato", "actual"),
                                                   ("Kommentar", "comment"))
                          if _cell_of(t, key) != _cell_of(c, key)] or ["Status"]
                since = "the form was offered" if content.meta.get("kind") == "form" else "the workbook was made"
                result.findings.append(Finding(
                    "error", f"{shown}:Milepælstatus", (t or {}).get("_row"), differ[0],
                    f"milestone {number} was changed both here and in the data file since {since} "
                    f"({made})" + (f"; they differ in {', '.join(differ)}" if len(differ) > 1 else "")))
    order = {m.number: i for i, m in enumerate(merged.milestones)}
    progress = sorted(new_rows.values(), key=lambda r: (order.get(r["number"], 10_000), r["number"]))

    # The status note.
    note_data = dict(content.note or {}) if content.note is not None else None
    note = None
    if note_data is not None:
        result.reported_by = note_data.get("reported_by", "")
        if not note_data.get("reported_by"):
            file, row, header = content.locate(("note", "reported_by"))
            result.findings.append(Finding("error", file, row, header, "value is missing (who is reporting)"))
        try:
            note = StatusNote.model_validate({**note_data, "reported_at": now})
        except ValidationError as exc:
            result.findings += _validation(exc, content, ("note",))
        if note is not None and _unholdable(note):
            # It would go out in the next workbook, which no cell could then hold.
            path, why = _unholdable(note)
            file, row, header = content.locate(("note",) + path)
            result.findings.append(Finding("error", file, row, header or ".".join(map(str, path)), why))
            note = None
        made_for = content.meta.get("as_of") if content.meta.get("kind") == "project" else None
        if note is not None and made_for and note.as_of.isoformat() != made_for:
            # The (locked) status date changed: the answer would belong to another report than
            # the one it was asked for, and a far date would hide it from every report before it.
            file, row, header = content.locate(("note", "as_of"))
            result.findings.append(Finding(
                "error", file, row, header,
                f"the status date was changed from {date.fromisoformat(made_for):%d.%m.%Y} to {note.as_of:%d.%m.%Y}; "
                f"the workbook reports for the date it was made for: put it back, or make a new workbook with "
                f"'grantflow workbook {result.project} --as-of {note.as_of.isoformat()}'"))
            note = None

    # New data file paths where the project has none yet.
    data_paths = {}
    if content.progress and progress and not merged.data.milestones:
        data_paths["milestones"] = f"data/{merged.id}/milepaeler.csv"
    if note is not None and not merged.data.notes:
        data_paths["notes"] = f"data/{merged.id}/notater.yaml"
    if data_paths:
        merged = merged.model_copy(update={"data": merged.data.model_copy(update=data_paths)})

    # Cross-checks, as 'validate' does them, with findings placed in the workbook.
    changes: list[FileChange] = []
    with tempfile.TemporaryDirectory(prefix="grantflow-import-") as tmp:
        data_after = _data_after(register, current, merged, progress, note, content, Path(tmp), result)
        try:
            before = check_project(register, current, collect(register, current))
        except UserError:
            before = []
        after = check_project(_WorkbookRegister(register, merged, content), merged, data_after)
    result.findings += _totals_placed(_new_only(before, after), content)
    result.findings = _dedupe(result.findings)
    if not result.ok:
        return result

    # The files to write.
    if progress and merged.data.milestones and (progress != list(current_rows.values()) or
                                                 not register.data_path(merged.data.milestones).exists()):
        target = register.data_path(merged.data.milestones)
        clean = [{k: v for k, v in r.items() if k != "_row"} for r in progress]
        if _readable(target, lambda: read_milestones(target).findings, "milestone progress", result):
            _change(target, _progress_xlsx(clean) if target.suffix.lower() in (".xlsx", ".xlsm") else
                    _progress_csv(clean), changes)
    if note is not None:
        _note_change(register, merged, note, changes, result, base=_base_note(content, note),
                     made=made, where=content.locate(("note", "summary")), dated=content.locate(("note", "as_of")))
    if merged != current:
        located = register.source("project", merged.id)
        file = Path(located.file) if located else register.root / "projects" / f"{merged.id}.yaml"
        if not file.is_absolute():
            file = Path(os.getcwd()) / file
        text = file.read_text(encoding="utf-8")
        new_text = update_yaml(text, yaml_data(merged), yaml_data(merged, full=True))
        _change(file, new_text.encode("utf-8"), changes)
    if changes:
        log = register.data_path(f"data/{merged.id}/innlesinger.csv")
        _change(log, _log_bytes(log, now, result.reported_by, shown, source, changes), changes)
    result.changes = changes
    return result


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


def _data_after(register, current, merged, progress, note, content, tmp: Path, result) -> ProjectData | None:
    """The project's data as it would be after the import, read the way 'validate' reads it."""
    try:
        data = collect(register, current)
    except UserError:
        data = ProjectData()
    if progress:
        path = tmp / "milepaeler.csv"
        path.write_bytes(_progress_csv([{k: v for k, v in r.items() if k != "_row"} for r in progress]))
        table = read_milestones(path)
        rows = {i + 2: r.get("_row") for i, r in enumerate(progress)}
        shown = display_path(register.data_path(merged.data.milestones)) if merged.data.milestones else "milepæler"
        # the sheet's one date column holds what the file keeps as Vedtaksdato
        table.findings = [Finding(f.severity, f"{content.file}:Milepælstatus" if rows.get(f.line) else shown,
                                  rows.get(f.line) or f.line,
                                  "Faktisk dato" if rows.get(f.line) and f.field == "Vedtaksdato" else f.field,
                                  f.message) for f in table.findings]
        frame = table.frame
        frame["_row"] = [rows.get(int(r)) or int(r) for r in frame["_row"]]
        table.file = f"{content.file}:Milepælstatus"
        # A row left out for an error is that error's row, not a missing row (as 'validate' has it)
        table.findings += [f for f in result.findings if f.severity == "error" and f.file == table.file]
        data.milestones = table
    return data


def _base_note(content: WorkbookContent, note: StatusNote) -> StatusNote | None:
    """The status note the workbook was pre-filled with (None: it does not say, e.g. the form)."""
    if not isinstance(content.meta.get("note"), dict):
        return None
    try:
        return StatusNote.model_validate({**content.meta["note"], "as_of": note.as_of})
    except ValidationError:
        return None


def _content_of(n: StatusNote) -> dict:
    """What a status note says (not who reported it when)."""
    return n.model_dump(exclude={"as_of", "reported_by", "reported_at", "not_reported", "explanation"})


def _readable(path: Path, findings, what: str, result: ImportResult) -> bool:
    """Whether the data file ``path`` reads without errors, so that rewriting it keeps all it holds.
    A row or note that cannot be read is left out of what is read: writing the file from that
    would delete it without a word. Otherwise one error for the import."""
    if not path.exists():
        return True
    try:
        problems = [f for f in findings() if f.severity == "error"]
    except UserError as exc:
        problems = [Finding("error", exc.file or display_path(path), exc.line, exc.field or "", exc.message)]
    if not problems:
        return True
    first = problems[0]
    more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
    result.findings.append(Finding(
        "error", display_path(path), first.line, first.field,
        f"cannot write the {what}: the file has errors ({first.message}{more}); what cannot be read would be "
        f"lost: fix the file first ('grantflow validate')"))
    return False


def _note_change(register: Register, project: Project, note: StatusNote, changes: list[FileChange],
                 result: ImportResult, *, always: bool = False, base: StatusNote | None = None,
                 made: str = "?", where: tuple = (None, None, ""), dated: tuple = (None, None, "")) -> None:
    path = register.data_path(project.data.notes)
    if not _readable(path, lambda: read_notes(path)[1], "status note", result):
        return
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    notes, _ = read_notes(path) if path.exists() else (ProjectNotes(), [])
    previous = notes.note_for(note.as_of)     # what the workbook was pre-filled from (make_workbook)
    same_day = next((n for n in notes.status if n.as_of == note.as_of), None)
    lists = NOTE_LIST_TYPES.values()
    if base is not None and same_day is None and any(getattr(base, k) for k in lists) and \
            all(getattr(base, k) == getattr(note, k) for k in lists):
        # A workbook made before a new date's lists started empty (7ae9fbe) was pre-filled with the
        # last note's deviations, decisions and next-period items: returned untouched, they were
        # filed as this date's, and a settled decision went to the steering group again
        # (found by an outside tester with such a workbook, still in circulation).
        result.findings.append(Finding(
            "error", where[0] or f"{result.file}:Statusnotat", where[1], "Avvik og beslutninger",
            f"this workbook (made {made}) was pre-filled with the last status note's deviations, decisions and "
            f"next-period items, and they come back unchanged for {note.as_of:%d.%m.%Y}: last period's are not "
            "taken as this period's. Delete in «Avvik og beslutninger» what no longer applies and import again, or "
            "make a new workbook ('grantflow workbook'), which starts them empty"))
        return
    # A named return for a date without a note is this date's report even when nothing changed:
    # it was 'not written', and the status report said the note was not updated (outside tester)
    reported = bool(note.reported_by) and same_day is None and (note.as_of <= project.period.end or
                                                                 note.as_of <= clock.today())
    if not always and not reported and previous is not None and _content_of(previous) == _content_of(note):
        result.findings.append(Finding("warning", f"{result.file}:Statusnotat", None, "",
                                       f"the status note is unchanged since {previous.as_of:%d.%m.%Y}; not written"))
        return
    if base is not None and not reported and _content_of(base) == _content_of(note):
        # Nothing reported in the workbook's note: a note written meanwhile (another workbook, the
        # form) for this date is kept, not replaced by what this workbook was pre-filled with.
        result.findings.append(Finding("warning", f"{result.file}:Statusnotat", None, "",
                                       "the status note is as the workbook was pre-filled; not written"))
        return
    if base is not None and same_day is not None and _content_of(same_day) != _content_of(base):
        who = f" by {same_day.reported_by}" if same_day.reported_by else ""
        when = f" at {same_day.reported_at:%d.%m.%Y %H:%M}" if same_day.reported_at else ""
        result.findings.append(Finding(
            "error", where[0] or f"{result.file}:Statusnotat", where[1], where[2] or "",
            f"the status note for {note.as_of:%d.%m.%Y} was changed both here and in the notes file since the "
            f"workbook was made ({made}; reported there{who}{when}); make a new workbook"))
        return
    if note.as_of > project.period.end and note.as_of > clock.today() and not note.not_reported:
        # The notes reader refuses such a note (no report can use it): never write one. A workbook
        # made before the period was shortened, or its hidden date edited.
        result.findings.append(Finding(
            "error", dated[0] or f"{result.file}:Statusnotat", dated[1], dated[2] or "Statusdato",
            f"the status date {note.as_of:%d.%m.%Y} is after the project ended ({project.period.end:%d.%m.%Y}) and "
            f"after today: no report can use the note; make a new workbook for a date in the project"))
        return
    if same_day is not None and not note.explanation and same_day.explanation:
        note = note.model_copy(update={"explanation": same_day.explanation})   # not in the workbook: kept
    carried = _carried_over(previous, note) if same_day is None else []
    if carried:
        # A new date's workbook and form are pre-filled with the last note's assessment, to edit:
        # returned with only the name typed, last period's summary reached the steering group as
        # this period's without a word. Written (the leader named it theirs), but said.
        result.findings.append(Finding(
            "warning", f"{result.file}:Statusnotat", None, ", ".join(carried),
            f"word for word as in the status note of {previous.as_of:%d.%m.%Y} (pre-filled): check that "
            f"{'it still holds' if len(carried) == 1 else 'they still hold'} for {note.as_of:%d.%m.%Y} before the "
            "status report goes out"))
    status = [n for n in notes.status if n.as_of != note.as_of] + [note]
    status.sort(key=lambda n: n.as_of)
    new_notes = notes.model_copy(update={"status": status})
    data = new_notes.model_dump(mode="python", exclude_defaults=True)
    full = new_notes.model_dump(mode="python")
    new_text = update_yaml(text, data, full) if text.strip() else new_yaml(
        data, f"Statusnotater for {project.name} (grantflow import)")
    _change(path, new_text.encode("utf-8"), changes)


def _carried_over(previous: StatusNote | None, note: StatusNote) -> list[str]:
    """The assessment fields (their workbook labels) a note for a new date has word for word from
    the last earlier note: what was pre-filled and came back unchanged."""
    if previous is None or previous.as_of >= note.as_of:
        return []
    same = []
    if note.summary.strip() and note.summary == previous.summary:
        same.append(NOTE_LABELS["summary"])
    for key in ("quality", "benefits"):
        mine, theirs = getattr(note, key), getattr(previous, key)
        # the comment alone: a new colour over last period's comment kept word for word is that
        # comment carried over (a reviewer's grønn→gul with the green comment was not said)
        if mine is not None and theirs is not None and mine.comment.strip() and mine.comment == theirs.comment:
            same.append(NOTE_LABELS[f"{key}.comment"])
    if note.results.strip() and note.results == previous.results:
        same.append(NOTE_LABELS["results"])
    return same


def _log_bytes(log: Path, now: datetime, who: str, shown: str, source: bytes, changes: list[FileChange]) -> bytes:
    return _log_line(log, now, who, shown, source, ", ".join(c.path.name for c in changes))


def _log_line(log: Path, now: datetime, who: str, shown: str, source: bytes, what: str) -> bytes:
    # A new log starts with a byte order mark: Excel, which the secretariat opens it in, reads a
    # CSV without one in the machine's code page ("Ã¸" for "ø"); an old log is added to as it is
    old = log.read_bytes() if log.exists() else "\ufeffTidspunkt;Rapportert av;Arbeidsbok;SHA-256;Endret\n".encode()
    digest = hashlib.sha256(source).hexdigest()     # all of it: the README says its SHA-256 (lines before: 16 digits)
    out = io.StringIO()
    # one line per import, whatever a field holds: a line break is escaped, never quoted into the record
    csv.writer(out, delimiter=";", lineterminator="\n").writerow(
        [now.isoformat(), spreadsheet_text(printable_name(who)), spreadsheet_text(printable_name(Path(shown).name)),
         digest, printable_name(what)])
    return old + out.getvalue().encode("utf-8")


@contextmanager
def register_lock(config):
    """One import at a time per config folder (two processes could otherwise interleave writes).

    Taken *before* the register is read: an import that waited for another must see what that one
    wrote, or its stale copy of the register would write the other's changes away."""
    from .register import config_root

    root = config.root if isinstance(config, Register) else config_root(config)
    fd = os.open(root, os.O_RDONLY)      # the config folder itself: no lock file left behind
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def apply(result: ImportResult) -> ImportResult:
    """Write the planned changes, each file atomically (data files first, the register last)."""
    if not result.ok:
        raise UserError("the workbook has errors; nothing written", file=result.file)
    for change in result.changes:
        atomic_write(change.path, change.new)
    result.applied = True
    return result


def import_workbook(config, path: Path, *, dry_run: bool = False, now: datetime | None = None) -> ImportResult:
    """Check a returned workbook and, when clean and not a dry run, merge it into the files."""
    from .register import open_register

    with register_lock(config):
        register = open_register(config)
        result = plan_import(register, path, now=now)
        if result.ok and not dry_run and result.changes:
            apply(result)
    return result


def record_refusal(result: ImportResult) -> None:
    """Add the refused workbook's line to the project's import log, when it was refused for a field
    it may not change. The inbox does so (the watch and the status cycle take it in with nobody at a
    terminal); 'grantflow import' shows the refusal to the person who ran it and writes nothing."""
    if result.refusal_log is not None:
        atomic_write(*result.refusal_log)


def record_no_answer(config, project_id: str, as_of: date, *, now: datetime | None = None) -> ImportResult:
    """Record that the project leader did not report for ``as_of``: a status note marked
    ``not_reported`` (the report then says "ikke rapportert"). Nothing is written when the period
    already has a note (an answer that came in after all, or this mark from an earlier attempt)."""
    from .register import open_register

    now = now or datetime.now().astimezone().replace(microsecond=0)
    result = ImportResult("ingen svar", project_id)
    with register_lock(config):
        register = open_register(config)
        project = register.project(project_id)
        if not project.data.notes:
            result.findings.append(Finding("warning", f"projects/{project_id}", None, "data.notes",
                                           "the project has no notes file; the report says 'not assessed'"))
            return result
        path = register.data_path(project.data.notes)
        notes, _ = read_notes(path) if path.exists() else (ProjectNotes(), [])
        if any(n.as_of == as_of for n in notes.status):
            return result
        _note_change(register, project, StatusNote(as_of=as_of, not_reported=True, reported_at=now),
                     result.changes, result, always=True)
        if not result.ok:                 # the notes file does not read whole: it is not rewritten
            problem = next(f for f in result.findings if f.severity == "error")
            raise UserError(f"cannot record that nobody answered: {problem.message}", file=problem.file,
                            line=problem.line, field=problem.field)
        apply(result)
    return result


# ---------------------------------------------------------------------------------------------
# New project


def plan_new_project(register: Register, path: Path) -> ImportResult:
    shown = printable_name(display_path(path))
    content = read_workbook(path, shown)
    result = ImportResult(shown, content.project.get("id"))
    result.findings += content.findings
    project_id = content.project.get("id")
    where = content.locate(("id",))
    if not project_id:
        result.findings.append(Finding("error", where[0], where[1], where[2], "value is missing"))
    elif not PROJECT_ID.match(str(project_id)):
        result.findings.append(Finding("error", where[0], where[1], where[2],
                                       f"{project_id!r}: use 2–63 small letters a–z, digits and '-'"))
    elif project_id in register.projects:
        result.findings.append(Finding("error", where[0], where[1], where[2],
                                       f"project {project_id!r} exists already (import changes with "
                                       f"'grantflow import')"))
    try:
        project = Project.model_validate(content.project)
    except ValidationError as exc:
        found = _validation(exc, content)
        if any((f.file, f.line, f.field) == where for f in found):
            # The model says what is wrong with the id itself: one line for one mistake.
            result.findings = [f for f in result.findings if (f.file, f.line, f.field) != where]
        result.findings = _dedupe(result.findings + found)
        return result
    if not result.ok:
        return result
    result.findings = _dedupe(result.findings + check_project(_WorkbookRegister(register, project, content),
                                                             project, None))
    if not result.ok:
        return result
    # The data files it names, with just their header rows: a project said to be clean is ready for
    # every command (an application failed on a progress file it never reads), and the secretariat
    # gets the columns to fill in. A file already there is left as it is.
    for key in ("milestones", "ledger", "hours", "notes"):
        relative = getattr(project.data, key)
        path = register.data_path(relative) if relative else None
        if path is not None and not path.exists() and all(c.path != path for c in result.changes):
            result.changes.append(FileChange(path, None, _empty_data_file(key, path, project)))
    target = register.root / "projects" / f"{project.id}.yaml"
    header = (f"{project.name}: created from the workbook {Path(shown).name} by grantflow new-project "
              f"on {clock.now():%Y-%m-%d %H:%M}.")
    _change(target, new_yaml(yaml_data(project), header).encode("utf-8"), result.changes)   # written last
    return result


def _empty_data_file(key: str, path: Path, project: Project) -> bytes:
    """A data file with its header row only (the notes file: no notes yet)."""
    if key == "notes":
        return new_yaml({"status": []}, f"Statusnotater for {project.name} (grantflow new-project)").encode("utf-8")
    columns = {"milestones": MILESTONE_COLUMNS, "ledger": LEDGER_COLUMNS, "hours": HOURS_COLUMNS}[key]
    # the Prosjekt column is for a ledger shared by several projects; Vedtaksdato is written by the
    # first import that has a decision to postpone or cancel
    names = [c.name for c in columns if (c.name != "Prosjekt" or project.data.ledger_code) and c.name != "Vedtaksdato"]
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.append(names)
        buffer = io.BytesIO()
        wb.save(buffer)
        return buffer.getvalue()
    return ("\ufeff" + ";".join(names) + "\n").encode("utf-8")     # Excel opens it as UTF-8


def new_project(config, path: Path, *, dry_run: bool = False) -> ImportResult:
    from .register import open_register

    with register_lock(config):
        register = open_register(config)
        result = plan_new_project(register, path)
        if result.ok and not dry_run:
            target = result.changes[-1].path
            if target.exists():
                raise UserError("the project file appeared meanwhile; nothing written", file=display_path(target))
            # a data file that appeared meanwhile is never overwritten
            result.changes = [c for c in result.changes[:-1] if not c.path.exists()] + result.changes[-1:]
            apply(result)
    return result


# ---------------------------------------------------------------------------------------------
# Drop folder


@dataclass
class InboxItem:
    file: str
    project: str | None
    outcome: str                  # imported | unchanged | rejected
    moved_to: str
    findings: list[Finding] = field(default_factory=list)


def _inbox_project(path: Path) -> str | None:
    """The project a workbook in the inbox belongs to, from its hidden metadata (cheap)."""
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            if "_grantflow" not in wb.sheetnames:
                return None
            from .xlsxcells import sheet_rows

            for _, cells in sheet_rows(wb["_grantflow"]):     # only the cells present, never padded
                if cells.get(1) == "project":
                    import json

                    return json.loads("".join(str(cells[c]) for c in sorted(cells) if c > 1))
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 - an unreadable file is handled (rejected) by the import itself
        return None
    return None


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
CLAIMED = ".arbeid"


def _safe_name(name: str, limit: int = 100) -> str:
    """The name a file gets in the inbox's folders: printable, without backslashes, at most
    ``limit`` bytes (a file system takes 255; a stamp goes in front)."""
    text = printable_name(name).replace("\\", "_").replace("/", "_")
    suffix = Path(text).suffix if len(Path(text).suffix) <= 6 else ""
    stem = text[:len(text) - len(suffix)] if suffix else text
    while len((stem + suffix).encode("utf-8")) > limit:
        stem = stem[:-1]
    return (stem or "arbeidsbok") + suffix


def _vacant(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3`` … when taken: a moved file never replaces another."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while target.exists() or Path(str(target) + ".funn.txt").exists():
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    return target


def _lock_file(path: Path) -> int | None:
    """An open descriptor holding an exclusive lock on ``path``'s file, or None when the file is
    gone or another run holds it. The lock goes with the process: a run killed mid-import frees it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except PermissionError:
        return -1                                           # unreadable: claimed without a lock
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.stat(path).st_ino != os.fstat(fd).st_ino:
            raise FileNotFoundError(path)                   # moved on by the run that held it
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        return None
    return fd


def _close(fd: int) -> None:
    if fd >= 0:
        os.close(fd)


def _claims(inbox: Path, stamp: str, wanted):
    """(name shown, claimed path, lock) for each file to take in: first those a killed run left in
    ``.arbeid/`` (nobody holds their lock), then the inbox's files, each locked *before* it is moved
    into ``.arbeid/`` so that two runs never take the same file."""
    work = inbox / CLAIMED
    if work.is_dir():
        for path in sorted(work.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            fd = _lock_file(path)
            if fd is None:
                continue
            if not wanted(path):
                _close(fd)
                continue
            yield printable_name(path.name), path, fd
    for path in sorted(inbox.iterdir()):
        if path.name.startswith(("~$", ".")) or path.name.casefold() in OS_FILES or not path.is_file():
            continue                       # Excel's lock files, hidden files, Windows' own files, the folders
        fd = _lock_file(path)
        if fd is None:
            continue                       # another run has it
        if not wanted(path):
            _close(fd)
            continue
        work.mkdir(exist_ok=True)
        claimed = _vacant(work, f"{stamp}-{os.getpid()}-{_safe_name(path.name)}")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            _close(fd)
            continue
        yield printable_name(path.name), claimed, fd


# Files the operating system puts in a folder by itself (Windows' thumbnail cache and folder
# settings): refused on every run they were, naming a file nobody put there (an outside tester)
OS_FILES = {"thumbs.db", "desktop.ini", "ehthumbs.db"}


def process_inbox(config=None, project: str | None = None, *, now: datetime | None = None) -> list[InboxItem]:
    """Import every returned workbook in ``config/inbox/`` (only ``project``'s when given).

    A file is claimed by locking it and moving it into ``inbox/.arbeid/``, so two runs at once never
    import the same file twice; one a killed run left there is taken in by the next run. Clean ones
    go to ``inbox/behandlet/``, others (any file that is not an .xlsx workbook too) to
    ``inbox/avvist/`` with a ``.funn.txt`` beside them listing the findings. A moved file never
    replaces another; odd file names (line breaks, bytes that are not UTF-8, 250 characters) are
    shown escaped and shortened.
    """
    from .register import config_root

    root = config_root(config)
    inbox = root / INBOX
    if not inbox.is_dir():
        return []
    now = now or datetime.now().astimezone().replace(microsecond=0)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    items: list[InboxItem] = []
    def wanted(path: Path) -> bool:
        return project is None or _inbox_project(path) in (project, None)

    for name, claimed, fd in _claims(inbox, stamp, wanted):
        try:
            items.append(_take_in(config, inbox, name, claimed, now))
        finally:
            _close(fd)
    return items


def inbox_others(config, project: str) -> list[tuple[str, str]]:
    """(file name, project) of each workbook in ``config/inbox/`` left there for another project
    than ``project`` (what 'grantflow inbox PROJECT' did not take in)."""
    from .register import config_root

    inbox = config_root(config) / INBOX
    if not inbox.is_dir():
        return []
    out = []
    for path in sorted(inbox.iterdir()):
        if path.name.startswith(("~$", ".")) or path.name.casefold() in OS_FILES or not path.is_file():
            continue
        owner = _inbox_project(path)
        if owner is not None and owner != project:
            out.append((printable_name(path.name), owner))
    return out


def _take_in(config, inbox: Path, name: str, claimed: Path, now: datetime) -> InboxItem:
    from .register import open_register

    findings: list[Finding] = []
    owner = None
    detail = ""
    shown = name
    if claimed.suffix.lower() not in WORKBOOK_SUFFIXES:
        findings = [Finding("error", shown, None, "", "not an Excel workbook (.xlsx): save it in Excel as "
                                                     "'Excel-arbeidsbok (*.xlsx)' and put it in the inbox again")]
        outcome = "rejected"
    else:
        try:
            with register_lock(config):
                register = open_register(config)
                result = plan_import(register, claimed, now=now, shown=name)
                owner = result.project
                findings = result.findings
                if result.ok and result.changes:
                    apply(result)
                else:
                    record_refusal(result)
            outcome = "imported" if result.ok and result.changes else "unchanged" if result.ok else "rejected"
        except UserError as exc:
            findings = [Finding("error", exc.file or shown, exc.line, exc.field or "", exc.message)]
            outcome = "rejected"
        except Exception as exc:  # noqa: BLE001 - a bug must not keep the other files (or this one) stuck
            import traceback

            findings = [Finding("error", shown, None, "", f"internal error ({type(exc).__name__}: "
                                                         f"{printable_name(str(exc))[:200]}); a bug in grantflow, "
                                                         f"not in the workbook: send this file to the maintainers")]
            detail = "\n" + traceback.format_exc()
            outcome = "rejected"
    folder = inbox / ("avvist" if outcome == "rejected" else "behandlet")
    folder.mkdir(exist_ok=True)
    final = _vacant(folder, claimed.name)
    os.rename(claimed, final)
    if findings:
        text = "".join(f"{f}\n" for f in findings) + detail
        atomic_write(final.with_name(final.name + ".funn.txt"), text.encode("utf-8", "backslashreplace"))
    return InboxItem(name, owner, outcome, display_path(final), findings)
