"""Data collection: milestone progress, cost ledger and own-effort hours from CSV or XLSX.

Columns have Norwegian names (see README, "Data files"); headers are matched without regard to
case, spacing or underscores, and title rows above the header are skipped. Numbers and dates are
read by ``grantflow.numbers`` (one set of rules for data files and YAML); each distinct cell text
is read once, so a million ledger rows cost little more than reading them.

Every reader returns the clean rows plus findings naming file, row (as numbered in the
spreadsheet) and column; a file that cannot be read as a table raises one UserError.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from pydantic import ValidationError

from . import numbers
from .errors import UserError
from .findings import Finding
from .models import ProjectNotes
from .numbers import echo
from .text import bad_character
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


def _norm(header) -> str:
    return re.sub(r"\s+", " ", str(header).replace("_", " ")).strip().casefold()


HEADER_SEARCH_ROWS = 20          # title rows above the header are skipped, up to this many
MAX_LINE = 65_536                # a longer line in the header search is not a table
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]"
MAX_CELL = 10_000                # a longer cell is refused (echoing at most 200 characters)


def _known(columns: tuple[Column, ...]) -> dict[str, Column]:
    by_norm = {}
    for col in columns:
        for name in (col.name, *col.aliases):
            by_norm[_norm(name)] = col
    return by_norm


def _expected(columns: tuple[Column, ...]) -> str:
    return ", ".join(c.name for c in columns if c.required) + " (and optionally " + \
        ", ".join(c.name for c in columns if not c.required) + ")"


def _find_header(rows: list[list], columns: tuple[Column, ...], shown: str, where: str = "") -> int:
    """The index of the first row that names at least two known columns (or all required ones)."""
    known = _known(columns)
    need = min(2, sum(c.required for c in columns))
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = {known[_norm(cell)].name for cell in row if cell is not None and _norm(cell) in known}
        if len(hits) >= need:
            return index
    first = next((row for row in rows if any(c not in (None, "") for c in row)), None)
    seen = ("; the first non-empty row reads: "
            + echo(", ".join(str(c) for c in first if c not in (None, "")), 120)) if first else \
        "; the file has no data at all"
    raise UserError(f"no header row found{where}: expected a row with the column names "
                    f"{_expected(columns)} within the first {HEADER_SEARCH_ROWS} rows{seen}", file=shown, line=1)


def _sniff_bytes(path: Path, shown: str) -> bytes:
    """The file's bytes, refusing what is not a text table before pandas sees it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read data file: {exc.strerror or exc}", file=shown) from None
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        raise UserError("this is a zip archive (an Excel workbook?), not a CSV text file; "
                        "name a workbook .xlsx", file=shown)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UserError("this is an old Excel (.xls) workbook, not a CSV text file; save it as .xlsx or CSV UTF-8",
                        file=shown)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError("the file is UTF-16 text; save it as 'CSV UTF-8' (comma or semicolon separated)", file=shown)
    if b"\x00" in data[:65_536]:
        raise UserError("the file contains binary data (NUL bytes), not CSV text", file=shown)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start:exc.start + 1]
        guess = byte.decode("cp1252", errors="replace")
        raise UserError(f"not UTF-8 text (byte 0x{byte.hex()} at line {line}, which would be {guess!r} in a "
                        "Windows-1252 export); save the file as 'CSV UTF-8' in Excel", file=shown,
                        line=line) from None
    return data


def _csv_rows(path: Path, columns: tuple[Column, ...], shown: str) -> tuple[int, list[str], pd.DataFrame]:
    """(header line number, headers, data cells as text) of a CSV file with ',' or ';'."""
    data = _sniff_bytes(path, shown)
    text_start = data[:HEADER_SEARCH_ROWS * MAX_LINE].decode("utf-8-sig", errors="replace")
    lines = text_start.splitlines()[:HEADER_SEARCH_ROWS]
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            raise UserError(f"line {number} is longer than {MAX_LINE:,} characters; this is not a table "
                            f"(starts {echo(line[:60])})", file=shown, line=number)
    best = None
    for sep in (";", ",", "\t"):
        rows = [next(csv.reader([line], delimiter=sep), []) for line in lines]
        try:
            index = _find_header(rows, columns, shown)
        except UserError as exc:
            error = exc
            continue
        if best is None or index < best[0] or (index == best[0] and len(rows[index]) > len(best[2])):
            best = (index, sep, rows[index])
    if best is None:
        raise error
    index, sep, headers = best
    frame = _arrow_rows(data, sep, index, len(headers))
    if frame is not None:
        rows = pd.Series(np.arange(index + 2, index + 2 + len(frame)), index=frame.index)
        return index + 1, [h.strip() for h in headers], frame.assign(_row=rows)
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=sep, header=None, skiprows=index + 1, dtype=str,
                            keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=True,
                            names=range(len(headers)), index_col=False, on_bad_lines="error")
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "malformed CSV"
        match = re.search(r"line (\d+)", detail)
        line = index + int(match.group(1)) if match else None
        fields = re.search(r"Expected (\d+) fields in line \d+, saw (\d+)", detail)
        if fields:
            raise UserError(f"row {line} has {fields.group(2)} fields but the header row has {fields.group(1)} "
                            f"(separator {sep!r}); remove the extra separators or name the column",
                            file=shown, line=line) from None
        raise UserError(f"cannot read the CSV rows: {detail[:200]}", file=shown, line=line) from None
    except (ValueError, csv.Error) as exc:
        raise UserError(f"cannot read the CSV rows: {str(exc)[:200]}", file=shown) from None
    rows = pd.Series(range(index + 2, index + 2 + len(frame)), index=frame.index)
    # blank lines are skipped by pandas; keep physical numbering where it is cheap to know
    return index + 1, [h.strip() for h in headers], frame.assign(_row=rows)


ARROW_MIN_BYTES = 1 << 18   # below this pandas' reader is as quick; above it pyarrow's is ~4x quicker


def _arrow_rows(data: bytes, sep: str, index: int, width: int) -> pd.DataFrame | None:
    """The data cells of a big CSV file as text, read by pyarrow's multi-threaded reader; the same
    frame as the pandas path gives (text columns, blanks as '', numbered 0..n-1). None (and the
    pandas path reads it, with its row-naming errors) for small files, a header below the first
    line, or anything pyarrow does not read cleanly: short or long rows, quotes, odd bytes."""
    if len(data) < ARROW_MIN_BYTES or index != 0 or b'"' in data:
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    names = [str(i) for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data[3:] if data.startswith(b"\xef\xbb\xbf") else data),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False, double_quote=False,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError, ValueError):
        return None
    text = pd.StringDtype(storage="pyarrow", na_value=np.nan)
    frame = table.to_pandas(types_mapper=lambda t: text if t == pa.string() else None)
    frame.columns = range(width)
    return frame


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return False
        text = head[:exc.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def _xlsx_rows(path: Path, columns: tuple[Column, ...], shown: str) -> tuple[int, list[str], pd.DataFrame]:
    """(header row number, headers, cells) from the first worksheet of an .xlsx workbook."""
    from openpyxl import load_workbook

    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        raise UserError(f"cannot read data file: {exc.strerror or exc}", file=shown) from None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UserError("this is an old Excel 97-2003 (.xls) or password-protected workbook; "
                        "save it as .xlsx without a password", file=shown)
    if not head.startswith(b"PK\x03\x04"):
        if not head:
            what = "empty"
        elif _is_text(head):
            what = "plain text — a CSV file named .xlsx? rename it to .csv"
        else:
            what = "not a workbook (no zip archive inside)"
        raise UserError(f"not an Excel workbook: the file is {what}", file=shown)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:          # zipfile, KeyError, openpyxl's InvalidFileException, XML errors
        raise UserError(f"a zip archive but not a readable Excel workbook ({type(exc).__name__}: "
                        f"{echo(str(exc), 100)})", file=shown) from None
    try:
        sheets = []
        for sheet in book.worksheets:
            rows = []
            for row in sheet.iter_rows(values_only=True):
                rows.append(list(row))
            while rows and all(c is None or (isinstance(c, str) and not c.strip()) for c in rows[-1]):
                rows.pop()
            sheets.append((sheet.title, rows))
    except Exception as exc:          # a corrupt sheet inside a valid zip
        raise UserError(f"cannot read the workbook's sheets ({type(exc).__name__}: {echo(str(exc), 100)})",
                        file=shown) from None
    finally:
        book.close()
    if not sheets:
        raise UserError("the workbook has no worksheets", file=shown)
    title, rows = sheets[0]
    try:
        index = _find_header(rows, columns, shown, where=f" on the first sheet {title!r}")
    except UserError:
        others = []
        for other, other_rows in sheets[1:]:
            try:
                _find_header(other_rows, columns, shown)
                others.append(other)
            except UserError:
                pass
        if others:
            state = "is empty" if not rows else "has no header row"
            raise UserError(f"the first sheet {title!r} {state}, but sheet {others[0]!r} has the columns; "
                            f"grantflow reads the first sheet: move {others[0]!r} first", file=shown) from None
        if not rows:
            raise UserError(f"the first sheet {title!r} is empty", file=shown) from None
        raise
    headers = ["" if h is None else str(h).strip() for h in rows[index]]
    body = rows[index + 1:]
    width = len(headers)
    cells = [(list(r) + [None] * width)[:width] for r in body]
    numbers = []
    kept = []
    for offset, row in enumerate(cells):
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        kept.append(row)
        numbers.append(index + 2 + offset)
    frame = pd.DataFrame(kept, columns=range(width), dtype=object) if kept else \
        pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
    return index + 1, headers, frame.assign(_row=numbers)


def _empty_frame(columns: tuple[Column, ...]) -> pd.DataFrame:
    dtypes = {"int": "float64", "number": "float64", "date": "datetime64[ns]", "text": object, "flag": bool}
    frame = pd.DataFrame({c.name: pd.Series(dtype=dtypes[c.kind]) for c in columns})
    return frame.assign(_row=pd.Series(dtype="int64"))


def _cell_text(value) -> str:
    """A cell as text: blanks empty, whole floats without '.0', datetimes as ISO dates."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "ja" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    return str(value)


# The everyday forms (1234, 1234,5, 1 234 567,50), read without a Python loop; everything else,
# and anything over the ceiling, goes through numbers.read_number_text one distinct text at a time.
_PLAIN = r"-?(?:\d+|\d{1,3}(?: \d{3})+)(?:,\d{1,2})?"


def _read_numbers(values: pd.Series, rows: pd.Series, unit: str) -> tuple[pd.Series, dict]:
    """Cells to floats with the rules of ``grantflow.numbers``; errors by index. Each distinct text
    is read once; a column's unambiguous values decide the meaning of ``350.000`` and ``12,000``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    count = len(uniques)
    out = np.full(count, np.nan)
    failures: dict[int, str] = {}
    evidence: dict[str, str] = {}
    texts = pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values)
    cells: dict[int, object] = {}

    def cell_of(code: int):
        if code not in cells:
            cells[code] = uniques[code]
        return cells[code]

    def example(code: int) -> str:
        row = int(rows.iloc[int(np.argmax(codes == code))]) if len(codes) else "?"
        return f"row {row} {echo(cell_of(code), 40)}"

    slow = range(count)
    if texts and count:
        text = pd.Series(uniques, dtype=values.dtype).str.strip()
        text = text.str.replace("[\u00a0\u202f\u2009\u2007]", " ", regex=True)
        plain = text.str.fullmatch(_PLAIN).fillna(False).to_numpy(dtype=bool)
        fast = pd.to_numeric(text[plain].str.replace(" ", "", regex=False).str.replace(",", ".", regex=False),
                             errors="coerce").to_numpy(dtype=float)
        ok = np.abs(fast) <= float(numbers.ceiling())
        where = np.flatnonzero(plain)
        out[where[ok]] = fast[ok]
        commas = np.flatnonzero(plain & text.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool))
        if len(commas):
            evidence[numbers.COMMA_DECIMAL] = example(int(commas[0]))
        done = np.zeros(count, dtype=bool)
        done[where[ok]] = True
        slow = np.flatnonzero(~done).tolist()
    readings: dict[int, numbers.Reading] = {}
    for code in slow:
        cell = cell_of(code)
        try:
            if isinstance(cell, str):
                reading = numbers.read_number_text(cell)
                if reading.evidence and reading.evidence not in evidence:
                    evidence[reading.evidence] = example(code)
                readings[code] = reading
            else:
                readings[code] = numbers.Reading(numbers.read_number(cell, unit))
        except numbers.NumberError as exc:
            failures[code] = str(exc)
    for code, reading in readings.items():
        cell = cell_of(code)
        try:
            value = numbers.resolve(reading, cell, evidence) if isinstance(cell, str) else reading.value
            if value is not None:
                numbers.check_size(value, cell, unit)
                out[code] = float(value)
        except numbers.NumberError as exc:
            failures[code] = str(exc)
    parsed = pd.Series(np.where(codes >= 0, out[codes] if count else np.nan, np.nan), index=values.index,
                       dtype="float64")
    errors = {}
    if failures:
        for position in np.flatnonzero(np.isin(codes, list(failures))):
            errors[values.index[position]] = failures[int(codes[position])]
    return parsed, errors


def _read_dates(values: pd.Series) -> tuple[pd.Series, dict]:
    """Cells to datetime64 (each distinct value read once); errors by index."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    out = []
    failures: dict[int, str] = {}
    for code, cell in enumerate(uniques):
        try:
            day = numbers.read_date(cell.to_pydatetime() if isinstance(cell, pd.Timestamp) else cell)
        except numbers.DateError as exc:
            failures[code] = str(exc)
            day = None
        out.append(pd.Timestamp(day) if day is not None else pd.NaT)
    table = pd.array(out + [pd.NaT], dtype="datetime64[ns]")
    parsed = pd.Series(table.take(codes if len(uniques) else codes), index=values.index) if len(uniques) else \
        pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    errors = {}
    if failures:
        series = pd.Series(codes, index=values.index)
        for idx in values.index[series.isin(list(failures))]:
            errors[idx] = failures[series[idx]]
    return parsed, errors


def _blank(values: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values):
        return (values.isna() | (values.str.strip() == "")).astype(bool)
    if pd.api.types.is_object_dtype(values):
        return values.map(lambda v: v is None or (isinstance(v, float) and math.isnan(v))
                          or (isinstance(v, str) and not v.strip())).astype(bool)
    return values.isna()

def _read_cells(col: Column, source: pd.Series, rows: pd.Series) -> tuple[pd.Series, dict, pd.Series]:
    """One column's cells read by its kind: (values, error message by index, blank cells)."""
    blank = _blank(source)
    errors: dict = {}
    if len(source) and pd.api.types.is_string_dtype(source) and not pd.api.types.is_object_dtype(source):
        lengths = source.str.len().fillna(0)
    elif len(source) and pd.api.types.is_object_dtype(source):
        lengths = source.map(lambda v: len(v) if isinstance(v, str) else 0)
    else:
        lengths = None
    if lengths is not None:
        for idx in source.index[lengths > MAX_CELL]:
            errors[idx] = f"value is {int(lengths[idx]):,} characters long, refused ({echo(source[idx])})"
    if col.kind in ("int", "number"):
        parsed, more = _read_numbers(source.where(~blank, None), rows, "timer" if col.name == "Timer" else "kr")
        errors = {**more, **errors}
        if col.kind == "int":
            fractional = parsed.notna() & (parsed != parsed.round())
            for idx in source.index[fractional]:
                errors.setdefault(idx, f"{echo(_cell_text(source[idx]))} is not a whole number")
    elif col.kind == "date":
        parsed, more = _read_dates(source.where(~blank, None))
        errors = {**more, **errors}
    elif col.kind == "flag":
        flags = source.map(_cell_text) if pd.api.types.is_object_dtype(source) else source.fillna("")
        parsed = flags.str.strip().str.casefold().isin(_TRUE) if not blank.all() else \
            pd.Series(False, index=source.index)
    else:
        text = source.map(_cell_text) if pd.api.types.is_object_dtype(source) else source.astype(str)
        parsed = text.str.strip() if col.strip else text
        parsed = parsed.where(~blank, "")
        for idx in source.index[parsed.str.contains(_CONTROL, regex=True)]:
            errors.setdefault(idx, f"{echo(parsed[idx], 80)} contains the control character "
                                   f"{bad_character(parsed[idx])}, which no document can hold")
    return parsed, errors, blank


def _read_distinct(col: Column, source: pd.Series, rows: pd.Series):
    """``_read_cells`` on the column's distinct values, spread back over its rows: the same values,
    and the same error for every row holding a wrong value (a value's first row is its example).
    For big text columns with few distinct values (ledgers repeat dates, categories, projects and
    amounts); None for the others, which ``_read_cells`` reads cell by cell."""
    if len(source) < 1000 or not pd.api.types.is_string_dtype(source) or pd.api.types.is_object_dtype(source):
        return None
    codes, uniques = pd.factorize(source, use_na_sentinel=False)
    if len(uniques) * 2 > len(source):
        return None
    first = np.empty(len(uniques), dtype=np.int64)          # first row of each distinct value:
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write (the earliest row) wins
    distinct = pd.Series(uniques, dtype=source.dtype)
    parsed, errors, blank = _read_cells(col, distinct, pd.Series(rows.to_numpy()[first]))
    spread = {}
    if errors:
        for position in np.flatnonzero(np.isin(codes, list(errors))):
            spread[source.index[position]] = errors[int(codes[position])]
    return (parsed.take(codes).set_axis(source.index), spread,
            pd.Series(blank.to_numpy()[codes], index=source.index, dtype=bool))


def read_table(path: Path, columns: tuple[Column, ...]) -> Table:
    """Read a CSV (``;``, ``,`` or tab) or XLSX file and type its columns.

    File-level problems (not a table, wrong encoding, no header, a required column missing or
    doubled) are one finding and no rows; cell problems are one finding per cell."""
    shown = display_path(path)
    try:
        exists, is_file = path.exists(), path.is_file()
    except OSError as exc:
        raise UserError(f"cannot open data file: {exc.strerror or exc}", file=shown[:200]) from None
    if not exists:
        raise UserError("data file not found", file=shown)
    if not is_file:
        raise UserError("not a file", file=shown)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        header_line, headers, raw = _xlsx_rows(path, columns, shown)
    elif suffix == ".csv":
        header_line, headers, raw = _csv_rows(path, columns, shown)
    else:
        raise UserError(f"unsupported data file type {path.suffix!r} (use .csv or .xlsx)", file=shown)

    findings: list[Finding] = []
    known = _known(columns)
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        col = known.get(_norm(header))
        if not header:
            if not _blank(raw[position]).all():
                findings.append(Finding("warning", shown, header_line, f"column {position + 1}",
                                        "column without a header, ignored"))
        elif col is None:
            findings.append(Finding("warning", shown, header_line, echo(header, 60).strip("'"),
                                    "unknown column, ignored (expected: " + ", ".join(c.name for c in columns) + ")"))
        elif col.name in positions:
            first = headers[positions[col.name]]
            findings.append(Finding("error", shown, header_line, col.name,
                                    f"column {col.name!r} appears twice (as {first!r} and {header!r}); "
                                    "remove one, grantflow does not choose"))
        else:
            positions[col.name] = position
    found = ", ".join(h for h in headers if h) or "none"
    found = found if len(found) <= 160 else found[:157] + "…"
    for col in columns:
        if col.required and col.name not in positions:
            findings.append(Finding("error", shown, header_line, col.name,
                                    f"required column {col.name!r} is missing (columns found: {found})"))
    if any(f.severity == "error" for f in findings):
        return Table(shown, _empty_frame(columns), findings)

    rows = raw["_row"].astype("int64")
    frame = pd.DataFrame(index=raw.index)
    bad = pd.Series(False, index=raw.index)
    for col in columns:
        if col.name not in positions:
            frame[col.name] = "" if col.kind in ("text", "flag") else (
                pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]") if col.kind == "date" else math.nan)
            if col.kind == "flag":
                frame[col.name] = False
            continue
        source = raw[positions[col.name]]
        parsed, errors, blank = _read_distinct(col, source, rows) or _read_cells(col, source, rows)
        for idx, message in errors.items():
            findings.append(Finding("error", shown, int(rows[idx]), col.name, message))
        wrong = pd.Series(False, index=raw.index)
        if errors:
            wrong[list(errors)] = True
        missing = blank & col.required & ~wrong
        for idx in raw.index[missing]:
            findings.append(Finding("error", shown, int(rows[idx]), col.name, "value is missing"))
        bad |= wrong | missing
        frame[col.name] = parsed
    frame = frame.assign(_row=rows)
    findings.sort(key=lambda f: (f.line or 0))
    return Table(shown, frame[~bad].copy() if bad.any() else frame, findings)


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
    key = (str(path), stat.st_mtime_ns, stat.st_size, numbers.ceiling()) if stat else (str(path),)
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


def collect(register, project, problems: list[Finding] | None = None) -> ProjectData:
    """Read every data file the project references. An unreadable file raises UserError, or,
    when ``problems`` is given (validation), becomes a finding there and the other files are read."""
    files = project.data
    data = ProjectData()

    def read(reader, relative):
        try:
            return reader(register.data_path(relative))
        except UserError as exc:
            if problems is None:
                raise
            file, line = register.where("project", project.id, ("data",))
            problems.append(Finding("error", exc.file or file, exc.line if exc.file else line,
                                    exc.field or "data", exc.message))
            return None

    if files.milestones:
        data.milestones = read(read_milestones, files.milestones)
    if files.ledger:
        ledger = read(read_ledger_cached, files.ledger)
        data.ledger = project_ledger(ledger, files.ledger_code or project.id) if ledger is not None else None
    if files.hours:
        data.hours = read(read_hours, files.hours)
    if files.notes:
        notes = read(read_notes, files.notes)
        if notes is not None:
            data.notes, data.notes_findings = notes
    return data


def read_notes(path: Path) -> tuple[ProjectNotes, list[Finding]]:
    """The project's notes YAML; schema problems become findings with their lines."""
    doc = load_yaml(path, display_path(path))
    try:
        return ProjectNotes.model_validate(doc.data or {}), []
    except ValidationError as exc:
        return ProjectNotes(), validation_findings(exc, doc)
