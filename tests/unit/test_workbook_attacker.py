"""Hostile input in a returned workbook (an outside attacker, session 16): list cells read as YAML,
copies of a read sheet named the way Calc or Google Sheets names them, and a reporter's name
carrying a line break or an encoded word."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from grantflow.cli import main
from grantflow.data import read_notes
from grantflow.intake import _log_bytes
from grantflow.register import open_register
from tests.unit._workbook import HAUG, file_bytes, key_rows, patch_cell, refused, run_import, workbook_file

AS_OF = date(2016, 10, 7)


def _haug(config: Path, path: Path, edit=None) -> Path:
    return workbook_file(config, path, edit, project=HAUG, as_of=AS_OF)


def _typed(key: str, value):
    """An edit typing ``value`` into the first value cell of ``key`` on the Prosjekt sheet."""
    def edit(wb):
        ws = wb["Prosjekt"]
        ws.cell(key_rows(ws)[key], 3).value = value
    return edit


# --- 1. a text cell keeps the text as typed -------------------------------------------------


@pytest.mark.parametrize("key,typed,kept", [
    ("partners", "Kommune #1 Helse", "Kommune #1 Helse"),          # was 'Kommune' (a YAML comment)
    ("partners", "'quoted'", "'quoted'"),                           # was 'quoted'
    ("partners", "Helse Fonna: HF", "Helse Fonna: HF"),             # was "Input should be a valid string"
    ("partners", 2016, "2016"),                                     # a number cell: the same
    ("partners", "yes", "yes"),                                     # read as true: the same
    # a name: was kept whole, then not a member; the participants are no longer a workbook's to
    # change at all (session 22), so that is the one line now
    ("municipalities", "Tysvær # hoved", None),
    ("leader.phone", "+47 99 88 77 66 # jobb", "+47 99 88 77 66 # jobb"),
    ("success_factors", "[Forankring], ledelse: ja", "[Forankring], ledelse: ja"),
])
def test_a_text_cell_on_the_prosjekt_sheet_is_kept_as_typed(scratch_config, tmp_path, capsys, key, typed, kept):
    """These cells were read as YAML: text after '#' was dropped with exit 0, quotes removed, and
    'Helse Fonna: HF', 2016 or 'yes' refused with "Input should be a valid string"."""
    path = _haug(scratch_config, tmp_path / "svar.xlsx", _typed(key, typed))
    row = key_rows(openpyxl.load_workbook(path)["Prosjekt"])[key]
    code, errors, text = run_import(scratch_config, path, capsys)
    assert "valid string" not in text, text
    if kept is None:                          # the whole name is checked (and named) as typed
        assert code == 1 and len(errors) == 1 and f"svar.xlsx:Prosjekt:{row} " in errors[0], text
        assert "cannot be changed by a returned workbook" in errors[0], text
        return
    assert code == 0, text
    project = open_register(scratch_config).project(HAUG)
    value = project
    for part in key.split("."):
        value = getattr(value, part)
    assert (value[0] if isinstance(value, list) else value) == kept


def test_two_partners_in_one_cell_are_refused_in_plain_words(scratch_config, tmp_path, capsys):
    """The sheet asks for one value per row; two names typed on two lines of one cell are said so."""
    path = _haug(scratch_config, tmp_path / "svar.xlsx", _typed("partners", "Helse Fonna\nUSHT"))
    row = key_rows(openpyxl.load_workbook(path)["Prosjekt"])["partners"]
    error = refused(scratch_config, path, capsys)
    assert f"svar.xlsx:Prosjekt:{row} Samarbeidspartnere: " in error, error
    assert "one value per row" in error, error


# --- 2. a copy of a read sheet, however named, is refused --------------------------------


@pytest.mark.parametrize("title", ["Milepælstatus_2", "Kopi av Milepælstatus", "Copy of Milepælstatus",
                                   "Milepælstatus Copy", "milepælstatus (2)", "Milepælstatus - Kopi",
                                   "Milepælstatus 2", "Milepælstatus kopi"])
def test_a_filled_copy_named_by_calc_or_google_sheets_stays_in_the_inbox(scratch_config, capsys, title):
    """Only Excel's 'Milepælstatus (2)' was an error: these names gave a warning, 'grantflow inbox'
    filed the workbook under behandlet/ (exit 0) and milestone 5 'ferdig' was lost."""
    inbox = scratch_config / "inbox"
    inbox.mkdir()

    def copy(wb):
        sheet = wb.copy_worksheet(wb["Milepælstatus"])
        sheet.title = title
        sheet.cell(key_rows(sheet)[5], 4).value = "ferdig"
    _haug(scratch_config, inbox / "svar.xlsx", copy)
    before = file_bytes(scratch_config / "data")
    code = main(["--config", str(scratch_config), "inbox"])
    out = capsys.readouterr().out
    assert code == 1 and "rejected" in out and "behandlet" not in out, out
    assert not (inbox / "behandlet").exists() or not any((inbox / "behandlet").iterdir())
    assert file_bytes(scratch_config / "data") == before
    (findings,) = (inbox / "avvist").glob("*.funn.txt")
    assert f"svar.xlsx:{title} this is a copy of 'Milepælstatus'" in findings.read_text(encoding="utf-8")


@pytest.mark.parametrize("title", ["Budsjett 2017", "Budsjett_2017", "Milepæler 2017", "Prosjekt 2", "Frister 2"])
def test_a_leaders_own_sheet_named_like_a_copy_is_a_warning(scratch_config, tmp_path, capsys, title):
    """A sheet of the leader's own, not a copy, named 'Budsjett 2017' with a note in A1 was refused as
    a copy of 'Budsjett' (exit 1), and 'grantflow inbox' rejected the whole workbook (outside tester).
    Its content is no copy's: it gets the warning any added sheet gets, and the answer is imported."""
    def own(wb):
        wb.create_sheet(title)["A1"] = "Husk: søke mer i 2017"
    path = _haug(scratch_config, tmp_path / "svar.xlsx", own)
    code, errors, text = run_import(scratch_config, path, capsys, "--dry-run")
    assert code == 0 and not errors and "copy" not in text, text
    (line,) = [line for line in text.splitlines() if f"svar.xlsx:{title} " in line]
    assert line.startswith("WARNING") and "this sheet is not read by grantflow" in line, text

    inbox = scratch_config / "inbox"
    inbox.mkdir()
    path.rename(inbox / "svar.xlsx")
    code = main(["--config", str(scratch_config), "inbox"])
    out = capsys.readouterr().out
    assert code == 0 and not (inbox / "avvist").exists(), out
    (filed,) = [p.name for p in (inbox / "behandlet").iterdir() if p.suffix == ".xlsx"]
    assert filed.endswith("-svar.xlsx") and not (inbox / "svar.xlsx").exists(), out


@pytest.mark.parametrize("title,sheet,key", [("Statusnotat 2", "Statusnotat", "summary"),
                                              ("Kopi av Prosjekt", "Prosjekt", "name")])
def test_a_copy_of_a_key_value_sheet_is_known_by_its_keys(scratch_config, tmp_path, capsys, title, sheet, key):
    """A copy of Prosjekt or Statusnotat whose header row was cleared still holds the original's keys
    in column A: it is a copy, refused as before."""
    def copy(wb):
        ws = wb.copy_worksheet(wb[sheet])
        ws.title = title
        for c in range(1, ws.max_column + 1):
            ws.cell(1, c).value = None
        ws.cell(key_rows(ws)[key], 3).value = "Skrevet i kopien"
    path = _haug(scratch_config, tmp_path / "svar.xlsx", copy)
    error = refused(scratch_config, path, capsys)
    assert f"svar.xlsx:{title} this is a copy of '{sheet}'" in error, error


# --- 3. who reports is a name: one line, no encoded word ---------------------------------


@pytest.mark.parametrize("xml_text,why", [
    ("Evil_x000D__x000A_Bcc: a@evil.example", "must be a single line"),
    ("Evil &lt;a@evil.example&gt;, =?utf-8?q?x?=", "RFC 2047 encoded word"),
    ("=?utf-8?q?Evil=0ABcc=3A_a@evil.example?=", "single line"),
    # a tab was taken and stored ('reported_by: "Kari\\tNordmann"'; found by an outside tester)
    ("Kari\tNordmann", "must be a single line: contains TAB"),
    ("Kari_x0009_Nordmann", "must be a single line: contains TAB"),
])
def test_a_reporter_with_a_line_break_or_an_encoded_word_is_refused(scratch_config, tmp_path, capsys,
                                                                   xml_text, why):
    """'Rapportert av' took CR LF: 'reported_by: "Evil\\r\\nBcc: …"' in the notes file, a record over
    two lines in innlesinger.csv; an encoded word went in too. Now refused like any name."""
    path = _haug(scratch_config, tmp_path / "svar.xlsx")
    row = key_rows(openpyxl.load_workbook(path)["Statusnotat"])["reported_by"]
    patch_cell(path, "Statusnotat", f"C{row}", f'<c r="C{row}" t="inlineStr"><is><t>{xml_text}</t></is></c>')
    error = refused(scratch_config, path, capsys)
    assert f"svar.xlsx:Statusnotat:{row} Rapportert av: " in error and why in error, error
    assert "\r" not in error


def test_the_import_log_is_one_line_per_import_whatever_the_text(scratch_config, tmp_path, capsys):
    """innlesinger.csv gets one line per import: a reporter's name is one line (above), and the log
    escapes any line break or control character that might still reach it from any field."""
    path = _haug(scratch_config, tmp_path / "svar.xlsx")
    ws = openpyxl.load_workbook(path)["Statusnotat"]
    rows = key_rows(ws)
    for key, text in (("reported_by", "Kari Nordmann"), ("summary", "Linje 1_x000D_\nLinje 2")):
        ref = f"C{rows[key]}"
        patch_cell(path, "Statusnotat", ref, f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0, text
    notes, _ = read_notes(scratch_config / f"data/{HAUG}/notater.yaml")
    assert notes.note_for(AS_OF).reported_by == "Kari Nordmann"
    log = scratch_config / f"data/{HAUG}/innlesinger.csv"
    lines = log.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].split(";")[1] == "Kari Nordmann", lines

    hostile = _log_bytes(log, datetime(2016, 10, 8, 9, 0), "Evil\r\nBcc: a@evil.example\u2028x",
                         "svar\n.xlsx", b"", [])
    added = hostile.decode("utf-8-sig").splitlines()[2:]
    assert len(added) == 1 and "Evil\\r\\nBcc" in added[0] and "svar\\n.xlsx" in added[0], added
