"""The one formatting module: Norwegian (nb_NO) money, numbers, dates and percent via Babel.

Money is ``1 211 321 kr`` with non-breaking spaces; dates ``21. september 2015``; percent
``30 %``. Every document and CLI table formats through here. Dates keep ordinary spaces (they go
into mail subjects, bodies and the terminal too); ``unbreakable_dates`` joins them for documents.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date as _format_date
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

LOCALE = "nb_NO"
NBSP = "\u00a0"
MINUS = "\u2212"


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value, decimals: int = 0) -> str:
    """``1 234 567`` (non-breaking group separator), rounded half up."""
    quant = Decimal(1).scaleb(-decimals)
    rounded = _dec(value).quantize(quant, rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _minus(format_decimal(rounded, format=pattern, locale=LOCALE))


def exact(value, most: int = 2) -> str:
    """A number with the decimals it has, at most ``most``: ``2 073,5`` hours stay 2 073,5 (a
    figure the reader multiplies must be the one that was used: "2 074 timer à 500 kr =
    1 036 750 kr" did not add up)."""
    dec = _dec(value).normalize()
    return number(dec, min(max(-dec.as_tuple().exponent, 0), most))


def hours(value, decimals: int | None = None) -> str:
    """``2 073 timer``, ``133,5 timer``, ``402,25 timer``: the figure (with all the decimals it has,
    or ``decimals``) and its unit joined by no-break spaces, as money is, so no line ends inside it.
    The one rule for hours in every document: whole hours without decimals, others exactly, never
    rounded ("402,3 timer" were 402,25; "133,8 timer à 500 kr = 66 875 kr" did not add up) nor
    padded ("227,0 timer" beside "746 timer": found by outside testers). ``decimals`` only for a
    figure worked out, not counted (the plan pro rata to date, in whole hours)."""
    figure = exact(value, most=28) if decimals is None else number(value, decimals)
    return f"{figure}{NBSP}timer"


def in_one(items) -> str:
    """Items of a list (a note's deviations, results) in one cell or sentence: 'Milepæl 4 utsett;
    Milepæl 5 forseinka'. Joined with a space they ran together ("Milepæl 4 utsett Milepæl 5
    forseinka": found by an outside tester); a full stop ending an item but the last is dropped."""
    parts = [str(item).strip() for item in items if str(item).strip()]
    return "; ".join([p.rstrip(".").rstrip() if p.endswith(".") and not p.endswith("..") else p
                      for p in parts[:-1]] + parts[-1:])


def sentences(parts) -> str:
    """Texts as sentences one after another: each ends with a full stop (or its own ! ? …), so
    'Hensikt: … smidig måte' and 'Resultat: …' do not run together."""
    out = [str(p).strip() for p in parts if str(p).strip()]
    return " ".join(p if p[-1] in ".!?…:" else p + "." for p in out)


_LEADING_WORD = re.compile(r"\s*(\w+)\s*(?:[:,\-\u2013\u2014]\s*|[.!]?\s*$)")


def after_said(text: str, words) -> str:
    """``text`` (a milestone's comment) put after a sentence that already said one of ``words``,
    without that word at its start: 'Avlyst: erstattet av e-læring' after '… er avlyst' is
    'erstattet av e-læring' (the status report read "er avlyst: Avlyst: erstattet av e-læring.":
    found by an outside tester). The word counts followed by ':', ',' or a dash, or alone ('Avlyst.'
    says nothing more: ''); any case. Anything else is left as written."""
    match = _LEADING_WORD.match(text)
    if match and match.group(1).casefold() in {w.casefold() for w in words}:
        return text[match.end():]
    return text


def days(count: int) -> str:
    """``377 dager``, ``1 dag``, ``1 377 dager`` (no-break spaces, grouped as every figure)."""
    return f"{number(count)}{NBSP}{'dag' if count == 1 else 'dager'}"


def spreadsheet(value) -> str:
    """A number for a CSV file a Norwegian Excel opens: digits with a decimal comma, no grouping
    and a plain minus (``1234567``, ``12,5``, ``-250``), so that Excel takes it as a number."""
    text = format(_dec(value).normalize(), "f")
    return text.replace(".", ",")


def _minus(text: str) -> str:
    """One minus sign everywhere: U+2212, not the hyphen Babel writes."""
    return text.replace("-", MINUS)


def money(value, unit: int = 1, decimals: int | None = 0) -> str:
    """``1 211 321 kr``; with ``unit=1000`` the value is shown in thousands without 'kr'.
    ``decimals=None``: the øre it has, unrounded (``2 900 000,50 kr``), for messages about data."""
    if value is None:
        return ""
    if unit == 1000:
        return number(_dec(value) / 1000, decimals or 0)
    if decimals is None:
        decimals = 0 if _dec(value) == _dec(value).to_integral_value() else 2
    return f"{number(value, decimals)}{NBSP}kr"


def ore_decimals(values) -> int:
    """2 when any of ``values`` (kroner) has øre, else 0: the decimals a grant table prints all its
    amounts with. Granted, used and unused money is printed as it is, never rounded to kroner, so
    Brukt + Ubrukt is the Tilsagn as printed and the unused money to repay is exact (rounded to
    whole kroner, 320 260,50 used of 400 000 printed 320 261 and an unused 79 739, 0,50 kr short)."""
    return 2 if any(_dec(v) != _dec(v).to_integral_value() for v in values if v is not None) else 0


def amount(value, unit: int = 1) -> str:
    """A table cell amount: thousands (``1 400``) or kroner without the unit (``412 000``)."""
    if value is None:
        return ""
    return number(_dec(value) / unit if unit != 1 else value)


def unit_label(unit: int, vat: str | None = None) -> str:
    """Heading suffix for tables: 'i 1000 kr' or 'i kr', with 'uten mva' / 'inkl. mva' when the
    amounts say which."""
    return ("i 1000 kr" if unit == 1000 else "i kr") + (f", {vat}" if vat else "")


def percent(value, decimals: int = 0) -> str:
    """``30 %`` for 0.3, rounded half up like every other figure (Babel alone rounds half even)."""
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "") + "\u00a0%"
    rounded = _dec(value).quantize(Decimal(1).scaleb(-decimals - 2), rounding=ROUND_HALF_UP)
    rounded = abs(rounded) if rounded == 0 else rounded      # no "−0,0 %" for a deviation that rounds away
    return _minus(format_percent(rounded, format=fmt, locale=LOCALE))


def percent_as_given(value) -> str:
    """A percentage someone chose (a share in the split rule), with the decimals it has, up to four:
    ``30,5 %`` for 0.305, never rounded to ``31 %`` (beside ``70 %`` that made 101 %)."""
    exponent = (_dec(value) * 100).normalize().as_tuple().exponent
    return percent(value, min(max(-int(exponent), 0), 4) if isinstance(exponent, int) else 0)


def percent_beside(value, thresholds, decimals: int = 1) -> str:
    """``percent(value, decimals)``, with as many more decimals (up to six) as it takes not to
    print one of the rule's ``thresholds`` for a value beside it: 0.1000069 against 10 % is
    "10,001 %", not "10,0 %" (which the rule would not call more than 10 %)."""
    value = _dec(value)
    marks = {_dec(t) for t in thresholds}
    while value not in marks and decimals < 6 and \
            value.quantize(Decimal(1).scaleb(-decimals - 2), rounding=ROUND_HALF_UP) in marks:
        decimals += 1
    return percent(value, decimals)


def signed_money(value, unit: int = 1, decimals: int | None = 0) -> str:
    """Deviation with an explicit sign: ``+12 000 kr`` / ``−3 000 kr`` (``decimals`` as ``money``)."""
    dec = _dec(value)
    text = money(abs(dec), unit, decimals)
    if dec > 0:
        return "+" + text
    if dec < 0:
        return MINUS + text
    return text


def long_date(value: date | None, month_only: bool = False) -> str:
    """``21. september 2015`` (or ``oktober 2015`` for month-precision plan dates)."""
    if value is None:
        return ""
    return _format_date(value, "MMMM y" if month_only else "d. MMMM y", locale=LOCALE)


MONTHS = "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember"
# "21. september 2015" and "mai 2017", with ordinary or already non-breaking spaces
LONG_DATE = re.compile(rf"(?<![\w.])(?:\d{{1,2}}\.[ \u00a0])?(?:{MONTHS})[ \u00a0]\d{{4}}(?!\d)")


def unbreakable_dates(text: str) -> str:
    """Long dates in ``text`` with non-breaking spaces, as Norwegian typesetting keeps them:
    a line never ends with "21." or "september" and goes on with the rest of the date."""
    return LONG_DATE.sub(lambda m: m.group(0).replace(" ", NBSP), text)


def listing(items) -> str:
    """'A', 'A og B', 'A, B og C' (Babel's list pattern for Norwegian bokmål)."""
    return format_list(list(items), locale=LOCALE)


def short_date(value: date | None) -> str:
    """``21.09.2015``."""
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y")
