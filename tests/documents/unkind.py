"""An unkind but valid installation for looking at documents as a reader does: names of 80+
characters without a space (æøå), 12 municipalities, 40 milestones, 15 risks, amounts of 10^9 kr
and of 0 kr, credit notes, a project over four years, and a second project with every optional
section empty (no risks, no milestones, no notes, no ledger).

``write(root)`` writes ``root/config`` and returns it; ``python -m tests.documents.unkind DIR``
does the same from the shell.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import yaml

LONG = "Særlandsfjordbygdåsenstrømmenvågøynesbergdalshaugenliøyranebakkemoentangenstølsheia"   # 84, no space
PREFIXES = ["Øvre", "Nedre", "Indre", "Ytre", "Nordre", "Søndre", "Østre", "Vestre", "Midtre", "Store",
            "Vesle", "Gamle"]
MUNICIPALITIES = [f"{p}{LONG}" for p in PREFIXES]
PROJECT_NAME = "VelferdsteknologiogdigitaliseringssamarbeidetforåttekommuneriregionenæøåÆØÅmedlangtnavn"
CATEGORY = "Anskaffelseavvelferdsteknologiskeløsningerogintegrasjonmotfagsystemeneikommunene"
YEARS = [2025, 2026, 2027, 2028]
BILLION = 1_000_000_000


def council() -> dict:
    return {
        "id": "uvennlig", "name": "Regionrådet for " + LONG, "org_number": "999 999 999",
        "county": "Vestland",
        "invoicing": {"issuer": "Regionrådet", "when": "i mars", "due_days": 30, "marking": "Prosjekt " + LONG,
                      "contact": "post@uvennlig.example.no"},
        "secretariat": {"name": "Sekretariatet", "role": "daglig leder", "organisation": "Regionrådet",
                        "email": "post@uvennlig.example.no"},
        "county_governor": {"name": "Statsforvalteren i Vestland", "email": "sf@statsforvalteren.example.no"},
        "population_source": "Oppdiktet for test.",
        "municipalities": [{"name": name, "population": {2024: 1_000_000 if i == 0 else 37 + i * 1111}}
                           for i, name in enumerate(MUNICIPALITIES)],
    }


def _person(name: str, email: str, role: str = "medlem") -> dict:
    return {"name": name, "role": role, "organisation": LONG, "email": email}


def project() -> dict:
    start = date(2025, 1, 1)
    milestones = [{"number": i + 1, "date": (start + timedelta(days=35 * i + 10)).isoformat(),
                   "event": (f"Milepæl{i + 1:02d}{LONG}" if i % 3 == 0 else f"Delleveranse {i + 1} i arbeidspakke {i % 5 + 1}")}
                  for i in range(40)]
    risks = [{"risk": f"Risiko{i + 1:02d}{LONG}" if i % 4 == 0 else f"Leverandøren leverer ikke til avtalt tid ({i + 1})",
              "probability": i % 5 + 1, "consequence": (i * 2) % 5 + 1,
              "mitigation": f"Tiltak{LONG}" if i % 4 == 0 else "Tett oppfølging i styringsgruppen"} for i in range(15)]
    return {
        "id": "uvennlig-prosjekt", "name": PROJECT_NAME, "council": "uvennlig",
        "owner": "Regionrådet for " + LONG, "responsible": LONG,
        "leader": _person("Prosjektleder" + LONG, "pl@uvennlig.example.no", "prosjektleder"),
        "steering_group": [_person(f"Rådmannen i {name}", f"r{i}@uvennlig.example.no", "leder" if i == 0 else "medlem")
                           for i, name in enumerate(MUNICIPALITIES)],
        "municipalities": MUNICIPALITIES,
        "partners": ["Helseforetaket" + LONG],
        "split": {"equal_percent": 30, "weight": "innbyggere", "weight_year": 2024, "decision": "Vedtak " + LONG},
        "period": {"start": "2025-01-01", "end": "2028-12-31"},
        "summary": "Et prosjekt med " + LONG + " i teksten.",
        "background": LONG, "challenge": LONG, "anchoring": LONG, "organisation": LONG,
        "goals": {"main": [LONG], "result": [LONG]},
        "activities": [{"number": 1, "title": LONG, "responsible": LONG, "purpose": LONG}],
        "milestones": milestones,
        "risks": risks,
        "budget": {
            "unit": 1,
            "costs": [
                {"category": CATEGORY, "amounts": {y: BILLION for y in YEARS}},
                {"category": "Lisenser", "amounts": {y: 1_500_000_000 for y in YEARS}},
                {"category": "Prosjektledelse", "amounts": {y: 2_500_000 for y in YEARS}},
                {"category": "Ingenting", "amounts": {y: 0 for y in YEARS}},
            ],
            "financing": [
                {"source": "Statsforvalterens skjønnsmidler", "kind": "skjønnsmidler", "funder": "sf",
                 "applied_for": True, "amounts": {y: BILLION for y in YEARS}},
                {"source": "Regionrådets fond", "kind": "fond", "amounts": {y: 1_500_000_000 for y in YEARS}},
                {"source": "Kommunene (kostnadsfordeling)", "kind": "kommunene", "amounts": {y: 2_500_000 for y in YEARS}},
            ],
            "own_effort_hours": 12000, "own_effort_rate": 650,
        },
        "funders": [{"id": "sf", "name": "Statsforvalteren i Vestland (skjønnsmidler)",
                     "email": "sf@statsforvalteren.example.no",
                     "grants": [{"year": y, "amount": BILLION, "reference": f"{y}/123456-{LONG[:20]}"} for y in YEARS]}],
        "meetings": {"dates": ["2025-03-01", "2026-03-01", "2027-03-01"], "lead_days": 7},
        "transfer_value": LONG,
        "data": {"milestones": "data/uvennlig-prosjekt/milepaeler.csv", "ledger": "data/uvennlig-prosjekt/regnskap.csv",
                 "notes": "data/uvennlig-prosjekt/notater.yaml"},
    }


def empty_project() -> dict:
    """Every optional section empty: no risks, milestones, notes, ledger, deviations."""
    return {
        "id": "tomt-prosjekt", "name": "Tomt prosjekt", "council": "uvennlig",
        "owner": "Regionrådet", "responsible": "Regionrådet",
        "leader": _person("Prosjektleder Tom", "tom@uvennlig.example.no", "prosjektleder"),
        "municipalities": MUNICIPALITIES[:3],
        "split": {"equal_percent": 30, "weight": "innbyggere", "weight_year": 2024},
        "period": {"start": "2026-01-01", "end": "2026-12-31"},
        "budget": {"unit": 1, "costs": [{"category": "Prosjektledelse", "amounts": {2026: 0}}],
                   "financing": [{"source": "Kommunene (kostnadsfordeling)", "kind": "kommunene", "amounts": {2026: 0}}]},
    }


def ledger() -> str:
    rows = ["Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota"]
    for y in YEARS[:2]:
        rows.append(f"15.03.{y};{y};{CATEGORY};Faktura {LONG};999 999 999,00;sf;")
        rows.append(f"20.04.{y};{y};{CATEGORY};Kreditnota {LONG};-12 345 678,00;sf;ja")
        rows.append(f"30.06.{y};{y};Prosjektledelse;Lønn;1 250 000,00;;")
    return "\n".join(rows) + "\n"


def progress() -> str:
    rows = ["Milepæl;Status;Faktisk dato;Kommentar"]
    for i in range(1, 41):
        if i <= 8:
            rows.append(f"{i};ferdig;{(date(2025, 1, 11) + timedelta(days=35 * (i - 1) + 20 * (i % 3))).strftime('%d.%m.%Y')};"
                        + (f"Kommentar{LONG}" if i % 2 else "Levert"))
        elif i <= 12:
            rows.append(f"{i};pågår;;" + (LONG if i == 9 else "Arbeid pågår"))
    return "\n".join(rows) + "\n"


def notes() -> dict:
    return {
        "status": [{"as_of": "2026-03-01", "summary": LONG,
                    "quality": {"rag": "green", "comment": LONG}, "benefits": {"rag": "amber", "comment": LONG},
                    "results": LONG, "deviations": [LONG], "decisions": [f"{LONG}. Forslag til vedtak: {LONG}"],
                    "next_period": [LONG]}],
        "evaluation": {"summary": LONG, "goal_achievement": [{"goal": LONG, "achievement": LONG}],
                       "results": [LONG], "lessons": [LONG], "conclusion": LONG, "further_work": LONG},
    }


def _dump(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write(root: Path) -> Path:
    config = Path(root) / "config"
    _dump(config / "grantflow.yaml", {"outputs": "outputs",
                                      "delivery": {"transport": "outbox", "from_address": "grantflow@uvennlig.example.no",
                                                   "approval": {"application": False, "final": False, "usage": False}}})
    _dump(config / "councils" / "uvennlig.yaml", council())
    _dump(config / "projects" / "uvennlig-prosjekt.yaml", project())
    _dump(config / "projects" / "tomt-prosjekt.yaml", empty_project())
    data = config / "data" / "uvennlig-prosjekt"
    data.mkdir(parents=True, exist_ok=True)
    (data / "regnskap.csv").write_text(ledger(), encoding="utf-8")
    (data / "milepaeler.csv").write_text(progress(), encoding="utf-8")
    _dump(data / "notater.yaml", notes())
    return config


if __name__ == "__main__":
    print(write(Path(sys.argv[1])))
