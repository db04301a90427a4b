"""Own effort (egeninnsats): work the municipalities do themselves, never paid in cash.

The rule (seed 000: "en forholdsvis stor del egeninnsats ... estimert ... til 2073 timer"):

1. Own effort is never money anyone is invoiced for or a grant pays: the municipal part of the
   financing plan (the cost split, the basis for invoicing) and the budget the accounts are
   measured against are cash only.
2. A plan shows own effort in one of two ways:
   - as hours only (``budget.own_effort_hours``, valued at ``own_effort_rate`` or the council's
     default rate): outside the cash budget;
   - on both sides, as Norwegian project budgets usually do ("Egeninnsats kommunene" among the
     costs and among the financing): cost lines marked ``in_kind: true`` and financing lines of
     ``kind: egeninnsats``, with the same amount every year. Both are then left out of the cash
     budget, and the plan's totals show them beside it.
3. Where grantflow cannot tell, the plan is refused (an error naming file and field), never
   guessed:
   - a cost line whose category reads as own effort ("Egeninnsats ...", "in kind", "timeverk")
     and says neither ``in_kind: true`` nor ``in_kind: false``;
   - a year whose own-effort costs and egeninnsats financing differ (an egeninnsats line with no
     own-effort cost: is the effort inside the cash costs, or outside the budget?; an own-effort
     cost with no egeninnsats line: who pays it?);
   - own effort given both in hours at the project's own rate and in kroner lines, with values
     that differ.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from . import fmt
from .errors import UserError
from .models import Project

# Words in a cost category that say the line may be own effort rather than a cash cost.
_OWN_EFFORT_WORDS = re.compile(
    r"egeninnsats|eigeninnsats|egen\s+innsats|eigen\s+innsats|in[\s-]?kind|timeverk|naturalyt", re.IGNORECASE)


def reads_as_own_effort(category: str) -> bool:
    return bool(_OWN_EFFORT_WORDS.search(category))


def in_kind_by_year(project: Project) -> dict[int, tuple[Decimal, Decimal]]:
    """{year: (own-effort costs, egeninnsats financing)} in kroner, for years with either."""
    budget = project.budget
    out = {}
    for year in budget.years():
        cost = budget.cost_kr(year, in_kind=True)
        financing = budget.financing_kr(year, kinds={"egeninnsats"})
        if cost or financing:
            out[year] = (cost, financing)
    return out


def in_kind_total(project: Project) -> Decimal:
    """The own effort the plan values in kroner (its egeninnsats financing lines)."""
    return sum((f for _, f in in_kind_by_year(project).values()), Decimal(0))


def at_rate(hours, rate: Decimal | None) -> str:
    """' à 650 kr = 496 925 kr': hours valued at the own-effort rate, as the application values the
    plan's and the final report the registered hours ('' without a rate). The hours before it are
    printed exactly (``fmt.hours``), so hours × rate adds up to the kroner printed."""
    if hours is None or rate is None:
        return ""
    from . import fmt

    value = int((Decimal(str(hours)) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f" à {fmt.money(rate, decimals=0 if rate == int(rate) else 2)} = {fmt.money(value)}"


def _kroner(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def hours_value(project: Project, rate_default) -> tuple[Decimal | None, Decimal | None, int | None]:
    """(hours, rate, value in whole kroner) of the plan's own-effort hours; the rate is the
    project's or ``rate_default``; None where not given."""
    budget = project.budget
    hours = budget.own_effort_hours or None
    rate = budget.own_effort_rate if budget.own_effort_rate is not None else rate_default
    rate = Decimal(str(rate)) if rate is not None else None
    value = None
    if hours is not None and rate is not None:
        value = int((Decimal(str(hours)) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return hours, rate, value


def problems(project: Project) -> list[tuple[tuple, str]]:
    """What makes the plan's own effort ambiguous: (location in the project file, message)."""
    budget = project.budget
    out: list[tuple[tuple, str]] = []
    for index, line in enumerate(budget.costs):
        if line.in_kind is None and reads_as_own_effort(line.category):
            out.append((("budget", "costs", index, "in_kind"),
                        f"cost line {line.category!r} reads as own effort (egeninnsats), but does not say "
                        "whether it is paid in cash: write in_kind: true (own effort, financed by an "
                        "egeninnsats line and never invoiced) or in_kind: false (a cash cost); in the "
                        "workbook: Egeninnsats = ja or nei"))
    if out:
        return out          # the years cannot be compared before the lines are told apart
    effort_lines = [i for i, line in enumerate(budget.financing) if line.kind == "egeninnsats"]
    cost_lines = [i for i, line in enumerate(budget.costs) if line.in_kind]
    for year, (cost, financing) in in_kind_by_year(project).items():
        if cost == financing:
            continue
        if not cost:
            loc = ("budget", "financing", effort_lines[0], "amounts", year)
            message = (f"{year}: the financing plan counts {fmt.money(financing)} own effort (egeninnsats) "
                       "but no cost line is own effort: grantflow cannot tell whether the effort is inside "
                       "a cash cost line (mark that line in_kind: true; in the workbook Egeninnsats = ja) "
                       "or outside the budget (then give it as own_effort_hours, not as a financing line)")
        elif not financing:
            loc = ("budget", "costs", cost_lines[0], "amounts", year)
            message = (f"{year}: {fmt.money(cost)} of the costs are own effort (in_kind: true) but the "
                       "financing plan has no egeninnsats line for them: add one of the same amount "
                       "(kind: egeninnsats), or the municipalities would be invoiced in cash for their own work")
        else:
            loc = ("budget", "financing", effort_lines[0], "amounts", year)
            message = (f"{year}: own effort among the costs (in_kind: true) is {fmt.money(cost)} but the "
                       f"egeninnsats financing is {fmt.money(financing)} (difference "
                       f"{fmt.signed_money(financing - cost)}): own effort finances itself, so the two "
                       "must be equal")
        out.append((loc, message))
    hours, rate, value = hours_value(project, None)
    total = in_kind_total(project)
    if value is not None and total and value != total:
        out.append((("budget", "own_effort_rate"),
                    f"own effort is {fmt.exact(hours)} hours × {fmt.money(rate, decimals=0 if rate == int(rate) else 2)}"
                    f" = {fmt.money(value)}, but the egeninnsats financing lines total {fmt.money(total)}: "
                    "correct one of them"))
    return out


def require(project: Project, where=None) -> None:
    """Refuse a plan whose own effort is ambiguous: the first problem, with file and field (and
    line, given ``where``: a location in the project file -> (file, line), as Register.where)."""
    from .findings import loc_text

    found = problems(project)
    if found:
        loc, message = found[0]
        # without ``where`` (municipal_part, called from a document) the file is not known here:
        # the field alone, never a config/ path that may not be the one in use
        file, line = where(loc) if where is not None else (None, None)
        raise UserError(message, file=file, line=line, field=loc_text(loc))
