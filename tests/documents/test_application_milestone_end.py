"""The application marks a milestone after the project's end by the rule validate and the reports
use: a month without a day is the month's last day. Haugaland's milestone 07, "2017-09", is read as
30.09.2017 (the status and final reports measure it so; validate warns it is after the end on
20.09.2017), but the application's table showed it with an empty "Merknad": its notes still read a
month by its first day, 01.09.2017, inside the period (left open by session 21). The dates here are
read from the project file, not from grantflow."""

from __future__ import annotations

import calendar
from datetime import date

import yaml

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG, replace_in
from ..docx_text import find_table

NB = "\u00a0"
HAUG = "haugaland-velferdsteknologi"
MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember"]


def _notes(config, tmp_path) -> dict[str, str]:
    made = produce(open_register(config), "application", HAUG, out=tmp_path)
    table = find_table(made.docx, "Nr", "Hendelse")
    assert table[0] == ["Nr", "Dato", "Hendelse", "Merknad"]
    return {row[0]: row[3].replace(NB, " ") for row in table[1:]}


def test_a_month_read_as_its_last_day_after_the_end_is_marked_as_validate_says(tmp_path):
    plan = yaml.safe_load((CONFIG / "projects" / f"{HAUG}.yaml").read_text(encoding="utf-8"))
    (seventh,) = [m for m in plan["milestones"] if m["number"] == 7]
    year, month = (int(x) for x in seventh["date"].split("-"))
    last = calendar.monthrange(year, month)[1]
    assert date(year, month, 1) <= plan["period"]["end"] < date(year, month, last)    # the month holds the end
    notes = _notes(CONFIG, tmp_path)
    assert notes["07"] == (f"Merk: etter prosjektslutt (en måned uten dag leses som månedens siste dag, "
                           f"{last}. {MONTHS[month - 1]} {year})")
    # the others as before: 02 and 03 before the start, 02 before 01, the rest unmarked
    assert notes["02"] == "Merk: før prosjektstart og før milepæl 01"
    assert notes["03"] == "Merk: før prosjektstart"
    assert [n for n in ("01", "04", "05", "06") if notes[n]] == []


def test_a_month_whose_last_day_is_the_end_is_not_marked(scratch_config, tmp_path):
    replace_in(scratch_config / "projects" / f"{HAUG}.yaml", "end: 2017-09-20}", "end: 2017-09-30}")
    assert _notes(scratch_config, tmp_path)["07"] == ""


def test_a_month_wholly_after_the_end_is_marked_after_the_end(scratch_config, tmp_path):
    replace_in(scratch_config / "projects" / f"{HAUG}.yaml", 'date: "2017-09"', 'date: "2017-10"')
    assert _notes(scratch_config, tmp_path)["07"] == "Merk: etter prosjektslutt"
