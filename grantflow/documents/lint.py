"""Template check: render every template with lint data and list what is wrong.

Like Ghostwriter's ``lint()``: a broken template is caught by ``grantflow templates check`` (and
the tests), not during a scheduled run. Reported: Jinja syntax errors, variables the template
uses that the kind's context does not provide (undeclared), rendering errors under
StrictUndefined, and paragraph/table styles the template names but does not define.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from datetime import date
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import TemplateError

from ..data import read_hours, read_ledger, read_milestones, ProjectData
from ..errors import UserError
from ..models import Council, ProjectNotes, Project
from ..register import display_path
from ..reporting import ReportPeriod
from . import KINDS
from .common import DocumentRequest
from .render import jinja_env, render_docx, templates_dir

TRICKY = "Kommune & partner <AS> {{ ikke_kode }} {% if %}\tmed tab;"   # a control character is refused at load
ONE_LINE = TRICKY.replace("\t", " ")      # a name is one line: a tab is refused there


def lint_council() -> Council:
    member = lambda name, pop: {"name": name, "population": {2020: pop, 2021: pop}}  # noqa: E731
    return Council.model_validate({
        "id": "lint", "name": "Lintrådet", "population_source": "lint",
        "secretariat": {"name": "Sekretariat", "email": "post@lint.example.no"},
        "county_governor": {"name": "Statsforvalteren", "email": "sf@lint.example.no"},
        "municipalities": [member("Alfa", 1000), member("Beta", 2000), member("Gamma", 500)]})


def lint_project() -> Project:
    return Project.model_validate({
        "id": "lint-prosjekt", "name": f"Lintprosjekt {ONE_LINE}", "council": "lint",
        "owner": "Eier", "responsible": "Ansvarlig",
        "leader": {"name": "Leder", "role": "prosjektleder", "email": "leder@lint.example.no"},
        "steering_group": [{"name": "Medlem", "role": "leder", "email": "m@lint.example.no"}],
        "municipalities": ["Alfa", "Beta"], "partners": ["Partner"],
        "period": {"start": "2020-01-01", "end": "2021-12-31"},
        "summary": TRICKY, "background": "Bakgrunn", "challenge": "Utfordring", "anchoring": "Vedtak",
        "organisation": "Organisering", "transfer_value": "Overføring",
        "goals": {"main": ["Hovedmål"], "result": ["Resultatmål"], "effect": ["Effektmål"]},
        "activities": [{"number": 1, "title": "Aktivitet", "responsible": "Leder",
                        "subactivities": [{"id": "1.1", "text": "Del"}]}],
        "milestones": [{"number": 1, "date": "2020-06-30", "event": "Start"},
                       {"number": 2, "date": "2021-06", "event": "Slutt"}],
        "risks": [{"risk": "Risiko", "probability": 3, "consequence": 4, "mitigation": "Tiltak"}],
        "success_factors": ["Faktor"],
        "budget": {"unit": 1, "costs": [{"category": "Drift", "amounts": {2020: 100000, 2021: 100000}}],
                   "financing": [{"source": "Skjønnsmidler", "kind": "skjønnsmidler", "funder": "sf",
                                  "applied_for": True, "amounts": {2020: 150000}},
                                 {"source": "Kommunene", "kind": "kommunene"}],
                   "own_effort_hours": 100},
        "funders": [{"id": "sf", "name": "Statsforvalteren", "grants": [{"year": 2020, "amount": 150000,
                                                                          "reference": "20/1"}]}],
    })


def lint_data(folder: Path) -> ProjectData:
    (folder / "m.csv").write_text("Milepæl;Status;Faktisk dato;Kommentar\n1;ferdig;01.07.2020;" + TRICKY.replace(";", ",")
                                  + "\n", encoding="utf-8")
    (folder / "l.csv").write_text("Dato;Kategori;Beløp;Finansieringskilde\n01.03.2020;Drift;12 000;sf\n",
                                  encoding="utf-8")
    (folder / "h.csv").write_text("Dato;Kommune;Timer\n01.03.2020;Alfa;5\n", encoding="utf-8")
    notes = ProjectNotes.model_validate({
        "status": [{"as_of": "2020-01-01", "summary": TRICKY, "quality": {"rag": "green"},
                    "benefits": {"rag": "amber", "comment": "ok"}, "results": "Resultat",
                    "deviations": ["Avvik"], "decisions": ["Beslutning"], "next_period": ["Neste"]}],
        "evaluation": {"summary": "Sammendrag", "goal_achievement": [{"goal": "Mål", "achievement": "Nådd"}],
                       "results": ["R"], "lessons": ["L"], "success_factors": ["S"], "problems": ["P"],
                       "conclusion": "K", "differently": ["D"], "further_work": "V"}})
    return ProjectData(read_milestones(folder / "m.csv"), read_ledger(folder / "l.csv"),
                       read_hours(folder / "h.csv"), notes)


def lint_request(kind: str, folder: Path) -> DocumentRequest:
    council, project = lint_council(), lint_project()
    data = lint_data(folder)
    period = ReportPeriod("2020", date(2020, 1, 1), date(2020, 12, 31))
    previous = {"as_of": "2020-03-01", "as_of_text": "1. mars 2020", "milestones": {"01": "I rute"},
                "overall": "green", "progress": "green", "economy": "green", "risk": "green",
                "actual_total": 0, "forecast_total": 0}
    if KINDS[kind].scope == "council":
        return DocumentRequest(kind, council, None, period, date(2020, 12, 31), date(2021, 1, 10),
                               projects=[(project, data)])
    return DocumentRequest(kind, council, project, period, date(2020, 9, 1), date(2020, 9, 1), data=data,
                           previous=previous)


_STYLE_REF = re.compile(rb'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"')
_STYLE_DEF = re.compile(rb'<w:style [^>]*w:styleId="([^"]+)"')


def missing_styles(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        used = set()
        for name in zf.namelist():
            if name.startswith("word/") and name.endswith(".xml") and name != "word/styles.xml":
                used |= set(_STYLE_REF.findall(zf.read(name)))
        defined = set(_STYLE_DEF.findall(zf.read("word/styles.xml")))
    return {s.decode() for s in used - defined}


def check_templates(folder: Path | None = None) -> list[str]:
    """Problems found, one line each (empty when every template is fine)."""
    folder = folder or templates_dir()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS.values():
            path = folder / kind.template
            shown = display_path(path)
            if not path.exists():
                problems.append(f"{shown}: template missing")
                continue
            context = kind.build(lint_request(kind.name, Path(tmp)))
            provided = set(context.values) | set(context.charts)
            try:
                needed = DocxTemplate(str(path)).get_undeclared_template_variables(jinja_env())
            except TemplateError as exc:
                problems.append(f"{shown}: template syntax error: {exc}")
                continue
            for name in sorted(needed - provided):
                problems.append(f"{shown}: undeclared variable '{name}' (the {kind.name} context has no such key)")
            for style in sorted(missing_styles(path)):
                problems.append(f"{shown}: style '{style}' is used but not defined")
            try:
                render_docx(path, context)
            except UserError as exc:
                problems.append(f"{shown}: {exc.message}")
    return problems
