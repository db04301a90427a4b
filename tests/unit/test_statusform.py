"""The status form (what the Prefect UI shows the project leader) writes through the workbook's path."""

from datetime import date, datetime

from grantflow.data import read_milestones, read_notes
from grantflow.intake import apply
from grantflow.register import open_register
from grantflow.statusform import DecisionNeeded, Deviation, initial_form, plan_form

NG = "smart-velferdsregion-nord-gudbrandsdal"
NOW = datetime(2020, 6, 2, 9, 30).astimezone()


def test_form_is_prefilled_with_the_plan_progress_and_last_note(config_dir):
    form = initial_form(open_register(config_dir), NG, date(2020, 6, 1))
    assert [m.number for m in form.milestones] == [1, 2, 3, 4, 5, 6, 7]
    third = form.milestones[2]
    assert (third.status, third.actual, third.comment) == ("pågår", None, "Første kurs utsatt på grunn av smittevern")
    assert form.milestones[0].actual == date(2019, 10, 2) and form.milestones[0].planned == date(2019, 9, 30)
    assert form.summary.startswith("Kartleggingen er levert") and (form.quality, form.benefits) == ("grønn", "gul")
    # A new report date: last period's lists and reporter are not this period's (as in the workbook).
    assert (form.decisions, form.deviations, form.next_period, form.reported_by) == ([], [], [], "")
    assert "quality" in form.model_json_schema()["properties"]          # renderable as a form
    again = initial_form(open_register(config_dir), NG, date(2020, 3, 1))        # the note's own date
    assert again.decisions[0].text == "Vedta kompetanseplan for 2020." and again.next_period


def test_submitted_form_is_written_and_read_back(scratch_config):
    register = open_register(scratch_config)
    offered = initial_form(register, NG, date(2020, 6, 1))
    answer = offered.model_copy(deep=True)
    answer.milestones[2].status, answer.milestones[2].actual = "ferdig", date(2020, 5, 28)
    answer.summary, answer.benefits = "Kurs to gjennomført digitalt.", "rød"
    answer.deviations = [Deviation(text="Kurs flyttet til nett", explanation="smittevern")]
    answer.decisions = [DecisionNeeded(text="Velge plattform", proposal="Plattform A")]
    answer.reported_by = "Kari Nordmann"
    result = plan_form(register, NG, answer, date(2020, 6, 1), base=offered, now=NOW)
    assert result.ok, result.findings
    apply(result)
    table = read_milestones(scratch_config / f"data/{NG}/milepaeler.csv")
    row = table.frame.set_index("Milepæl").loc[3]
    assert (row["Status"], row["Faktisk dato"].date()) == ("ferdig", date(2020, 5, 28))
    notes, _ = read_notes(scratch_config / f"data/{NG}/notater.yaml")
    note = notes.note_for(date(2020, 6, 1))
    assert note.summary == "Kurs to gjennomført digitalt." and note.benefits.rag == "red"
    assert note.deviations == ["Kurs flyttet til nett Forklaring: smittevern"]
    assert note.reported_by == "Kari Nordmann" and note.reported_at == NOW
    again = initial_form(open_register(scratch_config), NG, date(2020, 6, 1))
    assert again.milestones[2].status == "ferdig" and again.decisions == answer.decisions
    assert again.deviations == answer.deviations and again.summary == answer.summary


def test_form_findings_come_back_as_lines_and_nothing_is_written(scratch_config):
    register = open_register(scratch_config)
    answer = initial_form(register, NG, date(2020, 6, 1))
    answer.summary, answer.reported_by = "Noe nytt", ""
    answer.milestones[0].number = 42
    result = plan_form(register, NG, answer, date(2020, 6, 1), now=NOW)
    errors = [str(f) for f in result.findings if f.severity == "error"]
    assert any("reported_by" in e and "who is reporting" in e for e in errors), errors
    assert any("milestone 42 is not in the project plan" in e for e in errors), errors
    assert not result.ok and result.changes == []


def test_a_control_character_in_an_answer_is_a_finding_not_a_broken_next_workbook(scratch_config):
    """A vertical tab (Word's line break) in the form's summary was written to the notes file;
    from then on 'grantflow workbook' failed for the project with an error naming a cell of the
    workbook it could not make, not the notes file."""
    from datetime import date

    from grantflow.cli import main
    from grantflow.intake import apply
    from grantflow.register import open_register
    from grantflow.statusform import initial_form, plan_form

    register = open_register(scratch_config)
    project = "smart-velferdsregion-nord-gudbrandsdal"
    form = initial_form(register, project, date(2020, 6, 1))
    answer = form.model_copy(update={"summary": "Første linje\x0bandre linje", "reported_by": "Kari"})
    result = plan_form(register, project, answer, date(2020, 6, 1), base=form)
    assert not result.ok
    assert any("summary" in f.field and "U+000B" in f.message for f in result.findings), result.findings
    notes = scratch_config / f"data/{project}/notater.yaml"
    before = notes.read_bytes()
    if result.ok:                                  # (the old code wrote it)
        apply(result)
    assert notes.read_bytes() == before
    assert main(["--config", str(scratch_config), "workbook", project, "--as-of", "2020-06-01",
                 "-o", str(scratch_config.parent / "wb.xlsx")]) == 0


def test_a_bidirectional_control_in_a_form_answer_is_a_finding_and_nothing_is_written(scratch_config):
    """A deviation or a milestone comment with a right-to-left override (the digits of an amount
    shown reversed in the report) was written from the status form like any text."""
    register = open_register(scratch_config)
    offered = initial_form(register, NG, date(2020, 6, 1))
    answer = offered.model_copy(deep=True)
    answer.reported_by = "Kari Nordmann"
    answer.deviations = [Deviation(text="Merkostnad \u202e000 021\u202c kr")]
    answer.milestones[2].comment = "Utsatt \u2066til høsten\u2069"
    result = plan_form(register, NG, answer, date(2020, 6, 1), base=offered, now=NOW)
    errors = [f for f in result.findings if f.severity == "error"]
    assert any("deviations" in f.field and "U+202E" in f.message for f in errors), result.findings
    assert any(f.field == "Kommentar" and "U+2066" in f.message for f in errors), result.findings
    assert not result.ok and result.changes == []


def test_a_tab_in_who_reports_is_a_finding_and_nothing_is_written(scratch_config):
    """«Rapportert av» is a name, one line: a tab in it was stored in the notes file (found by an
    outside tester); now refused as a line break is, naming the field."""
    register = open_register(scratch_config)
    offered = initial_form(register, NG, date(2020, 6, 1))
    answer = offered.model_copy(update={"summary": "Noe nytt", "reported_by": "Kari\tNordmann"})
    result = plan_form(register, NG, answer, date(2020, 6, 1), base=offered, now=NOW)
    errors = [str(f) for f in result.findings if f.severity == "error"]
    assert not result.ok and result.changes == []
    assert [e for e in errors if "reported_by" in e] == [
        "ERROR   skjema:reported_by reported_by: must be a single line: contains TAB"], errors
