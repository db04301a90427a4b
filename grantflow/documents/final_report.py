"""Sluttrapport: the final report to the steering group and the funder."""

from __future__ import annotations

from decimal import Decimal

from .. import fmt
from ..models import Evaluation
from ..reporting import economy, hours_total, kr, milestone_statuses
from .common import (Context, DocumentRequest, council_block, describe_changes, doc_block, lines,
                     project_block)
from .status_report import charts_for, economy_rows, milestone_rows


def build(req: DocumentRequest) -> Context:
    project, council, as_of = req.project, req.council, req.as_of
    unit = project.budget.unit
    statuses = milestone_statuses(project, req.data, as_of)
    econ = economy(project, req.data, as_of)
    evaluation = (req.data.notes.evaluation if req.data is not None else None) or Evaluation()
    _, total = economy_rows(econ, unit)
    by_category = []
    for line in econ.by_category():
        share = line.deviation_share
        by_category.append({"category": line.category, "budget": fmt.amount(line.budget, unit),
                            "actual": fmt.amount(line.actual, unit), "deviation": fmt.amount(line.deviation, unit),
                            "share": fmt.percent(share, 1) if share is not None else "–"})
    goals = [{"goal": g.goal, "achievement": g.achievement} for g in evaluation.goal_achievement]
    if not goals:
        goals = [{"goal": g, "achievement": "Ikke vurdert."} for g in project.goals.main + project.goals.result]
    financing = []
    ledger = req.data.ledger.frame if req.data is not None and req.data.ledger is not None else None
    for line in project.budget.financing:
        if line.kind == "egeninnsats":
            continue
        names = {line.source.casefold()} | ({line.funder.casefold()} if line.funder else set())
        used = None
        if ledger is not None and not ledger.empty:
            used = kr(ledger[ledger["Finansieringskilde"].str.casefold().isin(names)]["Beløp"].sum())
        planned = sum(line.amounts.values(), Decimal(0)) * unit if line.amounts else None
        financing.append({"source": line.source, "planned": fmt.amount(planned, unit) if planned is not None else "resten",
                          "used": fmt.amount(used, unit) if used is not None else "–"})
    snapshot = {"as_of": as_of.isoformat(), "as_of_text": fmt.long_date(as_of),
                "milestones": {f"{s.milestone.number:02d}": s.label for s in statuses},
                "actual_total": econ.actual_total}
    values = {
        "doc": doc_block("Sluttrapport", project.name, str(project.period.end.year), council, req.today),
        "project": project_block(project),
        "council": council_block(council),
        "text": {"summary": lines(evaluation.summary or project.summary),
                 "organisation": lines(project.organisation)},
        "goals": goals,
        "milestones": milestone_rows(statuses),
        "economy": {"unit_label": fmt.unit_label(unit), "by_category": by_category, "total": total,
                    "hours": fmt.number(hours_total(req.data, as_of), 1),
                    "hours_planned": fmt.number(project.budget.own_effort_hours or 0) + " timer"
                    if project.budget.own_effort_hours else "ikke angitt"},
        "financing": financing,
        "evaluation": {"results": evaluation.results, "lessons": evaluation.lessons,
                       "success_factors": evaluation.success_factors or project.success_factors,
                       "problems": evaluation.problems, "conclusion": lines(evaluation.conclusion),
                       "differently": evaluation.differently, "further_work": lines(evaluation.further_work)},
        "changes": describe_changes(req.previous, snapshot),
    }
    return Context(values, charts=charts_for(project, statuses, econ, as_of), snapshot=snapshot,
                   key_figures={"Regnskap": fmt.money(econ.actual_total), "Budsjett": fmt.money(econ.budget_total),
                                "Milepæler ferdig": f"{sum(s.status == 'done' for s in statuses)} av {len(statuses)}"})
