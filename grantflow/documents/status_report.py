"""Statusrapport: the status report to the steering group before a meeting."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from .. import fmt, owneffort
from ..models import Project, StatusNote
from ..errors import UserError
from ..reporting import (ECONOMY_AMBER_ABOVE, ECONOMY_AMBER_BELOW, ECONOMY_RED_ABOVE, RAG_COLOR, RAG_LABEL,
                          ReportPeriod, check_in_project, default_as_of, delivered_late, economy, hours_total, kr,
                          milestone_statuses, overall_rag, parse_period, progress_rag, risk_rag, round_once,
                          stale_export)
from .charts import BudgetChart, TimelineChart
from .common import (HOURS_NOT_REGISTERED, Context, DocumentRequest, council_block, decided_on, describe_changes, doc_block, finding,
                     no_ledger, project_block, rag, risk_rows, top_risks)

STATUS_COLOR = {"done": RAG_COLOR["green"], "with_report": RAG_COLOR["green"], "on_track": "DDEBF7",
                "late": RAG_COLOR["red"], "cancelled": RAG_COLOR["amber"], "not_started": RAG_COLOR["none"],
                "not_done": RAG_COLOR["red"]}
DONE_LATE_COLOR = RAG_COLOR["amber"]


def period(project: Project, period: str | None, as_of: date | None, today: date,
           previous_as_of: date | None = None) -> tuple[ReportPeriod, date]:
    """The report date and the days reported on: from the last report (or the project start) to
    the date given (default: today, never after the project end). A date before the project
    starts or after it ends, or a --period outside it, is refused: there is nothing to report then."""
    if period:
        parsed = parse_period(period)
        check_in_project(project, parsed.start, parsed.end, "--period", period)
        end = min(parsed.end, project.period.end)
        return ReportPeriod(parsed.label, parsed.start, end), end
    when = as_of or default_as_of(project, today)
    if when < project.period.start:
        given = f"{when.isoformat()} is" if as_of else f"today ({when.isoformat()}) is"
        raise UserError(f"{given} before the project starts ({project.period.start.isoformat()}): "
                        "a status report needs a date in the project period", field="--as-of")
    if as_of is not None and as_of > project.period.end:
        # (a typo such as 2099 for 2019 made 'status-2099-01-01' and sent it to the steering group)
        raise UserError(f"{as_of.isoformat()} is after the project ends ({project.period.end.isoformat()}): a status "
                        "report needs a date in the project period; after it comes the final report", field="--as-of")
    start = previous_as_of + timedelta(days=1) if previous_as_of and previous_as_of < when else project.period.start
    return ReportPeriod(when.isoformat(), start, when), when


def options(period: str | None, dated: date | None) -> list[str]:
    """The options that make this report again (``period`` above, inverted): a report dated by
    --as-of (its period is that day) by that day, one made for a --period by that period."""
    if dated is not None and period in (None, dated.isoformat()):
        return ["--as-of", dated.isoformat()]
    return ["--period", period] if period else []


def _share(value) -> str:
    return fmt.percent(value, 1) if value is not None else "–"


def _off(ratio: Fraction) -> str:
    """``5 %`` for 1.05 or 0.95."""
    return fmt.percent(Decimal(abs(ratio - 1).numerator) / Decimal(abs(ratio - 1).denominator))


def _off_precisely(off: Fraction) -> str:
    """How far the forecast is off the budget, never printed as a colour's threshold it is not on:
    5,02 % over is amber, and "5,0 % over (gul: fra 5 % til 15 % over)" read as green."""
    thresholds = [abs(t - 1) for t in (ECONOMY_AMBER_BELOW, ECONOMY_AMBER_ABOVE, ECONOMY_RED_ABOVE)]
    return fmt.percent_beside(Decimal(off.numerator) / Decimal(off.denominator),
                              [Decimal(t.numerator) / t.denominator for t in thresholds])


def economy_comment(econ, period=None) -> str:
    """The economy row's comment: first what its colour is decided by (the forecast for the whole
    period against the budget, and the rule that gives this colour), then the accounts to date.
    It led with the accounts against the plan to date, and a reader took that for the reason:
    "Grønn" beside 600 000 kr spent against 296 892 kr planned."""
    to_date = (f"Regnskap {fmt.money(econ.actual_total)} mot planlagt {fmt.money(econ.planned_to_date)} "
               f"til nå ({fmt.signed_money(econ.actual_total - econ.planned_to_date)}).")
    if econ.rag == "none":
        return f"Ingen budsjett å vurdere mot. {to_date}"
    ratio = Fraction(econ.forecast_total, econ.budget_total)
    off = _off_precisely(abs(ratio - 1))
    where = "lik budsjettet" if ratio == 1 else f"{off} {'over' if ratio > 1 else 'under'} budsjettet"
    rule = {"green": f"fra {_off(ECONOMY_AMBER_BELOW)} under til {_off(ECONOMY_AMBER_ABOVE)} over",
            "red": f"mer enn {_off(ECONOMY_RED_ABOVE)} over"}.get(econ.rag) or (
        f"fra {_off(ECONOMY_AMBER_ABOVE)} til {_off(ECONOMY_RED_ABOVE)} over" if ratio > 1
        else f"mer enn {_off(ECONOMY_AMBER_BELOW)} under")
    text = (f"Vurderingen følger prognosen for hele perioden: {fmt.money(econ.forecast_total)} mot budsjett "
            f"{fmt.money(econ.budget_total)}, {where} ({RAG_LABEL[econ.rag].lower()}: {rule}).")
    for year in econ.forecast_is_budget:
        text += f" Prognosen for {year} er årets budsjett: det er for tidlig i året til å regne fram fra regnskapet."
    if econ.unbudgeted_years:
        # Nord-Gudbrandsdal runs to 30.06.2021 with no 2021 costs in its budget: the forecast
        # "for the whole period" stopped at 2020 and nothing said so
        years = fmt.listing([str(y) for y in econ.unbudgeted_years])
        text += (f" Budsjettet har ingen kostnader for {years}, som er med i prosjektperioden "
                 f"({fmt.long_date(period.start)} – {fmt.long_date(period.end)}): prognosen for hele perioden "
                 f"tar bare med det som er bokført for {'det året' if len(econ.unbudgeted_years) == 1 else 'de årene'}.")
    return f"{text} {to_date}"


def _sign(value) -> int:
    return (value > 0) - (value < 0)


def table_figures(lines, unit: int) -> tuple[list[int], list[int], list[int]]:
    """The economy table's budget, plan to date and accounts per line in whole ``unit``s, each
    column rounded once (it adds up to its rounded sum), and no row's deviation (accounts minus
    plan, as printed) of the opposite sign to the real one: in 1000 kr, 474 599 kr of accounts
    against 474 316,94 kr planned printed 474 against 475, "−1" beside "+0,1 %", because the
    columns' leftover units went to other rows. Such a row's unit is moved to another row of its
    column (the next largest remainder), where that makes no contradiction of its own."""
    budget = round_once([l.budget for l in lines], unit)
    planned = round_once([l.planned for l in lines], unit)
    actual = round_once([l.actual for l in lines], unit)
    p = [Fraction(l.planned, unit) for l in lines]
    a = [Fraction(l.actual, unit) for l in lines]

    def contradicts(i: int) -> bool:
        return _sign(a[i] - p[i]) * _sign(actual[i] - planned[i]) < 0

    def within(c: Fraction, value: int) -> bool:
        return math.floor(c) <= value <= math.ceil(c)

    for i in range(len(lines)):
        if not contradicts(i):
            continue
        want = _sign(a[i] - p[i])
        done = False
        for column, exact, delta in ((planned, p, -want), (actual, a, want)):
            if not within(exact[i], column[i] + delta):
                continue
            # the row that takes (or gives) the unit instead: the largest (smallest) remainder first
            others = sorted((j for j in range(len(lines)) if j != i and within(exact[j], column[j] - delta)),
                            key=lambda j: (exact[j] - math.floor(exact[j])) * (1 if delta < 0 else -1), reverse=True)
            for j in others:
                column[i] += delta
                column[j] -= delta
                if not contradicts(i) and not contradicts(j):
                    done = True
                    break
                column[i] -= delta
                column[j] += delta
            if done:
                break
    return budget, planned, actual


def economy_rows(econ, unit: int) -> tuple[list, dict]:
    """Per year and category: the year's budget, the plan pro rata to the report date, the
    accounts and the deviation from that plan, each column rounded once to the unit."""
    lines = econ.lines
    budget, planned, actual = table_figures(lines, unit)
    rows = [{"year": line.year, "category": line.category, "budget": fmt.number(b), "planned": fmt.number(p),
             "actual": fmt.number(a), "deviation": fmt.number(a - p), "share": _share(line.plan_deviation_share)}
            for line, b, p, a in zip(lines, budget, planned, actual)]
    plan_total = sum(l.planned for l in lines)
    total = {"budget": fmt.number(sum(budget)), "planned": fmt.number(sum(planned)),
             "actual": fmt.number(sum(actual)), "deviation": fmt.number(sum(actual) - sum(planned)),
             "share": _share(Decimal(econ.actual_total - plan_total) / plan_total if plan_total else None)}
    return rows, total


def charts_for(project, statuses, econ, as_of, by_year: bool = False, marker: str = "Rapportdato") -> dict:
    """The budget and milestone charts; None for a chart with nothing to draw (no budget
    categories, no milestones): the table above it already says so.

    The bars carry the table's figures: Word rounds each label on its own, and 100,5 and 200,5
    (in 1000 kr) were labelled 101 and 201 beside a table's 100 and 201. ``by_year``: the table
    has a row per year and category (the status report), and a bar is the sum of its rows as
    printed; else a row per category, rounded once (the final report).

    Its series say what they compare, as the table's columns: the status report's whole-period
    budget, the plan to date and the accounts to date ("Budsjett" beside "Regnskap" set 1 800 000
    against 900 000 spent to date without a word: found by an outside tester); the final report's
    budget and accounts for the whole period (or to its date, made before the end)."""
    cats, unit = econ.by_category(), project.budget.unit
    planned = None
    if by_year:
        bars = {c.category: [0, 0, 0] for c in cats}
        lines = econ.lines
        for line, *figures in zip(lines, *table_figures(lines, unit)):
            for k, value in enumerate(figures):
                bars[line.category][k] += value
        budget, planned, actual = (tuple(bars[c.category][k] * unit for c in cats) for k in (0, 1, 2))
        actual_name = "Regnskap til nå"
    else:
        # the bars carry the final report's table figures (to the øre where it prints øre)
        budgets, actuals, places = econ.category_figures(unit)
        budget, actual = (tuple(float(v) if places else v * unit for v in values) for values in (budgets, actuals))
        actual_name = ("Regnskap hele perioden" if as_of >= project.period.end
                       else f"Regnskap per {fmt.short_date(as_of)}")
    return {
        "chart_budget": BudgetChart(tuple(c.category for c in cats), budget, actual, unit, planned=planned,
                                    actual_name=actual_name) if cats else None,
        # Full labels: the chart wraps them, a reader never sees a milestone cut off.
        "chart_timeline": TimelineChart(tuple(f"{s.milestone.number:02d} {s.milestone.event}" for s in statuses),
                                        tuple(s.milestone.date for s in statuses),
                                        tuple(s.actual for s in statuses),
                                        tuple(s.status if s.status != "not_done" else "late" for s in statuses),
                                        as_of, marker=marker) if statuses else None,
    }


def milestone_rows(statuses) -> list[dict]:
    """Milestone table rows; a delay in days shows wherever a milestone was late, done or not."""
    return [{"number": f"{s.milestone.number:02d}", "event": s.milestone.event,
             # a planned day as the delivered day beside it (an outside tester read "15. oktober 2020"
             # beside "09.10.2020"); a month-precision plan date as its month ("oktober 2015")
             "planned": fmt.long_date(s.milestone.date, True) if s.milestone.month_only
             else fmt.short_date(s.milestone.date),
             "status": s.label_with_delay,
             "color": DONE_LATE_COLOR if s.status == "done" and s.delayed else STATUS_COLOR[s.status],
             "actual": fmt.short_date(s.actual), "comment": s.comment,
             "days": fmt.number(s.days_late) if s.delayed else ""}
            for s in statuses]


def stale_since(project: Project, note: StatusNote | None, period_start: date, as_of: date,
                max_days: int) -> date | None:
    """The note's date when it is older than the reporting period, the last steering-group
    meeting before the report date, or ``max_days``; else None."""
    if note is None:
        return None
    meetings = [d for d in project.meetings.dates if d < as_of]
    cutoff = max([period_start, as_of - timedelta(days=max_days)] + meetings[-1:])
    return note.as_of if note.as_of < cutoff else None


NO_MILESTONES = "Ingen milepæler er lagt inn."


def sentence(text: str) -> str:
    """Text ending as a sentence, so the next one does not run on ("… i rute» 4 av 7 …")."""
    return text if not text or text.rstrip("»”\"'")[-1:] in (".", "!", "?", ":") else text + "."


NOT_REPORTED = "ikke rapportert"
NO_ANSWER = "Ikke rapportert: prosjektleder svarte ikke innen fristen."
PROPOSAL = " Forslag til vedtak: "      # how the collection workbook writes a decision with its proposal


def decision_rows(note: StatusNote | None) -> list[dict]:
    """Each matter with its proposed decision, from 'Sak. Forslag til vedtak: …'."""
    out = []
    for item in (note.decisions if note else []):
        matter, _, proposal = item.partition(PROPOSAL)
        matter, proposal = matter.strip(), proposal.strip()
        out.append({"matter": matter, "proposal": proposal or "Forslag til vedtak mangler.", "missing": not proposal})
    return out


def own_effort(project: Project, data, as_of: date) -> dict:
    """Own-effort hours registered to date against the plan (whole period and pro rata)."""
    hours = hours_total(data, as_of)
    planned = project.budget.own_effort_hours
    shown = fmt.hours(hours)      # as exact as they are, whole ones without decimals, as every document
    out = {"hours": shown, "planned": "", "text": f"{shown} registrert til nå."}
    if project.data.hours is None:
        # No hours file: nothing was registered here, which is not the same as zero hours.
        out["hours"], out["text"] = "", HOURS_NOT_REGISTERED.capitalize() + "."
        if planned:
            out["planned"] = fmt.hours(planned)
            out["text"] += f" Planlagt egeninnsats er {fmt.hours(planned)} for hele perioden."
    elif planned:
        start, end = project.period.start, project.period.end
        share = min(Fraction(max((as_of - start).days + 1, 0), (end - start).days + 1), Fraction(1))
        pro_rata = Fraction(Decimal(str(planned))) * share
        pro_rata = Decimal(pro_rata.numerator) / Decimal(pro_rata.denominator)
        out["planned"] = fmt.hours(planned)
        out["text"] = (f"{shown} registrert til nå mot {fmt.hours(pro_rata, 0)} "
                       f"planlagt til nå ({fmt.hours(planned)} for hele perioden).")
        if hours > planned:
            out["text"] += (f" Det er {fmt.hours(hours - Decimal(str(planned)))} mer enn planlagt "
                            "for hele perioden.")
    in_kind = kr(owneffort.in_kind_total(project))
    if in_kind:
        out["text"] += (f" I budsjettet er egeninnsatsen verdsatt til {fmt.money(in_kind)}, ført som kostnad og "
                        "som finansiering; den er ikke med i økonomitabellen og faktureres ikke.")
    return out


def not_reported(rows: list[dict], statuses) -> list[dict]:
    """Open milestones without a comment say that the project leader did not report on them."""
    return [{**row, "comment": row["comment"] or NOT_REPORTED.capitalize()} if s.status != "done" else row
            for row, s in zip(rows, statuses)]


def build(req: DocumentRequest) -> Context:
    project, council, as_of = req.project, req.council, req.as_of
    unit = project.budget.unit
    statuses = milestone_statuses(project, req.data, as_of)
    econ = economy(project, req.data, as_of)
    note = req.data.notes.note_for(as_of) if req.data is not None else None
    findings = no_ledger(req, project)
    stale = stale_since(project, note, req.period.start, as_of, req.options.stale_note_days)
    stale_text = f"Ikke oppdatert siden {fmt.long_date(stale)}." if stale else ""
    if stale:
        findings.append(finding(req.notes_file(project), "status.as_of",
                                f"the latest status note is dated {stale}, older than the reporting period "
                                f"(report date {as_of}): the report says 'ikke oppdatert siden'"))
    unreported = bool(note and note.not_reported)
    if unreported:
        findings.append(finding(req.notes_file(project), "status",
                                f"the project leader did not report for {as_of}: the parts they report say "
                                f"'{NOT_REPORTED}'"))
    if note is None:
        findings.append(finding(req.notes_file(project), "status",
                                f"no status note dated on or before {as_of}: quality, benefits and the overall "
                                "assessment are shown as not assessed"))
    # an old ledger export: the accounts to date and the forecast lack its last months (the ERP
    # report per 21.11.2014 on a ledger ending 30.06.2014 said Økonomi Grønn with no word: found by
    # an outside tester); the final and usage reports' rule and threshold: a row after the report's
    # day shows the export was made after it, so quiet months before it are no old export
    old_ledger = stale_export(req.data, as_of)
    stale_ledger_text = ""
    if old_ledger is not None:
        last, days = old_ledger
        stale_ledger_text = (f"Regnskapet har siste postering {fmt.long_date(last)}, {fmt.days(days)} før "
                             "rapportdatoen: er eksporten gammel, mangler regnskapet til nå og prognosen "
                             "kostnadene etter denne datoen.")
        findings.append(finding(req.data_file(project, project.data.ledger), "Dato",
                                f"the ledger's last row is dated {last:%d.%m.%Y}, {days} days before the report "
                                f"date {as_of:%d.%m.%Y}: if the export is old, the accounts to date and the "
                                "forecast lack the last months' costs; export the ledger again before sending"))
    prog, eco, risk = progress_rag(statuses, req.period.start), econ.rag, risk_rag(project)
    overall = overall_rag(prog, eco, risk)
    late = [s for s in statuses if s.status == "late"]
    done = sum(s.status == "done" for s in statuses)
    done_late = [s for s in statuses if s.status == "done" and s.delayed]
    cancelled = sum(s.status == "cancelled" for s in statuses)
    in_period = delivered_late(statuses, req.period.start)      # why progress is amber with none late
    top = max(project.risks, key=lambda r: r.factor) if project.risks else None

    def assessed(value, what):
        if unreported:
            return {**rag("none"), "comment": NO_ANSWER}
        if not (note and value):
            return {**rag("none"), "comment": f"{what} er ikke vurdert av prosjektleder."}
        comment = value.comment + (f" ({stale_text.rstrip('.').lower()}.)" if stale else "")
        return {**rag(value.rag), "comment": comment.strip()}

    dimensions = [
        {"name": "Fremdrift", **rag(prog),
         "comment": f"{done} av {len(statuses)} {'milepæl' if len(statuses) == 1 else 'milepæler'} ferdig"
                    + (f" ({len(done_late)} etter planlagt dato)" if done_late else "")
                    + f"; {len(late)} forsinket"
                    + (f"; {cancelled} avlyst." if cancelled else ".")
                    + (f" Eldste forsinkelse: milepæl {late[0].milestone.number:02d}, {fmt.days(late[0].days_late)}."
                       if late else "")
                    + (" Levert etter planlagt dato i rapportperioden: "
                       + fmt.listing(f"milepæl {s.milestone.number:02d} ({fmt.days(s.days_late)})" for s in in_period)
                       + "." if in_period else "") if statuses else NO_MILESTONES},
        {"name": "Økonomi", **rag(eco), "comment": economy_comment(econ, project.period)
         + (f" Regnskapet er ført til {fmt.long_date(old_ledger[0])} (se avsnitt 4)." if old_ledger else "")},
        {"name": "Kvalitet", **assessed(note.quality if note else None, "Kvaliteten")},
        {"name": "Risiko", **rag(risk),
         "comment": f"Høyeste risikofaktor {top.factor} ({top.risk})." if top else "Ingen risikoer registrert."},
        {"name": "Gevinster", **assessed(note.benefits if note else None, "Gevinstene")},
    ]
    auto_text = ((f"{done} av {len(statuses)} {'milepæl er ferdig' if len(statuses) == 1 else 'milepæler er ferdige'}"
                  + (f" ({len(in_period)} levert etter planlagt dato i rapportperioden)" if in_period else "")
                  + f", {len(late)} er forsinket. " if statuses
                  else f"{NO_MILESTONES} ")
                 + f"Prognosen er {fmt.money(econ.forecast_total)} mot et budsjett på {fmt.money(econ.budget_total)}.")
    summary = note.summary if note and note.summary else ""
    if stale and summary:
        summary = f"Prosjektleders vurdering er ikke oppdatert siden {fmt.long_date(stale)}: «{summary}»"
    elif unreported:
        summary = NO_ANSWER
    elif not summary:
        summary = "Prosjektleder har ikke skrevet en samlet vurdering."
    elif note.as_of != as_of:
        # a note weeks old read as written the report's day, beside a milestone late since (an outside reader)
        summary = f"Prosjektleders vurdering (meldt {fmt.long_date(note.as_of)}): «{summary}»"
    # "Samlet vurdering: Grønn" beside quality and benefits "Ikke vurdert" read as a judgement of all
    # five (found by an outside tester): the overall colour is said to rest on the three computed
    unrated = [d["name"].lower() for d in dimensions if d["name"] in ("Kvalitet", "Gevinster") and d["code"] == "none"]
    rated = [name for name, code in (("fremdrift", prog), ("økonomi", eco), ("risiko", risk)) if code != "none"]
    basis = (f" Samlet status bygger på {fmt.listing(rated)}; {fmt.listing(unrated)} er ikke vurdert."
             if unrated and overall != "none" and rated else "")
    overall_block = {**rag(overall), "text": f"{sentence(summary)} {auto_text}{basis}"}
    rows, total = economy_rows(econ, unit)
    # a milestone postponed by decision says so here too, as its row does ("Utsatt, 15 dager forsinket")
    deviations = [f"Milepæl {s.milestone.number:02d} «{s.milestone.event}» "
                  + (f"ble utsatt{decided_on(s)} og " if s.postponed else "") + f"er {fmt.days(s.days_late)} forsinket."
                  for s in late]
    deviations += [f"Milepæl {s.milestone.number:02d} «{s.milestone.event}» ble ferdig "
                   f"{fmt.days(s.days_late)} etter planen." for s in done_late]
    # the comment after "er avlyst" without its own "Avlyst:" (it read "er avlyst: Avlyst: …")
    deviations += [f"Milepæl {s.milestone.number:02d} «{s.milestone.event}» er avlyst{decided_on(s)}"
                   + (f": {comment.rstrip('.')}." if comment else ".")
                   for s in statuses if s.status == "cancelled" for comment in [fmt.after_said(s.comment, ("avlyst",))]]
    if econ.unknown_categories:
        deviations.append("Regnskapet har poster i kategorier som ikke finnes i budsjettet: "
                          + ", ".join(econ.unknown_categories) + ".")
    from_note = f" (fra statusnotatet {fmt.long_date(stale)}, ikke oppdatert)" if stale else ""
    deviations += [d + from_note for d in note.deviations] if note else []
    if unreported:
        deviations.append(f"Prosjektleders avvik og forklaringer: {NOT_REPORTED}.")
    decisions = decision_rows(note) or ([{"matter": f"{NOT_REPORTED.capitalize()} av prosjektleder.",
                                         "proposal": "–", "missing": False}] if unreported else [])
    for item in decisions:
        if item["missing"]:
            findings.append(finding(req.notes_file(project), "status.decisions",
                                    f"no proposed decision (forslag til vedtak) for {item['matter']!r}"))
    # A stale note's matter may long be settled: marked as its deviations and next-period items are.
    decisions = [{**item, "matter": item["matter"] + from_note} for item in decisions]
    horizon = as_of + timedelta(days=120)
    upcoming = [f"Milepæl {s.milestone.number:02d} «{s.milestone.event}» – planlagt "
                f"{fmt.long_date(s.milestone.date, s.milestone.month_only)}"
                for s in statuses if s.status in ("on_track", "not_started") and s.milestone.date <= horizon]
    start = req.period.start
    effort = own_effort(project, req.data, as_of)
    risks = top_risks(project, req.options.top_risk_rf)
    snapshot = {"as_of": as_of.isoformat(), "as_of_text": fmt.long_date(as_of),
                "milestones": {f"{s.milestone.number:02d}": s.label for s in statuses},
                "overall": overall, "progress": prog, "economy": eco, "risk": risk,
                "actual_total": econ.actual_total, "forecast_total": econ.forecast_total}
    values = {
        "doc": doc_block("Statusrapport", project.name,
                         f"{fmt.long_date(start)} – {fmt.long_date(as_of)}", council, as_of),
        "project": project_block(project),
        "council": council_block(council),
        "as_of": fmt.long_date(as_of),
        "addressee": addressee(project, as_of),
        "overall": overall_block,
        "dimensions": dimensions,
        "milestones": not_reported(milestone_rows(statuses), statuses) if unreported else milestone_rows(statuses),
        "economy": {"unit_label": fmt.unit_label(unit), "rows": rows, "total": total,
                    "budget_total": fmt.money(econ.budget_total), "actual_total": fmt.money(econ.actual_total),
                    "planned_to_date": fmt.money(econ.planned_to_date),
                    "forecast_total": fmt.money(econ.forecast_total),
                    "forecast_deviation": fmt.signed_money(econ.forecast_deviation),
                    "hours": effort["text"], "stale": stale_ledger_text},
        "top_risks": risk_rows(project, risks),
        "risk_rule": risk_rule(project, risks, req.options.top_risk_rf),
        "deviations": deviations,
        "decisions": decisions,
        "next_period": upcoming + ([d + from_note for d in note.next_period] if note else [])
                       + ([f"Prosjektleders plan for neste periode: {NOT_REPORTED}."] if unreported else []),
        "changes": describe_changes(req.previous, snapshot),
    }
    return Context(values, charts=charts_for(project, statuses, econ, as_of, by_year=True), snapshot=snapshot,
                   findings=findings,
                   key_figures={**meeting_for(project, as_of),
                                "Samlet status": rag(overall)["label"],
                                "Milepæler forsinket": str(len(late)),
                                "Regnskap til nå": fmt.money(econ.actual_total),
                                "Prognose": fmt.money(econ.forecast_total)})


def meeting_date(project, as_of) -> date | None:
    """The steering-group meeting the report is made for: the first on or after its date, within a month."""
    coming = [d for d in project.meetings.dates if as_of <= d <= as_of + timedelta(days=31)]
    return coming[0] if coming else None


def meeting_for(project, as_of) -> dict:
    """The meeting as the mail's first key figure: the mail did not say which meeting (found by an
    outside tester)."""
    when = meeting_date(project, as_of)
    return {"Til styringsgruppemøtet": fmt.long_date(when)} if when else {}


def addressee(project, as_of) -> str:
    """The report's "Til" line: the meeting it is for, so a printed or forwarded copy says it too."""
    when = meeting_date(project, as_of)
    return f"Styringsgruppens møte {fmt.long_date(when)}" if when else "Styringsgruppen"


_FEW = {0: "ingen", 1: "én", 2: "to", 3: "tre"}


def risk_rule(project, shown: list, threshold: int) -> str:
    """What the risk table shows, in words that fit it: every risk at or above the threshold,
    or (fewer than three of those) the three highest, saying how many reach it."""
    if not project.risks:
        return ""
    reach = sum(r.factor >= threshold for r in project.risks)
    if reach == len(shown):
        return f"Alle risikoer med risikofaktor {threshold} eller høyere."
    if len(shown) == 1:
        return f"Prosjektets eneste risiko; den har lavere risikofaktor enn {threshold}."
    some = _FEW.get(reach, str(reach))
    has = f"{'ingen av dem' if reach == 0 else f'bare {some}'} har risikofaktor {threshold} eller høyere"
    if len(shown) == len(project.risks):
        return f"Alle prosjektets {_FEW.get(len(shown), str(len(shown)))} risikoer; {has}."
    return f"De {_FEW.get(len(shown), str(len(shown)))} høyeste risikoene; {has}."
