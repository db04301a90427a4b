"""The deadline calendar: what is due when, per funder, project and steering group.

Sources (all from config): each funder's deadlines (application rounds, final report, the usage
report per 31.12) and the steering-group meetings, whose status report is due ``lead_days``
before the meeting. A deadline on a weekend or a Norwegian public holiday moves to a working
day, before or after as configured (per deadline, else the ``deadline_shift`` setting). The
usage report is one per council and year however many projects name its deadline. A watch that
was not running catches up for ``GRACE_DAYS``, a status report only until the morning of its
meeting; a meeting after the project's end has no status report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from .register import Register

KIND_TITLES = {"application": "Søknad om skjønnsmidler", "status": "Statusrapport", "final": "Sluttrapport",
               "usage": "Rapportering om bruk av skjønnsmidler", "other": "Frist"}
# How long before a deadline its document is made and sent.
LEAD_DAYS = {"application": 14, "final": 14, "usage": 14, "other": 7}
# How long after a deadline a missed item is still run (and reminded about).
GRACE_DAYS = 14


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict:
    try:
        return dict(holidays.country_holidays("NO", years=year, language="no"))
    except (NotImplementedError, KeyError, ValueError):
        return dict(holidays.country_holidays("NO", years=year))


def holiday_name(day: date) -> str | None:
    return _holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def shift_to_working_day(day: date, direction: str = "before") -> date:
    """The nearest working day on or ``before``/``after`` ``day``."""
    step = timedelta(days=-1 if direction == "before" else 1)
    while not is_working_day(day):
        day += step
    return day


@dataclass(frozen=True)
class DueItem:
    """One thing to produce and send by a date."""

    kind: str                # application | status | final | usage | other
    council: str
    project: str | None      # None for council-wide kinds (usage)
    original: date           # the date as written in config
    due: date                # moved to a working day
    start: date              # from when it is made and sent
    description: str
    period: str | None = None   # the document period (usage: the year; application: the year)
    as_of: date | None = None   # the report date (status)
    last: date | None = None    # the last day it is still made (catch-up); default due + GRACE_DAYS

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.project or self.council}:{self.due.isoformat()}"

    @property
    def moved(self) -> bool:
        return self.due != self.original

    def is_due(self, today: date) -> bool:
        return self.start <= today <= (self.last or self.due + timedelta(days=GRACE_DAYS))


def calendar(register: Register, default_shift: str = "before") -> list[DueItem]:
    """Every deadline of every project, shifted to working days, sorted by due date."""
    items: dict[str, DueItem] = {}
    for project in register.projects.values():
        for funder in project.funders:
            for deadline in funder.deadlines:
                due = shift_to_working_day(deadline.date, deadline.shift or default_shift)
                lead = LEAD_DAYS.get(deadline.kind, 7)
                text = deadline.description or KIND_TITLES[deadline.kind]
                if deadline.kind == "usage":
                    year = deadline.date.year - 1 if deadline.date.month <= 6 else deadline.date.year
                    item = DueItem("usage", project.council, None, deadline.date, due, due - timedelta(days=lead),
                                   f"{text} ({funder.name})", period=str(year))
                else:
                    period = str(deadline.date.year) if deadline.kind == "application" else None
                    item = DueItem(deadline.kind, project.council, project.id, deadline.date, due,
                                   due - timedelta(days=lead), f"{text} – {project.name} ({funder.name})",
                                   period=period)
                items.setdefault(item.key, item)
        for meeting in project.meetings.dates:
            send = shift_to_working_day(meeting - timedelta(days=project.meetings.lead_days), "before")
            if send > project.period.end:
                continue          # the project has ended (or was stopped early): no status reports then
            # A watch that was down catches up until the meeting's morning, not after it.
            last = min(max(send, meeting), send + timedelta(days=GRACE_DAYS))
            item = DueItem("status", project.council, project.id, meeting - timedelta(days=project.meetings.lead_days),
                           send, send, f"Statusrapport før styringsgruppemøtet {meeting:%d.%m.%Y} – {project.name}",
                           as_of=send, last=last)
            items.setdefault(item.key, item)
    return sorted(items.values(), key=lambda i: (i.due, i.kind, i.project or ""))


def upcoming(items: list[DueItem], start: date, days: int) -> list[DueItem]:
    end = start + timedelta(days=days)
    return [i for i in items if start <= i.due <= end]


def due_on(items: list[DueItem], today: date) -> list[DueItem]:
    return [i for i in items if i.is_due(today)]


def working_days_until(today: date, due: date) -> int:
    """Working days after ``today`` up to and including ``due`` (0 on the day itself)."""
    days, day = 0, today
    while day < due:
        day += timedelta(days=1)
        days += is_working_day(day)
    return days


def reminders_due(items: list[DueItem], today: date, leads: list[int]) -> list[tuple[DueItem, int]]:
    """(item, lead) for each deadline whose reminder ``lead`` working days before is due today.

    Only the nearest lead that has been reached counts: a watch that did not run for a week
    sends one reminder, not one per missed lead. The caller sends each (item, lead) once."""
    out = []
    for item in items:
        if item.due < today:
            continue
        left = working_days_until(today, item.due)
        reached = [lead for lead in sorted(leads) if left <= lead]
        if reached:
            out.append((item, reached[0]))
    return out


def to_ics(items: list[DueItem], name: str = "grantflow – frister", alarms: list[int] = (),
           now: datetime | None = None) -> bytes:
    """An iCalendar file (one all-day event per deadline) that Outlook can subscribe to or import;
    one alarm per entry in ``alarms`` (days before the deadline), DTSTAMP the time of writing."""
    from datetime import timezone

    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//grantflow//frister//NO")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = now or datetime.now(timezone.utc)
    for item in items:
        event = Event()
        event.add("uid", f"{item.key}@grantflow")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due)
        event.add("dtend", item.due + timedelta(days=1))
        event.add("summary", f"{KIND_TITLES[item.kind]}: {item.description}")
        note = f"Opprinnelig frist {item.original:%d.%m.%Y}" + (
            f" ({holiday_name(item.original) or 'helg'}), flyttet til {item.due:%d.%m.%Y}." if item.moved else ".")
        event.add("description", note)
        event.add("categories", [KIND_TITLES[item.kind]])
        for days in alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Om {days} dager: {KIND_TITLES[item.kind]}: {item.description}")
            alarm.add("trigger", timedelta(days=-days))
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
