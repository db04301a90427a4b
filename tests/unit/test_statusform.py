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


# ---------------------------------------------------------------------------------------------
# Rows left out or renumbered, and progress changed while the form waited (outside tester, session 23)

ERP = "kongsbergregionen-erp"


def _erp_files(config):
    return [config / f"data/{ERP}/{name}" for name in ("milepaeler.csv", "notater.yaml", "innlesinger.csv")]


def _snapshot(paths):
    return {p: p.read_bytes() if p.exists() else None for p in paths}


def _erp_answer(config, as_of=date(2014, 10, 1)):
    register = open_register(config)
    offered = initial_form(register, ERP, as_of)
    answer = offered.model_copy(deep=True)
    answer.summary, answer.reported_by = "Lønn i drift i alle fire kommuner.", "Prosjektleder ERP"
    return register, offered, answer


def test_an_answer_that_leaves_out_milestones_is_refused_and_nothing_is_written(scratch_config):
    """An answer listing only milestone 2 deleted milestones 1, 3 and 4's progress from
    milepaeler.csv (milestone 1 'ferdig;28.06.2013' gone) and the report went out red; the workbook
    refuses a deleted row, now the form does too, naming the milestones."""
    register, offered, answer = _erp_answer(scratch_config)
    answer.milestones = [m for m in answer.milestones if m.number == 2]
    before = _snapshot(_erp_files(scratch_config))
    result = plan_form(register, ERP, answer, date(2014, 10, 1), base=offered, now=NOW)
    if result.ok:                                  # (the old code wrote it)
        apply(result)
    assert _snapshot(_erp_files(scratch_config)) == before
    errors = [str(f) for f in result.findings if f.severity == "error"]
    assert "ERROR   skjema:milestones number: milestones 1, 3 and 4 are missing from the answer; their progress " \
           "in the data file would be lost: put them back (to clear a milestone's progress, empty its status, " \
           "actual date and comment)" in errors, errors
    assert result.changes == []


def test_an_emptied_milestone_row_still_clears_its_progress(scratch_config):
    """Clearing a milestone's progress is done by emptying its row, not by leaving it out."""
    register, offered, answer = _erp_answer(scratch_config)
    answer.milestones[2].status, answer.milestones[2].comment = None, ""
    result = plan_form(register, ERP, answer, date(2014, 10, 1), base=offered, now=NOW)
    assert result.ok, result.findings
    apply(result)
    lines = (scratch_config / f"data/{ERP}/milepaeler.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(";")[0] for line in lines[1:]] == ["1", "2", "4"]


def test_a_milestone_number_changed_in_the_form_is_refused(scratch_config):
    """Milestone 1's row given number 4 and 4's given 1: milepaeler.csv said '1;ikke startet;;' and
    '4;ferdig;28.06.2013;Alle moduler anskaffet', no finding. The number is the one offered."""
    register, offered, answer = _erp_answer(scratch_config)
    answer.milestones[0].number, answer.milestones[3].number = 4, 1
    for row in answer.milestones:
        row.event = ""                             # the events, too, are the attacker's to blank
    before = _snapshot(_erp_files(scratch_config))
    result = plan_form(register, ERP, answer, date(2014, 10, 1), base=offered, now=NOW)
    if result.ok:
        apply(result)
    assert _snapshot(_erp_files(scratch_config)) == before
    errors = [str(f) for f in result.findings if f.severity == "error"]
    assert "ERROR   skjema:milestones:1 number: the number was changed from 1 to 4; each row keeps its milestone's " \
           "number (1: 'Programvare og moduler anskaffet'): put it back" in errors, errors
    assert any(e.startswith("ERROR   skjema:milestones:4 number: the number was changed from 4 to 1;") for e in errors)


def test_rows_in_another_order_with_their_events_are_no_renumbering(scratch_config):
    register, offered, answer = _erp_answer(scratch_config)
    answer.milestones.reverse()
    answer.milestones[0].comment = "Avsluttes i desember"          # milestone 4
    result = plan_form(register, ERP, answer, date(2014, 10, 1), base=offered, now=NOW)
    assert result.ok, result.findings
    apply(result)
    text = (scratch_config / f"data/{ERP}/milepaeler.csv").read_text(encoding="utf-8")
    assert "4;ikke startet;;Avsluttes i desember" in text and "1;ferdig;28.06.2013;Alle moduler anskaffet" in text


def test_progress_changed_while_the_form_waited_is_kept(scratch_config):
    """The secretariat marks milestone 3 done while the form waits; the leader's answer leaves it as
    offered: the data file's value stays (it was overwritten with the form's stale one)."""
    register, offered, answer = _erp_answer(scratch_config, date(2014, 7, 15))
    progress = scratch_config / f"data/{ERP}/milepaeler.csv"
    progress.write_text(progress.read_text(encoding="utf-8").replace(
        "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;20.06.2014;Lønn i drift i alle fire"),
        encoding="utf-8")
    answer.milestones[3].comment = "Planlegging av avslutning"
    result = plan_form(open_register(scratch_config), ERP, answer, date(2014, 7, 15), base=offered, now=NOW)
    assert result.ok, result.findings
    apply(result)
    text = progress.read_text(encoding="utf-8")
    assert "3;ferdig;20.06.2014;Lønn i drift i alle fire" in text and "4;ikke startet;;Planlegging av avslutning" in text


def test_progress_changed_both_in_the_form_and_the_data_file_is_a_finding(scratch_config):
    register, offered, answer = _erp_answer(scratch_config, date(2014, 7, 15))
    progress = scratch_config / f"data/{ERP}/milepaeler.csv"
    progress.write_text(progress.read_text(encoding="utf-8").replace(
        "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;20.06.2014;Lønn i drift i alle fire"),
        encoding="utf-8")
    answer.milestones[2].comment = "Lønn i drift i Kongsberg og Flesberg"
    before = _snapshot(_erp_files(scratch_config))
    result = plan_form(open_register(scratch_config), ERP, answer, date(2014, 7, 15), base=offered, now=NOW,
                       offered_at=datetime(2014, 7, 8, 8, 0))
    if result.ok:
        apply(result)
    assert not result.ok and result.changes == []
    assert _snapshot(_erp_files(scratch_config)) == before
    errors = [str(f) for f in result.findings if f.severity == "error"]
    assert "ERROR   skjema:Milepælstatus:3 Status: milestone 3 was changed both here and in the data file since the " \
           "form was offered (08.07.2014 08:00); they differ in Status, Faktisk dato, Kommentar" in errors, errors


def test_an_answer_claiming_a_workbook_or_no_answer_is_believed_only_as_the_files_show(scratch_config):
    """`via` was the form's own field: anyone resuming with 'ingen svar' 15 s after the request had
    the period recorded as not reported, and 'arbeidsbok' sent the report with no answer at all."""
    from grantflow.intake import record_no_answer
    from grantflow.statusform import VIA_NONE, VIA_WORKBOOK, unbacked_claim

    day, after = date(2014, 10, 1), date(2014, 10, 1)
    register = open_register(scratch_config)
    assert "no workbook with the status for 01.10.2014 has been taken in" in \
        unbacked_claim(register, ERP, day, VIA_WORKBOOK, after)
    assert "the status for 01.10.2014 is not recorded as unanswered" in \
        unbacked_claim(register, ERP, day, VIA_NONE, after)
    assert "the send date has not come" in unbacked_claim(register, ERP, day, VIA_NONE, date(2014, 9, 30))
    record_no_answer(scratch_config, ERP, day)                 # as the watch does on the send date
    register = open_register(scratch_config)
    assert unbacked_claim(register, ERP, day, VIA_NONE, after) is None
    assert unbacked_claim(register, ERP, day, VIA_WORKBOOK, after) is not None    # a mark is no workbook
    _, offered, answer = _erp_answer(scratch_config)
    result = plan_form(register, ERP, answer, day, base=offered, now=NOW)
    assert result.ok, result.findings
    apply(result)                                            # an answer for the period, as an import writes it
    register = open_register(scratch_config)
    assert unbacked_claim(register, ERP, day, VIA_WORKBOOK, after) is None


def test_two_milestones_with_the_same_event_swapped_are_refused(scratch_config):
    """Haugaland's milestones 2, 3 and 4 are all 'Vurdere om prosjektet er i rute': the event alone
    does not show a row moved, so their numbers swapped (events kept) are a renumbering."""
    register = open_register(scratch_config)
    offered = initial_form(register, "haugaland-velferdsteknologi", date(2016, 11, 18))
    answer = offered.model_copy(deep=True)
    answer.reported_by = "Sturle J. Monstad"
    answer.milestones[2].number, answer.milestones[3].number = 4, 3
    result = plan_form(register, "haugaland-velferdsteknologi", answer, date(2016, 11, 18), base=offered, now=NOW)
    errors = [str(f) for f in result.findings if f.severity == "error"]
    assert any("skjema:milestones:3 number: the number was changed from 3 to 4" in e for e in errors), errors
    assert not result.ok and result.changes == []
