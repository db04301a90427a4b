"""Which round an application names, and what an application for a later year says of the
earlier ones.

Found by an outside tester acting as the county governor's case officer (session 23), with their
project (tests/documents/fjord/: 2024-2025, skjønnsmidler applied for in both years, the funder's
rounds 01.10.2023 "Søknad om prosjektskjønn 2024" and 01.10.2024 "Søknad om prosjektskjønn 2025"):

- the 2024 application, dated 15.09.2023, named the round of 1. oktober 2024 (a year after its own
  date), and the 2025 application, dated 20.09.2024, "Ikke angitt i prosjektets frister": a round was
  for its own year whenever the plan applied for money then, so the autumn 2024 round was 2024's;
- the 2025 application said nothing of 2024: not the 500 000 kr granted (case 2024/0101), not what
  had been spent of it, not that milestone 01 was finished.

Every expected figure is worked out here from the fixture's files, not by grantflow.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from grantflow.cli import main

from ..conftest import add_project, replace_in
from ..docx_text import all_text, find_table, paragraphs

ID = "fjord-digital"
COUNCIL = "fjordregionen"
FIXTURE = Path(__file__).resolve().parent / "fjord"
NB = "\u00a0"
OFFICE = "Statsforvalteren i Vestland (skjønnsmidler)"


@pytest.fixture
def fjord(scratch_config) -> Path:
    """The demo config with the tester's project, council and data files added."""
    return add_project(scratch_config, FIXTURE, ID, COUNCIL)


def _render(config: Path, out: Path, year: int, as_of: str, capsys=None) -> Path:
    assert main(["--config", str(config), "render", "application", ID, "--year", str(year), "--as-of", as_of,
                 "--out", str(out)]) == 0
    return out / COUNCIL / ID / f"application-{year}.docx"


def _round_cell(docx: Path) -> str:
    for table in find_table_rows(docx):
        if table[0] == "Søknadsrunde":
            return table[1]
    raise AssertionError("no Søknadsrunde row")


def find_table_rows(docx: Path):
    from ..docx_text import tables
    return [row for table in tables(docx) for row in table]


def _long(day: date) -> str:
    months = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
              "november", "desember"]
    return f"{day.day}.{NB}{months[day.month - 1]}{NB}{day.year}"


def _kr(amount) -> str:
    return f"{int(amount):,}".replace(",", NB) + f"{NB}kr"


def _day(text: str) -> date:
    return datetime.strptime(text, "%d.%m.%Y").date()


# ---------------------------------------------------------------- item 2: the round

def test_each_application_names_the_round_it_is_sent_to(fjord, tmp_path):
    plan = yaml.safe_load((fjord / "projects" / f"{ID}.yaml").read_text(encoding="utf-8"))
    rounds = {d["date"]: d["description"] for d in plan["funders"][0]["deadlines"] if d["kind"] == "application"}
    assert rounds == {date(2023, 10, 1): "Søknad om prosjektskjønn 2024", date(2024, 10, 1): "Søknad om prosjektskjønn 2025"}
    # the 2024 application, dated 15.09.2023: the round of 01.10.2023 (the first on or after its date
    # for 2024); was "Søknad om prosjektskjønn 2025 …; søknadsfrist 1. oktober 2024"
    first = _render(fjord, tmp_path / "a", 2024, "2023-09-15")
    assert _round_cell(first) == f"Søknad om prosjektskjønn 2024 – {OFFICE}; søknadsfrist {_long(date(2023, 10, 1))}"
    # the 2025 application, dated 20.09.2024: the round of 01.10.2024; was "Ikke angitt i prosjektets frister"
    second = _render(fjord, tmp_path / "b", 2025, "2024-09-20")
    assert _round_cell(second) == f"Søknad om prosjektskjønn 2025 – {OFFICE}; søknadsfrist {_long(date(2024, 10, 1))}"


def test_a_round_before_the_applications_date_is_never_its_round(fjord, tmp_path):
    late = _render(fjord, tmp_path / "a", 2025, "2024-10-15")
    cell = _round_cell(late)
    assert cell.startswith("Ingen åpen søknadsrunde for 2025 i prosjektets frister"), cell
    assert f"søknadsfrist {_long(date(2024, 10, 1))} var før søknadens dato" in cell


def test_the_calendar_makes_each_rounds_application_for_the_year_it_is_for(fjord, capsys):
    """The watch made the round of 01.10.2024 as the 2024 application (a second one, after the award)."""
    from grantflow.deadlines import calendar
    from grantflow.register import open_register

    items = [i for i in calendar(open_register(str(fjord))) if i.kind == "application" and i.project == ID]
    # 01.10.2023 is a Sunday: due Friday 29.09.2023
    assert [(i.due, i.period) for i in items] == [(date(2023, 9, 29), "2024"), (date(2024, 10, 1), "2025")]


def test_a_round_that_could_be_for_two_years_is_said_not_guessed(fjord, tmp_path, capsys):
    project = fjord / "projects" / f"{ID}.yaml"
    replace_in(project, "description: Søknad om prosjektskjønn 2025}", "description: Søknad om prosjektskjønn}")
    line = next(n for n, text in enumerate(project.read_text(encoding="utf-8").splitlines(), start=1)
                if "date: 2024-10-01" in text)
    # validate: one line naming the file, the line and the field; exit 1
    assert main(["--config", str(fjord), "validate", str(project)]) == 1
    out = capsys.readouterr().out
    assert (f"{ID}.yaml:{line} funders[0].deadlines[1].description: the application round of 01.10.2024 could "
            "be for 2024 or 2025 (the plan applies for money in both); name the year in its description, e.g. "
            "'Søknad om prosjektskjønn 2025'") in out, out
    # the 2025 application says so in its Søknadsrunde
    second = _render(fjord, tmp_path / "b", 2025, "2024-09-20")
    capsys.readouterr()
    cell = _round_cell(second)
    assert cell.startswith("Uklart: søknadsfristen 1."), cell
    assert "kan gjelde 2024 eller 2025" in cell
    # dated after it: no open round, the passed one said as it stands
    late = _render(fjord, tmp_path / "c", 2025, "2024-10-20")
    capsys.readouterr()
    assert _round_cell(late) == (f"Ingen åpen søknadsrunde for 2025 i prosjektets frister: Søknad om prosjektskjønn – "
                                 f"{OFFICE}; søknadsfrist {_long(date(2024, 10, 1))} (kan gjelde 2024 eller 2025) "
                                 "var før søknadens dato")
    # the 2024 application, dated before the round of 2023 (for 2024 alone), is not in doubt
    first = _render(fjord, tmp_path / "a", 2024, "2023-09-15")
    assert _round_cell(first).startswith("Søknad om prosjektskjønn 2024 – ")
    # the calendar makes nothing of it (no application for a guessed year), and lists it as a reminder
    assert main(["--config", str(fjord), "deadlines", "--from", "2024-09-01", "--days", "60"]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "01.10.2024 Frist" in flat and "uklart om runden gjelder 2024 eller 2025" in flat, out


# ---------------------------------------------------------------- item 5: the years before

def _ledger(config: Path) -> list[dict]:
    with open(config / "data" / ID / "regnskap.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    for row in rows:
        row["day"] = _day(row["Dato"])
        row["amount"] = Decimal(row["Beløp"].replace(" ", "").replace(",", "."))
    return rows


def _milestones(config: Path) -> dict[int, dict]:
    with open(config / "data" / ID / "milepaeler.csv", encoding="utf-8") as fh:
        return {int(r["Milepæl"]): r for r in csv.DictReader(fh, delimiter=";")}


def test_the_application_for_year_two_says_what_came_of_year_one(fjord, tmp_path):
    as_of = date(2024, 9, 20)
    docx = _render(fjord, tmp_path, 2025, "2024-09-20")
    text = all_text(docx)
    paras = paragraphs(docx)
    assert "Tidligere tildelinger og status" in paras
    # the 2024 award, as the project file writes it
    table = find_table(docx, "År", contains="2024/0101")
    assert table[0] == ["År", "Tildelt av", "Saksnr.", "Vedtak", "Beløp (kr)"]
    assert table[1:] == [["2024", OFFICE, "2024/0101", "15.02.2024", f"500{NB}000"]]
    # spent by 20.09.2024: the rows booked to the funder on or before it (31.03 and 30.06: 2 × 150 000)
    rows = [r for r in _ledger(fjord) if r["day"] <= as_of]
    spent = sum(r["amount"] for r in rows if r["Finansieringskilde"] == "sf-vestland")
    total = sum(r["amount"] for r in rows)
    last = max(r["day"] for r in rows)
    assert (spent, total, last) == (Decimal(300000), Decimal(300000), date(2024, 6, 30))
    assert (f"Brukt av tildelingen fra {OFFICE} per {_long(as_of)} etter prosjektregnskapet (siste postering "
            f"{_long(last)}): {_kr(spent)} av {_kr(500000)}; {_kr(500000 - spent)} er ennå ikke brukt.") in paras
    assert f"Prosjektets kostnader i alt per {_long(as_of)}: {_kr(total)}." in paras
    # milestones by 20.09.2024: 01 finished 15.03.2024 (planned 31.03.2024); 02 planned 30.09.2024, not
    # due yet (finished 30.11.2024, after the application's date: not known then); none late
    ms = _milestones(fjord)
    assert ms[1]["Status"] == "ferdig" and _day(ms[1]["Faktisk dato"]) == date(2024, 3, 15)
    assert _day(ms[2]["Faktisk dato"]) > as_of
    assert (f"Milepæler per {_long(as_of)}: 1 av 5 er ferdig (01 den {_long(date(2024, 3, 15))}). Ingen er "
            "forsinket.") in paras, [p for p in paras if p.startswith("Milepæler")]
    # the plan's milestone table says it too
    plan_rows = find_table(docx, "Nr", contains="Prosjektleder tilsatt og plan vedtatt")
    assert plan_rows[1][3] == f"Ferdig {_long(date(2024, 3, 15))}"
    assert all(r[3] == "" for r in plan_rows[2:])
    assert "2025/0202" not in text            # decided 14.02.2025: not known on 20.09.2024


def test_a_late_milestone_and_money_spent_beyond_the_grant_are_said(fjord, tmp_path):
    as_of = date(2024, 12, 31)
    docx = _render(fjord, tmp_path, 2025, "2024-12-31")
    paras = paragraphs(docx)
    rows = [r for r in _ledger(fjord) if r["day"] <= as_of]
    spent = sum(r["amount"] for r in rows if r["Finansieringskilde"] == "sf-vestland")
    assert spent == Decimal(366000)          # 150 000 + 150 000 + 66 000
    assert any(p.endswith(f": {_kr(spent)} av {_kr(500000)}; {_kr(500000 - spent)} er ennå ikke brukt.")
               for p in paras)
    # 02 planned 30.09.2024, finished 30.11.2024: 61 days after the plan
    assert (date(2024, 11, 30) - date(2024, 9, 30)).days == 61
    assert (f"Milepæler per {_long(as_of)}: 2 av 5 er ferdige (01 den {_long(date(2024, 3, 15))}; 02 den "
            f"{_long(date(2024, 11, 30))}, 61{NB}dager etter planen). Ingen er forsinket.") in paras, \
        [p for p in paras if p.startswith("Milepæler")]
    # dated 20.10.2024: 02 is 20 days late, not finished
    docx = _render(fjord, tmp_path / "late", 2025, "2024-10-20")
    paras = paragraphs(docx)
    assert (f"Milepæler per {_long(date(2024, 10, 20))}: 1 av 5 er ferdig (01 den {_long(date(2024, 3, 15))}). "
            f"Forsinket: 02 Anskaffelse gjennomført (planlagt {_long(date(2024, 9, 30))}, 20{NB}dager forsinket)."
            ) in paras, [p for p in paras if p.startswith("Milepæler")]
    plan_rows = find_table(docx, "Nr", contains="Prosjektleder tilsatt og plan vedtatt")
    assert [r[3] for r in plan_rows[1:3]] == [f"Ferdig {_long(date(2024, 3, 15))}", f"20{NB}dager forsinket"]


def test_a_first_application_has_no_such_section(fjord, tmp_path):
    docx = _render(fjord, tmp_path, 2024, "2023-09-15")
    text = all_text(docx)
    assert "Tidligere tildelinger" not in text and "Milepæler per" not in text and "Brukt av" not in text
    plan_rows = find_table(docx, "Nr", contains="Prosjektleder tilsatt og plan vedtatt")
    assert all(r[3] == "" for r in plan_rows[1:])
