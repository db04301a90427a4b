"""A watch that was down catches up: up to which morning a missed document is still made.

The year walk (test_deadline_year.py) runs the watch every weekday, so it never needed the catch-up
window; the flow test checks only the day after a meeting. Both stayed green with the window's
last day cut off (a status report missed all week not made on the meeting's morning either).
Expected days are derived here from the year config's meetings and deadlines (tests/year_config.py),
with its own holiday list.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from grantflow.deadlines import calendar, due_on
from grantflow.register import open_register

from ..conftest import replace_in
from ..year_config import DEADLINES, LEAD_DAYS, MEETINGS, PROJECT, before, make_year_config, working

GRACE = 14      # days after a deadline a missed document is still made (grantflow.deadlines)


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    return calendar(open_register(str(make_year_config(tmp_path_factory.mktemp("year")))))


def made_on(items, key: str, day: date) -> bool:
    return key in {i.key for i in due_on(items, day)}


def test_a_missed_status_report_is_made_until_the_meetings_morning(items):
    checked = 0
    for meeting in MEETINGS:
        send = before(meeting - timedelta(days=LEAD_DAYS))
        key = f"status:{PROJECT}:{send}"
        if key not in {i.key for i in items}:
            continue                                       # after the project's end
        last = min(meeting, send + timedelta(days=GRACE))
        days = [send + timedelta(days=n) for n in range((last - send).days + 3)]
        for day in days:
            assert made_on(items, key, day) == (working(day) and day <= last), (key, day)
        assert working(meeting) and made_on(items, key, meeting) is (meeting <= last)
        checked += 1
    assert checked >= 4


def test_a_missed_document_for_a_funder_is_made_until_14_days_after_its_deadline(items):
    checked = 0
    for kind, written in DEADLINES:
        due = before(written)
        owner = "haugaland-vekst" if kind == "usage" else PROJECT
        key = f"{kind}:{owner}:{due}"
        if kind not in ("final", "application", "usage") or key not in {i.key for i in items}:
            continue
        last = due + timedelta(days=GRACE)
        last_working = before(last)
        assert made_on(items, key, last_working), (key, last_working)
        after = last + timedelta(days=1)
        while not working(after):
            after += timedelta(days=1)
        assert not made_on(items, key, after), (key, after)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize(("written", "year"), [("2017-06-01", "2016"), ("2017-01-15", "2016"),
                                               ("2017-12-15", "2017")])
def test_a_usage_deadline_in_the_first_half_year_reports_on_the_year_before(scratch_config, written, year):
    """"Rapportering om bruk av skjønnsmidler per 31.12": a deadline up to June (the seeds' final
    reports are due 1 February or 1 June the year after) is about the year that ended; 15 December
    (reform funds, DOMAIN.md) about the year still running."""
    replace_in(scratch_config / f"projects/{PROJECT}.yaml",
               '{kind: usage, date: 2016-01-15, description: "Rapportering om bruk av skjønnsmidler per 31.12.2015"}',
               f"{{kind: usage, date: {written}}}")
    (usage,) = [i for i in calendar(open_register(scratch_config)) if i.kind == "usage" and i.original.isoformat() == written]
    assert usage.period == year
