"""The day (or the figure) on which a rule turns, in the rendered document.

Each rule was guarded only away from its edge: the milestone, hours, risk and cost-split tests
stayed green with the edge moved by one (a milestone late on its own planned date, hours logged on
the report date left out, RF 16 amber, ties in the split to the smaller municipality). The expected
values come from the config and data files as written and the rules in README/DOMAIN.md.
"""

from __future__ import annotations

import calendar
import csv
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from grantflow.costsplit import split
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG, replace_in
from ..docx_text import all_text, find_table, tables

NB = "\u00a0"
TODAY = date(2026, 11, 24)
HAUG, NG = "haugaland-velferdsteknologi", "smart-velferdsregion-nord-gudbrandsdal"


def planned_day(pid: str, number: int) -> date:
    """A milestone's planned date as written; a month-only date means the month's end (README)."""
    raw = yaml.safe_load((CONFIG / "projects" / f"{pid}.yaml").read_text(encoding="utf-8"))
    written = str(next(m["date"] for m in raw["milestones"] if m["number"] == number))
    year, month, *rest = (int(p) for p in written.split("-"))
    return date(year, month, rest[0] if rest else calendar.monthrange(year, month)[1])


def progress(pid: str, number: int) -> str:
    with open(CONFIG / "data" / pid / "milepaeler.csv", encoding="utf-8") as fh:
        return next(r["Status"] for r in csv.DictReader(fh, delimiter=";") if int(r["Milepæl"]) == number)


def milestone_cell(register, as_of: date, number: int, out: Path) -> str:
    made = produce(register, "status", HAUG, as_of=as_of, out=out / as_of.isoformat(), today=TODAY)
    table = find_table(made.docx, "Nr")
    return next(r[3] for r in table[1:] if int(r[0]) == number)


@pytest.fixture(scope="module")
def register():
    return open_register(CONFIG)


def test_a_milestone_is_late_from_the_day_after_its_planned_date(register, tmp_path):
    """Milestone 05 ("oktober 2016", in progress): on 31 October it is on track, not "Forsinket
    0 dager"; on 1 November one day late."""
    due = planned_day(HAUG, 5)
    assert due == date(2016, 10, 31) and progress(HAUG, 5) == "pågår"
    assert milestone_cell(register, due, 5, tmp_path) == "I rute"
    assert milestone_cell(register, due + timedelta(days=1), 5, tmp_path) == f"1{NB}dag forsinket"


def test_a_milestone_not_started_is_on_track_within_30_days_of_its_date(register, tmp_path):
    """Milestone 06 ("mai 2017", not started): "I rute" when due within 30 days (README), "Ikke
    startet" the day before that; on its own planned date still not late."""
    due = planned_day(HAUG, 6)
    assert due == date(2017, 5, 31) and progress(HAUG, 6) == "ikke startet"
    assert milestone_cell(register, due - timedelta(days=30), 6, tmp_path) == "I rute"
    assert milestone_cell(register, due - timedelta(days=31), 6, tmp_path) == "Ikke startet"
    assert milestone_cell(register, due, 6, tmp_path) == "I rute"


def test_hours_logged_on_the_report_date_count_to_date(register, tmp_path):
    """The status report's own effort "registrert til nå" is every hour dated up to and including
    the report date: a report dated the day of the start-up meeting counts that meeting."""
    with open(CONFIG / "data" / HAUG / "timer.csv", encoding="utf-8") as fh:
        rows = [(datetime.strptime(r["Dato"], "%d.%m.%Y").date(), Decimal(r["Timer"].replace(",", ".")))
                for r in csv.DictReader(fh, delimiter=";")]
    as_of = min(d for d, _ in rows)
    on_the_day = sum(h for d, h in rows if d == as_of)
    expected = sum(h for d, h in rows if d <= as_of)
    assert on_the_day > 0 and expected == on_the_day       # only that day's rows: all or nothing
    made = produce(register, "status", HAUG, as_of=as_of, out=tmp_path, today=TODAY)
    text = all_text(made.docx).replace(NB, " ")
    match = re.search(r"([\d ]+(?:,\d+)?) timer registrert til nå", text)
    assert match, text
    assert Decimal(match.group(1).replace(" ", "").replace(",", ".")) == expected


@pytest.mark.parametrize(("s", "k", "rag"), [(4, 4, "Rød"), (3, 5, "Gul")])
def test_a_risk_factor_of_16_is_red(scratch_config, tmp_path, s, k, rag):
    """Risk RF = S × K: 16 and above red, 10–15 amber (the top risk of seed 001 is 15, amber)."""
    path = scratch_config / "projects" / f"{NG}.yaml"
    replace_in(path, "{risk: Svak forankring i offentlig sektor, probability: 3, consequence: 5, rf: 15,",
               f"{{risk: Svak forankring i offentlig sektor, probability: {s}, consequence: {k}, rf: {s * k},")
    made = produce(open_register(scratch_config), "status", NG, as_of=date(2020, 4, 16), out=tmp_path, today=TODAY)
    rows = {r[0]: r for t in tables(made.docx) if t[0][:2] == ["Område", "Status"] for r in t}
    assert rows["Risiko"][1] == rag, rows["Risiko"]


def test_cost_split_ties_go_to_the_larger_municipality():
    """README: largest remainder, "ties go to the larger municipality". 2 kr by population 1:3 is
    0,5 + 1,5: the leftover krone goes to the larger one (0 + 2), not 1 + 1."""
    shares = {s.municipality: s for s in split(2, [("Liten", Decimal(1)), ("Stor", Decimal(3))], Decimal(0))}
    assert (shares["Liten"].total, shares["Stor"].total) == (0, 2)
    # the same for the equal part: 3 kr among two, the odd krone to the larger
    shares = {s.municipality: s for s in split(3, [("Liten", Decimal(1)), ("Stor", Decimal(3))], Decimal(100))}
    assert (shares["Liten"].equal, shares["Stor"].equal) == (1, 2)


def test_cost_split_equal_part_rounds_half_up():
    """10 % of 25 kr is 2,5 kr: the equal part is 3 kr (half up, as every figure), not 2."""
    shares = split(25, [("A", Decimal(1)), ("B", Decimal(1))], Decimal(10))
    assert sum(s.equal for s in shares) == 3
    assert sum(s.total for s in shares) == 25


def test_thousands_rounded_once_give_a_tied_unit_to_the_larger_row():
    """A column "i 1000 kr" is rounded once so it adds up to its printed sum; a unit the sum still
    needs goes to the largest remainder, a tie to the larger row: 1 500 + 2 500 = 4 000 kr prints
    1 + 3 = 4 (the larger row carries the rounding), not 2 + 2."""
    from grantflow.reporting import round_once

    assert round_once([1500, 2500], 1000) == [1, 3]
    assert round_once([2500, 1500], 1000) == [3, 1]


def test_cost_split_percentages_of_thirds_read_equal_and_say_their_sum(scratch_config, tmp_path):
    """Three municipalities in equal parts. Rounded once across the column (to add up to the
    100,0 % under it), equal payers read "33,4 %", "33,3 %", "33,3 %" (found by a county
    governor's case officer); each share is now rounded on its own, equal amounts read equal, and
    the sentence above the table says the printed shares add up to 99,9 %."""
    project = scratch_config / "projects" / f"{HAUG}.yaml"
    replace_in(project, "municipalities: [Haugesund, Karmøy, Bokn, Utsira, Sveio, Tysvær, Vindafjord, Etne, Sauda, Suldal]",
               "municipalities: [Haugesund, Karmøy, Bokn]")
    replace_in(project, "  equal_percent: 30", "  equal_percent: 100")
    made = produce(open_register(scratch_config), "costsplit", HAUG, out=tmp_path, today=TODAY)
    year_tables = [t for t in tables(made.docx) if t[0][0] == "Kommune" and t[0][-1] == "Andel"]
    assert len(year_tables) == 2

    def number(cell: str) -> Decimal:
        return Decimal(cell.replace(NB, "").replace("%", "").replace(",", ".").strip())

    for table in year_tables:
        rows = [r for r in table[1:-1] if r[-1].strip()]
        assert len(rows) == 3, table
        total = number(table[-1][4])
        assert sum(number(r[4]) for r in rows) == total
        printed = [number(r[-1]) for r in rows]
        assert number(table[-1][-1]) == Decimal("100.0"), table
        for a, pa in zip(rows, printed):                    # equal kroner, equal share; more never less
            for b, pb in zip(rows, printed):
                assert (pa == pb) if a[4] == b[4] else ((pa >= pb) == (number(a[4]) >= number(b[4])) or pa == pb), table
        for row, percent in zip(rows, printed):
            assert abs(percent - number(row[4]) * 100 / total) <= Decimal("0.05"), row
        said = f"de avrundede andelene summerer til {sum(printed)}".replace(".", ",") + NB + "%."
        assert said in all_text(made.docx), said
