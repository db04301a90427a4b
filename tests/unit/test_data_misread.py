"""Data files misread without a word (outside tester, session 15): a year that is no year, a
misspelt column header, kroner with more than two decimals. Each test reads what the user gets:
the one line and the exit code of the command, never a traceback, never a document."""

from __future__ import annotations

import openpyxl
import pytest

from grantflow.cli import main

from ..conftest import replace_in

HAUG_LEDGER = "data/haugaland-velferdsteknologi/regnskap.csv"
ERP_LEDGER = "data/kongsbergregionen-erp/regnskap.xlsx"
HAUG = ["status haugaland-velferdsteknologi", "final haugaland-velferdsteknologi",
        "usage --council haugaland-vekst --year 2016"]
ERP = ["status kongsbergregionen-erp", "final kongsbergregionen-erp", "usage --council kongsbergregionen --year 2014"]


def run(capsys, config, *args):
    code = main(["--config", str(config), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def error_lines(text: str, file: str) -> list[str]:
    return [line for line in text.splitlines() if file in line and line.startswith("ERROR")]


def assert_refused(capsys, config, tmp_path, renders, file, expected):
    """validate and every render give the one line (no internal error), exit 1."""
    code, out, err = run(capsys, config, "validate")
    assert code == 1 and "internal error" not in out + err, out + err
    mine = error_lines(out, file)
    assert len(mine) == 1 and expected in mine[0], mine
    for render in renders:
        code, out, err = run(capsys, config, "render", *render.split(), "--out", str(tmp_path / "out"))
        assert code == 1, (render, out, err)
        assert "internal error" not in err and "Traceback" not in err, err
        assert expected in err and len(err.strip().splitlines()) == 1, (render, err)


# --- 1. År outside the years a date may have ------------------------------------------------

@pytest.mark.parametrize("year", ["15", "0", "-2015", "3015", "62500", "1899"])
def test_a_year_that_is_no_year_is_one_error_in_a_csv_ledger(scratch_config, capsys, tmp_path, year):
    # it crashed validate and every document: "internal error (TypeError: Invalid value
    # '[Timestamp('0015-12-31…')]' for dtype 'datetime64[ns]')"
    replace_in(scratch_config / HAUG_LEDGER, "30.09.2015;2015;", f"30.09.2015;{year};")
    assert_refused(capsys, scratch_config, tmp_path, HAUG, "regnskap.csv:2 ",
                   f"År: year {year} is outside 1900–2100")


@pytest.mark.parametrize("year", [15, 0, -2013, 3013, 1450000])
def test_a_year_that_is_no_year_is_one_error_in_an_xlsx_ledger(scratch_config, capsys, tmp_path, year):
    # render crashed on Kongsberg's workbook ledger
    path = scratch_config / ERP_LEDGER
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet["B2"].value == 2013
    sheet["B2"].value = year
    book.save(path)
    assert_refused(capsys, scratch_config, tmp_path, ERP, "regnskap.xlsx", f"År: year {year} is outside 1900–2100")
