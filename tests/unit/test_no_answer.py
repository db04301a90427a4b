"""Recording "not reported" never overwrites an answer and is written once."""

from datetime import date

from grantflow.data import read_notes
from grantflow.intake import record_no_answer

HAUG = "haugaland-velferdsteknologi"


def test_not_reported_is_written_once_and_never_over_an_answer(scratch_config):
    notes_file = scratch_config / "data" / HAUG / "notater.yaml"
    before = notes_file.read_bytes()
    assert record_no_answer(scratch_config, HAUG, date(2016, 10, 1)).changes == []   # answered that day
    assert notes_file.read_bytes() == before

    first = record_no_answer(scratch_config, HAUG, date(2016, 10, 7))
    written = notes_file.read_bytes()
    assert first.applied and written != before
    assert record_no_answer(scratch_config, HAUG, date(2016, 10, 7)).changes == []
    assert notes_file.read_bytes() == written
    notes, _ = read_notes(notes_file)
    note = notes.note_for(date(2016, 10, 7))
    assert note.not_reported and note.as_of == date(2016, 10, 7) and not note.summary
    assert notes.note_for(date(2016, 10, 2)).summary.startswith("Prosjektet er i hovedsak i rute")
    assert b"Arbeidsgruppene er etablert" in written            # earlier notes kept


def test_no_answer_never_rewrites_a_notes_file_it_cannot_read_whole(scratch_config):
    """With one misspelt key in notater.yaml the 'not reported' mark was written into a notes
    file rebuilt from nothing: every earlier note and the final evaluation were gone."""
    from datetime import date

    import pytest

    from grantflow.errors import UserError
    from grantflow.intake import record_no_answer

    notes = scratch_config / "data/smart-velferdsregion-nord-gudbrandsdal/notater.yaml"
    text = notes.read_text(encoding="utf-8").replace("    results:", "    resultater:", 1)
    notes.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        record_no_answer(scratch_config, "smart-velferdsregion-nord-gudbrandsdal", date(2020, 6, 1))
    assert "notater.yaml" in str(caught.value) and "cannot record that nobody answered" in str(caught.value)
    assert notes.read_text(encoding="utf-8") == text
