"""Søknad om skjønnsmidler: the application for discretionary funds."""

from __future__ import annotations

from .. import fmt
from .common import (Context, DocumentRequest, council_block, doc_block, lines, project_block,
                     risk_rows, split_block, year_rows)


def build(req: DocumentRequest) -> Context:
    project, council = req.project, req.council
    budget = project.budget
    unit = budget.unit
    years = budget.years()
    cost_rows, cost_total = year_rows([(c.category, c.amounts) for c in budget.costs], years)
    money_lines = [l for l in budget.financing if l.kind != "egeninnsats"]
    fin_rows, fin_total = year_rows([(l.source, l.amounts) for l in money_lines if l.amounts], years)
    notes = []
    for year in years:
        diff = budget.financing_kr(year, exclude={"egeninnsats"}) - budget.cost_kr(year)
        if diff:
            notes.append(f"Merk: finansiering og kostnader for {year} avviker med {fmt.signed_money(diff)}.")
    applied = sum((sum(l.amounts.values()) for l in budget.financing if l.applied_for), 0) * unit
    own_effort = ""
    if budget.own_effort_hours:
        own_effort = f"Egeninnsats: {fmt.number(budget.own_effort_hours)} timer. {budget.own_effort_note}".strip()
    contact = project.contact or project.leader

    def person(role, p):
        # Work e-mail only; phone numbers are personal data and stay out of public documents.
        phone = f", tlf. {p.phone}" if req.include_personal_data and p.phone else ""
        return {"role": role, "name": p.name, "organisation": p.organisation, "email": (p.email or "") + phone}

    contacts = [
        {"role": "Prosjekteier", "name": project.owner, "organisation": "", "email": ""},
        {"role": "Prosjektansvarlig", "name": project.responsible, "organisation": "", "email": ""},
        person("Kontaktperson", contact),
    ]
    if contact is not project.leader:
        contacts.append(person("Prosjektleder", project.leader))
    split = split_block(council, project, years)
    values = {
        "doc": doc_block("Søknad om skjønnsmidler", project.name, req.period.label, council, req.today),
        "project": project_block(project),
        "council": council_block(council),
        "text": {"summary": lines(project.summary), "background": lines(project.background),
                 "challenge": lines(project.challenge), "anchoring": lines(project.anchoring),
                 "organisation": lines(project.organisation), "transfer_value": lines(project.transfer_value)},
        "contacts": contacts,
        "participants": list(project.municipalities),
        "partners": list(project.partners),
        "goals": {"main": project.goals.main, "result": project.goals.result, "effect": project.goals.effect},
        "steering_group": [{"name": p.name, "role": p.role, "organisation": p.organisation}
                           for p in project.steering_group],
        "activities": [{"number": a.number, "title": a.title, "responsible": a.responsible,
                        "subs": [{"id": s.id, "text": s.text} for s in a.subactivities]}
                       for a in project.activities],
        "milestones": [{"number": f"{m.number:02d}", "date": fmt.long_date(m.date, m.month_only), "event": m.event}
                       for m in project.milestones],
        "risks": risk_rows(project),
        "success_factors": project.success_factors,
        "budget": {"unit_label": fmt.unit_label(unit), "years": years, "cost_rows": cost_rows,
                   "cost_total": cost_total, "financing_rows": fin_rows, "financing_total": fin_total,
                   "applied": fmt.money(applied), "own_effort": own_effort, "balance_notes": notes},
        "split": {k: v for k, v in split.items() if k != "splits"},
        "contact_signature": f"{contact.name}, {contact.role}".strip(", "),
    }
    totals = {str(y): int(budget.cost_kr(y)) for y in years}
    return Context(values, snapshot={"period": req.period.label, "totals": totals},
                   key_figures={"Omsøkt beløp": fmt.money(applied),
                                "Kostnader totalt": fmt.money(sum(budget.cost_kr(y) for y in years))})
