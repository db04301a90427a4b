"""Returned workbooks for a new report date, as found by the tester reviewing 7ae9fbe.

1. A workbook made before a new date's lists started empty was pre-filled with the last note's
   deviations, decisions and next-period items; returned with only the summary changed, they were
   filed as the new date's (the bug 7ae9fbe fixed, for every workbook already sent out).
2. A leader who typed only their name (nothing else had changed) was told "not written", and the
   status report said the note was not updated since the last date.
"""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import yaml

from grantflow.cli import main
from tests.unit._workbook import issued
from grantflow.register import open_register

from ._workbook import HAUG, field, on_record, run_import

NOTES = f"data/{HAUG}/notater.yaml"


def _notes(config) -> dict:
    return {n["as_of"]: n for n in yaml.safe_load((config / NOTES).read_text(encoding="utf-8"))["status"]}


def test_an_old_workbook_returning_last_periods_lists_for_a_new_date_is_refused(scratch_config, tmp_path, capsys):
    # as such a workbook was made: the last note's date pre-fills everything; then dated 1.12.2016
    wb = openpyxl.load_workbook(io.BytesIO(issued(open_register(scratch_config), HAUG, date(2016, 10, 1))))
    lists = [row[1].value for row in wb["Avvik og beslutninger"].iter_rows(min_row=2) if row[1].value]
    assert "Felles anskaffelse av responssenter for alle ti kommuner." in lists
    field(wb, "Statusnotat", "as_of").value = date(2016, 12, 1)
    meta = wb["_grantflow"]
    row = next(r for r in range(1, meta.max_row + 1) if meta.cell(r, 1).value == "as_of")
    meta.cell(row, 2).value = json.dumps("2016-12-01")
    field(wb, "Statusnotat", "summary").value = "Alt i rute i desember."
    field(wb, "Statusnotat", "reported_by").value = "Sturle J. Monstad"
    path = tmp_path / "gammel.xlsx"
    wb.save(path)
    on_record(scratch_config, path)            # as if issued for 1.12.2016
    before = (scratch_config / NOTES).read_bytes()
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 1 and len(errors) == 1, text
    assert "Avvik og beslutninger: this workbook (made" in errors[0] and "come back unchanged for 01.12.2016" in errors[0]
    assert (scratch_config / NOTES).read_bytes() == before


def test_a_named_return_for_a_new_date_is_that_dates_note(scratch_config, tmp_path, capsys):
    wb = openpyxl.load_workbook(io.BytesIO(issued(open_register(scratch_config), HAUG, date(2016, 12, 1))))
    field(wb, "Statusnotat", "reported_by").value = "Sturle J. Monstad"      # nothing else changed
    path = tmp_path / "svar.xlsx"
    wb.save(path)
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0 and not errors, text
    notes = _notes(scratch_config)
    new, old = notes[date(2016, 12, 1)], notes[date(2016, 10, 1)]
    assert new["reported_by"] == "Sturle J. Monstad" and new["summary"] == old["summary"]
    assert not new.get("decisions") and not new.get("deviations")
    assert main(["--config", str(scratch_config), "render", "status", HAUG, "--as-of", "2016-12-01",
                 "--out", str(tmp_path / "out")]) == 0
    assert "ikke oppdatert" not in capsys.readouterr().err


def _warnings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("WARNING", "warning:"))]


def test_last_periods_assessment_returned_word_for_word_is_said(scratch_config, tmp_path, capsys):
    # a new date's workbook is pre-filled with the 1.10.2016 note's summary and colours, to edit;
    # the leader typed only their name: written as the 1.12 note, and the importer says which
    # fields are last period's word for word
    notes = _notes(scratch_config)
    old = notes[date(2016, 10, 1)]
    assert old["summary"]           # the seed's note has a summary to carry over
    wb = openpyxl.load_workbook(io.BytesIO(issued(open_register(scratch_config), HAUG, date(2016, 12, 1))))
    field(wb, "Statusnotat", "reported_by").value = "Sturle J. Monstad"
    path = tmp_path / "svar.xlsx"
    wb.save(path)
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0 and not errors, text
    said = [w for w in _warnings(text) if "word for word as in the status note of 01.10.2016" in w]
    assert len(said) == 1, text
    assert "Oppsummering" in said[0] and "check that they still hold for 01.12.2016" in said[0]
    assert _notes(scratch_config)[date(2016, 12, 1)]["summary"] == old["summary"]


def test_a_rewritten_summary_is_not_said_to_be_last_periods(scratch_config, tmp_path, capsys):
    wb = openpyxl.load_workbook(io.BytesIO(issued(open_register(scratch_config), HAUG, date(2016, 12, 1))))
    field(wb, "Statusnotat", "reported_by").value = "Sturle J. Monstad"
    field(wb, "Statusnotat", "summary").value = "Pilotene er i drift i alle ti kommuner."
    for key in ("quality.comment", "benefits.comment", "results"):
        cell = field(wb, "Statusnotat", key)
        if cell.value:
            cell.value = f"{cell.value} Oppdatert desember."
    path = tmp_path / "svar.xlsx"
    wb.save(path)
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0 and not errors, text
    assert not [w for w in _warnings(text) if "word for word" in w], text


def test_last_periods_comment_returned_word_for_word_under_a_new_colour_is_said(scratch_config, tmp_path, capsys):
    # the reviewer's return (wb_ragchanged.xlsx): quality's colour changed, its comment left as the
    # pre-filled one of the 1.10.2016 note; the comparison took colour and comment together, so
    # last period's comment went out under the new colour without a word
    from grantflow.workbook import NOTE_LABELS

    old = _notes(scratch_config)[date(2016, 10, 1)]
    assert old["quality"]["rag"] == "green" and old["quality"]["comment"]
    wb = openpyxl.load_workbook(io.BytesIO(issued(open_register(scratch_config), HAUG, date(2016, 12, 1))))
    field(wb, "Statusnotat", "reported_by").value = "Sturle J. Monstad"
    field(wb, "Statusnotat", "summary").value = "Pilotene er i drift i alle ti kommuner."
    field(wb, "Statusnotat", "results").value = "Konkurransegrunnlaget er sendt ut."
    field(wb, "Statusnotat", "benefits.comment").value = "Første gevinster målt i to kommuner."
    assert field(wb, "Statusnotat", "quality.comment").value == old["quality"]["comment"]
    field(wb, "Statusnotat", "quality.rag").value = "gul"
    path = tmp_path / "svar.xlsx"
    wb.save(path)
    code, errors, text = run_import(scratch_config, path, capsys)
    assert code == 0 and not errors, text
    assert _notes(scratch_config)[date(2016, 12, 1)]["quality"] == {"rag": "amber", "comment": old["quality"]["comment"]}
    said = [w for w in _warnings(text) if "word for word as in the status note of 01.10.2016" in w]
    assert len(said) == 1, text
    label = NOTE_LABELS["quality.comment"]
    assert f" {label}: " in said[0] and "check that it still holds for 01.12.2016" in said[0], said
    assert NOTE_LABELS["summary"] not in said[0] and NOTE_LABELS["benefits.comment"] not in said[0]
