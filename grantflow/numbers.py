"""The one reader of numbers and dates a user writes: ledger cells, YAML amounts, hours, dates.

Numbers are read the Norwegian way and a value that can be read two ways is refused, never guessed:

- thousands grouped by space, non-breaking space (U+00A0), narrow no-break space (U+202F), thin
  space or dot: ``1 234 567``, ``1.234.567``, ``350.000`` (= 350 000);
- decimal comma: ``1 234,50``, ``12.000,50``; a decimal point where it cannot be a thousands
  separator (``12.5``, ``1 234.50``);
- ``kr``/``kr.``/``NOK`` before or after, ``1 200,-`` (whole kroner), a minus sign (``-``, ``−``) in
  front, before or after the currency (``kr -2 400,00``, Excel's ``-kr 2 400,00``).

Refused with both readings named: ``1,234.50`` and ``12,000.50`` (English grouping), ``12,000``
(comma then three digits: 12 or 12 000?) unless other values of the column show the comma as
decimal mark, ``1.234`` when other values of the column show the point as decimal mark, exponent
notation (``1e5``), a sign or currency with no number (``-``, ``kr -``, ``-kr``: not read as 0),
and a point before three digits (``1.500``) in a unit where it may as well be a decimal point
(``AMBIGUOUS_POINT``: hours, 1000 kr, percent, rates, whole numbers), and a number written as
kroner (``kr``, ``NOK``, ``,-``) where the unit is not kroner (hours, whole numbers, a budget kept
in 1000 kr: ``kr 350 000,-`` is no 350 000 thousand). Refused as well: ``inf``,
``NaN``, values over the ceiling (default 10^12 kr, ``max_amount`` in ``config/grantflow.yaml``),
malformed grouping (``1 23 456``).

Dates are ``dd.mm.åååå`` (``d.m.åååå`` too), ``åååå-mm-dd`` (an Excel time of day after it is
ignored) or a Norwegian long date (``1. mars 2026``, ``1. mar. 2026``, bokmål or nynorsk); a day
that does not exist or a year outside 1900–2100 is refused.
"""

from __future__ import annotations

import calendar as _calendar
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from .text import escaped_invisible, is_total

DEFAULT_CEILING = Decimal(10) ** 12
_ceiling = DEFAULT_CEILING

FIRST_YEAR, LAST_YEAR = 1900, 2100
DATE_FORMATS = "dd.mm.åååå or åååå-mm-dd"
ECHO = 200


def set_ceiling(value) -> None:
    """The largest absolute amount accepted (kroner); from ``max_amount`` in grantflow.yaml."""
    global _ceiling
    _ceiling = Decimal(value) if value is not None else DEFAULT_CEILING


def ceiling() -> Decimal:
    return _ceiling


def echo(value, limit: int = ECHO) -> str:
    """A value as it may be shown in a message: repr'd and at most ``limit`` characters. A space
    of another width (U+00A0, U+202F …) is shown as the space it looks like ('12 345,67', not
    '12\\xa0345,67'); a cell that is a date, a time or a duration is said in the user's terms."""
    said = cell_value(value)
    if said is not None:
        return said
    # a character that shows as nothing is written as its escape, whatever its category (repr()
    # escaped U+200B but printed U+034F as it is: 'Su\u034fm' read 'Sum')
    text = escaped_invisible(repr(value.translate(_SHOWN_AS_SPACE) if isinstance(value, str) else value))
    if len(text) > limit:
        text = text[: limit - 12] + f"…' ({len(str(value))} chars)"
    return text


# Spaces of another width, which repr() would write as \xa0 or \u202f: shown as the space they look like
# (a soft hyphen, which shows only where a line breaks, is not shown)
_SHOWN_AS_SPACE = str.maketrans({**{c: " " for c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                                                    "\u2007\u2008\u2009\u200a\u202f\u205f\u3000"},
                                 "\u00ad": None})


def _clock(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def cell_value(value) -> str | None:
    """What a workbook cell holds when it is a date, a time of day or a duration, as the user sees
    it in Excel ('a date, 01.02.2013', 'a time, 7:30', 'a duration, 7:30'); None for anything else."""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return f"a date, {value:%d.%m.%Y}"
        return f"a date and time, {value:%d.%m.%Y} {value.hour}:{value.minute:02d}"
    if isinstance(value, date):
        return f"a date, {value:%d.%m.%Y}"
    if isinstance(value, time):
        return f"a time, {value.hour}:{value.minute:02d}"
    if isinstance(value, timedelta):
        return f"a duration, {'-' if value < timedelta(0) else ''}{_clock(abs(value.total_seconds()))}"
    return None


def hours_of(value) -> Decimal | None:
    """The hours a time of day or duration cell (7:30) stands for, as a worked-hours column means it."""
    if isinstance(value, time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
    elif isinstance(value, timedelta):
        seconds = value.total_seconds()
    else:
        return None
    return (Decimal(round(seconds / 60)) / 60).quantize(Decimal("0.01")).normalize()


def not_a_number(value, unit: str = "kr") -> str:
    """Why a workbook cell that is a date, time or duration is no number, and what to write."""
    said = cell_value(value)
    hours = hours_of(value)
    if hours is not None and unit == "timer":
        return (f"the cell holds {said}, not a number of hours: write the hours as a number, "
                f"{decimal_spelling(hours)} ({said.split(', ')[1]} is {decimal_spelling(hours)} hours)")
    if isinstance(value, (datetime, date)):
        return (f"the cell holds {said}, not a number (Excel makes a date of a number such as 1.2 typed into "
                "the cell): format the column as Number and type the value again")
    return f"the cell holds {said}, not a number: format the column as Number and type the value again"


SHOWN_DIGITS = 30                  # a number with more digits is shown as a power of ten


def show(value: Decimal) -> str:
    """A reading shown to the user the Norwegian way, with the decimals as written: ``1 234,50``.
    A number of more than 30 digits either side of the comma (``1e5000`` written in a cell) is
    shown as ``1 × 10^5000``: written out it would be thousands of characters, or more than Python
    turns into text at all."""
    sign = "-" if value.is_signed() and value != 0 else ""
    magnitude = value.copy_abs()          # abs() rounds to the context and overflows past 10^999999
    if magnitude and not -SHOWN_DIGITS <= magnitude.adjusted() < SHOWN_DIGITS:
        digits = magnitude.as_tuple().digits
        mantissa = str(digits[0]) + ("," + "".join(map(str, digits[1:6])).rstrip("0") if len(digits) > 1 else "")
        return f"{sign}{mantissa.rstrip(',')} × 10^{magnitude.adjusted()}"
    whole, _, frac = format(magnitude, "f").partition(".")
    return sign + f"{int(whole):,}".replace(",", " ") + ("," + frac if frac else "")


class NumberError(ValueError):
    """The text is not a number grantflow will read; the message says why (and what to write)."""


# Evidence a value gives about how its column is written.
DOT_DECIMAL, COMMA_DECIMAL, DOT_GROUP, COMMA_GROUP = "dot-decimal", "comma-decimal", "dot-group", "comma-group"


@dataclass(frozen=True)
class Reading:
    """One cell's reading. ``pending`` marks a value whose meaning depends on its column:
    ``"dot3"`` (``350.000``: thousands unless the column uses a decimal point) and ``"comma3"``
    (``12,000``: decimal only if the column uses a decimal comma); ``other`` is the alternative."""

    value: Decimal | None
    evidence: str | None = None
    pending: str | None = None
    other: Decimal | None = None


_SPACES = " \u00a0\u202f\u2009\u2007'"
_CURRENCY = re.compile(r"^(?:kr\.?|nok)\s*|\s*(?:kr\.?|nok)$", re.IGNORECASE)
_GROUPED = re.compile(r"^\d{1,3}(?:([ .,])\d{3})+$")
_EXPONENT = re.compile(r"^\d+(?:[.,]\d+)?e[+-]?\d+$", re.IGNORECASE)
_NOT_FINITE = re.compile(r"^(?:inf|infinity|nan|\.inf|\.nan)$", re.IGNORECASE)


def _dec(text: str) -> Decimal:
    return Decimal(text)


# What Excel shows in place of a value, written into a CSV export as text: a formula that failed
# (English and Norwegian names: #DIV/0!, #N/A, #I/T, #VALUE!, #VERDI!, #REF!, #NAME?, #NAVN? …)
# and a value too wide for its column (########).
_EXCEL_ERROR = re.compile(r"#(?:N/A|I/T|[A-ZÆØÅ][A-ZÆØÅ0-9/_]*[!?])", re.IGNORECASE)
_TOO_NARROW = re.compile(r"#{2,}")


def excel_display(raw: str) -> str | None:
    """Why a cell's text is what Excel showed rather than a value, or None: the same words as for
    a workbook's error cell (``xlsxcells.unreadable``)."""
    text = raw.strip()
    if _TOO_NARROW.fullmatch(text):
        return (f"the cell shows {echo(text)}, Excel's mark for a value too wide for its column, and the export "
                "wrote that, not the value; widen the column in Excel and export again, or type the value")
    if _EXCEL_ERROR.fullmatch(text):
        return f"the cell shows the Excel error {echo(text[:20])} (a formula that failed); fix it or type the value"
    return None


# The ",-" of whole kroner ('1 200,-').
WHOLE_KRONER = (",-", ",--", ".-", ",\u2013")
# Excel's negative currency format puts the minus before the currency: '-kr 2 400,00'.
_MINUS_CURRENCY = re.compile(r"^[-\u2212\u2013]\s*(?:kr\.?|nok)\s*(?=\d)", re.IGNORECASE)


# A negative written as accounting programs do, '2 400,00-' or '(2 400,00)': refused with the
# amount to write (a message ending so is completed by the ledger with the credit-note mark)
_MINUS_AFTER = re.compile(r"^(?:\((?P<inner>[^()]*\d[^()]*)\)|(?P<before>.*\d)\s*[-\u2212\u2013])$")
MINUS_IN_FRONT = "with the minus in front"
# What is left of a cell that holds a sign or currency but no number ('-kr', 'kr -', '-', '−kr', 'kr',
# 'kr ,-'), once the currency is taken away: no reading of it is safe (a lost number? Excel's dash
# for zero? a format that showed '-' for any amount?), so it is refused, not read as 0
_NO_NUMBER = re.compile(r"[\s,]*[-\u2212\u2013\u2014+]{0,2}[\s,]*[-\u2212\u2013]{0,2}\s*")
# hours written as a clock: '07:30', '1:45', '7:30:00'
_CLOCK_TEXT = re.compile(r"^(\d{1,4}):([0-5]\d)(?::([0-5]\d))?$", re.ASCII)


_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079"
_FOOTNOTE = re.compile(rf"^(?P<body>.*[0-9])\s*(?P<mark>[{_SUPERSCRIPTS}]+|\(\d{{1,2}}\))$")


def read_number_text(raw: str) -> Reading:
    """Read one written number. Raises NumberError when it cannot be read or has two readings."""
    text = raw.strip()
    if not text:
        return Reading(None)
    after = _MINUS_AFTER.match(text)
    if after and not text.endswith(WHOLE_KRONER):
        body = (after.group("inner") or after.group("before")).strip()
        try:
            inner = read_number_text(body)
        except NumberError:
            inner = None
        if inner is not None and inner.value is not None and inner.value > 0 and inner.pending is None:
            raise NumberError(f"{echo(raw)} is a negative amount written as accounting programs do: write it "
                              f"{MINUS_IN_FRONT}, -{body}")
    clock = _CLOCK_TEXT.match(text)
    if clock:
        hours, minutes, seconds = (int(g or 0) for g in clock.groups())
        value = (Decimal(hours * 3600 + minutes * 60 + seconds) / 3600).quantize(Decimal("0.01")).normalize()
        raise NumberError(f"{echo(raw)} is a time or duration (hours:minutes), not a number: write the hours as a "
                          f"number with a decimal comma, {decimal_spelling(value)}")
    note = _FOOTNOTE.match(text) if text[-1] == ")" or text[-1] in _SUPERSCRIPTS else None
    if note:
        # SSB's tables mark figures with notes: '5 912¹', '3 571 (1)' (never 3 5711 or 3 571)
        try:
            body = read_number_text(note.group("body"))
        except NumberError:
            body = None
        if body is not None and body.value is not None:
            raise NumberError(f"{echo(raw)} ends with {note.group('mark')!r}, which looks like a footnote mark "
                              f"(as in SSB's tables): remove it and write {note.group('body').strip()}")
    foreign = next((ch for ch in text if ch.isdigit() and not ch.isascii()), None)
    if foreign is not None:
        # Python reads '۵0' as 50 and '１２００' as 1200: a digit from another script is no guess to make
        raise NumberError(f"{echo(raw)} has the digit {foreign!r} ({unicodedata.name(foreign, 'a digit')}) from "
                          "another script; type the number with the digits 0-9")
    if not any(ch.isdigit() for ch in text) and _NO_NUMBER.fullmatch(_CURRENCY.sub("", text)):
        raise NumberError(f"{echo(raw)} has no number in it, only a sign or currency (a dash alone is not read "
                          "as 0): write the number, or 0")
    if text[:1] in ("'", "\u2019") and _written_otherwise(text):
        raise NumberError(_written_otherwise(raw))
    minus = _MINUS_CURRENCY.match(text)
    if minus:
        text = text[minus.end():]
    text = _CURRENCY.sub("", text).strip()
    negative = bool(minus)
    if negative:
        pass                             # '-kr 2 400,00': the minus was before the currency
    elif text[:1] in ("-", "\u2212", "\u2013") and len(text) > 1:
        negative, text = True, text[1:].lstrip()
    elif text[:1] == "+":
        text = text[1:].lstrip()
    if text.endswith(WHOLE_KRONER):
        text = text.rstrip("-\u2013")[:-1]
    for ch in _SPACES:
        text = text.replace(ch, " ")
    compact = text.replace(" ", "")
    if _NOT_FINITE.match(compact):
        raise NumberError(f"{echo(raw)} is not a finite number")
    if _EXPONENT.match(compact):
        try:
            value = Decimal(compact.replace(",", "."))
            full = show(-value if negative else value)
        except InvalidOperation:
            full = "?"
        raise NumberError(f"{echo(raw)} is exponent notation (it would be {full}); "
                          "write the number in full")
    if not compact or not re.fullmatch(r"[\d .,]+", text) or not compact[0].isdigit() and compact[0] not in ",.":
        raise NumberError(excel_display(raw) or _written_otherwise(raw) or f"cannot read {echo(raw)} as a number")
    reading = _read_body(text, raw)
    value = -reading.value if negative else reading.value
    other = (-reading.other if negative else reading.other) if reading.other is not None else None
    return Reading(value, reading.evidence, reading.pending, other)


def _written_otherwise(raw: str) -> str | None:
    """What to write instead of a number cell as a spreadsheet leaves it in a CSV: a formula saved as
    text ('=SUM(E2:E3)'), a percentage ('66 000 %'), Excel's text mark ("'66 000"); None otherwise
    (each was 'cannot read … as a number', which did not say what to write)."""
    text = raw.strip()
    if text.startswith("=") and len(text) > 1:
        return (f"{echo(raw)} is a formula saved as text, not a number: a sum of other rows is a total row (delete "
                "the row); otherwise write the number itself")
    if text.endswith("%") and any(ch.isdigit() for ch in text):
        return f"{echo(raw)} is a percentage, not an amount: write the number without %"
    if text[:1] in ("'", "\u2019") and len(text) > 1:
        try:
            rest = read_number_text(text[1:])
        except NumberError:
            return None
        if rest.value is not None:
            return f"{echo(raw)} begins with an apostrophe (Excel's mark for text): write {text[1:].strip()}"
    return None


def _read_body(text: str, raw: str) -> Reading:
    bad = NumberError(f"cannot read {echo(raw)} as a number")
    if re.fullmatch(r"\d+", text):
        return Reading(_dec(text))
    # Spaces only group thousands; the decimal mark, if any, is the last '.' or ','.
    match = re.fullmatch(r"([\d .,]*?)([.,])(\d+)", text)
    if " " in text:
        if not match or " " in match.group(3):
            if _GROUPED.match(text) and "." not in text and "," not in text:
                return Reading(_dec(text.replace(" ", "")))
            raise bad
        whole, mark, frac = match.groups()
        if "." in whole or "," in whole or not _GROUPED.match(whole):
            raise bad
        value = _dec(whole.replace(" ", "") + "." + frac)
        if mark == "." and len(frac) == 3:
            alt = _dec(whole.replace(" ", "") + frac)
            raise NumberError(f"ambiguous number {echo(raw)}: {show(value)} (decimal point) or {show(alt)} "
                              "(point as thousands separator); write it with a decimal comma or without the point")
        return Reading(value, COMMA_DECIMAL if mark == "," else DOT_DECIMAL)
    dots, commas = text.count("."), text.count(",")
    if text[0] in ".,":
        raise NumberError(f"cannot read {echo(raw)} as a number (write 0{text})")
    if dots and commas:
        last = max(text.rfind("."), text.rfind(","))
        whole, mark, frac = text[:last], text[last], text[last + 1:]
        group = "," if mark == "." else "."
        if mark in whole or not frac.isdigit() or not _GROUPED.match(whole) or whole.count(group) == 0:
            raise bad
        value = _dec(whole.replace(group, "") + "." + frac)
        if mark == ",":                      # 12.000,50: Norwegian
            return Reading(value, COMMA_DECIMAL)
        norwegian = whole.replace(",", ".") if whole.count(",") == 1 else None
        second = f"{whole.split(',')[0]},{whole.split(',', 1)[1].replace(',', '')}…" if norwegian else "not a number"
        raise NumberError(f"ambiguous number {echo(raw)}: {show(value)} if the comma groups thousands "
                          f"(English), but in Norwegian the comma is the decimal mark ({second}); "
                          f"write {show(value)}")
    mark = "." if dots else ","
    count = dots or commas
    parts = text.split(mark)
    if count > 1:
        if not _GROUPED.match(text):
            raise bad
        return Reading(_dec(text.replace(mark, "")), DOT_GROUP if mark == "." else COMMA_GROUP)
    whole, frac = parts
    if not whole or not frac:
        raise bad
    if len(frac) == 3 and _GROUPED.match(text) and whole != "0":
        grouped, decimal = _dec(whole + frac), _dec(whole + "." + frac)
        if mark == ".":
            return Reading(grouped, None, "dot3", decimal)
        return Reading(decimal, None, "comma3", grouped)
    return Reading(_dec(whole + "." + frac), DOT_DECIMAL if mark == "." else COMMA_DECIMAL)


def resolve(reading: Reading, raw: str, evidence: dict[str, str] | None = None) -> Decimal | None:
    """The value of a reading, given what the rest of its column shows (``evidence`` maps an
    evidence kind to an example cell such as ``"row 7 '12.5'"``). Raises NumberError if ambiguous."""
    evidence = evidence or {}
    # the decimal reading is spelt so it cannot be read two ways ('12', '12,5', '12,3450'): not the
    # refused '12,000' again
    if reading.pending == "dot3":
        if DOT_DECIMAL in evidence:
            decimal = decimal_spelling(reading.other)
            raise NumberError(
                f"ambiguous number {echo(raw)}: {show(reading.value)} (point as thousands separator) or "
                f"{decimal} (decimal point, as in {evidence[DOT_DECIMAL]}); "
                f"write {show(reading.value)} or {decimal}")
        return reading.value
    if reading.pending == "comma3":
        if COMMA_DECIMAL in evidence and COMMA_GROUP not in evidence:
            return reading.value
        why = f", as in {evidence[COMMA_GROUP]}" if COMMA_GROUP in evidence else ""
        decimal = decimal_spelling(reading.value)
        raise NumberError(
            f"ambiguous number {echo(raw)}: {decimal} (decimal comma) or {show(reading.other)} "
            f"(comma as thousands separator{why}); write {decimal} or {show(reading.other)}")
    return reading.value


# Units in which a point before three digits is as plausibly a decimal point as a thousands
# separator: ``1.500`` hours (1 500 or 1,5), ``800.500`` in a budget in 1000 kr (800 500 or 800,5
# thousand, beside ``800.5``), ``33.333`` percent, ``1.500`` kr an hour, ``3.000`` as a score or a
# number of days. Only plain kroner (and counts of people) keep the rule that ``350.000`` is 350 000.
AMBIGUOUS_POINT = {"timer": "hours", "1000 kr": "thousand kroner", "%": "percent", "kr/time": "kroner per hour",
                   "whole": ""}


def decimal_spelling(value: Decimal, point: bool = False) -> str:
    """A decimal reading as it can be written without being read two ways: ``1,5``; ``33,3330``
    (a mark before exactly three digits could group thousands too). With ``point`` (YAML, where a
    comma inside ``{…}`` splits the value): ``1.5``, ``33.3330``."""
    text = show(value.normalize()).replace(" ", "")
    whole, comma, frac = text.partition(",")
    text = text + "0" if comma and len(frac) == 3 else text
    return text.replace(",", ".") if point else text


def check_point(reading: Reading, raw: str, unit: str, point: bool = False) -> None:
    """In a unit of ``AMBIGUOUS_POINT`` a point before three digits (``1.500``) is refused with
    both readings named, in a data file and in YAML alike; in plain kroner it groups thousands.
    ``point``: the value is YAML's, and the decimal reading is spelt with a point."""
    if unit not in AMBIGUOUS_POINT or reading.pending != "dot3":
        return
    grouped, decimal = show(reading.value), decimal_spelling(reading.other, point)
    what = f" of {AMBIGUOUS_POINT[unit]}" if AMBIGUOUS_POINT[unit] else ""
    options = [grouped.replace(" ", ""), decimal]
    if unit == "%" and abs(reading.value) > 100:
        options = [decimal]                # 33 333 is no percentage
    elif unit == "whole" and reading.other != reading.other.to_integral_value():
        options = options[:1]              # 2,019 is no whole number
    raise NumberError(
        f"ambiguous number{what} {echo(raw)}: {grouped} (point as thousands separator) or "
        f"{show(reading.other.normalize())} (decimal point); write {' or '.join(options)}")


check_hours = check_point

_NOT_MONEY = {"timer": "hours", "count": "a count or number, not kroner", "whole": "a whole number, not kroner"}


def check_not_money(raw: str, unit: str, point: bool = False) -> None:
    """A number written as money (``NOK 1 200``, ``kr 7``, ``7,-``) in a column that holds no
    kroner is refused: a pasted amount became 1 200 hours, and ``kr 6`` milestone 6 (found by an
    outside tester). So is one in a budget kept in 1000 kr: ``kr 350 000,-`` there says kroner and
    was read as 350 000 thousand (350 million), in a workbook and in YAML alike. ``point``: the
    value is YAML's, and a decimal in the fix is spelt with a point."""
    text = raw.strip()
    if not (_CURRENCY.search(text) or _MINUS_CURRENCY.match(text) or text.endswith(WHOLE_KRONER)):
        return
    if unit in _NOT_MONEY:
        raise NumberError(f"{echo(raw)} is written as money (kr, NOK or ,-), but the column holds "
                          f"{_NOT_MONEY[unit]}; write the number alone")
    if unit == "1000 kr":
        try:
            kroner = read_number(text)
        except NumberError:
            kroner = None
        fix = (f": {decimal_spelling(kroner / 1000, point)} for {show(kroner)} kr"
               if kroner is not None and kroner == kroner.quantize(Decimal("0.01")) else "")
        raise NumberError(f"{echo(raw)} is written in kroner (kr, NOK or ,-), but the budget's amounts are in "
                          f"1000 kr (budget.unit); write the number of thousands alone{fix}")
_SIZE_UNIT = {"1000 kr": "kr", "kr/time": "kr", "whole": "", "count": "", "timer": "hours"}   # the ceiling is in kroner


def check_size(value: Decimal, raw, unit: str = "kr") -> Decimal:
    """Refuse values beyond the ceiling."""
    if abs(value) > _ceiling:
        unit = _SIZE_UNIT.get(unit, unit)
        raise NumberError(f"{echo(raw)} is implausibly large (over {show(_ceiling)}{' ' + unit if unit else ''}; "
                          "the ceiling is max_amount in config/grantflow.yaml)")
    return value


def read_number(value, unit: str = "kr") -> Decimal | None:
    """One number on its own (a YAML value, a command-line amount): no column to lean on, so
    ``350.000`` is 350 000 and ``12,000`` is refused. None for blank text."""
    if isinstance(value, bool):
        raise NumberError(f"{echo(value)} is not a number")
    source = getattr(value, "source", None)
    if source is not None:               # a YAML scalar: read the text as written
        value = source
    if unit == "%" and isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1]       # '40 %' where a percentage is asked for (the workbook takes it too)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        number = Decimal(value)
        if not number.is_finite():
            raise NumberError(f"{echo(str(value))} is not a finite number")
        return check_size(number, str(value), unit)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NumberError(f"{echo(str(value))} is not a finite number")
        try:
            number = Decimal(repr(value))
        except InvalidOperation:           # a float subclass shown otherwise, e.g. a percentage cell
            raise NumberError(f"cannot read {echo(repr(value))} as a number") from None
        return check_size(number, repr(value), unit)
    if not isinstance(value, str):
        if cell_value(value) is not None:
            raise NumberError(not_a_number(value, unit))
        raise NumberError(f"{echo(value)} is not a number")
    reading = read_number_text(value)
    if reading.value is None:
        return None
    check_not_money(value, unit, point=source is not None)
    check_point(reading, value, unit, point=source is not None)
    return check_size(resolve(reading, value), value, unit)


# --- dates ----------------------------------------------------------------------------------

# A time after the date (Excel's '30.09.2015 00:00') must be a time of day ('99:99' was taken);
# digits are 0-9 only (a date in fullwidth or Arabic-Indic digits was read too).
_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
_DMY = re.compile(rf"^(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}})(?: {_CLOCK})?$", re.ASCII)
_ISO = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})(?:[ T]{_CLOCK}(?:\.\d+)?)?$", re.ASCII)


# A Norwegian long date, '1. mars 2026', '31. desember 2027', '1. mar. 2026' (bokmål and nynorsk
# share the month names): day, month name or its usual abbreviation, four-digit year. Nothing
# else (no English names, no two-digit year): anything not matched keeps the message below.
_MONTHS = {name: number for number, names in enumerate((
    ("januar", "jan"), ("februar", "feb"), ("mars", "mar"), ("april", "apr"), ("mai",),
    ("juni", "jun"), ("juli", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("oktober", "okt"), ("november", "nov"), ("desember", "des")), start=1) for name in names}
_LONG = re.compile(r"^(\d{1,2})\.? ?([a-zæøå]+)(\.?) (\d{4})$", re.ASCII | re.IGNORECASE)


def _long_date(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a Norwegian long date, or None."""
    match = _LONG.match(re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")))
    if not match:
        return None
    day, name, dot, year = match.groups()
    month = _MONTHS.get(name.casefold())
    if month is None or (dot and len(name) == len(max((n for n, m in _MONTHS.items() if m == month), key=len))):
        return None                       # 'mars.' is no abbreviation
    return int(year), month, int(day)


class DateError(ValueError):
    """Not a date grantflow will read; the message says what to write."""


def _make(year: int, month: int, day: int, raw) -> date:
    if FIRST_YEAR <= year <= LAST_YEAR:
        try:
            return date(year, month, day)
        except ValueError:
            pass                         # the checks below say why
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DateError(f"year {year} in {echo(raw)} is outside {FIRST_YEAR}–{LAST_YEAR}")
    if not 1 <= month <= 12:
        raise DateError(f"{echo(raw)} is not a date: there is no month {month} (write {DATE_FORMATS})")
    last = _calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateError(f"{echo(raw)} is not a date: {_calendar.month_name[month]} {year} has {last} days "
                        f"(write {DATE_FORMATS})")
    return date(year, month, day)


def read_date(value) -> date | None:
    """A date cell or YAML value; None for blank text. Raises DateError."""
    if isinstance(value, datetime):
        return _make(value.year, value.month, value.day, value.isoformat(sep=" "))
    if isinstance(value, date):
        return _make(value.year, value.month, value.day, value.isoformat())
    if isinstance(value, (int, float)) and not isinstance(value, bool) and _serial_date(value):
        raise DateError(_serial_said(value))
    if cell_value(value) is not None:
        raise DateError(f"the cell holds {cell_value(value)}, not a date: type the date ({DATE_FORMATS})")
    if not isinstance(value, str):
        raise DateError(f"cannot read {echo(value)} as a date (write {DATE_FORMATS})")
    return _read_date_text(value)


def date_for_year(value, named: bool = True) -> str | None:
    """Why a date given where a year is asked for (a weight year written 1.1.2026, a date cell
    01.01.2026) is refused, saying what to write; None if it is no date. ``named``: the value
    opens the sentence (a caller that already shows it says False)."""
    if isinstance(value, (date, datetime)):
        day = value
    elif isinstance(value, str):
        try:
            day = _read_date_text(value)
        except DateError:
            return None
    else:
        return None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None
    shown = echo(value.strip()) if isinstance(value, str) else f"{day:%d.%m.%Y}"
    return f"{shown + ' is ' if named else ''}a date, not a year: write the year only, e.g. {day.year}"


# Excel's day numbers (1 = 1.1.1900, counted with Excel's 29.2.1900) of 1954-2100: a Dato of
# 41302 is the date 29.01.2013 shown as its number (a column formatted General or Number)
_SERIALS = (20_000, 73_415)


def _serial_date(value) -> date | None:
    number = float(value)
    if not number.is_integer() or not _SERIALS[0] <= number <= _SERIALS[1]:
        return None
    return date(1899, 12, 30) + timedelta(days=int(number))


def _serial_said(raw) -> str:
    shown = raw.strip() if isinstance(raw, str) else str(int(raw))
    return (f"{shown} is a date serial number (Excel's number for the date {_serial_date(float(shown)):%d.%m.%Y}), "
            f"not a date: format the column as a date in Excel (Format Cells → Date) and save or export again")


@functools.lru_cache(maxsize=1 << 16)
def _read_date_text(value: str) -> date | None:
    """A written date (cached: data files repeat the same dates; errors are not cached)."""
    text = value.strip()
    if not text:
        return None
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return _make(year, month, day, value)
    match = _ISO.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day, value)
    long = _long_date(text)
    if long:
        return _make(*long, value)
    if re.fullmatch(r"\d{5}", text) and _serial_date(int(text)):
        raise DateError(_serial_said(text))
    if is_total(text):
        # an export's total row with its label in the first column (was "cannot read 'Sum' as a date")
        raise DateError(f"{echo(value)} is no date: it looks like a total or balance row from the export; "
                        "delete the row")
    slash = _SLASHED.fullmatch(text)
    if slash:
        raise DateError(_slashed_said(value, *(int(g) for g in slash.groups())))
    raise DateError(excel_display(value) or f"cannot read {echo(value)} as a date (write {DATE_FORMATS})")


# '04/05/2020': 4 May in Norway, 5 April in an English (US) export; never read, either way
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December")


def _slashed_said(raw: str, first: int, second: int, year: int) -> str:
    """Why a date written with slashes is refused, with the date(s) it may be."""
    readings = []
    for day, month in ((first, second), (second, first)):
        try:
            date(year, month, day)
        except ValueError:
            continue
        if (day, month) not in [r[:2] for r in readings]:
            readings.append((day, month, f"{day:02d}.{month:02d}.{year}"))
    if len(readings) == 2:
        (d1, m1, w1), (d2, m2, w2) = readings
        return (f"{echo(raw)} is ambiguous: {d1} {_ENGLISH_MONTHS[m1 - 1]} or {d2} {_ENGLISH_MONTHS[m2 - 1]}? "
                f"write {w1} or {w2} (dd.mm.åååå)")
    if readings:
        return f"{echo(raw)} is written with slashes: write {readings[0][2]} (dd.mm.åååå)"
    return f"cannot read {echo(raw)} as a date (write {DATE_FORMATS})"
