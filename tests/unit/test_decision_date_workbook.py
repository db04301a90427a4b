"""The workbook and the status form give a milestone one date: the day it was finished, or for
utsatt and avlyst the day it was decided; the progress file keeps that day as Vedtaksdato. Before,
a date beside utsatt in the sheet was refused ("Faktisk dato is the day it was finished"), and a
Vedtaksdato written in the data file was lost by the next import (the file was rewritten with four
columns)."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import openpyxl

from grantflow.cli import main
from grantflow.intake import apply
from grantflow.register import open_register
from grantflow.statusform import initial_form, plan_form
from tests.unit._workbook import leader_workbook

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"
AS_OF = date(2016, 10, 7)
PROGRESS = f"data/{HAUG}/milepaeler.csv"


def _progress(config: Path) -> dict[str, dict[str, str]]:
    with open(config / PROGRESS, encoding="utf-8-sig", newline="") as handle:
        return {row["Milepæl"]: row for row in csv.DictReader(handle, delimiter=";")}


def _returned(config: Path, tmp_path: Path, **cells) -> Path:
    path = tmp_path / "wb.xlsx"
    path.write_bytes(leader_workbook(open_register(config), HAUG, AS_OF))
    wb = openpyxl.load_workbook(path)
    ws = wb["Milepælstatus"]
    assert ws["A6"].value == 5 and ws["E5"].value is not None     # row 6 is milestone 5; E: Faktisk dato
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


def _import(config, path, capsys) -> tuple[int, str]:
    code = main(["--config", str(config), "import", str(path)])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out + out.err


def test_a_cancellation_with_its_day_in_the_sheet_is_kept_as_vedtaksdato(scratch_config, tmp_path, capsys):
    path = _returned(scratch_config, tmp_path, D6="avlyst", E6=datetime(2016, 9, 15), F6="Avlyst av styringsgruppen")
    code, out = _import(scratch_config, path, capsys)
    assert code == 0, out
    row = _progress(scratch_config)["5"]
    assert (row["Status"], row["Faktisk dato"], row["Vedtaksdato"]) == ("avlyst", "", "15.09.2016"), row
    assert _progress(scratch_config)["1"]["Faktisk dato"] == "15.10.2015"      # the others as they were


def test_a_decision_after_the_report_day_is_taken(scratch_config, tmp_path, capsys):
    """The workbook reports for 07.10.2016; postponed on 20.10.2016 (before today): fine, the
    reports show it from that day on."""
    path = _returned(scratch_config, tmp_path, D7="utsatt", E7=datetime(2016, 10, 20))
    code, out = _import(scratch_config, path, capsys)
    assert code == 0, out
    assert _progress(scratch_config)["6"]["Vedtaksdato"] == "20.10.2016"


def test_a_decision_day_still_to_come_is_one_error_on_the_sheets_cell(scratch_config, tmp_path, capsys):
    before = (scratch_config / PROGRESS).read_bytes()
    path = _returned(scratch_config, tmp_path, D6="avlyst", E6=datetime(2096, 9, 15))
    code, out = _import(scratch_config, path, capsys)
    errors = [line.replace(f"{tmp_path}/", "") for line in out.splitlines() if line.startswith("ERROR")]
    assert code == 1 and errors == [
        "ERROR   wb.xlsx:Milepælstatus:6 Faktisk dato: milestone 5 is 'avlyst' by a decision of 15.09.2096, a day "
        "that has not come yet"], out
    assert (scratch_config / PROGRESS).read_bytes() == before


def test_a_vedtaksdato_in_the_file_is_shown_in_the_sheet_and_survives_an_import(scratch_config, tmp_path, capsys):
    data = scratch_config / PROGRESS
    replace_in(data, "Milepæl;Status;Faktisk dato;Kommentar", "Milepæl;Status;Faktisk dato;Kommentar;Vedtaksdato")
    replace_in(data, "6;ikke startet;;", "6;utsatt;;Flyttet til høsten;01.10.2016")
    path = _returned(scratch_config, tmp_path, F6="Evaluering ferdig i november")   # another row changed
    sheet = openpyxl.load_workbook(path)["Milepælstatus"]
    assert (sheet["D7"].value, sheet["E7"].value.date()) == ("utsatt", date(2016, 10, 1))
    code, out = _import(scratch_config, path, capsys)
    assert code == 0, out
    rows = _progress(scratch_config)
    assert rows["5"]["Kommentar"] == "Evaluering ferdig i november"
    assert (rows["6"]["Status"], rows["6"]["Faktisk dato"], rows["6"]["Vedtaksdato"]) == ("utsatt", "", "01.10.2016")


def test_the_status_form_gives_the_decision_day_in_faktisk_dato(scratch_config):
    register = open_register(scratch_config)
    offered = initial_form(register, HAUG, AS_OF)
    answer = offered.model_copy(deep=True)
    answer.milestones[5].status, answer.milestones[5].actual = "utsatt", date(2016, 9, 1)
    answer.reported_by = "Kari Nordmann"
    result = plan_form(register, HAUG, answer, AS_OF, base=offered, now=datetime(2016, 10, 7, 9).astimezone())
    assert result.ok, result.findings
    apply(result)
    assert _progress(scratch_config)["6"]["Vedtaksdato"] == "01.09.2016"
    assert initial_form(open_register(scratch_config), HAUG, AS_OF).milestones[5].actual == date(2016, 9, 1)
