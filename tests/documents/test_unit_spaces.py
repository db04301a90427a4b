"""A figure and its unit stay on one line: '2 073 timer', '377 dager', as '1 211 321 kr' does."""

from __future__ import annotations

import re
from datetime import date

import pytest

from grantflow import fmt
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG
from ..docx_text import all_text

HAUG = "haugaland-velferdsteknologi"
NB = "\u00a0"
# a figure followed by a breaking space (or none) and a unit word
BREAKABLE = re.compile(r"\d[ \t]+(timer|time|dager|dag)\b")


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    register = open_register(CONFIG)
    today = date(2026, 11, 24)
    return {
        "application": produce(register, "application", HAUG, period="2015", out=out, today=today).docx,
        "status": produce(register, "status", HAUG, as_of=date(2016, 10, 7), out=out, today=today).docx,
        "final": produce(register, "final", HAUG, out=out, today=today).docx,
        "costsplit": produce(register, "costsplit", HAUG, period="2016", out=out, today=today).docx,
    }


@pytest.mark.parametrize("kind, expected", [
    ("application", [f"2{NB}073{NB}timer"]),
    ("status", [f"2{NB}073{NB}timer", f"377{NB}dager", f"1{NB}086{NB}timer"]),
    ("final", [f"2{NB}073{NB}timer", f"377{NB}dager", f"324{NB}dager"]),
    ("costsplit", [f"30{NB}dager"]),
])
def test_hours_and_days_are_joined_to_their_figure_by_no_break_spaces(documents, kind, expected):
    """'Egeninnsats: 2 073 timer' and 'levert 377 dager etter planlagt dato' had an ordinary space
    before the unit: Word could end a line after '2 073' and start the next with 'timer'."""
    text = all_text(documents[kind])
    assert not BREAKABLE.findall(text), [m.group(0) for m in BREAKABLE.finditer(text)]
    for figure in expected:
        assert figure in text, (kind, figure)


def test_the_one_formatter_groups_days_and_hours_as_it_groups_money():
    assert fmt.days(1377) == f"1{NB}377{NB}dager" and fmt.days(1) == f"1{NB}dag"
    assert fmt.hours(2073) == f"2{NB}073{NB}timer" and fmt.hours(133.5, 1) == f"133,5{NB}timer"
    assert fmt.money(1211321) == f"1{NB}211{NB}321{NB}kr"
