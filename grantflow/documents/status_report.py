"""Statusrapport: the status report to the steering group before a meeting."""

from __future__ import annotations

from datetime import timedelta

from .. import fmt
from ..reporting import (RAG_COLOR, economy, hours_total, milestone_statuses, overall_rag,
                          progress_rag, risk_rag)
from .charts import BudgetChart, TimelineChart
from .common import (Context, DocumentRequest, council_block, describe_changes, doc_block,
                     project_block, rag, risk_rows)

STATUS_COLOR = {"done": RAG_COLOR["green"], "on_track": "DDEBF7", "late": RAG_COLOR["red"],
                "not_started": RAG_COLOR["none"]}


def economy_rows(econ, unit: int) -> tuple[list, dict]:
    def share(value):
        return fmt.percent(value, 1) if value is not None else "–"

    rows = [{"year": line.year, "category": line.category, "budget": fmt.amount(line.budget, unit),
             "actual": fmt.amount(line.actual, unit), "deviation": fmt.amount(line.deviation, unit),
             "share": share(line.deviation_share)} for line in econ.lines]
    total_dev = econ.actual_total - econ.budget_total
    total = {"budget": fmt.amount(econ.budget_total, unit), "actual": fmt.amount(econ.actual_total, unit),
             "deviation": fmt.amount(total_dev, unit),
             "share": share(total_dev / econ.budget_total if econ.budget_total else None)}
    return rows, total


def charts_for(project, statuses, econ, as_of) -> dict:
    cats = econ.by_category()
    return {
        "chart_budget": BudgetChart(tuple(c.category for c in cats), tuple(c.budget for c in cats),
                                    tuple(c.actual for c in cats), project.budget.unit),
        "chart_timeline": TimelineChart(tuple(_short(f"{s.milestone.number:02d} {s.milestone.event}") for s in statuses),
                                        tuple(s.milestone.date for s in statuses),
                                        tuple(s.actual for s in statuses),
                                        tuple(s.status for s in statuses), as_of),
    }


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def milestone_rows(statuses) -> list[dict]:
    return [{"number": f"{s.milestone.number:02d}", "event": s.milestone.event,
             "planned": fmt.long_date(s.milestone.date, s.milestone.month_only),
             "status": s.label + (f" ({s.days_late} d)" if s.status == "late" else ""),
             "color": STATUS_COLOR[s.status], "actual": fmt.short_date(s.actual), "comment": s.comment,
             "days": (f"{s.days_late}" if s.actual else "") if s.status == "done" else
             (f"{s.days_late}" if s.status == "late" else "")}
            for s in statuses]


def build(req: DocumentRequest) -> Context:
    project, council, as_of = req.project, req.council, req.as_of
    unit = project.budget.unit
    statuses = milestone_statuses(project, req.data, as_of)
    econ = economy(project, req.data, as_of)
    note = req.data.notes.note_for(as_of) if req.data is not None else None
    prog, eco, risk = progress_rag(statuses), econ.rag, risk_rag(project)
    overall = overall_rag(prog, eco, risk)
    late = [s for s in statuses if s.status == "late"]
    done = sum(s.status == "done" for s in statuses)
    top = max(project.risks, key=lambda r: r.factor) if project.risks else None
    dimensions = [
        {"name": "Fremdrift", **rag(prog),
         "comment": f"{done} av {len(statuses)} milepæler ferdig; {len(late)} forsinket."
                    + (f" Eldste forsinkelse: milepæl {late[0].milestone.number:02d}, {late[0].days_late} dager."
                       if late else "")},
        {"name": "Økonomi", **rag(eco),
         "comment": f"Regnskap {fmt.money(econ.actual_total)} mot planlagt {fmt.money(econ.planned_to_date)} "
                    f"til nå; prognose {fmt.money(econ.forecast_total)} mot budsjett {fmt.money(econ.budget_total)}."},
        {"name": "Kvalitet", **rag(note.quality.rag if note and note.quality else "none"),
         "comment": note.quality.comment if note and note.quality else "Ikke vurdert av prosjektleder."},
        {"name": "Risiko", **rag(risk),
         "comment": f"Høyeste risikofaktor {top.factor} ({top.risk})." if top else "Ingen risikoer registrert."},
        {"name": "Gevinster", **rag(note.benefits.rag if note and note.benefits else "none"),
         "comment": note.benefits.comment if note and note.benefits else "Ikke vurdert av prosjektleder."},
    ]
    auto_text = (f"{done} av {len(statuses)} milepæler er ferdige, {len(late)} er forsinket. "
                 f"Prognosen er {fmt.money(econ.forecast_total)} mot et budsjett på {fmt.money(econ.budget_total)}.")
    overall_block = {**rag(overall), "text": (note.summary + " " if note and note.summary else "") + auto_text}
    rows, total = economy_rows(econ, unit)
    deviations = [f"Milepæl {s.milestone.number:02d} «{s.milestone.event}» er {s.days_late} dager forsinket."
                  for s in late]
    if econ.unknown_categories:
        deviations.append("Regnskapet har poster i kategorier som ikke finnes i budsjettet: "
                          + ", ".join(econ.unknown_categories) + ".")
    deviations += list(note.deviations) if note else []
    horizon = as_of + timedelta(days=120)
    upcoming = [f"Milepæl {s.milestone.number:02d} «{s.milestone.event}» – planlagt "
                f"{fmt.long_date(s.milestone.date, s.milestone.month_only)}"
                for s in statuses if s.status in ("on_track", "not_started") and s.milestone.date <= horizon]
    start = req.period.start
    snapshot = {"as_of": as_of.isoformat(), "as_of_text": fmt.long_date(as_of),
                "milestones": {f"{s.milestone.number:02d}": s.label for s in statuses},
                "overall": overall, "progress": prog, "economy": eco, "risk": risk,
                "actual_total": econ.actual_total, "forecast_total": econ.forecast_total}
    values = {
        "doc": doc_block("Statusrapport", project.name,
                         f"{fmt.long_date(start)} – {fmt.long_date(as_of)}", council, req.today),
        "project": project_block(project),
        "council": council_block(council),
        "as_of": fmt.long_date(as_of),
        "overall": overall_block,
        "dimensions": dimensions,
        "milestones": milestone_rows(statuses),
        "economy": {"unit_label": fmt.unit_label(unit), "rows": rows, "total": total,
                    "budget_total": fmt.money(econ.budget_total), "actual_total": fmt.money(econ.actual_total),
                    "planned_to_date": fmt.money(econ.planned_to_date),
                    "forecast_total": fmt.money(econ.forecast_total),
                    "forecast_deviation": fmt.signed_money(econ.forecast_deviation),
                    "hours": fmt.number(hours_total(req.data, as_of), 1)},
        "top_risks": risk_rows(project, limit=3),
        "deviations": deviations,
        "decisions": list(note.decisions) if note else [],
        "next_period": upcoming + (list(note.next_period) if note else []),
        "changes": describe_changes(req.previous, snapshot),
    }
    return Context(values, charts=charts_for(project, statuses, econ, as_of), snapshot=snapshot,
                   key_figures={"Samlet status": rag(overall)["label"],
                                "Milepæler forsinket": str(len(late)),
                                "Regnskap til nå": fmt.money(econ.actual_total),
                                "Prognose": fmt.money(econ.forecast_total)})
