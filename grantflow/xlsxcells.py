"""Worksheet cells as the file holds them, never more.

openpyxl's ``iter_rows``/``max_row``/``max_column`` pad every row to the widest cell and every
sheet to the farthest row (or to what the sheet's ``<dimension>`` element claims): one cell in
XFD1048576 of a 5 KB workbook asks for 17 billion cells. Every grantflow reader therefore goes
through :func:`sheet_rows`, which streams a read-only worksheet's XML and yields only the rows
and cells present, plus which cells hold a formula without a cached value and which ranges are
merged (read-only openpyxl drops both).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from .numbers import echo

# openpyxl is imported where a worksheet is read: rendering a document from CSV files (the usual
# case) does not pay its ~0.1 s import.

# A file that begins as a workbook does but whose zip archive is broken: most likely the first part
# of one (an interrupted copy or download). Said so by every reader of workbooks (found by an
# outside tester: 'a zip archive but not a readable Excel workbook (BadZipFile: 'File is not a zip
# file')' contradicted itself).
DAMAGED_WORKBOOK = ("the workbook is damaged or cut short (an interrupted copy or download?): open the original "
                    "in Excel and save it again")


class NoValue(str):
    """A cell holding a formula but no computed value (a file saved by a program that does not
    calculate, such as openpyxl): the text is the formula. Never a value to read — a reader that
    meets one refuses the cell."""


class CellError(str):
    """A cell showing an Excel error (``#DIV/0!``, ``#REF!``, ``#N/A`` ...): a formula that failed.
    Never a value to read — not even as text (it would reach a report as '#DIV/0!')."""


class Percent(float):
    """A number in a cell formatted as a percentage: Excel holds «30 %» as 0.3. Never read as the
    plain number (a split's 30 % would become 0.3 %, an amount typed «50 %» 0.5 kr)."""

    def __repr__(self) -> str:
        return f"{float(self) * 100:g} %"

    __str__ = __repr__


class Misshown(float):
    """A number whose cell shows it rounded: its number format has fewer decimals than the number
    (``#,##0`` shows 1250,4 as «1 250»). ``shown`` is the figure Excel shows, ``code`` the format,
    ``ref`` the cell, ``percent`` whether the format shows it as a percentage. Made only for a
    reader that asks for it (``sheet_rows(..., shown=True)``: a returned workbook's), which refuses
    it: the leader saw one figure and grantflow would count another."""

    shown: str
    code: str
    ref: str
    percent: bool
    why: str            # decimals (rounded away), scaled (a comma divides it), nothing, digits (of the format's own)

    def __new__(cls, value, shown: str, code: str, ref: str, percent: bool = False, why: str = "decimals"):
        self = super().__new__(cls, value)
        self.shown, self.code, self.ref, self.percent, self.why = shown, code, ref, percent, why
        return self


def percent_refused(value: Percent) -> str:
    """Why a percentage cell is not read where a plain number belongs."""
    return (f"the cell is formatted as a percentage ({value!r}, which Excel holds as {float(value)!r}); "
            "type the number in a cell formatted as a number")


class BadText(CellError):
    """Text holding a character no document can (Excel saves a control character such as Word's
    vertical tab as ``_x000B_``); the text is the cell's, the escape decoded."""


# Excel writes a character XML cannot hold as _xHHHH_ (and a literal '_x' as '_x005F_x', which
# openpyxl undoes for shared strings only). Only these are decoded: the C0 controls, DEL, U+FFFE/F.
_ESCAPE = re.compile(r"_x(00[01][0-9A-Fa-f]|007[Ff]|[Ff][Ff][Ff][EeFf])_")
_ALLOWED = "\t\n\r"


def _unescape(text: str):
    """The text a cell's string stands for: _x000D_ is a carriage return, _x000B_ a vertical tab
    (then the text is :class:`BadText`)."""
    decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text.replace("_x005F_x", "\0x005F"))
    decoded = decoded.replace("\0x005F", "_x")
    if any(ch not in _ALLOWED for ch in _ESCAPE_CHARS.findall(decoded)):
        return BadText(decoded)
    return decoded


_ESCAPE_CHARS = re.compile("[\x00-\x1f\x7f\ufffe\uffff]")
_BAD_SHOWN = {chr(c) for c in [*range(0x20), 0x7F, 0xFFFE, 0xFFFF]} - set(_ALLOWED)


EXCEL_MAX_TEXT = 32_767            # characters in one cell: Excel cuts a longer text when it opens the file


class TooLong(CellError):
    """Text longer than a cell holds in Excel: taken in, it could never go out in a workbook whole."""


class NoDate(CellError):
    """A date cell holding a number no calendar has (e.g. -131784998); the text is that number."""


# openpyxl warns (on stderr, naming its own source file) about such a cell and makes it '#VALUE!';
# grantflow reports it as a finding of its own instead.
warnings.filterwarnings("ignore", message=r"Cell \S+ is marked as a date but the serial value", category=UserWarning)


def unreadable(value) -> str | None:
    """Why a cell's value cannot be taken as the user's value, or None when it can."""
    if isinstance(value, NoValue):
        return f"a formula without a computed value ({value[:60]!r}); type the value itself"
    if isinstance(value, TooLong):
        return (f"the text is {len(value):,} characters; a cell holds at most {EXCEL_MAX_TEXT:,} (Excel's limit): "
                f"shorten it").replace(",", " ")
    if isinstance(value, BadText):
        found = next(ch for ch in value if ch in _BAD_SHOWN)
        return (f"the text holds the control character U+{ord(found):04X} (e.g. a line break pasted from Word); "
                f"retype it without")
    if isinstance(value, NoDate):
        return f"a date cell holding the number {value[:20]}, which is no date; type the date (dd.mm.åååå)"
    if isinstance(value, CellError):
        return f"the cell shows the Excel error {value[:20]!r} (a formula that failed); fix it or type the value"
    return None


class DamagedCell(ValueError):
    """A cell the sheet's XML spells wrong (a number 'abc', a date 2016-02-30, a shared string that
    does not exist): the file is damaged; the text is the cell's reference."""


# A zip bomb: 335 KB of workbook whose shared strings unpacked to 136 MB cost 899 MB and four
# minutes to read, with no finding (found by an outside tester). Apache POI's rule: a part that
# unpacks to more than 100 times its packed size is refused (real workbooks' XML packs ~5-20:1).
MAX_INFLATE = 100
INFLATE_CHECKED_FROM = 1 << 20       # parts up to 1 MB unpacked are not worth the check
MAX_UNPACKED = 400 * 1024 * 1024     # the whole workbook, unpacked


def unpacked_within_limits(path, shown: str) -> None:
    """Refuse a workbook that would unpack to far more than it holds (a zip bomb), by the sizes
    its zip directory declares (zipfile reads no further than the declared size of a part)."""
    from zipfile import ZipFile

    from .errors import UserError

    with ZipFile(path) as archive:
        parts = archive.infolist()
    total = sum(info.file_size for info in parts)
    if total > MAX_UNPACKED:
        raise UserError(f"the workbook unpacks to {total // 1_000_000} MB (at most {MAX_UNPACKED // 1_000_000} MB is "
                        "read); save the sheet as CSV (semicolon-separated, UTF-8) instead", file=shown)
    for info in parts:
        if info.file_size > INFLATE_CHECKED_FROM and info.file_size > MAX_INFLATE * max(info.compress_size, 1):
            raise UserError(f"the workbook's part {info.filename!r} unpacks to {info.file_size // 1_000_000} MB from "
                            f"{max(info.compress_size // 1000, 1)} KB (more than {MAX_INFLATE} times): a damaged file or "
                            "a zip bomb, not read; open it in Excel and save it again, or save the sheet as CSV",
                            file=shown)


class RepeatedRow(ValueError):
    """The sheet's XML holds a row number twice, or its rows out of order (Excel never writes
    that): Excel and LibreOffice show one copy of a repeated row, and both would be counted."""

    def __init__(self, row: int):
        super().__init__(row)
        self.row = row

    def __str__(self) -> str:
        return (f"row {self.row}: the file holds row {self.row} twice (or its rows out of order), and Excel "
                "shows only one copy of it; open the workbook in Excel or LibreOffice and save it again")


@cache
def _parser_class():
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class _Parser(WorkSheetParser):
        """openpyxl's sheet parser that also keeps formulas without a cached value (``data_only``)
        and marks error cells."""

        def parse_cell(self, element):
            try:
                cell = super().parse_cell(element)
            except (ValueError, IndexError, TypeError, KeyError, OverflowError) as exc:
                raise DamagedCell(element.get("r") or "?") from exc
            formula = self.formula_of(element, cell) if element.find(FORMULA_TAG) is not None else None
            if cell["value"] is None and formula is not None:
                cell["value"] = NoValue("=" + formula)
            elif type(cell["value"]) is str and len(cell["value"]) > EXCEL_MAX_TEXT:
                cell["value"] = TooLong(cell["value"])
            elif type(cell["value"]) is str and "_x" in cell["value"]:
                cell["value"] = _unescape(cell["value"])
            elif (cell["data_type"] == "n" and type(cell["value"]) in (int, float)
                  and int(element.get("s", 0)) in self.percent_formats):
                cell["value"] = Percent(cell["value"])
            elif cell["data_type"] == "e" and cell["value"] is not None:
                if element.get("t", "n") == "n":          # a number openpyxl could not turn into a date
                    cell["value"] = NoDate(element.findtext(VALUE_TAG) or cell["value"])
                else:
                    cell["value"] = CellError(cell["value"])
            if type(cell["value"]) in (int, float) and formula is not None:
                if sums_own_column(formula, cell["column"]):
                    self.sums.append((cell["row"], cell["column"], "=" + formula))
            code = self.hiding_formats.get(int(element.get("s", 0)))
            if code is not None and shows_nothing(code, cell["value"]):
                self.unseen.append((cell["row"], cell["column"], code))
            code = self.misstating_formats.get(int(element.get("s", 0)))
            if code is not None and misstates(code, cell["value"]):
                self.misstated.append((cell["row"], cell["column"], code))
            code = self.rounding_formats.get(int(element.get("s", 0))) if self.rounding_formats else None
            if code is not None and type(cell["value"]) in (int, float, Percent):
                value = cell["value"]
                if shows_nothing(code, value):
                    shown, why = "nothing", "nothing"
                elif misstates(code, value):
                    shown = shown_rounded(code, value, always=True)
                    why = "scaled" if shown is not None else "digits"
                else:
                    shown, why = shown_rounded(code, value), "decimals"
                if shown is not None or why == "digits":
                    from openpyxl.utils import get_column_letter

                    cell["value"] = Misshown(value, shown or "", code, f"{get_column_letter(cell['column'])}{cell['row']}",
                                             isinstance(value, Percent), why)
            return cell

        def formula_of(self, element, cell) -> str:
            """The cell's formula without its '='. A shared formula's follower (Excel's fill-down,
            ``<f t="shared" si="0"/>`` with no text) has the master's formula moved to it, as Excel
            shows it: '=SUM(E2:E10)' in E11 is '=SUM(E3:E11)' in E12."""
            tag = element.find(FORMULA_TAG)
            text = tag.text or ""
            if tag.get("t") != "shared":
                return text
            from openpyxl.formula.translate import Translator
            from openpyxl.utils import get_column_letter

            here = f"{get_column_letter(cell['column'])}{cell['row']}"
            if text:
                self.shared_masters[tag.get("si")] = ("=" + text, here)
                return text
            master = self.shared_masters.get(tag.get("si"))
            if master is None:
                return text
            try:
                return Translator(*master).translate_formula(here)[1:]
            except Exception:                 # a formula openpyxl cannot move: read as written, no guess
                return text

    return _Parser


# SUM, SUBTOTAL, AGGREGATE (stored as _xlfn.AGGREGATE) or SUMPRODUCT over a range; SUMIF and
# SUMIFS, whose summed range is one argument (the others choose rows); a reference's column letters
_SUMMING = re.compile(r"(?i)(?:^|[^\w.])(?:_xlfn\.)?(?:sum|subtotal|aggregate|sumproduct)\s*\(")
_SUMIF = re.compile(r"(?i)(?:^|[^\w.])(?:_xlfn\.)?(sumifs?)\s*\(")
_DSUM = re.compile(r"(?i)(?:^|[^\w.])(?:_xlfn\.)?dsum\s*\(")
# one term of a formula that only adds with '+': a cell (maybe on another sheet, maybe in brackets) or a number
_PLUS_TERM = re.compile(r"(?i)\s*\(*\s*(?:(?P<sheet>(?:'[^']*'|[\w.]+)!)?\$?(?P<column>[A-Z]{1,3})\$?\d+|"
                        r"\d+(?:[.,]\d+)?)\s*\)*\s*")
_REFERENCE = re.compile(r"(?i)(?<![\w.!:$])\$?([A-Z]{1,3})\$?\d+(?::\$?([A-Z]{1,3})\$?\d+)?|"
                        r"(?<![\w.!:$])\$?([A-Z]{1,3}):\$?([A-Z]{1,3})(?![\w(])")


def sums_own_column(formula: str, column: int) -> bool:
    """Whether a cell's formula adds up other cells of its own column (``=SUBTOTAL(9,E2:E10)``,
    ``=SUM(E2:E10)``, ``=AGGREGATE(9,4,E:E)``, ``=SUMPRODUCT(E2:E10)``, ``=SUMIF(C2:C10,"Reise",E2:E10)``,
    ``=SUMIFS(E2:E10,C2:C10,"Reise")`` in column E): a subtotal or total row of the sheet. A SUMIF
    or SUMIFS that adds up another column, or another sheet (``Budsjett!E2:E10``: a cost fetched from
    a cost sheet), is a value of its own, as ``=SUM(H2:I2)`` is: only its summed range counts, not
    the ranges that choose the rows.

    Written without SUM: a formula that only adds with '+' (cells and numbers, brackets, a leading
    '+' as Lotus taught) and takes in two or more other cells of its own column (``=E2+E3+E4``,
    ``=+E5+E6``) adds up rows of the table, as does ``=DSUM(A1:G10,"Beløp",I1:I2)``, a database sum
    whose database takes in its own column, unless its field is a column number that points to
    another column (``=DSUM(A1:G10,7,I1:I2)`` in E); a text or cell field names a header this reader
    does not check, and a database sum of another column in the amount column is no cost either.
    One cell of its own column is no sum (``=E5+F5``: a cost plus a fee in another column), nor
    is any other arithmetic (``=E5*1.25``, ``=E5-E6``): those are values of their own."""
    if _SUMMING.search(formula) and _covers(formula, column):
        return True
    if _adds_own_cells(formula, column):
        return True
    for match in _DSUM.finditer(formula):
        args = _arguments(formula, match.end())
        if not _covers(args[0], column):
            continue
        field = args[1].strip() if len(args) > 1 else ""
        first = _REFERENCE.search(args[0])
        if field.isdigit() and first is not None:
            from openpyxl.utils import column_index_from_string

            start = column_index_from_string((first.group(1) or first.group(3)).upper())
            if start + int(field) - 1 != column:
                continue
        return True
    for match in _SUMIF.finditer(formula):
        args = _arguments(formula, match.end())
        if match.group(1).lower() == "sumifs":
            summed = args[:1]
        else:
            summed = args[2:3] or args[:1]
        if summed and _covers(summed[0], column):
            return True
    return False


def sums_own_column_said(formula: str, row: int) -> str:
    """What is wrong with row ``row`` of a table whose value is ``formula``, which adds up other
    cells of its own column (``sums_own_column``), and what to do: said alike for a data file and
    for a workbook's table."""
    return (f"the formula {echo(formula, 60)} adds up other cells of its own column, so row {row} is a subtotal "
            "or total row, not a value of its own: grantflow adds up the rows itself, so it would be counted "
            "twice; delete the row")


def _adds_own_cells(formula: str, column: int) -> bool:
    """Whether ``formula`` is only cells and numbers joined by '+', two or more of them cells of
    ``column`` on this sheet."""
    from openpyxl.utils import column_index_from_string

    terms = formula.split("+")
    if terms and not terms[0].strip():
        terms = terms[1:]                 # '=+E2+E3'
    own = 0
    for term in terms:
        match = _PLUS_TERM.fullmatch(term)
        if match is None:
            return False
        if match.group("column") and not match.group("sheet"):
            try:
                own += column_index_from_string(match.group("column").upper()) == column
            except ValueError:
                return False
    return own >= 2


def _arguments(formula: str, start: int) -> list[str]:
    """The top-level arguments of the call whose '(' ends just before ``start``."""
    args, depth, quoted, begin = [], 0, False, start
    for i in range(start, len(formula)):
        ch = formula[i]
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in "({":
            depth += 1
        elif ch in ")}":
            if depth == 0:
                args.append(formula[begin:i])
                return args
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(formula[begin:i])
            begin = i + 1
    args.append(formula[begin:])
    return args


def _covers(text: str, column: int) -> bool:
    """Whether a reference in ``text`` (on this sheet) takes in ``column``."""
    from openpyxl.utils import column_index_from_string

    for match in _REFERENCE.finditer(text):
        first, last = (match.group(1), match.group(2) or match.group(1)) if match.group(1) else match.group(3, 4)
        try:
            if column_index_from_string(first.upper()) <= column <= column_index_from_string(last.upper()):
                return True
        except ValueError:
            continue
    return False


def _number_formats(book) -> dict[int, str]:
    """The number format code of each cell style (``General``, ``0%``, a custom one)."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, builtin_format_code

    out = {}
    for idx, style in enumerate(getattr(book, "_cell_styles", ())):
        number_format = style.numFmtId
        if number_format >= BUILTIN_FORMATS_MAX_SIZE:
            formats = book._number_formats
            i = number_format - BUILTIN_FORMATS_MAX_SIZE
            out[idx] = formats[i] if i < len(formats) else ""
        else:
            out[idx] = builtin_format_code(number_format) or ""
    return out


def _percent_styles(codes: dict[int, str]) -> set[int]:
    """The cell styles whose number format shows a percentage (``0%``, ``0.00%``, a custom one)."""
    # A % outside quotes and not escaped scales the value by 100 on screen.
    return {idx for idx, code in codes.items() if "%" in re.sub(r'"[^"]*"|\\.', "", code)}


# What a format section may hold and still show nothing: a colour or condition, a space the width of
# a character (_x), a fill (*x), an escaped or quoted blank, blanks.
_NOTHING_SHOWN = re.compile(r'\[[^\]]*\]|_.|\*.|\\\s|"\s*"|\s')


def _sections(code: str) -> list[str]:
    """A number format's sections (positive; negative; zero; text), split at ';' outside quotes."""
    parts = [""]
    for token in re.findall(r'"[^"]*"?|\\.?|[^"\\]', code):
        if token == ";":
            parts.append("")
        else:
            parts[-1] += token
    return parts


def _empty(section: str) -> bool:
    return not _NOTHING_SHOWN.sub("", section)


# What makes a section show a number: a digit placeholder, General, a date or time part, or '@'
# (a number under the text format is shown as typed). Quoted text, escaped characters, colours and
# conditions, spaces (_x) and fills (*x) show no value.
_LITERALS = re.compile(r'"[^"]*"?|\\.|\[[^\]]*\]|_.|\*.')
_SHOWS_VALUE = re.compile(r"(?i)[0#?@]|general|[ymdhseb]")
_CONDITION = re.compile(r"\[\s*(<=|>=|<>|=|<|>)\s*(-?\d+(?:[.,]\d+)?)\s*\]")


def _shows_value(section: str) -> bool:
    return bool(_SHOWS_VALUE.search(_LITERALS.sub("", section)))


def _holds(condition: re.Match, value: float) -> bool:
    limit = float(condition.group(2).replace(",", "."))
    return {"<": value < limit, ">": value > limit, "=": value == limit, "<=": value <= limit,
            ">=": value >= limit, "<>": value != limit}[condition.group(1)]


def _section_for(sections: list[str], value: float) -> str:
    """The section of a number format Excel uses for a number: by the conditions when there are
    any ('[>=1000000];0'), else positive; negative; zero."""
    numeric = sections[:3]
    first = _CONDITION.search(numeric[0])
    second = _CONDITION.search(numeric[1]) if len(numeric) > 1 else None
    if first or second:
        if first and _holds(first, value):
            return numeric[0]
        if second:
            return numeric[1] if _holds(second, value) else numeric[2] if len(numeric) > 2 else numeric[1]
        if len(numeric) > 2 and value >= 0:
            return numeric[2]
        return numeric[1] if len(numeric) > 1 else numeric[0]
    if value > 0 or len(numeric) < 2:
        return numeric[0]
    return numeric[1]


def shows_nothing(code: str, value) -> bool:
    """True when number format ``code`` does not show ``value`` (a number, a text) in Excel: the
    section that applies to it holds no digit placeholder (0 # ?), no General and no date part, so
    Excel shows nothing (``;;;``, ``0;;`` for a negative) or only a literal (``"-"``, ``[>0]"";0``,
    ``[>=1000000];0`` for a million). A zero shown blank or as '-' (``0;-0;;@``) counts nothing and
    is not said; a text is hidden only by an empty fourth section."""
    sections = _sections(code)
    if not code:
        return False
    if isinstance(value, str):
        return not isinstance(value, (NoValue, CellError)) and len(sections) >= 4 and _empty(sections[3])
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value == 0:
        return False
    return not _shows_value(_section_for(sections, float(value)))


def shows_blank(code: str, value) -> bool:
    """Whether the section of ``code`` for the number ``value`` shows nothing at all (``;;;``), not
    even a literal such as '-'."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    return _empty(_section_for(_sections(code), float(value)))


_OWN_DIGITS = re.compile(r'"[^"]*\d[^"]*"|\\\d|\*\d')
_SCALING = re.compile(r"[0#?],+(?![0#?,])")


def misstates(code: str, value) -> str | None:
    """Why number format ``code`` shows another number than ``value`` in Excel, or None: a comma
    after the last digit placeholder divides it by 1 000 on screen ('#,##0,' shows 1 250 000 as
    '1,250'), and digits written into the format are shown beside the value's own ('0" 000"'
    shows 1 450 as '1450 000'; also an escaped digit '\\0' and a fill with a digit '*0'). Found by
    an outside tester: each showed an amount 1 000 times off from what grantflow counted."""
    if not code or isinstance(value, bool) or not isinstance(value, (int, float)) or value == 0:
        return None
    section = _section_for(_sections(code), float(value))
    if _OWN_DIGITS.search(section):
        return "digits written into the format are shown beside the number's own"
    if _SCALING.search(_LITERALS.sub(" ", section)):
        return "a comma after the digits divides the number by 1 000 on screen"
    return None


# A section this reads the decimals of: digit placeholders, grouping commas, one decimal point and
# percent signs, once literals, colours and conditions are taken away (not General, a date, a
# fraction, exponent notation or text: those are not said to round)
_PLAIN_NUMBER = re.compile(r"[0#?,\s]*[0#?][0#?,\s]*(?:\.[0#?,\s]*)?%*")


def scaling_of(code: str, value) -> int:
    """How many times a comma after the digits divides ``value`` by 1 000 on screen (``#,##0,``: 1)."""
    section = _LITERALS.sub(" ", _section_for(_sections(code), float(value)))
    return sum(len(m.group()) - 1 for m in _SCALING.finditer(section))


def shown_rounded(code: str, value, always: bool = False) -> str | None:
    """The figure number format ``code`` shows for ``value`` when it rounds away digits the number
    holds (``#,##0`` shows 1250,4 as '1 250', ``0%`` shows 0,305 as '31 %'), the Norwegian way;
    None when it shows the number whole, within a float's noise (0,1 + 0,2 under ``0.00``), or
    when the format is not a plain number format (General shows the decimals; a date, fraction or
    exponent is left alone, as are digits written into the format). A comma after the digits
    (``#,##0,``) divides the number by 1 000 on screen: 1 250 000 shows as '1 250'. ``always``:
    the figure shown even when it rounds nothing away (a plain format's, else None)."""
    import math
    from decimal import ROUND_HALF_UP, Decimal

    if not code or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    section = _section_for(_sections(code), float(value))
    if _OWN_DIGITS.search(section):
        return None
    bare = re.sub(r"[-+$():!^&'~{}<>=\s]", "", _LITERALS.sub("", section))   # characters Excel shows as typed
    if not _PLAIN_NUMBER.fullmatch(bare):
        return None
    scaling = sum(len(m.group()) - 1 for m in _SCALING.finditer(bare))      # '#,##0,': one thousand
    bare = _SCALING.sub(lambda m: m.group()[0], bare)
    head, _, tail = bare.rstrip("%").partition(".")
    places, least = len(re.findall(r"[0#?]", tail)), len(re.findall(r"0", tail))
    number = abs(Decimal(repr(float(value)))) * 100 ** bare.count("%") / 1000 ** scaling
    rounded = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if not always and abs(rounded - number) <= max(Decimal("1e-6"), number * Decimal("1e-12")):
        return None
    whole, _, frac = format(rounded, "f").partition(".")
    frac = frac.rstrip("0").ljust(least, "0")
    if int(whole) == 0 and "0" not in head:
        whole = ""                                       # '#.##' shows 0,4 as ',4'
    elif "," in head:
        whole = f"{int(whole):,}".replace(",", " ")
    sign = "-" if value < 0 else ""
    return (sign + whole + ("," + frac if frac else "") + (" %" if "%" in bare else "")).strip() or "nothing"


def _misstating_styles(codes: dict[int, str]) -> dict[int, str]:
    """The cell styles whose number format may show another number than the cell's, with that format."""
    return {idx: code for idx, code in codes.items()
            if code and any(_OWN_DIGITS.search(part) or _SCALING.search(_LITERALS.sub(" ", part))
                            for part in _sections(code))}


def _hiding_styles(codes: dict[int, str]) -> dict[int, str]:
    """The cell styles whose number format has a section that may not show a value, with that format."""
    return {idx: code for idx, code in codes.items()
            if code and any(_empty(part) or not _shows_value(part) for part in _sections(code))}


@dataclass
class SheetInfo:
    """Filled once :func:`sheet_rows` has run to the end."""

    merged: list[str] = field(default_factory=list)                  # "D6:F7"
    hidden_rows: list[int] = field(default_factory=list)             # rows hidden by hand or by a filter
    hidden_columns: set[int] = field(default_factory=set)             # columns hidden (or of width 0)
    unseen: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, format): value not shown
    misstated: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, format): another number shown
    sums: list[tuple[int, int, str]] = field(default_factory=list)    # (row, column, formula): sums its column


def _hidden(dims: dict, size: str) -> bool:
    """A row or column Excel does not show: hidden, or of height/width 0."""
    if dims.get("hidden") in ("1", "true"):
        return True
    try:
        return float(dims.get(size, "1")) == 0
    except ValueError:
        return False


def sheet_rows(ws, info: SheetInfo | None = None, shown: bool = False) -> Iterator[tuple[int, dict[int, object]]]:
    """(row number, {column number: value}) for each row the sheet's XML holds, in order; only
    cells with a value are in the dict (a formula without a computed value as :class:`NoValue`).
    ``ws`` is a worksheet of a ``read_only=True`` workbook. With ``shown``, a number whose format
    shows it rounded is a :class:`Misshown`."""
    book = ws.parent
    with ws._get_source() as src:
        parser = _parser_class()(src, ws._shared_strings, data_only=book.data_only, epoch=book.epoch,
                         date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        codes = _number_formats(book)
        parser.percent_formats = _percent_styles(codes)
        parser.hiding_formats = _hiding_styles(codes)
        parser.unseen = info.unseen if info is not None else []
        parser.misstating_formats = _misstating_styles(codes)
        parser.misstated = info.misstated if info is not None else []
        parser.rounding_formats = {idx: code for idx, code in codes.items()
                                   if shown and code and code.lower() != "general"}
        parser.sums = info.sums if info is not None else []
        parser.shared_masters = {}               # si -> (the master's formula, its cell): for its followers
        last = 0
        for r, cells in parser.parse():
            if r <= last:
                raise RepeatedRow(r)
            last = r
            if info is not None and _hidden(parser.row_dimensions.get(str(r), {}), "ht"):
                info.hidden_rows.append(r)
            yield r, {cell["column"]: cell["value"] for cell in cells if cell["value"] is not None}
        if info is not None and parser.merged_cells is not None:
            info.merged = [str(m.ref) for m in parser.merged_cells.mergeCell]
        if info is not None:
            for dims in parser.column_dimensions.values():
                if _hidden(dims, "width"):
                    try:
                        info.hidden_columns.update(range(int(dims["min"]), int(dims.get("max", dims["min"])) + 1))
                    except (KeyError, ValueError):
                        pass


def padded(cells: dict[int, object], width: int | None = None) -> tuple:
    """The row as a tuple from column 1 to ``width`` (default: its last cell)."""
    if width is None:
        width = max(cells, default=0)
    out = [None] * width
    for c, value in cells.items():
        if c <= width:
            out[c - 1] = value
    return tuple(out)


def cell_name(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
