"""The deadline calendar: what is due when, per funder, project and steering group.

Sources (all from config): each funder's deadlines (application rounds, final report, the usage
report per 31.12) and the steering-group meetings, whose status report is due ``lead_days``
before the meeting. A deadline on a weekend, a Norwegian public holiday or a day the offices are
closed (the ``closed_days`` setting: 24.12 and 31.12 unless configured) moves to a working
day, before or after as configured (per deadline, else the ``deadline_shift`` setting). The
usage report is one per council and year, the final report one per project, however many
deadlines name them (the earliest counts). A watch that
was not running catches up for ``GRACE_DAYS``, a status report only until the morning of its
meeting; a meeting after the project's end has no status report, an application round after it
no application, an invoicing date (``costsplit``) after its last year no cost split. The watch works on working days only: on a weekend or public holiday nothing is
made, sent or reminded (what falls due then is done the next working day). An ``other`` deadline
makes no document: its responsible person is reminded, nothing more.

Reminders go ``deadline_reminders`` working days before the day the document is *made* (its
``start``, for a status report the send date), because that is when the data must be ready; a
document made 14 days before the funder's deadline is not reminded about after it was sent.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from .costsplit import dated_from, municipal_part
from .errors import UserError
from .register import Register

KIND_TITLES = {"application": "Søknad om skjønnsmidler", "status": "Statusrapport", "final": "Sluttrapport",
               "usage": "Rapportering om bruk av skjønnsmidler", "costsplit": "Kostnadsfordeling", "other": "Frist"}
# The kinds the watch makes a document for; an ``other`` deadline is only reminded of.
MADE_KINDS = ("application", "status", "final", "usage", "costsplit")
# How long before a deadline its document is made and sent.
LEAD_DAYS = {"application": 14, "final": 14, "usage": 14, "costsplit": 7, "other": 7}
# How long after a deadline a missed item is still run (and reminded about).
GRACE_DAYS = 14


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict:
    try:
        return dict(holidays.country_holidays("NO", years=year, language="no"))
    except (NotImplementedError, KeyError, ValueError):
        return dict(holidays.country_holidays("NO", years=year))


# Days the secretariat's office is closed every year besides weekends and public holidays (the
# ``closed_days`` setting; ``set_closed_days``): Norwegian municipalities close (or work half a day)
# on Christmas Eve and New Year's Eve. Counted as working days, a status report went to the steering
# group on 24.12 and "om 3 virkedager" counted 29, 30 and 31 December (found by an outside tester).
DEFAULT_CLOSED_DAYS = ("24.12", "31.12")
CLOSED_DAY_NAMES = {"24.12": "Julaften", "31.12": "Nyttårsaften"}
_closed_days: frozenset[str] = frozenset(DEFAULT_CLOSED_DAYS)


def set_closed_days(days=None) -> None:
    """The installation's closed days (``dd.mm``; None: the default, 24.12 and 31.12), for every
    working-day count from now on. Set where the settings are read."""
    global _closed_days
    _closed_days = frozenset(DEFAULT_CLOSED_DAYS if days is None else days)


def holiday_name(day: date) -> str | None:
    """The public holiday's name, or a closed day's (``Julaften``); None on any other day."""
    name = _holidays(day.year).get(day)
    if name is None and f"{day:%d.%m}" in _closed_days:
        return CLOSED_DAY_NAMES.get(f"{day:%d.%m}", "Fast fridag")
    return name


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
    period: str | None = None   # the document period (usage, application, costsplit: the year)
    as_of: date | None = None   # the report date (status)
    last: date | None = None    # the last day it is still made (catch-up); default due + GRACE_DAYS
    label: str = ""             # the deadline's own words (an ``other`` deadline's name in reminders)
    funders: tuple[str, ...] = ()   # the funders whose deadlines ask for it: the document goes to them too
    # each of those funders' own deadline (working day), earliest first: one document serves several
    # deadlines, made for the earliest (``due``); the others are still the secretariat's to see
    funder_dues: tuple[tuple[str, date], ...] = ()
    # each of those funders' own words for it: (funder name, the deadline's description, its working
    # day), in the order of ``funder_dues``; a reminder names every funder's requirement, not only the first's
    funder_words: tuple[tuple[str, str, date], ...] = ()
    meeting: date | None = None     # the steering-group meeting a status report goes before
    tag: str = ""                   # an ``other`` deadline sharing its working day with another: its own key

    @property
    def key(self) -> str:
        base = f"{self.kind}:{self.project or self.council}:{self.due.isoformat()}"
        return f"{base}:{self.tag}" if self.tag else base

    @property
    def moved(self) -> bool:
        return self.due != self.original

    @property
    def makes_document(self) -> bool:
        return self.kind in MADE_KINDS

    @property
    def make_day(self) -> date:
        """The working day the document is made and sent (the deadline itself for an ``other``)."""
        return shift_to_working_day(self.start, "after") if self.makes_document else self.due

    @property
    def dated(self) -> date | None:
        """The date the watch's document carries (its --as-of): a status report its report date, a
        final report none (the project's end, its default), any other the day the watch makes it --
        not the day a flow or a command happens to run (a catch-up, a command typed a week later)."""
        if not self.makes_document or self.kind == "final":
            return None
        return self.as_of or self.start if self.kind == "status" else self.make_day

    def is_due(self, today: date) -> bool:
        return self.start <= today <= (self.last or self.due + timedelta(days=GRACE_DAYS))


def calendar(register: Register, default_shift: str = "before", council_id: str | None = None,
             project_id: str | None = None) -> list[DueItem]:
    """Every deadline of every project (or of one council's, one project's), shifted to working
    days, sorted by due date."""
    items: dict[str, DueItem] = {}
    for project in [p for p in register.projects.values()
                    if council_id in (None, p.council) and project_id in (None, p.id)]:
        council = register.councils.get(project.council)
        for funder in project.funders:
            for deadline in funder.deadlines:
                due = shift_to_working_day(deadline.date, deadline.shift or default_shift)
                lead = LEAD_DAYS.get(deadline.kind, 7)
                # the county governor as on the deadline's day, as the documents name it (with the
                # council's county: Fylkesmannen before 2021, Statsforvalteren from then on)
                named = office_on(council, due)
                text = named(deadline.description or KIND_TITLES[deadline.kind])
                funder_name = named(funder.name)
                if deadline.kind == "usage":
                    year = deadline.date.year - 1 if deadline.date.month <= 6 else deadline.date.year
                    item = DueItem("usage", project.council, None, deadline.date, due, due - timedelta(days=lead),
                                   f"{text} ({funder_name})", period=str(year), funders=(funder.id,),
                                   funder_dues=((funder.id, due),), funder_words=((funder_name, text, due),))
                else:
                    if deadline.kind == "application" and due > project.period.end:
                        continue  # an application round after the project has ended: nothing to apply for
                    if deadline.kind == "costsplit" and deadline.date.year > project.period.end.year:
                        continue  # no year of the project left to invoice
                    period = str(deadline.date.year) if deadline.kind in ("application", "costsplit") else None
                    if deadline.kind == "application":
                        years = round_years(project, deadline)
                        if not years:
                            continue  # the plan applies for nothing then: no application to make or send
                        if len(years) > 1:
                            # for either of two years: no application is made for a guessed year; the
                            # secretariat is reminded, as of an ``other`` deadline (validate: an error)
                            _add(items, DueItem("other", project.council, project.id, deadline.date, due,
                                                due - timedelta(days=LEAD_DAYS["other"]),
                                                f"{text} – {project.name} ({funder_name}): {unclear_round(years)}",
                                                label=text))
                            continue
                        period = str(years[0])
                    start = due - timedelta(days=lead)
                    if deadline.kind == "costsplit":
                        start = _split_start(project, deadline.date.year, start)
                    if deadline.kind == "status" and shift_to_working_day(start, "after") > project.period.end:
                        continue  # the project has ended: its final report tells the funder, not a status report
                    # a funder's status report is dated the day it is made (not the run's default, which
                    # for a watch catching up or run for another day is not that day)
                    as_of = shift_to_working_day(start, "after") if deadline.kind == "status" else None
                    item = DueItem(deadline.kind, project.council, project.id, deadline.date, due, start,
                                   f"{text} – {project.name} ({funder_name})", period=period, as_of=as_of,
                                   label=text, funders=(funder.id,), funder_dues=((funder.id, due),),
                                   funder_words=((funder_name, text, due),))
                _add(items, item)
        invoicing = council.invoicing if council else None
        if invoicing and invoicing.each_year:
            # the council invoices its municipalities on the same day every year: each year they pay
            # for gets its cost split before it (none after the project's last year)
            try:
                by_year = municipal_part(project).by_year
            except UserError:
                # the plan's own effort is ambiguous (validation says where): the cost split is
                # still due every budget year, and refuses to render until the plan is clear
                by_year = {year: 1 for year in project.budget.years()}
            for year, amount in by_year.items():
                if amount <= 0 or year > project.period.end.year:
                    continue
                written = invoicing.invoice_day(year)
                due = shift_to_working_day(written, default_shift)
                item = DueItem("costsplit", project.council, project.id, written, due,
                               _split_start(project, year, due - timedelta(days=LEAD_DAYS["costsplit"])),
                               f"Kostnadsfordeling {year} før faktureringen {written:%d.%m.%Y} – {project.name}",
                               period=str(year), label="Kostnadsfordeling")
                items.setdefault(item.key, item)
        for meeting in project.meetings.dates:
            send = shift_to_working_day(meeting - timedelta(days=project.meetings.lead_days), "before")
            if send > project.period.end or meeting < project.period.start:
                # the project has ended (or was stopped early): no status reports then; a meeting
                # before the start is a date written wrong (validate says so): nothing to report on
                continue
            # A watch that was down catches up until the meeting's morning, not after it.
            last = min(max(send, meeting), send + timedelta(days=GRACE_DAYS))
            item = DueItem("status", project.council, project.id, meeting - timedelta(days=project.meetings.lead_days),
                           send, send, f"Statusrapport før styringsgruppemøtet {meeting:%d.%m.%Y} – {project.name}",
                           as_of=send, last=last, meeting=meeting)
            kept = items.get(item.key)
            if kept is not None and kept.funders:
                # a funder's status deadline on the send date: the meeting's report (dated the send
                # date, on time for the funder too) goes to the funder, not a week-old one to both
                items[item.key] = replace(item, funders=kept.funders, funder_dues=kept.funder_dues,
                                          funder_words=kept.funder_words)
            else:
                items.setdefault(item.key, item)
    # One document, however many deadlines name it: a council's usage report per year, a project's
    # final report (two funders' final-report dates would send it to the county governor twice), a
    # project's cost split per year, a project's status report per report date (a funder's status
    # deadline whose report is made the day a meeting's goes out: one report, one status cycle, not
    # two asking the leader twice). The earliest deadline counts, so it is on time for every one.
    # Every funder whose deadline named it gets it.
    once = ("usage", "final", "costsplit", "status")
    first: dict[tuple, DueItem] = {}
    for item in sorted(items.values(), key=lambda i: i.due):
        if item.kind in once:
            which = (item.kind, item.council, item.project, item.as_of if item.kind == "status" else item.period)
            kept = first.setdefault(which, item)
            if kept is not item:
                first[which] = _merged(kept, item)
    items = {k: i for k, i in items.items() if i.kind not in once}
    items.update({i.key: i for i in first.values()})
    return sorted(items.values(), key=lambda i: (i.due, i.kind, i.project or ""))


def _split_start(project, year: int, start: date) -> date:
    """The day the watch makes the cost split for ``year``: ``start``, but never before the day its
    key's figures exist (population on 1 January of the year). Invoiced on 5 January, a split by
    population on 1 January of each year was made on 27 December, refused there every morning, and
    never sent; it is made on the first working day of its year."""
    earliest = dated_from(project, year)
    return max(start, earliest) if earliest is not None else start


def office_on(council, day: date):
    """A function naming the county governor in a text as on ``day`` (``Council.office_name``: only
    with the council's ``county``; the text as configured without it, or without a council)."""
    return (lambda text: council.office_name(text, day)) if council is not None else (lambda text: text)


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a + tuple(f for f in b if f not in a)


def _merged(kept: DueItem, item: DueItem) -> DueItem:
    """``kept`` (the earlier) serving ``item``'s funders too, each with its own deadline."""
    known = {fid for fid, _ in kept.funder_dues}
    dues = kept.funder_dues + tuple((fid, day) for fid, day in item.funder_dues if fid not in known)
    words = kept.funder_words + tuple(w for w in item.funder_words if w not in kept.funder_words)
    return replace(kept, funders=_union(kept.funders, item.funders),
                   funder_dues=tuple(sorted(dues, key=lambda d: d[1])),
                   funder_words=tuple(sorted(words, key=lambda w: w[2])))


def _add(items: dict[str, DueItem], item: DueItem) -> None:
    """One item per key; two funders' deadlines on the same day for the same document: both get it.
    An ``other`` deadline is no document: each is its own reminder. Five written for an Easter week,
    all moved to the Wednesday before it, were one entry under the first one's words, with the
    others' dates lost (found by a tester). One that shares its working day with another of other
    words or date gets a key of its own (the first keeps the plain key, so the reminders already
    recorded under it are not sent again); the same words on the same date from two funders stay one."""
    kept = items.get(item.key)
    if item.kind == "other" and kept is not None and (kept.original, kept.label) != (item.original, item.label):
        words = hashlib.sha1(item.label.encode("utf-8")).hexdigest()[:8]
        item = replace(item, tag=f"{item.original.isoformat()}:{words}")
        kept = items.get(item.key)
        if kept is None:
            items[item.key] = item
            return
    kept = items.setdefault(item.key, item)
    if kept is not item:
        items[item.key] = _merged(kept, item)


# A year written in a deadline's words ("Søknad om prosjektskjønn 2025"); a date's year ("frist
# 01.10.2024", "2024-10-01") is not the round's.
_DATE_WORDS = re.compile(r"\d{1,2}\.\s?\d{1,2}\.\s?\d{4}|\d{4}-\d{1,2}-\d{1,2}")
_YEAR_WORD = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def round_years(project, deadline) -> tuple[int, ...]:
    """The years an application round (``deadline``) could be for: the year its words name, of its
    own year and the next (an autumn round applies for the coming year); else those of the two the
    financing plan applies for money in. () when the plan applies for nothing then (the demo's round
    of 01.09.2016 was listed and made as an application for 0 kr: found by an outside tester); two
    years when both could be it: ambiguous, said by validate and the calendar, never guessed. (A
    round was for its own year whenever the plan applied for money then: the round of 01.10.2024,
    "Søknad om prosjektskjønn 2025", was made as the 2024 application and the 2025 one named no
    round; found by the county governor's tester, session 23.)"""
    # as documents.application.applied_amount counts it (not imported: it brings pandas to `deadlines`)
    year = deadline.date.year
    applied = tuple(y for y in (year, year + 1) if any(line.amounts.get(y) for line in project.budget.financing
                                                      if line.applied_for))
    named = {int(y) for y in _YEAR_WORD.findall(_DATE_WORDS.sub(" ", deadline.description or ""))} & {year, year + 1}
    if len(named) == 1:
        return tuple(y for y in applied if y in named)
    return applied


def unclear_round(years: tuple[int, ...]) -> str:
    """What the calendar (`deadlines`, reminders) says of a round that could be for two years."""
    return f"uklart om runden gjelder {years[0]} eller {years[1]}; skriv året i fristens beskrivelse"


def funders_asking(register: Register, kind: str, council: str, project: str | None, period: str | None,
                   shift: str = "before") -> tuple[str, ...]:
    """The funders whose deadlines ask for this document: the final report, the application for
    a year, the usage report for a year, the cost split for a year, the status report dated the day
    a funder's status deadline has it made. A send by hand (or a status cycle) reaches them as the
    watch would."""
    if kind not in MADE_KINDS or not any(
            d.kind == kind for p in register.projects.values() if p.council == council and project in (None, p.id)
            for f in p.funders for d in f.deadlines):
        return ()    # no funder's deadline names this kind: no calendar (holidays) to work out
    asking: tuple[str, ...] = ()
    for item in calendar(register, shift, council_id=council, project_id=project):
        if (item.kind, item.council, item.project) != (kind, council, project):
            continue
        if kind == "final" or (kind == "status" and item.as_of and item.as_of.isoformat() == period) \
                or (kind != "status" and item.period == period):
            asking = _union(asking, item.funders)
    return asking


def upcoming(items: list[DueItem], start: date, days: int) -> list[DueItem]:
    end = start + timedelta(days=days)
    return [i for i in items if start <= i.due <= end]


def due_on(items: list[DueItem], today: date) -> list[DueItem]:
    """The documents to make on ``today``: none on a weekend or public holiday (the next working
    day catches up), none for an ``other`` deadline (reminded only)."""
    if not is_working_day(today):
        return []
    return [i for i in items if i.makes_document and i.is_due(today)]


def last_day(item: DueItem) -> date:
    """The last day the watch still makes ``item`` (a status report: its meeting's morning)."""
    return item.last or item.due + timedelta(days=GRACE_DAYS)


def missed(items: list[DueItem], today: date, since: date, failed: set[str], settled: set[str],
           untold: set[str] = frozenset()) -> list[DueItem]:
    """The documents that will never be made by the watch now and were not sent: those whose last
    day fell while the watch was not running (on or after ``since``, the day after its last run),
    those that ``failed`` until their last day (within ``GRACE_DAYS``), and those the secretariat
    was to be told of before but the mail did not reach it (``untold``: however long ago) — except
    what is ``settled`` (done, rejected, still running on a server, or told before). The caller
    tells the secretariat."""
    out = []
    for item in items:
        end = last_day(item)
        if not item.makes_document or end >= today or item.key in settled:
            continue
        if since <= end or item.key in untold or (item.key in failed and end >= today - timedelta(days=GRACE_DAYS)):
            out.append(item)
    return out


def is_document_of(item: DueItem, document: str) -> bool:
    """Whether the ledger's ``document`` key (``<council>/<project or ->/<kind>-<period>``, as
    ``delivery.service.document_from`` writes it) is the document made for ``item``: a final report
    is one per project; a status report's period is its report date; the others' is the year."""
    parts = document.split("/")
    if len(parts) != 3 or parts[0] != item.council or parts[1] != (item.project or "-"):
        return False
    kind, _, period = parts[2].partition("-")
    if kind != item.kind:
        return False
    if kind == "final":
        return True
    if kind == "status":
        return period == (item.as_of or item.start).isoformat()
    return item.period is not None and period == item.period


@dataclass(frozen=True)
class SentStatus:
    """A status report for a status item's meeting that already reached recipients: sent by hand
    (``grantflow run/send status``) before the watch came to it."""

    document: str              # the ledger's document key
    as_of: date                # its report date
    version: int
    first: date                # the day (Oslo) it first reached a recipient
    have: tuple[str, ...]      # the recipients of that version who have it
    missing: tuple[str, ...]   # those it did not reach (refused, server down): the watch completes it

    @property
    def complete(self) -> bool:
        return not self.missing


def status_window(item: DueItem, items: list[DueItem]) -> tuple[date | None, date]:
    """The report dates that count as ``item``'s status report: after the project's previous meeting
    (for a funder's status deadline without a meeting: its previous status report date), up to and
    including this meeting (or report date). None: no earlier one."""
    def anchor(i: DueItem) -> date:
        return i.meeting or i.as_of or i.start

    end = anchor(item)
    # a meeting's report: only the previous *meeting* bounds it (a funder's interim deadline between two
    # meetings is no meeting: the report sent by hand for this meeting before that date is still its own)
    earlier = [anchor(i) for i in items if i.kind == "status" and i.project == item.project and anchor(i) < end
               and (i.meeting is not None or item.meeting is None)]
    return (max(earlier) if earlier else None), end


def status_sent(item: DueItem, items: list[DueItem], rows, expected=None) -> SentStatus | None:
    """The status report for ``item``'s meeting that already reached recipients by a delivering
    transport (SMTP; a copy in the local outbox is no delivery), from the delivery ledger's ``rows``
    of the project: the latest report dated in ``status_window``, its highest version that reached
    anyone. None when there is none: the watch makes it (or starts its status cycle) as usual.
    ``expected(as_of)``: the e-mail addresses that report has to reach now (its current recipients, with
    the funders whose deadline ``item`` is); whoever of them has no delivered copy of that version is
    ``missing`` (a send by hand with ``--recipient`` to some of them is not the whole report). Without
    it only the ledger's rows of that version are compared."""
    from datetime import timezone

    from .delivery.message import OSLO

    from .delivery.ledger import delivers

    if item.kind != "status" or not item.project:
        return None
    after, until = status_window(item, items)
    prefix = f"{item.council}/{item.project}/status-"
    reached: dict[str, dict[int, list]] = {}
    for row in rows:
        if not row.document.startswith(prefix):
            continue
        reached.setdefault(row.document, {}).setdefault(row.version, []).append(row)
    best = None
    for document, versions in reached.items():
        try:
            as_of = date.fromisoformat(document[len(prefix):])
        except ValueError:
            continue
        if (after is not None and as_of <= after) or as_of > until:
            continue
        done = {v: [r for r in rs if r.status == "sent" and (delivers(r.transport) or r.delivered_at)]
                for v, rs in versions.items()}
        delivered = [v for v, rs in done.items() if rs]
        if not delivered:
            continue
        version = max(delivered)
        have = done[version]
        when = [r.delivered_at or r.updated_at for r in have]
        # the ledger's naive timestamps are UTC (``ledger.aware``): the day is Oslo's, as the mails say
        first = min((w if w.tzinfo else w.replace(tzinfo=timezone.utc)).astimezone(OSLO).date() for w in when)
        got = {r.recipient.casefold() for r in have}
        want = expected(as_of) if expected is not None else None
        should = {r.recipient for r in versions[version]} if want is None else set(want)
        missing = sorted({e for e in should if e.casefold() not in got}, key=str.casefold)
        mine = SentStatus(document, as_of, version, first, tuple(sorted({r.recipient for r in have})),
                          tuple(missing))
        if best is None or (as_of, version) > (best.as_of, best.version):
            best = mine
    return best


def window_passed(item: DueItem, name: str) -> tuple[str, list[str]]:
    """``item``'s run still waited for approval when the watch's last day for it (``last_day``: a
    status report's meeting, any other document's deadline and catch-up) had passed: (why, for the
    run's state and the ledger; the first lines of the secretariat's mail). ``name``: the project's
    or, for a council-wide document, the council's."""
    from . import fmt

    title, end = KIND_TITLES[item.kind], last_day(item)
    if item.meeting is not None:
        return (f"Styringsgruppemøtet {item.meeting:%d.%m.%Y} er passert før statusrapporten ble godkjent; "
                "fristvakten sender den ikke etter møtet",
                [f"{title} for {name} skulle sendes til styringsgruppen {fmt.long_date(item.make_day)}, før møtet "
                 f"{fmt.long_date(item.meeting)}, men ventet fortsatt på godkjenning da møtet var passert, og er "
                 "ikke sendt.", "Fristvakten sender ikke en statusrapport etter møtet av seg selv."])
    return (f"Fristen {item.due:%d.%m.%Y} og fristvaktens siste dag for dokumentet ({end:%d.%m.%Y}) er passert "
            "før det ble godkjent; fristvakten sender det ikke etter det",
            [f"{title} for {name} hadde frist {fmt.long_date(item.due)} og skulle sendes "
             f"{fmt.long_date(item.make_day)}, men ventet fortsatt på godkjenning da fristvaktens siste dag for "
             f"den ({fmt.long_date(end)}) var passert, og er ikke sendt.",
             f"Fristvakten sender den ikke etter {fmt.long_date(end)} av seg selv."])


def send_command(item: DueItem) -> str:
    """The command that makes and sends ``item``'s document by hand, dated as the watch dates it
    (``DueItem.dated``): the kind's own ``documents.send_command``, the one the approval's messages
    use too."""
    from .documents import send_command as document_command

    return document_command(item.kind, item.project or item.council, item.period, item.dated)


def working_days_until(today: date, due: date) -> int:
    """Working days after ``today`` up to and including ``due`` (0 on the day itself)."""
    days, day = 0, today
    while day < due:
        day += timedelta(days=1)
        days += is_working_day(day)
    return days


def late_by(item: DueItem, today: date) -> int:
    """Working days ``item``'s document is late when made and sent on ``today``, 0 when it is not:
    a status report for a meeting after its send date (its readers have fewer days before the
    meeting), any other after its deadline (caught up before the deadline, it is in time for the
    funder)."""
    return working_days_until(item.make_day if item.meeting is not None else item.due, today)


def working_days_before(day: date, days: int) -> date:
    """The working day with exactly ``days`` working days after it up to and including ``day``."""
    while days > 0:
        day -= timedelta(days=1)
        days -= is_working_day(day)
    return shift_to_working_day(day, "before")


def in_working_days(days: int) -> str:
    """``i dag``, ``om 1 virkedag``, ``om 3 virkedager``."""
    return "i dag" if days <= 0 else f"om {days} virkedag" + ("" if days == 1 else "er")


def reminders_due(items: list[DueItem], today: date, leads: list[int]) -> list[tuple[DueItem, int]]:
    """(item, lead) for each item whose reminder ``lead`` working days before its make day (the
    deadline itself for an ``other``) is due today; none on a weekend or public holiday.

    Only the nearest lead that has been reached counts: a watch that did not run for a week
    sends one reminder, not one per missed lead. The caller sends each (item, lead) once."""
    if not is_working_day(today):
        return []
    out = []
    for item in items:
        # the morning a document is made its reminder would come after it: too late to be of use
        if item.make_day < today or (item.makes_document and item.make_day == today):
            continue
        left = working_days_until(today, item.make_day)
        reached = [lead for lead in sorted(leads) if left <= lead]
        if reached:
            out.append((item, reached[0]))
    return out


def _closed_day(day: date) -> str:
    """``første påskedag``, ``andre pinsedag og grunnlovsdag``, ``julaften``, ``en lørdag``: mid-sentence."""
    name = holiday_name(day)
    if not name:
        return "en lørdag" if day.weekday() == 5 else "en søndag"
    return " og ".join(part if part.startswith("Kristi") else part[:1].lower() + part[1:]
                       for part in name.split("; "))


def moved_words(item: DueItem) -> str:
    """"Fristen 1. februar 2015 er en søndag; den er flyttet til 30. januar 2015.", or "" when not moved."""
    from . import fmt

    return (f"Fristen {fmt.long_date(item.original)} er {_closed_day(item.original)}; den er flyttet til "
            f"{fmt.long_date(item.due)}.") if item.moved else ""


def reminder_message(item: DueItem, today: date, name: str) -> tuple[str, list[str]]:
    """Subject and lines of the reminder sent on ``today`` about ``item`` (``name``: the project's
    or, for a council-wide item, the council's). Counts the working days actually left."""
    from . import fmt

    title = KIND_TITLES[item.kind] if item.makes_document else (item.label or KIND_TITLES[item.kind])
    left = in_working_days(working_days_until(today, item.make_day))
    kind_title = KIND_TITLES[item.kind]
    # "Statusrapport: Statusrapport før styringsgruppemøtet ..." said the kind twice
    lines = [f"{item.description}." if item.description.lower().startswith(kind_title.lower())
             else f"{kind_title}: {item.description}."]
    if len(item.funder_words) > 1:
        # one document for several funders' deadlines: the first line was the earliest funder's words
        # alone, and what the others ask for was nowhere in the mail
        lines = [f"{kind_title} – {name}. Det samme dokumentet svarer på fristene til "
                 f"{len({w[0] for w in item.funder_words})} finansiører, hver med sitt krav:",
                 "\n".join(f"- {funder}, frist {fmt.long_date(day)}: {text}"
                           for funder, text, day in item.funder_words)]
    if item.moved and item.kind != "status":
        lines.append(f"Fristen {fmt.long_date(item.original)} er {_closed_day(item.original)}; den er flyttet "
                     f"til {fmt.long_date(item.due)}.")
    if not item.makes_document:
        lines.append(f"Fristen er {fmt.long_date(item.due)} ({left}). grantflow lager ikke noe dokument for "
                     "denne fristen; den er med her som påminnelse.")
    elif item.make_day == item.due:
        lines.append(f"Fristen er {fmt.long_date(item.due)} ({left}). grantflow lager og sender dokumentet den "
                     "dagen; sørg for at dataene er oppdatert før det.")
    else:
        first = "den første fristen" if len({w[2] for w in item.funder_words}) > 1 else "fristen"
        lines.append(f"grantflow lager og sender dokumentet {fmt.long_date(item.make_day)} ({left}), i god tid "
                     f"før {first} {fmt.long_date(item.due)}; sørg for at dataene er oppdatert før det.")
    # the leader's deadline is the make day; when the document goes earlier than the funder's deadline
    # the subject says it is the data that is due
    what = "Frist for data" if item.makes_document and item.make_day != item.due else "Frist"
    return f"{what} {left}: {title} – {name}", lines


def to_ics(items: list[DueItem], name: str = "grantflow – frister", alarms: list[int] = (),
           now: datetime | None = None) -> bytes:
    """An iCalendar file (one all-day event per deadline) that Outlook can subscribe to or import;
    one alarm per entry in ``alarms`` (working days before the document is made: the morning the
    watch's reminder goes), DTSTAMP the time of writing."""
    from datetime import timezone

    from icalendar import Alarm, Calendar, Event

    from . import fmt

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
        if item.makes_document and item.make_day != item.due:
            note += f" Dokumentet lages og sendes {fmt.short_date(item.make_day)}."
        if len(item.funder_words) > 1:
            note += "\nDet samme dokumentet svarer på fristene til flere finansiører, hver med sitt krav:\n" + \
                "\n".join(f"- {funder}, frist {fmt.long_date(day)}: {text}" for funder, text, day in item.funder_words)
        event.add("description", note)
        event.add("categories", [KIND_TITLES[item.kind]])
        for days in alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            # "Frist frist om 10 virkedager" for an ``other`` deadline, whose kind title is "Frist"
            made = (f"{KIND_TITLES[item.kind]} lages {in_working_days(days)}" if item.makes_document
                    else f"Frist {in_working_days(days)}")
            alarm.add("description", f"{made}: {item.description}")
            alarm.add("trigger", working_days_before(item.make_day, days) - item.due)
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
