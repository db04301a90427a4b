"""Data collection: milestone progress, cost ledger and own-effort hours from CSV or XLSX.

Columns have Norwegian names (see README, "Datafiler"); headers are matched without regard to
case, spacing or underscores. Norwegian numbers ("1 234,50", "1 234 kr", non-breaking spaces)
and dates ("21.09.2015", "2015-09-21") are accepted. Parsing is vectorised with pandas so a
million ledger rows cost little more than reading them.

Every reader returns the clean rows plus findings naming file, row (header = row 1) and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pydantic import ValidationError

from .errors import UserError
from .findings import Finding
from .models import ProjectNotes
from .register import display_path, validation_findings
from .yamlfile import load_yaml


@dataclass(frozen=True)
class Column:
    name: str           # canonical Norwegian name, as documented
    kind: str           # "int" | "number" | "date" | "text" | "flag"
    required: bool = True
    aliases: tuple[str, ...] = ()
    strip: bool = True   # free text shown as written need not be stripped (saves a pass)


MILESTONE_COLUMNS = (
    Column("Milepæl", "int", aliases=("nr", "milepael", "milepæl nr")),
    Column("Status", "text"),
    Column("Faktisk dato", "date", required=False, aliases=("dato", "faktisk")),
    Column("Kommentar", "text", required=False),
)
LEDGER_COLUMNS = (
    Column("Dato", "date"),
    Column("År", "int", required=False, aliases=("aar", "year")),
    Column("Kategori", "text", aliases=("budsjettkategori",)),
    Column("Beskrivelse", "text", required=False, aliases=("tekst",), strip=False),
    Column("Beløp", "number", aliases=("belop", "beløp kr", "kr")),
    Column("Finansieringskilde", "text", required=False, aliases=("kilde",)),
    Column("Kreditnota", "flag", required=False, aliases=("kreditering", "kredit")),
    Column("Prosjekt", "text", required=False, aliases=("prosjektkode", "prosjektnr")),
)
HOURS_COLUMNS = (
    Column("Dato", "date"),
    Column("Kommune", "text"),
    Column("Timer", "number"),
    Column("Beskrivelse", "text", required=False),
)

MILESTONE_STATUSES = {
    "ferdig": "done", "fullført": "done", "levert": "done",
    "pågår": "in_progress", "startet": "in_progress", "i gang": "in_progress",
    "ikke startet": "not_started", "planlagt": "not_started",
    "utsatt": "postponed", "avlyst": "cancelled",
}

_TRUE = {"ja", "j", "x", "yes", "true", "1", "kreditnota", "kredit"}


def _norm(header: str) -> str:
    return re.sub(r"\s+", " ", str(header).replace("_", " ")).strip().casefold()


def parse_numbers(values: pd.Series) -> pd.Series:
    """Norwegian amounts to floats; unparseable cells become NaN."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype(str).str.strip()
    text = text.str.replace(r"(?i)\s*kr\.?\s*|\s|\u00a0|\u202f|'", "", regex=True)
    text = text.str.replace("\u2212", "-", regex=False)
    both = text.str.contains(".", regex=False) & text.str.contains(",", regex=False)
    text = text.where(~both, text.str.replace(".", "", regex=False))
    text = text.str.replace(",", ".", regex=False)
    text = text.str.replace(r"^\.-$|^-$", "0", regex=True)   # "-" and ",-" for zero
    text = text.str.replace(r"\.-$", "", regex=True)          # "1 200,-"
    return pd.to_numeric(text.where(text != "", None), errors="coerce")


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates in d.m.yyyy or ISO form (or real date cells) to datetime64; others NaT.

    Ledger dates repeat a lot, so each distinct text is parsed once.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    codes, uniques = pd.factorize(values.astype(str).str.strip())
    text = pd.Series(uniques, dtype=object)
    first = pd.to_datetime(text, format="%d.%m.%Y", errors="coerce")
    iso = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    parsed = first.fillna(iso).to_numpy(dtype="datetime64[ns]")
    out = pd.Series(parsed.take(codes), index=values.index)
    if (codes < 0).any():
        out[codes < 0] = pd.NaT
    return out


@dataclass
class Table:
    """Rows read from one data file (canonical column names) and what was wrong with them."""

    file: str
    frame: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def raise_first_error(self) -> None:
        for item in self.findings:
            if item.severity == "error":
                raise UserError(item.message, file=item.file, line=item.line, field=item.field)


def _column_map(headers, columns: tuple[Column, ...]) -> dict:
    by_norm = {}
    for col in columns:
        for name in (col.name, *col.aliases):
            by_norm[_norm(name)] = col
    return {header: by_norm.get(_norm(header)) for header in headers}


def _read_raw(path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    """The file as a frame. CSV goes through pandas' C parser with type inference (decimal comma);
    blanks stay empty text except in numeric columns. What the fast parse cannot read as a number
    (spaces, 'kr', decimal point) arrives as text and goes through ``parse_numbers``; a text
    column that happens to look numeric is turned back into text in ``read_table``."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = pd.read_excel(path, dtype=object, engine="openpyxl")
        return raw.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else v)
    if suffix != ".csv":
        raise ValueError("unsupported data file type (use .csv or .xlsx)")
    sep = _sniff_sep(path)
    headers = pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig").columns
    mapping = _column_map(headers, columns)
    numeric = [h for h, col in mapping.items() if col is not None and col.kind in ("int", "number")]
    return pd.read_csv(path, sep=sep, keep_default_na=False, na_values={h: [""] for h in numeric},
                       decimal=",", encoding="utf-8-sig")


def read_table(path: Path, columns: tuple[Column, ...]) -> Table:
    """Read a CSV (comma or semicolon) or XLSX file and type its columns."""
    shown = display_path(path)
    if not path.exists():
        raise UserError("data file not found", file=shown)
    try:
        raw = _read_raw(path, columns)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise UserError(f"cannot read data file: {exc}".splitlines()[0], file=shown) from None

    findings: list[Finding] = []
    rename = {}
    for header, col in _column_map(raw.columns, columns).items():
        if col is None:
            findings.append(Finding("warning", shown, 1, str(header),
                                    "unknown column, ignored (expected: "
                                    + ", ".join(c.name for c in columns) + ")"))
        elif col.name in rename.values():
            findings.append(Finding("error", shown, 1, str(header), f"column {col.name!r} appears twice"))
        else:
            rename[header] = col.name
    frame = raw[list(rename)].rename(columns=rename)
    for col in columns:
        if col.name not in frame.columns:
            if col.required:
                findings.append(Finding("error", shown, 1, col.name, "required column is missing"))
            frame[col.name] = "" if col.kind in ("text", "flag") else None
    rows = pd.Series(range(2, len(frame) + 2), index=frame.index)
    bad = pd.Series(False, index=frame.index)
    for col in columns:
        if col.name not in rename.values():
            continue
        source = frame[col.name]
        typed = pd.api.types.is_numeric_dtype(source) or pd.api.types.is_datetime64_any_dtype(source)
        if typed:
            text, blank = None, source.isna()
        elif col.kind == "date" or not col.strip:
            text = source.astype(str)           # dates are stripped per distinct value in parse_dates
            blank = source.isna() | (text == "")
        else:
            text = source.astype(str).str.strip()
            blank = source.isna() | (text == "")
        if col.kind == "int" or col.kind == "number":
            parsed = parse_numbers(source)
            if col.kind == "int":
                parsed = parsed.where(parsed.isna() | (parsed == parsed.round()))
            wrong = parsed.isna() & ~blank
            what = "a whole number" if col.kind == "int" else "a number"
        elif col.kind == "date":
            parsed = parse_dates(source)
            wrong = parsed.isna() & ~blank
            what = "a date (dd.mm.åååå or åååå-mm-dd)"
        elif col.kind == "flag":
            parsed = pd.Series(False, index=frame.index)
            if not blank.all():
                parsed = source.astype(str).str.strip().str.casefold().isin(_TRUE)
            wrong = pd.Series(False, index=frame.index)
        else:
            parsed = text.where(~blank, "") if text is not None else source.astype(str)
            wrong = pd.Series(False, index=frame.index)
        missing = blank & col.required
        for idx in frame.index[wrong]:
            findings.append(Finding("error", shown, int(rows[idx]), col.name,
                                    f"cannot read {str(source[idx])!r} as {what}"))
        for idx in frame.index[missing]:
            findings.append(Finding("error", shown, int(rows[idx]), col.name, "value is missing"))
        bad |= wrong | missing
        frame[col.name] = parsed
    frame = frame.assign(_row=rows)
    return Table(shown, frame[~bad].copy() if bad.any() else frame, findings)


def _sniff_sep(path: Path) -> str:
    with open(path, encoding="utf-8-sig") as handle:
        header = handle.readline()
    return ";" if header.count(";") > header.count(",") else ","


def read_milestones(path: Path) -> Table:
    """Milestone progress: Milepæl, Status, Faktisk dato, Kommentar."""
    table = read_table(path, MILESTONE_COLUMNS)
    frame = table.frame
    status = frame["Status"].str.casefold()
    known = status.isin(list(MILESTONE_STATUSES))
    for idx in frame.index[~known]:
        table.findings.append(Finding(
            "error", table.file, int(frame.at[idx, "_row"]), "Status",
            f"unknown status {frame.at[idx, 'Status']!r} (use: " + ", ".join(sorted(MILESTONE_STATUSES)) + ")"))
    frame = frame[known].copy()
    frame["status_code"] = frame["Status"].str.casefold().map(MILESTONE_STATUSES)
    frame["Milepæl"] = frame["Milepæl"].astype(int)
    dup = frame["Milepæl"].duplicated(keep="first")
    for idx in frame.index[dup]:
        table.findings.append(Finding("error", table.file, int(frame.at[idx, "_row"]), "Milepæl",
                                      f"milestone {frame.at[idx, 'Milepæl']} appears more than once"))
    table.frame = frame[~dup]
    return table


def read_ledger(path: Path) -> Table:
    """Cost ledger: Dato, År, Kategori, Beskrivelse, Beløp, Finansieringskilde, Kreditnota."""
    table = read_table(path, LEDGER_COLUMNS)
    frame = table.frame
    year_from_date = frame["Dato"].dt.year
    if frame["År"].isna().all():
        frame["År"] = year_from_date
    else:
        frame["År"] = frame["År"].fillna(year_from_date)
        off = frame["År"] != year_from_date
        for idx in frame.index[off]:
            table.findings.append(Finding(
                "warning", table.file, int(frame.at[idx, "_row"]), "År",
                f"year {int(frame.at[idx, 'År'])} differs from the date's year {int(year_from_date[idx])}"))
    frame["År"] = frame["År"].astype(int)
    negative = (frame["Beløp"] < 0) & ~frame["Kreditnota"].astype(bool)
    for idx in frame.index[negative]:
        table.findings.append(Finding(
            "error", table.file, int(frame.at[idx, "_row"]), "Beløp",
            f"negative amount {frame.at[idx, 'Beløp']:.2f} not marked as credit (set Kreditnota = ja)"))
    table.frame = frame[~negative]
    return table


def read_hours(path: Path) -> Table:
    """Own effort: Dato, Kommune, Timer, Beskrivelse."""
    table = read_table(path, HOURS_COLUMNS)
    frame = table.frame
    negative = frame["Timer"] < 0
    for idx in frame.index[negative]:
        table.findings.append(Finding("error", table.file, int(frame.at[idx, "_row"]), "Timer",
                                      "negative number of hours"))
    table.frame = frame[~negative]
    return table


_LEDGERS: dict[tuple, Table] = {}


def read_ledger_cached(path: Path) -> Table:
    """``read_ledger`` once per file version and process: a ledger shared by many projects (an
    export from the accounting system) is parsed once, not once per project."""
    stat = path.stat() if path.exists() else None
    key = (str(path), stat.st_mtime_ns, stat.st_size) if stat else (str(path),)
    if key not in _LEDGERS:
        if len(_LEDGERS) >= 4:
            _LEDGERS.pop(next(iter(_LEDGERS)))
        _LEDGERS[key] = read_ledger(path)
    return _LEDGERS[key]


def project_ledger(table: Table, code: str) -> Table:
    """The project's rows of a ledger: all of them, or those whose Prosjekt column is ``code``."""
    frame = table.frame
    if not (frame["Prosjekt"] != "").any():
        return table
    return Table(table.file, frame[frame["Prosjekt"].str.casefold() == code.casefold()], list(table.findings))


@dataclass
class ProjectData:
    """Everything collected for one project; tables are None when the project names no file."""

    milestones: Table | None = None
    ledger: Table | None = None
    hours: Table | None = None
    notes: ProjectNotes = field(default_factory=ProjectNotes)
    notes_findings: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        for table in (self.milestones, self.ledger, self.hours):
            if table is not None:
                out.extend(table.findings)
        return out + self.notes_findings


def collect(register, project) -> ProjectData:
    """Read every data file the project references (raises UserError if a file is unreadable)."""
    files = project.data
    data = ProjectData()
    if files.milestones:
        data.milestones = read_milestones(register.data_path(files.milestones))
    if files.ledger:
        data.ledger = project_ledger(read_ledger_cached(register.data_path(files.ledger)),
                                     files.ledger_code or project.id)
    if files.hours:
        data.hours = read_hours(register.data_path(files.hours))
    if files.notes:
        data.notes, data.notes_findings = read_notes(register.data_path(files.notes))
    return data


def read_notes(path: Path) -> tuple[ProjectNotes, list[Finding]]:
    """The project's notes YAML; schema problems become findings with their lines."""
    doc = load_yaml(path, display_path(path))
    try:
        return ProjectNotes.model_validate(doc.data or {}), []
    except ValidationError as exc:
        return ProjectNotes(), validation_findings(exc, doc)
