"""Søknad om skjønnsmidler: the application for discretionary funds.

The period rule of this kind (``period``) makes one application per year: the amount
applied for is what the financing plan's applied-for lines hold for that year, as the funder's
call is per year (a round), never the sum over the whole plan.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .. import fmt, owneffort
from ..deadlines import round_years as years_of_round
from ..costsplit import whole_plan
from ..models import Grant, Milestone, Person, Project
from ..reporting import (ReportPeriod, amount_sum, booked_on, check_years, grant_usage, kr, ledger_until,
                         milestone_statuses, parse_period)
from .common import (Context, DocumentRequest, addressee, council_block, doc_block, finding, lines,
                     project_block, risk_rows, split_block, year_rows)


def period(project: Project, period: str | None, as_of: date | None, today: date,
           previous_as_of: date | None = None) -> tuple[ReportPeriod, date]:
    """One application per year, dated --as-of or today. The year must be one of the project's.
    By default the first year applied for that has no award on record (the round still open);
    when every such year is decided, the first of them (the application as it was sent); without
    applied-for lines, the budget's first year. (It was always the budget's first year: a year
    after the award, ``send application P`` sent the decided round's application again, as
    "versjon 2, erstatter versjon 1", to the county governor.)"""
    if period:
        year = parse_period(period).start.year
        check_years(project, year, year, "--period", "an application's year")
    else:
        applied = applied_years(project)
        open_ = [y for y in applied if not awards_for(project, y)]
        years = project.budget.years()
        year = (open_ or applied or years or [project.period.start.year])[0]
    return ReportPeriod(str(year), date(year, 1, 1), date(year, 12, 31)), as_of or today


def options(period: str | None, dated: date | None) -> list[str]:
    """The options that make this application again: its year and the day it is dated."""
    return (["--year", period] if period else []) + (["--as-of", dated.isoformat()] if dated is not None else [])


def applied_years(project: Project) -> list[int]:
    """The years the financing plan applies for money in (an applied-for line with an amount)."""
    return sorted({y for line in project.budget.financing if line.applied_for
                   for y, amount in line.amounts.items() if amount})


def applied_funders(project: Project) -> set[str]:
    """The ids of the funders the financing plan applies to."""
    return {line.funder for line in project.budget.financing if line.applied_for and line.funder}


def awards_for(project: Project, year: int) -> list[tuple[str, Grant]]:
    """(funder name, award) of the applied-for funders' awards on record for ``year``."""
    ids = applied_funders(project)
    return [(f.name, g) for f in project.funders if f.id in ids for g in f.grants if g.year == year]


def applied_amount(project: Project, years: list[int]) -> int:
    """Kroner applied for in ``years``: the applied-for financing lines' amounts for those years."""
    budget = project.budget
    total = sum((line.amounts.get(y, Decimal(0)) for line in budget.financing if line.applied_for for y in years),
                Decimal(0))
    return kr(total * budget.unit)


def call_for(project: Project, year: int, when: date | None = None, council=None) -> tuple[str, str | None]:
    """(the words, a finding's message or None): the call (application round) this application is
    sent to. Of the applied-for funders' application rounds for ``year`` (``deadlines.round_years``),
    the first whose deadline is on or after the application's date ``when``; a round before that
    date is never its round (the last such is named as passed). A round that could be for ``year``
    or another year coming first makes it unclear: said, never guessed. (A round was for its own year
    whenever the plan applied for money then: the 2024 application dated 15.09.2023 named the round
    of 1. oktober 2024 and the 2025 one none; found by the county governor's tester, session 23.
    Before that any deadline of the year before counted: the 2020 application showed the round of
    17.01.2019, the 2019 application's; found by an outside tester.)"""
    ids = applied_funders(project)
    rounds = sorted((d.date, d.description or "Søknad", f.name, years_of_round(project, d)) for f in project.funders
                    if f.id in ids for d in f.deadlines if d.kind == "application")
    rounds = [r for r in rounds if year in r[3]]

    def named(name: str) -> str:
        return council.office_name(name, when) if council is not None and when is not None else name

    open_ = [r for r in rounds if when is None or r[0] >= when]
    if open_:
        due, text, name, years = open_[0]
        if len(years) > 1:
            return (f"Uklart: søknadsfristen {fmt.long_date(due)} ({text} – {named(name)}) kan gjelde {years[0]} "
                    f"eller {years[1]}; prosjektets frister sier ikke hvilket år runden gjelder",
                    f"the application round of {due:%d.%m.%Y} could be for {years[0]} or {years[1]}: the "
                    "application names it as unclear; name the year in the deadline's description")
        return f"{text} – {named(name)}; søknadsfrist {fmt.long_date(due)}", None
    if rounds:
        due, text, name, years = rounds[-1]
        either = f" (kan gjelde {years[0]} eller {years[1]})" if len(years) > 1 else ""
        return (f"Ingen åpen søknadsrunde for {year} i prosjektets frister: {text} – {named(name)}; søknadsfrist "
                f"{fmt.long_date(due)}{either} var før søknadens dato"), None
    return "Ikke angitt i prosjektets frister", None


def milestone_notes(project: Project) -> list[str]:
    """What is wrong with each milestone in the plan (outside the period, out of order), by
    validate's rule: a month without a day is its last day. The notes read it by its first day, so
    Haugaland's "2017-09" (30.09.2017, after the end 20.09.2017: validate's warning, the reports'
    date) stood unmarked in the application (found by the lead, session 21)."""
    out = []
    previous: Milestone | None = None
    for ms in project.milestones:
        note = []
        where = ms.outside(project.period)
        if where == "before":
            note.append("før prosjektstart")
        elif where == "after":
            note.append("etter prosjektslutt" + (f" (en måned uten dag leses som månedens siste dag, "
                                                 f"{fmt.long_date(ms.date)})"
                                                 if ms.read_past_end(project.period) else ""))
        if previous is not None and ms.date < previous.date:
            note.append(f"før milepæl {previous.number:02d}")
        out.append("Merk: " + " og ".join(note) if note else "")
        previous = ms
    return out


def earlier_grants(req: DocumentRequest, year: int) -> tuple[dict | None, dict[int, str]]:
    """Tidligere tildelinger og status: for a project the applied-for funders granted money before
    ``year`` (an award for an earlier year, decided by the application's date), what a county governor
    deciding a continuation needs: those awards (year, amount, case), what the ledger shows spent
    of them and of the project by the application's date, and the milestones finished and late by
    then; with each milestone's progress by number, for the plan's Merknad. (None, {}) for a first
    application. (The 2025 application said nothing of the 2024 grant, of what had been spent of it,
    nor of milestone 01 finished: found by the county governor's tester, session 23.)"""
    project, when = req.project, req.as_of
    ids = applied_funders(project)
    awarded = [(f, g) for f in project.funders if f.id in ids for g in f.grants
               if g.year < year and g.amount and (g.decided is None or g.decided <= when)]
    if not awarded:
        return None, {}
    decimals = fmt.ore_decimals([g.amount for _, g in awarded])
    grants = [{"year": str(g.year), "funder": req.council.office_name(f.name, when), "reference": g.reference or "–",
               "decided": g.decided.strftime("%d.%m.%Y") if g.decided else "–",
               "amount": fmt.number(g.amount, decimals)} for f, g in awarded]
    day = fmt.long_date(when)
    out = [f"Prosjektet har fått tildeling før denne søknaden. Status per søknadens dato, {day}:"]
    data = req.data
    if data is None or data.ledger is None:
        spent_lines = ["Prosjektregnskapet er ikke lagt inn, så forbruket kan ikke oppgis."]
    else:
        cut = ledger_until(data, when).ledger.frame
        last = booked_on(cut).max().date() if not cut.empty else None
        since = f"siste postering {fmt.long_date(last)}" if last else "ingen postering ennå"
        kinds = tuple({l.kind for l in project.budget.financing if l.applied_for and l.funder in ids})
        used = {u.funder_id: u.spent for u in
                grant_usage(project, data, max(when.year, *(g.year for _, g in awarded)), kinds, until=when)}
        spent_lines = []
        for funder in [f for f in project.funders if any(f is a for a, _ in awarded)]:
            mine = [g for f, g in awarded if f is funder]
            granted = sum((Decimal(g.amount) for g in mine), Decimal(0))
            spent = used.get(funder.id, Decimal(0))
            rest = (f"{fmt.money(granted - spent, decimals=None)} er ennå ikke brukt" if spent < granted else
                    "alt er brukt" if spent == granted else f"{fmt.money(spent - granted, decimals=None)} mer enn tildelt")
            spent_lines.append(
                f"Brukt av {'tildelingen' if len(mine) == 1 else 'tildelingene'} fra "
                f"{req.council.office_name(funder.name, when)} per {day} etter prosjektregnskapet ({since}): "
                f"{fmt.money(spent, decimals=None)} av {fmt.money(granted, decimals=None)}; {rest}.")
        spent_lines.append(f"Prosjektets kostnader i alt per {day}: "
                           f"{fmt.money(amount_sum(cut['Beløp']) if not cut.empty else 0, decimals=None)}.")
    statuses = milestone_statuses(project, data, when)
    progress: dict[int, str] = {}
    done, late = [], []
    for s in statuses:
        number = f"{s.milestone.number:02d}"
        if s.status == "done":
            after = f", {fmt.days(s.days_late)} etter planen" if s.days_late > 0 else ""
            done.append(f"{number} den {fmt.long_date(s.actual)}{after}" if s.actual else number)
            progress[s.milestone.number] = (f"Ferdig {fmt.long_date(s.actual)}" if s.actual else "Ferdig") + after
        elif s.status == "late":
            late.append(f"{number} {s.milestone.event} (planlagt {fmt.long_date(s.milestone.date, s.milestone.month_only)}, "
                        f"{fmt.days(s.days_late)} forsinket)")
            progress[s.milestone.number] = f"{fmt.days(s.days_late)} forsinket"
        elif s.status == "cancelled":
            progress[s.milestone.number] = "Avlyst"
    if statuses:
        text = (f"Milepæler per {day}: {len(done)} av {len(statuses)} er {'ferdig' if len(done) == 1 else 'ferdige'}"
                + (f" ({'; '.join(done)})" if done else "") + ". "
                + (f"Forsinket: {'; '.join(late)}." if late else "Ingen er forsinket."))
    else:
        text = "Prosjektplanen har ingen milepæler å måle framdriften mot."
    return {"intro": out[0], "grants": grants, "lines": [*spent_lines, text]}, progress


NOT_INVOICED = "Egeninnsatsen er kommunenes eget arbeid: den faktureres ikke og er ikke med i kostnadsfordelingen."


def own_effort_text(project: Project, rate_default) -> tuple[str, int | None]:
    """'2 073 timer à 600 kr = 1 243 800 kr' (hours and kroner) and the kroner value; a plan
    with own effort on both sides of the budget (grantflow.owneffort) gives its kroner there."""
    budget = project.budget
    hours, rate, value = owneffort.hours_value(project, rate_default)
    in_budget = kr(owneffort.in_kind_total(project))
    if in_budget:
        text = (f"Egeninnsats: {fmt.money(in_budget)}, ført både som kostnad og som finansiering"
                + (f" ({fmt.hours(hours)})" if hours else "") + ".")
        return f"{text} {NOT_INVOICED}", in_budget
    if not hours:
        return "Egeninnsats er ikke beregnet i prosjektplanen.", None
    text = f"Egeninnsats: {fmt.hours(hours)}"
    if rate is None:
        return text + f" (verdi i kroner ikke beregnet: timesats er ikke angitt). {NOT_INVOICED}", None
    source = "" if budget.own_effort_rate is not None else " (regionrådets standard timesats)"
    return (f"Egeninnsats: {fmt.hours(hours)}{owneffort.at_rate(hours, rate)}{source}. "
            f"{NOT_INVOICED}", value)


def build(req: DocumentRequest) -> Context:
    project, council = req.project, req.council
    budget = project.budget
    unit = budget.unit
    years = budget.years()
    round_years = [y for y in years if req.period.start.year <= y <= req.period.end.year] or [req.period.start.year]
    findings = []
    cost_rows, cost_total = year_rows([(c.category, c.amounts) for c in budget.costs], years)
    split = split_block(council, project, years, req.council_where, req.project_where, plan_as_of=req.as_of)
    part = split["part"]
    # A municipal line without amounts covers the rest: its row shows the rest per year as the
    # cost split bills it (the table summed to 0 kr beside costs of 5 450 000 kr).
    # Own effort on both sides of the budget (owneffort: validated equal each year) is shown on
    # both sides, so each table adds up to the same total; the balance is of the cash.
    # A line linked to a funder is named by the funder's entry, as the final report and the mails
    # name it ('Fylkesmannens skjønnsmidler' here beside 'Fylkesmannen i Rogaland (skjønnsmidler)'
    # in the final report: found by a reviewer); a funder's several lines are one row.
    # A municipal line written with øre is shown as the cost split bills it (whole kroner, the øre
    # carried from year to year): rounded in its year's column, 285 250,50 showed 285 251 beside
    # the 285 250 billed in section 10, and the table's Sum 875 752 beside a balance of 875 751.
    municipal_lines = [l for l in budget.financing if l.kind == "kommunene"]
    billed = len(municipal_lines) == 1 and part.source == "line"
    planned: dict[str, dict] = {}
    for l in budget.financing:
        amounts = l.amounts or ({y: Decimal(a) / unit for y, a in part.by_year.items() if a}
                                if l.kind == "kommunene" else {})
        if l.kind == "kommunene" and billed and unit == 1:
            amounts = {y: Decimal(a) for y, a in part.by_year.items() if l.amounts.get(y)}
        if not amounts:
            continue
        funder = project.funder(l.funder) if l.funder else None
        row = planned.setdefault(council.office_name(funder.name if funder else l.source, req.as_of), {})
        for y, a in amounts.items():
            row[y] = row.get(y, 0) + a
    fin_rows, fin_total = year_rows(list(planned.items()), years)
    # A year's difference is of the whole kroner: in a table in kroner, of its columns as printed
    # (each column adds up to its rounded sum); to the øre and then rounded, "2025: finansieringen er
    # −1 kr" stood under two columns that both showed 485 251.
    notes = []
    costs_whole, external_whole, municipal_whole = whole_plan(budget)
    for year in years:
        if unit == 1:
            column = sum((Decimal(str(a.get(year) or 0)) for a in planned.values()), Decimal(0))
            diff = kr(column) - kr(budget.cost_kr(year))
        else:
            diff = external_whole[year] + municipal_whole[year] - costs_whole[year]
        if diff and part.source != "rest":
            notes.append(f"{year}: finansieringen er {fmt.signed_money(diff)} mot kostnadene.")
    in_kind = kr(owneffort.in_kind_total(project))
    cash = " i kontanter" if in_kind else ""
    if part.source == "rest":
        balance = (f"Kommunene dekker resten{cash}: {fmt.money(part.total)} over perioden "
                   "(vist under kostnadsfordelingen).")
    elif part.gap == 0:
        balance = (f"Finansieringsplanen er i balanse: kostnader og finansiering{cash} er begge "
                   f"{fmt.money(part.costs)}.")
    else:
        balance = (f"Finansieringsplanen er ikke i balanse: kostnader{cash} {fmt.money(part.costs)}, finansiering "
                   f"{fmt.money(part.external + (part.total if part.source == 'line' else 0))} "
                   f"(avvik {fmt.signed_money(part.gap)}).")
    if in_kind:
        balance += (f" I tillegg står egeninnsats på {fmt.money(in_kind)} med samme beløp som kostnad og som "
                    "finansiering; den faktureres ikke.")
    applied = applied_amount(project, round_years)
    round_label = ", ".join(str(y) for y in round_years)
    if applied == 0:
        applied_text = f"Ingen skjønnsmidler omsøkt for {round_label}: finansieringsplanen har ikke omsøkt beløp dette året"
        findings.append(finding(req.project_file(project), "budget.financing",
                                f"the application for {round_label} applies for nothing: no applied-for "
                                f"financing line has an amount for {round_label}"))
    else:
        applied_text = f"{fmt.money(applied)} for {round_label}"
    decided = [a for y in round_years for a in awards_for(project, y)]
    if decided:
        name, grant = decided[0]
        about = ", ".join(x for x in (grant.reference, f"of {grant.decided.strftime('%d.%m.%Y')}" if grant.decided
                                      else "") if x)
        following = [y for y in applied_years(project) if y > round_years[-1] and not awards_for(project, y)]
        findings.append(finding(req.project_file(project), "funders.grants",
                                f"the {round_label} round is decided: the award from {name}"
                                + (f" ({about})" if about else "") + " is on record; sent, this application "
                                "reaches the county governor after the decision"
                                + (f"; the next round without an award is {following[0]} (--year {following[0]})"
                                   if following else "")))
    effort_text, effort_value = own_effort_text(project, req.options.own_effort_hourly_rate)
    if budget.own_effort_note:
        effort_text += f" {budget.own_effort_note}"
    when = req.as_of

    def person(role: str, org: str, p: Person | None) -> dict:
        # Work e-mail only; phone numbers are personal data and stay out of public documents.
        phone = f", tlf. {p.phone}" if p and req.include_personal_data and p.phone else ""
        return {"role": role, "organisation": org or (p.organisation if p else ""),
                "name": p.name if p else "Ikke angitt", "email": ((p.email or "") + phone) if p else ""}

    contact = project.contact or project.leader
    contacts = [person("Prosjekteier", project.owner, project.owner_contact),
                person("Prosjektansvarlig", project.responsible, project.responsible_contact),
                person("Prosjektleder", project.leader.organisation, project.leader)]
    if contact is not project.leader:
        contacts.append(person("Kontaktperson", contact.organisation, contact))
    ms_notes = milestone_notes(project)
    if any(ms_notes):
        findings.append(finding(req.project_file(project), "milestones",
                                "milestones outside the project period or out of date order are marked in the application"))
    signer = project.owner_contact
    call, unclear = call_for(project, round_years[0], when, council)
    history, progress = earlier_grants(req, round_years[0])
    if unclear:
        findings.append(finding(req.project_file(project), "funders.deadlines", unclear))
    values = {
        "doc": doc_block("Søknad om skjønnsmidler", project.name, round_label, council, when),
        "project": project_block(project),
        "council": {**council_block(council), "org_number": council.org_number or "Ikke oppgitt"},
        "addressee": addressee(council, when),
        "call": call,
        "text": {"summary": lines(project.summary), "background": lines(project.background),
                 "challenge": lines(project.challenge), "anchoring": lines(project.anchoring),
                 "organisation": lines(project.organisation), "transfer_value": lines(project.transfer_value)},
        "contacts": contacts,
        "participants": list(project.municipalities),
        "partners": list(project.partners),
        "goals": {"main": project.goals.main, "result": project.goals.result, "effect": project.goals.effect},
        "steering_group": [{"name": p.name, "role": p.role, "organisation": p.organisation}
                           for p in project.steering_group],
        "activities": [{"number": a.number, "title": a.title, "responsible": a.responsible or "–",
                        "purpose": fmt.sentences(x for x in (a.purpose and f"Hensikt: {a.purpose}",
                                                              a.result and f"Resultat: {a.result}") if x) or "–",
                        "subs": (f"{len(a.subactivities)} delaktiviteter ({a.subactivities[0].id}–"
                                 f"{a.subactivities[-1].id})" if len(a.subactivities) > 1 else
                                 a.subactivities[0].text if a.subactivities else "")}
                       for a in project.activities],
        "milestones": [{"number": f"{m.number:02d}", "date": fmt.long_date(m.date, m.month_only), "event": m.event,
                        "note": "; ".join(x for x in (progress.get(m.number, ""), note) if x)}
                       for m, note in zip(project.milestones, ms_notes)],
        "history": history,
        "risks": risk_rows(project),
        "success_factors": project.success_factors,
        "budget": {"unit_label": fmt.unit_label(unit, project.budget.vat), "years": years, "cost_rows": cost_rows,
                   "cost_total": cost_total, "financing_rows": fin_rows, "financing_total": fin_total,
                   "applied": applied_text, "own_effort": effort_text, "balance": balance,
                   "balance_notes": notes},
        "split": {k: v for k, v in split.items() if k not in ("splits", "part")},
        # the role left out when the name already says it ("Styreleder i Haugaland Vekst Regionråd"
        # above "styreleder": found by an outside tester)
        "signature": {"name": signer.name if signer else "",
                      "role": signer.role if signer and signer.role.casefold() not in
                      signer.name.casefold().split() else "",
                      "owner": project.owner},
    }
    totals = {str(y): int(budget.cost_kr(y)) for y in years}
    return Context(values, snapshot={"period": req.period.label, "totals": totals}, findings=findings, addressed=when,
                   key_figures={"Omsøkt beløp": fmt.money(applied),
                                "Egeninnsats": fmt.money(effort_value) if effort_value is not None else "–",
                                "Kostnader totalt": fmt.money(sum(budget.cost_kr(y) for y in years))})
