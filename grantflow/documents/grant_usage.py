"""Rapportering om bruk av skjønnsmidler: the yearly report per 31.12 to the county governor."""

from __future__ import annotations

from datetime import date

from .. import fmt
from ..reporting import RAG_COLOR, economy, grant_usage, milestone_statuses, overall_rag, progress_rag
from .common import Context, DocumentRequest, council_block, doc_block


def build(req: DocumentRequest) -> Context:
    council, year = req.council, req.period.end.year
    year_end = date(year, 12, 31)
    rows, notes = [], []
    granted = spent = unused = 0
    for project, data in req.projects:
        for usage in grant_usage(project, data, year):
            if project.period.start > year_end:
                continue
            finished = project.period.end <= year_end
            if finished:
                status, color = "Avsluttet", RAG_COLOR["none"]
            else:
                state = overall_rag(progress_rag(milestone_statuses(project, data, year_end)),
                                    economy(project, data, year_end).rag)
                status = {"green": "I rute", "amber": "Avvik", "red": "Alvorlig avvik"}.get(state, "Pågår")
                color = RAG_COLOR[state]
            note = data.notes.note_for(year_end) if data is not None else None
            results = note.results if note and note.results else ""
            if finished and data is not None and data.notes.evaluation and data.notes.evaluation.results:
                results = "; ".join(data.notes.evaluation.results)
            rows.append({"project": project.name, "reference": usage.reference or "–",
                         "granted": fmt.number(usage.granted), "spent": fmt.number(usage.spent),
                         "unused": fmt.number(usage.unused), "disposition": usage.disposition,
                         "status": status, "color": color, "results": results or "Ikke rapportert."})
            if usage.overspent:
                notes.append(f"{project.name}: forbruket er {fmt.money(usage.overspent)} høyere enn tildelingen; "
                             "merforbruket dekkes av andre kilder.")
            granted, spent, unused = granted + usage.granted, spent + usage.spent, unused + usage.unused
    values = {
        "doc": doc_block("Rapportering om bruk av skjønnsmidler", f"{council.name} {year}", str(year),
                         council, req.today),
        "council": council_block(council),
        "year": year,
        "rows": rows,
        "total": {"granted": fmt.number(granted), "spent": fmt.number(spent), "unused": fmt.number(unused)},
        "notes": notes,
    }
    snapshot = {"period": str(year), "totals": {"granted": granted, "spent": spent, "unused": unused}}
    return Context(values, snapshot=snapshot,
                   key_figures={"Tildelt": fmt.money(granted), "Brukt per 31.12": fmt.money(spent),
                                "Ubrukt": fmt.money(unused), "Prosjekter": str(len(rows))})
