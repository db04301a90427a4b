from datetime import date

from icalendar import Calendar

from grantflow.cli import main
from grantflow.deadlines import calendar, due_on, shift_to_working_day, to_ics
from grantflow.register import open_register

from ..conftest import CONFIG, replace_in


def test_holidays_and_weekends_move():
    assert shift_to_working_day(date(2016, 5, 17)) == date(2016, 5, 13)   # Grunnlovsdag; the 16th is 2. pinsedag
    assert shift_to_working_day(date(2016, 5, 17), "after") == date(2016, 5, 18)
    assert shift_to_working_day(date(2017, 4, 14), "after") == date(2017, 4, 18)   # Langfredag → after Easter Monday
    assert shift_to_working_day(date(2016, 12, 25)) == date(2016, 12, 23)
    assert shift_to_working_day(date(2016, 10, 7)) == date(2016, 10, 7)            # a Friday stays


def test_calendar_from_config(config_dir):
    items = {i.key: i for i in calendar(open_register(config_dir))}
    erp = items["status:kongsbergregionen-erp:2014-01-31"]          # meeting 6.2. - 5 days = Saturday 1.2.
    assert erp.original == date(2014, 2, 1) and erp.moved
    usage = items["usage:nord-gudbrandsdal:2020-01-15"]
    assert usage.period == "2019" and usage.project is None
    due = due_on(list(items.values()), date(2016, 10, 7))
    assert [i.key for i in due] == ["status:haugaland-velferdsteknologi:2016-10-07"]


def test_deadline_shift_direction_per_deadline(scratch_config):
    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml",
               "{kind: final, date: 2018-02-01, description: Sluttrapport}",
               "{kind: final, date: 2018-02-03, description: Sluttrapport, shift: after}")
    items = {i.key: i for i in calendar(open_register(scratch_config))}
    assert "final:haugaland-velferdsteknologi:2018-02-05" in items      # Saturday → Monday


def test_ics_parses_back(config_dir, tmp_path, capsys):
    path = tmp_path / "frister.ics"
    assert main(["--config", str(config_dir), "deadlines", "--from", "2016-01-01", "--days", "400",
                 "--ics", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Statusrapport" in out and "frister.ics" in out
    cal = Calendar.from_ical(path.read_bytes())
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    summaries = [str(e["SUMMARY"]) for e in events]
    # the round of 01.09.2016 applies for nothing (the plan applies for 2015 only): not in the calendar
    assert not any(s.startswith("Søknad om skjønnsmidler") for s in summaries)
    starts = sorted(e.decoded("DTSTART") for e in events)
    assert starts[0] == date(2016, 1, 15) and all(date(2016, 1, 1) <= d <= date(2017, 2, 4) for d in starts)
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_to_ics_marks_moved_deadlines(config_dir):
    items = [i for i in calendar(open_register(config_dir)) if i.moved][:1]
    cal = Calendar.from_ical(to_ics(items))
    (event,) = [c for c in cal.walk() if c.name == "VEVENT"]
    assert "flyttet til" in str(event["DESCRIPTION"])


def test_ics_has_alarms_and_a_real_dtstamp(config_dir):
    from datetime import datetime, timedelta, timezone

    items = calendar(open_register(config_dir))[:2]
    before = datetime.now(timezone.utc).replace(microsecond=0)
    cal = Calendar.from_ical(to_ics(items, alarms=[10, 3]))
    for event in [c for c in cal.walk() if c.name == "VEVENT"]:
        assert event.decoded("dtstamp") >= before
        triggers = sorted(a.decoded("trigger") for a in event.walk() if a.name == "VALARM")
        # 10 and 3 working days before the document is made (tests/unit/test_deadline_year.py)
        assert len(triggers) == 2 and triggers[0] < triggers[1] < timedelta(0)


def test_reminders_due_counts_working_days_and_sends_the_nearest_lead_once():
    from grantflow.deadlines import DueItem, reminders_due, working_days_until

    # 17.05.2016 Tuesday is Grunnlovsdag, 16.05 2. pinsedag: not working days
    item = DueItem("status", "c", "p", date(2016, 5, 20), date(2016, 5, 20), date(2016, 5, 20), "x")
    assert working_days_until(date(2016, 5, 13), date(2016, 5, 20)) == 3     # 18, 19, 20
    assert reminders_due([item], date(2016, 5, 12), [10, 3]) == [(item, 10)]
    assert reminders_due([item], date(2016, 5, 13), [10, 3]) == [(item, 3)]
    assert reminders_due([item], date(2016, 5, 21), [10, 3]) == []            # past the deadline
    assert reminders_due([item], date(2016, 4, 1), [10, 3]) == []             # too early


def test_deadlines_says_what_it_shows_and_fits_80_columns(config_dir, capsys):
    assert main(["--config", str(config_dir), "deadlines", "--from", "2016-01-01", "--days", "400"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Frister 01.01.2016–") and "--from" in lines[1]
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    # a long project id whole on its line (it was cut: "haugaland-velferdsteknol" / "ogi"), and the
    # funder named once (it was "(Fylkesmannen i Rogaland (skjønnsmidler)); sendes til Fylkesmannen i
    # Rogaland (skjønnsmidler)")
    assert "05.02.2016  Status       haugaland-velferdsteknologi" in [l.rstrip() for l in lines], lines
    text = " ".join(" ".join(lines).split())
    assert ("Rapportering om bruk av skjønnsmidler per 31.12.2015; sendes til Fylkesmannen i Rogaland "
            "(skjønnsmidler)") in text and text.count("Fylkesmannen i Rogaland") == text.count("sendes til Fylkesmannen")
    assert main(["--config", str(config_dir), "deadlines", "--from", "2030-01-01"]) == 0
    out = capsys.readouterr().out
    assert "Ingen frister i perioden" in out and "--from" in out


def test_each_funders_deadline_names_its_funder_and_one_document_serves_both(scratch_config):
    """Two funders' final-report dates make one final report (the earlier date) for both funders; a
    funder's interim-report deadline makes a status report dated the day it is made."""
    from grantflow.deadlines import funders_asking

    helsedir = "  - id: helsedir\n    name: Helsedirektoratet\n"
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml", helsedir, helsedir +
               "    deadlines:\n      - {kind: final, date: 2022-03-01}\n      - {kind: status, date: 2020-09-06}\n")
    register = open_register(scratch_config)
    items = {i.key: i for i in calendar(register)}
    finals = [i for i in items.values() if i.kind == "final" and i.project == "smart-velferdsregion-nord-gudbrandsdal"]
    assert [(i.due, i.funders) for i in finals] == [(date(2022, 2, 1), ("fm-innlandet", "helsedir"))]
    interim = items["status:smart-velferdsregion-nord-gudbrandsdal:2020-09-04"]     # Sunday 6.9. → Friday
    assert interim.funders == ("helsedir",) and interim.as_of == date(2020, 8, 28)
    assert funders_asking(register, "final", "nord-gudbrandsdal", "smart-velferdsregion-nord-gudbrandsdal",
                          "2021") == ("fm-innlandet", "helsedir")
    assert funders_asking(register, "application", "nord-gudbrandsdal", "smart-velferdsregion-nord-gudbrandsdal",
                          "2019") == ("fm-innlandet",)
    assert funders_asking(register, "usage", "nord-gudbrandsdal", None, "2019") == ("fm-innlandet",)
    assert funders_asking(register, "status", "nord-gudbrandsdal", "smart-velferdsregion-nord-gudbrandsdal",
                          "2020-09-04") == ()


def _listing(out: str) -> list[tuple[str, str, str, str]]:
    """`grantflow deadlines` as its rows (Frist, Hva, Prosjekt / råd, Beskrivelse): the third
    column holds the id on its first line and what is due, wrapped, below it."""
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Frist "))
    at = [lines[head].index(name) for name in ("Frist", "Hva", "Prosjekt")] + [None]
    rows = []
    for line in lines[head + 1:]:
        if not line.strip() or line.startswith("wrote "):
            break
        cells = [line[a:b].strip() for a, b in zip(at, at[1:])]
        if cells[0]:
            rows.append(cells + [""])
        else:
            rows[-1][3] = f"{rows[-1][3]} {cells[2]}".strip()
    return [tuple(r) for r in rows]


def test_deadlines_shows_each_funders_own_date_for_one_document(scratch_config, tmp_path, capsys):
    """Helsedirektoratet wants the final report by 1 March 2022 and the usage report for 2019 by
    1 February 2020 (a Saturday: 31 January), Statsforvalteren by 1 February 2022 and 15 January
    2020. Each is one document, listed under the earlier date; the line said only
    "(Fylkesmannen i Innlandet (skjønnsmidler))", and Helsedirektoratet's dates were nowhere."""
    from icalendar import Calendar

    helsedir = "  - id: helsedir\n    name: Helsedirektoratet\n"
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml", helsedir, helsedir +
               "    email: postmottak@helsedir.example.no\n    deadlines:\n"
               "      - {kind: final, date: 2022-03-01, description: Sluttrapport tilskudd}\n"
               "      - {kind: usage, date: 2020-02-01, description: Bruk av tilskudd 2019}\n")
    ics = tmp_path / "frister.ics"
    assert main(["--config", str(scratch_config), "deadlines", "--from", "2020-01-01", "--days", "800",
                 "--ics", str(ics)]) == 0
    rows = [r for r in _listing(capsys.readouterr().out) if r[1] != "Status"]
    governor = "Fylkesmannen i Innlandet (skjønnsmidler)"
    # named as on each deadline's day (the council has a county): Statsforvalteren from 2021
    renamed = "Statsforvalteren i Innlandet (skjønnsmidler)"
    assert rows == [
        ("15.01.2020", "Bruk", "nord-gudbrandsdal",       # each funder's date and words (not the first's alone)
         f"Rapportering om bruk av skjønnsmidler; krav: {governor}, frist 15.01.2020: Rapportering om bruk av "
         "skjønnsmidler per 31.12.2019; Helsedirektoratet, frist 31.01.2020: Bruk av tilskudd 2019; sendes til "
         f"{governor}, Helsedirektoratet"),
        ("15.01.2021", "Bruk", "nord-gudbrandsdal",       # only Statsforvalteren asks: its words as before
         f"Rapportering om bruk av skjønnsmidler per 31.12.2020; sendes til {renamed}"),   # named once
        ("01.02.2022", "Sluttrapp.", "smart-velferdsregion-nord-gudbrandsdal",      # one document for both
         f"Sluttrapport – Smart velferdsregion Nord-Gudbrandsdal; krav: {renamed}, frist 01.02.2022: "
         "Sluttrapport; Helsedirektoratet, frist 01.03.2022: Sluttrapport tilskudd; sendes til "
         f"{renamed}, Helsedirektoratet")]
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(ics.read_bytes()).walk("VEVENT")]
    assert any(f"{renamed}, frist 01.02.2022: Sluttrapport; Helsedirektoratet, frist 01.03.2022" in s
               for s in summaries)


def test_missed_is_what_the_watch_will_not_make_any_more_and_did_not_send(config_dir):
    """Haugaland's status report of 7.10.2016 (meeting Friday 14.10): the watch down from 7.10 to
    14.10 missed it; a watch that ran every day missed it only when it failed until the meeting;
    done (or told before) is never missed; before the meeting's morning has passed it is not yet."""
    from grantflow.deadlines import missed, send_command

    items = calendar(open_register(str(config_dir)))
    key = "status:haugaland-velferdsteknologi:2016-10-07"
    (gap,) = [i.key for i in missed(items, date(2016, 10, 17), date(2016, 10, 7), set(), set()) if i.kind == "status"]
    assert gap == key
    assert not [i for i in missed(items, date(2016, 10, 14), date(2016, 10, 7), set(), set()) if i.key == key]
    assert not [i for i in missed(items, date(2016, 10, 17), date(2016, 10, 15), set(), set()) if i.key == key]
    (failed,) = [i for i in missed(items, date(2016, 10, 17), date(2016, 10, 15), {key}, set()) if i.key == key]
    assert not [i for i in missed(items, date(2016, 10, 17), date(2016, 10, 7), {key}, {key}) if i.key == key]
    assert send_command(failed) == "grantflow send status haugaland-velferdsteknologi --as-of 2016-10-07"


def test_the_county_governor_is_named_as_on_each_deadlines_day(config_dir, tmp_path, capsys):
    """Nord-Gudbrandsdal's council has `county: Innlandet`, and its funder is configured as
    'Fylkesmannen i Innlandet (skjønnsmidler)'. The documents name the office as on their day
    (Fylkesmannen before 1 January 2021, Statsforvalteren from then on; b65d374), but `grantflow
    deadlines` listed the usage report due 15.01.2021 and the final report due 01.02.2022 as
    'sendes til Fylkesmannen i Innlandet (skjønnsmidler)', in the .ics too. Each deadline now names
    the office as on its own day; the one due 15.01.2020 keeps Fylkesmannen."""
    path = tmp_path / "frister.ics"
    assert main(["--config", str(config_dir), "deadlines", "--from", "2020-01-01", "--days", "800",
                 "--ics", str(path)]) == 0
    out = " ".join(capsys.readouterr().out.split())        # the table wraps at 80 columns
    assert "per 31.12.2019; sendes til Fylkesmannen i Innlandet (skjønnsmidler)" in out, out
    assert "per 31.12.2020; sendes til Statsforvalteren i Innlandet (skjønnsmidler)" in out, out
    assert "Sluttrapport – Smart velferdsregion Nord-Gudbrandsdal; sendes til Statsforvalteren i Innlandet " \
        "(skjønnsmidler)" in out, out
    events = {e.decoded("DTSTART"): " ".join(str(e["SUMMARY"]).split())
              for e in Calendar.from_ical(path.read_bytes()).walk() if e.name == "VEVENT"}
    assert events[date(2020, 1, 15)].endswith("per 31.12.2019; sendes til Fylkesmannen i Innlandet (skjønnsmidler)")
    assert events[date(2021, 1, 15)].endswith("per 31.12.2020; sendes til Statsforvalteren i Innlandet (skjønnsmidler)")
    assert events[date(2022, 2, 1)].endswith("; sendes til Statsforvalteren i Innlandet (skjønnsmidler)")
    # a council without `county` keeps the name as configured (Buskerud's office has no later name)
    assert "Statsforvalteren i Buskerud" not in out


def test_other_deadlines_moved_to_one_day_stay_apart_and_send_nothing(scratch_config, tmp_path, capsys):
    """Three reminders written for Easter 2016 (Skjærtorsdag 24.03, Påskeaften 26.03, Andre påskedag
    28.03) all move to Wednesday 23.03. They were one entry under the first one's words, described
    as "Det samme dokumentet svarer på fristene til flere finansiører", with only 28.03 as the
    original date, "sendes til Fylkesmannen i Rogaland (skjønnsmidler)" where nothing is sent, and
    an alarm "Frist frist om 10 virkedager" (found by a tester)."""
    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml", "    deadlines:\n",
               "    deadlines:\n"
               "      - {kind: other, date: 2016-03-28, description: Revisorattest}\n"
               "      - {kind: other, date: 2016-03-24, description: Gevinstplan}\n"
               "      - {kind: other, date: 2016-03-26, description: Risikoanalyse}\n")
    ics = tmp_path / "frister.ics"
    assert main(["--config", str(scratch_config), "deadlines", "--from", "2016-03-01", "--days", "40",
                 "--ics", str(ics)]) == 0
    rows = [r for r in _listing(capsys.readouterr().out) if r[1] == "Frist"]
    assert sorted(r[3] for r in rows) == sorted(
        f"{w} – Velferdsteknologi Haugaland (Fylkesmannen i Rogaland (skjønnsmidler)) (fra {d})"
        for w, d in (("Revisorattest", "28.03.2016, Andre påskedag"), ("Gevinstplan", "24.03.2016, Skjærtorsdag"),
                     ("Risikoanalyse", "26.03.2016, helg")))
    assert {r[0] for r in rows} == {"23.03.2016"}
    events = [e for e in Calendar.from_ical(ics.read_bytes()).walk("VEVENT") if "Frist" in str(e["CATEGORIES"].cats)]
    described = {str(e["SUMMARY"]).split(": ", 1)[1].split(" – ")[0]: str(e["DESCRIPTION"]) for e in events}
    assert described == {
        "Revisorattest": "Opprinnelig frist 28.03.2016 (Andre påskedag), flyttet til 23.03.2016.",
        "Gevinstplan": "Opprinnelig frist 24.03.2016 (Skjærtorsdag), flyttet til 23.03.2016.",
        "Risikoanalyse": "Opprinnelig frist 26.03.2016 (helg), flyttet til 23.03.2016."}
    alarms = [str(a["DESCRIPTION"]) for e in events for a in e.walk("VALARM")]
    assert alarms and all(a.startswith("Frist om ") for a in alarms), alarms
    assert len({str(e["UID"]) for e in events}) == 3
