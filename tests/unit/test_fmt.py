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
