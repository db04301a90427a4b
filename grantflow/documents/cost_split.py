"""Kostnadsfordeling: each municipality's share per year, the basis for invoicing."""

from __future__ import annotations

from .. import fmt
from .common import Context, DocumentRequest, council_block, doc_block, project_block, split_block


def build(req: DocumentRequest) -> Context:
    project, council = req.project, req.council
    years = [y for y in project.budget.years() if req.period.start.year <= y <= req.period.end.year] \
        or [req.period.start.year]
    split = split_block(council, project, years)
    weight_label = "Innbyggere" if project.split.weight in ("innbyggere", "population") else project.split.weight.capitalize()
    tables = []
    for year, result in split["splits"].items():
        rows = []
        for share in result.shares:
            if share.participates:
                rows.append({"name": share.municipality, "weight": fmt.number(share.weight),
                             "equal": fmt.number(share.equal), "weighted": fmt.number(share.weighted),
                             "total": fmt.number(share.total)})
            else:
                rows.append({"name": share.municipality, "weight": "", "equal": "", "weighted": "",
                             "total": "Deltar ikke"})
        tables.append({
            "title": f"{year}: {fmt.money(result.total)}",
            "basis": f"{split['basis']} Lik andel totalt {fmt.money(result.equal_total)}, "
                     f"etter vekt {fmt.money(result.weighted_total)}.",
            "weight_label": f"{weight_label} 1.1.{result.weight_year}",
            "rows": rows,
            "sum": {"weight": fmt.number(result.weight_total), "equal": fmt.number(result.equal_total),
                    "weighted": fmt.number(result.weighted_total), "total": fmt.number(result.total)},
        })
    label = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
    values = {
        "doc": doc_block("Kostnadsfordeling", project.name, label, council, req.today),
        "project": project_block(project),
        "council": council_block(council),
        "split": {k: v for k, v in split.items() if k != "splits"},
        "tables": tables,
    }
    totals = {str(y): r.total for y, r in split["splits"].items()}
    return Context(values, snapshot={"period": label, "totals": totals},
                   key_figures={f"Til fordeling {y}": fmt.money(r.total) for y, r in split["splits"].items()})
