"""Kostnadsfordeling: each municipality's share per year, the basis for invoicing."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .. import fmt
from ..costsplit import dated_from, invoiced_by, key_heading, municipal_part, not_paying
from ..errors import UserError
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
    dated = as_of or today
    # An invoice is never made from a figure that does not exist on its day: a split for 2026 by
    # population on 1.1.2026 dated 20.02.2023 was made without a remark (found by a tester)
    # (a population key only: an agreed percentage or pupil numbers for a year have no day, and may be
    # agreed beforehand; the deadline watch makes a split no earlier, see deadlines.calendar)
    earliest = dated_from(project, last)
    if earliest is not None and dated < earliest:
        key, weight_year = project.split.weight, earliest.year
        earlier = "; split the years before with --year" if first < last and first < weight_year else ""
        raise UserError(f"the cost split for {last} bills by {key} on 1 January {weight_year}, a figure that does not "
                        f"exist on {dated:%d.%m.%Y} ({'the day --as-of dates it' if as_of else 'today'}): an invoice "
                        f"basis is made on or after 1 January {weight_year}{earlier}",
                        field="--as-of" if as_of else ("--period" if period else "--as-of"))
    return ReportPeriod(label, date(first, 1, 1), date(last, 12, 31)), dated


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


def _agreed_basis(project: Project, result, basis: str) -> str:
    """The line above an agreed key's year table: the agreement, its decision, and how percentages
    that do not add up to 100 are billed (each its percentage of their sum)."""
    decision = project.split.decision
    text = basis[:-1] + f" (vedtak: {decision.rstrip('.')})." if decision and basis.endswith(".") else basis
    total = result.weight_total
    if result.total and total != 100 and result.participants:
        first = result.participants[0]
        text += (f" Prosentandelene for {result.weight_year} summerer til {fmt.exact(total)}, ikke 100: hver kommune "
                 f"betaler sin prosentandel av {fmt.exact(total)} ({first.municipality} {fmt.exact(first.weight)} av "
                 f"{fmt.exact(total)}).")
    return text


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


def invoicing_text(council, years: str = "") -> list[str]:
    """How the municipalities are invoiced; ``years``: the years this split invoices when it also
    covers years invoiced already ("fakturerer kommunene for 2015 i mars for hele året")."""
    inv = council.invoicing
    if inv is None:
        return []
    out = [f"{inv.issuer} fakturerer kommunene{(' for ' + years) if years else ''}"
           f"{(' ' + inv.when) if inv.when else ''}, "
           f"med betalingsfrist {fmt.days(inv.due_days)} fra fakturadato."]
    if inv.marking:
        out.append(f"Fakturaen merkes: {inv.marking}.")
    if inv.contact:
        out.append(f"Spørsmål om fakturaen: {inv.contact}.")
    return out


def correction_terms(council, debit: int, credit: int, years: str) -> list[str]:
    """The invoicing lines of a split whose every year was invoiced already: who invoices what is
    added and credits what was invoiced too much, and the payment terms; no day (the configuration
    gives the day the year is invoiced, not when a correction is)."""
    inv = council.invoicing
    if inv is None:
        return []
    if not debit and not credit:
        out = [f"{years} allerede fakturert med disse beløpene; denne kostnadsfordelingen gir ingen ny faktura."]
    else:
        does = [f"fakturerer det som faktureres i tillegg, med betalingsfrist {fmt.days(inv.due_days)} fra "
                "fakturadato" if debit else "", "krediterer det som krediteres" if credit else ""]
        out = [f"{inv.issuer} {', og '.join(d for d in does if d)}."]
        if inv.marking:
            out.append(f"Fakturaen merkes: {inv.marking}.")
    if inv.contact:
        out.append(f"Spørsmål om fakturaen: {inv.contact}.")
    return out


def build(req: DocumentRequest) -> Context:
    project, council = req.project, req.council
    years = [y for y in project.budget.years() if req.period.start.year <= y <= req.period.end.year] \
        or [req.period.start.year]
    # the other years as their cost splits went out: a plan whose municipal line has no amounts
    # spreads only what they left (``municipal_part``)
    others = {y: invoiced_by(sent).total for y, sent in req.invoiced.items() if sent and y not in years}
    split = split_block(council, project, years, req.council_where, req.project_where, invoiced=others)
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
            # an agreed key is the whole key: no equal share to speak of ("Lik andel totalt 0 kr" and a
            # column of zeros beside the agreed percentages), and its Sum is the percentage billed
            "agreed": result.agreed,
            "basis": (_agreed_basis(project, result, split["basis"]) if result.agreed else
                      f"{split['basis']} Lik andel totalt {fmt.money(result.equal_total)}, "
                      f"etter vekt {fmt.money(result.weighted_total)}.")
                     + (f" Beløpene er {project.budget.vat}." if project.budget.vat else "")
                     + ("" if result.agreed else _percents_note(result.shares, result.total))
                     + membership_note(project),
            "weight_label": key_heading(result.weight_key, result.weight_year),
            "rows": rows,
            "sum": {"weight": fmt.exact(result.weight_total), "equal": fmt.number(result.equal_total),
                    "weighted": fmt.number(result.weighted_total), "total": fmt.number(result.total),
                    "percent": fmt.percent(1, 1) if result.total else ""},
        })
    findings = []
    if req.as_of < project.period.start and split["invoiced"]:
        # made ahead of the project (the council may invoice in advance): said beside the amounts,
        # not left for the reader to notice from the date (found by a tester)
        split["note"] += (f" Kostnadsfordelingen er datert {fmt.long_date(req.as_of)}, før prosjektet starter "
                          f"{fmt.long_date(project.period.start)}.")
        findings.append(finding(req.project_file(project), "period.start",
                                f"the cost split is dated {req.as_of:%d.%m.%Y}, before the project starts "
                                f"({project.period.start:%d.%m.%Y}); the document says so"))
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
    corrections, correction_figures, told = [], {}, {}
    for year, result in split["splits"].items():
        said, figures_, found, told[str(year)] = correction(req, year, result)
        corrections += said
        correction_figures.update(figures_)
        if found is not None:
            findings.append(finding(req.project_file(project), "split", found))
    debit, credit = sum(t["debit"] for t in told.values()), sum(t["credit"] for t in told.values())
    if invoicing and told and all(t["said"] is not None for t in told.values()):
        # every year was invoiced already: "… fakturerer kommunene i mars for hele året" in a split
        # dated 20 April read as a new invoice (found by a finance officer); what is invoiced or
        # credited now is said with the council's terms, and no day the configuration does not give
        invoicing = correction_terms(council, debit, credit, "Alle årene er" if len(told) > 1 else f"{label} er")
    elif invoicing and any(t["said"] is not None for t in told.values()):
        # some years invoiced already: the council's invoicing sentence names the years it is for
        new = [y for y, t in told.items() if t["said"] is None]
        invoicing = invoicing_text(council, new[0] if len(new) == 1 else ", ".join(new[:-1]) + " og " + new[-1])
        if debit or credit:
            invoicing[1:1] = correction_terms(council, debit, credit, "")[:1]
    values = {
        "doc": doc_block("Kostnadsfordeling", project.name, label, council, req.as_of),
        "project": project_block(project),
        "council": council_block(council),
        "split": {k: v for k, v in split.items() if k not in ("splits", "part")},
        "decision": project.split.decision or "Ikke angitt i prosjektets oppsett.",
        "invoicing": corrections + (invoicing or ([f"Kommunene faktureres ikke for {label}."] if nothing else
                                                 ["Faktureringsdetaljer er ikke lagt inn for " + council.name + "."])),
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
    figures.update(correction_figures)
    # each municipality's share per year and the day, kept with the version: what a later version of
    # the year is compared with when this one was invoiced (``correction``)
    kept = {str(y): {s.municipality: s.total for s in r.shares if s.participates} for y, r in split["splits"].items()}
    # who is to pay what this document says: they get it (a municipality with no share does not)
    payers = tuple(m.name for m in council.municipalities
                   if any(s.municipality == m.name and s.participates and s.total > 0
                          for r in split["splits"].values() for s in r.shares))
    # and what it said of each year's invoice (``invoiced_on_record``: the basis it corrected, None: it invoiced)
    return Context(values, snapshot={"period": label, "totals": totals, "shares": kept, "as_of": req.as_of.isoformat(),
                                     "invoiced": {y: t["said"] for y, t in told.items()}},
                   findings=findings, key_figures=figures, payers=payers)


def _invoiced_basis(history: list, now: dict[str, int], total: int, document: str):
    """The cost split the municipalities were invoiced by for a year (``costsplit.invoiced_by``),
    which the split being made corrects; None: nothing invoiced yet. When this document went out
    with these very shares and nothing delivered since said other ones, it is being made (or sent)
    again: it corrects what it corrected then, so its text stays what went out."""
    def same(sent) -> bool:
        return sent.total == total and (sent.shares is None or sent.shares == now)

    start = len(history)
    while start and same(history[start - 1]):
        start -= 1
    own = next((i for i in range(start, len(history)) if history[i].document == document), None)
    return invoiced_by(history[:len(history) if own is None else own])


def correction(req: DocumentRequest, year: int, result) -> tuple[list[str], dict[str, str], str | None, dict]:
    """When ``year`` was invoiced already: the document's sentences (which split, its date, the day
    invoices went out, what is credited or added per municipality, or that it stays as invoiced),
    the mail's figures, a warning, and what this split says of the year's invoice for its record
    (``said``: None for a first invoice; its "credit" and "debit" in kroner). A new version of an
    invoiced year said nothing of the invoice (found by a member municipality's finance officer); the
    all-years split repeated a correction a year's own split had made, and a clerk credits twice
    (found by another)."""
    now = {s.municipality: s.total for s in result.shares if s.participates}
    basis = _invoiced_basis(req.invoiced.get(year) or [], now, result.total, req.period.label)
    if basis is None:
        return [], {}, None, {"said": None, "credit": 0, "debit": 0}
    said = {"said": {"document": basis.document, "version": basis.version}, "credit": 0, "debit": 0}
    inv = req.council.invoicing
    day = inv.invoice_day(year) if inv is not None else None
    dated = f", datert {fmt.long_date(basis.dated)}" if basis.dated else ""
    document = basis.document.replace('-', '–')
    figures = {f"Fakturert før ({year})": f"versjon {basis.version} av kostnadsfordelingen "
                                           f"{document}, sendt {fmt.long_date(basis.sent)}"}
    if basis.total == result.total and (basis.shares is None or basis.shares == now):
        # the same shares as invoiced: said as such, not as a new invoice (found by a finance officer)
        figures[f"Fakturert før ({year})"] += ", uendret"
        return ([f"{year}: allerede fakturert, uendret (kostnadsfordelingen {document}, versjon {basis.version}"
                 f"{dated}, sendt {fmt.long_date(basis.sent)})."], figures, None, said)
    what = (f"{year} er allerede fakturert: kostnadsfordelingen {document} (versjon "
            f"{basis.version}{dated}) ble sendt {fmt.long_date(basis.sent)}"
            + (f", og fakturadagen for {year} er {fmt.long_date(day)}" if day else "") + ". ")
    if basis.shares is None:
        diff = result.total - basis.total
        said["credit" if diff < 0 else "debit"] = abs(diff)
        text = (what + f"Den ga {fmt.money(basis.total)}, denne versjonen {fmt.money(result.total)}: "
                + (f"{fmt.money(-diff)} krediteres" if diff < 0 else f"{fmt.money(diff)} faktureres i tillegg")
                + " samlet; andelene per kommune i den forrige er ikke registrert.")
        return [text], figures, (f"{year} was invoiced already by the cost split {basis.document} version "
                                 f"{basis.version} (sent {basis.sent:%d.%m.%Y}) on {basis.total} kr; this one says "
                                 f"{result.total} kr"), said
    lines = [what + f"Denne versjonen endrer andelene for {year}; det som er fakturert, rettes slik:"]
    names = [s.municipality for s in result.shares if s.municipality in now or s.municipality in basis.shares]
    names += [n for n in basis.shares if n not in names]
    for name in names:
        before, after = basis.shares.get(name, 0), now.get(name, 0)
        diff = after - before
        todo = ("uendret" if not diff else f"krediteres {fmt.money(-diff)}" if diff < 0
                else f"faktureres {fmt.money(diff)} i tillegg")
        lines.append(f"{name}: fakturert {fmt.money(before)}, ny andel {fmt.money(after)}, {todo}.")
        if diff:
            figures[f"Rettes {year}, {name}"] = f"{todo} ({fmt.money(before)} → {fmt.money(after)})"
            said["credit" if diff < 0 else "debit"] += abs(diff)
    return lines, figures, (f"{year} was invoiced already by the cost split {basis.document} version {basis.version} "
                            f"(sent {basis.sent:%d.%m.%Y}) on other shares: the document says what to credit or add "
                            "per municipality"), said
