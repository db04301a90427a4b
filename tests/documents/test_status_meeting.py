"""A status report says which steering-group meeting it is for, and when the project leader
wrote the assessment it quotes (an outside reader, as a steering-group member: only the mail named
the meeting, and Nord-Gudbrandsdal's report of 16 April 2020 quoted "kursprogrammet starter etter
planen i mars" from a note of 1 March beside a milestone already late, as if written that day).
Every date expected here is read from the project and notes files by this test, never by grantflow."""

from __future__ import annotations

from datetime import date, timedelta

import yaml

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG
from ..docx_text import all_text, find_table, tables

HAUG = "haugaland-velferdsteknologi"
NG = "smart-velferdsregion-nord-gudbrandsdal"
NB = "\u00a0"
TODAY = date(2026, 11, 24)
MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember"]


def said(day: date) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def meetings(project: str) -> list[date]:
    plan = yaml.safe_load((CONFIG / "projects" / f"{project}.yaml").read_text(encoding="utf-8"))
    return plan["meetings"]["dates"]


def notes(project: str) -> list[dict]:
    return yaml.safe_load((CONFIG / "data" / project / "notater.yaml").read_text(encoding="utf-8"))["status"]


def header(path) -> dict[str, str]:
    """The block under the title, the first thing on page 1."""
    return {row[0]: row[1].replace(NB, " ") for row in tables(path)[0]}


def overall_text(path) -> str:
    return find_table(path, "Samlet vurdering")[1][1].replace(NB, " ")


def render(project: str, as_of: date, out):
    return produce(open_register(CONFIG), "status", project, as_of=as_of, out=out, today=TODAY)


def test_the_report_names_the_meeting_it_is_for_on_page_one(tmp_path):
    as_of = date(2016, 6, 3)
    (meeting,) = [d for d in meetings(HAUG) if as_of <= d <= as_of + timedelta(days=31)]
    assert meeting == date(2016, 6, 10)
    made = render(HAUG, as_of, tmp_path)
    block = header(made.docx)
    assert block["Til"] == f"Styringsgruppens møte {said(meeting)}"      # was "Styringsgruppen"
    assert list(block)[0] == "Til"                                        # the block's first line
    made = render(NG, date(2020, 4, 16), tmp_path)
    (meeting,) = [d for d in meetings(NG) if date(2020, 4, 16) <= d <= date(2020, 5, 17)]
    assert header(made.docx)["Til"] == f"Styringsgruppens møte {said(meeting)}"


def test_no_meeting_is_named_when_none_is_within_a_month(tmp_path):
    as_of = date(2016, 8, 1)
    assert not [d for d in meetings(HAUG) if as_of <= d <= as_of + timedelta(days=31)]
    made = render(HAUG, as_of, tmp_path)
    assert header(made.docx)["Til"] == "Styringsgruppen"
    assert list(header(made.docx))[0] == "Til"           # where the meeting stands when there is one
    assert "møte" not in " ".join(header(made.docx).values())


def test_the_quoted_assessment_says_when_the_project_leader_wrote_it(tmp_path):
    """Nord-Gudbrandsdal on 16 April 2020 quotes the note of 1 March (not stale: after the
    meeting of 13 February and within 90 days)."""
    (note,) = notes(NG)
    as_of = date(2020, 4, 16)
    assert note["as_of"] < as_of and max(d for d in meetings(NG) if d < as_of) < note["as_of"]
    text = overall_text(render(NG, as_of, tmp_path).docx)
    # was: "Kartleggingen er levert; kursprogrammet starter etter planen i mars. 1 av 7 milepæler …"
    assert text.startswith(f"Prosjektleders vurdering (meldt {said(note['as_of'])}): «{note['summary']}»"), text


def test_an_assessment_written_the_report_day_is_quoted_without_a_date(tmp_path):
    first = notes(HAUG)[0]
    text = overall_text(render(HAUG, first["as_of"], tmp_path).docx)
    assert text.startswith(first["summary"]) and "meldt" not in text


def test_an_old_assessment_keeps_its_stale_wording(tmp_path):
    """Haugaland on 1 August 2016 quotes the note of 1 June, older than the meeting of 10 June."""
    first = notes(HAUG)[0]
    text = overall_text(render(HAUG, date(2016, 8, 1), tmp_path).docx)
    assert text.startswith(f"Prosjektleders vurdering er ikke oppdatert siden {said(first['as_of'])}: "
                           f"«{first['summary']}»"), text
    assert "meldt" not in all_text(render(HAUG, date(2016, 8, 1), tmp_path).docx)
