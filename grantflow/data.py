"""Data collection: milestone progress, cost ledger and own-effort hours from CSV or XLSX.

Columns have Norwegian names (see README, "Data files"); headers are matched without regard to
case, spacing or underscores, and title rows above the header are skipped. Numbers and dates are
read by ``grantflow.numbers`` (one set of rules for data files and YAML); each distinct cell text
is read once, and in a big file the amounts and the free text (nearly every value distinct) are
checked in bulk from their bytes, so a million ledger rows cost little more than reading them.

Every reader returns the clean rows plus findings naming file, row (as numbered in the
spreadsheet) and column; a file that cannot be read as a table raises one UserError.
"""

from __future__ import annotations

import codecs
import collections
import csv
import dataclasses
import difflib
import functools
import io
import itertools
import math
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from pydantic import ValidationError

from . import clock
from . import numbers
from .errors import UserError
from .findings import Finding, count_shown
from .models import ProjectNotes
from .numbers import echo
from .text import IGNORABLE as _IGNORABLE, INVISIBLE, bad_character, is_total, misleading, name_key
from .xlsxcells import DAMAGED_WORKBOOK, CellError, NoValue, Percent, RepeatedRow, SheetInfo, percent_refused, unreadable, blank as _xlsx_blank, cell_name, padded, sheet_rows, shows_blank as _shows_blank, sums_own_column_said, unpacked_within_limits
from .register import display_path, validation_findings
from .yamlfile import load_yaml


@dataclass(frozen=True)
class Column:
    name: str           # canonical Norwegian name, as documented
    kind: str           # "int" | "number" | "date" | "text" | "note" | "flag"
    required: bool = True
    aliases: tuple[str, ...] = ()


# "text" is a column of a few repeated values (a category, a status, a municipality): stripped,
# kept as a categorical. "note" is free text where nearly every value differs (an invoice line):
# kept as written, as plain text, and in a big file checked in bulk from its bytes.


MILESTONE_COLUMNS = (
    Column("Milepæl", "int", aliases=("nr", "milepael", "milepæl nr")),
    Column("Status", "text"),
    Column("Faktisk dato", "date", required=False, aliases=("dato", "faktisk")),
    Column("Kommentar", "text", required=False),
    # the day utsatt/avlyst was decided: a report dated before it shows the milestone as it stood then
    Column("Vedtaksdato", "date", required=False, aliases=("vedtatt", "besluttet", "beslutningsdato")),
)
# the statuses that are a decision (Vedtaksdato is their day)
DECISIONS = ("postponed", "cancelled")
LEDGER_COLUMNS = (
    Column("Dato", "date"),
    # the accounting year under an ERP's names for it; another header that may hold it ('Ar',
    # 'Periode', 'Budsjettår') is an error to rename (``_may_hold``)
    Column("År", "int", required=False, aliases=("aar", "year", "regnskapsår", "regnskapsar", "bokføringsår",
                                                  "bokforingsar", "bokføringsar")),
    Column("Kategori", "text", aliases=("budsjettkategori",)),
    Column("Beskrivelse", "note", required=False, aliases=("tekst",)),
    Column("Beløp", "number", aliases=("belop", "beløp kr", "kr")),
    Column("Finansieringskilde", "text", required=False, aliases=("kilde",)),
    # not 'kredit': an accounting export's Kredit column holds amounts (beside Debet), not ja/nei
    Column("Kreditnota", "flag", required=False, aliases=("kreditering",)),
    Column("Prosjekt", "text", required=False, aliases=("prosjektkode", "prosjektnr", "prosjektnummer")),
)
HOURS_COLUMNS = (
    Column("Dato", "date"),
    Column("Kommune", "text"),
    Column("Timer", "number"),
    Column("Beskrivelse", "note", required=False),
)

# What a data file holds before anything is collected (grantflow new-project writes these).
EMPTY_DATA = (("milestones", "the header row " + ";".join(c.name for c in MILESTONE_COLUMNS if c.name != "Vedtaksdato")),
              ("ledger", "the header row " + ";".join(c.name for c in LEDGER_COLUMNS if c.name != "Prosjekt")),
              ("hours", "the header row " + ";".join(c.name for c in HOURS_COLUMNS)),
              ("notes", "'status: []'"))

MILESTONE_STATUSES = {
    "ferdig": "done", "fullført": "done", "levert": "done",
    "pågår": "in_progress", "startet": "in_progress", "i gang": "in_progress",
    "ikke startet": "not_started", "planlagt": "not_started",
    "utsatt": "postponed", "avlyst": "cancelled",
}

_STATUS_CODES = pd.CategoricalDtype(pd.Index(sorted(set(MILESTONE_STATUSES.values())), dtype=object))

# Kreditnota: a yes-word marks a credit note, a blank or a no-word a cost; anything else ('kanskje',
# '2', 'Ja.') is an error naming the cell, never read as no
_TRUE = {"ja", "j", "x", "yes", "true", "1", "kreditnota", "kredit"}
_FALSE = {"", "nei", "n", "no", "false", "0"}


@dataclass
class Table:
    """Rows read from one data file (canonical column names) and what was wrong with them."""

    file: str
    frame: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    # (frame, its rows by project) once ``project_ledger`` has looked: kept with the frame it is of
    _projects: tuple | None = field(default=None, init=False, repr=False, compare=False)
    # the file's headers as written and the header row's line (``ledger_code_unused``)
    headers: tuple[str, ...] = field(default=(), repr=False, compare=False)
    header_line: int | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def raise_first_error(self) -> None:
        for item in self.findings:
            if item.severity == "error":
                raise UserError(item.message, file=item.file, line=item.line, field=item.field)


def _norm(header) -> str:
    return _norm_short(header) if isinstance(header, str) and len(header) <= 100 else _norm_text(header)


_norm_short = functools.lru_cache(maxsize=4096)(lambda header: _norm_text(header))


def _norm_text(header) -> str:
    # in NFC: a Mac writes 'År' as A and a combining ring (NFD), which looks the same
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(header)).replace("_", " ")).strip().casefold()


HEADER_SEARCH_ROWS = 20          # title rows above the header are skipped, up to this many
MAX_LINE = 65_536                # a longer line in the header search is not a table
MAX_CELL = 10_000                # a longer cell is refused (echoing at most 200 characters)
UNKNOWN_SHOWN = 10               # more unknown columns than this are one line


@functools.lru_cache(maxsize=16)
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


def _sniff_bytes(path: Path, shown: str, check: bool = True) -> bytes:
    """The file's bytes, refusing what is not a text table before pandas sees it; UTF-8 is checked
    in the whole file, or (``check=False``: only the first lines are read and checked, pyarrow's
    reader reads and checks the rest) in its first lines."""
    try:
        if check:
            data = path.read_bytes()
        else:
            with open(path, "rb") as handle:
                # a file smaller than the head is read whole at its size: read(limit) makes a
                # 1.3 MB buffer for each file and shrinks it (~0.1 ms of a 2 000-row file)
                limit = HEADER_SEARCH_ROWS * MAX_LINE
                data = handle.read() if os.fstat(handle.fileno()).st_size < limit else handle.read(limit)
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
        line = len(_LINE_BREAK.findall(data, 0, data.index(b"\x00"))) + 1
        raise UserError(f"the file contains binary data (a NUL byte at line {line}), not CSV text",
                        file=shown, line=line)
    if check:
        _check_utf8(data, shown)
    else:
        end = -1
        for _ in range(HEADER_SEARCH_ROWS + 1):
            found = data.find(b"\n", end + 1)
            if found < 0:
                break
            end = found
        # no LF (lone CR line breaks): the head as read, but for a character cut in two at its end
        _check_utf8(data[:end] if end >= 0 else data, shown, cut=end < 0)
    return data


_LINE_BREAK = re.compile(rb"\r\n?|\n")       # LF, CRLF or a lone CR (Excel's 'CSV (Macintosh)')


def _check_utf8(data: bytes, shown: str, cut: bool = False) -> None:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=not cut)
    except UnicodeDecodeError as exc:
        line = len(_LINE_BREAK.findall(data, 0, exc.start)) + 1
        byte = data[exc.start:exc.start + 1]
        guess = byte.decode("cp1252", errors="replace")
        raise UserError(f"not UTF-8 text (byte 0x{byte.hex()} at line {line}, which would be {guess!r} in a "
                        "Windows-1252 export); save the file as 'CSV UTF-8' in Excel", file=shown,
                        line=line) from None


def _csv_rows(path: Path, columns: tuple[Column, ...], shown: str) -> tuple[int, list[str], list[_Cells], np.ndarray]:
    """(header line number, headers, each column's cells, row numbers) of a CSV file with ';', ',' or tab."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError(f"cannot read data file: {exc.strerror or exc}", file=shown) from None
    reader = CSV_READER or ("arrow" if size >= ARROW_MIN_BYTES else "split")
    data = _sniff_bytes(path, shown, check=reader != "arrow")
    end = -1
    for _ in range(HEADER_SEARCH_ROWS):
        found = data.find(b"\n", end + 1, HEADER_SEARCH_ROWS * MAX_LINE)
        if found < 0:
            end = HEADER_SEARCH_ROWS * MAX_LINE
            break
        end = found
    text_start = data[:end + 1].decode("utf-8-sig", errors="replace")
    lines = text_start.splitlines()[:HEADER_SEARCH_ROWS]
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            raise UserError(f"line {number} is longer than {MAX_LINE:,} characters; this is not a table "
                            f"(starts {echo(line[:60])})", file=shown, line=number)
    best = None
    for sep in (";", ",", "\t"):
        if sep not in text_start and best is not None:
            continue
        # after a header is found, another separator can only win with a header as high up: the
        # lines below it are not split again
        rows = [next(csv.reader([line], delimiter=sep), []) for line in (lines if best is None else
                                                                            lines[:best[0] + 1])]
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
    known = _known(columns)
    plain = [getattr(known.get(_norm(h)), "kind", "") in ("number", "note") for h in headers]
    got = _arrow_cells(path, data, sep, index, plain) if reader == "arrow" else \
        _split_cells(data, sep, index, len(headers)) if reader == "split" else None
    if got is None:
        if reader == "arrow":
            data = _sniff_bytes(path, shown)
        numeric = {i: known[_norm(h)].name for i, h in enumerate(headers)
                   if getattr(known.get(_norm(h)), "kind", "") in ("number", "int")}
        frame = _pandas_rows(data, sep, index, len(headers), shown, numeric)
        got = [_factorize(frame[i].tolist()) for i in range(len(headers))], len(frame)
        if _BLANK_LINE.search(data):         # blank lines are skipped, but a spreadsheet numbers them
            rows = _record_rows(data, sep, index, len(frame))
            if rows is not None:
                if sep == ",":
                    _refuse_split_numbers(headers, got[0], rows, known, shown, data)
                return index + 1, [h.strip() for h in headers], got[0], rows
    cells, count = got
    rows = np.arange(index + 2, index + 2 + count, dtype=np.int64)
    if sep == ",":
        _refuse_split_numbers(headers, cells, rows, known, shown, data)
    return index + 1, [h.strip() for h in headers], cells, rows


def _matching(cells: _Cells, pattern: str) -> np.ndarray:
    """Per row, whether the cell (stripped) is all of ``pattern``; each distinct value once, or in
    bulk over a big file's text column."""
    if cells.array is not None:
        import pyarrow.compute as pc

        return pc.match_substring_regex(cells.array, f"^\\s*(?:{pattern})\\s*$").to_numpy(zero_copy_only=False)
    if len(cells.uniques) > MATCH_IN_PYTHON and all(type(v) is str for v in cells.uniques):
        import pyarrow as pa
        import pyarrow.compute as pc

        # a big file's column of nearly all distinct values (a voucher number per row): one pass in pyarrow
        hit = pc.match_substring_regex(pa.array(cells.uniques, pa.string()), f"^\\s*(?:{pattern})\\s*$").to_numpy(
            zero_copy_only=False)
        return np.append(hit, False)[cells.codes]
    regex = re.compile(pattern, re.ASCII)
    hit = np.array([isinstance(v, str) and regex.fullmatch(v.strip()) is not None for v in cells.uniques] + [False],
                   dtype=bool)
    return hit[cells.codes]


MATCH_IN_PYTHON = 4096            # more distinct values than this are matched by pyarrow


def _refuse_split_numbers(headers: list[str], cells: list[_Cells], rows: np.ndarray, known: dict, shown: str,
                          data: bytes) -> None:
    """In a comma-separated file, a number column's whole number followed by one or two digits alone
    in the free-text column after it ('0,75' hours written unquoted, the row as wide as the header: 0
    hours and the description '75') is a number the separator split: refused, not read as two.
    Only a free-text column (Beskrivelse) is suspect: a code column after the number (Prosjekt 17,
    Kommune, Kategori) holds a value of its own. An unknown column after the number (Merknad, Uke,
    Bilagsnr, Mva) is suspect when it holds text on some row (a column of notes: '…,7,5,Møte' beside
    Merknad 'ok'), or when it is blank on most rows and shows nothing of its own: '…,0,75' typed by
    hand among exported rows that end in an empty Merknad ('…,24,'). It is a column of its own, read
    as before, when every cell is blank or digits and either digits fill more than half of its rows
    (Bilagsnr or Mva with a few blanks), or some digits could not be the decimals of a split number:
    three or more digits (Bilagsnr 1001), or beside an amount that is not a whole number ("61250,75",
    25) or is blank. A cell quoted in the file is no half of a split number: the readers drop the
    quotes, so each suspect row's line is looked at. Only rows a vectorised test flags are looked at
    one by one."""
    lines = None
    for position in range(len(headers) - 1):
        col, after = known.get(_norm(headers[position])), known.get(_norm(headers[position + 1]))
        if col is None or col.kind not in ("number", "int") or (after is not None and after.kind != "note"):
            continue
        split = _matching(cells[position + 1], r"\d{1,2}")
        if not split.any():
            continue
        whole = _matching(cells[position], r"-?\d{1,3}(?: \d{3})*|-?\d+")
        split &= whole
        if not split.any():
            continue
        beside = after.name if after is not None else headers[position + 1].strip() or "the column with no header"
        said = ""
        if after is None:
            digits = _matching(cells[position + 1], r"\d+")
            own = np.flatnonzero(~digits)
            if not len(own):
                continue                 # digits on every row: a column of its own
            if not (~digits & ~_matching(cells[position + 1], "")).any() and (
                    2 * int(digits.sum()) > len(digits) or (digits & ~whole).any()
                    or _matching(cells[position + 1], r"\d{3,}").any()):
                continue                 # blank or digits, with digits of its own: a code column
            other = _cell_at(cells[position + 1], int(own[0])).strip()
            said = f" (row {int(rows[own[0]])} has {beside} {other!r})"
        lines = lines or _Lines(data)
        for first in np.flatnonzero(split):
            if lines.quoted(int(rows[first]), position, 2):
                continue
            number = _cell_at(cells[position], first).strip()
            rest = _cell_at(cells[position + 1], first).strip()
            written = f"{number},{rest}"
            raise UserError(f"{col.name} {number!r} and {beside} {rest!r} look like one number written with a comma, "
                            f"{written}, which splits it into two cells in a comma-separated file{said}, so it cannot "
                            f"be read safely; put the number in quotes (\"{written}\") or save the file with ';' as "
                            "separator (Excel: CSV UTF-8 with semicolons)",
                            file=shown, line=int(rows[first]), field=col.name)


class _Lines:
    """A comma-separated file's raw lines, to see whether cells of a few rows were quoted."""

    def __init__(self, data: bytes):
        self.data = data
        brk = b"\n" if b"\n" in data else b"\r"
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == brk[0])
        self.starts = np.concatenate([[0], ends + 1])
        self.ends = np.concatenate([ends, [len(data)]])

    def quoted(self, row: int, position: int, count: int) -> bool:
        """Whether any of the ``count`` cells from ``position`` on row ``row`` (1-based line) was
        written in quotes. A line that cannot be told (a quoted cell over several lines moves the
        numbering) is taken as unquoted: the refusal stands."""
        if not 1 <= row <= len(self.starts):
            return False
        line = self.data[self.starts[row - 1]:self.ends[row - 1]].decode("utf-8", errors="replace").rstrip("\r")
        flags, i, n = [], 0, len(line)
        while True:
            flags.append(i < n and line[i] == '"')
            if flags[-1]:
                i += 1
                while i < n:
                    if line[i] == '"':
                        if i + 1 < n and line[i + 1] == '"':
                            i += 2
                            continue
                        i += 1
                        break
                    i += 1
            comma = line.find(",", i)
            if comma < 0:
                break
            i = comma + 1
        return any(flags[position:position + count])


def _cell_at(cells: _Cells, position: int) -> str:
    if cells.array is not None:
        return str(cells.array[position].as_py())
    return str(cells.uniques[int(cells.codes[position])])


def _pandas_rows(data: bytes, sep: str, index: int, width: int, shown: str,
                 numeric: dict[int, str] | None = None) -> pd.DataFrame:
    """The careful reader (quotes, ragged rows, blank lines, odd line breaks), naming the bad row.
    ``numeric``: {position: column name} of the number columns, to name a number the separator split."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(io.BytesIO(data), sep=sep, header=None, skiprows=index + 1, dtype=str,
                                keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=True,
                                names=range(width), index_col=False, on_bad_lines="error")
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            _refuse_long_rows(data, sep, index, width, shown, numeric)   # pandas cut the extra cells off
        return frame
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "malformed CSV"
        match = re.search(r"line (\d+)", detail)
        line = int(match.group(1)) if match else None      # pandas counts from the top of the file
        eof = re.search(r"EOF inside string starting at row (\d+)", detail)
        if eof:                             # pandas counts that row from 0 (the header, titles, blank lines)
            line = int(eof.group(1)) + 1
            raise UserError(f'row {line} opens a quote (") that is never closed, so the rest of the file '
                            "would be one cell; close the quote or remove it", file=shown, line=line) from None
        fields = re.search(r"Expected (\d+) fields in line \d+, saw (\d+)", detail)
        if fields:
            widest = _refuse_long_rows(data, sep, index, width, shown, numeric)   # says it better if it can
            if sep != "," and widest > width:       # empty trailing cells on some rows: read, then cut off
                return _pandas_rows(data, sep, index, widest, shown, numeric)[list(range(width))]
            raise UserError(f"row {line} has {fields.group(2)} fields but the header row has {fields.group(1)} "
                            f"(separator {sep!r}); remove the extra separators or name the column",
                            file=shown, line=line) from None
        raise UserError(f"cannot read the CSV rows: {detail[:200]}", file=shown, line=line) from None
    except (ValueError, csv.Error) as exc:
        raise UserError(f"cannot read the CSV rows: {str(exc)[:200]}", file=shown) from None


def _csv_records(data: bytes, sep: str):
    """The file's records as the csv module reads them (quotes, a cell over several lines), one
    per spreadsheet row when numbered from 1."""
    return csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"), newline=""), delimiter=sep)


def _refuse_long_rows(data: bytes, sep: str, index: int, width: int, shown: str,
                      numeric: dict[int, str] | None = None) -> int:
    """Refuse the first row longer than the header unless its extra cells are empty and, in a
    comma-separated file, every row has the same empty trailing cells (a trailing separator); with
    another separator no decimal comma can be split, so exported rows ending in ';' beside a row
    typed by hand without it are read. Returns the widest row's number of cells. pandas cuts such rows to the header's width without an error
    when the first data row is the longest: ``1,234`` in a comma file would become 1. A number
    column's cell followed by a cell of digits in such a row is a number the separator split
    (``0,75`` hours in a comma file became 0 hours and the description '75'; found by an outside
    tester): said so, even when every row is split alike."""
    reader = _csv_records(data, sep)
    try:
        rows = [(number, cells) for number, cells in enumerate(reader, 1)
                if number > index + 1 and (len(cells) > 1 or (cells and cells[0].strip()))]
    except csv.Error as exc:
        raise UserError(f"cannot read the CSV rows: {str(exc)[:200]}", file=shown) from None
    lengths = collections.Counter(len(cells) for _, cells in rows)
    for number, cells in rows:
        if len(cells) <= width:
            continue
        said = f"row {number} has {len(cells)} fields but the header row has {width} (separator {sep!r})"
        for position, name in sorted((numeric or {}).items()) if sep == "," else ():
            if position + 1 < len(cells) and _SPLIT_WHOLE.fullmatch(cells[position]) \
                    and _SPLIT_REST.fullmatch(cells[position + 1]):
                written = f"{cells[position].strip()},{cells[position + 1].strip()}"
                raise UserError(f"{said}: {name} {written!r} looks like one number written with a comma, which "
                                "splits it into two cells in a comma-separated file, so it cannot be read "
                                f"safely; put the number in quotes (\"{written}\") or save the file with ';' as "
                                "separator (Excel: CSV UTF-8 with semicolons)", file=shown, line=number, field=name)
        if any(c.strip() for c in cells[width:]):
            raise UserError(f"{said}; remove the extra separators or name the column", file=shown, line=number)
        if len(lengths) > 1 and sep == ",":
            other, fields = next((n, len(c)) for n, c in rows if len(c) != len(cells))
            raise UserError(f"{said}, and row {other} has {fields}: an "
                            "empty cell at the end of some rows only is no trailing separator the file uses; "
                            "remove the extra separators or name the column", file=shown, line=number)
    return max(lengths, default=0)


_SPLIT_WHOLE = re.compile(r"\s*-?\d[\d \u00a0\u202f]*")      # the part of a number before its comma
_SPLIT_REST = re.compile(r"\d+\s*")                         # and after it


def _record_rows(data: bytes, sep: str, index: int, count: int) -> np.ndarray | None:
    """The spreadsheet row of each record the careful reader kept, when the file has blank lines
    (pandas skips them, a spreadsheet numbers them); None where the two do not agree."""
    reader = _csv_records(data, sep)
    try:
        rows = [number for number, cells in enumerate(reader, 1)
                if number > index + 1 and (len(cells) > 1 or (cells and cells[0].strip()))]
    except csv.Error:
        return None
    return np.asarray(rows, dtype=np.int64) if len(rows) == count else None


_BLANK_LINE = re.compile(rb"(?:\n|\r(?!\n))[ \t]*[\r\n]")   # after LF, CRLF or a lone CR (Mac CSV)
ARROW_MIN_BYTES = 1 << 16   # from this size on pyarrow's reader is quicker than splitting lines in Python
CSV_READER: str | None = None   # "arrow", "split" or "pandas" forces one reader (tests); None: by size
_ODD_BREAKS = re.compile("[\"\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _split_cells(data: bytes, sep: str, index: int, width: int) -> tuple[list[_Cells], int] | None:
    """The data cells of a plain CSV file (no quotes, no blank lines, every row as wide as the
    header), split in Python: for small files the quickest way. None for anything else, which the
    careful reader reads (the same cells where both read a file; tests/unit/test_big_ledger.py)."""
    text = data.decode("utf-8-sig")
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    if _ODD_BREAKS.search(text):
        return None
    body = text.split("\n")[index + 1:]
    if body and body[-1] == "":
        body.pop()
    split = [line.split(sep) for line in body]
    if any(len(cells) != width or not line.strip() for cells, line in zip(split, body)):
        return None
    if not split:
        return [_Cells([], np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)) for _ in range(width)], 0
    return [_factorize(list(values)) for values in zip(*split)], len(split)


def _arrow_cells(path: Path, head: bytes, sep: str, index: int, plain: list[bool]) -> tuple[list[_Cells], int] | None:
    """The data cells of a big CSV file, read by pyarrow's multi-threaded reader: number and note
    columns as text (checked in bulk), the others dictionary-encoded (each distinct value is then
    checked once, nothing is factorized or spread back). Quoted cells (an export that quotes every
    field, or a text with the separator in it) are unquoted as pandas does. None (the careful reader
    reads it) for a header below the first line or anything pyarrow does not read as one row per
    line: short or long rows, blank lines, a quoted cell over several lines, a quote kept in a value,
    odd bytes."""
    whole = len(head) < HEADER_SEARCH_ROWS * MAX_LINE          # the head is the whole file
    if index != 0:
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    # Unquoted first (the quicker read) unless a quote is in sight; a quote found in the values
    # further down, or a row the unquoted read cannot split, means reading again, unquoting.
    counted = None
    for quoted in ((True,) if b'"' in head else (False,) if whole else (False, True)):
        if quoted and counted is None and not whole:
            # the lines and quotes are counted beside pyarrow's read (numpy lets go of the interpreter)
            counted = _pool().submit(_lines_and_quotes, path, head, whole)
        try:
            table = _arrow_table(pa, pacsv, path, head, whole, sep, plain, quoted)
        except (pa.ArrowInvalid, pa.ArrowException, UnicodeDecodeError, ValueError, OSError):
            continue
        cells = _arrow_columns(table, plain)
        if cells is None:
            if quoted:
                return None                 # a quote kept in a value ("" or a stray one): the careful reader
            continue
        if quoted:
            lines, quotes = counted.result() if counted is not None else _lines_and_quotes(path, head, whole)
            header = head[:head.find(b"\n")] if b"\n" in head else head
            if table.num_rows != lines - 1:
                return None                 # a quoted cell over several lines: the careful reader numbers rows
            if (quotes - header.count(b'"')) % 2:
                return None                 # a quote left open on the last line: pyarrow reads it to the end
                                            # of the file, the careful reader refuses it
        if table.num_rows and all(_has_empty(c) for c in cells):
            return None       # perhaps a blank line (a row of empty cells here): the careful reader numbers it
        return cells, table.num_rows
    return None


def _arrow_table(pa, pacsv, path: Path, head: bytes, whole: bool, sep: str, plain: list[bool], quoted: bool):
    names = [str(i) for i in range(len(plain))]
    dictionary = pa.dictionary(pa.int32(), pa.string())
    source = pa.BufferReader(head) if whole else pa.memory_map(str(path))
    size = source.size()
    if head.startswith(b"\xef\xbb\xbf"):
        source.seek(3)
    table = pacsv.read_csv(
        source, read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=1 << 22,
                                               use_threads=True),
        # A blank line stays a row (of empty cells): found without a second scan of the file.
        parse_options=pacsv.ParseOptions(delimiter=sep, quote_char='"' if quoted else False, double_quote=quoted,
                                         newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() if text else dictionary for n, text in zip(names, plain)},
            strings_can_be_null=False, quoted_strings_can_be_null=False))
    return table.unify_dictionaries()


def _arrow_columns(table, plain: list[bool]) -> list[_Cells] | None:
    """Each column's cells; None if a value holds a quote character."""
    cells = []
    for name, text in zip(table.column_names, plain):
        column = table.column(name)
        if text:
            array = column.combine_chunks()
            if _has_byte(_text_buffers(array)[1], 0x22):
                return None
            cells.append(_Cells(array=array))
            continue
        chunks = [c for c in column.chunks if len(c)]
        codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks]) if chunks else \
            np.zeros(0, dtype=np.int32)
        uniques = chunks[0].dictionary.to_pylist() if chunks else []
        if '"' in "".join(uniques):
            return None
        cells.append(_Cells(uniques, codes))
    return cells


def _lines_and_quotes(path: Path, head: bytes, whole: bool) -> tuple[int, int]:
    """The file's lines (a last line without a line break counts) and its quote characters. In a file
    pyarrow read quoted with one row per line and no quote kept in a value, every quoted cell has
    two quotes; an odd count is a quote left open on the last line."""
    count, quotes, last = 0, 0, b""
    with (io.BytesIO(head) if whole else open(path, "rb")) as handle:
        while block := handle.read(1 << 22):
            # numpy compares a block a third quicker than bytes.count counts in it
            array = np.frombuffer(block, dtype=np.uint8)
            count += int(np.count_nonzero(array == 0x0a))
            quotes += int(np.count_nonzero(array == 0x22))
            last = block[-1:]
    return count + (last not in (b"", b"\n")), quotes


def _empty_rows(cells: list[_Cells], count: int) -> np.ndarray:
    """Per row, whether every cell of it is empty or spaces only."""
    empty = np.ones(count, dtype=bool)
    # the quick ones first (fewest distinct values): usually enough
    for column in sorted(cells, key=lambda c: (c.array is not None, len(c.uniques))):
        if column.array is not None:
            import pyarrow.compute as pc

            empty &= pc.equal(pc.utf8_trim_whitespace(column.array), "").to_numpy(zero_copy_only=False)
        else:
            blank = np.array([_is_blank(v) for v in column.uniques] + [True], dtype=bool)
            empty &= blank[column.codes]
        if not empty.any():
            break
    return empty


def _has_empty(cells: _Cells) -> bool:
    if cells.array is None:
        return "" in cells.uniques
    import pyarrow.compute as pc

    return bool(pc.any(pc.equal(cells.array, "")).as_py())


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
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils import range_boundaries

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
        unpacked_within_limits(path, shown)
        book = load_workbook(path, read_only=True, data_only=True)
    except BadZipFile:
        raise UserError(DAMAGED_WORKBOOK, file=shown) from None
    except UserError:
        raise
    except Exception as exc:          # KeyError, openpyxl's InvalidFileException, XML errors
        raise UserError(f"a zip archive but not a readable Excel workbook ({type(exc).__name__}: "
                        f"{echo(str(exc), 100)})", file=shown) from None
    # Only the cells the sheets hold are read (never padded to max_row/max_column, which one far
    # cell such as XFD1048576 makes billions): the header search sees the first rows of each
    # sheet, the body keeps the rows present, and a value outside the table is refused by name.
    try:
        try:
            sheets = [(sheet.title, sheet) for sheet in book.worksheets]
            if not sheets:
                raise UserError("the workbook has no worksheets", file=shown)
            title, first_sheet = sheets[0]
            if first_sheet.sheet_state != "visible":
                shown_next = next((t for t, sh in sheets if sh.sheet_state == "visible"), None)
                raise UserError(f"the first sheet {title!r} is hidden, and grantflow reads the first sheet: "
                                f"nobody sees what would be counted" +
                                (f" (Excel shows {shown_next!r}); unhide {title!r} and delete it, or move "
                                 f"the sheet that holds the data first" if shown_next else "; unhide it"),
                                file=shown)
            info = SheetInfo()
            stream = sheet_rows(first_sheet, info)
            head, pending = _xlsx_head(stream)
            later: list[tuple] = []
            try:
                try:
                    index = _find_header(head, columns, shown, where=f" on the first sheet {title!r}")
                except UserError:
                    if head:
                        raise
                    later = _xlsx_first_nonblank(stream, pending)   # only for the message
                    _find_header([()] * HEADER_SEARCH_ROWS + later, columns, shown,
                                 where=f" on the first sheet {title!r}")
                    raise
            except UserError:
                others = []
                for other, sheet in sheets[1:]:
                    try:
                        _find_header(_xlsx_head(sheet_rows(sheet))[0], columns, shown)
                        others.append(other)
                    except UserError:
                        pass
                if others:
                    state = "is empty" if not head and not later else "has no header row"
                    raise UserError(f"the first sheet {title!r} {state}, but sheet {others[0]!r} has the columns; "
                                    f"grantflow reads the first sheet: move {others[0]!r} first", file=shown) from None
                if not head and not later:
                    raise UserError(f"the first sheet {title!r} is empty", file=shown) from None
                raise
            _other_tables(sheets[1:], title, columns, shown)
            header_cells = list(head[index])
            while header_cells and _xlsx_blank(header_cells[-1]):
                header_cells.pop()
            if len(header_cells) > MAX_XLSX_COLUMNS:
                _far_cell(title, index + 1, len(header_cells), shown)
            # A value right of the last header within reach is a column without a header (a
            # warning, as before); one farther is a stray cell, refused by name.
            width = len(header_cells)
            body, numbers = [], []
            for r, cells in _xlsx_body(stream, head, index, pending):
                if not any(not _xlsx_blank(v) for v in cells.values()):
                    continue
                last = max(c for c, v in cells.items() if not _xlsx_blank(v))
                if last > MAX_XLSX_COLUMNS:
                    _far_cell(title, r, last, shown)
                formula = next((c for c, v in cells.items() if isinstance(v, NoValue)), None)
                if formula is not None:
                    raise UserError(f"sheet {title!r}, cell {cell_name(r, formula)}: a formula without a computed "
                                    f"value ({echo(cells[formula], 60)}); type the value, or open and save the "
                                    f"workbook in Excel", file=shown, line=r)
                failed = next((c for c, v in cells.items() if isinstance(v, CellError)), None)
                if failed is not None:
                    raise UserError(f"sheet {title!r}, cell {cell_name(r, failed)}: {unreadable(cells[failed])}",
                                    file=shown, line=r)
                width = max(width, last)
                body.append(cells)
                numbers.append(r)
            hidden = sorted(set(info.hidden_rows) & set(numbers))      # known once the whole sheet is read
            if hidden:
                more = f" (and {len(hidden) - 1} more)" if len(hidden) > 1 else ""
                raise UserError(f"sheet {title!r}, row {hidden[0]}{more}: the row is hidden (by a filter or by hand), "
                                f"and grantflow counts every row; show all rows, delete those that do not belong "
                                f"and save", file=shown, line=hidden[0])
            # a hidden column that holds a value (an empty one hidden as a habit hides nothing)
            filled = {c for cells in body for c, v in cells.items() if not _xlsx_blank(v)} if info.hidden_columns else set()
            hidden = sorted(c for c in info.hidden_columns if c <= len(header_cells)
                            and not _xlsx_blank(header_cells[c - 1]) and c in filled)
            if hidden:
                from openpyxl.utils import get_column_letter

                named = ", ".join(f"{get_column_letter(c)} ({echo(str(header_cells[c - 1]), 40)})" for c in hidden)
                raise UserError(f"sheet {title!r}, column {named}: the column is hidden, and grantflow reads every "
                                f"column: unhide it (or delete it if it does not belong) and save", file=shown,
                                line=index + 1)
            # a value whose number format shows nothing (';;;'): counted, but blank in Excel
            rows = dict(zip(numbers, body))

            def cell_where(r: int, c: int) -> str:
                """'sheet 'Regnskap', cell E3 (column E 'Beløp')': where a value of the table is."""
                from openpyxl.utils import get_column_letter

                header = f" {echo(str(header_cells[c - 1]), 40)}" if c <= len(header_cells) else ""
                return f"sheet {title!r}, cell {cell_name(r, c)} (column {get_column_letter(c)}{header})"

            unseen = next(((r, c, code) for r, c, code in info.unseen if r in rows and c in rows[r]), None)
            if unseen:
                r, c, code = unseen
                value, hidden = rows[r][c], f"the value {echo(rows[r][c], 40)}"
                kind = getattr(_known(columns).get(_norm(header_cells[c - 1])), "kind", "") \
                    if c <= len(header_cells) else ""
                if kind == "date" and isinstance(value, (int, float)) and not isinstance(value, bool):
                    from .numbers import _serial_date

                    day = _serial_date(value)
                    hidden = f"the date {day:%d.%m.%Y} (Excel's number {echo(value, 20)})" if day else hidden
                shows = "shows nothing" if _shows_blank(code, value) else "shows no digits of it"
                raise UserError(cell_where(r, c) + ": "
                                f"the number format {code!r} {shows}, so Excel hides {hidden} that grantflow "
                                f"would count; give the cell a number format that shows it (e.g. General) and "
                                "save", file=shown, line=r)
            # a number whose format shows another number ('#,##0,' shows 1 250 000 as 1,250)
            misstated = next(((r, c, code) for r, c, code in info.misstated if r in rows and c in rows[r]), None)
            if misstated:
                from .xlsxcells import misstates

                r, c, code = misstated
                raise UserError(cell_where(r, c) + ": "
                                f"the number format {code!r} shows another number than the {echo(rows[r][c], 40)} "
                                f"grantflow would count ({misstates(code, rows[r][c])}); give the cell a number "
                                "format that shows it (e.g. General) and save", file=shown, line=r)
            # a value that adds up its own column ('=SUBTOTAL(9,E2:E10)'): a subtotal row, counted twice
            summed = next(((r, c, formula) for r, c, formula in info.sums if r in rows and c in rows[r]), None)
            if summed:
                r, c, formula = summed
                raise UserError(cell_where(r, c) + ": " + sums_own_column_said(formula, r), file=shown, line=r)
            for ref in info.merged:
                if range_boundaries(ref)[3] > index + 1:
                    raise UserError(f"sheet {title!r}, cells {ref}: merged cells in the table; unmerge them "
                                    f"(each cell holds its own value)", file=shown, line=range_boundaries(ref)[1])
                # a header merged over two columns ('Beløp' over G4:H4) leaves the second without a
                # name: its amounts were ignored with a warning while the reader saw them under Beløp
                if range_boundaries(ref)[3] == index + 1:
                    raise UserError(f"sheet {title!r}, cells {ref}: merged cells in the table's header row; unmerge "
                                    f"them and give each column its own header (a column under a merged header "
                                    f"has no name and its values are not read)", file=shown, line=index + 1)
            headers = ["" if h is None else str(h).strip() for h in header_cells] + [""] * (width - len(header_cells))
            kept = [[cells.get(c) for c in range(1, width + 1)] for cells in body]
            del body
        except UserError:
            raise
        except RepeatedRow as exc:
            raise UserError(f"sheet {title!r}, {exc}", file=shown, line=exc.row) from None
        except Exception as exc:          # a corrupt sheet inside a valid zip
            raise UserError(f"cannot read the workbook's sheets ({type(exc).__name__}: {echo(str(exc), 100)})",
                            file=shown) from None
    finally:
        book.close()
    frame = pd.DataFrame(kept, columns=range(width), dtype=object) if kept else \
        pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
    return index + 1, headers, frame.assign(_row=numbers)


MAX_XLSX_COLUMNS = 1000           # a cell farther right is a stray cell, not part of a table


def _other_tables(sheets: list, first: str, columns: tuple[Column, ...], shown: str) -> None:
    """Refuse a workbook whose later sheet is a table with every required column and rows: grantflow
    reads the first sheet only, and a ledger kept one sheet per year lost every year but the
    first without a word (730 000 kr missing from a final report; found by an outside tester)."""
    for title, sheet in sheets:
        stream = sheet_rows(sheet)
        head, pending = _xlsx_head(stream)
        try:
            index = _find_header(head, columns, shown)
        except UserError:
            continue
        known = _known(columns)
        named = {known[_norm(c)].name for c in head[index] if c is not None and _norm(c) in known}
        if not all(c.name in named for c in columns if c.required):
            continue              # a summary beside the ledger (Kategori, Beløp) is no second ledger
        rows = [r for r, cells in _xlsx_body(stream, head, index, pending)
                if any(not _xlsx_blank(v) for v in cells.values())]
        if rows:
            count = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
            raise UserError(f"sheet {title!r} also has the columns and {count} (from row {rows[0]}), but grantflow "
                            f"reads only the first sheet {first!r}: move those rows into {first!r} (one table for "
                            f"the file), or delete the sheet if they do not belong", file=shown, line=rows[0])


def _far_cell(title: str, row: int, column: int, shown: str):
    name = cell_name(row, column)
    raise UserError(f"sheet {title!r}, cell {name}: a value far outside the table (column "
                    f"{name.rstrip('0123456789')}; only the first {MAX_XLSX_COLUMNS} columns are read); "
                    f"delete the stray cell", file=shown, line=row)


def _xlsx_head(stream) -> tuple[list[tuple], tuple | None]:
    """The sheet's rows 1 to HEADER_SEARCH_ROWS (absent rows empty, trailing blank rows dropped),
    and the first row after them, (row number, cells), if the sheet goes on."""
    head: list[tuple] = []
    pending = None
    for r, cells in stream:
        if r > HEADER_SEARCH_ROWS:
            pending = (r, cells)
            break
        head.extend(() for _ in range(len(head) + 1, r))
        head.append(padded(cells))
    while head and all(_xlsx_blank(c) for c in head[-1]):
        head.pop()
    return head, pending


def _xlsx_first_nonblank(stream, pending) -> list[tuple]:
    """The first non-blank row after the header search rows, as a one-row list (or none)."""
    rows = ([pending] if pending else [])
    for r, cells in itertools.chain(rows, stream):
        if any(not _xlsx_blank(v) for v in cells.values()):
            return [padded({c: v for c, v in cells.items() if c <= MAX_XLSX_COLUMNS})]
    return []


def _xlsx_body(stream, head: list[tuple], index: int, pending):
    """(row number, cells) of every row below the header row ``index`` (0-based)."""
    for number, row in enumerate(head[index + 1:], start=index + 2):
        yield number, {c: v for c, v in enumerate(row, start=1) if v is not None}
    if pending is not None:
        yield pending
        yield from stream


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


# --- cells ----------------------------------------------------------------------------------
# Every reader (pyarrow for big CSV files, a Python split for small ones, pandas for odd ones,
# openpyxl for workbooks) gives each column as its distinct values and, per row, the position of
# its value among them. The rules (``_read_values``) see each distinct value once, whatever the
# reader; the result is spread over the rows with numpy.

@dataclass
class _Cells:
    """One column's cells: distinct values, per row the position of its value, the first row
    position of each value (computed when a message needs it); or, for a big file's number
    column where nearly every value is distinct, pyarrow's text array (one value per row)."""

    uniques: list = field(default_factory=list)
    codes: np.ndarray | None = None
    first: np.ndarray | None = None
    array: object = None

    def first_positions(self) -> np.ndarray:
        if self.first is None:
            first = np.zeros(len(self.uniques), dtype=np.intp)
            first[self.codes[::-1]] = np.arange(len(self.codes) - 1, -1, -1)   # the earliest row wins
            self.first = first
        return self.first


def _factorize(values: list) -> _Cells:
    """Cells (text, or a workbook's numbers, dates, booleans and blanks) as distinct values."""
    index: dict = {}
    if all(type(v) is str for v in values):
        codes = [index.setdefault(v, len(index)) for v in values]
        uniques = list(index)
    else:
        uniques, codes = [], []
        for value in values:
            if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
                value = None
            key = value if type(value) is str else (type(value), value)
            code = index.get(key)
            if code is None:
                code = index[key] = len(uniques)
                uniques.append(value)
            codes.append(code)
    codes = np.array(codes, dtype=np.intp)
    first = np.zeros(len(uniques), dtype=np.intp)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return _Cells(uniques, codes, first)


def _is_blank(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)) or \
        (isinstance(value, str) and not value.strip())


class _Rows:
    """The spreadsheet row of each distinct value's first cell, looked up when a message needs it."""

    def __init__(self, cells: _Cells, rows: np.ndarray, positions: np.ndarray | None = None):
        self.cells, self.rows, self.positions = cells, rows, positions

    def __getitem__(self, code: int) -> int:
        position = self.cells.first_positions()[code]
        return int(self.rows[self.positions[position] if self.positions is not None else position])


# The everyday forms (1234, 1234,5, 1 234 567,50) are read without the full rules; everything
# else, and anything over the ceiling, goes through numbers.read_number_text.
_PLAIN = r"-?(?:\d+|\d{1,3}(?: \d{3})+)(?:,\d{1,2})?"
_PLAIN_RE = re.compile(_PLAIN, re.ASCII)          # 0-9 only: '۵0' or '１２００' go through the full rules
_WIDE_SPACES = str.maketrans({c: " " for c in "\u00a0\u202f\u2009\u2007"})


# A number cell (xlsx) is a binary float: 0,1 + 0,2 in Excel is 0.30000000000000004. That much
# noise (a millionth of a krone, or a few units in the float's last place for larger amounts) is
# taken to be the whole øre it rounds to; more is a fraction of an øre and refused, as it is in a
# CSV. 90 000,333 and =E5*1,25 giving 100 000,335 were summed as they were, and the reports printed
# Brukt 240 000,31 + Ubrukt 59 999,70 beside a Tilsagn of 300 000,00 (found by a county
# governor's case officer).
_FLOAT_NOISE = 1e-6


def _whole_ore(cell: float, value: Decimal) -> Decimal:
    ore = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(float(ore) - cell) <= max(_FLOAT_NOISE, 64 * math.ulp(cell)):
        return ore
    raise numbers.NumberError(
        f"{echo(cell)} has {-value.normalize().as_tuple().exponent} decimals; kroner have at most 2 (øre): "
        f"round the cell to øre in the workbook (=AVRUND(…;2)) or write the amount in kroner and øre")


def _read_numbers(cells: list, first_rows, unit: str, seed: tuple | None = None,
                  cents: bool = False) -> tuple[list, dict]:
    """Distinct cells (None for blanks) to floats with the rules of ``grantflow.numbers``; errors by
    position. A column's unambiguous values decide the meaning of ``350.000`` and ``12,000``;
    ``seed`` is (row, cell) of a plain value with a decimal comma found before (big files).
    ``cents``: an amount in kroner, whose text may not hold less than an øre (``0,004``); the
    plain forms have two decimals at most, so only the others are looked at."""
    out = [math.nan] * len(cells)
    failures: dict[int, str] = {}
    evidence: dict[str, str] = {}
    ceiling = float(numbers.ceiling())
    comma = seed
    slow = []
    for code, cell in enumerate(cells):
        if cell is None:
            continue
        if isinstance(cell, str):
            text = cell.strip().translate(_WIDE_SPACES)
            if _PLAIN_RE.fullmatch(text):
                if "," in text and (comma is None or first_rows[code] < comma[0]):
                    comma = (first_rows[code], cell)
                value = float(text.replace(" ", "").replace(",", "."))
                if abs(value) <= ceiling:
                    out[code] = value
                    continue
        slow.append(code)
    if comma is not None:
        evidence[numbers.COMMA_DECIMAL] = f"row {comma[0]} {echo(comma[1], 40)}"
    readings: dict[int, numbers.Reading] = {}
    for code in slow:
        cell = cells[code]
        try:
            if isinstance(cell, str):
                numbers.check_not_money(cell, unit)
                reading = numbers.read_number_text(cell)
                numbers.check_hours(reading, cell, unit)
                if reading.evidence and reading.evidence not in evidence:
                    evidence[reading.evidence] = f"row {first_rows[code]} {echo(cell, 40)}"
                readings[code] = reading
            elif isinstance(cell, Percent):
                failures[code] = percent_refused(cell)
            else:
                readings[code] = numbers.Reading(numbers.read_number(cell, unit))
        except numbers.NumberError as exc:
            failures[code] = str(exc)
    for code, reading in readings.items():
        cell = cells[code]
        try:
            value = numbers.resolve(reading, cell, evidence) if isinstance(cell, str) else reading.value
            if unit == "count" and reading.pending == "comma3":
                value = numbers.resolve(reading, cell)    # 12,000: 12 or 12 000, whatever the column shows
            if unit == "kr" and reading.pending == "comma3":
                # the column's decimal comma would make 62,500 read 62,50 kr; but an amount in kroner
                # has two decimals at most, and 62 500 kr is as likely meant (found by an outside tester)
                to_ore = reading.value.quantize(Decimal("0.01"))       # not ``cents``, the parameter
                decimal = numbers.show(to_ore) if to_ore == reading.value else None
                raise numbers.NumberError(
                    f"ambiguous amount {echo(cell)}: {decimal or numbers.show(reading.value)} (decimal comma, but "
                    f"kroner have two decimals at most) or {numbers.show(reading.other)} (comma as thousands "
                    f"separator); write {numbers.show(reading.other)} or "
                    + (decimal or "the amount in kroner and øre (two decimals)"))
            if value is not None:
                numbers.check_size(value, cell, unit)
                if cents and isinstance(cell, str) and -value.normalize().as_tuple().exponent > 2:
                    raise numbers.NumberError(
                        f"{echo(cell)} has {-value.as_tuple().exponent} decimals; kroner have at most 2 (øre): "
                        f"write the amount in kroner and øre")
                if cents and isinstance(cell, float) and -value.normalize().as_tuple().exponent > 2:
                    value = _whole_ore(cell, value)
                out[code] = float(value)
        except numbers.NumberError as exc:
            failures[code] = str(exc)
    return out, failures


def _read_values(col: Column, cells: list, first_rows, seed: tuple | None = None) -> tuple[list, list, dict]:
    """The rules of the column's kind on its distinct cells: (values, blank flags, error messages by
    position). The one place the cell rules live, whichever reader read the file."""
    blank = [not cell.strip() if type(cell) is str else _is_blank(cell) for cell in cells]
    errors: dict[int, str] = {}
    if col.kind in ("int", "number"):
        present = [None if b else cell for cell, b in zip(cells, blank)]
        # a whole number (Milepæl, År) is read as kroner are, but is no amount: its ceiling has no 'kr'
        unit = "timer" if col.name == "Timer" else "count" if col.kind == "int" else "kr"
        values, errors = _read_numbers(present, first_rows, unit, seed, cents=col.kind == "number" and unit == "kr")
    elif col.kind == "date":
        # days since 1970-01-01 (NaT's integer for none); a date text seen before is not read again
        values = [_DAYS.get(cell) if type(cell) is str else None for cell in cells]
        for code in [code for code, days in enumerate(values) if days is None]:
            cell, days = cells[code], _NAT
            if not blank[code]:
                try:
                    day = numbers.read_date(cell.to_pydatetime() if isinstance(cell, pd.Timestamp) else cell)
                    days = day.toordinal() - _EPOCH
                    if type(cell) is str and len(_DAYS) < 1 << 16:
                        _DAYS[cell] = days
                except numbers.DateError as exc:
                    errors[code] = str(exc)
            values[code] = days
    elif col.kind == "flag":
        values = []
        for code, cell in enumerate(cells):
            text = _cell_text(cell).strip().casefold()
            values.append(text in _TRUE)
            if text not in _TRUE and text not in _FALSE:
                errors[code] = (f"{echo(_cell_text(cell), 80)} is neither yes nor no: write ja for a credit note, "
                                "or leave the cell blank (or nei) for a cost")
    else:
        values = []
        for code, (cell, b) in enumerate(zip(cells, blank)):
            text = "" if b else _cell_text(cell)
            value = text.strip() if col.kind == "text" else text
            control = bad_character(value)
            if control:
                errors[code] = f"{echo(value, 80)} contains the control character {control}, which no document can hold"
            elif not value.isascii() and (why := misleading(value)):
                errors[code] = f"{echo(value, 80)} {why}"
            values.append(value)
    try:
        longest = max(map(len, cells), default=0)
    except TypeError:                    # a workbook's numbers, dates or blanks among them
        longest = MAX_CELL + 1
    if longest > MAX_CELL:
        for code, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > MAX_CELL:
                errors[code] = f"value is {len(cell):,} characters long, refused ({echo(cell)})"
    if col.kind == "int":
        for code, value in enumerate(values):
            if code not in errors and not math.isnan(value) and value != round(value):
                errors[code] = f"{echo(_cell_text(cells[code]))} is not a whole number"
    return values, blank, errors


_EPOCH = date(1970, 1, 1).toordinal()
_NAT = np.iinfo(np.int64).min
_DAYS: dict[str, int] = {}           # date text -> days since 1970 (numbers.read_date's answer, kept)


def _column_of(col: Column, values: list, blank: list, codes: np.ndarray):
    """Values of distinct cells spread over the rows: floats, datetimes, booleans, or text as a
    categorical (categories sorted, so sorting by the column sorts by its text)."""
    if col.kind in ("int", "number"):
        return np.asarray(values, dtype="float64")[codes]
    if col.kind == "date":
        return np.asarray(values, dtype=np.int64).view("datetime64[D]").astype("datetime64[ns]")[codes]
    if col.kind == "flag":
        return np.asarray(values, dtype=bool)[codes]
    if col.kind == "note":
        texts = np.asarray(values, dtype=object)[codes]          # every value is a str
        if getattr(_STR, "storage", None) == "pyarrow":
            import pyarrow as pa

            return _text_column(pa.array(texts, type=pa.large_string()))
        return pd.array(texts, dtype="str")
    categories = sorted(set(values))
    position = {value: i for i, value in enumerate(categories)}
    remap = np.fromiter((position[v] for v in values), dtype=np.int32, count=len(values))
    dtype = _categories(tuple(categories)) if len(categories) <= 64 else \
        pd.CategoricalDtype(pd.Index(categories, dtype=object))
    return pd.Categorical.from_codes(remap[codes], dtype=dtype, validate=False)


@functools.lru_cache(maxsize=256)
def _categories(values: tuple) -> pd.CategoricalDtype:
    """A text column's categories (data files of one register repeat the same few texts)."""
    return pd.CategoricalDtype(pd.Index(values, dtype=object))


def _read_column(col: Column, cells: _Cells, rows: np.ndarray):
    """One column read by its kind: (values per row, blank per row, error message by row position)."""
    if cells.array is not None:
        return (_read_note_array if col.kind == "note" else _read_number_array)(col, cells.array, rows)
    values, blank, errors = _read_values(col, cells.uniques, _Rows(cells, rows))
    by_position = {}
    if errors:
        for position in np.flatnonzero(np.isin(cells.codes, list(errors))):
            by_position[int(position)] = errors[int(cells.codes[position])]
    blanks = np.asarray(blank, dtype=bool)[cells.codes] if any(blank) else np.zeros(len(cells.codes), dtype=bool)
    return _column_of(col, values, blank, cells.codes), blanks, by_position


PARALLEL_ROWS = 100_000     # from this many rows a file's columns are read at once, one per core


def _read_columns(jobs: list[tuple[Column, _Cells]], rows: np.ndarray, bulk: dict) -> tuple[dict, dict]:
    """Each column read by its kind (``_read_column``), by name; and the results of the reader's
    own ``bulk`` steps ({column name: function of its pyarrow text}, for a big file's text columns).
    A big file's columns are read at once in threads: the bulk work is numpy and pyarrow, which let
    go of the interpreter while they work, so a second core reads another column meanwhile."""
    steps = {col.name: (bulk[col.name], cells.array) for col, cells in jobs
             if col.name in bulk and cells.array is not None}
    if len(rows) < PARALLEL_ROWS or len(jobs) + len(steps) < 2 or (os.cpu_count() or 1) < 2:
        return ({col.name: _read_column(col, cells, rows) for col, cells in jobs},
                {name: step(array) for name, (step, array) in steps.items()})
    # the bulk columns (pyarrow text) first, so the short ones fill in beside them
    ordered = sorted(jobs, key=lambda job: job[1].array is None)
    futures = {col.name: _pool().submit(_read_column, col, cells, rows) for col, cells in ordered}
    prepared = {name: _pool().submit(step, array) for name, (step, array) in steps.items()}
    return ({col.name: futures[col.name].result() for col, _ in jobs},
            {name: future.result() for name, future in prepared.items()})


_POOL: tuple[int, object] | None = None


def _pool():
    """The reading threads of this process. A process forked from one that had them (the batch
    flow's workers, Prefect's runs) gets its own: the copy it inherits has no threads and would
    leave every job waiting for ever."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        import concurrent.futures

        _POOL = (os.getpid(), concurrent.futures.ThreadPoolExecutor(min(os.cpu_count() or 1, 4),
                                                                    thread_name_prefix="grantflow-read"))
    return _POOL[1]


def _text_buffers(array) -> tuple[np.ndarray, np.ndarray]:
    """A pyarrow text array's value offsets (count + 1, from 0) and the bytes they point into."""
    count = len(array)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=count + 1, offset=array.offset * 4)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, dtype=np.uint8)
    data = data[offsets[0]:offsets[-1]] if count else data[:0]
    return (offsets - offsets[0] if count and offsets[0] else offsets), data


# Bytes a note may not hold (the C0 controls but tab, line feed and carriage return, and DEL);
# U+FFFE and U+FFFF are found by their UTF-8 form.
_CONTROL_BYTES = np.zeros(256, dtype=bool)
_CONTROL_BYTES[[*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f]] = True
_NONCHARACTER = re.compile(b"\xef\xbf[\xbe\xbf]")
# Where a value may hold what ``text.misleading`` refuses: a character from U+0300 up led by a
# byte from CC (every combining mark, right-to-left letter and tag character is), but for E2, whose
# everyday characters (dashes, quotes, €) are passed over: only its bidi controls (U+200E-U+200F,
# U+202A-U+202E, U+2066-U+2069) and its combining marks (U+20D0-U+20FF, U+2CEF-U+2CF1, U+2D7F,
# U+2DE0-U+2DFF) are looked for.
_MISLEADING_BYTES = re.compile(b"[\xcc-\xe1\xe3-\xf4]|\xe2(?:\x80[\x8e\x8f\xaa-\xae]|\x81[\xa6-\xa9]"
                               b"|\x83[\x90-\xbf]|\xb3[\xaf-\xb1]|\xb5\xbf|\xb7[\xa0-\xbf])")
# A value of whitespace only starts with an ASCII space or control, or with the first byte of a
# Unicode space (U+0085, U+00A0: C2; U+1680: E1; U+2000-U+205F: E2; U+3000: E3).
_MAY_BE_SPACE = np.zeros(256, dtype=bool)
_MAY_BE_SPACE[[*range(0x09, 0x0e), *range(0x1c, 0x21), 0xc2, 0xe1, 0xe2, 0xe3]] = True


def _libc_memchr():
    try:
        import ctypes

        memchr = ctypes.CDLL(None).memchr
    except (ImportError, OSError, AttributeError, TypeError):   # no C library to ask (not Linux/macOS)
        return None
    memchr.restype = ctypes.c_void_p
    memchr.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t)
    return memchr


_MEMCHR = _libc_memchr()


def _has_byte(data: np.ndarray, byte: int) -> bool:
    """Whether ``byte`` is among ``data``: the C library's memchr over the array's own memory
    (~3 ms for 30 MB; copying it to search the copy, ~10 ms; a regular expression, ~19 ms); no
    array as big as the column is made."""
    if not len(data):
        return False
    if _MEMCHR is None:
        return data.tobytes().find(bytes((byte,))) >= 0
    data = np.ascontiguousarray(data)
    return _MEMCHR(data.ctypes.data, byte, len(data)) is not None


def _read_note_array(col: Column, array, rows: np.ndarray):
    """A big file's free-text column (pyarrow text, nearly every value distinct), kept as written
    as pandas text. Found in bulk from the bytes: values that may hold a control character, may
    be too long or may be blank but for spaces; only those go through ``_read_values``, with the
    same rules as any cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    count = len(array)
    offsets, data = _text_buffers(array)
    start, end = offsets[:-1], offsets[1:]
    length = end - start
    suspect = length > MAX_CELL                          # bytes: a character is one to four
    if count and length.any():
        suspect[_MAY_BE_SPACE[data[np.minimum(start, len(data) - 1)]] & (length > 0)] = True
        # the everyday column has no byte below a space, no DEL and none from EF up: three quick passes
        odd = np.flatnonzero(_CONTROL_BYTES[data]) if data.min() < 0x20 or _has_byte(data, 0x7f) else ()
        top = data.max()
        found = [m.start() for m in _NONCHARACTER.finditer(memoryview(data))] if top >= 0xef else []
        if _has_byte(data, 0xc2):            # a C1 control (U+0080-U+009F) is C2 80 to C2 9F
            lead = np.flatnonzero(data[:-1] == 0xc2)
            follow = data[lead + 1]
            found += lead[(follow >= 0x80) & (follow <= 0x9f)].tolist()
        if top >= 0xcc:
            found += [m.start() for m in _MISLEADING_BYTES.finditer(memoryview(data))]
        for positions in (odd, np.asarray(found, dtype=np.int64)):
            if len(positions):
                suspect[np.searchsorted(offsets, positions, side="right") - 1] = True
    blank = length == 0
    errors: dict[int, str] = {}
    slow = np.flatnonzero(suspect)
    if len(slow):
        cells = _factorize(array.take(pa.array(slow)).to_pylist())
        _, blanks, wrong = _read_values(col, cells.uniques, _Rows(cells, rows, slow))   # the text stays as written
        blank[slow] = np.asarray(blanks, dtype=bool)[cells.codes]
        if wrong:
            for position in np.flatnonzero(np.isin(cells.codes, list(wrong))):
                errors[int(slow[position])] = wrong[int(cells.codes[position])]
        changed = slow[blank[slow]]                      # blank but for spaces: empty, as elsewhere
        if len(changed):
            mask = np.zeros(count, dtype=bool)
            mask[changed] = True
            array = pc.if_else(pa.array(mask), pa.scalar("", pa.string()), array)
    return _text_column(array), blank, errors


_STR = pd.api.types.pandas_dtype("str")


def _text_column(array):
    """pyarrow text as pandas' text column: what ``pd.array(array, dtype="str")`` gives, without
    its dtype lookup and checks (~50 µs a column, a tenth of a small file's column work)."""
    if getattr(_STR, "storage", None) != "pyarrow":
        return pd.array(array, dtype="str")
    from pandas.arrays import ArrowStringArray

    return ArrowStringArray(array, dtype=_STR)


def _read_number_array(col: Column, array, rows: np.ndarray):
    """A big file's number column (pyarrow text, nearly every value distinct): the plain forms
    ``-?digits(,d{1,2})?`` are recognised and converted in bulk from the text's bytes; every other
    value goes through ``_read_values`` once per distinct text, with the same rules as any cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    count = len(array)
    offsets, data = _text_buffers(array)
    start, end = offsets[:-1], offsets[1:]
    length = end - start
    padded = np.concatenate([data, np.zeros(4, dtype=np.uint8)])   # end-2/-3 of short values read 0
    minus = (length > 0) & (padded[start] == 45)
    end2, end3 = end - 2, end - 3
    comma2 = (length >= 3 + minus) & (padded[end2] == 44)
    comma3 = (length >= 4 + minus) & (padded[end3] == 44)
    plain = (length > minus) & (length <= 17) & ~(comma2 & comma3)
    comma = comma2 | comma3
    digit = (data - 48) <= 9
    # A plain value's bytes are digits but for its leading minus and its decimal comma. When the
    # column has no other bytes than digits and those, every value of plain shape is plain.
    if not (plain.all() and len(data) - np.count_nonzero(digit) == np.count_nonzero(minus) + np.count_nonzero(comma)):
        digit[start[minus]] = True
        digit[end2[comma2]] = True
        digit[end3[comma3]] = True
        odd = np.flatnonzero(~digit)
        if len(odd):
            plain[np.searchsorted(offsets, odd, side="right") - 1] = False
    if plain.any():
        # 1234,5 -> 1234.5 for the cast: a plain value's only comma is its decimal comma, so every
        # comma becomes a dot (the other values' bytes are not cast)
        dotted = data + ((data == 44).view(np.uint8) << 1)
        text = pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(dotted))
        converted = pc.cast(text if plain.all() else text.filter(pa.array(plain)),
                            pa.float64()).to_numpy(zero_copy_only=False)
        big = np.abs(converted) > float(numbers.ceiling())
        if big.any():                                   # over the ceiling: the full rules say why
            plain[np.flatnonzero(plain)[big]] = False
            converted = converted[~big]
        if plain.all():
            values = converted if converted.flags.writeable else converted.copy()
        else:
            values = np.full(count, np.nan)
            values[plain] = converted
    else:
        values = np.full(count, np.nan)
    seed = None
    first = int(np.argmax(plain & comma)) if count else 0
    if count and plain[first] and comma[first]:
        seed = (int(rows[first]), array[first].as_py())
    slow = np.flatnonzero(~plain) if not plain.all() else ()
    blank = np.zeros(count, dtype=bool)
    errors = {}
    if len(slow):
        cells = _factorize(array.take(pa.array(slow)).to_pylist())
        found, blanks, wrong = _read_values(col, cells.uniques, _Rows(cells, rows, slow), seed)
        values[slow] = np.asarray(found, dtype="float64")[cells.codes]
        blank[slow] = np.asarray(blanks, dtype=bool)[cells.codes]
        if wrong:
            for position in np.flatnonzero(np.isin(cells.codes, list(wrong))):
                errors[int(slow[position])] = wrong[int(cells.codes[position])]
    if col.kind == "int":
        fractional = np.flatnonzero(plain & (values != np.round(values)))
        for position in fractional:
            errors[int(position)] = f"{echo(array[int(position)].as_py())} is not a whole number"
    return values, blank, errors


# An accounting export's debit and credit amount columns, by their usual headers.
_DEBIT_CREDIT = {"debet": "debet", "debit": "debet", "kredit": "kredit", "credit": "kredit"}


def _debit_credit(shown: str, headers: list[str], cells: list[_Cells], rows: np.ndarray, sided: dict[str, int],
                  amount: np.ndarray, bad: np.ndarray, findings: list[Finding]) -> np.ndarray:
    """The rows whose Beløp is not Debet minus Kredit (a blank side is 0), each one error: beside
    an accounting export's Debet and Kredit an unsigned Beløp of a credit (2 400 under Kredit) was
    counted as a cost (found by a reviewer). A side that is no number is said as in Beløp."""
    sides = {}
    wrong = np.zeros(len(rows), dtype=bool)
    for side, position in sided.items():
        name = headers[position]
        values, blank, errors = _read_column(Column(name, "number"), cells[position], rows)
        for where, message in errors.items():
            if not bad[where]:
                findings.append(Finding("error", shown, int(rows[where]), name, message))
                wrong[where] = True
        sides[side] = (name, np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0))
    zero = np.zeros(len(rows))
    debit, credit = sides.get("debet", ("", zero))[1], sides.get("kredit", ("", zero))[1]
    differs = ~bad & ~wrong & ~np.isnan(amount) & (np.abs(amount - (debit - credit)) > 0.005)
    if len(sides) == 1:
        # one side only: where it is blank the row is on the other side, of any size, with that sign
        (side, (_, values)), = sides.items()
        other = np.abs(values) < 0.005
        differs &= ~other | ((amount < 0) if side == "kredit" else (amount > 0))
    said = " and ".join(name for name, _ in sides.values())
    for where in np.flatnonzero(differs):
        parts = " minus ".join(f"{name} {_kr(values[where])}" for name, values in sides.values())
        if len(sides) == 1 and "kredit" in sides:
            parts = f"minus {parts}"
        if len(sides) == 1 and abs(debit[where] - credit[where]) < 0.005:
            (name, _), = sides.values()
            stated = (f"Beløp {_kr(amount[where])} is not {'positive' if 'kredit' in sides else 'negative'}, "
                      f"as a {'debet' if 'kredit' in sides else 'kredit'} amount is ({name} is blank)")
        else:
            stated = f"Beløp {_kr(amount[where])} is not {parts} ({_kr(debit[where] - credit[where])})"
        findings.append(Finding(
            "error", shown, int(rows[where]), "Beløp",
            f"{stated}: beside "
            f"{said} the sign of Beløp is ambiguous (a credit written without its minus would be counted as a "
            "cost); write Beløp as debet minus kredit (a negative amount is a credit note: mark it Kreditnota = ja)"))
    return wrong | differs


def _kr(value: float) -> str:
    return numbers.show(Decimal(repr(round(float(value), 2))).quantize(Decimal("0.01")))


def _letters(header: str) -> str:
    return "".join(ch for ch in _norm(header) if ch.isalnum())


# Accounting systems' names for a column grantflow reads under another name, suggested (never read
# as it) when that column is missing. 'Konto' is not among them: it is an account number.
_RENAMES = {"kontonavn": "Kategori", "kontotekst": "Kategori", "kontobeskrivelse": "Kategori"}
_ACCOUNT_NUMBER = {"konto", "kontonr", "kontonummer"}


def _resembles(header: str, name: str) -> bool:
    """Whether a header looks like the column ``name`` written otherwise: one begins or ends with
    the other (``Finansiering``, ``Prosjekt-id``), they differ by a letter or
    two (``Finansieringskjelde``: difflib ratio 0.8 or more), or they share their first seven
    letters (``Finansiør``). Letters and digits only, after ``_norm``; æ, ø and å are kept
    (folded, ``Kommentar`` would end with År's ``ar``). Aliases are not compared (``kredit``
    would make ``Kreditor``, a supplier, look like Kreditnota)."""
    given, known = _letters(header), _letters(name)
    # the name with a word added is another column, unless the word is a short tag ('Prosjekt-id'):
    # 'Prosjektleder', 'Prosjektnavn' beside a project's own ledger (no Prosjekt column) made the
    # whole ledger unreadable, and 'Hittil i år' looked like År (found by a reviewer)
    if len(given) - len(known) > 3 and (given.startswith(known) or given.endswith(known)):
        return False
    short, long = sorted((given, known), key=len)
    if len(short) >= 2 and (long.startswith(short) or long.endswith(short)):
        return True
    if len(os.path.commonprefix([given, known])) >= 7:
        return True
    return difflib.SequenceMatcher(None, given, known).ratio() >= 0.8


def _may_hold(header: str, name: str) -> bool:
    """Whether an unknown header may hold the values of the optional column ``name`` the file
    lacks, though it does not look like its name: the accounting year as an ERP writes it ('Ar'
    with the Å stripped, 'År (regnskap)', 'Budsjettår', 'Periode', 'Regnskapsperiode'). Ignored,
    its rows were counted in the date's year (a row booked in 2019 and paid in January 2020 left
    2019's usage report short; found by an outside tester). 'Hittil i år' (an amount) is not one:
    'år' there is a word of its own after the first."""
    if name != "År":
        return False
    words = re.findall(r"[^\W\d_]+", _norm(header))
    return bool(words) and (words[0] in ("år", "ar", "aar", "year")
                            or any(len(w) > 2 and w.endswith(("år", "aar")) for w in words)
                            or any("period" in w for w in words))


def read_table(path: Path, columns: tuple[Column, ...], check=None) -> Table:
    """Read a CSV (``;``, ``,`` or tab) or XLSX file and type its columns.

    File-level problems (not a table, wrong encoding, no header, a required column missing or
    doubled) are one finding and no rows; cell problems are one finding per cell. ``check(file,
    columns, bad, findings, present, prepared)`` (a reader's own rules across columns) sees each
    column's values as an array before the frame is made, may change them and add findings, and
    returns the rows to drop; ``check.bulk`` ({column: function of its pyarrow text}) are steps of
    its own on a big file's text columns, run beside the columns' reading, their results in
    ``prepared``."""
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
        cells = [_factorize(raw[i].tolist()) for i in range(len(headers))]
        rows = raw["_row"].to_numpy(dtype=np.int64)
    elif suffix == ".csv":
        header_line, headers, cells, rows = _csv_rows(path, columns, shown)
    else:
        raise UserError(f"unsupported data file type {path.suffix!r} (use .csv or .xlsx)", file=shown)

    findings: list[Finding] = []
    known = _known(columns)
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for position, header in enumerate(headers):
        col = known.get(_norm(header))
        if not header:
            column = cells[position]
            values = column.uniques if column.array is None else column.array.to_pylist()
            if not all(_is_blank(v) for v in values):
                findings.append(Finding("warning", shown, header_line, f"column {position + 1}",
                                        "column without a header, ignored"))
        elif col is None:
            unknown.append(header)
        elif col.name in positions:
            first = headers[positions[col.name]]
            findings.append(Finding("error", shown, header_line, col.name,
                                    f"column {col.name!r} appears twice (as {first!r} and {header!r}); "
                                    "remove one, grantflow does not choose"))
        else:
            positions[col.name] = position
    # An unknown header that looks like a column the file lacks ('Finansiering', 'Prosjekt-id',
    # 'Regnskapsår') is most likely that column misspelt: ignored, its rows would count for no
    # funder, for every project or in the date's year, so it is an error. Beside the column itself
    # it is an extra column, and ignored with a warning.
    meant_for: set[str] = set()
    ignored: list[str] = []
    sides = {_DEBIT_CREDIT[_norm(h)] for h in unknown if _norm(h) in _DEBIT_CREDIT}
    if sides == {"debet", "kredit"} and any(c.name == "Beløp" for c in columns) and "Beløp" not in positions:
        # an accounting export's two amount columns: which of them (or their difference) is the
        # cost is not guessed
        named = " and ".join(repr(h) for h in unknown if _norm(h) in _DEBIT_CREDIT)
        findings.append(Finding("error", shown, header_line, "Beløp",
                                f"the ledger has the columns {named} but no Beløp: grantflow reads one amount "
                                "per row; add a column Beløp with debet minus kredit for each row (where kredit "
                                "is larger the amount is negative, a credit note: mark it Kreditnota = ja); "
                                "Debet and Kredit may stay, they are then ignored"))
        meant_for.add("Beløp")
    # Debet and/or Kredit beside Beløp: each row's Beløp must be debet minus kredit, else its sign
    # is not known (an unsigned credit would be counted as a cost)
    sided: dict[str, int] = {}
    for header in unknown:
        if _norm(header) in _DEBIT_CREDIT:
            if "Beløp" in positions and _DEBIT_CREDIT[_norm(header)] not in sided:
                sided[_DEBIT_CREDIT[_norm(header)]] = headers.index(header)
            else:
                ignored.append(header)        # 'Kredit' is no misspelt Kreditnota
            continue
        meant = [col.name for col in columns if col.name not in positions and _resembles(header, col.name)]
        shown_header = echo(header, 60).strip("'")
        year = [col.name for col in columns if col.name not in positions and col.name not in meant
                and _may_hold(header, col.name)]
        if year:
            meant_for.update(year)
            findings.append(Finding("error", shown, header_line, shown_header,
                                    f"column {echo(header, 60)} may hold the accounting year the rows are booked "
                                    "in, which grantflow reads from 'År' (without it, each row counts in its "
                                    "date's year): if it holds the year (2019), rename the header to 'År'; if "
                                    "not, remove the column"))
        elif meant:
            meant_for.update(meant)
            findings.append(Finding("error", shown, header_line, shown_header,
                                    f"column {echo(header, 60)} is not a known column; did you mean "
                                    f"{' or '.join(map(repr, meant))}? rename the header (or remove the column "
                                    "if it holds something else)"))
        else:
            ignored.append(header)
    # A required column missing beside a header that is its name with a word added ('Bilagsdato',
    # 'Posteringsdato' for Dato) or an accounting system's name for it ('Kontonavn' for Kategori):
    # the README promised an error telling to rename it, and it said 'unknown column, ignored' plus
    # 'missing'. A suggestion only: the file is refused (the column is missing) and nothing is read.
    found = ", ".join(h for h in headers if h) or "none"
    found = found if len(found) <= 160 else found[:157] + "…"
    for col in columns:
        if not col.required or col.name in positions or col.name in meant_for:
            continue
        known = _letters(col.name)
        maybe = [h for h in ignored if _RENAMES.get(_letters(h)) == col.name
                 or (len(known) >= 3 and (_letters(h).endswith(known) or _letters(h).startswith(known)))]
        account = [h for h in ignored if _letters(h) in _ACCOUNT_NUMBER] if col.name == "Kategori" else []
        if not maybe and not account:
            continue
        meant_for.add(col.name)
        if maybe:
            ignored = [h for h in ignored if h not in maybe]
            named = " or ".join(echo(h, 60) for h in maybe)
            fix = (f"if {named} holds it, rename that header to {col.name}" if len(maybe) == 1 else
                   f"rename the one of {named} that holds it to {col.name}")
        else:
            fix = f"add a column {col.name} with each row's budget category"
        if account:
            fix += (f" ({' and '.join(echo(h, 60) for h in account)} is an account number, not a budget category: "
                    f"{'do not rename it' if maybe else 'it may stay, it is then ignored'})")
        findings.append(Finding("error", shown, header_line, col.name,
                                f"required column {col.name!r} is missing (columns found: {found}); {fix}"))
    expected = "expected: " + ", ".join(c.name for c in columns)
    if len(ignored) > UNKNOWN_SHOWN:
        # an export with every account field (6 000 columns) gave 6 000 lines
        named = ", ".join(echo(h, 30) for h in ignored[:UNKNOWN_SHOWN])
        findings.append(Finding("warning", shown, header_line, "columns",
                                f"{count_shown(len(ignored))} unknown columns, ignored: {named} and "
                                f"{count_shown(len(ignored) - UNKNOWN_SHOWN)} more ({expected})"))
    else:
        for header in ignored:
            findings.append(Finding("warning", shown, header_line, echo(header, 60).strip("'"),
                                    f"unknown column, ignored ({expected})"))
    found = ", ".join(h for h in headers if h) or "none"
    found = found if len(found) <= 160 else found[:157] + "…"
    for col in columns:
        if col.required and col.name not in positions and col.name not in meant_for:
            findings.append(Finding("error", shown, header_line, col.name,
                                    f"required column {col.name!r} is missing (columns found: {found})"))
    if any(f.severity == "error" for f in findings):
        positions, rows = {}, np.zeros(0, dtype=np.int64)
    count = len(rows)
    out = {}
    # A row with nothing in any cell (';;;;;;', as Excel exports formatted empty rows) is no row:
    # dropped without a word, as a blank line is (it gave 'value is missing' once per required column)
    empty = _empty_rows(cells, count) if count and not any(f.severity == "error" for f in findings) else None
    bad = empty.copy() if empty is not None else np.zeros(count, dtype=bool)
    repeated = _repeated_header(cells, headers, positions, count) if empty is not None else None
    if repeated is not None:
        for position in np.flatnonzero(repeated):
            findings.append(Finding("error", shown, int(rows[position]), headers[0] or "row",
                                    "the header row is repeated here (two exports joined into one file?): "
                                    "delete this row"))
        empty = empty | repeated            # nothing more is said of it
        bad |= repeated
    read, prepared = _read_columns([(col, cells[positions[col.name]]) for col in columns if col.name in positions],
                                   rows, getattr(check, "bulk", {}))
    for col in columns:
        if col.name not in positions:
            out[col.name] = _column_of(col, [math.nan if col.kind in ("int", "number") else
                                             _NAT if col.kind == "date" else
                                             False if col.kind == "flag" else ""], [True],
                                       np.zeros(count, dtype=np.intp))
            continue
        values, blank, errors = read[col.name]
        for position, message in errors.items():
            if empty is None or not empty[position]:
                findings.append(Finding("error", shown, int(rows[position]), col.name, message))
        wrong = np.zeros(count, dtype=bool)
        if errors:
            wrong[list(errors)] = True
        missing = blank & ~wrong & ~bad if col.required else None
        if missing is not None and missing.any():
            for position in np.flatnonzero(missing):
                findings.append(Finding("error", shown, int(rows[position]), col.name, "value is missing"))
            wrong |= missing
        bad |= wrong
        out[col.name] = values
    out["_row"] = rows
    if sided and count and "Beløp" in out:
        bad |= _debit_credit(shown, headers, cells, rows, sided, out["Beløp"], bad, findings)
    findings.sort(key=lambda f: (f.line or 0))
    if check is not None:
        bad = check(shown, out, bad, findings, set(positions), prepared)
    frame = _frame(out, count)
    return Table(shown, frame[~bad].copy() if bad.any() else frame, findings, tuple(h for h in headers if h),
                 header_line)


def _frame(out: dict, count: int) -> pd.DataFrame:
    """The columns (each ``count`` long and of its final type already) as a frame. pandas' own
    constructor from arrays skips re-checking each column (~0.15 ms of a small file's ~1.5 ms);
    the public constructor where a pandas lacks it or a column is something else."""
    from_arrays = getattr(pd.DataFrame, "_from_arrays", None)
    if from_arrays is None or not all(isinstance(v, (np.ndarray, pd.api.extensions.ExtensionArray))
                                      and v.ndim == 1 and len(v) == count for v in out.values()):
        return pd.DataFrame(out, index=pd.RangeIndex(count), copy=False)
    return from_arrays(list(out.values()), columns=_column_index(tuple(out)), index=pd.RangeIndex(count),
                       verify_integrity=False)


@functools.lru_cache(maxsize=64)
def _column_index(names: tuple[str, ...]) -> pd.Index:
    return pd.Index(names)



_HAS_LETTER = re.compile(r"[^\W\d_]").search


def _repeated_header(cells: list[_Cells], headers: list[str], positions: dict[str, int],
                     count: int) -> np.ndarray | None:
    """Per row, whether it repeats the header row (two known columns or more hold their own
    header, a byte order mark before it too): what two CSV exports joined with ``cat`` give
    ('Dato: cannot read '\\ufeffDato' as a date'). Only the columns read as distinct values are
    looked at, each distinct value once; None when no row does."""
    found = np.zeros(count, dtype=np.int8)
    need = min(2, len(positions))
    # the columns with fewest distinct values first; the last one is looked at only if a row could
    # still reach ``need`` with it (a date column's ~700 distinct values, in a file that repeats none)
    looked = sorted((p for p in positions.values() if cells[p].array is None), key=lambda p: len(cells[p].uniques))
    for number, position in enumerate(looked):
        column = cells[position]
        if number == len(looked) - 1 and need > 1 and not found.any():
            break
        header = _norm(headers[position])
        # a value without a letter (a date, an amount, a code: most of a column's distinct values)
        # cannot be a header, every one of which has letters: not normalized (~0.5 ms a file)
        same = [isinstance(v, str) and _HAS_LETTER(v) is not None and _norm(v.lstrip("\ufeff")) == header
                for v in column.uniques]
        if any(same):
            found += np.asarray(same, dtype=np.int8)[column.codes]
    repeated = found >= need
    return repeated if repeated.any() else None


def read_milestones(path: Path) -> Table:
    """Milestone progress: Milepæl, Status, Faktisk dato, Kommentar, Vedtaksdato."""
    table = read_table(path, MILESTONE_COLUMNS)
    frame = table.frame
    rows = frame["_row"].to_numpy()
    status = frame["Status"].array                          # categorical: each distinct status once
    # compared in NFC: a Mac writes 'pågår' with a combining ring (NFD), which looks the same
    meaning = np.array([MILESTONE_STATUSES.get(unicodedata.normalize("NFC", c).casefold(), "")
                        for c in status.categories] + [""], dtype=object)
    codes = meaning[status.codes]
    known = codes != ""
    for position in np.flatnonzero(~known):
        table.findings.append(Finding(
            "error", table.file, int(rows[position]), "Status",
            numbers.excel_display(status[position]) or      # '#N/A' is what Excel showed, not a status
            f"unknown status {status[position]!r} (use: " + ", ".join(sorted(MILESTONE_STATUSES)) + ")"))
    numbers_ = frame["Milepæl"].to_numpy()
    # finished needs the day it was finished (else it would read as finished on time), and that
    # day cannot lie ahead (a typo such as 2030 for 2016)
    actual = frame["Faktisk dato"].to_numpy() if "Faktisk dato" in frame.columns else None
    today = np.datetime64(clock.today(), "ns")
    for position in np.flatnonzero(codes == "done"):
        number = numbers_[position]
        shown = int(number) if number == number else "?"
        if actual is None or np.isnat(actual[position]):
            table.findings.append(Finding(
                "error", table.file, int(rows[position]), "Faktisk dato",
                f"milestone {shown} is {status[position]!r} but has no date: give the day it was finished"))
        elif actual[position] > today:
            table.findings.append(Finding(
                "error", table.file, int(rows[position]), "Faktisk dato",
                f"milestone {shown} is {status[position]!r} on {str(actual[position])[:10]}, a day that has "
                "not come yet"))
    if actual is not None:
        # an actual date is the day the milestone was finished: beside any other status it says two
        # things (the report printed "Ikke startet | 20.08.2014"; found by an outside tester)
        for position in np.flatnonzero(known & (codes != "done") & ~np.isnat(actual)):
            number = numbers_[position]
            shown = int(number) if number == number else "?"
            table.findings.append(Finding(
                "error", table.file, int(rows[position]), "Faktisk dato",
                f"milestone {shown} has the date {pd.Timestamp(actual[position]):%d.%m.%Y} but the status "
                f"{status[position]!r}: Faktisk dato is the day it was finished; set the status to ferdig, "
                "or clear the date"))
    decided = frame["Vedtaksdato"].to_numpy() if "Vedtaksdato" in frame.columns else None
    decision = np.isin(codes, DECISIONS)
    if decided is not None:
        # the day the steering group postponed or cancelled it: beside another status it says two
        # things, and a day still to come is a typo (a report would wait for it)
        for position in np.flatnonzero(known & ~np.isnat(decided)):
            number = numbers_[position]
            shown = int(number) if number == number else "?"
            day = pd.Timestamp(decided[position])
            if not decision[position]:
                table.findings.append(Finding(
                    "error", table.file, int(rows[position]), "Vedtaksdato",
                    f"milestone {shown} has the decision date {day:%d.%m.%Y} but the status {status[position]!r}: "
                    "Vedtaksdato is the day it was postponed or cancelled; set the status to utsatt or avlyst, "
                    "or clear the date"))
            elif decided[position] > today:
                table.findings.append(Finding(
                    "error", table.file, int(rows[position]), "Vedtaksdato",
                    f"milestone {shown} is {status[position]!r} by a decision of {day:%d.%m.%Y}, a day that has "
                    "not come yet"))
    for position in np.flatnonzero(decision & (np.isnat(decided) if decided is not None else True)):
        number = numbers_[position]
        shown = int(number) if number == number else "?"
        table.findings.append(Finding(
            "warning", table.file, int(rows[position]), "Vedtaksdato",
            f"milestone {shown} is {status[position]!r} with no decision date: every report, also one for a "
            "period before the decision, shows it so; give the day it was decided"))
    seen: set = set()
    keep = []
    for position in np.flatnonzero(known):
        number = int(numbers_[position])
        if number in seen:
            table.findings.append(Finding("error", table.file, int(rows[position]), "Milepæl",
                                          f"milestone {number} appears more than once"))
        else:
            seen.add(number)
            keep.append(position)
    keep = np.asarray(keep, dtype=np.intp)
    frame = frame.iloc[keep] if len(keep) < len(frame) else frame.copy()
    frame["Milepæl"] = numbers_[keep].astype(np.int64)
    frame["status_code"] = pd.Categorical.from_codes(
        [_STATUS_CODES.categories.get_loc(code) for code in codes[keep]], dtype=_STATUS_CODES, validate=False)
    table.frame = frame
    return table


_FIRST_DAY = date(numbers.FIRST_YEAR, 1, 1).toordinal() - date(1970, 1, 1).toordinal()
_YEAR_OF_DAY = np.arange(np.datetime64(f"{numbers.FIRST_YEAR}-01-01"), np.datetime64(f"{numbers.LAST_YEAR + 1}-01-01"),
                         dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970   # the year of each day


def read_ledger(path: Path) -> Table:
    """Cost ledger: Dato, År, Kategori, Beskrivelse, Beløp, Finansieringskilde, Kreditnota."""
    return read_table(path, LEDGER_COLUMNS, _ledger_rules)


def _ledger_rules(shown: str, out: dict, bad: np.ndarray, findings: list[Finding], present: set[str],
                  prepared: dict) -> np.ndarray:
    """År defaults to the date's year; a different År is a warning that says where the row is
    counted (År decides: ``reporting.booked_on``). A negative amount must be marked as a credit
    note. Only rows without other errors are looked at."""
    bad = _total_rows(shown, out, bad, findings, candidates=prepared.get("Beskrivelse"))
    bad = _total_categories(shown, out, bad, findings)
    rows, ok = out["_row"], ~bad
    days = out["Dato"].view(np.int64) // 86_400_000_000_000 - _FIRST_DAY     # NaT: a bad row, clipped
    year_from_date = _YEAR_OF_DAY[np.clip(days, 0, len(_YEAR_OF_DAY) - 1)]
    year = out["År"]
    given = ~np.isnan(year)
    # an År outside the years a date may have (15 for 2015, År and Beløp swapped) is refused as a
    # date's year is: the row would be booked on a day no document can hold (it crashed them)
    outside = given & ((year < numbers.FIRST_YEAR) | (year > numbers.LAST_YEAR))
    for position in np.flatnonzero(outside):
        findings.append(Finding(
            "error", shown, int(rows[position]), "År",
            f"year {int(year[position])} is outside {numbers.FIRST_YEAR}–{numbers.LAST_YEAR}: write the "
            "accounting year in full"
            + (f" (the date's year is {int(year_from_date[position])})" if ok[position] else "")
            + ", or leave År blank for the date's year"))
    bad = bad | outside
    ok = ~bad
    year = np.where(outside, np.nan, year)
    given = given & ~outside
    for position in np.flatnonzero(ok & given & (year != year_from_date)):
        findings.append(Finding(
            "warning", shown, int(rows[position]), "År",
            f"year {int(year[position])} differs from the date's year {int(year_from_date[position])}: "
            f"the row is counted in {int(year[position])}'s accounts, "
            f"{'per 31.12' if year[position] < year_from_date[position] else 'from 1.1'}.{int(year[position])}, "
            "in every document"))
    out["År"] = np.where(given, year, year_from_date).astype(np.int64)
    amount = out["Beløp"]
    negative = ok & (amount < 0) & ~out["Kreditnota"]
    for position in np.flatnonzero(negative):
        written = numbers.show(Decimal(repr(float(amount[position]))).quantize(Decimal('0.01')))
        findings.append(Finding(
            "error", shown, int(rows[position]), "Beløp",
            f"negative amount {written} not marked as credit (set Kreditnota = ja)" if "Kreditnota" in present else
            f"negative amount {written}, but a negative amount is a credit note and the file has no Kreditnota "
            "column: add a column Kreditnota and write ja on this row (or write the amount without a minus if it "
            "is a cost)"))
    # '2 400,00-' or '(2 400,00)': the reader said to write the minus in front; a ledger's negative
    # is a credit note, marked so
    credit = ("mark the row Kreditnota = ja" if "Kreditnota" in present else
              "add a column Kreditnota with ja on this row")
    for index, item in enumerate(findings):
        if item.field == "Beløp" and numbers.MINUS_IN_FRONT in item.message:
            findings[index] = dataclasses.replace(item, message=f"{item.message}, and {credit}")
    # a credit note is written negative (README: Kreditnota = ja allows a negative amount); ja on a
    # positive amount says both "it reduces the costs" and "it is a cost": which is not guessed
    positive = ok & (amount > 0) & out["Kreditnota"]
    for position in np.flatnonzero(positive):
        written = numbers.show(Decimal(repr(float(amount[position]))).quantize(Decimal("0.01")))
        findings.append(Finding(
            "error", shown, int(rows[position]), "Kreditnota",
            f"marked as a credit note, but the amount {written} is "
            "positive: a credit note is written negative (-2 400,00); write the amount with a minus, or clear "
            "Kreditnota if the row is a cost"))
    findings.sort(key=lambda f: (f.line or 0))
    return bad | negative | positive


# A total, subtotal or balance line as accountants' exports write it. The bulk step: the
# description starts with a total word ('Sum 2016', 'IB', '* Sum', 'Σ 2016', 'I alt 2016'), after
# spaces, punctuation or symbols, or ends with one, then only spaces, punctuation and digits
# ('Prosjektledelse Totalt', 'Kostnader i alt 2016'). Whole words, any case; a hyphen joins a word
# ('IB-kurs' is a cost). RE2 syntax (pyarrow.compute), so a million descriptions are looked at in
# one pass. The few values it matches are then read word by word (``text.is_total``): a real cost
# line that merely holds a total word ('Sum Consulting AS', 'Honorar, fast sum') is no total.
_SPACE = r"[\s\pZ]"
# 'i alt' also as the old spelling 'ialt' (and 'I\u200balt' once the zero-width space is taken away)
_TOTAL_WORDS = (r"sum|summert|totalsum|totalt?|delsum|sub-?total|saldo|akkumulert|i{s}*alt|overført{s}+saldo|"
                r"inngående{s}+balanse|utgående{s}+balanse")
_TOTAL_ROW = (r"(?i)^[\s\pZ\pP\pS]*(?:{words}|ib|ub|σ|∑)(?:$|[^\pL\pN-])"
              r"|(?:^|[^\pL\pN-])(?:{words})[\s\pZ\pP\pN]*$"
              .format(words=_TOTAL_WORDS, s="{s}").format(s=_SPACE))
# Characters that show as nothing (``text.INVISIBLE``: a soft hyphen, zero-width spaces and joiners,
# the combining grapheme joiner, variation selectors …): 'To\u00adtalt', 'Su\u200bm' and 'Su\u200em' read
# 'Totalt' and 'Sum' in Excel, so they are taken away before the total words are looked for (a no-break
# space is a space: ``_SPACE``).


def _ranges(points: list[int]) -> list[tuple[int, int]]:
    """Sorted code points as (first, last) runs."""
    runs: list[list[int]] = []
    for point in points:
        if runs and runs[-1][1] == point - 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return [(low, high) for low, high in runs]


_INVISIBLE_RE = "[" + "".join(f"\\x{{{low:X}}}" if low == high else f"\\x{{{low:X}}}-\\x{{{high:X}}}"
                              for low, high in _ranges(_IGNORABLE)) + "]"
# the first bytes of their UTF-8 forms (C2 for U+00AD, CD for U+034F, E2 for U+200B …, F3 for U+E0001)
_INVISIBLE_LEADS = sorted({chr(c).encode("utf-8")[0] for c in _IGNORABLE})


def _visible(column):
    """A pyarrow text column without the characters that show as nothing (``INVISIBLE``)."""
    import pyarrow.compute as pc

    return pc.replace_substring_regex(column, _INVISIBLE_RE, "")


# The regular expression costs ~0.1 s of CPU on a million descriptions; only values whose first two
# or last two bytes could begin or end a total word go through it (``_total_candidates``).
_TOTAL_STARTS = np.zeros(1 << 16, dtype=bool)
_TOTAL_ENDS = np.zeros(1 << 16, dtype=bool)
_ODD_BYTE = np.ones(256, dtype=bool)          # not an ASCII letter or digit
_ODD_BYTE[[*range(ord("a"), ord("z") + 1), *range(ord("A"), ord("Z") + 1), *range(ord("0"), ord("9") + 1)]] = False
for _pair in ("su", "to", "de", "sa", "ov", "in", "ut", "ib", "ub", "ak", "ia"):
    _TOTAL_STARTS[ord(_pair[0]) << 8 | ord(_pair[1])] = True
# a word's first letter, then a character that shows as nothing ('S\u00adum', 'T\u200botalt'): the
# first byte of its UTF-8 (C2 AD, CD 8F, E1 A0 8E, E2 80 8B …, EF BB BF, F3 A0 80 81)
for _first in "stdoiua":
    for _lead in _INVISIBLE_LEADS:
        _TOTAL_STARTS[ord(_first) << 8 | _lead] = True
for _byte in np.flatnonzero(_ODD_BYTE):       # 'I alt': an i, then a space of any kind
    _TOTAL_STARTS[ord("i") << 8 | (int(_byte) | 0x20)] = True
for _pair in ("um", "lt", "al", "do", "se", "rt"):
    _TOTAL_ENDS[ord(_pair[0]) << 8 | ord(_pair[1])] = True
# what may follow the last total word and is stepped back over before the end is looked at: ASCII
# that is not a letter (digits, spaces, punctuation), up to _TAIL_STEPS bytes
_TAIL_BYTE = np.zeros(256, dtype=bool)
_TAIL_BYTE[[c for c in range(1, 128) if not chr(c).isalpha()]] = True
_TAIL_STEPS = 64


def _total_candidates(column) -> np.ndarray | None:
    """Which values of a string column the total-row expression could match: a superset found from
    the bytes. A value starts a total word only if its first two bytes (in lower case) are one of
    the words' first two letters, and ends one only if its last two letters, after any ASCII
    digits, spaces and punctuation at its end ('Kostnader i alt 2016'), are a word's last two -- or
    if the first byte is a space, a punctuation mark or a byte outside ASCII (Unicode spaces, 'Σ';
    'ſ' folds to 's'), or either of those last two is outside ASCII; a word's first letter followed
    by a byte that may begin a character that shows as nothing ('S\u00adum', ``INVISIBLE``) is one
    too. None when the column is not
    plain UTF-8 strings (then every value is looked at)."""
    import pyarrow as pa

    if column.type not in (pa.string(), pa.large_string()):
        return None
    _, offsets, data = column.buffers()
    width = np.int32 if column.type == pa.string() else np.int64
    offsets = np.frombuffer(offsets, dtype=width)[column.offset: column.offset + len(column) + 1]
    if data is None or not len(data):
        return np.zeros(len(column), dtype=bool)
    data = np.frombuffer(data, dtype=np.uint8)
    start, end = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    s0, s1 = np.take(data, start, mode="clip"), np.take(data, start + 1, mode="clip")
    maybe = _TOTAL_STARTS[(s0 | 0x20).astype(np.uint16) << 8 | (s1 | 0x20)]
    maybe |= _ODD_BYTE[s0]
    # the value without its tail of ASCII digits, spaces and punctuation, stepped back over in numpy
    # on the values that still have one (pyarrow's ascii_rtrim took ~0.1 s on a million values)
    last = end.copy()
    active = np.flatnonzero(_TAIL_BYTE[np.take(data, last - 1, mode="clip")] & (last > start))
    for _ in range(_TAIL_STEPS):
        if not len(active):
            break
        last[active] -= 1
        keep = _TAIL_BYTE[np.take(data, last[active] - 1, mode="clip")] & (last[active] > start[active])
        active = active[keep]
    e1, e2 = np.take(data, last - 1, mode="clip"), np.take(data, last - 2, mode="clip")
    ends = _TOTAL_ENDS[(e2 | 0x20).astype(np.uint16) << 8 | (e1 | 0x20)] | (e1 >= 0x80) | (e2 >= 0x80)
    maybe |= ends & ((last - start) >= 2)
    maybe[active] = True              # a tail longer than _TAIL_STEPS: looked at by the expression
    maybe &= (end - start) >= 2                  # one byte is no total word
    return maybe


def _total_candidates_chunked(column) -> np.ndarray | None:
    """``_total_candidates`` of a column that may be in chunks."""
    masks = [_total_candidates(chunk) for chunk in getattr(column, "chunks", [column])]
    return None if any(m is None for m in masks) else np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


# the ledger's and the hours file's total rows are looked for in their descriptions beside the reading
_ledger_rules.bulk = {"Beskrivelse": _total_candidates_chunked}


def _names_in(out: dict, columns: tuple[str, ...]) -> list[str]:
    """The distinct values of ``columns``, casefolded, longest first (so 'Reise utland' goes before 'Reise')."""
    found = set()
    for name in columns:
        values = out.get(name)
        if values is None or not len(values):
            continue
        for value in pd.unique(pd.Series(values).astype(str)):
            value = unicodedata.normalize("NFKC", value).casefold().strip()
            if value and value not in ("nan", "none"):
                found.add(value)
    return sorted(found, key=len, reverse=True)


def _total_rows(shown: str, out: dict, bad: np.ndarray, findings: list[Finding],
                names: tuple[str, ...] = ("Kategori", "Finansieringskilde"), what: str = "a cost",
                counted: str = "its amount would be counted twice", real: str = "a real cost line",
                fields: set[str] | None = None, candidates: np.ndarray | None = None) -> np.ndarray:
    """Refuse a row whose Beskrivelse reads as a total or balance line: with a date and a category
    it was counted as one more cost (a 'Sum 2016' row of 771 000 kr was added to the final report's
    accounts without a word; found by an outside tester). Whatever else was wrong with such a row
    (no date, most often) is not said: the row is to be deleted. Found in bulk: the values whose
    bytes could hold a total word (``_total_candidates``), then one regular expression over those,
    then the few it matches word by word (``text.is_total``) beside the file's ``names`` columns."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = out["Beskrivelse"]
    if not len(text):
        return bad
    column = pa.array(text)
    if candidates is None:
        maybe = _total_candidates_chunked(column)
    else:                           # found beside the reading (``_ledger_rules.bulk``), before blanks were emptied
        maybe = candidates
    total = np.zeros(len(column), dtype=bool)
    if maybe is None:
        total = pc.match_substring_regex(_visible(column), _TOTAL_ROW).fill_null(False).to_numpy(
            zero_copy_only=False)
    elif maybe.any():
        where = np.flatnonzero(maybe)
        total[where] = pc.match_substring_regex(_visible(column.take(pa.array(where))), _TOTAL_ROW).fill_null(
            False).to_numpy(zero_copy_only=False)
    if not total.any():
        return bad
    known = _names_in(out, names)
    said: dict[str, bool] = {}
    for position in np.flatnonzero(total):
        value = str(text[position])
        if value not in said:
            said[value] = is_total(value, known)
        total[position] = said[value]
    if not total.any():
        return bad
    positions = np.flatnonzero(total)
    rows = out["_row"]
    lines = {int(rows[p]) for p in positions}
    fields = _LEDGER_NAMES if fields is None else fields
    findings[:] = [f for f in findings if f.line not in lines or f.field not in fields]
    undated = np.isnat(out["Dato"])
    for position in positions:
        written = echo(str(text[position]), 80)
        if undated[position]:
            message = (f"{written} with no date looks like a total or balance row from the export, not {what}: "
                       "delete the row")
        else:
            message = (f"{written} looks like a total or balance row from the export, not {what}: grantflow adds "
                       f"up the rows itself, so {counted}; delete the row ({real} "
                       "should be described otherwise)")
        findings.append(Finding("error", shown, int(rows[position]), "Beskrivelse", message))
    findings.sort(key=lambda f: (f.line or 0))
    return bad | total


def _total_categories(shown: str, out: dict, bad: np.ndarray, findings: list[Finding]) -> np.ndarray:
    """Refuse a row whose Kategori is a total word ('Sum', 'Totalt 2020'; no budget category is one):
    an export's total row with its label in that column. Was 'Dato: value is missing' (or an unknown
    category), which did not say to delete the row. Each distinct category is looked at once."""
    column = out["Kategori"]                       # a categorical (``_column_of``): its few texts looked at
    if not isinstance(column, pd.Categorical):
        column = pd.Categorical(column)
    named = np.array([isinstance(v, str) and bool(v.strip()) and is_total(v) for v in column.categories] + [False])
    if not named.any():
        return bad
    rows = out["_row"]
    said = [f.line for f in findings if f.field == "Beskrivelse" and "looks like a total" in f.message]
    total = named[column.codes] & ~np.isin(rows, said)      # refused already by its Beskrivelse
    if not total.any():
        return bad
    lines = {int(rows[p]) for p in np.flatnonzero(total)}
    findings[:] = [f for f in findings if f.line not in lines or f.field not in _LEDGER_NAMES]
    undated = np.isnat(out["Dato"])
    for position in np.flatnonzero(total):
        written = echo(str(column[position]), 80)
        when = " with no date" if undated[position] else ""
        findings.append(Finding("error", shown, int(rows[position]), "Kategori",
                                f"{written}{when} looks like a total or balance row from the export, not a cost: "
                                "delete the row"))
    findings.sort(key=lambda f: (f.line or 0))
    return bad | total


_LEDGER_NAMES = {c.name for c in LEDGER_COLUMNS}
_PROSJEKT = next(c for c in LEDGER_COLUMNS if c.name == "Prosjekt")
_HOURS_NAMES = {c.name for c in HOURS_COLUMNS}


def _hours_rules(shown: str, out: dict, bad: np.ndarray, findings: list[Finding], present: set[str],
                 prepared: dict) -> np.ndarray:
    """A total row in the hours file ('Sum Karmøy 2015', 'Totalt') is refused as in the ledger: its
    hours were counted as own effort once more. A municipality's name may stand beside the total word."""
    if "Beskrivelse" not in present:
        return bad
    return _total_rows(shown, out, bad, findings, candidates=prepared.get("Beskrivelse"), names=("Kommune",),
                       what="hours worked",
                       counted="its hours would be counted twice", real="a real row of hours",
                       fields=_HOURS_NAMES)


_hours_rules.bulk = _ledger_rules.bulk


def read_hours(path: Path) -> Table:
    """Own effort: Dato, Kommune, Timer, Beskrivelse."""
    table = read_table(path, HOURS_COLUMNS, _hours_rules)
    frame = table.frame
    hours = frame["Timer"].to_numpy()
    negative = hours < 0
    too_many = hours > MAX_HOURS_PER_ROW
    rows = frame["_row"].to_numpy()
    for position in np.flatnonzero(negative | too_many):
        message = "negative number of hours" if negative[position] else (
            f"{numbers.show(Decimal(repr(float(hours[position]))).normalize())} hours in one row is implausible "
            f"(over {numbers.show(Decimal(MAX_HOURS_PER_ROW))}); write the hours this row registers")
        table.findings.append(Finding("error", table.file, int(rows[position]), "Timer", message))
    bad = negative | too_many
    table.frame = frame[~bad] if bad.any() else frame
    return table


def hours_in_period(table: Table, start: date, end: date) -> None:
    """Own effort is work on the project: a row dated before it starts or after it ends is a
    mistake (2051 for 2015), an error naming the row, and the row is not counted."""
    frame = table.frame
    days = frame["Dato"]
    outside = ((days < pd.Timestamp(start)) | (days > pd.Timestamp(end))).to_numpy()
    if not outside.any():
        return
    rows = frame["_row"].to_numpy()
    for position in np.flatnonzero(outside):
        table.findings.append(Finding(
            "error", table.file, int(rows[position]), "Dato",
            f"{days.iloc[position]:%d.%m.%Y} is outside the project period {start:%d.%m.%Y} – {end:%d.%m.%Y}: "
            "own effort is counted only while the project runs"))
    table.findings.sort(key=lambda f: (f.line or 0))
    table.frame = frame[~outside]


def hours_municipalities(table: Table, council, participants: list[str], listed_in: str = "") -> None:
    """Each row's municipality is one of the council's: an unknown one (a misspelling) is an error
    naming the row, so a document counting the hours stops with that line. So is one that does not
    take part in the project ("Deltar ikke" in the cost split): the status and final reports would
    count its hours as the project's own effort. When the project's own list names a municipality
    the council does not have (its own error, 'Orland' for 'Ørland'), the rows of members missing
    from the list follow from that mistake: one line for them all, pointing at the list
    (``listed_in``: the project's file), not one per row (found by an outside tester)."""
    if council is None:
        return                  # the register reports the unknown council
    taking_part = {name_key(m) for m in participants}
    unlisted = [m for m in participants if council.municipality(m) is None]
    frame = table.frame
    said: dict[str, str] = {}                # each distinct unknown name's message, found once
    outside: dict[str, list[int]] = {}       # members not in a list that has a name wrong: their rows
    for name, row in zip(frame["Kommune"], frame["_row"]):
        if council.municipality(name) is None:
            if name not in said:
                said[name] = unknown_municipality(name, council)
            table.findings.append(Finding("error", table.file, int(row), "Kommune", said[name]))
        elif name_key(name) not in taking_part:
            if unlisted:
                outside.setdefault(council.municipality(name).name, []).append(int(row))
                continue
            table.findings.append(Finding("error", table.file, int(row), "Kommune",
                                          f"{name} does not take part in this project (municipalities:), so "
                                          "its hours are not the project's own effort; book them to the project "
                                          "they were worked for, or add the municipality to the project"))
    if outside:
        from .findings import rows_named

        names, rows = list(outside), sorted(r for found in outside.values() for r in found)
        one = len(names) == 1
        where = f" in {listed_in}" if listed_in else ""
        table.findings.append(Finding(
            "error", table.file, rows[0], "Kommune",
            f"{_and(names)} {'does' if one else 'do'} not take part in this project as its list is written "
            f"({rows_named(rows)}): the list (municipalities:{where}) names {_and([repr(n) for n in unlisted])}, no "
            "municipality of the council; correct the list (its own line says how), and these hours count as "
            "the project's own effort"))
    table.findings.sort(key=lambda f: (f.line or 0))


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


_KOMMUNE = re.compile(r"\s+kommune$", re.IGNORECASE)


def unknown_municipality(name: str, council) -> str:
    """The line for an hours row's municipality that is none of the council's: what it differs
    in when only a look-alike character does (a dash, a space), the name without 'kommune'
    ('Haugesund kommune'), or the one name it most likely meant ('Karmoy'), with the known names.
    Only said, never taken: the row stays refused."""
    from .suggest import did_you_mean, lookalike

    names = [m.name for m in council.municipalities]
    shown = numbers.excel_display(name)
    if shown:
        return shown
    alike = lookalike(name, names, "the council's list")
    if alike:
        return f"unknown municipality {name!r}: it differs from {alike[0]!r} {alike[1]}"
    bare = _KOMMUNE.sub("", name)
    if bare != name and bare:
        member = council.municipality(bare)
        meant = member.name if member is not None else did_you_mean(bare, names)
        if meant:
            return f"unknown municipality {name!r}: write the municipality's name, {meant!r}"
    meant = did_you_mean(name, names)
    hint = f"did you mean {meant!r}? " if meant else ""
    return f"unknown municipality {name!r} ({hint}known: {', '.join(names)})"


# Hours in one row of an own-effort file: a person-year is ~1 700 hours, so more than this in one
# row is a mistake (most often "350.000", which the number rules read as 350 000), not effort.
# The amount ceiling (max_amount, in kroner) is far too high for hours.
MAX_HOURS_PER_ROW = 10_000


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
    """The project's rows of a ledger: all of them, or those whose Prosjekt column is ``code``
    (without regard to case). The rows of every project are found once per table, so a ledger
    shared by hundreds of projects is not compared row by row once per project."""
    frame = table.frame
    column = frame["Prosjekt"]
    if not isinstance(column.dtype, pd.CategoricalDtype):      # read_table makes it a categorical
        if not (column != "").any():
            return table
        return Table(table.file, frame[column.str.casefold() == code.casefold()], list(table.findings))
    if table._projects is None or table._projects[0] is not frame:
        table._projects = (frame, _rows_by_project(column))
    rows = table._projects[1]
    if rows is None:
        return table
    return Table(table.file, frame.take(rows.get(code.casefold(), _NO_ROWS)), list(table.findings))


_NO_ROWS = np.zeros(0, dtype=np.intp)

# Rows named for one wrong code in a project's own ledger shown one by one, before one line for the rest
WRONG_CODE_ROWS = 1_000


def ledger_users(register, relative: str) -> dict[str, str] | None:
    """{casefolded ledger code: project id} of every project of the register whose ledger is the
    file ``relative`` names (found once per register); None when the path cannot be used."""
    key = id(register)
    cached = _USERS.get(key)
    if cached is None or cached[0] is not register or cached[1] != len(register.projects):
        by_file: dict[Path, dict[str, str]] = {}
        for other in register.projects.values():
            if other.data.ledger:
                try:
                    path = register.data_path(other.data.ledger)
                except UserError:
                    continue
                by_file.setdefault(path, {})[(other.data.ledger_code or other.id).casefold()] = other.id
        _USERS.clear()
        cached = _USERS[key] = (register, len(register.projects), by_file)
    try:
        return cached[2].get(register.data_path(relative))
    except UserError:
        return None


_USERS: dict[int, tuple] = {}


def _whole(register):
    """The whole register of the folder ``register`` was read from (one project's part of it, for
    a document, holds that project alone); loaded once per register."""
    if _WHOLE and _WHOLE[0] is register:
        return _WHOLE[1]
    from .register import load_register

    whole = load_register(register.root)[0]
    _WHOLE[:] = [register, whole]
    return whole


_WHOLE: list = []


# A project's own ledger whose rows name one other project this often (all, or all but a few) is
# that project's ledger, pointed at by mistake: one line for the file, not one per row
OTHER_LEDGER_SHARE = 0.9


# ERP names of a dimension that may hold the project's code (a work order, a cost centre): never read
# as Prosjekt (a cost centre is most often a department), named when data.ledger_code finds no Prosjekt
_PROJECT_LIKE = ("prosj", "ordre", "koststed", "kostnadssted", "kostnadsbærer", "aktivitet", "dimensjon", "objekt")


def ledger_code_unused(table: Table, code: str) -> list[Finding]:
    """A configured ``data.ledger_code`` with no row naming a project (no Prosjekt column, or a
    blank one): the code picked nothing, and every row, another project's too, was counted as the
    project's without a word (found by an outside tester: usage Brukt 253 000 for 198 000)."""
    frame = table.frame
    if not len(frame):
        return []
    column = frame["Prosjekt"]
    if not isinstance(column.dtype, pd.CategoricalDtype):
        if (column.astype(str).str.strip() != "").any():
            return []
    else:
        if table._projects is None or table._projects[0] is not frame:      # as ``project_ledger`` found them
            table._projects = (frame, _rows_by_project(column))
        if table._projects[1] is not None:
            return []
    lacks = ("no Prosjekt column" if not any(_known(LEDGER_COLUMNS).get(_norm(h)) is _PROSJEKT for h in table.headers)
             else "a Prosjekt column blank on every row")
    found = ", ".join(table.headers) or "none"
    found = found if len(found) <= 160 else found[:157] + "…"
    like = [h for h in table.headers if _known(LEDGER_COLUMNS).get(_norm(h)) is None
            and any(w in _norm(h) for w in _PROJECT_LIKE)]
    fix = (f"if {' or '.join(echo(h, 60) for h in like)} holds each row's project code, rename that header to "
           "Prosjekt; else " if like else "")
    return [Finding("error", table.file, table.header_line, "Prosjekt",
                    f"data.ledger_code is {code!r}, but the ledger has {lacks} (columns found: {found}), so "
                    f"grantflow cannot tell this project's rows from others'; {fix}add a column Prosjekt with "
                    "each row's project code, or remove data.ledger_code if every row is this project's")]


def ledger_code_findings(table: Table, code: str, users: dict[str, str],
                         known: dict[str, str] | None = None) -> list[Finding]:
    """Rows of a ledger with a Prosjekt column that no project reads: their money would be in no
    document. In a project's own file (no other project names it) each row whose code is not the
    project's, blank too, is an error naming the row. In a file several projects share, a code
    (or a blank) that is none of theirs is an error once per code, naming its first row, for every
    project sharing the file: which project's figures lack the money cannot be told. The work is
    per distinct code, not per row (a shared export has a million rows). A project's own file
    whose rows (all, or nearly) name one other project is one error for the file: it looks like
    that project's ledger (``known``: {casefolded code or id: project id} of the whole register),
    and relabelling its rows would count another project's costs."""
    frame = table.frame
    column = frame["Prosjekt"]
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    if table._projects is None or table._projects[0] is not frame:
        table._projects = (frame, _rows_by_project(column))
    rows = table._projects[1]
    if rows is None:                      # no row names a project: the whole file is the project's
        return []
    from .suggest import did_you_mean

    row_numbers = frame["_row"].to_numpy()
    amounts = frame["Beløp"].to_numpy()
    own = len(users) == 1
    choices = sorted(users)
    if own:
        other = _other_projects_ledger(table, code, users, known or {}, rows, column, row_numbers, amounts)
        if other is not None:
            return [other]
    out = []
    for name, positions in rows.items():
        if not len(positions) or name in users:
            continue
        written = str(column.iloc[positions[0]])
        meant = did_you_mean(written, choices) if written.strip() and not own else None
        hint = f" (did you mean {meant!r}?)" if meant else ""
        what = "blank" if not written.strip() else repr(written)
        if own:
            for position in positions[:WRONG_CODE_ROWS]:
                out.append(Finding("error", table.file, int(row_numbers[position]), "Prosjekt",
                                   f"Prosjekt is {what}, not this project's code {code!r}{hint}: the file is this "
                                   f"project's alone (no other project names it), so the row would count for no "
                                   f"project; write {code}"))
            if len(positions) > WRONG_CODE_ROWS:
                rest = count_shown(len(positions) - WRONG_CODE_ROWS)
                out.append(Finding("error", table.file, int(row_numbers[positions[WRONG_CODE_ROWS]]), "Prosjekt",
                                   f"{rest} more rows from here have Prosjekt {what}"))
        else:
            total = Decimal(repr(float(amounts[positions].sum()))).quantize(Decimal("0.01"))
            count = count_shown(len(positions))
            sharing = sorted(users.values())
            sharing = ", ".join(sharing) if len(sharing) <= 5 else f"{', '.join(sharing[:5])} and {len(sharing) - 5} more"
            out.append(Finding("error", table.file, int(row_numbers[positions[0]]), "Prosjekt",
                               f"Prosjekt is {what}{hint}, the code of no project sharing this file "
                               f"({sharing}), in {count} row(s), the first here, with "
                               f"{numbers.show(total)} kr: that money would count for no project; write the "
                               "project's code (data.ledger_code, default its id)"))
    return sorted(out, key=lambda f: f.line or 0)


def _other_projects_ledger(table: Table, code: str, users: dict[str, str], known: dict[str, str],
                           rows: dict, column, row_numbers, amounts) -> Finding | None:
    """The one line for a project's own ledger whose rows (all, or nearly) name one other project,
    or None."""
    total = len(row_numbers)
    name, positions = max(((n, p) for n, p in rows.items() if n.strip() and n not in users),
                          key=lambda item: len(item[1]), default=(None, ()))
    if name is None or len(positions) < OTHER_LEDGER_SHARE * total:
        return None
    written = str(column.iloc[positions[0]])
    money = numbers.show(Decimal(repr(float(amounts[positions].sum()))).quantize(Decimal("0.01")))
    count = len(positions)
    plural = "s" if count != 1 else ""
    said = (f"every row names project {written!r} ({count_shown(count)} row{plural}, sum {money} kr)"
            if count == total else
            f"{count_shown(count)} of {count_shown(total)} rows name project {written!r} (sum {money} kr)")
    owner = known.get(name)
    if owner is not None and owner in users.values():
        # the rows name this very project by its id while data.ledger_code says another code: "this
        # looks like <this project>'s ledger; point data.ledger at this project's own export" was
        # advice to change nothing (found by a reviewer)
        advice = (f"that is this project's id, but its data.ledger_code is {code!r}: remove data.ledger_code, "
                  f"or set it to the code the rows use")
    elif owner is not None:
        whose = owner if owner.casefold() == name else f"{owner} (its code {written!r})"
        advice = f"this looks like {whose}'s ledger; point data.ledger at this project's own export"
    else:
        advice = (f"no project of the register has that code: if {written!r} is this project's code in the accounts, "
                  f"set data.ledger_code: {_yaml_scalar(written)} (now {code!r}); if not, this is another project's ledger: point "
                  "data.ledger at this project's own export")
    return Finding("error", table.file, int(row_numbers[positions[0]]), "Prosjekt", f"{said}: {advice}")


_YAML_WORDS = {"yes", "no", "y", "n", "true", "false", "on", "off", "null"}


def _yaml_scalar(text: str) -> str:
    """A code as it can be written in the register's YAML and read back as that text: bare when
    it is a plain number or name, else in quotes ('0251' would be octal, 'no' a boolean)."""
    if re.fullmatch(r"[1-9]\d{0,17}", text) or (re.fullmatch(r"[A-Za-zÆØÅæøå][\w-]*", text)
                                               and text.casefold() not in _YAML_WORDS):
        return text
    return "'" + text.replace("'", "''") + "'"


def _rows_by_project(column: pd.Series) -> dict[str, np.ndarray] | None:
    """{casefolded Prosjekt: the positions of its rows, in file order}; None when no row names a
    project (the whole ledger is then the project's)."""
    names = sorted({str(c).casefold() for c in column.cat.categories})
    number = {name: i for i, name in enumerate(names)}
    # each category to its casefolded name's number; a missing value (code -1) to none
    to_name = np.asarray([number[str(c).casefold()] for c in column.cat.categories] + [-1], dtype=np.intp)
    name_of_row = to_name[column.cat.codes.to_numpy()]
    empty = number.get("")
    if empty is not None and (name_of_row == empty).all() or not len(name_of_row):
        return None
    order = np.argsort(name_of_row, kind="stable")               # rows by name, each in file order
    bounds = np.searchsorted(name_of_row[order], np.arange(len(names) + 1))
    return {name: order[bounds[i]:bounds[i + 1]] for i, name in enumerate(names)}


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


def collect(register, project, problems: list[Finding] | None = None, hours: bool = True,
            ledger: bool = True) -> ProjectData:
    """Read every data file the project references. An unreadable file raises UserError, or,
    when ``problems`` is given (validation), becomes a finding there and the other files are read.
    ``hours=False`` / ``ledger=False`` leave the hours file / the ledger unread, for a document
    that does not use it."""
    files = project.data
    data = ProjectData()

    def read(reader, relative):
        try:
            path = register.data_path(relative)
            try:
                missing = not path.exists()
            except OSError:
                missing = False                     # the reader says what is wrong with it
            if missing:
                # said where the path is written: a typo there, or a file never made
                key = next(k for k, _ in EMPTY_DATA if getattr(files, k) == relative)
                file, line = register.where("project", project.id, ("data", key))
                raise UserError(f"data file not found: {display_path(path)}; create it ({dict(EMPTY_DATA)[key]} "
                                f"is enough) or correct the path", file=file, line=line, field=f"data.{key}")
            return reader(path)
        except UserError as exc:
            if problems is None:
                raise
            file, line = register.where("project", project.id, ("data",))
            problems.append(Finding("error", exc.file or file, exc.line if exc.file else line,
                                    exc.field or "data", exc.message))
            return None

    if files.milestones:
        data.milestones = read(read_milestones, files.milestones)
    if files.ledger and ledger:
        ledger = read(read_ledger_cached, files.ledger)
        if ledger is not None:
            code = files.ledger_code or project.id
            data.ledger = project_ledger(ledger, code)
            if files.ledger_code:
                data.ledger.findings += ledger_code_unused(ledger, str(files.ledger_code))
            users = ledger_users(register, files.ledger)
            found = ledger_code_findings(ledger, code, users) if users is not None else []
            if found and len(users) == 1:
                # a document reads its own project's part of the register: whether another
                # project shares the file is the whole register's to say
                whole = _whole(register)
                users = ledger_users(whole, files.ledger) or users
                known = {}
                for other in whole.projects.values():
                    known[other.id.casefold()] = other.id
                    if other.data.ledger_code:
                        known[str(other.data.ledger_code).casefold()] = other.id
                found = ledger_code_findings(ledger, code, users, known)
            data.ledger.findings += found
    if files.hours and hours:
        data.hours = read(read_hours, files.hours)
        if data.hours is not None:
            hours_in_period(data.hours, project.period.start, project.period.end)
            hours_municipalities(data.hours, register.councils.get(project.council), project.municipalities,
                                 register.where("project", project.id, ("municipalities",))[0])
    if files.notes:
        notes = read(functools.partial(read_notes, ended=project.period.end, started=project.period.start),
                     files.notes)
        if notes is not None:
            data.notes, data.notes_findings = notes
    return data


def read_notes(path: Path, ended: date | None = None,
               started: date | None = None) -> tuple[ProjectNotes, list[Finding]]:
    """The project's notes YAML; schema problems become findings with their lines. With the
    project's end (``ended``), a status note dated after it and after today is an error: no report
    can use it, and it is most likely a typo (2061 for 2016). A note after the end but not in the
    future can be the year-end note the usage report per 31.12 reads. With its start (``started``),
    a note dated before it is an error too (2014 for 2016): there was nothing to report on yet, and
    the reports before the note's real date would print it.

    A note dated after today is an error too, wherever it lies: it says what is not yet so, and a
    report of its day would quote it as said then (a note of 20.12 written on 28.11 was quoted to
    the county governor: found by an outside tester). Except one taken in ahead of its report date
    (``reported_at`` on or before today): the status cycle asks the project leader days before the
    send date and files the answer under that date."""
    doc = load_yaml(path, display_path(path))
    try:
        notes = ProjectNotes.model_validate(doc.data or {})
    except ValidationError as exc:
        return ProjectNotes(), validation_findings(exc, doc)
    findings = []
    today = clock.today()
    for index, note in enumerate(notes.status):
        if ended is not None and note.as_of > ended and note.as_of > today:
            loc = ("status", index, "as_of")
            findings.append(Finding(
                "error", doc.file, doc.line_of(loc), f"status[{index}].as_of",
                f"status note dated {note.as_of.isoformat()} is after the project ended ({ended.isoformat()}) "
                f"and after today ({today.isoformat()}): no report can use it; check the date (the year?)"))
        elif note.as_of > today and (note.reported_at is None or note.reported_at.date() > today):
            loc = ("status", index, "as_of")
            findings.append(Finding(
                "error", doc.file, doc.line_of(loc), f"status[{index}].as_of",
                f"status note dated {note.as_of.isoformat()} is after today ({today.isoformat()}): a report would "
                "quote it as said on that day; date it the day it was written (the year?)"))
        elif started is not None and note.as_of < started:
            loc = ("status", index, "as_of")
            findings.append(Finding(
                "error", doc.file, doc.line_of(loc), f"status[{index}].as_of",
                f"status note dated {note.as_of.isoformat()} is before the project starts ({started.isoformat()}): "
                "check the date (the year?)"))
    return notes, findings
