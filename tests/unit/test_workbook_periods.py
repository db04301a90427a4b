"""A workbook for a new report date starts the period's own lists empty (found by an outside tester:
last year's decision came back as this year's, and the steering group was asked to decide it again)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from grantflow.cli import main
from grantflow.data import read_notes
from tests.unit._workbook import issued
from grantflow.register import open_register
from grantflow.workbook import PREVIOUS_SHEET
from tests.docx_text import all_text, find_table
from tests.unit._workbook import NG, field, key_rows

OLD_DECISION = "Vedta kompetanseplan for 2020."       # in the note of 1 March 2020


def _rows(ws) -> list[tuple]:
    return [tuple(c.value for c in row[:3]) for row in ws.iter_rows(min_row=2) if any(c.value for c in row[:3])]


def test_new_period_workbook_files_no_old_decisions_and_the_report_asks_none(scratch_config, tmp_path, capsys):
    path = tmp_path / "svar.xlsx"
    path.write_bytes(issued(open_register(scratch_config), NG, date(2020, 9, 1)))
    wb = openpyxl.load_workbook(path)
    # Nothing of the period's own is pre-filled: not the lists, not who reports.
    assert _rows(wb["Avvik og beslutninger"]) == []
    assert field(wb, "Statusnotat", "reported_by").value is None
    # Last period's lists are there to read, on a locked sheet that says what it is.
    previous = wb[PREVIOUS_SHEET]
    assert "Fra statusnotatet 01.03.2020" in previous.cell(1, 5).value
    assert ("Beslutning", OLD_DECISION, "Styringsgruppen vedtar kompetanseplanen for 2020 med to kurs og én "
            "regional konferanse.") in _rows(previous)
    assert previous.protection.sheet and not any(c.protection.locked is False for row in previous.iter_rows()
                                                 for c in row)
    # The leader changes only the summary and the colours, and names themself.
    field(wb, "Statusnotat", "summary").value = "Kurs to er holdt digitalt."
    field(wb, "Statusnotat", "quality.rag").value = "gul"
    field(wb, "Statusnotat", "benefits.rag").value = "grønn"
    field(wb, "Statusnotat", "reported_by").value = "Kari Nordmann"
    wb.save(path)
    assert main(["--config", str(scratch_config), "import", str(path)]) == 0, capsys.readouterr()
    notes, _ = read_notes(scratch_config / f"data/{NG}/notater.yaml")
    note = notes.note_for(date(2020, 9, 1))
    assert note.as_of == date(2020, 9, 1) and note.summary == "Kurs to er holdt digitalt."
    assert (note.decisions, note.deviations, note.next_period) == ([], [], [])
    assert notes.note_for(date(2020, 3, 1)).decisions[0].startswith(OLD_DECISION)   # the old note kept
    out = tmp_path / "out"
    assert main(["--config", str(scratch_config), "render", "status", NG, "--as-of", "2020-09-01",
                 "--out", str(out)]) in (0, 1)
    report = next(out.rglob("status-2020-09-01.docx"))
    try:
        decisions = find_table(report, "Sak")
    except AssertionError:
        decisions = []
    assert not any(OLD_DECISION in cell for row in decisions for cell in row), decisions


def test_new_period_workbook_without_a_name_is_refused(scratch_config, tmp_path, capsys):
    path = tmp_path / "svar.xlsx"
    path.write_bytes(issued(open_register(scratch_config), NG, date(2020, 9, 1)))
    wb = openpyxl.load_workbook(path)
    field(wb, "Statusnotat", "summary").value = "Kurs to er holdt digitalt."
    wb.save(path)
    assert main(["--config", str(scratch_config), "import", str(path), "--dry-run"]) == 1
    row = key_rows(wb["Statusnotat"])["reported_by"]
    assert f"svar.xlsx:Statusnotat:{row} Rapportert av: value is missing (who is reporting)" in \
        capsys.readouterr().out


def test_same_date_workbook_keeps_that_dates_note(scratch_config, tmp_path):
    # A workbook made again for the date of a note shows that note, lists and reporter included.
    wb = openpyxl.load_workbook(make_workbook_file(scratch_config, tmp_path, date(2020, 3, 1)))
    assert ("Beslutning", OLD_DECISION, "Styringsgruppen vedtar kompetanseplanen for 2020 med to kurs og én "
            "regional konferanse.") in _rows(wb["Avvik og beslutninger"])
    assert PREVIOUS_SHEET not in wb.sheetnames


def make_workbook_file(config, tmp_path, as_of):
    path = tmp_path / f"{as_of}.xlsx"
    path.write_bytes(issued(open_register(config), NG, as_of))
    return path


def test_decisions_of_a_stale_note_are_marked_as_its_other_lists(scratch_config, tmp_path):
    # No note since 1 March 2020: its deviations and next-period items were marked, its decisions not.
    assert main(["--config", str(scratch_config), "render", "status", NG, "--as-of", "2020-09-01",
                 "--out", str(tmp_path)]) in (0, 1)
    report = next(tmp_path.rglob("status-2020-09-01.docx"))
    mark = "(fra statusnotatet 1.\xa0mars\xa02020, ikke oppdatert)"
    assert find_table(report, "Sak")[1:] == [[f"{OLD_DECISION} {mark}", "Styringsgruppen vedtar kompetanseplanen "
                                             "for 2020 med to kurs og én regional konferanse."]]
    assert f"Gjennomføre første kurs {mark}" in all_text(report)


def _typed_into_previous(scratch_config, tmp_path, edit) -> tuple[int, str]:
    """A new period's workbook (NG, 1.9.2020) with the leader's name, ``edit(sheet)`` done on
    'Forrige periode' (its protection has no password), imported with --dry-run."""
    path = tmp_path / "svar.xlsx"
    path.write_bytes(issued(open_register(scratch_config), NG, date(2020, 9, 1)))
    wb = openpyxl.load_workbook(path)
    field(wb, "Statusnotat", "reported_by").value = "Kari Nordmann"
    edit(wb[PREVIOUS_SHEET])
    wb.save(path)
    return path


def test_text_typed_into_the_previous_periods_sheet_is_said(scratch_config, tmp_path, capsys):
    """A leader who unlocked 'Forrige periode' and wrote there had it dropped without a word (exit 0,
    nothing in the output), though the README promises nothing the leader wrote is. Now a warning
    names the sheet and the changed cell, and says where to write it."""
    def edit(ws):
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == OLD_DECISION)
        ws.cell(row, 3).value = "Utsatt til neste møte."
        ws.cell(ws.max_row + 1, 2).value = "Ny risiko: leverandøren trekker seg."
    path = _typed_into_previous(scratch_config, tmp_path, edit)
    wb = openpyxl.load_workbook(path)
    row = next(r for r in range(2, wb[PREVIOUS_SHEET].max_row + 1)
               if wb[PREVIOUS_SHEET].cell(r, 2).value == OLD_DECISION)
    assert main(["--config", str(scratch_config), "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if "Forrige periode" in line]
    assert line.startswith("WARNING ") and (f"svar.xlsx:Forrige periode:{row} C{row}: changed: C{row} is "
                                            f"'Utsatt til neste møte.' (grantflow wrote 'Styringsgruppen "
                                            f"vedtar") in line, line
    assert "and 1 more cell;" in line and "not imported" in line and "'Avvik og beslutninger'" in line, line


def test_the_previous_periods_sheet_as_written_gives_no_warning(scratch_config, tmp_path, capsys):
    path = _typed_into_previous(scratch_config, tmp_path, lambda ws: None)
    assert main(["--config", str(scratch_config), "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Forrige periode" not in out, out


ERP = "kongsbergregionen-erp"
ERP_NOTE = "Økonomimodulen er i drift i alle fire kommuner"      # the ERP's only note: 1 September 2014


def test_a_workbook_and_form_before_the_first_note_are_not_filled_from_a_later_note(scratch_config, tmp_path):
    """The workbook for status as of 29.08.2014 came pre-filled with the note of 01.09.2014 (found by
    an outside tester): words written after the status date offered as what was reported before it."""
    from grantflow.statusform import initial_form

    register = open_register(scratch_config)
    path = tmp_path / "svar.xlsx"
    path.write_bytes(issued(register, ERP, date(2014, 8, 29)))
    wb = openpyxl.load_workbook(path)
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if ERP_NOTE in c or "01.09.2014" in c]
    assert field(wb, "Statusnotat", "summary").value in (None, "")
    form = initial_form(register, ERP, date(2014, 8, 29))
    assert form.summary in (None, "") and not form.quality
    # on or after the note's date it is offered as before
    assert ERP_NOTE in initial_form(register, ERP, date(2014, 9, 1)).summary
    later = openpyxl.load_workbook(io.BytesIO(issued(register, ERP, date(2014, 9, 5))))
    assert ERP_NOTE in field(later, "Statusnotat", "summary").value
