"""A hidden row or column in a returned workbook is refused, as the ledger's are: an outside tester
(a project leader on Windows) hid a budget line and a financing line to strike them, the import
wrote both into the register, and `allocate` split 50 000 kr more over the six municipalities."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit._workbook import NG, key_rows, refused, run_import, workbook_file

AS_OF = date(2020, 3, 31)


def _strike(wb):
    """The tester's edit: a new line in Budsjett and Finansiering, each hidden."""
    ws = wb["Budsjett"]
    ws["A4"], ws["C4"] = "Reise (strøket)", 50
    ws.row_dimensions[4].hidden = True


def _hide_register_line(wb):
    """A line the register has (Felles prosjekttiltak, 100 + 100) hidden to strike it."""
    wb["Budsjett"].row_dimensions[key_rows(wb["Budsjett"])["Felles prosjekttiltak – digital kompetanse og "
                                                            "kunnskapsdeling"]].hidden = True


def _hide_financing(wb):
    ws = wb["Finansiering"]
    ws["A4"], ws["B4"], ws["E4"] = "Kommunene", "kommunene", 50
    ws.row_dimensions[4].hidden = True


def _hide_year_column(wb):
    wb["Budsjett"].column_dimensions["C"].hidden = True      # 2020: 800 and 100


@pytest.mark.parametrize("edit,sheet,where", [
    (_strike, "Budsjett", ":Budsjett:4 row 4"),
    (_hide_register_line, "Budsjett", ":Budsjett:3 row 3"),
    (_hide_financing, "Finansiering", ":Finansiering:4 row 4"),
    (_hide_year_column, "Budsjett", ":Budsjett column C"),
])
def test_a_hidden_line_or_column_is_refused_and_nothing_written(scratch_config, tmp_path, capsys, edit, sheet,
                                                                where):
    before = (scratch_config / f"projects/{NG}.yaml").read_text(encoding="utf-8")
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit, as_of=AS_OF)
    error = refused(scratch_config, path, capsys)
    assert where in error and "hidden" in error and "show all rows" in error or "unhide" in error, error
    assert (scratch_config / f"projects/{NG}.yaml").read_text(encoding="utf-8") == before


def test_a_hidden_empty_row_hides_nothing_and_imports(scratch_config, tmp_path, capsys):
    """Empty lines hidden as a habit (their computed sum cells empty) are no finding."""
    def edit(wb):
        for r in range(10, 20):
            wb["Budsjett"].row_dimensions[r].hidden = True
        wb["Statusnotat"]["C2"].value = wb["Statusnotat"]["C2"].value
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit, as_of=AS_OF)
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0 and not errors and "is hidden" not in text, text
