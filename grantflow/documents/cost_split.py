"""Kostnadsfordeling: each municipality's share per year, the basis for invoicing."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .. import fmt
from ..costsplit import key_heading, municipal_part, not_paying
from ..findings import Finding
from ..models import Project
from ..reporting import ReportPeriod, check_years, parse_period
from .common import (Context, DocumentRequest, council_block, doc_block, finding, project_block,
                     split_block)


def period(project: Project, period: str | None, as_of: date | None, today: date,
           previous_as_of: date | None = None) -> tuple[ReportPeriod, date]:
    """The years split (default: every budget year), dated --as-of or today. Every year given
    must be one of the project's."""
    years = project.budget.years() or project.period.years()
    if period:
        parsed = parse_period(period)
        first, last = parsed.start.year, parsed.end.year
        check_years(project, first, last, "--period", "every year of a cost split")
    else:
        first, last = years[0], years[-1]
    label = str(first) if first == last else f"{first}-{last}"
    return ReportPeriod(label, date(first, 1, 1), date(last, 12, 31)), as_of or today


def options(period: str | None, dated: date | None) -> list[str]:
    """The options that make this cost split again: its year (a span of years is every budget year,
    the default: --period takes no span) and the day it is dated."""
    year = ["--year", period] if period and period.isdigit() else []
    return year + (["--as-of", dated.isoformat()] if dated is not None else [])


def _percents(shares, total: int) -> list[str]:
    """Each share in percent of the amount billed, with one decimal, each rounded on its own (half
    up): equal amounts read equal and a larger amount never reads less. Rounded once across the
    column (to add up to 100,0 %), three municipalities paying 53 333 kr each read "33,4 %",
    "33,3 %", "33,3 %" (found by a county governor's case officer); the Sum row is the whole, 100 %."""
    if not total:
        return ["" for _ in shares]
    return [fmt.percent(Decimal(s.total) / total, 1) if s.participates else "" for s in shares]


def _percents_note(shares, total: int) -> str:
    """A sentence when the shares as printed do not add up to the 100,0 % under them (thirds)."""
    tenths = [(Decimal(s.total) * 1000 / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)
              for s in shares if s.participates] if total else []
    if not tenths or sum(tenths) == 1000:
        return ""
    return (f" Andel er kommunens sum i prosent av årets beløp, avrundet hver for seg, så like beløp har lik "
            f"andel; de avrundede andelene summerer til {fmt.percent(sum(tenths) / Decimal(1000), 1)}.")


def _years_of(project: Project, name: str) -> str:
    """A participant's years in a few words, 'deltar fra 2026', 'deltar til og med 2025',
    'deltar 2025–2026'; '' for one that takes part in every year."""
    member = project.membership.get(name)
    if member is None or (member.first is None and member.until is None):
        return ""
    if member.first is not None and member.until is not None:
        return f"deltar {member.first}" if member.first == member.until else f"deltar {member.first}–{member.until}"
    return f"deltar fra {member.first}" if member.first is not None else f"deltar til og med {member.until}"


def membership_note(project: Project) -> str:
    """One short line on who joins or leaves part way: 'Elv deltar fra 2026. Dal deltar til og med 2025.'"""
    parts = [f"{name} {_years_of(project, name)}." for name in project.municipalities if _years_of(project, name)]
    return " " + " ".join(parts) if parts else ""


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def invoicing_text(council) -> list[str]:
    inv = council.invoicing
    if inv is None:
        return []
    out = [f"{inv.issuer} fakturerer kommunene{(' ' + inv.when) if inv.when else ''}, "
           f"med betalingsfrist {fmt.days(inv.due_days)} fra fakturadato."]
    if inv.marking:
        out.append(f"Fakturaen merkes: {inv.marking}.")
    if inv.contact:
        out.append(f"Spørsmål om fakturaen: {inv.contact}.")
    return out


def build(req: DocumentRequest) -> Context:
    project, council = req.project, req.council
    years = [y for y in project.budget.years() if req.period.start.year <= y <= req.period.end.year] \
        or [req.period.start.year]
    split = split_block(council, project, years, req.council_where, req.project_where)
    tables = []
    for year, result in split["splits"].items():
        rows = []
        for share, pct in zip(result.shares, _percents(result.shares, result.total)):
            if share.participates:
                rows.append({"name": share.municipality, "weight": fmt.exact(share.weight),
                             "equal": fmt.number(share.equal), "weighted": fmt.number(share.weighted),
                             "total": fmt.number(share.total), "percent": pct})
            else:
                # a participant outside its years says when it takes part, not "Deltar ikke"
                rows.append({"name": share.municipality, "weight": "", "equal": "", "weighted": "",
                             "total": not_paying(project, share.municipality, year), "percent": ""})
        tables.append({
            "title": f"{year}: {fmt.money(result.total)}",
            "basis": f"{split['basis']} Lik andel totalt {fmt.money(result.equal_total)}, "
                     f"etter vekt {fmt.money(result.weighted_total)}."
                     + (f" Beløpene er {project.budget.vat}." if project.budget.vat else "")
                     + _percents_note(result.shares, result.total) + membership_note(project),
            "weight_label": key_heading(result.weight_key, result.weight_year),
            "rows": rows,
            "sum": {"weight": fmt.exact(result.weight_total), "equal": fmt.number(result.equal_total),
                    "weighted": fmt.number(result.weighted_total), "total": fmt.number(result.total),
                    "percent": fmt.percent(1, 1) if result.total else ""},
        })
    findings = []
    if not project.split.decision:
        findings.append(finding(req.project_file(project), "split.decision",
                                "the cost split does not name the decision it rests on"))
    nothing = bool(split["splits"]) and not any(r.total for r in split["splits"].values())
    if nothing:
        # "Kommunenes andel for 2017 er 0 kr", every row 0, was mailed to the steering group without a
        # word (found by a tester); an application for nothing is refused likewise
        paying = [str(y) for y, amount in municipal_part(project).by_year.items() if amount > 0]
        source = req.project_sources.get(project.id)
        findings.append(Finding(
            "error", req.project_file(project), source.line_of(("budget", "financing")) if source else None,
            "budget.financing",
            f"the municipalities pay nothing in {years[0] if len(years) == 1 else f'{years[0]}–{years[-1]}'}: "
            "the financing plan's municipal share is 0 kr, so there is nothing to invoice"
            + (f" (they pay in {', '.join(paying[:-1]) + ' and ' + paying[-1] if len(paying) > 1 else paying[0]})"
               if paying else "")
            + "; send it with --override-reason only if the municipalities are to be told so"))
    # A year already sent is not re-billed to other municipalities without a word: adding Elv
    # (joining in 2026) to the one list charged it 122 835 kr for 2024 in a new version, and the
    # all-years split mailed it its 2024 and 2025 "shares" (found by a municipality's finance officer)
    source = req.project_sources.get(project.id)
    order = [m.name for m in council.municipalities]

    def ordered(names: set[str]) -> list[str]:       # in the council's member order
        return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))

    for year, result in split["splits"].items():
        sent = req.sent_payers.get(year)
        now = {s.municipality for s in result.participants}
        if not sent or not result.total or now == sent["names"]:
            continue
        added, removed = ordered(now - sent["names"]), ordered(sent["names"] - now)
        change = "; ".join(part for part in (
            f"adds {_names(added)}" if added else "", f"drops {_names(removed)}" if removed else "") if part)
        hint = ", ".join(
            [f"{{name: {n}, from: YEAR}} (its first year, after {year})" for n in added]
            + [f"{{name: {n}, until: YEAR}} (its last year, {year} or later)" for n in removed])
        findings.append(Finding(
            "error", req.project_file(project), source.line_of(("municipalities",)) if source else None,
            "municipalities",
            f"{year} was invoiced to {_names(ordered(sent['names']))} ({sent['document']} version {sent['version']}, "
            f"sent {sent['at'][:10]}); this split {change}: write {hint} in municipalities:, or send with "
            f"--override-reason if {year} is to be invoiced again on these municipalities"))
    # "Kommunene faktureres ikke for 2017" beside "… fakturerer kommunene i mars" (found by a reviewer)
    invoicing = [] if nothing else invoicing_text(council)
    if not invoicing and split["invoiced"] and not nothing:
        findings.append(finding(req.council_file(), "invoicing",
                                "no invoicing details (who invoices, when, payment terms) for the cost split"))
    label = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
    values = {
        "doc": doc_block("Kostnadsfordeling", project.name, label, council, req.as_of),
        "project": project_block(project),
        "council": council_block(council),
        "split": {k: v for k, v in split.items() if k not in ("splits", "part")},
        "decision": project.split.decision or "Ikke angitt i prosjektets oppsett.",
        "invoicing": invoicing or ([f"Kommunene faktureres ikke for {label}."] if nothing else
                                   ["Faktureringsdetaljer er ikke lagt inn for " + council.name + "."]),
        "tables": tables,
    }
    totals = {str(y): r.total for y, r in split["splits"].items()}
    # each municipality's share in the mail (the basis for its invoice), per year when the split
    # covers several: the mail gave only the totals, and a rådmann had to open the document to find
    # his own (found by an outside tester)
    shares: dict[str, list[str]] = {}
    for year, result in split["splits"].items():
        for share in result.shares:
            if share.participates and result.total:
                shares.setdefault(share.municipality, []).append(
                    fmt.money(share.total) + (f" ({year})" if len(split["splits"]) > 1 else ""))
    figures = {f"Til fordeling {y}": fmt.money(r.total) for y, r in split["splits"].items()}
    figures.update({f"Andel {name}": ", ".join(parts) for name, parts in shares.items()})
    return Context(values, snapshot={"period": label, "totals": totals}, findings=findings, key_figures=figures)
