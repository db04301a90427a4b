"""Validation: check the register and the data files, and cross-check them.

Severity policy:
- error: the data is wrong or contradicts itself where the rules are explicit (RF ≠ S × K, a
  participant without population, a ledger row in an unknown category or outside the period,
  unreadable cells, negative amounts not marked as credit, duplicates, costs and financing that
  do not balance over the whole period, a milestone reached before the project started, hours
  from a municipality that does not take part, a ledger row whose amount alone is more than the
  project's whole cost budget).
- warning: worth a look but documents can still be made (a year where financing and costs
  differ, milestones outside the period (a month-only date counts as its last day) or out of order, a steering-group member without e-mail,
  a steering group without a leader (the first member gets the leader's copies), percentage
  weights that do not add up to 100 (they are scaled to their sum),
  a ledger or hours row repeating an earlier one, a planned milestone without a progress row, a
  milestone reached after the project ended, the ledger of an ended project whose last row lies long
  before the end: an old export, from which the final report's unused money is too high; a
  municipality with a share in a project's cost split and no contact address: it does not get it).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from . import clock
from . import owneffort
from .costsplit import POPULATION_KEYS, invoiced_by, key_on, municipal_part, no_inhabitants, no_weight, whole_plan, zero_weight
from .data import ProjectData, collect, unknown_municipality
from .errors import UserError
from .findings import ROWS_NAMED, SHOWN_PER_COLUMN, Finding, count_shown, rows_named
from .fmt import exact, money, percent, signed_money
from .models import (BEFORE_START_EXPLANATION, FIXED_EXPLANATIONS, LEADER_ROLES, Project, category_explanation, explanation_key,
                     is_percentage_key, milestone_explanation, overspent_explanation)
from .numbers import excel_display
from .register import Register, display_path, load_register
from .reporting import booked_on, credits_beyond_costs, plan_sources
from .suggest import lookalike
from .text import name_key
from .yamlfile import is_yaml, load_yaml


def _dupes(values):
    seen, dupes = set(), []
    for index, value in enumerate(values):
        key = name_key(value) if isinstance(value, str) else value
        if key in seen:
            dupes.append((index, value))
        seen.add(key)
    return dupes


def check_councils(register: Register) -> list[Finding]:
    out = []
    for council in register.councils.values():
        for index, name in _dupes([m.name for m in council.municipalities]):
            file, line = register.where("council", council.id, ("municipalities", index, "name"))
            out.append(Finding("error", file, line, f"municipalities[{index}].name",
                               f"municipality {name!r} is listed twice"))
        for index, member in enumerate(council.municipalities):
            for year, value in member.population.items():
                if value <= 0:
                    # 0 is no count of inhabitants (a figure left out, a typo): the split by population
                    # would give that municipality the equal part only, or nothing
                    file, line = register.where("council", council.id, ("municipalities", index, "population", year))
                    out.append(Finding("error", file, line, f"municipalities[{index}].population.{year}",
                                       "negative population" if value < 0 else no_inhabitants(member.name, year)))
    return out


def _unknown_explanations(register: Register, project: Project, explanations: dict[str, str]) -> list[Finding]:
    """An explanation whose key names no deviation the final report can have ('milepael 05',
    'kategori Prosjektkostnad') never reaches the county governor: the report says
    'Forklaring mangler' beside the text the project leader wrote. One line per such key."""
    known = {explanation_key(k) for k in FIXED_EXPLANATIONS}
    known |= {explanation_key(milestone_explanation(m.number)) for m in project.milestones}
    known |= {explanation_key(category_explanation(c)) for c in project.budget.categories()}
    known |= {explanation_key(overspent_explanation(f.id)) for f in project.funders if f.grants}
    unknown = [key for key in explanations if explanation_key(key) not in known]
    if not unknown:
        return []
    path = register.data_path(project.data.notes)
    try:
        doc = load_yaml(path, display_path(path))
    except Exception:        # noqa: BLE001 - the notes were read a moment ago; a line is a courtesy
        doc = None
    hint = ("write 'milepæl NN' (a milestone of the plan), 'kategori <budget category>', 'merforbruk <funder "
            "id>' (a funder with award letters), "
            + ", ".join(f"'{k}'" for k in FIXED_EXPLANATIONS))
    return [Finding("error", display_path(path), doc.line_of(("evaluation", "explanations", key)) if doc else None,
                    f"evaluation.explanations.{key}", f"{key!r} names no deviation of the final report: {hint}")
            for key in unknown]


def check_project(register: Register, project: Project, data: ProjectData | None = None) -> list[Finding]:
    """Every cross-check for one project (config against itself, the council and its data)."""
    out: list[Finding] = []

    def add(severity, loc, message):
        file, line = register.where("project", project.id, loc)
        field = ""
        for part in loc:
            field += f"[{part}]" if isinstance(part, int) else ("." if field else "") + str(part)
        out.append(Finding(severity, file, line, field, message))

    council = register.councils.get(project.council)
    if council is None and ("council", project.council) not in register.unreadable:
        # (a council file that exists but could not be read has its own lines: no second one here)
        add("error", ("council",), f"unknown council {project.council!r} (known: {', '.join(sorted(register.councils))})")
    budget = project.budget
    unit = budget.unit

    # Participants and their weights.
    for index, name in _dupes(project.municipalities):
        add("error", ("municipalities", index), f"municipality {name!r} is listed twice")
    # A member that joins or leaves part way: its years inside the project, the first not after the last.
    years_run = project.period.years()
    for index, name in enumerate(project.municipalities):
        member = project.membership.get(name)
        if member is None:
            continue
        for field, year in (("from", member.first), ("until", member.until)):
            if year is not None and not years_run[0] <= year <= years_run[-1]:
                add("error", ("municipalities", index, field),
                    f"{name} {field}: {year} is outside the project ({years_run[0]}–{years_run[-1]}): write a year "
                    "of the project, or leave it out if it takes part from the start (from) or to the end (until)")
        if member.first is not None and member.until is not None and member.first > member.until:
            add("error", ("municipalities", index, "until"),
                f"{name} until: {member.until} is before its from: {member.first}: it would take part in no year")
    key = project.split.weight
    keys = {"innbyggere"} | {k for m in (council.municipalities if council else []) for k in m.weights}
    if council is not None and key not in keys | {"population"}:
        # a misspelt key is one mistake: one line, not one per municipality and year
        add("error", ("split", "weight"), f"no municipality of {council.name} has figures for {key!r} "
            f"(keys in {council.id}: {', '.join(sorted(keys))})")
    elif council is not None:
        years = sorted({project.split.weight_year} if project.split.weight_year else set(budget.years()))
        missing: dict[int, list[tuple[int, str]]] = {year: [] for year in years}
        members = []
        for index, name in enumerate(project.municipalities):
            member = council.municipality(name)
            if member is None:
                # the hours file's message, and which list it was looked up in: the misspelling may
                # be the council file's (found by an outside tester)
                add("error", ("municipalities", index),
                    f"{unknown_municipality(name, council)}; looked up in the council's list (municipalities: "
                    f"in {_council_file(register, project)})")
                continue
            members.append(member)
            for year in years:
                table = member.population if key in ("innbyggere", "population") else member.weights.get(key, {})
                if year not in table and (project.split.weight_year or project.participates(name, year)):
                    missing[year].append((index, name))
        if key not in POPULATION_KEYS and project.split.equal_percent < 100:
            # 0 for every participant splits nothing (an error, as allocate says); 0 for one of them
            # may be right for a key other than population (a warning; population 0 is an error above)
            for year in years:
                given = [m for m in members if year in m.weights.get(key, {})]
                zero = [m for m in given if m.weights[key][year] == 0]
                if not zero:
                    continue
                everyone = len(zero) == len(members)
                for member in zero[:1] if everyone else zero:
                    index = council.municipalities.index(member)
                    file, line = register.where("council", council.id, ("municipalities", index, "weights", key, year))
                    out.append(Finding("error" if everyone else "warning", file, line,
                                       f"municipalities[{index}].weights.{key}.{year}",
                                       no_weight(key, year, [m.name for m in members]) if everyone else
                                       zero_weight(member.name, key, year, project.split.equal_percent)))
        if is_percentage_key(key) and project.split.equal_percent < 100:
            # weights are relative: an agreed key written as percentages that add up to 90 was
            # invoiced as each figure / 90 without a word (found by an outside tester)
            for year in years:
                figures = [Decimal(str(m.weights[key][year])) for m in members if year in m.weights.get(key, {})]
                total = sum(figures, Decimal(0))
                if len(figures) == len(project.municipalities) and total not in (0, 100):
                    shown, first = exact(total, 4), exact(figures[0], 4)
                    add("warning", ("split", "weight"),
                        f"the participants' {key} figures for {year} (in {_council_file(register, project)}) add "
                        f"up to {shown}, not 100: weights are relative, so the shares are scaled to {shown} "
                        f"({members[0].name}'s {first} is {percent(figures[0] / total, 1)} of the part split by "
                        f"{key}, not {first}\u00a0%); if they are agreed percentages, make them add up to 100")
        where = ("split", "weight_year") if project.split.weight_year else None
        for year, names in missing.items():
            if len(names) > 1 and len(names) == len(members):
                # a year no participant has figures for is one mistake (a weight_year typo, a year
                # not yet added): one line
                written = sorted({y for m in members for y in (
                    m.population if key in ("innbyggere", "population") else m.weights.get(key, {}))})
                given = f"years given: {', '.join(map(str, written)) or 'none'}"
                if where is None and year >= clock.today().year and any(y < year for y in written):
                    # 1 January of this year or a year to come: SSB may not have published it yet.
                    # An application in January 2025 was refused for want of 1.1.2026 (found by a
                    # member municipality's finance officer); only the invoice needs it
                    add("warning", ("municipalities",),
                        f"no {key} figures {key_on(key, year)} in {council.id} yet ({given}): the application "
                        f"splits {year} by the latest figures given and says so on the page; the cost split "
                        f"for {year}, the invoice, is refused until they are added")
                    continue
                add("error", where or ("municipalities",),
                    f"no {key} figures {key_on(key, year)} in {council.id} for any participant ({given})")
                continue
            for index, name in names:
                add("error", where or ("municipalities", index),
                    f"no {key} figure for {name} {key_on(key, year)} in {council.id}")

    # The municipalities' share needs municipalities to split it between (render refused it only then).
    if not project.municipalities:
        for index, line in enumerate(budget.financing):
            if line.kind == "kommunene":
                add("error", ("budget", "financing", index, "kind"),
                    f"{line.source!r} is the municipalities' share, but the project lists no participating "
                    "municipalities (municipalities:): the cost split has no one to split it between")
                break

    # Budget: financing against costs, per year and in total.
    if budget.costs:
        for index, name in _dupes(budget.categories()):
            add("error", ("budget", "costs", index, "category"), f"budget category {name!r} appears twice")
        total_cost = total_fin = Decimal(0)
        has_municipal_rest = any(l.kind == "kommunene" and not l.amounts for l in budget.financing)
        # A year is compared in whole kroner, as the application prints and the cost split bills it
        # (øre carried from year to year): compared to the øre and printed rounded, 10 000,50 /
        # 170 000 / 159 999,50 was "2026: financing 160 000 kr vs costs 160 000 kr (difference
        # −1 kr)". The whole period is compared exactly, and said with the øre it has.
        whole_costs, whole_external, whole_municipal = whole_plan(budget)
        for year in budget.years():
            # cash on both sides: own effort (in_kind costs, egeninnsats financing) pays for itself
            total_cost += budget.cost_kr(year, in_kind=False)
            total_fin += budget.financing_kr(year, exclude={"egeninnsats"})
            cost, fin = whole_costs[year], whole_external[year] + whole_municipal[year]
            if not has_municipal_rest and cost != fin:
                add("warning", ("budget", "financing"),
                    f"{year}: financing {money(fin)} vs costs {money(cost)} (difference {signed_money(fin - cost)})")
        if not has_municipal_rest and total_cost != total_fin:
            add("error", ("budget", "financing"),
                f"whole period: financing {money(total_fin, decimals=None)} vs costs "
                f"{money(total_cost, decimals=None)} (difference {signed_money(total_fin - total_cost, decimals=None)})")
        for year in project.period.years():
            if budget.cost_kr(year) == 0 and year not in budget.years():
                add("warning", ("period",), f"the period includes {year} but the budget has no costs for it")
        for year in budget.years():
            if year not in project.period.years():
                add("warning", ("budget", "costs"), f"budget year {year} is outside the period "
                    f"{project.period.start.year}–{project.period.end.year}")
    for loc, message in owneffort.problems(project):
        add("error", loc, message)
    for index, line in enumerate(budget.financing):
        if line.funder and project.funder(line.funder) is None:
            add("error", ("budget", "financing", index, "funder"), f"unknown funder id {line.funder!r}")
        linked = project.funder(line.funder) if line.funder else None
        # The key decides which funder a line is, and the documents name it by that funder's entry.
        # A source that is another funder's id or name contradicts the key: which was meant is not
        # guessed. (A source that merely differs from its own funder's name is fine: it is also the
        # ledger's booking word.)
        other = next((f for f in project.funders if linked is not None and f.id != linked.id
                      and line.source.casefold() in (f.id.casefold(), f.name.casefold())), None)
        if other is not None and line.source.casefold() == other.id.casefold():
            add("error", ("budget", "financing", index, "source"),
                f"the line {line.source!r} is linked to funder {linked.id!r} (funder:), but its source is the id "
                f"of funder {other.id!r}: ledger rows booked to it would count for both funders; link the line to "
                f"{other.id!r} if that was meant, or name the line otherwise")
        elif other is not None:
            add("warning", ("budget", "financing", index, "source"),
                f"the line {line.source!r} is linked to funder {linked.id!r} (funder:), but its source is the name "
                f"of funder {other.id!r}: the documents name the line {linked.name!r}; link it to {other.id!r} if "
                "that was meant, or name the line otherwise")
        for year, value in line.amounts.items():
            if value < 0:
                add("error", ("budget", "financing", index, "amounts", year), "negative amount")
    for index, line in enumerate(budget.costs):
        for year, value in line.amounts.items():
            if value < 0:
                add("error", ("budget", "costs", index, "amounts", year), "negative amount")

    # Award letters (tilsagn) against the financing plan's lines for the same funder (one line per
    # application round is fine: they are summed), reported once at the funder's first line.
    seen: set[str] = set()
    for index, line in enumerate(budget.financing):
        funder = project.funder(line.funder) if line.funder else None
        if funder is None or not funder.grants or funder.id in seen:
            continue
        seen.add(funder.id)
        lines = [l for l in budget.financing if l.funder == funder.id and l.amounts]
        if not lines:
            continue
        planned = sum((a for l in lines for a in l.amounts.values()), Decimal(0)) * unit
        granted = sum((g.amount for g in funder.grants), Decimal(0))
        if planned != granted:
            what = (f"line {line.source!r} says" if len(lines) == 1 else
                    f"lines {', '.join(repr(l.source) for l in lines)} say")
            if unit != 1 and granted and planned == granted * unit:
                # kroner typed into a plan kept in 1000 kr: a warning let "Budsjett hele perioden
                # 1 800 000 000 kr" reach the steering group (found by an outside tester); exactly
                # unit times the award is no coincidence
                per = f"{int(unit):_}".replace("_", "\u00a0")
                add("error", ("budget", "financing", index, "amounts"),
                    f"the financing plan's {what} {money(planned)}, exactly {per} times the award letters from "
                    f"{funder.name} ({money(granted)}): the plan is kept in {per} kr (budget.unit), so its amounts "
                    f"were written in kroner; write them in {per} kr")
                continue
            add("warning", ("budget", "financing", index, "amounts"),
                f"the award letters from {funder.name} total {money(granted)} but the financing plan's "
                f"{what} {money(planned)} (difference {signed_money(granted - planned)})")

    # Award letters of a funder no line of the financing plan is linked to: no report counts them
    from .reporting import unlinked_grants

    for f_index, funder, granted in unlinked_grants(project):
        add("error", ("funders", f_index, "grants"),
            f"{funder.name} has award letters on record ({money(granted)}), but no line of the financing "
            f"plan is linked to it: the usage report would say nothing was granted; add the line "
            f"to budget.financing (kind: skjønnsmidler or tilskudd, funder: {funder.id}, its amounts per "
            f"year), or link the line it is (funder: {funder.id})")

    # Skjønnsmidler planned for a year that has begun, with no award letter on record: the usage
    # and final reports refuse to be sent with it (an error there); said here before they are made.
    from .reporting import ungranted_skjonnsmidler

    for index, line in ungranted_skjonnsmidler(project, min(clock.today().year, project.period.end.year)):
        add("warning", ("budget", "financing", index, "funder"),
            f"{line.source!r} has skjønnsmidler in the financing plan but no award letter (funders[].grants) on "
            "record: the usage and final reports cannot report it (an error there); add the award (amount, "
            "year, reference) to the funder")

    if not project.data.ledger:
        add("warning", ("data",), "no ledger file (data.ledger): the status, final and usage reports would show "
            "nothing spent (an error there); add the ledger export (a file with only the header row if nothing "
            "is booked yet)")

    # Award letters for a year after the project: no usage report of the project would ever count
    # them (a typo such as 2051 for 2015 showed the county governor nothing granted). One for the
    # year before the start is allowed (awarded ahead, reported unspent that year); an earlier one
    # only that year's usage report would count, as carried over (2019 for a 2025 project: found
    # by an outside tester).
    for f_index, funder in enumerate(project.funders):
        for g_index, grant in enumerate(funder.grants):
            if grant.year > project.period.end.year:
                add("error", ("funders", f_index, "grants", g_index, "year"),
                    f"grant year {grant.year} is after the project ends ({project.period.end.year}): "
                    "no usage report of the project would count it")
            elif grant.year < project.period.start.year - 1:
                add("error", ("funders", f_index, "grants", g_index, "year"),
                    f"grant year {grant.year} is before the year before the project starts "
                    f"({project.period.start.year}): no usage report of the project but that year's would count "
                    f"it, as unspent; write the year the grant is for ({project.period.start.year - 1} at the "
                    "earliest)")

    # An application round that could be for either of two years (the plan applies for money in both
    # and its words name neither): the calendar makes nothing for it and the application says it is
    # unclear; a guess sent the wrong year's application (found by the county governor's tester).
    from .deadlines import round_years

    for f_index, funder in enumerate(project.funders):
        for d_index, deadline in enumerate(funder.deadlines):
            if deadline.kind != "application" or deadline.date > project.period.end:
                continue
            years = round_years(project, deadline)
            if len(years) > 1:
                add("error", ("funders", f_index, "deadlines", d_index, "description"),
                    f"the application round of {deadline.date:%d.%m.%Y} could be for {years[0]} or {years[1]} "
                    "(the plan applies for money in both); name the year in its description, e.g. "
                    f"'{(deadline.description or 'Søknad om prosjektskjønn')} {years[1]}'")

    # Steering-group meetings inside the project period, each date once: a date written twice gets
    # one status report, and the meeting that was meant (a typo, a copied line) gets none.
    first_listed: dict = {}
    for index, day in enumerate(project.meetings.dates):
        if day in first_listed:
            add("error", ("meetings", "dates", index),
                f"steering-group meeting {day} is listed twice (also meetings.dates[{first_listed[day]}]): "
                "one status report is planned for it; write the date of the meeting that was meant")
        first_listed.setdefault(day, index)
    for index, day in enumerate(project.meetings.dates):
        if day < project.period.start:
            # a status report goes out before each meeting, and none can be made before the start:
            # most likely the year is wrong (the deadline calendar plans nothing for it)
            add("error", ("meetings", "dates", index),
                f"steering-group meeting {day} is before the project starts ({project.period.start}): no status "
                "report can be made for it; check the date (the year?)")
        elif day > project.period.end:
            add("warning", ("meetings", "dates", index),
                f"steering-group meeting {day} is outside the project period "
                f"{project.period.start} – {project.period.end}")

    # Risks: RF is computed; a written RF that disagrees is an error.
    for index, risk in enumerate(project.risks):
        if risk.rf is not None and risk.rf != risk.factor:
            add("error", ("risks", index, "rf"),
                f"RF {risk.rf} for {risk.risk!r} disagrees with S × K = "
                f"{risk.probability} × {risk.consequence} = {risk.factor}")

    # Milestones: inside the period and in date order.
    start, end = project.period.start, project.period.end
    for index, number in _dupes([m.number for m in project.milestones]):
        add("error", ("milestones", index, "number"), f"milestone number {number} appears twice")
    previous = None
    for index, ms in enumerate(project.milestones):
        where = ms.outside(project.period)      # the application's notes read it by the same rule
        if where and not ms.read_past_end(project.period):
            add("warning", ("milestones", index, "date"),
                f"milestone {ms.number:02d} ({ms.date:%Y-%m}{'' if ms.month_only else f'-{ms.date:%d}'}) "
                f"is outside the project period {start} – {end}")
        elif where:
            # a month that holds the end is read as its last day, after it ("2017-09" for a project
            # ending 20.09.2017): every document dates it 30.09, so it was never due within the
            # project; validate said nothing (found by an outside tester)
            add("warning", ("milestones", index, "date"),
                f"milestone {ms.number:02d} ({ms.date:%Y-%m}) is outside the project period {start} – {end}: a "
                f"month without a day is read as the month's last day, {ms.date:%d.%m.%Y}, after the project "
                f"ends {end:%d.%m.%Y}; give the day ({end} or earlier) if it is due by the end")
        if previous is not None and ms.date < previous.date:
            add("warning", ("milestones", index, "date"),
                f"milestone {ms.number:02d} is dated before milestone {previous.number:02d} (not in date order)")
        previous = ms
    marked = [(index, ms) for index, ms in enumerate(project.milestones) if ms.final_report]
    if len(marked) > 1:
        index, ms = marked[1]
        add("error", ("milestones", index, "final_report"),
            f"milestone {ms.number:02d} is marked final_report as milestone {marked[0][1].number:02d} is: one "
            "milestone is the delivery of the final report; remove the mark from the other")
    for index, number in _dupes([a.number for a in project.activities]):
        add("error", ("activities", index, "number"), f"activity number {number} appears twice")
    for index, fid in _dupes([f.id for f in project.funders]):
        add("error", ("funders", index, "id"), f"funder id {fid!r} appears twice")
    if project.steering_group and project.steering_group_leader() is None:
        # a leader written otherwise ('styreleder', 'leiar' before it was known) gave the copies to
        # the first member without a word (found by an outside tester)
        roles = ", ".join(LEADER_ROLES[:-1]) + f" or {LEADER_ROLES[-1]}"
        add("warning", ("steering_group",),
            f"no member of the steering group has a leader's role, so {project.steering_group[0].name} (the first "
            "member) gets the copies meant for the steering-group leader (steering_group_leader: by default the "
            f"application and the final report); give the leader the role {roles}")
    leaders = [(index, p) for index, p in enumerate(project.steering_group) if p.role.casefold() in LEADER_ROLES]
    if len(leaders) > 1:
        # two leaders: the first got the copies without a word (found by an outside tester)
        names = [p.name for _, p in leaders]
        add("warning", ("steering_group", leaders[1][0], "role"),
            f"more than one member of the steering group has a leader's role ({', '.join(names[:-1])} and "
            f"{names[-1]}), so {names[0]} (the first) gets the copies meant for the steering-group leader "
            "(steering_group_leader: by default the application and the final report); give the leader's "
            "role to one member only")
    for index, person in enumerate(project.steering_group):
        if not person.email:
            add("warning", ("steering_group", index, "email"),
                f"{person.name} has no e-mail address and will not receive status reports")

    # Data files against the plan.
    if data is not None and data.notes.evaluation is not None and project.data.notes:
        out.extend(_unknown_explanations(register, project, data.notes.evaluation.explanations))
    if data is not None:
        out.extend(data.findings)
        if data.ledger is not None:
            out.extend(_repeated_rows(data.ledger, LEDGER_REPEAT, "Beløp",
                                      "same date, category, description, amount and source", "cost"))
        if data.hours is not None:
            out.extend(_repeated_rows(data.hours, HOURS_REPEAT, "Timer",
                                      "same date, municipality, hours and description", "work"))
        numbers = {m.number for m in project.milestones}
        if data.milestones is not None:
            frame = data.milestones.frame
            for idx in frame.index[~frame["Milepæl"].isin(numbers)]:
                out.append(Finding("error", data.milestones.file, int(frame.at[idx, "_row"]), "Milepæl",
                                   f"milestone {frame.at[idx, 'Milepæl']} is not in the project plan"))
            out.extend(_milestone_progress(project, data.milestones))
        if data.ledger is not None:
            frame = data.ledger.frame
            categories = {c.casefold() for c in budget.categories()}
            in_kind = {line.category.casefold() for line in budget.costs if line.in_kind}
            for idx in frame.index[frame["Kategori"].str.casefold().isin(in_kind)]:
                out.append(Finding("error", data.ledger.file, int(frame.at[idx, "_row"]), "Kategori",
                                   f"{frame.at[idx, 'Kategori']!r} is own effort in the plan (in_kind: true): "
                                   "the accounts hold what was paid in cash; register own effort as hours "
                                   "in the hours file"))
            if categories:
                unknown = ~frame["Kategori"].str.casefold().isin(categories)
                said: dict[str, str] = {}            # each distinct category's message, found once
                for idx in frame.index[unknown]:
                    written = frame.at[idx, "Kategori"]
                    if written not in said:
                        # a hyphen for the budget's en dash, a doubled or non-breaking space: the two
                        # look the same, so the line says what differs (never taken as the budget's)
                        alike = lookalike(written, budget.categories(), "the budget")
                        said[written] = (
                            excel_display(written) or
                            (f"unknown budget category {written!r}: it differs from the budget category "
                             f"{alike[0]!r} {alike[1]}" if alike else
                             f"unknown budget category {written!r} (known: {', '.join(budget.categories())})"))
                    out.append(Finding("error", data.ledger.file, int(frame.at[idx, "_row"]), "Kategori",
                                       said[written]))
            outside = ~frame["År"].isin(project.period.years())
            for idx in frame.index[outside]:
                out.append(Finding("error", data.ledger.file, int(frame.at[idx, "_row"]), "År",
                                   f"year {frame.at[idx, 'År']} is outside the project period "
                                   f"{project.period.start.year}–{project.period.end.year}"))
            sources = {f.id.casefold() for f in project.funders} | {l.source.casefold() for l in budget.financing}
            named = frame["Finansieringskilde"].astype(str)
            folded = named.str.casefold()
            unknown_src = (named != "") & ~folded.isin(sources)
            known = sorted({f.id for f in project.funders} | {l.source for l in budget.financing}, key=str.casefold)
            by_name = {f.name.casefold(): f.id for f in project.funders}
            for idx in frame.index[unknown_src]:
                # an error: the row's amount would count for no funder, and the usage report to the
                # county governor would show that funder's money as unspent. A funder's name is not
                # unique (nothing keeps it apart from other names and sources), so it is not guessed.
                hint = by_name.get(named[idx].casefold())
                hint = f": it is the name of funder {hint!r}, write its id" if hint else ""
                out.append(Finding("error", data.ledger.file, int(frame.at[idx, "_row"]), "Finansieringskilde",
                                   excel_display(named[idx]) or
                                   f"unknown funding source {named[idx]!r} (known: {', '.join(known)}){hint}"))
            # a listed funder no paid line of the financing plan names: the row's money would count
            # for no funder (the final report's 'Uten finansieringskilde'), spent from a source the
            # plan does not finance. An error, as for an unknown source: which line it belongs to is
            # not guessed.
            funder_ids = {f.id.casefold(): f.id for f in project.funders}
            unplanned = folded.isin(funder_ids.keys() - plan_sources(project))
            for idx in frame.index[unplanned]:
                fid = funder_ids[named[idx].casefold()]
                out.append(Finding("error", data.ledger.file, int(frame.at[idx, "_row"]), "Finansieringskilde",
                                   f"funder {fid!r} has no paid line in the financing plan (budget.financing), so this "
                                   "amount would count for no funder (the final report shows it as 'Uten "
                                   f"finansieringskilde i regnskapet'): add a financing line with funder: {fid}, "
                                   "or book the row to a source of the plan"))
            out.extend(_beyond_budget(project, data.ledger))
            # own effort is not paid: booked in the accounts it would count as money spent (grantflow.owneffort)
            effort = {l.source.casefold() for l in budget.financing if l.kind == "egeninnsats"}
            for idx in frame.index[folded.isin(effort)]:
                out.append(Finding("error", data.ledger.file, int(frame.at[idx, "_row"]), "Finansieringskilde",
                                   f"{named[idx]!r} is own effort (egeninnsats), which is never paid: the accounts "
                                   "hold what was paid in cash; register own effort as hours in the hours file"))
            # a grant's rows that add up to less than nothing at a year's end would make its unused
            # amount more than was granted in the usage and final reports, which refuse to be made
            days = booked_on(frame)
            years = sorted({int(y) for y in frame["År"]})
            for funder in project.funders:
                if not funder.grants:
                    continue
                names = {funder.id.casefold()} | {l.source.casefold() for l in budget.financing
                                                  if l.funder == funder.id}
                for year in years:
                    found = credits_beyond_costs(frame, names, date(year, 12, 31), folded, days)
                    if found is not None:
                        out.append(Finding("error", data.ledger.file, found[0] or None, "Beløp",
                                           f"the rows booked to {funder.id!r} up to 31.12.{year} add up to "
                                           f"{money(found[1], decimals=None)}: credit notes beyond the costs they "
                                           "correct would report more unused than was granted; book each credit "
                                           "note to the source of the cost it corrects"))
                        break
    return out


def _beyond_budget(project: Project, ledger) -> list[Finding]:
    """An error per ledger row whose amount alone (a credit note's too) is more than the project's
    whole cost budget, every year and category together: no single invoice of a project costs more
    than the whole project, so it is a typo (digits repeated, a misplaced comma). A row of
    999 999 999 999,99 kr in a 640 000 kr project passed with "0 error(s)" and the final report
    billed the municipalities for its overspending (found by an outside tester). An error, so a
    document made with it goes out only with an override reason. Checked in check_project, whose
    findings every document is made with."""
    total = sum((project.budget.cost_kr(year) for year in project.budget.years()), Decimal(0))
    frame = ledger.frame
    if total <= 0 or frame.empty:
        return []            # no cost budget to measure by (its own findings say so)
    amounts = frame["Beløp"].astype(float).abs()
    out = []
    for idx in frame.index[amounts > float(total)]:
        amount = Decimal(repr(float(frame.at[idx, "Beløp"])))
        if abs(amount) <= total:
            continue         # a float a hair above an amount equal to the budget
        out.append(Finding("error", ledger.file, int(frame.at[idx, "_row"]), "Beløp",
                           f"{money(amount, decimals=None)} on one row is more than the project's whole cost "
                           f"budget ({money(total, decimals=None)}, all years and categories): check the amount "
                           "(digits repeated, a decimal comma in the wrong place?); every document would count "
                           "it, and one made with it is sent only with --override-reason"))
    return out


def _outside_period(project: Project, data: ProjectData | None) -> list[Finding]:
    """One warning for the ledger rows that count from a day after the project's end, one for
    those before its start (one rule, the day each row counts from). After the end: the final
    report per the end leaves them out and the usage report of their year counts them (only
    `render final` said so: found by a county governor's accountant). Before the start: every
    document counts them and the final report lists them as a deviation, which a cost of the
    preparation may well be; validate said nothing (found by an outside tester)."""
    from .reporting import amount_sum, booked_on

    if data is None or data.ledger is None or data.ledger.frame.empty:
        return []
    frame = data.ledger.frame
    start, end = project.period.start, project.period.end
    day = booked_on(frame)
    # a row whose year (År) is outside the period has its error (check_project): not said twice
    inside = frame["År"].isin(project.period.years())
    out = []
    for rows, side in ((frame[inside & (day < pd.Timestamp(start))], "before"),
                       (frame[inside & (day > pd.Timestamp(end))], "after")):
        if rows.empty:
            continue
        numbers = [int(r) for r in rows["_row"]]
        one = len(numbers) == 1
        it = "it" if one else "them"
        when = f"dated {rows['Dato'].iloc[0]:%d.%m.%Y}" if one else "dated"
        if side == "before":
            where = f"before the project starts {start:%d.%m.%Y}"
            what = (f"{'it is' if one else 'they are'} counted in the project's accounts, and the final report lists "
                    f"{it} as a deviation; if {'it is a cost' if one else 'they are costs'} of the project from before "
                    f"its start (preparation), explain {it} in the notes under '{BEFORE_START_EXPLANATION}'; "
                    "otherwise check the date")
        else:
            where = f"after the project ends {end:%d.%m.%Y}"
            what = (f"the final report per the project end leaves {it} out (render it with a later --as-of to take "
                    f"{it} in) and the usage report of the year counts {it}; check the date")
        out.append(Finding("warning", data.ledger.file, numbers[0], "Dato",
                           f"{count_shown(len(numbers))} ledger row{'' if one else 's'} "
                           f"({money(amount_sum(rows['Beløp']), decimals=None)}) {'is' if one else 'are'} {when}, "
                           f"{where} ({rows_named(numbers)}): {what}"))
    return out


def _old_export(project: Project, data: ProjectData | None, today: date | None = None) -> list[Finding]:
    """One warning, at the ledger's last row, when the project has ended (its final report is due or
    made) and that row lies long before the end (``reporting.stale_export``, the final report's
    rule): the final accounts, and the unused money to repay or settle, lack the last months' costs
    if the export is old. Only the final report's findings said so; the demo's summary sends the
    secretariat to validate, which said nothing (found by the county governor's case officer)."""
    from .reporting import booked_on, stale_export

    end = project.period.end
    if (today or clock.today()) < end:
        return []
    old = stale_export(data, end)
    if old is None:
        return []
    last, days = old
    frame = data.ledger.frame
    rows = frame["_row"][booked_on(frame) == pd.Timestamp(last)]
    return [Finding("warning", data.ledger.file, int(rows.max()) if len(rows) else None, "Dato",
                    f"the ledger's last row is dated {last:%d.%m.%Y}, {days} days before the project's end "
                    f"{end:%d.%m.%Y}: if the export is old, the final report's accounts lack the last months' "
                    "costs and its unused money to repay or settle is too high (the report says so); export "
                    "the ledger again before making and sending the final report")]


def _negative_categories(project: Project, data: ProjectData | None) -> list[Finding]:
    """One warning per budget category and year whose ledger rows add up to less than nothing,
    and the category's rows of every year until then too: a credit note beyond the costs it
    corrects (booked to another category, or before the cost).
    The status report showed 'Kompetanse og kurs | 50 000 | 50 000 | −5 000 | −55 000 | −110,0 %'
    without a word; negative totals were checked per funder only (found by an outside tester)."""
    from .reporting import amount_sum

    if data is None or data.ledger is None or data.ledger.frame.empty:
        return []
    frame = data.ledger.frame
    spelled = {c.casefold(): c for c in project.budget.categories()}
    written = frame["Kategori"].astype(str)
    keys = written.str.casefold()
    out = []
    so_far: dict = {}
    for (key, year), rows in frame.groupby([keys, frame["År"]], sort=True, observed=True):
        total = amount_sum(rows["Beløp"])
        so_far[key] = so_far.get(key, 0) + total
        if total >= 0 or so_far[key] >= 0:
            # a refund booked the year after the cost it corrects makes that year negative, and
            # booking it in the cost's year (as the warning said) brought "År differs from the
            # date's year": legitimate data had no clean state (found by a reviewer). Only more
            # credited than spent in the category by then is said.
            continue
        credits = [int(r) for r in rows.loc[rows["Kreditnota"].astype(bool), "_row"]] if "Kreditnota" in rows \
            else []
        numbers = credits or [int(r) for r in rows["_row"]]
        named = rows_named(numbers)
        if credits:
            named = "credit note " + named
        category = spelled.get(key, written[rows.index[0]])
        out.append(Finding("warning", data.ledger.file, numbers[0], "Beløp",
                           f"the rows of category {category!r} in {int(year)} add up to "
                           f"{money(total, decimals=None)}, and to {money(so_far[key], decimals=None)} in every year "
                           f"until then ({named}): more is credited than was spent in the category, and the status "
                           "report shows its spending as negative; book each credit note to the category of the "
                           "cost it corrects"))
    return out


def _beyond_award(project: Project, data: ProjectData | None) -> list[Finding]:
    """One warning per funder whose ledger rows add up to more than its award letters, at the row
    that passes the award: the funder pays no more than it granted, and the final report says the
    overspending (merforbruk) is the project owner's. validate said nothing of skjønnsmidler
    spent 5 185,51 kr beyond the grant (found by a county governor's accountant)."""
    from .reporting import amount_sum, booked_on

    if data is None or data.ledger is None or data.ledger.frame.empty:
        return []
    frame = data.ledger.frame
    sources = frame["Finansieringskilde"].astype(str).str.casefold()
    out = []
    for funder in project.funders:
        if not funder.grants:
            continue
        names = {funder.id.casefold()} | {l.source.casefold() for l in project.budget.financing
                                          if l.funder == funder.id}
        rows = frame[sources.isin(names)]
        granted = sum((g.amount for g in funder.grants), Decimal(0))
        spent = amount_sum(rows["Beløp"]) if len(rows) else Decimal(0)
        if spent <= granted:
            continue
        ordered = rows.assign(_day=booked_on(rows)).sort_values(["_day", "_row"], kind="stable")
        running, passing = Decimal(0), None
        for amount, row in zip(ordered["Beløp"], ordered["_row"]):
            running += amount_sum([amount])
            if passing is None and running > granted:
                passing = int(row)
            elif running <= granted:
                passing = None       # a credit note brought it back under: the row after counts
        out.append(Finding("warning", data.ledger.file, passing, "Finansieringskilde",
                           f"the rows booked to {funder.id!r} add up to {money(spent, decimals=None)}, "
                           f"{money(spent - granted, decimals=None)} more than the award letters from {funder.name} "
                           f"({money(granted, decimals=None)}); this row passes the award: the funder pays no more "
                           "than it granted, so the final report shows the overspending (merforbruk) as covered by "
                           "the project owner; check the rows' Finansieringskilde, or book the excess to another "
                           "source"))
    return out


def _no_source(data: ProjectData | None, project: Project | None = None) -> list[Finding]:
    """One warning for the project's ledger rows with a blank Finansieringskilde: how many, their
    sum, the first rows. A document that counts them says so on rendering (without the rows);
    validate said nothing (found by an outside tester). An error when the plan has a municipal
    line: those rows may be the municipalities' spending, so what the final report settles with
    them cannot be computed (it said "brukt 0 kr … 2 400 000 kr avregnes med kommunene" beside
    accounts 530 000 kr under budget; found by a member municipality's finance officer), and other
    rows name their source (a ledger that names none is a warning: the column is optional)."""
    from .reporting import amount_sum

    if data is None or data.ledger is None:
        return []
    frame = data.ledger.frame
    rows = frame[frame["Finansieringskilde"].astype(str).str.strip() == ""]
    if rows.empty:
        return []
    file = data.ledger.file
    numbers = [int(r) for r in rows["_row"]]
    count = len(numbers)
    shown = ", ".join(map(str, numbers[:ROWS_NAMED]))
    if count > ROWS_NAMED:
        shown += f" and {count_shown(count - ROWS_NAMED)} more"
    which = f"row {shown}" if count == 1 else f"rows {shown}"
    one = count == 1
    municipal = project is not None and any(l.kind == "kommunene" for l in project.budget.financing)
    # an error where the column is in use (other rows name their source): a blank there is a row
    # left out; a ledger that names no source anywhere (the column is optional) stays a warning
    used = len(rows) < len(frame)
    return [Finding("error" if municipal and used else "warning", file, numbers[0], "Finansieringskilde",
                   f"{count_shown(count)} ledger row{'' if one else 's'} ({money(amount_sum(rows['Beløp']), decimals=None)}) "
                   f"name{'s' if one else ''} no financing source ({which}): the final report shows "
                   f"{'it' if one else 'them'} as 'Uten finansieringskilde i regnskapet' and {'it counts' if one else 'they count'} "
                   "as spending of no grant"
                   + ("; the plan has a municipal share, so what is settled with the municipalities cannot be "
                      "computed until every row names its source" if municipal else "")
                   + "; write the source (a funder id or a financing line's source) in Finansieringskilde")]


def _invoiced_elsewise(register: Register, project: Project) -> list[Finding]:
    """A warning for each year the municipalities were invoiced (a cost split for it reached its
    readers, by the outputs' records) on another amount than the plan gives today, and for a
    period all invoiced whose invoices do not add up to the plan's municipal part. After a budget
    change the plan said 833 333 kr for a year invoiced 800 000 kr, and 33 333 kr was never
    invoiced, with no word anywhere (found by a member municipality's finance officer)."""
    from .documents.service import invoiced_on_record, output_dir
    from .settings import outputs_root

    council = register.councils.get(project.council)
    if council is None:
        return []                   # an unknown or broken council file: said by the register's checks
    folder = output_dir(outputs_root(), council, project)
    if not folder.is_dir():
        return []
    sent = {y: invoiced_by(h) for y, h in invoiced_on_record(folder).items() if h}
    if not sent:
        return []
    try:
        plan = municipal_part(project)
    except UserError:
        return []                   # said by the budget checks
    file, line = register.where("project", project.id, ("budget", "financing"))
    out = []
    if plan.source == "line":
        for year, inv in sorted(sent.items()):
            now = plan.by_year.get(year, 0)
            if now != inv.total:
                out.append(Finding("warning", file, line, "budget.financing",
                                   f"{year} was invoiced {money(inv.total)} (cost split {inv.document} version "
                                   f"{inv.version}, sent {inv.sent:%d.%m.%Y}); the plan's municipal line now gives "
                                   f"{money(now)}: the final report settles what was invoiced; send a new cost split "
                                   f"for {year} if the invoice is to be corrected"))
    whole = plan.rest if plan.source == "rest" else plan.total
    billed = sum(inv.total for inv in sent.values())
    if set(plan.by_year) <= set(sent) and billed != whole:
        gap = whole - billed
        out.append(Finding("warning", file, line, "budget.financing",
                           f"the cost splits sent for every year add up to {money(billed)}, the plan's municipal part "
                           f"is {money(whole)}: {money(abs(gap))} "
                           + ("is never invoiced" if gap > 0 else "more was invoiced")
                           + " (the final report says so and settles what was invoiced)"))
    return out


# What makes a row the same as another: every column that decides what it counts, and where.
LEDGER_REPEAT = ("Dato", "Kategori", "Beskrivelse", "Beløp", "Finansieringskilde", "Kreditnota")
HOURS_REPEAT = ("Dato", "Kommune", "Timer", "Beskrivelse")


def _repeated_rows(table, columns: tuple[str, ...], field: str, same: str, what: str) -> list[Finding]:
    """A row equal to an earlier one in every column that counts (a file appended to itself, an
    export run twice) is counted twice in every document. Two equal invoices can be genuine, so
    each repeat is a warning naming the row it repeats; a file with very many repeats gets the
    first ones and one line for the rest. Done here, not in the reader, which must stay fast."""
    frame = table.frame
    columns = [c for c in columns if c in frame.columns]
    if len(frame) < 2:
        return []
    repeated = frame.duplicated(subset=columns, keep=False).to_numpy()
    if not repeated.any():
        return []
    group = frame[repeated]
    first = group.groupby(columns, dropna=False, observed=True, sort=False)["_row"].transform("min").to_numpy()
    rows = group["_row"].to_numpy()
    later = rows != first
    order = np.argsort(rows[later], kind="stable")
    rows, first = rows[later][order], first[later][order]
    out = [Finding("warning", table.file, int(row), field,
                   f"row {row} repeats row {earlier} ({same}): both are counted; remove one if it is the same {what}")
           for row, earlier in zip(rows[:SHOWN_PER_COLUMN].tolist(), first[:SHOWN_PER_COLUMN].tolist())]
    rest = rows[SHOWN_PER_COLUMN:]
    if len(rest):
        out.append(Finding("warning", table.file, int(rest[0]), field,
                           f"… and {count_shown(len(rest))} more rows that repeat an earlier row, between rows "
                           f"{count_shown(int(rest[0]))} and {count_shown(int(rest[-1]))}: each is counted; remove those that "
                           f"are the same {what}"))
    return out


def _milestone_progress(project: Project, table) -> list[Finding]:
    """The progress file against the plan: a planned milestone without a row counts as not started
    (the status report calls it late, though it may be done); a day reached before the project
    started is a typo (the workbook import refuses it); one after the project ended may be late
    delivery, but should be seen."""
    out: list[Finding] = []
    frame = table.frame
    name = Path(table.file).name
    start, end = project.period.start, project.period.end
    if "Faktisk dato" in frame.columns:
        for row, number, actual in zip(frame["_row"], frame["Milepæl"], frame["Faktisk dato"]):
            if pd.isna(actual):
                continue
            actual = actual.date()
            if actual < start:
                out.append(Finding("error", table.file, int(row), "Faktisk dato",
                                   f"{actual:%d.%m.%Y} is before the project started ({start:%d.%m.%Y}); give the "
                                   "day the milestone was reached"))
            elif actual > end:
                out.append(Finding("warning", table.file, int(row), "Faktisk dato",
                                   f"{actual:%d.%m.%Y} is after the project ended ({end:%d.%m.%Y}): milestone "
                                   f"{int(number):02d} is reported reached after the end; check the date (the year?)"))
    if "Vedtaksdato" in frame.columns:
        # a decision after the end is plausible (the last steering-group meeting), one before the start a typo
        for row, decided in zip(frame["_row"], frame["Vedtaksdato"]):
            if not pd.isna(decided) and decided.date() < start:
                out.append(Finding("error", table.file, int(row), "Vedtaksdato",
                                   f"{decided.date():%d.%m.%Y} is before the project started ({start:%d.%m.%Y}); "
                                   "give the day it was decided"))
    # a file without rows is a project not yet reported on; a row refused for an error (an unknown
    # status, an unreadable number) is that error's line, not a missing row
    if frame.empty or any(f.severity == "error" for f in table.findings):
        return out
    listed = set(frame["Milepæl"].tolist())
    today = clock.today()
    for ms in project.milestones:
        if ms.number not in listed and ms.date < today:
            out.append(Finding("warning", table.file, None, "Milepæl",
                               f"milestone {ms.number:02d} of the plan has no row in {name}: it counts as not "
                               "started; add its row"))
    return out


def _payers_without_contact(register: Register, project: Project) -> list[Finding]:
    """A municipality with a share in the project's cost split (more than 0 kr in a budget year)
    and no ``contact``: the cost split, the basis of its invoice, is not sent to it. One line per
    such municipality, at its entry in the council's file; one line for the project when none of
    them has a contact (a council that has written no contacts yet). Only a warning: the others
    still get it. A split that cannot be made is said by the other checks."""
    from .costsplit import allocate, municipal_part
    from .errors import UserError

    council = register.councils.get(project.council)
    if council is None:
        return []
    try:
        part = municipal_part(project)
        if part.source == "none" and part.gap < 0:
            return []
        shares = [s for year, amount in sorted(part.by_year.items()) if amount > 0
                  for s in allocate(council, project, year, amount).shares]
    except UserError:
        return []
    payers = [m for m in council.municipalities if any(s.municipality == m.name and s.total > 0 for s in shares)]
    missing = [m for m in payers if not m.contact]
    if not missing:
        return []
    if len(missing) == len(payers) and len(payers) > 1:
        file, line = register.where("council", council.id, ("municipalities",))
        return [Finding("warning", file, line, "municipalities",
                        f"none of the {len(payers)} municipalities that pay a share of the cost split of {project.name} "
                        f"({', '.join(m.name for m in payers)}) has a contact address: the cost split goes to none "
                        "of them (add contact: with each municipality's e-mail address)")]
    out = []
    for member in missing:
        index = council.municipalities.index(member)
        file, line = register.where("council", council.id, ("municipalities", index))
        out.append(Finding("warning", file, line, f"municipalities[{index}].contact",
                           f"{member.name} pays a share of the cost split of {project.name} but has no contact "
                           f"address: the cost split is not sent to {member.name} (add contact: with the "
                           "municipality's e-mail address)"))
    return out


def _council_file(register: Register, project: Project) -> str:
    """The file of the project's council as findings name it, read or not (one that could not be
    read is named by the id)."""
    if project.council in register.councils:
        return register.where("council", project.council, ())[0]
    named = [p for p in (register.root / "councils").glob(f"{project.council}.*") if is_yaml(p)]
    return display_path(named[0]) if named else ""


def validate(path=None) -> tuple[Register, list[Finding]]:
    """Load and check everything under the config folder, or one project: a file in projects/
    checks that project, its data files and its council's file. Any other file of the folder
    (grantflow.yaml, a council file) stands for the whole folder, as it does for every other
    command: checking grantflow.yaml 'alone' said "0 error(s)" about a folder full of them."""
    register, findings = load_register(path)
    findings += check_councils(register)
    only = None
    if path is not None and is_yaml(Path(path)) and Path(path).parent.name == "projects":
        only = display_path(Path(path))
        # and its council file's own lines: an error there stops the project's documents too
        # (a population 0 said clean here was learnt on invoicing day; found by an outside tester)
        files = {only} | {_council_file(register, p) for p in register.projects.values()
                          if register.where("project", p.id, ())[0] == only}
        findings = [f for f in findings if f.file in files]
    checked: list[Finding] = []
    for project in register.projects.values():
        if only is None or register.where("project", project.id, ())[0] == only:
            data = collect(register, project, checked)
            checked += (check_project(register, project, data) + _no_source(data, project) + _outside_period(project, data)
                        + _negative_categories(project, data) + _old_export(project, data)
                        + _beyond_award(project, data) + _payers_without_contact(register, project)
                        + _invoiced_elsewise(register, project))
    # a ledger several projects share is checked once per project: each of its findings said once
    return register, list(dict.fromkeys(findings + checked))
