"""Milestone progress in a returned workbook is never lost by a row the import cannot be sure of:
a missing or unreadable milestone number, a milestone listed twice, merged cells, a formula
without a value and a completion date after the report date are each one error naming sheet,
row and column, and the import writes nothing."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from grantflow.cli import main
from grantflow.register import open_register
from tests.unit._workbook import leader_workbook

HAUG = "haugaland-velferdsteknologi"
AS_OF = date(2016, 10, 7)
PROGRESS = "data/haugaland-velferdsteknologi/milepaeler.csv"


def _files(config: Path) -> dict[str, bytes]:
    return {str(p.relative_to(config)): p.read_bytes() for p in sorted(config.rglob("*")) if p.is_file()}


def _progress(config: Path) -> dict[str, list[str]]:
    with open(config / PROGRESS, encoding="utf-8", newline="") as handle:
        return {row[0]: row[1:] for row in list(csv.reader(handle, delimiter=";"))[1:]}


def _returned(config: Path, tmp_path: Path, change) -> Path:
    """The workbook for HAUG as of AS_OF with ``change(ws)`` made in sheet Milepælstatus."""
    path = tmp_path / "wb.xlsx"
    path.write_bytes(leader_workbook(open_register(config), HAUG, AS_OF))
    wb = openpyxl.load_workbook(path)
    ws = wb["Milepælstatus"]
    assert ws["A6"].value == 5 and ws["A7"].value == 6            # the rows the cases change
    change(ws)
    wb.save(path)
    return path


def _set(**cells):
    def change(ws):
        for ref, value in cells.items():
            ws[ref] = value
    return change


def _merge(ws):
    ws.merge_cells("D6:F7")


def _finished_in_2099(ws):
    ws["D6"] = "ferdig"
    ws["E6"] = datetime(2099, 1, 1)


def _finished_after_the_report(ws):
    ws["D6"] = "ferdig"
    ws["E6"] = datetime(2020, 1, 1)


CASES = {
    "number NaN": (_set(A6=float("nan")), 6, "Nr", ("value is missing", "not a number")),
    "number blank": (_set(A6=None), 6, "Nr", ("value is missing",)),
    "number text": (_set(A6="fem"), 6, "Nr", ("fem",)),
    "number twice": (_set(A7=5), 7, "Nr", ("milestone 5 is listed twice (also in row 6)",)),
    "merged cells": (_merge, 6, "D6:F7", ("merged cells",)),
    "formula without value": (_set(F6='=cmd|" /C calc"!A0'), 6, "Kommentar", ("formula without a computed value",)),
    "done after the report date": (_finished_after_the_report, 6, "Faktisk dato",
                                   ("01.01.2020 is after the report date 07.10.2016",)),
    "done on a day still to come": (_finished_in_2099, 6, "Faktisk dato",
                                    ("milestone 5 is 'ferdig' on 2099-01-01, a day that has not come yet",)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_unsure_progress_row_is_one_error_and_nothing_is_written(scratch_config, tmp_path, capsys, case):
    change, row, column, words = CASES[case]
    path = _returned(scratch_config, tmp_path, change)
    before = _files(scratch_config)
    assert main(["--config", str(scratch_config), "import", str(path)]) == 1
    out = capsys.readouterr()
    errors = [line for line in (out.out + out.err).splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, out.out + out.err
    assert f"wb.xlsx:Milepælstatus:{row} {column}:" in errors[0], errors[0]
    assert any(w in errors[0] for w in words), errors[0]
    assert "Traceback" not in out.out + out.err
    assert _files(scratch_config) == before


def test_an_edited_comment_is_imported(scratch_config, tmp_path, capsys):
    """The harness above can see a change: a plain edit of the same row is written."""
    path = _returned(scratch_config, tmp_path, _set(F6="Evaluering ferdig i november"))
    assert _progress(scratch_config)["5"] == ["pågår", "", "Evaluering av responssenter pågår"]
    assert main(["--config", str(scratch_config), "import", str(path)]) == 0, capsys.readouterr()
    after = _progress(scratch_config)
    assert after["5"] == ["pågår", "", "Evaluering ferdig i november"]
    assert set(after) == {"1", "2", "3", "4", "5", "6", "7"}


def test_done_on_the_report_date_is_imported(scratch_config, tmp_path, capsys):
    path = _returned(scratch_config, tmp_path, _set(D6="ferdig", E6=datetime(2016, 10, 7)))
    assert main(["--config", str(scratch_config), "import", str(path)]) == 0, capsys.readouterr()
    assert _progress(scratch_config)["5"] == ["ferdig", "07.10.2016", "Evaluering av responssenter pågår"]


def test_dates_already_in_the_data_after_the_report_date_stay_importable(scratch_config, tmp_path, capsys):
    """Only a date the workbook brings is checked: a workbook made as of 01.03.2016 shows milestones
    2 and 3 done on 11.04.2016 and 10.06.2016 (from the data file) and imports an edit elsewhere."""
    path = tmp_path / "wb.xlsx"
    path.write_bytes(leader_workbook(open_register(scratch_config), HAUG, date(2016, 3, 1)))
    wb = openpyxl.load_workbook(path)
    ws = wb["Milepælstatus"]
    assert ws["A7"].value == 6
    ws["F7"] = "Planlegging startet"
    wb.save(path)
    assert main(["--config", str(scratch_config), "import", str(path)]) == 0, capsys.readouterr()
    after = _progress(scratch_config)
    assert after["2"] == ["ferdig", "11.04.2016", "Vurdert i styringsgruppen sammen med revidert prosjektplan"]
    assert after["6"] == ["ikke startet", "", "Planlegging startet"]


def test_swapped_milestone_numbers_are_refused(scratch_config, tmp_path, capsys):
    """Numbers 5 and 7 swapped in the locked Nr column would move milestone 5's progress onto 7."""
    path = _returned(scratch_config, tmp_path, _set(A6=7, A8=5))
    before = _files(scratch_config)
    assert main(["--config", str(scratch_config), "import", str(path)]) == 1
    out = capsys.readouterr()
    errors = [line for line in (out.out + out.err).splitlines() if line.startswith("ERROR")]
    assert [e.split(" Nr: ")[0].rsplit(":", 1)[-1] for e in errors] == ["6", "8"], errors
    assert "milestone 7 is not 'Vurdere om prosjektet er i rute'" in errors[0]
    assert _files(scratch_config) == before
