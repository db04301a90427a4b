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
    ("municipalities", "Tysvær # hoved", None),                     # a name: kept whole, then not a member
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
        assert "'Tysvær # hoved'" in errors[0], text
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


# --- 3. who reports is a name: one line, no encoded word ---------------------------------


@pytest.mark.parametrize("xml_text,why", [
    ("Evil_x000D__x000A_Bcc: a@evil.example", "must be a single line"),
    ("Evil &lt;a@evil.example&gt;, =?utf-8?q?x?=", "RFC 2047 encoded word"),
    ("=?utf-8?q?Evil=0ABcc=3A_a@evil.example?=", "single line"),
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
