"""The lines `grantflow import` and `grantflow inbox` give a project leader, as an outside tester
playing one read them in session 15: each said something untrue or unclear about the workbook
(a number changed where a text was, a fix repeating the ambiguous value, an empty inbox holding two
workbooks, Python's spelling of a cell). Each was seen failing on the old code."""

from __future__ import annotations

import shutil
from datetime import date, time

import openpyxl
import pytest

from grantflow.cli import main
from tests.unit._workbook import HAUG, NG, entered, field, key_rows, refused, workbook_file

HAUG_AS_OF = date(2016, 10, 7)


def test_an_edited_event_text_is_named_as_the_text_not_as_a_changed_number(scratch_config, tmp_path, capsys):
    """Only the Hendelse of milestone 5 (B6) edited: the line said 'the number was changed: put it
    back', though the number was untouched."""
    def edit(wb):
        wb["Milepælstatus"]["B6"] = "Evaluering av responssenter"
    error = refused(scratch_config, workbook_file(scratch_config, tmp_path / "svar.xlsx", edit), capsys)
    assert error.endswith("svar.xlsx:Milepælstatus:6 Hendelse: 'Evaluering av responssenter' is not milestone 5's "
                          "event in the plan ('Årlig konferanse gjennomført'); this column only shows the plan: "
                          "put it back (a milestone's event is changed in the Milepæler sheet)"), error
    assert "number was changed" not in error


def test_an_event_renamed_in_both_sheets_is_imported(scratch_config, tmp_path, capsys):
    """Where the plan's events are changed (Milepæler), the status row's text may follow."""
    def edit(wb):
        row = next(r for r in range(2, wb["Milepæler"].max_row + 1) if wb["Milepæler"].cell(r, 1).value == 5)
        wb["Milepæler"].cell(row, 4).value = "Evaluering av responssenter"     # Hendelse
        wb["Milepælstatus"]["B6"] = "Evaluering av responssenter"
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit)
    assert main(["--config", str(scratch_config), "import", str(path)]) == 0, capsys.readouterr()


@pytest.mark.parametrize("typed,fix", [("12,000", "12 (decimal comma) or 12 000 (comma as thousands separator); "
                                                  "write 12 or 12 000"),
                                       ("1,500", "write 1,5 or 1 500"),
                                       ("12,345", "write 12,3450 or 12 345")])
def test_an_ambiguous_comma_amount_suggests_spellings_that_are_not(scratch_config, tmp_path, capsys, typed, fix):
    """'12,000' as text in a budget cell ended '…write 12,000 or 12 000': the ambiguous input again
    as one of the fixes. (Since session 24 the workbook's message is the YAML's and the data files':
    'write', where it said 'type'.)"""
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", lambda wb: wb["Budsjett"].__setitem__("B2", typed))
    error = refused(scratch_config, path, capsys)
    assert f"svar.xlsx:Budsjett:2 2019: cannot read {typed!r}: ambiguous number {typed!r}: " in error, error
    assert error.endswith(fix), error


def test_an_inbox_with_workbooks_for_other_projects_only_is_not_called_empty(scratch_config, tmp_path, capsys):
    """'grantflow inbox NG' said 'the inbox is empty' while two Haugaland workbooks were there."""
    inbox = scratch_config / "inbox"
    inbox.mkdir()
    for name in ("haugaland-1.xlsx", "haugaland-2.xlsx"):
        workbook_file(scratch_config, inbox / name, project=HAUG, as_of=HAUG_AS_OF)
    code = main(["--config", str(scratch_config), "inbox", NG])
    out = capsys.readouterr().out
    assert code == 0
    assert out.strip().endswith(f"no workbook for {NG} in {inbox}/ (2 for other projects: haugaland-1.xlsx ({HAUG}), "
                                f"haugaland-2.xlsx ({HAUG}))"), out
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["haugaland-1.xlsx", "haugaland-2.xlsx"]
    for n in range(3, 8):                                   # a long queue: five named, the rest counted
        shutil.copy(inbox / "haugaland-1.xlsx", inbox / f"haugaland-{n}.xlsx")
    assert main(["--config", str(scratch_config), "inbox", NG]) == 0
    assert capsys.readouterr().out.strip().endswith(f"haugaland-5.xlsx ({HAUG}) and 2 more)")
    for path in inbox.glob("haugaland-*.xlsx"):
        path.unlink()
    assert main(["--config", str(scratch_config), "inbox", NG]) == 0
    assert "the inbox is empty" in capsys.readouterr().out


@pytest.mark.parametrize("typed", ["haugaland-velferd", "kongsbergregionen-erp"])
def test_a_project_id_typed_over_is_named_as_changed_from_the_workbooks_own(scratch_config, tmp_path, capsys, typed):
    """A typo in the Prosjekt-id ('haugaland-velferd') said 'unknown project …; a new project is made
    with grantflow new-project', though the hidden sheet knows the workbook is Haugaland's."""
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", entered("Prosjekt", {"id": typed}),
                         project=HAUG, as_of=HAUG_AS_OF)
    error = refused(scratch_config, path, capsys)
    assert error.endswith(f"svar.xlsx:Prosjekt:2: Prosjekt-id (kort, brukes i filnavn): the project id was changed "
                          f"from {HAUG!r} to {typed!r}; ids cannot be changed by a workbook: put it back"), error


def test_a_budget_that_no_longer_balances_is_named_at_the_financing_sheets_balance_row(scratch_config, tmp_path,
                                                                                       capsys):
    """A cost raised in Budsjett gave 'svar.xlsx:Prosjekt budget.financing: whole period: …': a sheet
    the leader did not touch, no row, a YAML key."""
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", lambda wb: wb["Budsjett"].__setitem__("B2", 999999),
                         project=HAUG, as_of=HAUG_AS_OF)
    error = refused(scratch_config, path, capsys).replace("\xa0", " ")      # money() keeps its figures together
    row = int(error.split("svar.xlsx:Finansiering:")[1].split()[0])
    assert f"svar.xlsx:Finansiering:{row} Finansiering − kostnader: whole period: financing 2 335 000 kr vs costs " \
           f"2 123 093 kr" in error, error
    assert openpyxl.load_workbook(path)["Finansiering"].cell(row, 1).value.startswith("Finansiering − kostnader")


@pytest.mark.parametrize("sheet,where,value,line", [
    ("Prosjekt", "period.start", time(12, 0),
     "svar.xlsx:Prosjekt:43 Prosjektperiode – start: cannot read '12:00': a time of day, not a date; type the date"),
    ("Milepælstatus", "E6", time(8, 30),
     "svar.xlsx:Milepælstatus:6 Faktisk dato: cannot read '08:30': a time of day, not a date; type the date"),
    ("Budsjett", "B2", True,
     "svar.xlsx:Budsjett:2 2019: cannot read 'TRUE': a TRUE/FALSE cell (SANN/USANN), not a number; type the number"),
    ("Budsjett", "B2", time(12, 0),
     "svar.xlsx:Budsjett:2 2019: cannot read '12:00': a time of day, not a number; type the number"),
    ("Prosjekt", "period.end", False,
     "svar.xlsx:Prosjekt:44 Prosjektperiode – slutt: cannot read 'FALSE': a TRUE/FALSE cell (SANN/USANN), not a "
     "date; type the date"),
])
def test_a_cell_is_shown_as_excel_shows_it_not_as_python_does(scratch_config, tmp_path, capsys, sheet, where, value,
                                                              line):
    """'cannot read datetime.time(12, 0) as a date', 'True is not a number': Python's spelling of a
    time-of-day or TRUE/FALSE cell, which the leader never saw."""
    def edit(wb):
        if sheet == "Prosjekt":
            field(wb, sheet, where).value = value
        else:
            wb[sheet][where] = value
    error = refused(scratch_config, workbook_file(scratch_config, tmp_path / "svar.xlsx", edit), capsys)
    assert error.endswith(line), error
    assert "datetime" not in error and "True" not in error and "False" not in error


def test_an_unreadable_colour_and_date_are_both_said_in_one_pass(scratch_config, tmp_path, capsys):
    """'Grønt' as quality stopped the import there (only that line); fixed, the unreadable date of
    milestone 6 came next, with a warning that its row was missing although it is there."""
    def edit(wb):
        field(wb, "Statusnotat", "quality.rag").value = "Grønt"
        ws = wb["Milepælstatus"]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == 6)
        ws.cell(row, 4).value, ws.cell(row, 5).value = "ferdig", "15.11.26"
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit)
    code = main(["--config", str(scratch_config), "import", str(path), "--dry-run"])
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("ERROR")]
    assert code == 1 and len(errors) == 2, out
    assert "svar.xlsx:Statusnotat:4 Kvalitet (RAG): cannot read 'Grønt'" in errors[0], out
    assert "svar.xlsx:Milepælstatus:7 Faktisk dato: cannot read '15.11.26' as a date" in errors[1], out
    assert "has no row" not in out, out


@pytest.mark.parametrize("typed, says", [
    # since session 22 the participants are not a workbook's to change: that is the one line
    ("Oslo", "cannot be changed by a returned workbook: it decides how the costs are split"),
    ("haugesund", "municipality 'haugesund' is listed twice (also as 'Haugesund')"),
])
def test_a_participating_municipality_is_named_by_its_label_and_row(scratch_config, tmp_path, capsys, typed, says):
    """The second of «Deltakende kommuner» typed wrong: the line named 'municipalities[1]' (a YAML
    path the sheet never shows), and a duplicate the list's first row, not the row typed."""
    def edit(wb):
        ws = wb["Prosjekt"]
        ws.cell(key_rows(ws)["municipalities"] + 1, 3).value = typed
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit, project=HAUG, as_of=HAUG_AS_OF)
    row = key_rows(openpyxl.load_workbook(path)["Prosjekt"])["municipalities"] + 1
    error = refused(scratch_config, path, capsys)
    assert f"svar.xlsx:Prosjekt:{row} Deltakende kommuner: {says}" in error, error
