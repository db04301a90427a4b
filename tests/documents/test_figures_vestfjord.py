"""Findings of an outside tester (a county governor's accountant) who built a project of their
own, Vestfjord's "Digital heimeoppfølging" (tests/documents/vestfjord/), and recomputed every
figure. Expected figures are computed here from the fixture's files, never by grantflow."""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import replace_in
from ..docx_text import all_text, paragraphs, tables

NB = "\u00a0"
ID = "vestfjord-digihelse"
COUNCIL = "vestfjord-regionrad"
FIXTURE = Path(__file__).resolve().parent / "vestfjord"


@pytest.fixture
def vestfjord(scratch_config) -> Path:
    """The demo config with the tester's project, council and data files added."""
    shutil.copy(FIXTURE / f"{ID}.yaml", scratch_config / "projects" / f"{ID}.yaml")
    shutil.copy(FIXTURE / f"{COUNCIL}.yaml", scratch_config / "councils" / f"{COUNCIL}.yaml")
    data = scratch_config / "data" / ID
    data.mkdir()
    for name in ("milepaeler.csv", "timer.csv", "notater.yaml", "regnskap.csv"):
        shutil.copy(FIXTURE / name, data / name)
    return scratch_config


def _plan(config: Path) -> dict:
    return yaml.safe_load((config / "projects" / f"{ID}.yaml").read_text(encoding="utf-8"))


def _day(text: str) -> date:
    return datetime.strptime(text, "%d.%m.%Y").date()


def _ledger(config: Path) -> list[dict]:
    with open(config / "data" / ID / "regnskap.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    for line, row in enumerate(rows, start=2):
        row["line"] = line
        row["day"] = _day(row["Dato"])
        row["amount"] = Decimal(row["Beløp"].replace(" ", "").replace(",", "."))
    return rows


def _kr(amount) -> str:
    return f"{int(amount):,}".replace(",", NB)


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _number(cell: str) -> int:
    return int(cell.replace(NB, "").replace(" ", "").replace("\u2212", "-"))


# B. Hours printed as exact as the final report prints them -----------------------------------

def _hours(config: Path, until: date) -> Decimal:
    with open(config / "data" / ID / "timer.csv", encoding="utf-8") as fh:
        return sum((Decimal(r["Timer"].replace(",", ".")) for r in csv.DictReader(fh, delimiter=";")
                    if _day(r["Dato"]) <= until), Decimal(0))


def test_the_status_report_prints_the_registered_hours_exactly(vestfjord, tmp_path):
    """"402,3 timer registrert til nå" where the hours add up to 402,25."""
    as_of = date(2022, 5, 5)
    hours = _hours(vestfjord, as_of)
    assert hours == Decimal("402.25")
    made = produce(open_register(vestfjord), "status", ID, as_of=as_of, out=tmp_path)
    text = all_text(made.docx)
    assert f"402,25{NB}timer registrert til nå" in text, text
    assert "402,3" not in text


# C. Items of a list in one cell are separated ------------------------------------------------

def test_the_usage_reports_status_cell_separates_the_notes_deviations(vestfjord, tmp_path):
    """«Milepæl 4 utsett Milepæl 5 forseinka»: two deviations run together."""
    notes = yaml.safe_load((vestfjord / "data" / ID / "notater.yaml").read_text(encoding="utf-8"))
    (note,) = [n for n in notes["status"] if n["as_of"] == date(2021, 11, 11)]
    first, second = note["deviations"]
    made = produce(open_register(vestfjord), "usage", council_id=COUNCIL, period="2021", out=tmp_path)
    (cell,) = [c for t in tables(made.docx) for r in t for c in r if first in c]
    assert f"«{first}; {second}»" in cell, cell
    assert f"{first} {second}" not in cell


def test_the_applications_activity_cell_keeps_purpose_and_result_apart(config_dir, tmp_path):
    """Nord-Gudbrandsdal's activity 3 read "Hensikt: … smidig måte Resultat: Prosjektet er godt
    forankret." in one run (its purpose has no full stop)."""
    ngd = "smart-velferdsregion-nord-gudbrandsdal"
    plan = yaml.safe_load((config_dir / "projects" / f"{ngd}.yaml").read_text(encoding="utf-8"))
    (activity,) = [a for a in plan["activities"] if a["number"] == 3]
    assert not activity["purpose"].endswith(".")
    made = produce(open_register(config_dir), "application", ngd, out=tmp_path)
    cells = [c for t in tables(made.docx) for r in t for c in r if activity["purpose"] in c]
    assert cells == [f"Hensikt: {activity['purpose']}. Resultat: {activity['result']}"], cells


