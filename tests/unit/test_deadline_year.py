"""A whole year of mornings (December 2026 to January 2028), as the secretariat and the recipients
live it: every weekday the watch looks at the calendar (schedule Monday to Friday 07:00); what it
makes and whom it reminds is compared with a calendar derived here by hand from DOMAIN.md and the
README (deadlines on a weekend or holiday move to the working day before, status reports
``lead_days`` before each meeting, documents for the county governor made 14 days before their
deadline, the cost split 7 days before the invoicing day (the council's, every year, or the award
letter's), reminders 10 and 3 working days before
the document is made; nothing for an ended project) -- with its own list of Norwegian public holidays,
not the code's.

The demo's Haugaland project moved to 2026-2027 (ends 20.09.2027), with deadlines and meetings
next to New Year, Easter 2027, Ascension and 17 May (which is also Whit Monday in 2027).
"""

from datetime import date, timedelta

import pytest

from grantflow.deadlines import calendar, due_on, reminder_message, reminders_due, to_ics
from grantflow.register import open_register
from grantflow.settings import load_settings

from ..conftest import replace_in
from ..year_config import DEADLINES, END, LEAD_DAYS, MEETINGS, NAME, PROJECT, before, make_year_config, working


def after(day: date) -> date:
    while not working(day):
        day += timedelta(days=1)
    return day


def back(day: date, n: int) -> date:
    """The working day with exactly ``n`` working days after it up to and including ``day``."""
    while n:
        day -= timedelta(days=1)
        n -= working(day)
    return before(day)


def expected():
    """key -> (made day or None, the day the responsible person must have the data ready)."""
    out = {}
    for meeting in MEETINGS:
        send = before(meeting - timedelta(days=LEAD_DAYS))
        if send <= END:                                   # no status report once the project has ended
            out[f"status:{PROJECT}:{send}"] = (send, send)
    for kind, written in DEADLINES:
        due = before(written)
        if kind == "application" and due > END or kind == "costsplit" and written.year > END.year:
            continue                                      # no application or invoice for an ended project
        if kind == "other":
            out[f"other:{PROJECT}:{due}"] = (None, due)   # reminded, nothing made
            continue
        if kind == "costsplit":
            continue                                      # below, with the council's invoicing day
        made = after(due - timedelta(days=14))
        out[f"{kind}:{'haugaland-vekst' if kind == 'usage' else PROJECT}:{due}"] = (made, made)
    # the cost split for 2027: the council invoices on 15.02 every year, the award letter says 1.3;
    # one cost split, 7 days before the earlier (2026's fell before this walk, 2028 is after the end)
    due = min(before(date(2027, 2, 15)), *(before(d) for k, d in DEADLINES if k == "costsplit" and d.year == 2027))
    made = after(due - timedelta(days=7))
    out[f"costsplit:{PROJECT}:{due}"] = (made, made)
    return out


@pytest.fixture(scope="module")
def year_config(tmp_path_factory):
    return make_year_config(tmp_path_factory.mktemp("year"))


@pytest.fixture(scope="module")
def walked(year_config):
    """Every weekday morning from 1.12.2026 to 31.1.2028: what the watch makes (once: the ledger
    remembers) and which (deadline, lead) reminders it sends (once each)."""
    settings = load_settings(str(year_config))
    items = [i for i in calendar(open_register(str(year_config)), settings.deadline_shift) if i.due >= date(2026, 12, 20)]
    made, reminded, mails = {}, {}, {}
    day = date(2026, 12, 1)
    while day <= date(2028, 1, 31):
        if day.weekday() < 5:                             # cron "0 7 * * 1-5"
            for item in due_on(items, day):
                made.setdefault(item.key, day)
            for item, lead in reminders_due(items, day, settings.deadline_reminders):
                if (item.key, lead) not in reminded:
                    reminded[(item.key, lead)] = day
                    mails[(item.key, lead)] = reminder_message(item, day, NAME if item.project else "Haugaland Vekst")
        day += timedelta(days=1)
    return items, made, reminded, mails


def test_every_document_is_made_once_on_its_working_day_and_nothing_else(walked):
    items, made, _, _ = walked
    want = {key: day for key, (day, _) in expected().items() if day}
    assert made == want
    assert all(working(day) for day in made.values())
    due = {i.key: i.due for i in items}
    assert all(made[key] <= due[key] and working(due[key]) for key in made)


def test_reminders_at_their_leads_before_the_data_is_needed(walked):
    _, made, reminded, _ = walked
    want = {}
    for key, (_, ready) in expected().items():
        for lead in (10, 3):
            want[(key, lead)] = back(ready, lead)
    assert reminded == want
    assert all(working(day) for day in reminded.values())
    # nobody is reminded to update data for a document that has already gone
    assert all(day < made[key] for (key, _), day in reminded.items() if key in made)


def text(mail):
    subject, lines = mail
    return subject, " ".join(lines)


def test_what_the_recipient_reads_near_new_year(walked):
    *_, mails = walked
    # meeting Friday 8.1.2027; 1.1. is a holiday and 31.12 nyttårsaften (the offices are closed): the report
    # goes Wednesday 30.12.2026 (it went on 31.12, and "om 3 virkedager" on 24.12 counted 29, 30 and 31.12)
    subject, body = text(mails[(f"status:{PROJECT}:2026-12-30", 3)])
    assert subject == f"Frist om 3 virkedager: Statusrapport – {NAME}"
    assert body.startswith(f"Statusrapport før styringsgruppemøtet 08.01.2027 – {NAME}. ")   # not twice
    assert "Fristen er 30. desember 2026 (om 3 virkedager)" in body
    # the usage report per 31.12.2026 (deadline 15.1.2027) is made on the first working day of 2027
    subject, body = text(mails[("usage:haugaland-vekst:2027-01-15", 3)])
    assert subject == "Frist for data om 3 virkedager: Rapportering om bruk av skjønnsmidler – Haugaland Vekst"
    # two funders ask for it, each in its own words and by its own date: both are named
    assert body.startswith("Rapportering om bruk av skjønnsmidler – Haugaland Vekst. Det samme dokumentet svarer "
                           "på fristene til 2 finansiører")
    # the council has a county: the office as named on its deadline's day (configured as Fylkesmannen)
    assert ("- Statsforvalteren i Rogaland (skjønnsmidler), frist 15. januar 2027: Rapportering om bruk av "
            "skjønnsmidler per 31.12.2026\n- Haugaland Vekst Regionråds fond, frist 1. februar 2027:") in body
    assert "grantflow lager og sender dokumentet 4. januar 2027 (om 3 virkedager)" in body
    assert "den første fristen 15. januar 2027" in body


def test_what_the_recipient_reads_near_easter_and_17_may(walked):
    *_, mails = walked
    # application due Easter Sunday 28.3.2027: moved to Wednesday 24.3 (25.-26.3 are holidays), made 10.3
    subject, body = text(mails[(f"application:{PROJECT}:2027-03-24", 3)])
    assert subject == f"Frist for data om 3 virkedager: Søknad om skjønnsmidler – {NAME}"
    assert "Fristen 28. mars 2027 er første påskedag; den er flyttet til 24. mars 2027." in body
    assert "dokumentet 10. mars 2027 (om 3 virkedager), i god tid før fristen 24. mars 2027" in body
    # meeting 24.5.2027: a week before is 17 May (also 2. pinsedag): the report goes Friday 14.5
    subject, body = text(mails[(f"status:{PROJECT}:2027-05-14", 10)])
    assert subject == f"Frist om 10 virkedager: Statusrapport – {NAME}"
    assert "Fristen er 14. mai 2027 (om 10 virkedager)" in body and "24.05.2027" in body
    # a deadline with no document: reminded by its own name, nothing promised
    subject, body = text(mails[(f"other:{PROJECT}:2027-05-14", 3)])
    assert subject == f"Frist om 3 virkedager: other 17.05.2027 – {NAME}"
    assert "17. mai 2027 er andre pinsedag og grunnlovsdag; den er flyttet til 14. mai 2027" in body
    assert "grantflow lager ikke noe dokument" in body and "lager og sender" not in body


def test_one_working_day_left_is_singular(walked):
    items, *_ = walked
    (item,) = [i for i in items if i.key == f"status:{PROJECT}:2027-03-24"]
    subject, lines = reminder_message(item, date(2027, 3, 23), NAME)
    assert subject == f"Frist om 1 virkedag: Statusrapport – {NAME}"
    # Tuesday 23.3 to Wednesday 24.3 across no holiday; Friday 19.3 counts Monday-Wednesday
    assert reminder_message(item, date(2027, 3, 19), NAME)[0].startswith("Frist om 3 virkedager")


def test_the_outlook_calendar_alarms_on_the_mornings_the_reminders_go(walked):
    """The .ics alarms were 10 and 3 calendar days before the deadline, days on which no reminder
    came (and after the document had gone): now on the reminder mornings."""
    from icalendar import Calendar

    items, _, reminded, _ = walked
    cal = Calendar.from_ical(to_ics(items, alarms=[10, 3]))
    for event in [c for c in cal.walk() if c.name == "VEVENT"]:
        key = str(event["UID"]).removesuffix("@grantflow")
        due = event.decoded("DTSTART")
        alarms = sorted(due + a.decoded("trigger") for a in event.walk() if a.name == "VALARM")
        assert alarms == sorted([reminded[(key, 10)], reminded[(key, 3)]]), key
    application = [e for e in cal.walk() if e.name == "VEVENT" and "application:" in str(e["UID"])][0]
    assert "flyttet til 24.03.2027. Dokumentet lages og sendes 10.03.2027." in str(application["DESCRIPTION"])


def test_an_invoicing_day_that_is_not_every_year_is_one_line(scratch_config, capsys):
    from grantflow.cli import main

    replace_in(scratch_config / "councils/haugaland-vekst.yaml", 'each_year: "01.03"', 'each_year: "29.02"')
    assert main(["--config", str(scratch_config), "validate"]) == 1
    out = capsys.readouterr().out
    # it said "'29.02' is not a day of the year written dd.mm": it is one, only not every year's
    assert ("haugaland-vekst.yaml:10 invoicing.each_year: '29.02' is refused because it is not in every year "
            "(29 February only in leap years): write 28.02 or 01.03") in out, out


@pytest.mark.parametrize("written,day", [("01.03", "01.03"), ("1.3", "01.03"), ("15.10", "15.10"), ("1.10", "01.10")])
def test_an_invoicing_day_written_without_quotes_is_read_as_written(scratch_config, capsys, written, day):
    """Unquoted, YAML reads 01.03 as the number 1.03: validate said 'Input should be a valid string'
    (exit 1) for the dd.mm the field asks for."""
    from grantflow.cli import main
    from grantflow.register import open_register

    replace_in(scratch_config / "councils/haugaland-vekst.yaml", 'each_year: "01.03"', f"each_year: {written}")
    main(["--config", str(scratch_config), "validate"])
    assert "each_year" not in capsys.readouterr().out
    assert open_register(scratch_config).councils["haugaland-vekst"].invoicing.each_year == day
