"""The usage report's Status column says why a project is amber or red per 31.12, from the
figures, and marks the project leader's words as old when they are (found by an outside auditor:
"Alvorlig avvik: Kartleggingen ble levert en måned etter plan." at 31.12.2020, quoting a note of
1 March about a milestone done long since, while three others were late)."""

from __future__ import annotations

import csv
from datetime import date

import yaml

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG
from ..docx_text import find_table

NB = "\u00a0"
NG = "smart-velferdsregion-nord-gudbrandsdal"


def _status(tmp_path, year: int) -> str:
    made = produce(open_register(CONFIG), "usage", council_id="nord-gudbrandsdal", period=str(year), out=tmp_path)
    (row,) = [r for r in find_table(made.docx, "Prosjekt")[1:] if r[0] != "Sum"]
    return row[6].replace(NB, " ")


def test_a_red_project_names_its_late_milestones_and_the_old_note_as_old(tmp_path):
    plan = yaml.safe_load((CONFIG / "projects" / f"{NG}.yaml").read_text(encoding="utf-8"))
    with open(CONFIG / "data" / NG / "milepaeler.csv", encoding="utf-8-sig") as fh:
        done = {int(r["Milepæl"]) for r in csv.DictReader(fh, delimiter=";")
                if r["Status"].strip().casefold() == "ferdig"
                and date(*reversed([int(x) for x in r["Faktisk dato"].split(".")])) <= date(2020, 12, 31)}
    year_end = date(2020, 12, 31)
    late = [(m["number"], (year_end - m["date"]).days) for m in plan["milestones"]
            if m["number"] not in done and m["date"] < year_end]
    assert late == [(3, 275), (4, 184), (5, 31)]                  # recomputed from the plan and the data file
    text = _status(tmp_path, 2020)
    which = ", ".join(f"{n:02d} ({d} dager)" for n, d in late)
    assert text.startswith(f"Alvorlig avvik: Milepælene {which} er forsinket; prognosen er "), text
    assert text.endswith("Prosjektleder: «Kartleggingen ble levert en måned etter plan» "
                         "(fra statusnotatet 1. mars 2020, ikke oppdatert)."), text


def test_an_amber_project_says_why(tmp_path):
    text = _status(tmp_path, 2019)
    assert text.startswith("Avvik: Prognosen er ") and "mot budsjettet på 1 800 000 kr (−" in text, text


def test_a_project_without_a_ledger_file_is_an_error_in_every_report_of_money(scratch_config, tmp_path):
    """Without data.ledger (a project made from a workbook has none) the final report said the whole
    grant was repaid and the usage report 0 kr spent, with no finding (found by an outside tester)."""
    from ..conftest import replace_in

    haug = "haugaland-velferdsteknologi"
    replace_in(scratch_config / f"projects/{haug}.yaml", f"  ledger: data/{haug}/regnskap.csv\n", "")
    register = open_register(scratch_config)
    made = [produce(register, "final", haug, out=tmp_path / "f"),
            produce(register, "status", haug, as_of=date(2016, 10, 7), out=tmp_path / "s"),
            produce(register, "usage", council_id="haugaland-vekst", period="2015", out=tmp_path / "u")]
    for produced in made:
        (found,) = [f for f in produced.findings if f.field == "data.ledger" and f.severity == "error"]
        assert found.file.endswith(f"projects/{haug}.yaml") and "has no ledger file" in found.message
    application = produce(register, "application", haug, out=tmp_path / "a")     # the plan only: no error
    assert not [f for f in application.findings if f.field == "data.ledger" and f.severity == "error"]
