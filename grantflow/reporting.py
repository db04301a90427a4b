"""Computed figures every report needs, with the rules written down.

Milestone status at the report date (``as_of``):
- *ferdig* (done): the data says done (ferdig/fullført/levert).
- *forsinket* (late): not done and the planned date is before ``as_of`` (a month-only date
  means the end of that month).
- *i rute* (on track): in progress, or postponed/not started with the planned date still ahead
  and within 30 days.
- *ikke startet* (not started): not started and the planned date more than 30 days ahead.
- *utsatt* (postponed, as the data says): as the above by its planned date (late once it has
  passed), shown as "Utsatt".
- *avlyst* (cancelled, as the data says): never late, never "not delivered"; shown as "Avlyst" and
  a deviation from the plan to explain.
- A decision has a day (Vedtaksdato). Before it, a postponed or cancelled milestone is what it was
  then: by its planned date alone, as a milestone without progress data (late once the date has
  passed, *i rute* within 30 days, else *ikke startet*; *ikke levert* in the final report), and its
  comment, written with the decision, is not shown. From that day on it is *utsatt*/*avlyst*.
  Without a Vedtaksdato (older data) it is so in every report, whatever its date.
- *leveres med denne rapporten* (the final report only): the milestone marked ``final_report: true``
  in the project's YAML is the delivery of the final report itself. Unless the data says it is done
  (or cancelled), the final report shows it delivered with itself on the report date: never late or
  not delivered, no deviation, no delay. Marked by the field, never guessed from the event's text.

Red/amber/green (RAG):
- progress (fremdrift): red with two or more late milestones, or one more than 60 days overdue;
  amber with one late milestone at most 60 days overdue, or none late and one or more cancelled
  or delivered late within the report's period (done after its planned date, the day it was done
  in the period: the delay happened in the period, but no longer grows, so amber however long it
  was); green otherwise; not assessed without milestones.
- economy (økonomi): from the forecast for the whole period against the budget. Green within
  +5 %, amber up to +15 % or more than 25 % unspent, red above +15 %.
- risk (risiko): the highest RF = S × K. Green 1–9, amber 10–15, red 16–25.
- overall (samlet): the worst of the three.

Forecast (prognose) per year: past years = actual; the current year = actual so far scaled by the
elapsed share of the year's part of the project period (from 25 % of it; before that, the
budget); future years = budget.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from . import fmt
from .data import DECISIONS, ProjectData
from .errors import UserError
from .models import Milestone, Project

RAG_LABEL = {"green": "Grønn", "amber": "Gul", "red": "Rød", "none": "Ikke vurdert"}
RAG_COLOR = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "none": "EDEDED"}
RAG_ORDER = {"none": -1, "green": 0, "amber": 1, "red": 2}
# Economy: the forecast for the whole period over the budget (a ratio). The status report states
# the rule from these, so what it says and how the colour is chosen cannot part.
ECONOMY_RED_ABOVE = Fraction(115, 100)
ECONOMY_AMBER_ABOVE = Fraction(105, 100)
ECONOMY_AMBER_BELOW = Fraction(75, 100)
STATUS_LABEL = {"done": "Ferdig", "late": "Forsinket", "on_track": "I rute", "not_started": "Ikke startet",
                "not_done": "Ikke levert", "cancelled": "Avlyst", "with_report": "Leveres med denne rapporten"}
DEFAULT_TOP_RISK_RF = 10      # amber and red (see risk_rag)


def kr(value) -> int:
    """Whole kroner, half up (a Fraction exactly: 183/2 is 92)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_once(values, unit: int = 1) -> list[int]:
    """``values`` (kroner) in whole ``unit``s whose sum is the rounded sum of the values.

    Rounding every cell on its own lets a column of "i 1000 kr" figures add up to one more or
    less than its printed sum; this rounds once: each value down, then the units the total
    still needs go to the largest remainders (ties to the larger value, then the earlier row),
    as the cost split does.
    """
    quotas = [(v if isinstance(v, Fraction) else Fraction(Decimal(str(v)))) / unit for v in values]
    return round_to(quotas, kr(sum(quotas))) if quotas else []


def round_to(values, target: int) -> list[int]:
    """Whole parts of ``values`` that sum to ``target``, a figure already printed within a unit
    of their sum (a funder's "Brukt" split by category): each value down, then the units still
    needed to the largest remainders (ties to the larger value, then the earlier row)."""
    quotas = [v if isinstance(v, Fraction) else Fraction(Decimal(str(v))) for v in values]
    parts = [math.floor(q) for q in quotas]
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - parts[i]), -quotas[i], i))
    for i in order[:target - sum(parts)]:
        parts[i] += 1
    return parts


# ---------------------------------------------------------------- periods

@dataclass(frozen=True)
class ReportPeriod:
    """A reporting period: a label for file names and its first and last day."""

    label: str
    start: date
    end: date


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(Q)([1-4])|(T)([1-3])|(H)([12])|(\d{2})(?:-(\d{2}))?))?$", re.I | re.ASCII)


def parse_period(text: str) -> ReportPeriod:
    """'2016', '2016-Q3', '2016-T2' (tertial), '2016-H1', '2016-10' or '2016-10-14'."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise UserError(f"cannot read period {text!r} (use 2016, 2016-Q3, 2016-T2, 2016-H1, 2016-10 or 2016-10-14)",
                        field="--period")
    year = int(match.group(1))
    try:
        if match.group(2):
            q = int(match.group(3))
            start, end = date(year, 3 * q - 2, 1), _month_end(year, 3 * q)
        elif match.group(4):
            t = int(match.group(5))
            start, end = date(year, 4 * t - 3, 1), _month_end(year, 4 * t)
        elif match.group(6):
            h = int(match.group(7))
            start, end = date(year, 6 * h - 5, 1), _month_end(year, 6 * h)
        elif match.group(8) and match.group(9):
            start = end = date(year, int(match.group(8)), int(match.group(9)))
        elif match.group(8):
            month = int(match.group(8))
            start, end = date(year, month, 1), _month_end(year, month)
        else:
            start, end = date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        raise UserError(f"no such date in period {text!r}", field="--period") from None
    return ReportPeriod(text.strip().upper() if match.group(2) or match.group(4) or match.group(6) else text.strip(),
                        start, end)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# ---------------------------------------------------------------- milestones

@dataclass
class MilestoneStatus:
    milestone: Milestone
    status: str                  # done | late | on_track | not_started | not_done | cancelled | with_report
    actual: date | None
    comment: str
    days_late: int               # positive when late (or done late)
    postponed: bool = False      # the data says utsatt (and it is not done)
    decided: date | None = None  # the day it was postponed or cancelled (Vedtaksdato), when given

    @property
    def label(self) -> str:
        if self.postponed:
            # postponed by decision and not delivered by the end: both are said (an outside tester
            # found the final report's "Ikke levert" hid the steering group's decision)
            return "Ikke levert (utsatt)" if self.status == "not_done" else "Utsatt"
        return STATUS_LABEL[self.status]

    @property
    def delayed(self) -> bool:
        """Late now, done late, or not delivered by the end: the delay is worth a line."""
        return self.days_late > 0 and self.status in ("done", "late", "not_done")

    @property
    def label_with_delay(self) -> str:
        """'Ferdig, 31 dager forsinket' / 'Utsatt, 12 dager forsinket' / '12 dager forsinket' /
        'I rute': the delay in one word order in every state, the one the reports' sentences use
        ("er 12 dager forsinket"); one table read 'Ferdig, 10 dager forsinket', 'Utsatt, forsinket
        212 dager' and 'Forsinket 151 dager' (found by an outside tester)."""
        if not self.delayed:
            return self.label
        days = fmt.days(self.days_late)
        if self.status == "late":
            return f"Utsatt, {days} forsinket" if self.postponed else f"{days} forsinket"
        return f"{self.label}, {days} forsinket"


def milestone_statuses(project: Project, data: ProjectData | None, as_of: date,
                       closing: bool = False, final_report: bool = False,
                       known: date | None = None) -> list[MilestoneStatus]:
    """Each milestone's status at ``as_of`` from the progress data (see module rules).

    ``closing`` (the final report): a milestone not done by ``as_of`` is *ikke levert*
    (not delivered), never "on track", with its delay counted to the project's end (or ``as_of``
    if earlier) where it was due: a final report rendered later with --as-of (for the accounts)
    counted the delays on to that day (milestone 05: 324 → 436 days; found by an outside tester).
    ``final_report`` (the final report itself): its own milestone (``Milestone.final_report``), not
    done or cancelled by the data, is *with_report*, delivered with the report on ``as_of``.
    ``known``: the day the report is made as of, when later than ``as_of`` (the usage report per
    31.12 looks at an ended project as of its end): a decision to postpone or cancel taken by then
    is shown; default ``as_of``.
    """
    known = max(known or as_of, as_of)
    out = []
    progress = _progress_rows(data)
    for ms in project.milestones:
        record = progress.get(ms.number)
        code = record.get("status_code", "not_started") if record else "not_started"
        actual = record.get("Faktisk dato") if record else None
        actual = actual.date() if actual is not None and not pd.isna(actual) else None
        comment = record.get("Kommentar", "") if record else ""
        later = actual is not None and actual > as_of
        if later:
            # Done after the report date: neither that date nor what was written then was known at as_of.
            actual, comment = None, ""
        decided = record.get("Vedtaksdato") if record else None
        decided = decided.date() if decided is not None and not pd.isna(decided) else None
        if code in DECISIONS and decided is not None and decided > known:
            # Postponed or cancelled after the report date: as it stood then, by its planned date alone
            # (a report for June said "Avlyst" of a milestone cancelled in September).
            code, decided, comment = "not_started", None, ""
        elif code not in DECISIONS:
            decided = None
        if code == "done" and not later:
            status = "done"
            days = (actual - ms.date).days if actual else 0
        elif code == "cancelled":
            status, days = "cancelled", 0
        elif ms.date < as_of:
            status, days = "late", (as_of - ms.date).days
        elif code == "in_progress" or (ms.date - as_of).days <= 30:
            status, days = "on_track", 0
        else:
            status, days = "not_started", 0
        if final_report and ms.final_report and status not in ("done", "cancelled"):
            status, days, actual = "with_report", 0, as_of
        elif closing and status not in ("done", "cancelled"):
            status, days = "not_done", max((min(as_of, project.period.end) - ms.date).days, 0)
        out.append(MilestoneStatus(ms, status, actual, comment or "", max(days, 0),
                                   postponed=code == "postponed" and status != "done", decided=decided))
    return out


def _progress_rows(data: ProjectData | None) -> dict[int, dict]:
    """Milestone number -> its (first) progress row: the table read once per document, not
    filtered once per milestone (that cost ~2 ms a milestone)."""
    if data is None or data.milestones is None:
        return {}
    frame = data.milestones.frame
    names = list(frame.columns)
    rows: dict[int, dict] = {}
    for values in zip(*(frame[name].tolist() for name in names)):   # to_dict("records") costs ~1 ms
        record = dict(zip(names, values))
        rows.setdefault(int(record["Milepæl"]), record)
    return rows


PROGRESS_RED_DAYS = 60       # one late milestone more overdue than this makes progress red


def delivered_late(statuses: list[MilestoneStatus], since: date | None = None) -> list[MilestoneStatus]:
    """The milestones done after their planned date, on ``since`` or later (the report's period;
    None: whenever)."""
    return [s for s in statuses if s.status == "done" and s.days_late > 0 and s.actual is not None
            and (since is None or s.actual >= since)]


def progress_rag(statuses: list[MilestoneStatus], since: date | None = None) -> str:
    """Progress by the module rules; ``since``: the first day of the report's period (a milestone
    delivered late on or after it makes progress at least amber; None: any delivered late)."""
    if not statuses:
        return "none"           # no milestone to measure progress by: not assessed, not green
    late = [s for s in statuses if s.status == "late"]
    if not late:
        # delivered late in the period: green beside "ble ferdig 31 dager etter planen" (found by a reader)
        return "amber" if any(s.status == "cancelled" for s in statuses) or delivered_late(statuses, since) \
            else "green"
    if len(late) == 1 and late[0].days_late <= PROGRESS_RED_DAYS:
        return "amber"
    return "red"


# ---------------------------------------------------------------- economy

def amount_sum(amounts) -> Decimal:
    """The exact sum of ledger amounts, as the decimals they were written as.

    The reader keeps amounts as floats, and floats add up a hair off: rows summing to
    892 769,50 kr added up to 892 769,4999… and printed one krone short, beside accounts that
    printed 892 770. Amounts in whole øre (every ledger written by hand or exported) are added
    as integers; anything else as the decimals the floats were read from.
    """
    values = np.asarray(amounts, dtype=float)
    ore = np.round(values * 100)
    if np.array_equal(ore / 100, values) and float(np.abs(ore).sum()) < 2.0 ** 62:
        return Decimal(int(ore.astype(np.int64).sum())) / 100
    return sum((Decimal(repr(v)) for v in values.tolist()), Decimal(0))


def ledger_sums(data: ProjectData | None) -> pd.DataFrame:
    """Actual costs per (year, category) in kroner (exact: ``amount_sum``), as a frame with
    columns År, Kategori, Beløp."""
    if data is None or data.ledger is None or data.ledger.frame.empty:
        return pd.DataFrame({"År": pd.Series(dtype=int), "Kategori": pd.Series(dtype=str),
                             "Beløp": pd.Series(dtype=object)})
    groups = data.ledger.frame.groupby(["År", "Kategori"], observed=True)["Beløp"]
    return pd.DataFrame([{"År": year, "Kategori": category, "Beløp": amount_sum(values)}
                         for (year, category), values in groups],
                        columns=["År", "Kategori", "Beløp"])


def booked_on(frame: pd.DataFrame) -> pd.Series:
    """The day each ledger row counts from: its date, moved into its accounting year År.

    The accounting year decides which year's accounts a row belongs to (a December salary paid
    05.01.2016 with År 2015 is in the 2015 accounts per 31.12.2015; a row dated December with
    År of the next year counts from 1 January). Every document cuts the ledger by this day, so
    the status report's year columns, the usage report per 31.12 and the final accounts agree.
    """
    dates, years = frame["Dato"], frame["År"]
    if frame.empty:
        return dates
    moved = dates.dt.year != years
    if not moved.any():
        return dates
    dates = dates.copy()
    dates[moved] = [min(max(day, pd.Timestamp(int(year), 1, 1)), pd.Timestamp(int(year), 12, 31))
                    for day, year in zip(dates[moved], years[moved])]
    return dates



# A ledger whose last row is older than this at the report date is likely an old export.
STALE_LEDGER_DAYS = 62


def stale_ledger(data, as_of: date) -> tuple[date, int] | None:
    """(the last ledger row's day counted by ``as_of``, days before it) when that row lies more
    than ``STALE_LEDGER_DAYS`` before the report date: the accounts were likely made from an old
    export. None otherwise (no ledger, no row, a recent one). The reports and ``validate`` warn
    by ``stale_export``, which adds the rule of a row after the report's day."""
    if data is None or data.ledger is None or data.ledger.frame.empty:
        return None
    days = booked_on(data.ledger.frame)
    counted = days[days <= pd.Timestamp(as_of)]
    if counted.empty:
        return None
    last = counted.max().date()
    return (last, (as_of - last).days) if (as_of - last).days > STALE_LEDGER_DAYS else None


def stale_export(data, as_of: date) -> tuple[date, int] | None:
    """``stale_ledger``, unless the ledger has a row counting from after ``as_of``: an export with
    rows after the report's day was made after it, so the quiet months before are no old export
    (the usage report's rule). What every report and ``validate`` warn of, one rule: the status
    report's accounts to date and forecast, the final accounts and the usage report's unused money
    beside them, made from an export months old."""
    old = stale_ledger(data, as_of)
    if old is None or (booked_on(data.ledger.frame) > pd.Timestamp(as_of)).any():
        return None
    return old

def ledger_until(data: ProjectData | None, as_of: date) -> ProjectData | None:
    """The same data with the ledger cut at ``as_of`` (by the day a row counts from, ``booked_on``)."""
    if data is None or data.ledger is None:
        return data
    frame = data.ledger.frame
    cut = frame[booked_on(frame) <= pd.Timestamp(as_of)]
    from .data import Table
    return ProjectData(data.milestones, Table(data.ledger.file, cut, []), data.hours)


@dataclass
class BudgetLine:
    year: int
    category: str
    budget: int
    actual: int
    planned: int = 0             # the budget pro rata to the report date (the share of the year elapsed)

    @property
    def deviation(self) -> int:
        return self.actual - self.budget

    @property
    def plan_deviation(self) -> int:
        return self.actual - self.planned

    @property
    def plan_deviation_share(self) -> Decimal | None:
        return None if self.planned == 0 else Decimal(self.plan_deviation) / Decimal(self.planned)

    @property
    def deviation_share(self) -> Decimal | None:
        return None if self.budget == 0 else Decimal(self.deviation) / Decimal(self.budget)


@dataclass
class Economy:
    """Budget, actual and forecast in kroner."""

    lines: list[BudgetLine]
    forecast_by_year: dict[int, int]
    budget_total: int
    actual_total: int
    forecast_total: int
    planned_to_date: int
    rag: str
    unknown_categories: list[str] = field(default_factory=list)
    # years under way whose forecast is their budget: less than a quarter of the year has passed
    forecast_is_budget: list[int] = field(default_factory=list)
    # years of the project period without a krone of cash costs in the budget: the forecast for
    # the whole period counts no costs for them (only what is booked), and the reader is told
    unbudgeted_years: list[int] = field(default_factory=list)
    # each line's budget and accounts unrounded (øre kept), in the order of ``lines``
    exact: list[tuple[Decimal, Decimal]] = field(default_factory=list)

    def category_figures(self, unit: int = 1) -> tuple[list, list, int]:
        """Each category's budget and accounts as a table per category prints them (in the order of
        ``by_category``, in ``unit``s), and the decimals to print them with: in kroner, accounts
        with øre as they are (2), as the sources' table beside them prints its Brukt ("Regnskap 1 088
        261" stood beside "Brukt 1 088 260,50" on one page); else each column rounded once (0)."""
        cats: dict[str, list[Decimal]] = {}
        for line, (planned, spent) in zip(self.lines, self.exact):
            agg = cats.setdefault(line.category, [Decimal(0), Decimal(0)])
            agg[0] += planned
            agg[1] += spent
        if unit == 1 and fmt.ore_decimals([v for pair in cats.values() for v in pair]):
            return [b for b, _ in cats.values()], [a for _, a in cats.values()], 2
        by_category = self.by_category()
        return (round_once([c.budget for c in by_category], unit), round_once([c.actual for c in by_category], unit), 0)

    @property
    def forecast_deviation(self) -> int:
        return self.forecast_total - self.budget_total

    def years(self) -> list[int]:
        return sorted({line.year for line in self.lines})

    def by_category(self) -> list[BudgetLine]:
        cats: dict[str, BudgetLine] = {}
        for line in self.lines:
            agg = cats.setdefault(line.category, BudgetLine(0, line.category, 0, 0))
            agg.budget += line.budget
            agg.actual += line.actual
            agg.planned += line.planned
        return list(cats.values())


def _year_share(project: Project, year: int, as_of: date) -> Fraction:
    """Elapsed share of the project's days in ``year`` at ``as_of`` (0..1), exactly: as a float,
    day 61 of 366 made a budget of 100 005 kr 16 667,4999… to date instead of 16 667,50."""
    start = max(project.period.start, date(year, 1, 1))
    end = min(project.period.end, date(year, 12, 31))
    if end < start:
        return Fraction(as_of.year > year)
    if as_of < start:
        return Fraction(0)
    if as_of >= end:
        return Fraction(1)
    return Fraction((as_of - start).days + 1, (end - start).days + 1)


def economy(project: Project, data: ProjectData | None, as_of: date) -> Economy:
    """Budget vs actual per category and year until ``as_of``, and the forecast (module rules).
    Cash only: own-effort cost lines (``in_kind``, see grantflow.owneffort) are not in the budget
    the accounts are measured against."""
    budget = project.budget
    sums = ledger_sums(ledger_until(data, as_of))
    # Categories match without regard to case: "prosjektkostnader" adds to "Prosjektkostnader".
    actual: dict[tuple[int, str], Decimal] = {}
    for r in sums.to_dict("records"):
        key = (int(r["År"]), str(r["Kategori"]).casefold())
        actual[key] = actual.get(key, Decimal(0)) + r["Beløp"]
    # A category on several budget lines (one line per year, say) is one category: its lines add
    # up (each line counted the category's accounts again, and only the first line's budget).
    budgeted: dict[str, dict[int, Decimal]] = {}
    spellings: dict[str, str] = {}
    for cost in budget.costs:
        if cost.in_kind:
            continue        # own effort is delivered in hours, not spent: the accounts are cash
        spellings.setdefault(cost.category.casefold(), cost.category)
        per_year = budgeted.setdefault(cost.category.casefold(), {})
        for year, amount in cost.amounts.items():
            per_year[year] = per_year.get(year, Decimal(0)) + amount * budget.unit
    categories = list(spellings.values())
    for c in sorted(str(c) for c in sums["Kategori"]):
        spellings.setdefault(c.casefold(), c)
    unknown = [c for c in spellings.values() if c not in categories]
    years = sorted(set(budget.years()) | {y for y, _ in actual})
    lines, planned_exact, spent_exact = [], [], []
    for year in years:
        for cat in categories + unknown:
            planned = budgeted.get(cat.casefold(), {}).get(year, Decimal(0))
            spent = actual.get((year, cat.casefold()), Decimal(0))
            if planned or spent:
                lines.append(BudgetLine(year, cat, 0, 0))
                planned_exact.append(planned)
                spent_exact.append(spent)
    # Budget and accounts rounded once, so the lines add up to their totals in whole kroner.
    for line, planned, spent in zip(lines, round_once(planned_exact), round_once(spent_exact)):
        line.budget, line.actual = planned, spent
    # The forecast is worked out from the exact accounts and budget and rounded once: added up
    # from each year's rounded figure it drifted a krone off (1 481 624 kr for 1 481 623,14).
    exact: dict[int, Fraction] = {}
    early: list[int] = []
    for year in years:
        at = [i for i, l in enumerate(lines) if l.year == year]
        planned = sum((Fraction(planned_exact[i]) for i in at), Fraction(0))
        spent = sum((Fraction(spent_exact[i]) for i in at), Fraction(0))
        share = _year_share(project, year, as_of)
        year_lines = [lines[i] for i in at]
        # Pro rata per line, rounded once so the lines add up to the year's planned-to-date.
        for line, part in zip(year_lines, round_once([l.budget * share for l in year_lines])):
            line.planned = part
        if share >= 1:
            exact[year] = spent
        elif share >= Fraction(1, 4):
            exact[year] = max(spent, spent / share)
        else:
            exact[year] = max(spent, planned)
            if share > 0 and exact[year] == planned:
                early.append(year)
    forecast = dict(zip(exact, round_once(list(exact.values()))))
    budget_total = sum(l.budget for l in lines)
    actual_total = sum(l.actual for l in lines)
    forecast_total = kr(sum(exact.values(), Fraction(0)))
    planned_to_date = sum(l.planned for l in lines)
    if budget_total == 0:
        rag = "none"
    else:
        ratio = Fraction(forecast_total, budget_total)
        rag = "red" if ratio > ECONOMY_RED_ABOVE else "amber" if (
            ratio > ECONOMY_AMBER_ABOVE or ratio < ECONOMY_AMBER_BELOW) else "green"
    unbudgeted = [y for y in project.period.years() if budget.cost_kr(y, in_kind=False) == 0] if budget_total else []
    return Economy(lines, forecast, budget_total, actual_total, forecast_total, planned_to_date, rag, unknown,
                   early, unbudgeted, [(Decimal(p), Decimal(a)) for p, a in zip(planned_exact, spent_exact)])


def risk_rag(project: Project) -> str:
    if not project.risks:
        return "none"
    top = max(r.factor for r in project.risks)
    return "red" if top >= 16 else "amber" if top >= 10 else "green"


def overall_rag(*values: str) -> str:
    rated = [v for v in values if v != "none"]
    return max(rated, key=RAG_ORDER.get) if rated else "none"


# ---------------------------------------------------------------- grants

@dataclass
class GrantUsage:
    """One grant's use by 31.12 of ``year`` (rapportering om bruk av skjønnsmidler)."""

    project: Project
    funder_id: str
    funder_name: str
    reference: str
    granted: Decimal             # exact, to the øre (the usage report prints them so: fmt.ore_decimals)
    spent: Decimal
    year: int
    # rows of this grant counted from a day after the project's end (still by 31.12): how many,
    # and their exact sum; the final report, made per the end, leaves them out
    after_end: tuple[int, Decimal] | None = None

    @property
    def unused(self) -> Decimal:
        return max(self.granted - self.spent, Decimal(0))

    @property
    def overspent(self) -> Decimal:
        return max(self.spent - self.granted, Decimal(0))

    @property
    def disposition(self) -> str:
        """What happens to unused money: carried over while the project runs, else returned."""
        if self.unused == 0:
            return "–"
        return "Søkes overført" if self.carried_over else "Tilbakebetales"

    @property
    def carried_over(self) -> bool:
        """Unused money may be carried over (on request) while the project runs past 31.12."""
        return self.unused > 0 and self.project.period.end > date(self.year, 12, 31)


def credits_beyond_costs(frame: pd.DataFrame | None, names: set[str], until: date | None = None,
                         folded: pd.Series | None = None, days: pd.Series | None = None) -> tuple[int, Decimal] | None:
    """(spreadsheet row of the last credit note, net sum) when the ledger rows booked to ``names``
    (casefolded sources), up to ``until`` if given, add up to less than nothing; None otherwise.
    ``folded`` and ``days``: the frame's casefolded sources and ``booked_on`` days, when the caller
    asks for many funders or years of one frame (each costs a pass over every row).

    A grant's use is its rows' sum; credit notes (kreditnota) beyond the costs they correct would
    make it negative and its unused amount more than was granted (400 000 kr granted, "Ubrukt 410
    000 kr, søkes overført"). Which cost a credit corrects is not in the file: an error, never a guess.
    """
    if frame is None or frame.empty:
        return None
    if folded is None:
        folded = frame["Finansieringskilde"].astype(str).str.casefold()
    keep = folded.isin(names).to_numpy()
    if until is not None:
        keep = keep & ((booked_on(frame) if days is None else days) <= pd.Timestamp(until)).to_numpy()
    if not keep.any():
        return None
    amounts = frame["Beløp"].to_numpy(dtype=float)[keep]
    net = amount_sum(amounts)
    if net >= 0:
        return None
    credit = amounts < 0
    return int(frame["_row"].to_numpy()[keep][credit][-1]) if "_row" in frame and credit.any() else 0, net


def require_costs_before_credits(data: ProjectData | None, names: set[str], funder: str, until: date) -> None:
    """Stop a document whose figures would count a funder's money used below zero (see
    ``credits_beyond_costs``), with one line naming the ledger, the row and the field."""
    frame = data.ledger.frame if data is not None and data.ledger is not None else None
    found = credits_beyond_costs(frame, names)
    if found is not None:
        row, net = found
        raise UserError(f"the rows booked to '{funder}' up to {until:%d.%m.%Y} add up to "
                        f"{fmt.money(net, decimals=None)}: credit "
                        "notes beyond the costs they correct would report more unused than was granted; book "
                        "each credit note to the source of the cost it corrects",
                        file=data.ledger.file, line=row or None, field="Beløp")


def grant_usage(project: Project, data: ProjectData | None, year: int,
                kinds: tuple[str, ...] = ("skjønnsmidler",), until: date | None = None) -> list[GrantUsage]:
    """Granted, spent by 31.12 and unused for each grant from the project's funders of ``kinds``;
    ``until``: spent by that day instead (the year still running: to date)."""
    year_end = min(until, date(year, 12, 31)) if until is not None else date(year, 12, 31)
    cut = ledger_until(data, year_end)
    ledger = cut.ledger.frame if cut is not None and cut.ledger is not None else None
    out = []
    funder_ids = {l.funder for l in project.budget.financing if l.kind in kinds and l.funder}
    for funder in project.funders:
        if funder.id not in funder_ids:
            continue
        granted = sum(g.amount for g in funder.grants if g.year <= year)
        if not granted:
            continue
        # the funder's id or its lines' sources, as validation accepts; never its name (not unique)
        names = {funder.id.casefold()} | {
            l.source.casefold() for l in project.budget.financing if l.funder == funder.id}
        require_costs_before_credits(cut, names, funder.id, year_end)
        spent, after_end = Decimal(0), None
        if ledger is not None and not ledger.empty:
            rows = ledger[ledger["Finansieringskilde"].str.casefold().isin(names)]
            spent = amount_sum(rows["Beløp"])
            late = rows[booked_on(rows) > pd.Timestamp(project.period.end)]
            if len(late):
                after_end = (len(late), amount_sum(late["Beløp"]))
        refs = ", ".join(g.reference for g in funder.grants if g.year <= year and g.reference)
        out.append(GrantUsage(project, funder.id, funder.name, refs, Decimal(granted), spent, year, after_end))
    return out


def ungranted_skjonnsmidler(project: Project, year: int) -> list[tuple[int, object]]:
    """(index, line) of each skjønnsmidler line of the financing plan with an amount for ``year``
    or before, whose funder has no award letter (``funders[].grants``) up to ``year`` on record,
    or that names no funder: what the county governor granted for it cannot be reported."""
    out = []
    for index, line in enumerate(project.budget.financing):
        if line.kind != "skjønnsmidler" or not any(y <= year and a for y, a in line.amounts.items()):
            continue
        funder = project.funder(line.funder) if line.funder else None
        if funder is None or not any(g.year <= year and g.amount for g in funder.grants):
            out.append((index, line))
    return out


def unlinked_grants(project: Project, year: int | None = None) -> list[tuple[int, object, Decimal]]:
    """(index, funder, granted) of each funder with award letters (up to ``year``) that no line of
    the financing plan is linked to (``funder:``): what it granted reaches no report. The usage report
    told the county governor "Tildelt: 0 kr" for a project with 300 000 kr on record (found by an
    outside tester)."""
    linked = {line.funder for line in project.budget.financing if line.funder}
    out = []
    for index, funder in enumerate(project.funders):
        granted = sum((g.amount for g in funder.grants if year is None or g.year <= year), Decimal(0))
        if granted and funder.id not in linked:
            out.append((index, funder, granted))
    return out


def unattributed_frame(project: Project, frame: pd.DataFrame) -> pd.DataFrame:
    """The ledger rows of ``frame`` that name no source of the financing plan (no
    Finansieringskilde, which is optional, or one validation reports): in the accounts, but no
    funder's money."""
    return frame[~frame["Finansieringskilde"].astype(str).str.casefold().isin(plan_sources(project))]


def plan_sources(project: Project) -> set[str]:
    """What a ledger row's Finansieringskilde may name to count for a funder (casefolded): the
    sources of the financing plan's paid lines and the ids of the funders those lines name."""
    lines = [l for l in project.budget.financing if l.kind != "egeninnsats"]
    names = {l.source.casefold() for l in lines}
    for funder in (project.funder(l.funder) for l in lines if l.funder):
        if funder is not None:
            names.add(funder.id.casefold())
    return names


def unattributed_rows(project: Project, data: ProjectData | None) -> tuple[int, Decimal] | None:
    """How many ledger rows name no source of the plan (``unattributed_frame``) and their exact
    sum; None when none."""
    if data is None or data.ledger is None or data.ledger.frame.empty:
        return None
    loose = unattributed_frame(project, data.ledger.frame)
    return (len(loose), amount_sum(loose["Beløp"])) if len(loose) else None


def hours_total(data: ProjectData | None, until: date | None = None) -> Decimal:
    if data is None or data.hours is None or data.hours.frame.empty:
        return Decimal(0)
    frame = data.hours.frame
    if until is not None:
        frame = frame[frame["Dato"] <= pd.Timestamp(until)]
    return Decimal(str(round(float(frame["Timer"].sum()), 2)))


def check_in_project(project: Project, first: date, last: date, field: str, what: str) -> None:
    """A report on days the project never had is a typo (2014 for 2016), not a report: refused."""
    period = project.period
    if last < period.start or first > period.end:
        raise UserError(f"{what} lies outside the project period {period.start.isoformat()} – "
                        f"{period.end.isoformat()}", field=field)


def check_years(project: Project, first: int, last: int, field: str, what: str) -> None:
    """Every year of a yearly document (application, cost split) must be a project or budget year."""
    years = sorted(set(project.period.years()) | set(project.budget.years()))
    outside = [y for y in range(first, last + 1) if y not in years]
    if outside:
        raise UserError(f"{outside[0]} is not a year of the project ({years[0]}–{years[-1]}): {what} must lie "
                        "within it",
                        field=field)


def default_as_of(project: Project, today: date) -> date:
    """The report date when none is given: today, but never after the project's end."""
    return min(today, project.period.end)
