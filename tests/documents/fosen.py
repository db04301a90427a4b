"""A small council with one running project, written by the test that uses it (after an outside
tester's config, session 19: Fosen testregionråd, «Digital hjemmetjeneste på Fosen»).

Every date follows ``year``, the year the usage report is about: the project runs from 1 September
the year before to 31 August the year after, with one award letter for each of the two years
(``GRANTS``), salaries paid from the grant each month, and milestones in ``year``.
"""

from __future__ import annotations

import calendar
import shutil
from datetime import date
from pathlib import Path

import yaml

from ..conftest import CONFIG

PROJECT = "fosen-digital-hjemmetjeneste"
COUNCIL = "fosen-test"
NAME = "Digital hjemmetjeneste på Fosen"
FIRST_YEAR_SALARY = 75_000          # four months (September to December) the year before
SALARY = 60_000                     # each month of the report's year


def grants(year: int) -> list[tuple[int, int, str]]:
    """(year, amount, case reference) of each award letter."""
    return [(year - 1, 300_000, f"{year - 1}/1111"), (year, 650_000, f"{year}/2222")]


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def write(root: Path, year: int, *, last_month: int = 10, notes: list[dict] | None = None,
          progress: str | None = None) -> Path:
    """The config folder under ``root``: salaries from the grant for months 1..``last_month`` of
    ``year`` (each booked on the month's last day), ``notes`` as the status notes (default: one of
    20 November). Returns the config folder."""
    config = root / "config"
    (config / "projects").mkdir(parents=True)
    (config / "councils").mkdir()
    data = config / "data" / PROJECT
    data.mkdir(parents=True)
    shutil.copy(CONFIG / "grantflow.yaml", config / "grantflow.yaml")
    settings = yaml.safe_load((config / "grantflow.yaml").read_text(encoding="utf-8"))
    settings.pop("demo", None)
    (config / "grantflow.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    y0, y1, y2 = year - 1, year, year + 1
    council = {
        "id": COUNCIL, "name": "Fosen testregionråd", "org_number": "912 345 678", "county": "Trøndelag",
        "secretariat": {"name": "Kari Sekretær", "role": "daglig leder", "organisation": "Fosen testregionråd",
                        "email": "post@fosen.example.no"},
        "county_governor": {"name": "Statsforvalteren i Trøndelag", "role": "tilskuddsforvalter",
                            "email": "sftlpost@statsforvalteren.example.no"},
        "population_source": "testdata",
        "municipalities": [{"name": n, "population": {y0: p}} for n, p in
                           (("Ørland", 10612), ("Indre Fosen", 10043), ("Åfjord", 4287), ("Osen", 951))],
    }
    (config / "councils" / f"{COUNCIL}.yaml").write_text(yaml.safe_dump(council, allow_unicode=True), encoding="utf-8")
    project = {
        "id": PROJECT, "name": NAME, "council": COUNCIL, "owner": "Fosen testregionråd",
        "responsible": "Rådmannsutvalget på Fosen",
        "leader": {"name": "Per Prosjektleder", "role": "prosjektleder", "organisation": "Fosen testregionråd",
                   "email": "per@fosen.example.no"},
        "steering_group": [{"name": "Anne Leder", "role": "leder", "organisation": "Ørland kommune",
                            "email": "anne@orland.example.no"}],
        "municipalities": ["Ørland", "Indre Fosen", "Åfjord", "Osen"],
        "split": {"equal_percent": 40, "weight": "innbyggere", "weight_year": y0, "decision": "Regionrådet, sak 14"},
        "period": {"start": date(y0, 9, 1), "end": date(y2, 8, 31)},
        "summary": "Felles digital hjemmetjeneste for fire kommuner.",
        "milestones": [
            {"number": 1, "date": date(y0, 10, 31), "event": "Prosjektleder tilsatt"},
            {"number": 2, "date": date(y1, 1, 31), "event": "Kartlegging ferdig"},
            {"number": 3, "date": date(y1, 4, 30), "event": "Anskaffelse av plattform"},
            {"number": 4, "date": date(y1, 6, 30), "event": "Pilot i Osen"},
            {"number": 5, "date": date(y1, 9, 30), "event": "Opplæring alle kommuner"},
            {"number": 6, "date": date(y1, 10, 31), "event": "Felles nattpatrulje"},
            {"number": 7, "date": date(y2, 3, 31), "event": "Gevinstrealiseringsplan"},
            {"number": 8, "date": date(y2, 8, 31), "event": "Sluttrapport levert", "final_report": True}],
        "risks": [{"risk": "Manglende kapasitet", "probability": 4, "consequence": 4, "mitigation": "Frikjøp"}],
        "budget": {
            "vat": "uten mva",
            "costs": [{"category": "Prosjektleder", "amounts": {y0: 300000, y1: 900000, y2: 600000}}],
            "financing": [
                {"source": "Statsforvalterens skjønnsmidler", "kind": "skjønnsmidler", "funder": "sf-trondelag",
                 "applied_for": True, "amounts": {y0: 300000, y1: 650000, y2: 400000}},
                {"source": "Kommunene (kostnadsfordeling)", "kind": "kommunene",
                 "amounts": {y0: 0, y1: 250000, y2: 200000}}]},
        "funders": [{"id": "sf-trondelag", "name": "Statsforvalteren i Trøndelag (skjønnsmidler)",
                     "email": "sftlpost@statsforvalteren.example.no",
                     "grants": [{"year": gy, "amount": a, "reference": ref} for gy, a, ref in grants(year)]}],
        "meetings": {"dates": [date(y0, 10, 15), date(y1, 2, 10), date(y1, 6, 5), date(y1, 12, 8)], "lead_days": 7},
        "data": {"milestones": f"data/{PROJECT}/milepaeler.csv", "ledger": f"data/{PROJECT}/regnskap.csv",
                 "notes": f"data/{PROJECT}/notater.yaml"},
    }
    (config / "projects" / f"{PROJECT}.yaml").write_text(yaml.safe_dump(project, allow_unicode=True, sort_keys=False),
                                                          encoding="utf-8")
    (data / "milepaeler.csv").write_text(progress or (
        "Milepæl;Status;Faktisk dato;Kommentar\n"
        f"1;ferdig;10.11.{y0};Tilsatt\n2;ferdig;28.02.{y1};Levert fire uker for sent\n"
        "3;utsatt;;Utsatt etter vedtak i styringsgruppen\n4;pågår;;Pilot i gang\n5;avlyst;;Erstattet av e-læring\n"
        "6;ikke startet;;\n7;ikke startet;;\n8;ikke startet;;\n"), encoding="utf-8")
    rows = ["Dato;Kategori;Beskrivelse;Beløp;Finansieringskilde"]
    rows += [f"{month_end(y0, m):%d.%m.%Y};Prosjektleder;Lønn {m}/{y0};{FIRST_YEAR_SALARY};sf-trondelag"
             for m in (9, 10, 11, 12)]
    rows += [f"{month_end(y1, m):%d.%m.%Y};Prosjektleder;Lønn {m}/{y1};{SALARY};sf-trondelag"
             for m in range(1, last_month + 1)]
    (data / "regnskap.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    if notes is None:
        notes = [{"as_of": date(y1, 11, 20), "summary": "Piloten i Osen er forsinket.",
                  "results": "Kartlegging levert.", "explanation": "Leverandøren har ikke levert plattformen."}]
    (data / "notater.yaml").write_text(yaml.safe_dump({"status": notes}, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    return config
