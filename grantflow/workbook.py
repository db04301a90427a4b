"""Workbooks both ways: a project's register and the period's input as an Excel workbook.

``write_workbook`` lays a project out over sheets with Norwegian headers: one key/value sheet
(``Prosjekt``) for every single value, one table per list (goals, steering group, activities,
milestones, risks, budget, financing, funders), and the period's input sheets (milestone
progress and the status note). Excel does most of the checking: drop-downs for status, RAG and
kinds, typed date and number cells, locked headers and formulas (sums, RF = S × K).

``read_workbook`` turns a returned workbook back into plain data (the same shape as the
register YAML) plus findings naming ``file:sheet:row`` and the column, never a traceback.

The layout is derived from the pydantic models: a field added to a model gets a row or column
of its own (header = field name) without code here, so the round trip keeps losing nothing.
"""

from __future__ import annotations

import io
import json
import math
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from openpyxl.styles import Font
from openpyxl.utils import range_boundaries
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from . import clock
from .errors import UserError
from .xlsxcells import (DAMAGED_WORKBOOK, EXCEL_MAX_TEXT, DamagedCell, Misshown, NoValue, Percent, RepeatedRow,
                        SheetInfo, blank as _blank, cell_name, padded, percent_refused, scaling_of, sheet_rows,
                        sums_own_column_said, unpacked_within_limits, unreadable)
from .findings import Finding
from .numbers import date_for_year, echo, read_date, read_number, show
from .models import (RAG_LABELS, Activity, Assessment, Deadline, FinancingLine, Funder, Grant, Milestone, Person,
                     FinancingKind, Line, Project, Risk, StatusNote, SubActivity, CostLine)
from .yamlfile import read_yaml_text

FORMAT_VERSION = 1
MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED = 200 * 1024 * 1024     # a zip bomb is refused before openpyxl parses it
META = "_grantflow"
LISTS = "_lister"
SUM = "Sum"
SPARE_ROWS = 25
DATE_FORMAT = "DD.MM.YYYY"
MONTH_FORMAT = "MM.YYYY"
AMOUNT_FORMAT = "#,##0"

YES, NO = "ja", "nei"
STATUS_CHOICES = ["ikke startet", "pågår", "ferdig", "utsatt", "avlyst"]
NOTE_LIST_TYPES = {"Avvik": "deviations", "Beslutning": "decisions", "Neste periode": "next_period"}
EXPLAIN = {"deviations": " Forklaring: ", "decisions": " Forslag til vedtak: ", "next_period": None}
GOAL_TYPES = {"Hovedmål": "main", "Resultatmål": "result", "Effektmål": "effect"}

# Norwegian labels for the key/value sheet (dotted paths) and for table columns (model, field).
KV_LABELS = {
    "id": "Prosjekt-id (kort, brukes i filnavn)", "name": "Prosjektnavn", "council": "Regionråd (id)",
    "owner": "Prosjekteier", "responsible": "Prosjektansvarlig",
    "leader.name": "Prosjektleder – navn", "leader.role": "Prosjektleder – rolle",
    "leader.organisation": "Prosjektleder – organisasjon", "leader.email": "Prosjektleder – e-post",
    "leader.phone": "Prosjektleder – telefon",
    "contact.name": "Kontaktperson – navn", "contact.role": "Kontaktperson – rolle",
    "contact.organisation": "Kontaktperson – organisasjon", "contact.email": "Kontaktperson – e-post",
    "contact.phone": "Kontaktperson – telefon",
    "municipalities": "Deltakende kommuner", "partners": "Samarbeidspartnere",
    "split.equal_percent": "Kostnadsfordeling – prosent likt", "split.weight": "Kostnadsfordeling – nøkkel",
    "split.weight_year": "Kostnadsfordeling – år for nøkkeltall",
    "period.start": "Prosjektperiode – start", "period.end": "Prosjektperiode – slutt",
    "summary": "Sammendrag", "background": "Bakgrunn", "challenge": "Utfordring", "anchoring": "Forankring",
    "organisation": "Organisering", "success_factors": "Kritiske suksessfaktorer",
    "budget.unit": "Budsjett – enhet (1 = kr, 1000 = i 1000 kr)", "budget.own_effort_hours": "Egeninnsats – timer",
    "budget.own_effort_note": "Egeninnsats – merknad",
    "meetings.dates": "Styringsgruppemøter – datoer", "meetings.lead_days": "Statusrapport – dager før møtet",
    "transfer_value": "Overføringsverdi", "data.milestones": "Datafil – milepælstatus",
    "data.ledger": "Datafil – regnskap", "data.ledger_code": "Datafil – prosjektkode i regnskapet",
    "data.hours": "Datafil – timer", "data.notes": "Datafil – notater",
    "recipients": "Mottakere per dokumenttype (YAML)", "example_data": "Eksempeldata",
    "source": "Kilde", "split.decision": "Kostnadsfordeling – vedtak",
    "budget.own_effort_rate": "Egeninnsats – kr per time", "budget.vat": "Budsjett – mva",
}
_CONTACTS = {"owner_contact": "Prosjekteiers kontakt", "responsible_contact": "Prosjektansvarligs kontakt",
             "leader": "Prosjektleder", "contact": "Kontaktperson"}
_PERSON_LABELS = {"name": "navn", "role": "rolle", "organisation": "organisasjon", "email": "e-post",
                  "phone": "telefon"}
_PERSON_HELP = {
    "name": "Fullt navn, eller stillingen (f.eks. «Rådmannen i Bokn»).",
    "role": "Rolle i prosjektet (f.eks. leder, medlem, prosjektleder).",
    "organisation": "Kommunen eller organisasjonen personen representerer.",
    "email": "E-postadresse; trengs for å få dokumentene.",
    "phone": "Telefon; personopplysning, tas ikke med i dokumenter som sendes ut.",
}
KV_LABELS.update({f"{who}.{field}": f"{label} – {part}" for who, label in _CONTACTS.items()
                  for field, part in _PERSON_LABELS.items()})
# What the project leader reads beside each field (the models' descriptions are for developers).
KV_HELP = {
    "id": "Kort id: små bokstaver a–z, tall og bindestrek (f.eks. haugaland-velferd); brukes i filnavn.",
    "name": "Prosjektets navn slik det skal stå i dokumentene.",
    "council": "Id-en til regionrådet som eier prosjektet.",
    "owner": "Prosjekteier.", "responsible": "Prosjektansvarlig.",
    "municipalities": "Kommunene som deltar (blant regionrådets kommuner); én per rad.",
    "partners": "Andre samarbeidspartnere, f.eks. helseforetaket; én per rad.",
    "split.equal_percent": "Prosent av kostnadene som deles likt mellom kommunene; resten etter nøkkelen.",
    "split.weight": "«innbyggere» eller en annen fordelingsnøkkel fra regionrådets kommuneliste.",
    "split.weight_year": "Året med nøkkeltall som brukes (innbyggere: per 1. januar); tomt: året som fordeles.",
    "split.decision": "Vedtaket fordelingen bygger på, f.eks. «Regionrådet 12.12.2014, sak 45/14».",
    "period.start": "Første dag i prosjektet (dd.mm.åååå).", "period.end": "Siste dag i prosjektet (dd.mm.åååå).",
    "summary": "Kort sammendrag av prosjektet.", "background": "Bakgrunnen for prosjektet.",
    "challenge": "Utfordringen prosjektet skal løse.",
    "anchoring": "Forankring: vedtaket som godkjente prosjektet.",
    "organisation": "Prosjektorganisering: eier, styringsgruppe, prosjektledelse, arbeidsgrupper.",
    "success_factors": "Kritiske suksessfaktorer; én per rad.",
    "budget.unit": "1 = beløpene er i kroner, 1000 = beløpene er i 1000 kr.",
    "budget.own_effort_hours": "Egeninnsats i timer (anslag).",
    "budget.own_effort_rate": "Kroner per time egeninnsats; tomt: satsen i innstillingene.",
    "budget.own_effort_note": "Hva egeninnsatsen består av og når den ble anslått.",
    "budget.vat": "Om beløpene er uten eller med merverdiavgift: «uten mva» eller «inkl. mva»; tomt: ikke oppgitt.",
    "meetings.dates": "Datoer for styringsgruppemøtene (dd.mm.åååå); én per rad.",
    "meetings.lead_days": "Hvor mange dager før møtet statusrapporten sendes.",
    "transfer_value": "Overføringsverdi til andre kommuner og regioner.",
    "data.milestones": "Fil med milepælstatus: Milepæl, Status, Faktisk dato, Kommentar, Vedtaksdato.",
    "data.ledger": "Regnskapsfil: Dato, År, Kategori, Beskrivelse, Beløp, Finansieringskilde.",
    "data.ledger_code": "I et regnskap som deles av flere prosjekter (med kolonnen Prosjekt): prosjektets kode "
                        "der. Tomt: prosjekt-id-en.",
    "data.hours": "Fil med egeninnsats i timer: Dato, Kommune, Timer.",
    "data.notes": "YAML-fil med statusnotater og sluttevaluering.",
    "recipients": "Per dokumenttype: hvem som får dokumentet (går foran regionrådets og standardmottakerne).",
    "example_data": "ja når deler av dataene er oppdiktede eksempler.",
    "source": "Hvor prosjektbeskrivelsen kommer fra.",
}
KV_HELP.update({f"{who}.{field}": text for who in _CONTACTS for field, text in _PERSON_HELP.items()})
COLUMN_LABELS = {
    Person: {"name": "Navn", "role": "Rolle", "organisation": "Organisasjon", "email": "E-post", "phone": "Telefon"},
    Activity: {"number": "Nr", "title": "Tittel", "responsible": "Hovedansvar", "purpose": "Hensikt",
               "result": "Forventet resultat"},
    SubActivity: {"id": "Nr", "text": "Delaktivitet"},
    Milestone: {"number": "Nr", "date": "Dato", "month_only": "Bare måned", "event": "Hendelse",
                "final_report": "Er sluttrapporten"},
    Risk: {"risk": "Risiko", "probability": "Sannsynlighet (S)", "consequence": "Konsekvens (K)",
           "rf": "RF i kilden", "mitigation": "Tiltak"},
    CostLine: {"category": "Kategori", "in_kind": "Egeninnsats"},
    FinancingLine: {"source": "Kilde", "kind": "Type", "funder": "Finansiør (id)", "applied_for": "Søkt her"},
    Funder: {"id": "Id", "name": "Navn", "email": "E-post"},
    Grant: {"year": "År", "amount": "Beløp (kr)", "reference": "Saksnummer", "decided": "Tilsagnsdato"},
    Deadline: {"kind": "Type", "date": "Dato", "description": "Beskrivelse", "shift": "Flyttes (helg/helligdag)"},
}
NOTE_LABELS = {"as_of": "Statusdato", "summary": "Oppsummering", "quality.rag": "Kvalitet (RAG)",
               "quality.comment": "Kvalitet – kommentar", "benefits.rag": "Gevinster (RAG)",
               "benefits.comment": "Gevinster – kommentar", "results": "Resultater så langt",
               "reported_by": "Rapportert av"}


@dataclass
class TableSpec:
    """A list of models in the project laid out as a table sheet."""

    sheet: str
    path: tuple[str, ...]
    model: type[BaseModel]
    years: str | None = None                         # field holding {year: amount}: one column per year
    children: tuple[tuple[str, str, str], ...] = ()  # (child field, child sheet, parent key field)
    parent: tuple[str, str, str] | None = None       # (parent key field, header, child field)
    note: str = ""


TABLES = (
    TableSpec("Styringsgruppe", ("steering_group",), Person, note="Styringsgruppens medlemmer."),
    TableSpec("Aktiviteter", ("activities",), Activity, children=(("subactivities", "Delaktiviteter", "number"),)),
    TableSpec("Delaktiviteter", ("activities",), SubActivity, parent=("number", "Aktivitet", "subactivities")),
    TableSpec("Milepæler", ("milestones",), Milestone,
              note="Bare måned = ja: planen gir bare måned; datoen er da siste dag i måneden."),
    TableSpec("Risiko", ("risks",), Risk, note="RF = S × K beregnes; RF i kilden sjekkes mot den."),
    TableSpec("Budsjett", ("budget", "costs"), CostLine, years="amounts"),
    TableSpec("Finansiering", ("budget", "financing"), FinancingLine, years="amounts"),
    TableSpec("Finansiører", ("funders",), Funder,
              children=(("grants", "Tilsagn", "id"), ("deadlines", "Frister", "id"))),
    TableSpec("Tilsagn", ("funders",), Grant, parent=("id", "Finansiør (id)", "grants")),
    TableSpec("Frister", ("funders",), Deadline, parent=("id", "Finansiør (id)", "deadlines")),
)
TABLE_PATHS = {("goals",)} | {spec.path for spec in TABLES}
UNIT_NOTE = "Beløpene er i "          # the note beside an amount sheet's table: its unit (not a column)
SUM_SHEETS = {spec.sheet for spec in TABLES if spec.years}         # the sheets with a Sum row


# ---------------------------------------------------------------------------------------------
# Field kinds


@dataclass(frozen=True)
class Kind:
    name: str                      # text | int | decimal | date | bool | literal | model | list | yaml
    optional: bool = False
    choices: tuple = ()
    inner: Any = None              # model class, or the item Kind of a list


def kind_of(annotation) -> Kind:
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) != 1:
            return Kind("yaml", optional)
        annotation = args[0]
        origin = typing.get_origin(annotation)
    if origin is typing.Annotated and typing.get_args(annotation)[0] is str:
        # A name, a free text, a path (Line, Text, DataPath ...) is text as typed: read as YAML,
        # 'Kommune #1' lost all after '#' and 'yes' or '2016' was refused as no string
        return Kind("text", optional)
    if origin is typing.Literal:
        return Kind("literal", optional, typing.get_args(annotation))
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        return Kind("list", optional, inner=kind_of(item))
    if origin is not None:
        return Kind("yaml", optional)
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return Kind("model", optional, inner=annotation)
        if issubclass(annotation, bool):
            return Kind("bool", optional)
        if issubclass(annotation, int):
            return Kind("int", optional)
        if issubclass(annotation, (Decimal, float)):
            return Kind("decimal", optional)
        if issubclass(annotation, date):
            return Kind("date", optional)
        if issubclass(annotation, str):
            return Kind("text", optional)
    return Kind("yaml", optional)


SCALARS = {"text", "int", "decimal", "date", "bool", "literal", "yaml"}


def _fields(model: type[BaseModel]):
    # (a field left out of dumps, a participant's years, is written in another field's entries)
    return [(name, kind_of(info.annotation), info) for name, info in model.model_fields.items() if not info.exclude]


# ---------------------------------------------------------------------------------------------
# Writing


class _Writer:
    def __init__(self, lists: dict[str, list[str]]):
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill, Protection

        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self.Protection = Protection
        self.head_font = Font(bold=True, color="FFFFFF")
        self.head_fill = PatternFill("solid", fgColor="1F4E79")
        self.input_fill = PatternFill("solid", fgColor="FFF9DB")
        self.locked_fill = PatternFill("solid", fgColor="E7E6E6")
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.top = Alignment(vertical="top")
        self.lists_ws = None
        self.list_refs: dict[str, str] = {}
        self.validations: dict[tuple, Any] = {}
        for name, values in lists.items():
            self.add_list(name, values)

    def add_list(self, name: str, values: list[str]) -> str:
        if name in self.list_refs:
            return self.list_refs[name]
        if self.lists_ws is None:
            self.lists_ws = self.wb.create_sheet(LISTS)
            self.lists_ws.sheet_state = "hidden"
        col = len(self.list_refs) + 1
        from openpyxl.utils import get_column_letter

        letter = get_column_letter(col)
        self.lists_ws.cell(1, col, name)
        for row, value in enumerate(values or [""], start=2):
            self._text(self.lists_ws.cell(row, col), value)
        ref = f"{LISTS}!${letter}$2:${letter}${len(values or ['']) + 1}"
        self.list_refs[name] = ref
        return ref

    @staticmethod
    def _text(cell, value) -> None:
        from openpyxl.utils.exceptions import IllegalCharacterError

        if isinstance(value, str) and len(value) > EXCEL_MAX_TEXT:
            raise UserError(f"{value[:40]!r}… is {len(value)} characters, more than an Excel cell holds "
                            f"({EXCEL_MAX_TEXT}); shorten it in the register", file=cell.parent.title,
                            field=cell.coordinate)
        try:
            cell.value = value
        except IllegalCharacterError:
            raise UserError(f"{str(value)[:40]!r}…: contains a control character that Excel cannot hold",
                            file=cell.parent.title, field=cell.coordinate) from None
        cell.data_type = "s"       # user text never becomes a formula, even when it starts with '='

    def sheet(self, title: str, headers: list[str], widths: list[int] | None = None, note: str = ""):
        ws = self.wb.create_sheet(title)
        for col, header in enumerate(headers, start=1):
            cell = ws.cell(1, col)
            self._text(cell, header)
            cell.font, cell.fill = self.head_font, self.head_fill
            cell.alignment = self.wrap
        ws.freeze_panes = "A2"
        ws.row_dimensions[1].height = 32
        from openpyxl.utils import get_column_letter

        for col, width in enumerate(widths or [], start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        if note:
            ws.cell(1, len(headers) + 2, note).font = Font(italic=True, color="595959")
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        ws.protection.insertRows = False
        ws.protection.deleteRows = False
        ws.protection.sort = False
        ws.protection.autoFilter = False
        return ws

    def validation(self, ws, kind: Kind, list_name: str | None = None):
        from openpyxl.worksheet.datavalidation import DataValidation

        key = (ws.title, kind.name, kind.choices, list_name)
        if key in self.validations:
            return self.validations[key]
        dv = None
        if kind.name == "date":
            dv = DataValidation(type="date", operator="between", formula1="DATE(1990,1,1)",
                                formula2="DATE(2100,12,31)", allow_blank=True,
                                error="Skriv en dato, for eksempel 21.09.2015.", errorTitle="Dato")
        elif kind.name == "int":
            dv = DataValidation(type="whole", operator="between", formula1="-1000000000", formula2="1000000000",
                                allow_blank=True, error="Skriv et helt tall.", errorTitle="Tall")
        elif kind.name == "decimal":
            dv = DataValidation(type="decimal", operator="between", formula1="-1000000000000",
                                formula2="1000000000000", allow_blank=True,
                                error="Skriv et tall (uten «kr» og uten punktum som tusenskille).", errorTitle="Tall")
        elif kind.name in ("bool", "literal") or list_name:
            name = list_name or ("janei" if kind.name == "bool" else "|".join(map(str, kind.choices)))
            values = [YES, NO] if kind.name == "bool" else [str(c) for c in kind.choices]
            ref = self.list_refs.get(name) or self.add_list(name, values)
            dv = DataValidation(type="list", formula1=f"={ref}", allow_blank=True,
                                error="Velg en verdi fra listen.", errorTitle="Ugyldig verdi")
        if dv is not None:
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
        self.validations[key] = dv
        return dv

    def put(self, ws, row: int, col: int, value, kind: Kind, *, editable: bool = True,
            list_name: str | None = None, month_only: bool = False) -> None:
        cell = ws.cell(row, col)
        if value is None or value == "":
            cell.value = None
        elif kind.name == "date":
            cell.value = value if isinstance(value, date) else date.fromisoformat(str(value))
            cell.number_format = MONTH_FORMAT if month_only else DATE_FORMAT
        elif kind.name in ("int", "decimal"):
            cell.value = value
            cell.number_format = _shows_whole(value) if kind.name != "int" else AMOUNT_FORMAT
        elif kind.name == "bool":
            self._text(cell, YES if value else NO)
        elif kind.name == "yaml":
            text = yaml.safe_dump(_jsonable(value), allow_unicode=True, sort_keys=False,
                                  default_flow_style=True, width=10_000)
            # a plain scalar is dumped as a document with an end marker ("Haugesund\n...\n"),
            # which the project leader saw as a stray second line "..." in the cell
            self._text(cell, text.removesuffix("\n...\n").strip())
        else:
            self._text(cell, str(value))
        if kind.name == "date" and cell.value is None:
            cell.number_format = DATE_FORMAT
        if kind.name in ("text", "yaml"):
            cell.alignment = self.wrap
        else:
            cell.alignment = self.top
        if editable:
            cell.protection = self.Protection(locked=False)
            cell.fill = self.input_fill
            dv = self.validation(ws, kind, list_name)
            if dv is not None:
                dv.add(cell.coordinate)
        else:
            cell.fill = self.locked_fill

    def formula(self, ws, row: int, col: int, text: str, number_format: str = AMOUNT_FORMAT) -> None:
        cell = ws.cell(row, col, text)
        cell.number_format = number_format
        cell.fill = self.locked_fill
        cell.alignment = self.top


def _shows_whole(value) -> str:
    """A number format that shows every decimal of ``value`` (at least the øre when it has any):
    under '#,##0.00' the leader saw 800,125 as 800,13, and a returned cell that shows another
    figure than it holds is refused."""
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number == number.to_integral_value():
        return AMOUNT_FORMAT
    return AMOUNT_FORMAT + "." + "0" * max(2, -number.normalize().as_tuple().exponent)


def _jsonable(value):
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python", exclude_defaults=True)
    if isinstance(value, dict):
        return {(k if isinstance(k, (str, int)) else str(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _get(data: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _width(label: str, kind: Kind) -> int:
    if kind.name in ("text", "yaml"):
        return 40
    return max(12, min(24, len(label) + 2))


def _write_kv(w: _Writer, data: dict, lists: dict[str, str]) -> None:
    ws = w.sheet("Prosjekt", ["Nøkkel", "Felt", "Verdi", "Forklaring"], [22, 38, 70, 50],
                 note="Fyll inn de gule cellene. Lister (kommuner, partnere ...): én verdi per rad; "
                      "sett inn rader ved behov.")
    ws.column_dimensions["A"].hidden = False
    row = 2

    def walk(model: type[BaseModel], prefix: tuple[str, ...], values: dict | None):
        nonlocal row
        for name, kind, info in _fields(model):
            path = prefix + (name,)
            if path in TABLE_PATHS:
                continue
            dotted = ".".join(path)
            value = values.get(name) if isinstance(values, dict) else None
            if isinstance(values, dict) and name not in values and kind.name in SCALARS \
                    and info.default not in (PydanticUndefined, None):
                value = info.default          # a blank template shows the defaults
            if kind.name == "model":
                walk(kind.inner, path, value if isinstance(value, dict) else ({} if values is not None else None))
                continue
            label = KV_LABELS.get(dotted, dotted)
            help_text = KV_HELP.get(dotted, "")
            if kind.name == "list" and kind.inner.name in SCALARS:
                items = list(value or [])
                spare = max(2, len(lists.get(dotted + "#choices", [])) - len(items)) \
                    if dotted + "#choices" in lists else 2
                for index, item in enumerate(items + [None] * spare):
                    if index == 0:
                        w._text(ws.cell(row, 1), dotted)
                        w._text(ws.cell(row, 2), label)
                        if help_text:
                            w._text(ws.cell(row, 4), help_text)
                    w.put(ws, row, 3, item, kind.inner, list_name=lists.get(dotted))
                    row += 1
                continue
            w._text(ws.cell(row, 1), dotted)
            w._text(ws.cell(row, 2), label)
            if help_text:
                w._text(ws.cell(row, 4), help_text)
            w.put(ws, row, 3, value, kind if kind.name != "list" else Kind("yaml"), list_name=lists.get(dotted))
            row += 1

    walk(Project, (), data)
    for col in (1, 2, 4):
        for r in range(2, row):
            ws.cell(r, col).alignment = w.wrap
            ws.cell(r, col).fill = w.locked_fill


def _years(data: dict) -> list[int]:
    found: set[int] = set()
    for path in (("budget", "costs"), ("budget", "financing")):
        for line in _get(data, path) or []:
            found |= {int(y) for y in (line.get("amounts") or {})}
    period = data.get("period") or {}
    try:
        start = period["start"] if isinstance(period["start"], date) else date.fromisoformat(str(period["start"]))
        end = period["end"] if isinstance(period["end"], date) else date.fromisoformat(str(period["end"]))
        found |= set(range(start.year, end.year + 1))
    except (KeyError, TypeError, ValueError):
        pass
    if not found:
        this = clock.today().year
        found = {this, this + 1}
    return sorted(found)


def _columns(spec: TableSpec, years: list[int]):
    """(header, field or None, kind, year) per column, in order."""
    labels = COLUMN_LABELS.get(spec.model, {})
    cols = []
    if spec.parent:
        cols.append((spec.parent[1], "__parent__", Kind("text") if spec.parent[0] == "id" else Kind("int"), None))
    child_fields = {c[0] for c in spec.children}
    for name, kind, _ in _fields(spec.model):
        if name in child_fields:
            continue
        if name == spec.years:
            cols += [(str(y), name, Kind("decimal"), y) for y in years]
            continue
        cols.append((labels.get(name, name), name, kind if kind.name in SCALARS else Kind("yaml"), None))
    return cols


def _write_table(w: _Writer, spec: TableSpec, data: dict, years: list[int], lists: dict[str, str],
                 blank: bool = False) -> None:
    cols = _columns(spec, years)
    headers = [c[0] for c in cols]
    computed = []
    if spec.years:
        computed.append("Sum (beregnes)")
    if spec.model is Risk:
        computed.append("RF = S × K (beregnes)")
    note = spec.note
    if spec.years:
        # the unit beside the amounts: it was only on the Prosjekt sheet, and kroner typed into a plan
        # kept in 1000 kr made a budget of 1,8 billion (found by an outside tester)
        unit = (_get(data, ("budget",)) or {}).get("unit") or 1
        # a blank workbook's unit is the leader's to fill in on the Prosjekt sheet: the note names it
        # and states none ("kroner" stood beside a unit set to 1000 there: found by a reviewer)
        note = (f"{UNIT_NOTE}enheten som er valgt på Prosjekt («Budsjett – enhet»)." if blank else
                (f"{UNIT_NOTE}{int(unit):_} kr".replace("_", "\u00a0") if int(unit) != 1 else f"{UNIT_NOTE}kroner")
                + " (Prosjekt: «Budsjett – enhet»).")
    ws = w.sheet(spec.sheet, headers + computed,
                 [_width(h, k) for h, _, k, _ in cols] + [16] * len(computed), note=note)
    if blank and spec.years:         # a new project's years are not known yet: the headers are to fill in
        for col, (_, _, _, year) in enumerate(cols, start=1):
            if year is not None:
                ws.cell(1, col).protection = w.Protection(locked=False)
                ws.cell(1, col).fill = w.input_fill
                ws.cell(1, col).font = Font(bold=True)
    items = list(_get(data, spec.path) or [])
    rows: list[tuple[Any, dict]] = []
    if spec.parent:
        key_field, _, child_field = spec.parent
        for parent in items:
            for child in parent.get(child_field) or []:
                rows.append((parent.get(key_field), child))
    else:
        rows = [(None, item) for item in items]
    from openpyxl.utils import get_column_letter

    last = len(rows) + SPARE_ROWS + 1
    for index in range(len(rows) + SPARE_ROWS):
        r = index + 2
        parent_key, item = rows[index] if index < len(rows) else (None, {})
        for col, (header, name, kind, year) in enumerate(cols, start=1):
            if name == "__parent__":
                value = parent_key
            elif year is not None:
                value = (item.get(name) or {}).get(year)
            else:
                value = item.get(name)
            month = spec.model is Milestone and name == "date" and bool(item.get("month_only"))
            w.put(ws, r, col, value, kind, list_name=lists.get(f"{spec.sheet}.{name}"), month_only=month)
        c = len(cols) + 1
        if spec.years:
            first = get_column_letter(next(i for i, col in enumerate(cols, 1) if col[3] is not None))
            end = get_column_letter(max(i for i, col in enumerate(cols, 1) if col[3] is not None))
            w.formula(ws, r, c, f'=IF(COUNT({first}{r}:{end}{r})=0,"",SUM({first}{r}:{end}{r}))')
            c += 1
        if spec.model is Risk:
            s = get_column_letter(headers.index(COLUMN_LABELS[Risk]["probability"]) + 1)
            k = get_column_letter(headers.index(COLUMN_LABELS[Risk]["consequence"]) + 1)
            w.formula(ws, r, c, f'=IF(AND(ISNUMBER({s}{r}),ISNUMBER({k}{r})),{s}{r}*{k}{r},"")', "0")
    if spec.years:
        r = last + 1
        w._text(ws.cell(r, 1), SUM)
        ws.cell(r, 1).font = Font(bold=True)
        ws.cell(r, 1).fill = w.locked_fill
        year_cols = [i for i, col in enumerate(cols, 1) if col[3] is not None] + [len(cols) + 1]
        for i in year_cols:
            letter = get_column_letter(i)
            w.formula(ws, r, i, f"=SUM({letter}2:{letter}{last})")
        if spec.path == ("budget", "financing"):
            r += 1
            w._text(ws.cell(r, 1), "Finansiering − kostnader (egeninnsats ikke medregnet)")
            ws.cell(r, 1).fill = w.locked_fill
            kind_col = get_column_letter(headers.index(COLUMN_LABELS[FinancingLine]["kind"]) + 1)
            cost_spec = next(s for s in TABLES if s.path == ("budget", "costs"))
            cost_cols = _columns(cost_spec, years)
            cost_year_cols = [i for i, col in enumerate(cost_cols, 1) if col[3] is not None] + [len(cost_cols) + 1]
            cost_last = len(_get(data, ("budget", "costs")) or []) + SPARE_ROWS + 1
            in_kind_col = get_column_letter(
                [c[0] for c in cost_cols].index(COLUMN_LABELS[CostLine]["in_kind"]) + 1)
            for offset, i in enumerate(year_cols):
                letter = get_column_letter(i)
                cost_letter = get_column_letter(cost_year_cols[offset])
                # cash costs only: a cost line marked Egeninnsats = ja is own effort (grantflow.owneffort)
                cost = (f'SUMIF(Budsjett!{in_kind_col}2:{in_kind_col}{cost_last},"<>{YES}",'
                        f"Budsjett!{cost_letter}2:{cost_letter}{cost_last})")
                w.formula(ws, r, i, f'=SUMIF({kind_col}2:{kind_col}{last},"<>egeninnsats",{letter}2:{letter}{last})'
                                    f"-{cost}")


def _write_goals(w: _Writer, data: dict) -> None:
    ws = w.sheet("Mål", ["Type", "Mål"], [16, 100], note="Hovedmål, resultatmål og effektmål; ett mål per rad.")
    goals = data.get("goals") or {}
    rows = [(label, text) for label, key in GOAL_TYPES.items() for text in goals.get(key) or []]
    kind = Kind("literal", choices=tuple(GOAL_TYPES))
    for index in range(len(rows) + SPARE_ROWS):
        label, text = rows[index] if index < len(rows) else (None, None)
        w.put(ws, index + 2, 1, label, kind)
        w.put(ws, index + 2, 2, text, Kind("text"))


def _split_explained(text: str, marker: str | None) -> tuple[str, str]:
    if marker and marker in text:
        head, tail = text.split(marker, 1)
        return head, tail
    return text, ""


def _write_input(w: _Writer, project: dict, progress: list[dict], note: dict | None, as_of: date,
                 reporter: str) -> None:
    ws = w.sheet("Milepælstatus", ["Nr", "Hendelse", "Planlagt dato", "Status", "Faktisk dato", "Kommentar"],
                 [6, 50, 14, 14, 14, 60],
                 note="Fyll inn status, faktisk dato (når ferdig; for utsatt og avlyst: datoen det ble vedtatt) og kommentar.")
    by_number = {row["number"]: row for row in progress}
    status = Kind("literal", choices=tuple(STATUS_CHOICES))
    for index, ms in enumerate(project.get("milestones") or []):
        r = index + 2
        got = by_number.get(ms.get("number"), {})
        w.put(ws, r, 1, ms.get("number"), Kind("int"), editable=False)
        w.put(ws, r, 2, ms.get("event"), Kind("text"), editable=False)
        w.put(ws, r, 3, ms.get("date"), Kind("date"), editable=False, month_only=bool(ms.get("month_only")))
        w.put(ws, r, 4, got.get("status"), status, list_name="status")
        w.put(ws, r, 5, got.get("actual"), Kind("date"))
        w.put(ws, r, 6, got.get("comment"), Kind("text"))

    ws = w.sheet("Statusnotat", ["Nøkkel", "Felt", "Verdi"], [18, 34, 90],
                 note="Det prosjektlederen melder til styringsgruppen for perioden (resten beregnes).")
    note = dict(note or {})
    rag = Kind("literal", choices=tuple(RAG_LABELS.values()))
    values = {
        "as_of": as_of, "summary": note.get("summary"),
        "quality.rag": RAG_LABELS.get((note.get("quality") or {}).get("rag")),
        "quality.comment": (note.get("quality") or {}).get("comment"),
        "benefits.rag": RAG_LABELS.get((note.get("benefits") or {}).get("rag")),
        "benefits.comment": (note.get("benefits") or {}).get("comment"),
        "results": note.get("results"), "reported_by": reporter,
    }
    for r, (key, label) in enumerate(NOTE_LABELS.items(), start=2):
        w._text(ws.cell(r, 1), key)
        w._text(ws.cell(r, 2), label)
        ws.cell(r, 1).fill = ws.cell(r, 2).fill = w.locked_fill
        kind = Kind("date") if key == "as_of" else rag if key.endswith(".rag") else Kind("text")
        w.put(ws, r, 3, values[key], kind, editable=key != "as_of")
        if key.endswith(".rag"):
            _rag_colours(ws, f"C{r}")

    ws = w.sheet("Avvik og beslutninger", ["Type", "Tekst", "Forklaring / forslag til vedtak"], [16, 70, 70],
                 note="Avvik med forklaring, beslutninger styringsgruppen må ta med forslag til vedtak, "
                      "plan for neste periode.")
    rows = _note_rows(note)
    kind = Kind("literal", choices=tuple(NOTE_LIST_TYPES))
    for index in range(len(rows) + SPARE_ROWS):
        label, text, why = rows[index] if index < len(rows) else (None, None, None)
        w.put(ws, index + 2, 1, label, kind)
        w.put(ws, index + 2, 2, text, Kind("text"))
        w.put(ws, index + 2, 3, why, Kind("text"))


def _note_rows(note: dict) -> list[tuple[str, str, str]]:
    """A note's deviations, decisions and next-period items as (Type, Tekst, Forklaring) rows."""
    return [(label, *_split_explained(text, EXPLAIN[key]))
            for label, key in NOTE_LIST_TYPES.items() for text in note.get(key) or []]


def _write_previous(w: _Writer, previous: dict) -> list[list]:
    """Last period's lists, locked and not read: the leader copies what still applies. Returns the
    sheet's cells as written (rows of values), kept in the metadata so that a change is seen."""
    when = previous.get("as_of")
    ws = w.sheet(PREVIOUS_SHEET, ["Type", "Tekst", "Forklaring / forslag til vedtak"], [16, 70, 70],
                 note=f"Fra statusnotatet {when:%d.%m.%Y}, bare til informasjon: dette arket leses ikke inn. "
                      f"Det som fortsatt gjelder, skriver du på nytt i «Avvik og beslutninger».")
    for r, row in enumerate(_note_rows(previous), start=2):
        for c, value in enumerate(row, start=1):
            w.put(ws, r, c, value or None, Kind("text"), editable=False)
    return [[cell.value for cell in row] for row in ws.iter_rows()]


def _rag_colours(ws, ref: str) -> None:
    """grønn/gul/rød cells coloured as they read."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill

    for label, colour in (("grønn", "C6EFCE"), ("gul", "FFEB9C"), ("rød", "FFC7CE")):
        ws.conditional_formatting.add(ref, CellIsRule(operator="equal", formula=[f'"{label}"'],
                                                      fill=PatternFill("solid", bgColor=colour)))


def _write_meta(w: _Writer, meta: dict) -> None:
    ws = w.wb.create_sheet(META)
    ws.sheet_state = "hidden"
    for r, (key, value) in enumerate(meta.items(), start=1):
        ws.cell(r, 1, key)
        text = json.dumps(value, ensure_ascii=False, default=str)
        chunks = [text[i:i + 30000] for i in range(0, len(text), 30000)] or [""]
        for c, chunk in enumerate(chunks, start=2):
            w._text(ws.cell(r, c), chunk)
    ws.protection.sheet = True


def _guide(w: _Writer, title: str, lines: list[str]) -> None:
    ws = w.wb.create_sheet("Veiledning", 0)
    ws.column_dimensions["A"].width = GUIDE_WIDTH
    w._text(ws.cell(1, 1), title)          # the project's name: user text, never a formula
    ws.cell(1, 1).font = Font(bold=True, size=14)
    for r, line in enumerate(lines, start=3):
        w._text(ws.cell(r, 1), line)
        ws.cell(r, 1).alignment = w.wrap
        # a row keeps the height it is given: a wrapped line gets room for each of its lines (neither
        # Excel nor LibreOffice grows a row when a file is opened), else it is drawn over the next
        ws.row_dimensions[r].height = 15 * guide_lines(line)
    # printed on one page's width
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


GUIDE_WIDTH = 100      # characters of column A in the guide sheet


def guide_lines(text: str) -> int:
    """How many lines ``text`` takes in the guide sheet's column: about 1.2 letters of Calibri 11
    per unit of column width (Excel measures widths in "0"s, wider than the average letter), less
    a little for breaking at words (measured on LibreOffice's pages of the guide)."""
    return max(1, math.ceil(len(text) / (GUIDE_WIDTH * 1.15)))


def project_data(project: Project) -> dict:
    """The project as plain data, in the register YAML's shape."""
    return project.model_dump(mode="python")


def write_workbook(project: dict, *, council_municipalities: list[str], progress: list[dict] | None = None,
                   note: dict | None = None, as_of: date | None = None, blank: bool = False,
                   issue: str | None = None) -> bytes:
    """The workbook as .xlsx bytes.

    ``project``: the project as plain data (``project_data``) or, for a blank template, a dict
    with just the council. ``progress``: milestone progress rows {number, status, actual,
    comment}. ``note``: the status note to pre-fill (the last one). ``issue``: the id it was issued
    under (``issued.record_issue``); a workbook without one is not taken back in.
    """
    lists = {"municipalities": "kommuner"}
    as_of = as_of or clock.today()
    previous = None
    if note and note.get("as_of") != as_of:
        # A new report date: last period's deviations, decisions and next-period items are not this
        # period's (a settled decision was put to the steering group again a year later), nor is
        # who reported them. They start empty; the old ones are shown on a sheet that is not read.
        previous = note if _note_rows(note) else None
        note = {k: v for k, v in note.items() if k not in (*NOTE_LIST_TYPES.values(), "reported_by")}
    w = _Writer({"kommuner": council_municipalities, "status": STATUS_CHOICES})
    if blank:
        _guide(w, "Nytt prosjekt – arbeidsbok", [
            "Slik lager du et nytt prosjekt uten å redigere YAML:",
            "1. Fyll inn de gule cellene i arkene Prosjekt, Mål, Styringsgruppe, Aktiviteter, Milepæler, Risiko, "
            "Budsjett, Finansiering og Finansiører. Grå celler er låst (overskrifter og summer som beregnes).",
            "2. Datoer skrives som datoer (21.09.2015), beløp som tall uten «kr» og uten punktum som tusenskille.",
            "   I Budsjett og Finansiering er årstallene i overskriftene gule: skriv prosjektets år der.",
            "   Summene regner arbeidsboka ut selv (raden Sum nederst): ikke skriv eller lim inn egne sumrader "
            "(Sum, Totalt, =SUMMER(…)); de blir avvist.",
            "3. Send arbeidsboka til sekretariatet, som kjører: grantflow new-project ARBEIDSBOK.xlsx",
            "   Arbeidsboka sjekkes først; feil meldes med ark, rad og felt, og ingenting skrives før alt er riktig.",
        ])
    else:
        _guide(w, f"{project.get('name', '')} – rapportering", [
            "Slik rapporterer du for perioden:",
            "1. Milepælstatus: velg status for hver milepæl, skriv faktisk dato når den er nådd (for utsatt og avlyst: "
            "datoen det ble vedtatt) og en kort kommentar.",
            "2. Statusnotat: oppsummering, kvalitet og gevinster (grønn/gul/rød med kommentar), resultater og "
            "hvem som rapporterer.",
            "3. Avvik og beslutninger: avvik med forklaring, beslutninger styringsgruppen må ta med forslag til "
            "vedtak, og plan for neste periode – én per rad. Arket Forrige periode viser hva forrige statusnotat "
            "meldte, bare til informasjon: skriv det som fortsatt gjelder, på nytt her.",
            "4. De andre arkene er prosjektplanen (registeret). Rett gjerne feil der; endringene kontrolleres ved "
            "innlesing. Summene regnes ut: ikke legg inn egne sumrader (Sum, Totalt).",
            "Gule celler fylles inn; grå celler er låst (overskrifter, milepælplanen og summer som beregnes).",
            "Lagre og send arbeidsboka tilbake til sekretariatet (eller legg den i innboksen config/inbox/).",
        ])
    _write_kv(w, project, lists)
    _write_goals(w, project)
    years = _years(project)
    for spec in TABLES:
        _write_table(w, spec, project, years, {}, blank)
    if not blank:
        _write_input(w, project, progress or [], note, as_of, (note or {}).get("reported_by") or "")
        if previous is not None:
            written = _write_previous(w, previous)
    meta = {"format": FORMAT_VERSION, "kind": "blank" if blank else "project", "project": project.get("id"),
            "council": project.get("council"), "as_of": as_of.isoformat(),
            "made": datetime.now().astimezone().isoformat(timespec="seconds")}
    if issue is not None:
        meta["issue"] = issue
    if not blank:
        meta["snapshot"] = _jsonable(project)
        meta["progress"] = _jsonable(progress or [])
        meta["note"] = _jsonable({k: v for k, v in (note or {}).items()
                                  if k not in ("as_of", "reported_by", "reported_at", "not_reported")})
        if previous is not None:
            meta["previous_sheet"] = _jsonable(written)
    _write_meta(w, meta)
    w.wb.active = 0
    buffer = io.BytesIO()
    w.wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass
class WorkbookContent:
    """What a returned workbook says, as plain data, with where each value came from."""

    file: str
    meta: dict
    project: dict
    progress: list[dict] | None          # [{number, status, actual, comment, _row}]
    note: dict | None                    # StatusNote data
    where: dict[tuple, tuple[str, int, str]] = field(default_factory=dict)   # loc -> (sheet, row, header)
    findings: list[Finding] = field(default_factory=list)
    listed: set[int] | None = None       # every milestone number with a row in Milepælstatus (blank or not)

    def locate(self, loc: tuple) -> tuple[str, int | None, str]:
        """(file:sheet, row, header) of ``loc`` or its nearest ancestor."""
        loc = tuple(loc)
        while loc:
            if loc in self.where:
                sheet, row, header = self.where[loc]
                return f"{self.file}:{sheet}", row, header
            loc = loc[:-1]
        return f"{self.file}:Prosjekt", None, ""

    def error(self, sheet: str, row: int | None, header: str, message: str, severity: str = "error") -> None:
        self.findings.append(Finding(severity, f"{self.file}:{sheet}", row, header, message))


def _text_of(value) -> str:
    """A cell's value as Excel shows it (a time of day as 12:00, a TRUE/FALSE cell as TRUE), not as
    Python spells it (datetime.time(12, 0), True)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


NOT_TEXT = "a TRUE/FALSE cell (SANN/USANN), not text; type the text"


def not_a(value, what: str) -> str | None:
    """Why a time-of-day or TRUE/FALSE cell is no ``what`` (a date, a number), or None."""
    if isinstance(value, bool):
        return f"a TRUE/FALSE cell (SANN/USANN), not {what}; type the {what.split()[-1]}"
    if isinstance(value, time):
        return f"a time of day, not {what}; type the {what.split()[-1]}"
    return None


class Misread(ValueError):
    """A cell that shows the leader another figure than it holds: the message is whole (it names
    the cell), not a reason to put after "cannot read …"."""


def _unread(value, exc: ValueError) -> str:
    """What is said of a cell ``read_value`` refused."""
    return str(exc) if isinstance(exc, Misread) else f"cannot read {_text_of(value)!r}: {exc}"


def misshown_said(value: Misshown, kind: Kind, unit: str) -> str:
    """A cell whose number format shows another figure than it holds (rounded, divided by 1 000,
    nothing, or beside digits of its own): what the leader sees, what it holds, what to do."""
    number = Decimal(repr(float(value))) * (100 if value.percent else 1)
    money = kind.name == "decimal" and unit in ("kr", "1000 kr") and not value.percent
    if money and number == number.quantize(Decimal("0.01")) and number != number.to_integral_value():
        number = number.quantize(Decimal("0.01"))          # kroner and øre: 1 250,40
    else:
        number = number.normalize()
    places = max(-number.as_tuple().exponent, 0)
    percent = " %" if value.percent else ""
    held, what = f"{show(number)}{percent}", "amount" if money else "number"
    example = f"# ##0{',' + '0' * places if places else ''}{percent}"
    if value.why == "decimals":
        typed = value.shown.replace(" ", "").removesuffix("%") if value.shown != "nothing" else "0"
        return (f"cell {value.ref} shows {value.shown} but holds {held} (its number format {value.code!r} hides "
                f"the decimals); write the {what} as you mean it: type {typed}, or give the cell a number format "
                f"that shows the decimals, e.g. {example}")
    written = f"write the {what} as you mean it in a cell whose number format shows it, e.g. {example}"
    if value.why == "nothing":
        return (f"cell {value.ref} shows nothing but holds {held} (its number format {value.code!r} shows no "
                f"digits of it); {written}, or empty the cell")
    if value.why == "scaled":
        by = show(Decimal(1000) ** scaling_of(value.code, float(value)))
        return (f"cell {value.ref} shows {value.shown} but holds {held} (its number format {value.code!r} divides "
                f"it by {by} on screen); {written}")
    return (f"cell {value.ref} holds {held}, but its number format {value.code!r} shows digits of its own "
            f"beside it; {written}")


def read_value(value, kind: Kind, *, percent: bool = False, year: bool = False, unit: str = ""):
    """A cell's value as the model wants it; raises ValueError with a short reason. ``percent``:
    the field is a percentage, so a cell formatted as one (30 % held as 0.3) is read as 30.
    ``unit``: a number's unit as ``grantflow.numbers`` names it (default: kroner for a decimal, a
    whole number for an int, percent for a percentage; ``1000 kr`` for a budget kept in thousands)."""
    reason = unreadable(value)
    if reason:
        raise ValueError(reason)
    unit = unit or ("%" if percent else "whole" if kind.name == "int" else "kr")
    if isinstance(value, Misshown):
        raise Misread(misshown_said(value, kind, unit))
    if year and kind.name == "int" and (said := date_for_year(value, named=False)):
        raise ValueError(said)               # 'a date, not a number' said nothing of the year to write
    if isinstance(value, Percent):
        if percent and kind.name in ("int", "decimal"):
            value = Decimal(repr(float(value))) * 100
            value = value.to_integral_value() if value == value.to_integral_value() else value.normalize()
        else:
            raise ValueError(percent_refused(value))
    if percent and isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1]          # «30 %» typed as text in a percentage field
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("not a number")
    if kind.name == "date":
        if not_a(value, "a date"):
            raise ValueError(not_a(value, "a date"))
        if isinstance(value, (int, float)):
            raise ValueError("a number, not a date (format the cell as a date)")
        return read_date(value)
    if kind.name in ("int", "decimal"):
        if isinstance(value, (date, datetime)):
            raise ValueError("a date, not a number")
        if not_a(value, "a number"):
            raise ValueError(not_a(value, "a number"))
        # the one reader of numbers (grantflow.numbers), in the field's unit, as for the same text in
        # YAML or a data file: '200.000' is 200 000 kr, refused in 1000 kr or hours; '12,000' refused
        number = read_number(value if isinstance(value, (int, float, Decimal, str)) else str(value), unit)
        if kind.name == "int":
            if number != number.to_integral_value():
                raise ValueError("not a whole number")
            return int(number)
        return number
    if kind.name == "bool":
        text = _text_of(value).casefold()
        if text in ("ja", "j", "x", "yes", "true", "1", "sann"):
            return True
        if text in ("nei", "n", "no", "false", "0", "usann"):
            return False
        raise ValueError("write ja or nei")
    if kind.name == "literal":
        text = _text_of(value)
        for choice in kind.choices:
            if text.casefold() == str(choice).casefold():
                return choice
        raise ValueError("choose one of: " + ", ".join(map(str, kind.choices)))
    if kind.name == "text" and isinstance(value, bool):
        raise ValueError(NOT_TEXT)
    if kind.name == "yaml":
        # the rules of a YAML file (grantflow.yamlfile): 0x0a is refused, not read as 10
        return read_yaml_text(_text_of(value))
    return _text_of(value) if not isinstance(value, str) else value.strip()


MAX_SHEET_COLUMNS = 200      # the widest sheet (a budget over many years) is far narrower
MAX_SHEET_ROWS = 5000        # the longest table (a project's risks, milestones ...) is far shorter
INPUT_SHEETS = ("Milepælstatus", "Statusnotat", "Avvik og beslutninger")
PREVIOUS_SHEET = "Forrige periode"       # last period's lists, locked, for reference: never read
READ_SHEETS = {"Prosjekt", "Mål", *(spec.sheet for spec in TABLES), *INPUT_SHEETS, META}


class _Sheet:
    """A returned sheet as the file holds it: only the cells present (openpyxl's iter_rows would
    pad to the farthest cell: one in XFD1048576 asks for 17 billion). A value beyond column
    MAX_SHEET_COLUMNS is a stray cell, refused by name, as are merged cells in a sheet that is read
    (the writer merges none: a merged range hides the cells it covers)."""

    def __init__(self, ws, content: WorkbookContent):
        self.title = ws.title
        self.cells: dict[int, dict[int, object]] = {}
        self._content = content
        self._findings: list[tuple] = []
        info = SheetInfo()
        for r, cells in sheet_rows(ws, info, shown=True):
            if r > MAX_SHEET_ROWS and any(not _blank(v) for v in cells.values()):
                # A stray cell far below (or a sheet blown up to a million rows) is neither read
                # nor kept: reading on would cost minutes and gigabytes for nothing.
                if ws.title != META:
                    self._findings.append((r, cell_name(r, min(cells)), f"a value far outside the table (only the "
                                           f"first {MAX_SHEET_ROWS} rows are read); delete the stray cells"))
                break
            if ws.title != META:
                for c in sorted(c for c, v in cells.items() if c > MAX_SHEET_COLUMNS):
                    if not _blank(cells.pop(c)):
                        self._findings.append((r, cell_name(r, c), f"a value far outside the table (only the first "
                                               f"{MAX_SHEET_COLUMNS} columns are read); delete the stray cell"))
            if cells:
                self.cells[r] = cells
        for ref in info.merged:
            self._findings.append((range_boundaries(ref)[1], ref,
                                   "merged cells in the table; unmerge them (each cell holds its own value)"))
        if ws.title != META:
            self._hidden(info)
        # the cells whose formula adds up other cells of their own column: a total row (``_read_table``)
        self.sums = {(r, c): formula for r, c, formula in info.sums}
        self._reported = False

    def _hidden(self, info: SheetInfo) -> None:
        """A hidden row or column that holds a value is refused, as the ledger's are: a leader who hid
        a budget line to strike it had it imported, and the municipalities invoiced for it (found by
        an outside tester). An empty one hidden (a habit) hides nothing: a computed cell of an empty
        row is empty too."""
        def holds(value) -> bool:
            return not _blank(value) and not isinstance(value, NoValue)

        rows = [r for r in info.hidden_rows if any(holds(v) for v in self.cells.get(r, {}).values())]
        if rows:
            more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
            self._findings.append((rows[0], f"row {rows[0]}{more}",
                                   "the row is hidden (by a filter or by hand), and grantflow reads every row: "
                                   "show all rows, delete the lines that do not belong (a hidden line is not "
                                   "struck out) and return the workbook"))
        columns = sorted(c for c in info.hidden_columns if any(holds(cells.get(c)) for cells in self.cells.values()))
        if columns:
            from openpyxl.utils import get_column_letter

            letters = ", ".join(get_column_letter(c) for c in columns)
            self._findings.append((None, f"column {letters}",
                                   "the column is hidden, and grantflow reads every column: unhide it (delete "
                                   "what does not belong) and return the workbook"))

    def report(self) -> None:
        """Findings about the sheet, once, when a reader uses it."""
        if not self._reported:
            self._reported = True
            for row, where, message in self._findings:
                self._content.error(self.title, row, where, message)

    def iter_rows(self, min_row: int = 1, max_row: int | None = None, max_col: int | None = None):
        """(row number, values from column 1) for each row present from ``min_row``."""
        self.report()
        for r in sorted(self.cells):
            if r < min_row:
                continue
            if max_row is not None and r > max_row:
                break
            yield r, padded(self.cells[r], max_col)


class _Book:
    def __init__(self, sheets: list[_Sheet], others: list[str] = ()):
        self._sheets = {s.title: s for s in sheets}
        self.sheetnames = list(self._sheets)
        self.others = list(others)          # sheets grantflow does not read (the guide, lists, any added)

    def __getitem__(self, name: str) -> _Sheet:
        return self._sheets[name]


def _read_meta(wb, content: WorkbookContent) -> dict:
    if META not in wb.sheetnames:
        return {}
    meta = {}
    for r, cells in sorted(wb[META].cells.items()):
        row = [cells.get(1)]
        if row[0] is None:
            continue
        text = "".join(str(cells[c]) for c in sorted(cells) if c > 1)
        try:
            meta[str(row[0])] = json.loads(text) if text else None
        except json.JSONDecodeError:
            content.error(META, None, str(row[0]), "the workbook's hidden metadata is damaged", "warning")
    return meta


def _read_kv(wb, content: WorkbookContent) -> dict:
    data: dict = {}
    if "Prosjekt" not in wb.sheetnames:
        content.error("Prosjekt", None, "", "sheet is missing")
        return data
    kinds: dict[str, tuple[Kind, str]] = {}
    names: set[str] = set()          # lists of one-line names (partners, municipalities)

    def collect(model, prefix):
        for name, kind, info in _fields(model):
            path = prefix + (name,)
            if path in TABLE_PATHS:
                continue
            if kind.name == "model":
                collect(kind.inner, path)
            else:
                kinds[".".join(path)] = (kind, ".".join(path))
                if kind.name == "list" and typing.get_args(info.annotation) == (Line,):
                    names.add(".".join(path))

    collect(Project, ())
    current = None
    seen: dict[str, int] = {}
    twice = False
    for r, row in wb["Prosjekt"].iter_rows(min_row=2, max_col=3):
        key, label, value = (tuple(row) + (None, None, None))[:3]
        key = _text_of(key)
        if key:
            current = key
            # A field's row copied below would replace the first one's value without a word.
            twice = key in seen
            if twice:
                content.error("Prosjekt", r, KV_LABELS.get(key, key), f"the field is listed twice (also in row "
                                                                      f"{seen[key]}); each field has one row")
                continue
            seen[key] = r
        elif _blank(value) or twice:
            continue
        if current not in kinds:
            content.error("Prosjekt", r, _text_of(label) or key, f"unknown field {current!r}")
            continue
        kind, dotted = kinds[current]
        path = tuple(dotted.split("."))
        label_text = KV_LABELS.get(dotted, dotted)
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        if kind.name == "list":
            items = target.setdefault(path[-1], [])
            if key:
                content.where[path] = ("Prosjekt", r, label_text)
            if _blank(value):
                continue
            if dotted in names and isinstance(value, str) and "\n" in value.strip():
                # the sheet asks for one value per row; two typed in one cell are not one name
                content.error("Prosjekt", r, label_text, f"{echo(value.strip(), 60)} holds a line break: "
                                                         f"write one value per row (insert a row for each)")
                continue
            try:
                items.append(read_value(value, kind.inner if kind.inner.name in SCALARS else Kind("yaml")))
            except ValueError as exc:
                content.error("Prosjekt", r, label_text, _unread(value, exc))
                continue
            content.where[path + (len(items) - 1,)] = ("Prosjekt", r, label_text)
            continue
        if not key:
            content.error("Prosjekt", r, label_text, "only lists take more than one row")
            continue
        content.where[path] = ("Prosjekt", r, label_text)
        if _blank(value):
            continue
        try:
            target[path[-1]] = read_value(value, kind, percent=path[-1].endswith("percent"),
                                         year=path[-1].endswith("year"))
        except ValueError as exc:
            content.error("Prosjekt", r, label_text, _unread(value, exc))
    # A field's row deleted: what the workbook was made with would be dropped from the register
    # (emptying the cell is how a value is cleared on purpose).
    snapshot = content.meta.get("snapshot") if isinstance(content.meta.get("snapshot"), dict) else {}
    for dotted in kinds:
        if dotted in seen:
            continue
        had = _get(snapshot, tuple(dotted.split(".")))
        if had not in (None, "", [], {}):
            content.error("Prosjekt", None, KV_LABELS.get(dotted, dotted),
                          f"the field's row ({dotted}) is missing (deleted?); its value would be lost: put the row "
                          f"back (empty its Verdi to clear it)")
    # An optional person left empty is no person.
    for name, kind, _ in _fields(Project):
        if kind.name == "model" and kind.optional and data.get(name) == {}:
            data.pop(name)
    return data


def _header_map(ws, spec_cols, content: WorkbookContent, sheet: str, skip: set = frozenset(),
                notes: tuple[str, ...] = ()) -> dict[int, tuple]:
    by_header = {h.casefold(): col for col in spec_cols for h in [col[0]]}
    first = next(ws.iter_rows(min_row=1, max_row=1), (1, ()))[1]
    if spec_cols and not any(_text_of(cell).casefold() in by_header for cell in first):
        # Not one header where the workbook put them: one line, not one per column.
        below = next((r for r, row in ws.iter_rows(min_row=2, max_row=20)
                      if sum(_text_of(cell).casefold() in by_header for cell in row) >= 2), None)
        where = (f"they are in row {below}: delete the row(s) above it" if below else
                 f"expected {', '.join(repr(col[0]) for col in spec_cols[:4])} …: put them back")
        content.error(sheet, 1, "", f"the column headers are not in row 1 ({where})")
        return {}
    out = {}
    seen = set()
    for c, cell in enumerate(first, start=1):
        header = _text_of(cell)
        if not header or c in skip or header in notes:
            continue
        col = by_header.get(header.casefold())
        if col is None:
            if header.endswith("(beregnes)"):
                continue
            filled = [r for r, row in _table_rows(ws) if c <= len(row) and not _blank(row[c - 1])]
            if filled:
                # Its values would be lost without a word (a year typed 'År 2016' drops that year's budget).
                hint = " (a year column's header is the year alone, e.g. 2016)" if any(
                    ch.isdigit() for ch in header) else ""
                content.error(sheet, 1, header, f"unknown column with values (rows {filled[0]}–{filled[-1]}); they "
                                                f"would be lost: give it a known header{hint} or delete the column")
            else:
                content.error(sheet, 1, header, "unknown column, ignored", "warning")
            continue
        out[c] = col
        seen.add(col[0])
    for col in spec_cols:
        if col[0] not in seen:
            content.error(sheet, 1, col[0], "column is missing")
    # a value typed right of the table, under no header or under a note (a status written beside a
    # milestone, a remark beside a budget line), was dropped without a word (found by an outside
    # tester); the input sheets already refuse it
    headed = {c for c, cell in enumerate(first, start=1) if _text_of(cell) and _text_of(cell) not in notes}
    for r, row in _table_rows(ws):
        for c in range(1, len(row) + 1):
            if c not in headed and c not in skip and not _blank(row[c - 1]):
                content.error(sheet, r, cell_name(r, c), "a value outside the table (in a column without a "
                                                         "header) would be lost; move it into the table or delete it")
    return out


BALANCE_ROW = "Finansiering − kostnader (egeninnsats ikke medregnet)"


def _table_rows(ws, content: WorkbookContent | None = None):
    """A table's data rows. Budsjett and Finansiering end at the Sum row the workbook wrote: the
    last row whose first cell is 'Sum' (one typed higher up is a row, refused by name as a total row
    in ``_read_table`` and the model, and a person or an activity called 'Sum' in any other sheet is
    data: stopping there dropped every row below it). A row with values below the Sum row is not read: with ``content``, each is an
    error (it would be lost)."""
    rows = list(ws.iter_rows(min_row=2))
    sums = [i for i, (_, row) in enumerate(rows) if row and _text_of(row[0]) == SUM]
    if ws.title not in SUM_SHEETS or not sums:
        yield from rows
        return
    yield from rows[:sums[-1]]
    for r, row in rows[sums[-1]:]:
        if row and _text_of(row[0]) in (SUM, BALANCE_ROW):
            continue
        if content is not None and any(not _blank(v) for v in row):
            content.error(ws.title, r, cell_name(r, next(c for c, v in enumerate(row, 1) if not _blank(v))),
                          "a row below the Sum row is not read and would be lost: insert a row above the Sum "
                          "row and move it there")


def _read_table(wb, spec: TableSpec, project: dict, content: WorkbookContent) -> None:
    if spec.sheet not in wb.sheetnames:
        content.error(spec.sheet, None, "", "sheet is missing")
        return
    ws = wb[spec.sheet]
    cols = [col for col in _columns(spec, []) if col[3] is None]
    year_headers = {}
    # Year columns are whatever year headers the sheet has.
    for c, cell in enumerate(next(ws.iter_rows(min_row=1, max_row=1), (1, ()))[1], start=1):
        text = _text_of(cell)
        if spec.years and text.isdigit() and len(text) == 4:
            year_headers[c] = (text, spec.years, Kind("decimal"), int(text))
    unit_notes = tuple(t for t in (_text_of(c) for c in next(ws.iter_rows(min_row=1, max_row=1), (1, ()))[1])
                       if spec.years and t.startswith(UNIT_NOTE))
    headers = _header_map(ws, cols, content, spec.sheet, skip=set(year_headers), notes=(spec.note, *unit_notes))
    headers.update(year_headers)
    target = project
    for part in spec.path[:-1]:
        target = target.setdefault(part, {})
    if spec.parent is None:
        items = target.setdefault(spec.path[-1], [])
    else:
        parents = {str(p.get(spec.parent[0])): (i, p) for i, p in enumerate(target.get(spec.path[-1]) or [])}
    # a budget's amounts are in its unit, as the Prosjekt sheet gives it (what the model will read
    # them in): in 1000 kr '800.500' and 'kr 350 000' are refused, as in the project's YAML
    budget_unit = (project.get("budget") or {}).get("unit") if spec.years else None
    in_unit = "1000 kr" if str(budget_unit) == "1000" else "kr"
    for r, row in _table_rows(ws, content):
        cells = {c: row[c - 1] if c - 1 < len(row) else None for c in headers}
        if all(_blank(v) for v in cells.values()):
            continue
        # a total row typed into the table ('Sum', '=SUM(B2:B4)'), as a budget pasted from the leader's
        # own sheet has it, was one more cost category and financing line: the application's budget
        # doubled, 0 errors (found by an outside tester). Refused as the data files refuse it.
        summed = next(((c, ws.sums[r, c]) for c in sorted(headers) if (r, c) in ws.sums), None)
        if summed is not None:
            content.error(spec.sheet, r, cell_name(r, summed[0]), sums_own_column_said(summed[1], r))
            continue
        item: dict = {}
        parent_key = None
        locs = {}
        for c, (header, name, kind, year) in headers.items():
            value = cells[c]
            locs[name] = header
            if _blank(value):
                continue
            try:
                parsed = read_value(value, kind, unit=in_unit if year is not None else "")
            except ValueError as exc:
                content.error(spec.sheet, r, header, _unread(value, exc))
                continue
            if name == "__parent__":
                parent_key = parsed
            elif year is not None:
                item.setdefault(name, {})[year] = parsed
            else:
                item[name] = parsed
        if spec.model is FinancingLine:
            blank_kind = [header for c, (header, name, _, _) in headers.items() if name == "kind" and _blank(cells[c])]
            if blank_kind:
                # an empty Type was 'annet' (other external money): a municipal line written so left the
                # municipalities unbilled, "fully financed by external sources" (found by an outside tester)
                content.error(spec.sheet, r, blank_kind[0],
                              "value is missing: choose the type (" + ", ".join(typing.get_args(FinancingKind)) + ")")
        if spec.model is Milestone and item.get("month_only") and isinstance(item.get("date"), date):
            import calendar

            day = item["date"]
            last = calendar.monthrange(day.year, day.month)[1]
            if day.day not in (1, last):
                # a day typed in a month-only row was dropped without a word: 15.11.2016 became
                # "2016-11", the 30th (found by an outside tester). The first (Excel's "nov 2016")
                # and the last day are the month as written; any other day is not guessed
                date_header = next(h for h, (label, name, _, _) in headers.items() if name == "date")
                content.error(spec.sheet, r, headers[date_header][0],
                              f"{day:%d.%m.%Y} gives a day, but «{COLUMN_LABELS[Milestone]['month_only']}» is ja "
                              "(the month only): set it to nei to keep the day, or write the month")
            item["date"] = day.replace(day=last)
        if spec.parent is None:
            loc = spec.path + (len(items),)
            items.append(item)
        else:
            found = parents.get(str(parent_key))
            if found is None:
                content.error(spec.sheet, r, spec.parent[1],
                              f"no row with {spec.parent[1]} {_text_of(parent_key)!r} in the sheet "
                              f"{'Aktiviteter' if spec.model is SubActivity else 'Finansiører'}")
                continue
            index, parent = found
            children = parent.setdefault(spec.parent[2], [])
            loc = spec.path + (index, spec.parent[2], len(children))
            children.append(item)
        content.where[loc] = (spec.sheet, r, "")
        for name, header in locs.items():
            content.where[loc + (name,)] = (spec.sheet, r, header)
    if spec.years and spec.parent is None:
        for item in items:
            item.setdefault(spec.years, {})
        # The table's totals (budget against financing) are said at its Sum row, or at the row
        # Finansiering shows the difference in: where the leader sees the figures, not the Prosjekt sheet.
        totals = {_text_of(row[0]): r for r, row in ws.iter_rows(min_row=2, max_col=1) if row}
        for label, header in ((BALANCE_ROW, BALANCE_ROW.split(" (")[0]), (SUM, SUM)):
            if label in totals:
                content.where[spec.path] = (spec.sheet, totals[label], header)
                break


def _read_goals(wb, project: dict, content: WorkbookContent) -> None:
    goals = project.setdefault("goals", {"main": [], "result": [], "effect": []})
    if "Mål" not in wb.sheetnames:
        content.error("Mål", None, "", "sheet is missing")
        return
    kind = Kind("literal", choices=tuple(GOAL_TYPES))
    for r, row in _table_rows(wb["Mål"]):
        label, text = (tuple(row) + (None, None))[:2]
        if _blank(label) and _blank(text):
            continue
        try:
            key = GOAL_TYPES[read_value(label, kind)] if not _blank(label) else None
        except ValueError as exc:
            content.error("Mål", r, "Type", _unread(label, exc))
            continue
        if key is None:
            content.error("Mål", r, "Type", "value is missing (Hovedmål, Resultatmål or Effektmål)")
            continue
        if _blank(text):
            content.error("Mål", r, "Mål", "value is missing")
            continue
        if unreadable(text):
            content.error("Mål", r, "Mål", unreadable(text))
            continue
        goals.setdefault(key, []).append(_text_of(text))
        content.where[("goals", key, len(goals[key]) - 1)] = ("Mål", r, "Mål")


INPUT_HEADERS = {"Milepælstatus": ("Nr", "Hendelse", "Planlagt dato", "Status", "Faktisk dato", "Kommentar"),
                 "Statusnotat": ("Nøkkel", "Felt", "Verdi"),
                 "Avvik og beslutninger": ("Type", "Tekst", "Forklaring / forslag til vedtak")}


def _input_layout(ws, content: WorkbookContent) -> bool:
    """Whether an input sheet (read by position) still has the columns grantflow wrote, and nothing
    beside them: a column inserted or moved would put one column's values in another's place (every
    comment replaced by the inserted column's), a note typed right of the table would be dropped."""
    headers = INPUT_HEADERS[ws.title]
    first = next(ws.iter_rows(min_row=1, max_row=1), (0, ()))
    found = (tuple(first[1]) if first[0] == 1 else ()) + (None,) * len(headers)
    for c, (want, got) in enumerate(zip(headers, found), start=1):
        if _text_of(got).casefold() != want.casefold():
            shown = f"{_text_of(got)!r}" if not _blank(got) else "empty"
            content.error(ws.title, 1, want, f"the columns are not as the workbook made them (column "
                                             f"{cell_name(1, c)[:-1]} is {shown}, expected {want!r}: a column or row "
                                             f"inserted, deleted or moved?); put it back, or make a new workbook")
            return False
    ok = True
    for r, row in ws.iter_rows(min_row=2):
        for c in range(len(headers) + 1, len(row) + 1):
            if not _blank(row[c - 1]):
                content.error(ws.title, r, cell_name(r, c), f"a value outside the table (right of column "
                                                            f"{headers[-1]!r}) would be lost; move it into the table "
                                                            f"or delete it")
                ok = False
    return ok


def _read_input(wb, content: WorkbookContent) -> None:
    if "Milepælstatus" in wb.sheetnames and _input_layout(wb["Milepælstatus"], content):
        rows, seen = [], {}
        headers = list(INPUT_HEADERS["Milepælstatus"])
        for r, row in _table_rows(wb["Milepælstatus"]):
            cells = (tuple(row) + (None,) * 6)[:6]
            number, _, _, status, actual, comment = cells
            if all(_blank(v) for v in cells):
                continue
            # A formula whose value the file does not hold is no value (blank would wipe what is there).
            formulas = [h for h, v in zip(headers, cells) if unreadable(v)]
            for header in formulas:
                content.error("Milepælstatus", r, header, unreadable(cells[headers.index(header)]))
            if isinstance(comment, bool):           # would be written as 'True'
                content.error("Milepælstatus", r, "Kommentar", NOT_TEXT)
            if formulas or isinstance(comment, bool):
                # not read, but there: its error is said, so it is no "deleted" row as well
                try:
                    listed = read_value(number, Kind("int")) if "Nr" not in formulas and not _blank(number) else None
                except ValueError:
                    listed = None
                if listed is not None:
                    seen.setdefault(listed, r)
                continue
            # Every row is a milestone: without a readable number its progress would vanish.
            if _blank(number):
                content.error("Milepælstatus", r, "Nr", "value is missing (the milestone's number)")
                continue
            if isinstance(number, float) and not math.isfinite(number):
                content.error("Milepælstatus", r, "Nr", f"cannot read {_text_of(number)!r}: not a number")
                continue
            try:
                key = read_value(number, Kind("int"))
            except ValueError:
                key = None                 # reported when the progress is read
            if key is not None and key in seen:
                content.error("Milepælstatus", r, "Nr", f"milestone {key} is listed twice (also in row {seen[key]}); "
                                                        f"each milestone has one row")
                continue
            seen[key] = r
            if _blank(status) and _blank(actual) and _blank(comment):
                continue
            rows.append({"number": number, "status": _text_of(status), "actual": actual,
                         "comment": _text_of(comment), "_row": r, "event": _text_of(cells[1])})
        content.progress = rows
        content.listed = {key for key in seen if key is not None}
    if "Statusnotat" in wb.sheetnames and _input_layout(wb["Statusnotat"], content):
        note: dict = {}
        rag = Kind("literal", choices=tuple(RAG_LABELS.values()))
        back = {v: k for k, v in RAG_LABELS.items()}
        keys: dict[str, int] = {}
        unknown: list[tuple[int, str]] = []
        unreadable_rag: set[str] = set()          # one line for a colour written wrong, not two
        for r, row in wb["Statusnotat"].iter_rows(min_row=2, max_col=3):
            key, label, value = (tuple(row) + (None,) * 3)[:3]
            key = _text_of(key)
            # The locked Nøkkel column says which field a row is: a key changed or a row copied
            # would drop a value or let a second row replace the first.
            if not key:
                if not _blank(value):
                    content.error("Statusnotat", r, _text_of(label) or "Verdi",
                                  "a value in a row of its own (no Nøkkel) would be lost; write it in its field's row")
                continue
            if key not in NOTE_LABELS:
                unknown.append((r, key))
                continue
            if key in keys:
                content.error("Statusnotat", r, NOTE_LABELS[key], f"the field is listed twice (also in row "
                                                                  f"{keys[key]}); each field has one row")
                continue
            keys[key] = r
            path = tuple(key.split("."))
            content.where[("note",) + path] = ("Statusnotat", r, NOTE_LABELS[key])
            if _blank(value):
                continue
            try:
                if key == "as_of":
                    parsed = read_value(value, Kind("date"))
                elif key.endswith(".rag"):
                    # grønn/gul/rød, or green/amber/red as notater.yaml takes them (any case)
                    english = _text_of(value).casefold()
                    parsed = english if english in RAG_LABELS else back[read_value(value, rag)]
                else:
                    parsed = read_value(value, Kind("text"))
            except ValueError as exc:
                content.error("Statusnotat", r, NOTE_LABELS[key], _unread(value, exc))
                unreadable_rag.add(path[0])
                continue
            target = note
            for part in path[:-1]:
                target = target.setdefault(part, {})
            target[path[-1]] = parsed
        if unknown:
            (r, key), more = unknown[0], (f" and {len(unknown) - 1} more row(s) to row {unknown[-1][0]}"
                                          if len(unknown) > 1 else "")
            content.error("Statusnotat", r, "Nøkkel", f"unknown field {key!r}{more} (the Nøkkel column is as the "
                                                     f"workbook made it: {', '.join(NOTE_LABELS)})")
        for key in NOTE_LABELS:
            if key not in keys:
                content.error("Statusnotat", None, NOTE_LABELS[key], f"the field's row ({key}) is missing (deleted?); "
                                                                     f"put it back (empty its Verdi to clear it)")
        for part in ("quality", "benefits"):
            if part in note and "rag" not in note[part] and part not in unreadable_rag:
                sheet, row, _ = content.where[("note", part, "comment")]
                content.error(sheet, row, NOTE_LABELS[f"{part}.rag"], "choose grønn, gul or rød for the comment")
                note.pop(part)
        if "Avvik og beslutninger" in wb.sheetnames and _input_layout(wb["Avvik og beslutninger"], content):
            kind = Kind("literal", choices=tuple(NOTE_LIST_TYPES))
            for r, row in _table_rows(wb["Avvik og beslutninger"]):
                label, text, why = (tuple(row) + (None,) * 3)[:3]
                if _blank(label) and _blank(text) and _blank(why):
                    continue
                try:
                    key = NOTE_LIST_TYPES[read_value(label, kind)] if not _blank(label) else None
                except ValueError as exc:
                    content.error("Avvik og beslutninger", r, "Type", _unread(label, exc))
                    continue
                if key is None or _blank(text):
                    content.error("Avvik og beslutninger", r, "Type" if key is None else "Tekst", "value is missing")
                    continue
                formula = next(((h, v) for h, v in (("Tekst", text), ("Forklaring / forslag til vedtak", why))
                                if unreadable(v) or isinstance(v, bool)), None)
                if formula is not None:
                    content.error("Avvik og beslutninger", r, formula[0], unreadable(formula[1]) or NOT_TEXT)
                    continue
                entry = _text_of(text)
                if not _blank(why):
                    if EXPLAIN[key] is None:
                        content.error("Avvik og beslutninger", r, "Forklaring / forslag til vedtak",
                                      "only deviations and decisions take an explanation", "warning")
                    else:
                        entry += EXPLAIN[key] + _text_of(why)
                note.setdefault(key, []).append(entry)
                content.where[("note", key, len(note[key]) - 1)] = ("Avvik og beslutninger", r, "Tekst")
        content.note = note


# How Excel ('X (2)'), LibreOffice Calc ('X_2'), Google Sheets ('Copy of X', 'Kopi av X') and
# hand renaming ('X kopi', 'X - Kopi', 'X 2') name a copy of sheet X, in any case.
_COPY_NAME = re.compile(r"(?:(?:kopi av|copy of)\s+)*(?P<name>.+?)"
                        r"(?:\s*\(\d+\)|_\d+|\s+\d+|\s+(?:-\s+)?(?:kopi|copy))*", re.IGNORECASE)


def _copy_of(title: str) -> str | None:
    """The sheet grantflow reads that ``title`` names a copy of, or None."""
    found = _COPY_NAME.fullmatch(title.strip())
    read = {name.casefold(): name for name in READ_SHEETS}
    return read.get(found.group("name").casefold()) if found else None


KEYED_SHEETS = ("Prosjekt", "Statusnotat", META)      # a key per row in column A, not a table


def _shows_copy(ws, title: str, original: _Sheet | None) -> bool:
    """Whether sheet ``ws``, named like a copy of the read sheet ``original``, is one by its content:
    Excel's own name for a copy ('Milepælstatus (2)'), or the original's header row, or (a key/value
    sheet) one of its keys in column A. A name alone is no proof: a leader's own 'Budsjett 2017'
    with a note in A1 was refused as a copy, and the whole returned workbook with it."""
    if original is None or re.fullmatch(re.escape(original.title) + r" \(\d+\)", title):
        return True         # Excel's copy; or the original is gone (its own error) and this replaced it
    first = padded(original.cells.get(1, {}))
    header = [_text_of(v).casefold() for v in first[:next((i for i, v in enumerate(first) if _blank(v)),
                                                          len(first))]]
    keys = {_text_of(cells.get(1)) for r, cells in original.cells.items() if r > 1} - {""} \
        if original.title in KEYED_SHEETS else set()
    try:
        for r, cells in sheet_rows(ws):
            if r == 1 and header and [_text_of(v).casefold() for v in padded(cells, len(header))] == header:
                return True
            if (r > 1 and not keys) or r > MAX_SHEET_ROWS:
                break
            if r > 1 and _text_of(cells.get(1)) in keys:
                return True
    except Exception:   # noqa: BLE001 - unreadable: taken as the copy its name says (refused, not filed away)
        return True
    return False


def _written_in(ws) -> bool:
    """Whether a sheet grantflow does not read holds any value (read up to the first one); one
    that cannot be read is taken as written in (it is not read either way)."""
    try:
        for row in ws.iter_rows(values_only=True):
            if any(v is not None and (not isinstance(v, str) or v.strip()) for v in row):
                return True
    except Exception:   # noqa: BLE001 - a damaged sheet grantflow does not read: said, not fatal
        return True
    return False


def _cells_of(ws) -> dict[tuple[int, int], object] | None:
    """The values of a sheet grantflow does not read, by (row, column), within the size of any
    sheet it writes; None if the sheet cannot be read."""
    try:
        cells = {}
        for r, row in sheet_rows(ws):
            if r > MAX_SHEET_ROWS:
                break
            cells.update(((r, c), v) for c, v in row.items() if c <= MAX_SHEET_COLUMNS and not _blank(v))
        return cells
    except Exception:   # noqa: BLE001 - a damaged reference sheet: said by the caller, not fatal
        return None


def _check_previous(cells: dict | None, present: bool, content: WorkbookContent) -> None:
    """A warning when 'Forrige periode' differs from what grantflow wrote there: the sheet is not
    read, and text a leader typed into it (its protection has no password) was dropped without a word.
    ``cells`` is None when the sheet cannot be read."""
    written = content.meta.get("previous_sheet")
    if not present or not isinstance(written, list):
        return                   # the sheet deleted, or a workbook made before its cells were kept
    why = (f"this sheet is only for reference and is not read, so what is written in it is not imported; "
           f"write what still applies in 'Avvik og beslutninger'")
    if cells is None:
        content.error(PREVIOUS_SHEET, None, "", f"cannot be read; {why}", "warning")
        return
    want = {(r, c): v for r, row in enumerate(written, start=1) if isinstance(row, list)
            for c, v in enumerate(row, start=1) if not _blank(v)}
    changed = sorted(key for key in want.keys() | cells.keys()
                     if _text_of(want.get(key)) != _text_of(cells.get(key)))
    if not changed:
        return
    (r, c), more = changed[0], len(changed) - 1
    now, was = cells.get((r, c)), want.get((r, c))
    what = (f"{echo(_text_of(now), 60)} (grantflow wrote {echo(_text_of(was), 60)})" if not _blank(was) and
            not _blank(now) else f"{echo(_text_of(now), 60)} (grantflow left it empty)" if _blank(was)
            else f"emptied (grantflow wrote {echo(_text_of(was), 60)})")
    also = f", and {more} more cell{'s' if more > 1 else ''}" if more else ""
    content.error(PREVIOUS_SHEET, r, cell_name(r, c), f"changed: {cell_name(r, c)} is {what}{also}; {why}",
                  "warning")


def read_workbook(path: Path, display: str | None = None) -> WorkbookContent:
    """Read a returned workbook; what cannot be read becomes findings (UserError if not a workbook)."""
    from zipfile import BadZipFile, ZipFile

    from openpyxl import load_workbook

    shown = display or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UserError("file not found", file=shown) from None
    if size > MAX_BYTES:
        raise UserError(f"the workbook is too large ({size // 1_000_000} MB; at most {MAX_BYTES // 1_000_000} MB)",
                        file=shown)
    head = b""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise UserError("this is a password-protected workbook or an old Excel 97-2003 (.xls) file; save it "
                            "as .xlsx (Excel-arbeidsbok) without a password", file=shown)
        with ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except PermissionError:
        raise UserError("cannot read the file: permission denied", file=shown) from None
    except (BadZipFile, OSError):
        if head.startswith(b"PK\x03\x04"):          # begun as a workbook: the rest is missing or broken
            raise UserError(DAMAGED_WORKBOOK, file=shown) from None
        raise UserError("not an Excel workbook (.xlsx): not a zip archive", file=shown) from None
    if not any(name.startswith("xl/") for name in names):
        what = "a Word document (.docx)" if "word/document.xml" in names else \
            "an OpenDocument file (.ods/.odt)" if "mimetype" in names else "a zip archive of other files"
        raise UserError(f"not an Excel workbook (.xlsx): this is {what}; send the workbook itself", file=shown)
    if unpacked > MAX_UNPACKED:
        raise UserError(f"the workbook unpacks to {unpacked // 1_000_000} MB (at most {MAX_UNPACKED // 1_000_000} MB "
                        f"is read)", file=shown)
    unpacked_within_limits(path, shown)
    content = WorkbookContent(shown, {}, {}, None, None)
    reading = None
    previous = None          # the cells of 'Forrige periode' as returned
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            # Only the sheets grantflow reads are parsed: an added sheet costs nothing.
            sheets, unread = [], []
            for ws in book.worksheets:
                if ws.title in READ_SHEETS:
                    reading = ws.title
                    sheets.append(_Sheet(ws, content))
                elif ws.title == PREVIOUS_SHEET:
                    previous = _cells_of(ws)
                elif ws.title not in ("Veiledning", LISTS) and _written_in(ws):
                    unread.append(ws.title)
            reading = None
            for title in unread:
                # what the leader wrote there is not imported: said, not dropped without a word (an
                # outside tester's copied sheet "Milepælstatus (2)" gave "nothing new to import")
                original = _copy_of(title)
                if original and _shows_copy(book[title], title,
                                            next((s for s in sheets if s.title == original), None)):
                    # A copy of a sheet grantflow reads (Excel's, Calc's or Google's), filled in: most
                    # likely the leader's answer, which a warning let the inbox file away as "nothing
                    # new" (found by outside testers); refused, so the workbook is not filed as done
                    content.error(title, None, "", f"this is a copy of '{original}', and grantflow reads "
                                  f"only '{original}': move what is written here into it (or delete "
                                  f"'{original}' and rename this sheet to it), then return the workbook")
                    continue
                content.error(title, None, "", "this sheet is not read by grantflow, so what is written in it is "
                              "not imported; write it in the workbook's own sheets (" + ", ".join(INPUT_SHEETS)
                              + " or the register's), or delete the sheet", "warning")
            wb = _Book(sheets, [ws.title for ws in book.worksheets if ws.title not in READ_SHEETS])
        finally:
            book.close()
    except MemoryError:
        raise UserError("the workbook holds too many cells to be read", file=shown) from None
    except Exception as exc:   # zipfile, openpyxl's InvalidFileException, XML errors, a bad cell reference
        if reading is not None:
            # A cell the file's XML spells wrong (a number 'abc', a date 2016-02-30): name it.
            if isinstance(exc, RepeatedRow):
                raise UserError(f"sheet {reading!r}, {exc}", file=shown, line=exc.row) from None
            where = f"cell {exc} " if isinstance(exc, DamagedCell) else ""
            raise UserError(f"{where}cannot be read: the file is damaged there; open it in Excel and save it "
                            f"again, or make a new workbook", file=f"{shown}:{reading}") from None
        raise UserError(f"not an Excel workbook (.xlsx) that can be read: {type(exc).__name__}",
                        file=shown) from None
    content.meta = _read_meta(wb, content)
    _check_previous(previous, PREVIOUS_SHEET in wb.others, content)
    if content.meta.get("format") not in (None, FORMAT_VERSION):
        raise UserError(f"workbook format {content.meta.get('format')} is not supported (expected {FORMAT_VERSION})",
                        file=shown)
    if "Prosjekt" not in wb.sheetnames:
        raise UserError("not a grantflow workbook (no sheet 'Prosjekt'; make one with 'grantflow workbook')",
                        file=shown)
    project = _read_kv(wb, content)
    _read_goals(wb, project, content)
    for spec in TABLES:
        _read_table(wb, spec, project, content)
    content.project = project
    if content.meta.get("kind") == "project":
        # The period's input: a sheet renamed or deleted would drop what the leader reported there.
        unknown = [name for name in wb.others if name not in ("Veiledning", LISTS, PREVIOUS_SHEET)]
        for name in INPUT_SHEETS:
            if name not in wb.sheetnames:
                hint = f" (the workbook has sheet(s) {', '.join(map(repr, unknown))}: renamed?)" if unknown else ""
                content.error(name, None, "", f"sheet is missing{hint}; give it back its name, or make a new "
                                              f"workbook with 'grantflow workbook'")
    _read_input(wb, content)
    return content
