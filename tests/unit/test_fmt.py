from datetime import date
from decimal import Decimal

from grantflow import fmt

NB = "\u00a0"


def test_money_uses_non_breaking_spaces():
    assert fmt.money(1211321) == f"1{NB}211{NB}321{NB}kr"
    assert fmt.money(Decimal("412000.4")) == f"412{NB}000{NB}kr"
    assert fmt.money(Decimal("0.5")) == f"1{NB}kr"  # half up, not banker's rounding


def test_money_in_thousands_has_no_unit():
    assert fmt.money(1_400_000, unit=1000) == f"1{NB}400"
    assert fmt.unit_label(1000) == "i 1000 kr"


def test_dates_and_percent():
    assert fmt.long_date(date(2015, 9, 21)) == "21. september 2015"
    assert fmt.long_date(date(2015, 10, 31), month_only=True) == "oktober 2015"
    assert fmt.short_date(date(2015, 9, 1)) == "01.09.2015"
    assert fmt.percent(Decimal("0.3")) == f"30{NB}%"


def test_signed_money():
    assert fmt.signed_money(-3000) == f"\u22123{NB}000{NB}kr"
    assert fmt.signed_money(12000).startswith("+12")


def test_long_dates_in_document_text_are_joined_by_non_breaking_spaces():
    text = ("søknadsfrist 17. januar 2019; planlagt mai 2017; per 1.1.2014, 1. januar i året, "
            f"fra 21.{NB}september 2015 – 3. februar 2017; 12 mai 20171")
    assert fmt.unbreakable_dates(text) == (
        f"søknadsfrist 17.{NB}januar{NB}2019; planlagt mai{NB}2017; per 1.1.2014, 1. januar i året, "
        f"fra 21.{NB}september{NB}2015 – 3.{NB}februar{NB}2017; 12 mai 20171")
    assert fmt.long_date(date(2015, 9, 21)) == "21. september 2015"     # mail subjects and the terminal


# --- the same text as Babel's nb_NO patterns (the implementation before it was written out) ----

from datetime import timedelta

from hypothesis import given, settings, strategies as st
from babel.dates import format_date as babel_date
from babel.numbers import format_decimal, format_percent
from decimal import ROUND_HALF_UP


def babel_number(value, decimals: int = 0) -> str:
    rounded = fmt._dec(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(rounded, format=pattern, locale="nb_NO").replace("-", fmt.MINUS)


def babel_percent(value, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "\u00a0%"
    rounded = fmt._dec(value).quantize(Decimal(1).scaleb(-decimals - 2), rounding=ROUND_HALF_UP)
    rounded = abs(rounded) if rounded == 0 else rounded
    return format_percent(rounded, format=pattern, locale="nb_NO").replace("-", fmt.MINUS)


AMOUNTS = st.one_of(
    st.integers(-10**15, 10**15),
    st.decimals(min_value=-10**13, max_value=10**13, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-10**6, max_value=10**6, places=7, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("-0"), Decimal("0.5"), Decimal("-0.5"), Decimal("1E+3"), Decimal("-1E+6"),
                     Decimal("999.995"), Decimal("-999999.5"), Decimal("0.0049999"), 0.1, -2.675, 1e9]),
)


@settings(max_examples=2000, deadline=None)
@given(AMOUNTS, st.integers(0, 6))
def test_numbers_and_percent_read_as_babel_wrote_them(value, decimals):
    assert fmt.number(value, decimals) == babel_number(value, decimals)
    assert fmt.percent(value, decimals) == babel_percent(value, decimals)
    assert fmt.money(value) == babel_number(value) + "\u00a0kr"
    assert fmt.money(value, unit=1000) == babel_number(fmt._dec(value) / 1000)
    assert fmt.exact(value) == babel_number(fmt._dec(value).normalize(),
                                            min(max(-fmt._dec(value).normalize().as_tuple().exponent, 0), 2))


def test_long_dates_read_as_babel_wrote_them():
    day, end = date(1, 1, 1), date(9999, 12, 31)
    days = [day + timedelta(days=n) for n in range(0, 400)] + [end - timedelta(days=n) for n in range(400)]
    days += [date(1990, 1, 1) + timedelta(days=n) for n in range(0, 20_000, 7)]
    for day in days:
        assert fmt.long_date(day) == babel_date(day, "d. MMMM y", locale="nb_NO"), day
        assert fmt.long_date(day, month_only=True) == babel_date(day, "MMMM y", locale="nb_NO"), day
