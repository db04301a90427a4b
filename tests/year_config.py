"""The demo config with the Haugaland project moved to 2026-2027 (ends 20.09.2027), its deadlines
and meetings next to New Year, Easter 2027, Ascension and 17 May (also Whit Monday in 2027): the
year the deadline tests walk through (tests/unit/test_deadline_year.py, tests/flows/test_deadline_watch.py).
"""

import shutil
from datetime import date, timedelta

from .conftest import CONFIG, replace_in

PROJECT = "haugaland-velferdsteknologi"
NAME = "Velferdsteknologi Haugaland"

# Helligdagsloven: 1.1., skjærtorsdag, langfredag, 1. og 2. påskedag, 1.5., Kristi himmelfartsdag,
# 17.5., 1. og 2. pinsedag, 25. og 26.12. Easter Sunday: 5 April 2026, 28 March 2027.
HOLIDAYS = {
    date(2026, 1, 1), date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 5), date(2026, 4, 6), date(2026, 5, 1),
    date(2026, 5, 14), date(2026, 5, 17), date(2026, 5, 24), date(2026, 5, 25), date(2026, 12, 25),
    date(2026, 12, 26),
    date(2027, 1, 1), date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 28), date(2027, 3, 29), date(2027, 5, 1),
    date(2027, 5, 6), date(2027, 5, 16), date(2027, 5, 17), date(2027, 12, 25), date(2027, 12, 26),
    date(2028, 1, 1),
    # not public holidays, but the offices are closed (grantflow's default closed_days: julaften, nyttårsaften)
    date(2026, 12, 24), date(2026, 12, 31), date(2027, 12, 24), date(2027, 12, 31),
}
END = date(2027, 9, 20)
MEETINGS = [date(2027, 1, 8), date(2027, 4, 5), date(2027, 5, 24), date(2027, 6, 3), date(2027, 9, 24),
            date(2027, 10, 1)]
LEAD_DAYS = 7


def working(day: date) -> bool:
    """A working day by the holiday list above (worked out here, not by grantflow.deadlines)."""
    return day.weekday() < 5 and day not in HOLIDAYS


def before(day: date) -> date:
    """The working day on or before ``day``."""
    while not working(day):
        day -= timedelta(days=1)
    return day
# (kind, date as written) from the county governor's award letter
DEADLINES = [("usage", date(2027, 1, 15)), ("costsplit", date(2027, 3, 1)), ("application", date(2027, 3, 28)),
             ("other", date(2027, 5, 17)), ("application", date(2027, 9, 1)), ("final", date(2027, 12, 25)),
             ("application", date(2028, 1, 17)), ("costsplit", date(2028, 3, 1))]


def make_year_config(folder):
    """A copy of config/ with the Haugaland project moved to 2026-2027 (see above)."""
    config = folder / "config"
    shutil.copytree(CONFIG, config)
    path = config / "projects" / f"{PROJECT}.yaml"
    replace_in(path, "period: {start: 2015-09-21, end: 2017-09-20}", "period: {start: 2026-01-04, end: 2027-09-20}")
    text = path.read_text(encoding="utf-8")
    old = text[text.index("    deadlines:\n"):text.index("meetings:")]
    text = text.replace(old, "    deadlines:\n" + "".join(
        f"      - {{kind: {kind}, date: {day}, description: \"{kind} {day:%d.%m.%Y}\"}}\n"
        for kind, day in DEADLINES if kind != "usage") +
        "      - {kind: usage, date: 2027-01-15, description: \"Rapportering om bruk av skjønnsmidler per 31.12.2026\"}\n")
    # the council's fund names the usage report and the final report too, later: still one of each
    text = text.replace("    grants:\n      - {year: 2015, amount: 200000",
                        "    deadlines:\n      - {kind: usage, date: 2027-02-01}\n      - {kind: final, date: 2028-02-01}\n"
                        "    grants:\n      - {year: 2015, amount: 200000")
    budget = text[text.index("\nbudget:"):text.index("\nfunders:")]      # the budget years follow the project
    text = text.replace(budget, budget.replace("2015:", "2026:").replace("2016:", "2027:"))
    # the 2027 rounds apply for money in 2027 (a round for a year with nothing applied for is not in
    # the calendar); the municipalities pay that much less, so the plan still balances
    replace_in_text = [("applied_for: true, amounts: {2026: 400000}", "applied_for: true, amounts: {2026: 400000, 2027: 400000}"),
                       ("kind: kommunene, amounts: {2026: 412000, 2027: 1123000}",
                        "kind: kommunene, amounts: {2026: 412000, 2027: 723000}")]
    for before_text, after_text in replace_in_text:
        assert before_text in text, before_text
        text = text.replace(before_text, after_text)
    old = text[text.index("meetings:"):text.index("transfer_value:")]
    text = text.replace(old, f"meetings:\n  dates: [{', '.join(map(str, MEETINGS))}]\n  lead_days: {LEAD_DAYS}\n")
    # the data files stay in 2015-2017: the hours file's rows would be outside the moved period (an
    # error since own effort is checked); the ledger's are counted and declared, the milestones are 2016
    text = text.replace("  hours: data/haugaland-velferdsteknologi/timer.csv\n", "")
    path.write_text(text, encoding="utf-8")
    # the status notes move into the period too (a note before the project starts is an error that
    # stops its documents); both stay older than every report the year makes, as they were
    notes = config / "data" / PROJECT / "notater.yaml"
    replace_in(notes, "as_of: 2016-06-01", "as_of: 2026-01-04")
    replace_in(notes, "as_of: 2016-10-01", "as_of: 2026-01-05")
    replace_in(config / "councils" / "haugaland-vekst.yaml", "  when: i mars for hele året\n  each_year: \"01.03\"",
               "  when: i februar for hele året\n  each_year: \"15.02\"")   # invoices 15 February
    return config
