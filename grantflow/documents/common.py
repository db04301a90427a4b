"""Pieces several document kinds share: the request, text cleaning, common blocks, snapshots."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

from decimal import Decimal
from fractions import Fraction

from .. import fmt
from ..costsplit import MunicipalPart, allocate, key_basis, latest_known, municipal_part, not_paying
from ..data import ProjectData
from ..findings import Finding
from ..models import Council, Project
from ..reporting import DEFAULT_TOP_RISK_RF, RAG_COLOR, RAG_LABEL, ReportPeriod, kr
from ..settings import DocumentSettings
from ..yamlfile import LocatedYaml

# A project without an hours file (data.hours) keeps its own effort elsewhere: its reports say
# so instead of "0 timer", which a reader takes for no own effort at all.
HOURS_NOT_REGISTERED = "timer registreres ikke i grantflow for dette prosjektet"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean(value):
    """User text made safe for Word XML: control characters dropped, tabs to spaces; long dates
    joined by non-breaking spaces (every text a document shows passes here, computed or written
    in the notes, so "17. januar 2019" never breaks after "17.").

    Escaping of &, < and > is left to the autoescaping Jinja environment, and text from data is
    never parsed as a template, so '{{ }}' in a comment appears literally.
    """
    if isinstance(value, str):
        return fmt.unbreakable_dates(
            _CONTROL.sub("", value.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n")))
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def lines(text: str) -> list[str]:
    """A text field as paragraphs (blank lines and single newlines both split)."""
    return [part.strip() for part in (text or "").split("\n") if part.strip()]


@dataclass
class DocumentRequest:
    """What a context builder gets: who, which period, the collected data, the previous snapshot."""

    kind: str
    council: Council
    project: Project | None
    period: ReportPeriod
    as_of: date
    today: date
    data: ProjectData | None = None
    projects: list[tuple[Project, ProjectData | None]] = field(default_factory=list)
    previous: dict | None = None
    include_personal_data: bool = False
    options: DocumentSettings = field(default_factory=DocumentSettings)
    council_source: LocatedYaml | None = None      # the council's file, to name a line of it in an error
    project_sources: dict[str, LocatedYaml] = field(default_factory=dict)   # each project's file, by id
    data_files: dict[str, str] = field(default_factory=dict)  # a data path as the register writes it -> as shown
    # the files the document is made from, as read: path (as the register writes it), size, sha256,
    # modification time (``documents.service.sources_read``); kept in each version's record entry
    sources: list[dict] = field(default_factory=list)
    addressees: list | None = None      # whom the document goes to ('to' recipients), when known
    # project id -> the date of its first final report version that was sent (None: made, not
    # sent), of those dated on or before ``as_of``, by the outputs' records; a project without one
    # is absent (council-wide kinds: the usage report)
    final_reports: dict[str, date | None] = field(default_factory=dict)
    # the versions of this document the sent ledger knows: version -> content hashes
    # (``SentLedger.versions``); the authority on its numbers where the record knows less
    ledger_versions: dict[int, set[str]] = field(default_factory=dict)
    # year -> the cost splits for it that reached their readers, first delivered first
    # (``documents.service.invoiced_on_record``): what the municipalities were invoiced
    invoiced: dict[int, list] = field(default_factory=dict)
    # the cost split: per year, whom the version that last reached recipients billed
    # (``documents.service.sent_payers``)
    sent_payers: dict[int, dict] = field(default_factory=dict)

    def council_where(self, loc: tuple) -> tuple[str | None, int | None]:
        """The council file's name and the line of ``loc`` in it (None, None when unknown)."""
        src = self.council_source
        return (src.file, src.line_of(loc)) if src is not None else (None, None)

    def project_where(self, loc: tuple, project: Project | None = None) -> tuple[str, int | None]:
        """The project file's name and the line of ``loc`` in it (the line None when unknown)."""
        project = project or self.project
        src = self.project_sources.get(project.id)
        return (src.file, src.line_of(loc)) if src is not None else (project_file(project), None)

    # The files a document's findings name: the ones validate names (``--config /other/dir`` is
    # not config/); the config/ names stand only for requests made without a register (lint data).
    def project_file(self, project: Project) -> str:
        src = self.project_sources.get(project.id)
        return src.file if src is not None else project_file(project)

    def data_file(self, project: Project, relative: str | None) -> str:
        """A data file of ``project`` as shown (the project file when it has none)."""
        if not relative:
            return self.project_file(project)
        return self.data_files.get(relative) or f"config/{relative}"

    def notes_file(self, project: Project) -> str:
        return self.data_file(project, project.data.notes)

    def council_file(self) -> str:
        src = self.council_source
        return src.file if src is not None else f"config/councils/{self.council.id}.yaml"


@dataclass
class Context:
    """A built context: template values, chart specs, a snapshot for the next report's
    'changes since' section, and key figures for previews and summaries."""

    values: dict
    charts: dict = field(default_factory=dict)
    snapshot: dict = field(default_factory=dict)
    key_figures: dict = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # the day the document names the county governor by (its Til line): its mail names the office
    # by the same day (``models.office_name``); None: the document is not for the county governor
    addressed: date | None = None
    # a draft's words for its mail subject ("UTKAST per 28.11.2026"); "": the document is final
    draft: str = ""
    # a cost split: the municipalities with a share in it (more than 0 kr in a year it splits), in the
    # council's order; each gets it at its contact address
    payers: tuple[str, ...] = ()


def project_file(project: Project) -> str:
    """Where a project's file is when nothing better is known (lint data); see DocumentRequest."""
    return f"config/projects/{project.id}.yaml"


def no_ledger(req: "DocumentRequest", project: Project) -> list[Finding]:
    """An error when the project names no ledger file (``data.ledger``): a document that reports
    money spent would say nothing was (found by an outside tester: a project made from a workbook,
    which names none, reported 0 kr spent, and its final report had every grant repaid)."""
    if project.data.ledger:
        return []
    return [Finding("error", req.project_file(project), None, "data.ledger",
                    f"{project.name} has no ledger file (data.ledger): the report would show nothing spent; "
                    "add the ledger export (a file with only the header row if nothing is booked yet)")]


def finding(file: str, field_name: str, message: str) -> Finding:
    """A finding a document builder makes (the document says it too)."""
    return Finding("warning", file, None, field_name, message)


def exact_money(value) -> str:
    """Granted, used or unused money as it is, with its øre when it has them: '79 739,50 kr',
    '400 000 kr' (the grant tables print it so, see ``fmt.ore_decimals``)."""
    return fmt.money(value, decimals=None)


def disposition(parts: list[tuple[str, int]]) -> str:
    """A grant table's "Disponering" for the amounts that have one: 'Tilbakebetales 265 000 kr;
    merforbruk 170 261,50 kr' (with the øre they have), or '–' when nothing is left over or overspent."""
    text = "; ".join(f"{label} {exact_money(amount)}" for label, amount in parts if amount)
    return text[:1].upper() + text[1:] if text else "–"


def addressee(council: Council, when: date, recipients: list | None = None, project: Project | None = None) -> str:
    """The county governor by the name of the day (``Council.governor_office``); with
    ``recipients`` (the document's 'to' recipients), those: the county governor by that name, a
    person by name and organisation."""
    if not recipients:
        return council.governor_office(when)
    governor = council.county_governor.email.casefold() if council.county_governor.email else None
    chair = project.steering_group_leader() if project is not None else None
    chair = chair.email.casefold() if chair is not None and chair.email else None
    names = []
    for r in recipients:
        if governor and r.email.casefold() == governor:
            names.append(council.governor_office(when))
        elif chair and r.email.casefold() == chair:
            names.append(f"{r.name}, leder av styringsgruppen")
        else:
            names.append(r.name)
    return ", ".join(dict.fromkeys(names))


def rag(value: str) -> dict:
    return {"label": RAG_LABEL[value], "color": RAG_COLOR[value], "code": value}


def doc_block(title: str, subject: str, period_text: str, council: Council, when: date) -> dict:
    """Title, subject and period; ``when`` is the report date the document is dated by."""
    return {"title": title, "subject": subject, "period": period_text, "issuer": council.name,
            "date": fmt.long_date(when), "version": 1}


def project_block(project: Project) -> dict:
    return {
        "name": project.name,
        "id": project.id,
        "owner": project.owner,
        "responsible": project.responsible,
        "leader": project.leader.name,
        "period": f"{fmt.long_date(project.period.start)} – {fmt.long_date(project.period.end)}",
    }


def council_block(council: Council) -> dict:
    return {"name": council.name, "county_governor": council.county_governor.name,
            "secretariat": f"{council.secretariat.name}, {council.secretariat.organisation}".strip(", ")}


def top_risks(project: Project, threshold: int = DEFAULT_TOP_RISK_RF, minimum: int = 3) -> list:
    """Every risk with RF at or above ``threshold``, highest first, and at least ``minimum``."""
    risks = sorted(project.risks, key=lambda r: -r.factor)
    chosen = [r for r in risks if r.factor >= threshold]
    return chosen if len(chosen) >= minimum else risks[:minimum]


def risk_rows(project: Project, risks: list | None = None) -> list[dict]:
    risks = sorted(project.risks, key=lambda r: -r.factor) if risks is None else risks
    rows = []
    for risk in risks:
        level = "red" if risk.factor >= 16 else "amber" if risk.factor >= 10 else "green"
        rows.append({"risk": risk.risk, "s": risk.probability, "k": risk.consequence, "rf": risk.factor,
                     "color": RAG_COLOR[level], "mitigation": risk.mitigation})
    return rows


def year_rows(labels_amounts: list[tuple[str, dict[int, object]]], years: list[int]) -> tuple[list, dict]:
    """Rows with a cell per year plus a total, and the total row, formatted for a year table.

    Amounts are in the budget's own unit (the heading names it). Each column is rounded once so
    it adds up as printed, and each row's Sum is the sum of its cells as printed (it was rounded
    on its own: 100,5 + 100,5 in 1000 kr printed "100 | 100 | 201").
    """
    columns = _round_table([[Decimal(str(a.get(y) or 0)) for y in years] for _, a in labels_amounts])
    rows = []
    for (label, amounts), parts in zip(labels_amounts, columns):
        cells = [fmt.number(part) if amounts.get(y) else "–" for y, part in zip(years, parts)]
        rows.append({"label": label, "cells": cells, "total": fmt.number(sum(parts))})
    total = {"cells": [fmt.number(sum(parts[j] for parts in columns)) for j in range(len(years))],
             "total": fmt.number(sum(map(sum, columns)))}
    return rows, total


def _round_table(table: list[list[Decimal]]) -> list[list[int]]:
    """Whole numbers for a table whose columns each add up to their rounded sum (``round_once``
    per column); where two cells of a column are equally near, the unit goes to the row still
    short of its own rounded sum, so the rows' sums come out right too where they can."""
    quotas = [[Fraction(v) for v in row] for row in table]
    parts = [[math.floor(q) for q in row] for row in quotas]
    short = [kr(sum(row)) - sum(floors) for row, floors in zip(quotas, parts)]
    for j in range(len(table[0]) if table else 0):
        column = [row[j] for row in quotas]
        order = sorted(range(len(table)), key=lambda i: (-(column[i] - parts[i][j]), -short[i], -column[i], i))
        for i in order[:kr(sum(column)) - sum(row[j] for row in parts)]:
            parts[i][j] += 1
            short[i] -= 1
    return parts


def split_note(part: MunicipalPart, years: list[int] | None = None) -> str:
    """What the financing plan says about the municipalities' part, in one or two sentences;
    for some of the plan's years (a cost split for one year) the amount is those years'. Own
    effort in the plan's kroner is said to be left out (grantflow.owneffort)."""
    text = _split_note(part, years)
    if part.in_kind:
        text += (f" Egeninnsats på {fmt.money(part.in_kind)} (kommunenes eget arbeid, ført både som kostnad "
                 "og som finansiering) er ikke med og faktureres ikke.")
    return text


def _split_note(part: MunicipalPart, years: list[int] | None = None) -> str:
    shown = list(years or [])
    some = bool(shown) and set(shown) != set(part.by_year)
    label = (f"{shown[0]}" if len(shown) == 1 else f"{shown[0]}–{shown[-1]}") if some else ""
    amount = sum(part.by_year.get(y, 0) for y in shown) if some else part.total
    if part.source == "none" and part.gap < 0:
        return (f"Finansieringsplanen går ikke i balanse: kostnadene er {fmt.money(-part.gap)} høyere enn "
                "finansieringen, og planen har ingen linje for kommunenes andel. Kommunene faktureres "
                "ikke før finansieringsplanen er avklart.")
    if part.total == 0 and part.costs == 0 and part.external == 0:
        return "Budsjettet har ingen kostnader ennå; kommunene faktureres ikke."
    if part.total == 0:
        text = ("Prosjektet er fullfinansiert av eksterne kilder; kommunene faktureres ikke "
                f"(kostnader {fmt.money(part.costs)}, ekstern finansiering {fmt.money(part.external)}).")
        if part.gap > 0:
            text += f" Finansieringen overstiger kostnadene med {fmt.money(part.gap)}."
        return text
    if part.source == "line":
        text = (f"Kommunenes andel for {label} er {fmt.money(amount)} ({fmt.money(part.total)} over hele perioden)"
                if some else f"Kommunenes andel er {fmt.money(part.total)}") + \
            " etter finansieringsplanens linje for kommunene."
        if some and not amount:
            text += f" Kommunene faktureres ikke for {label}."
        text += _ore_note(part)
        if part.gap:
            text += (f" Merk: finansieringsplanen går ikke i balanse over perioden; finansieringen er "
                     f"{fmt.signed_money(part.gap)} mot kostnadene.")
        return text
    if part.invoiced:
        # the years invoiced stay as they went out; only the rest is spread (a budget change
        # re-spread them, and 33 333 kr was never invoiced: found by a member municipality)
        done = sorted(part.invoiced)
        sent = sum(part.invoiced.values())
        left = part.rest - sent
        text = (f"Kommunenes andel er kostnadene minus ekstern finansiering over hele perioden: "
                f"{fmt.money(part.costs)} − {fmt.money(part.external)} = {fmt.money(part.rest)}. "
                f"{_years_text(done)} er allerede fakturert etter kostnadsfordelingene som er sendt, med "
                f"{_amounts_text([part.invoiced[y] for y in done])}")
        others = [y for y in part.by_year if y not in part.invoiced]
        if left >= 0:
            text += (f"; resten, {fmt.money(left)}, fordeles på {_years_text(others)} etter kostnadene"
                     if others else (f"; {fmt.money(left)} av andelen er ikke fakturert" if left else ""))
        else:
            text += f", {fmt.money(-left)} mer enn andelen; {_years_text(others) or 'ingen år'} faktureres ikke"
        return text + (f". For {label}: {fmt.money(amount)}." if some else ".")
    return (f"Kommunenes andel er kostnadene minus ekstern finansiering over hele perioden: "
            f"{fmt.money(part.costs)} − {fmt.money(part.external)} = {fmt.money(part.total)}, "
            "fordelt på årene etter kostnadene" + (f"; for {label}: {fmt.money(amount)}." if some else "."))


def _years_text(years: list[int]) -> str:
    """'2024', '2024 og 2025', '2024, 2025 og 2026'."""
    names = [str(y) for y in years]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1] if names else ""


def _amounts_text(amounts: list[int]) -> str:
    names = [fmt.money(a) for a in amounts]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


def _ore_note(part: MunicipalPart) -> str:
    """How a municipal line written with øre is billed (costsplit._whole_by_year): said, so the
    invoices' kroner can be followed back to the plan's line."""
    written = part.written or {}
    if all(v == v.to_integral_value() for v in written.values()):
        return ""
    total = sum(written.values(), Decimal(0))
    years = ", ".join(f"{y}: {fmt.money(v, decimals=None)}" for y, v in sorted(written.items()))
    once = (f"planens sum avrundet én gang ({fmt.money(total, decimals=None)} → {fmt.money(part.total)})"
            if total != total.to_integral_value() else f"planens sum, {fmt.money(part.total)}")
    return (f" Linjen har øre ({years}); kommunene faktureres i hele kroner, og øreavrundingen føres videre "
            f"fra år til år, så summen over perioden er {once}.")


def split_block(council: Council, project: Project, years: list[int], where=None, project_where=None,
                plan_as_of: date | None = None, invoiced: dict[int, int] | None = None) -> dict:
    """The cost split for each year, as a year table (kroner), and what the plan says about it.
    ``where(loc)`` / ``project_where(loc)``: the council / project file and line of ``loc``, for an error.
    ``plan_as_of``: the day of a plan (the application): a year from that day's year on, split by 1 January
    of each year, whose figures no participant has yet is split by the latest known, and the basis
    says so (an invoice, the cost split, is never made from a figure that does not exist).
    ``invoiced``: the other years' amounts as their cost splits went out (``municipal_part``)."""
    part = municipal_part(project, invoiced)
    invoiced = not (part.source == "none" and part.gap < 0) and part.total > 0
    stand_in: dict[int, int] = {}
    if invoiced and plan_as_of is not None:
        for year in years:
            known = latest_known(council, project, year) if year >= plan_as_of.year else None
            if known is not None:
                stand_in[year] = known
    splits = {year: allocate(council, project, year, part.by_year.get(year, 0), where, project_where,
                             weight_year=stand_in.get(year))
              for year in years} if invoiced else {}
    names = [m.name for m in council.municipalities]
    rows_in = []
    for name in names:
        amounts = {}
        for year, result in splits.items():
            share = next(s for s in result.shares if s.municipality == name)
            amounts[year] = share.total if share.participates else None
        if any(v is not None for v in amounts.values()):
            rows_in.append((name, amounts))
        else:
            # one that joins later or has left says so, as the year tables do ("Dal (ute fra 2026)")
            said = {not_paying(project, name, y) for y in years}
            rows_in.append((f"{name} ({said.pop().lower() if len(said) == 1 else 'deltar ikke'})",
                            {y: 0 for y in years}))
    rows, total = year_rows(rows_in, years) if invoiced else ([], {"cells": [], "total": "0"})
    return {"years": years, "rows": rows, "total": total,
            "basis": split_basis(project) + _stand_in_text(project, stand_in), "splits": splits,
            "invoiced": invoiced, "note": split_note(part, years), "decision": project.split.decision,
            "part": part}


def _stand_in_text(project: Project, stand_in: dict[int, int]) -> str:
    """The plan's years split by figures of an earlier 1 January, said plainly (which figure, which day)."""
    what = "innbyggertall" if project.split.weight in ("innbyggere", "population") else project.split.weight
    out = []
    for known in sorted(set(stand_in.values())):
        years = [y for y, k in sorted(stand_in.items()) if k == known]
        days = fmt.listing([f"1.1.{y}" for y in years])
        out.append(f" {what[:1].upper() + what[1:]} per {days} er ikke kjent ennå: fordelingen for "
                   f"{fmt.listing([str(y) for y in years])} er beregnet med {what} per 1.1.{known}, de siste kjente. "
                   "Fakturaen for hvert år bygger på tallene per 1. januar det året.")
    return "".join(out)


def split_basis(project: Project) -> str:
    from ..models import is_percentage_key

    key = project.split
    what = key_basis(key.weight, key.weight_year)      # a date for population only
    equal = key.equal_percent
    if equal == 0 and is_percentage_key(key.weight):
        # the agreement, not a weight (an equal share of 0 % beside it was shown as "Lik andel 0")
        return f"Fordelt etter avtalt {what}: hver kommunes andel er dens avtalte prosent av beløpet."
    if equal == 0:
        return f"Fordelt etter {what}."
    if equal == 100:
        return "Fordelt likt mellom de deltakende kommunene."
    return (f"{fmt.percent_as_given(equal / 100)} fordeles likt mellom de deltakende kommunene, "
            f"{fmt.percent_as_given((100 - equal) / 100)} etter {what}.")


def describe_changes(previous: dict | None, current: dict) -> list[str]:
    """Plain-language differences between two snapshots of the same report kind."""
    if not previous:
        return []
    out = []
    when = previous.get("as_of_text") or previous.get("period", "")
    prev_ms = previous.get("milestones", {})
    for number, status in current.get("milestones", {}).items():
        before = prev_ms.get(number)
        if before and before != status:
            out.append(f"Milepæl {number}: {before.lower()} → {status.lower()}.")
    for key, label in (("overall", "Samlet status"), ("progress", "Fremdrift"), ("economy", "Økonomi"),
                       ("risk", "Risiko")):
        if key in current and key in previous and current[key] != previous[key]:
            out.append(f"{label}: {RAG_LABEL[previous[key]].lower()} → {RAG_LABEL[current[key]].lower()}.")
    if "actual_total" in current and "actual_total" in previous:
        diff = current["actual_total"] - previous["actual_total"]
        if diff:
            out.append(f"Regnskapsført siden forrige rapport ({when}): {fmt.signed_money(diff)}.")
    if "forecast_total" in current and "forecast_total" in previous and current["forecast_total"] != previous["forecast_total"]:
        out.append(f"Prognose endret fra {fmt.money(previous['forecast_total'])} til {fmt.money(current['forecast_total'])}.")
    if "totals" in current and "totals" in previous and current["totals"] != previous["totals"]:
        out.append("Beløpene er endret siden forrige versjon.")
    if not out:
        out.append(f"Ingen endringer i milepæler, status eller økonomi siden forrige rapport ({when}).")
    return out


def decided_on(status) -> str:
    """' 15. september 2016': the day a milestone was postponed or cancelled, when the data gives
    it, for "ble avlyst …" / "ble utsatt … og"; '' without one."""
    return f" {fmt.long_date(status.decided)}" if getattr(status, "decided", None) else ""
