"""A returned workbook as a careless or hostile project leader sends it back: every mistake is one
line naming file, sheet, row and field, exit 1, and the data files stay exactly as they were;
user text grantflow writes into a workbook stays text for whoever opens it."""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from grantflow.cli import main
from grantflow.data import read_milestones
from grantflow.intake import import_workbook
from grantflow.register import open_register
from grantflow.workbook import project_data, write_workbook
from tests.conftest import replace_in
from tests.unit._workbook import (HAUG, NG, entered, field, file_bytes, key_rows, patch_cell, refusals, refused,
                                  run_import, sheet_member, workbook_file)

NOW = datetime(2020, 6, 2, 9, 30).astimezone()
PROGRESS = f"data/{NG}/milepaeler.csv"


def _mark_milestone_3_done(wb) -> None:
    ws = wb["Milepælstatus"]
    row = key_rows(ws)[3]
    ws.cell(row, 4).value, ws.cell(row, 5).value = "ferdig", date(2020, 5, 20)


# --- what the leader reported is never dropped without a word ------------------------------


@pytest.mark.parametrize("change,sheet", [
    (lambda wb: setattr(wb["Milepælstatus"], "title", "Milestones"), "Milepælstatus"),
    (lambda wb: wb.remove(wb["Statusnotat"]), "Statusnotat"),
    (lambda wb: wb.remove(wb["Avvik og beslutninger"]), "Avvik og beslutninger"),
])
def test_a_renamed_or_deleted_input_sheet_is_one_error_not_a_silent_loss(scratch_config, tmp_path, capsys,
                                                                          change, sheet):
    """Renamed, the progress sheet's 'ferdig' was dropped and the import said 'nothing new' (exit 0)."""
    def edit(wb):
        _mark_milestone_3_done(wb)
        entered("Statusnotat", {"summary": "Ny oppsummering"})(wb)
        change(wb)
    error = refused(scratch_config, workbook_file(scratch_config, tmp_path / "svar.xlsx", edit), capsys)
    assert f"svar.xlsx:{sheet}" in error and "sheet is missing" in error
    if sheet == "Milepælstatus":
        assert "'Milestones'" in error              # the renamed sheet is named


def test_a_deleted_milestone_row_is_one_error_and_its_progress_stays(scratch_config, tmp_path, capsys):
    """Deleting milestone 3's row (rows may be deleted in the protected sheet) wiped its progress
    from the data file with exit 0."""
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx",
                         lambda wb: wb["Milepælstatus"].delete_rows(key_rows(wb["Milepælstatus"])[3]))
    assert "svar.xlsx:Milepælstatus Nr: milestone 3 has no row" in refused(scratch_config, path, capsys)
    # Emptying the row's cells is how progress is cleared on purpose: that still imports.
    def clear(wb):
        ws = wb["Milepælstatus"]
        for col in (4, 5, 6):
            ws.cell(key_rows(ws)[3], col).value = None
    code, errors, text = run_import(scratch_config, workbook_file(scratch_config, tmp_path / "tom.xlsx", clear), capsys)
    assert code == 0, text
    assert 3 not in set(read_milestones(scratch_config / PROGRESS).frame["Milepæl"])


def test_a_workbook_without_its_hidden_sheet_does_not_overwrite_newer_register_data(scratch_config, tmp_path,
                                                                                   capsys):
    """Sheets copied into a new workbook lose the hidden '_grantflow': without it the import had no
    three-way merge and wrote the workbook's (stale) register over the secretariat's newer edit."""
    path = workbook_file(scratch_config, tmp_path / "kopi.xlsx", lambda wb: wb.remove(wb["_grantflow"]))
    replace_in(scratch_config / f"projects/{NG}.yaml", "name: Smart velferdsregion Nord-Gudbrandsdal",
               "name: Nytt navn fra sekretariatet")
    error = refused(scratch_config, path, capsys)
    assert "kopi.xlsx" in error and "what it was made from" in error
    assert open_register(scratch_config).project(NG).name == "Nytt navn fra sekretariatet"


# --- cells another program saved ----------------------------------------------------------


@pytest.mark.parametrize("sheet,key,field", [("Statusnotat", "summary", "Oppsummering"),
                                             ("Milepælstatus", 3, "Kommentar")])
def test_an_excel_error_cell_is_refused_not_reported_as_text(scratch_config, tmp_path, capsys, sheet, key, field):
    """A formula that failed ('#DIV/0!') reached the steering group's report as the summary text."""
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx")
    wb = openpyxl.load_workbook(path)
    row = key_rows(wb[sheet])[key]
    col = 3 if sheet == "Statusnotat" else 6
    ref = f"{openpyxl.utils.get_column_letter(col)}{row}"
    patch_cell(path, sheet, ref, f'<c r="{ref}" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    assert openpyxl.load_workbook(path, data_only=True)[sheet][ref].value == "#DIV/0!"   # what a reader sees
    error = refused(scratch_config, path, capsys)
    assert f"svar.xlsx:{sheet}:{row} {field}" in error and "#DIV/0!" in error and "error" in error


def test_an_excel_error_cell_in_an_xlsx_ledger_is_refused(scratch_config, capsys):
    ledger = scratch_config / "data/kongsbergregionen-erp/regnskap.xlsx"
    wb = openpyxl.load_workbook(ledger)
    ws = wb.worksheets[0]
    header = next(r for r in range(1, 20) if any(c.value == "Beskrivelse" for c in ws[r]))
    col = next(c.column for c in ws[header] if c.value == "Beskrivelse")
    ref = f"{openpyxl.utils.get_column_letter(col)}{header + 1}"
    ws[ref] = "placeholder"
    wb.save(ledger)
    patch_cell(ledger, ws.title, ref, f'<c r="{ref}" t="e"><f>VLOOKUP(A1,B:C,9)</f><v>#REF!</v></c>')
    code = main(["--config", str(scratch_config), "validate"])
    out = capsys.readouterr().out
    assert code == 1
    hits = [line for line in out.splitlines() if "regnskap.xlsx" in line and line.startswith("ERROR")]
    assert len(hits) == 1 and f"cell {ref}" in hits[0] and "#REF!" in hits[0], out


def test_a_sheet_with_a_million_rows_is_one_error_read_no_further(scratch_config, tmp_path, capsys):
    """11 MB of workbook, 1 048 576 rows: it used to be read whole (47 s, 900 MB) and imported."""
    path = workbook_file(scratch_config, tmp_path / "stor.xlsx")
    member = sheet_member(path, "Statusnotat")
    with zipfile.ZipFile(path) as z:
        items = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in items:
            if name != member:
                z.writestr(name, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with z.open(name, "w", force_zip64=True) as out:
                out.write(head)
                chunk = []
                for r in range(100, 1_048_577):
                    chunk.append(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r))
                    if len(chunk) == 10_000:
                        out.write(b"".join(chunk))
                        chunk = []
                out.write(b"".join(chunk) + b"</sheetData>" + tail)
    # The stray cells above row 5 000 sit in the locked Nøkkel column: one more line (session 10).
    errors = refusals(scratch_config, path, capsys, count=2)
    assert "stor.xlsx:Statusnotat:5001 A5001" in errors[0] and "far outside the table" in errors[0]
    assert "stor.xlsx:Statusnotat:100 Nøkkel: unknown field '1' and 4900 more row(s) to row 5000" in errors[1]


@pytest.mark.parametrize("payload,message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "password-protected workbook or an old Excel 97-2003"),
    ("docx", "this is a Word document (.docx)"),
])
def test_a_protected_workbook_or_a_renamed_document_is_named_for_what_it_is(scratch_config, tmp_path, capsys,
                                                                            payload, message):
    path = tmp_path / "svar.xlsx"
    if payload == "docx":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("word/document.xml", "<w:document/>")
    else:
        path.write_bytes(payload)
    (error,) = refusals(scratch_config, path, capsys, unchanged=False)
    assert "svar.xlsx" in error and message in error, error


# --- text grantflow writes into what it sends out stays text -------------------------------

FORMULA_STARTS = st.sampled_from(["=", "+", "-", "@", "=HYPERLINK(\"http://evil.example\",\"klikk\")&\""])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(start=FORMULA_STARTS, rest=st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=20))
def test_no_user_text_becomes_a_formula_in_the_workbook(config_dir, tmp_path_factory, start, rest):
    """The project's name went into the guide sheet's title as a formula: a name ending in '&"'
    made it a working HYPERLINK in the leader's Excel."""
    text = (start + rest).strip() or start
    register = open_register(config_dir)
    project = register.project(NG)
    milestones = [m.model_copy(update={"event": text}) for m in project.milestones]
    project = project.model_copy(update={"name": text, "summary": text, "milestones": milestones,
                                         "partners": [text]})
    council = register.council_of(project)
    path = tmp_path_factory.mktemp("inj") / "wb.xlsx"
    path.write_bytes(write_workbook(project_data(project), council_municipalities=[m.name for m in council.municipalities],
                                    progress=[{"number": 1, "status": "pågår", "actual": None, "comment": text}],
                                    note={"summary": text, "reported_by": text}, as_of=date(2020, 6, 1)))
    wb = openpyxl.load_workbook(path)                       # as the recipient's program reads it
    ours = re.compile(r"^=(SUM|IF|SUMIF)\(")
    formulas = [(ws.title, c.coordinate, c.value) for ws in wb for row in ws.iter_rows() for c in row
                if c.data_type == "f" and not ours.match(str(c.value))]
    assert formulas == []
    assert wb["Veiledning"]["A1"].value.startswith(text)
    assert text in [c.value for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "s"]


def test_the_import_log_keeps_a_reporter_named_like_a_formula_as_text(scratch_config, tmp_path):
    """innlesinger.csv (opened in Excel by the secretariat) got the reporter's name as it came:
    '=HYPERLINK(...)' became a live link there. The notes file keeps the name exactly."""
    name = '=HYPERLINK("http://evil.example","Kari")'

    def edit(wb):
        cell = field(wb, "Statusnotat", "reported_by")
        cell.value, cell.data_type = name, "s"                # typed as text ('=... in Excel)
        field(wb, "Statusnotat", "summary").value = "Ny oppsummering"
    result = import_workbook(scratch_config, workbook_file(scratch_config, tmp_path / "svar.xlsx", edit), now=NOW)
    assert result.ok, result.findings
    with open(scratch_config / f"data/{NG}/innlesinger.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[-1][1] == "'" + name
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    from grantflow.data import read_notes

    notes, _ = read_notes(scratch_config / f"data/{NG}/notater.yaml")
    assert notes.note_for(date(2020, 6, 1)).reported_by == name


def test_a_changed_status_date_is_one_error(scratch_config, tmp_path, capsys):
    """The locked Statusdato (the sheet has no password) set to 01.01.2099: the answer was written
    as a note for 2099, hidden from every report before it, with exit 0."""
    edit = entered("Statusnotat", {"as_of": date(2099, 1, 1), "summary": "Ny oppsummering"})
    error = refused(scratch_config, workbook_file(scratch_config, tmp_path / "svar.xlsx", edit), capsys)
    assert "svar.xlsx:Statusnotat:2 Statusdato" in error and "01.06.2020 to 01.01.2099" in error


@pytest.mark.parametrize("sheet,header", [("Budsjett", "Merknad"), ("Risiko", "Ansvarlig")])
def test_values_under_an_unknown_header_are_an_error_not_dropped(scratch_config, tmp_path, capsys, sheet, header):
    """A column the leader added (or a year typed 'År 2016') was ignored with a warning and exit 0:
    its values were gone."""
    def edit(wb):
        ws = wb[sheet]
        col = ws.max_column + 3
        ws.cell(1, col).value, ws.cell(3, col).value = header, "viktig opplysning"
    error = refused(scratch_config, workbook_file(scratch_config, tmp_path / "svar.xlsx", edit), capsys)
    assert f"svar.xlsx:{sheet}:1 {header}: unknown column with values (rows 3–3)" in error
    # An unknown column left empty is only a warning.
    def empty(wb):
        ws = wb[sheet]
        ws.cell(1, ws.max_column + 3).value = header
    code, errors, text = run_import(scratch_config, workbook_file(scratch_config, tmp_path / "tom.xlsx", empty), capsys)
    assert code == 0 and f"{header}: unknown column, ignored" in text, text


def test_a_date_cell_holding_no_date_is_one_line(scratch_config, tmp_path):
    """A date cell saved with the serial -131784998: openpyxl's warning (two lines naming its own
    source file) and then an error calling it 'a formula that failed'."""
    import subprocess
    import sys

    def edit(wb):
        _mark_milestone_3_done(wb)
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit)
    row = key_rows(openpyxl.load_workbook(path)["Milepælstatus"])[3]
    member = sheet_member(path, "Milepælstatus")
    with zipfile.ZipFile(path) as z:
        style = re.search(rf'<c r="E{row}" s="(\d+)"', z.read(member).decode()).group(1)
    patch_cell(path, "Milepælstatus", f"E{row}", f'<c r="E{row}" s="{style}"><v>-131784998</v></c>')
    before = file_bytes(scratch_config)
    proc = subprocess.run([sys.executable, "-m", "grantflow.cli", "--config", str(scratch_config), "import",
                           str(path)], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2],
                          timeout=300)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if not line.startswith("WARNING")]
    assert proc.returncode == 1
    assert lines[0].startswith(f"ERROR   ") and f"svar.xlsx:Milepælstatus:{row} Faktisk dato" in lines[0]
    assert "-131784998, which is no date" in lines[0]
    assert not [line for line in lines if "Warning" in line or "warn(" in line], lines
    assert file_bytes(scratch_config) == before


# --- a data file that does not read cleanly is never rewritten from what could be read --------


def test_an_import_never_rewrites_a_notes_file_it_cannot_read_whole(scratch_config, tmp_path, capsys):
    """One misspelt key in notater.yaml ('resultater:'): the import wrote the file anew from what
    it could read — nothing — so every earlier status note and the whole final evaluation were
    deleted, with exit 0."""
    notes = scratch_config / f"data/{NG}/notater.yaml"
    # the workbook went out before the key was misspelt ('grantflow workbook' now refuses such a file)
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", entered("Statusnotat", {"summary": "Ny oppsummering"}))
    text = notes.read_text(encoding="utf-8").replace("    results:", "    resultater:", 1)
    notes.write_text(text, encoding="utf-8")
    error = refused(scratch_config, path, capsys)
    assert "notater.yaml:" in error and "cannot write the status note" in error
    assert notes.read_text(encoding="utf-8") == text


def test_an_import_never_drops_a_progress_row_it_cannot_read(scratch_config, tmp_path, capsys):
    """Milestone 1's row with the date 31.02.2019: the import rewrote milepaeler.csv without it."""
    progress = scratch_config / PROGRESS
    text = progress.read_text(encoding="utf-8").replace("02.10.2019", "31.02.2019")
    progress.write_text(text, encoding="utf-8")
    def edit(wb):
        ws = wb["Milepælstatus"]
        ws.cell(key_rows(ws)[3], 6).value = "Ny kommentar"
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit)
    assert "milepaeler.csv:2 Faktisk dato: cannot write the milestone progress" in refused(scratch_config, path,
                                                                                           capsys)


def test_a_note_a_workbook_cannot_hold_is_named_in_its_notes_file(scratch_config, tmp_path, capsys):
    """A status note with a vertical tab ("\\v" in the notes YAML): 'grantflow workbook' failed
    naming 'Statusnotat: C3', a cell of the workbook it could not make, not the file to fix."""
    replace_in(scratch_config / f"data/{NG}/notater.yaml", "    summary: Kartleggingen er levert;",
               '    summary: "Kartleggingen\\v er levert;" #')
    code = main(["--config", str(scratch_config), "workbook", NG, "--as-of", "2020-06-01",
                 "-o", str(tmp_path / "wb.xlsx")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1, err
    # the notes file itself now refuses it (a control character no document can hold), by line
    assert "notater.yaml:" in err[0] and "status[0].summary" in err[0] and "U+000B" in err[0], err
    assert not (tmp_path / "wb.xlsx").exists()


def test_a_bidirectional_control_in_a_returned_note_is_one_error(scratch_config, tmp_path, capsys):
    """A deviation typed with a right-to-left override in the returned workbook reached the status
    report, its digits shown reversed; now the import stops with one line naming sheet, row and
    column, and nothing is written."""
    edit = entered("Statusnotat", {"summary": "Merkostnad \u202e000 021\u202c kr"})
    error = refused(scratch_config, workbook_file(scratch_config, tmp_path / "svar.xlsx", edit), capsys)
    assert "svar.xlsx:Statusnotat:" in error and "U+202E" in error, error


@pytest.mark.parametrize("typed,how", [("0x0a", "hexadecimal"), ("0b1010", "binary"), ("1_000", "underscores")])
def test_a_yaml_cell_takes_whole_numbers_in_decimal_digits_only(scratch_config, tmp_path, capsys, typed, how):
    """A cell read as YAML (own effort hours here) holding 0x0a was read as 10 hours and merged
    with exit 0, while a YAML file refuses it (grantflow.yamlfile). Now the same rule: one line
    naming sheet, row and column, exit 1, nothing written."""
    edit = entered("Prosjekt", {"budget.own_effort_hours": typed})
    path = workbook_file(scratch_config, tmp_path / "svar.xlsx", edit, project=HAUG, as_of=date(2016, 6, 1))
    row = key_rows(openpyxl.load_workbook(path)["Prosjekt"])["budget.own_effort_hours"]
    error = refused(scratch_config, path, capsys)
    assert f"svar.xlsx:Prosjekt:{row} " in error, error
    assert f"{typed} is not a decimal whole number" in error and how in error, error
