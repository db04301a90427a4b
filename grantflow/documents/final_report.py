"""Sluttrapport: the final report to the steering group and the funder.

What the funder's case officer reads first: the case reference, granted against used per
funder, the unused amount in kroner (repaid, or requested carried over), and every deviation
with its explanation. Deviations are: a milestone late or not delivered, a budget category
more than 10 % under or over its budget (or with accounts against a budget of 0), and a red
overall status at the end. Explanations come from ``evaluation.explanations`` in the notes
(keys 'milepæl 05', 'kategori <name>', 'økonomi', 'status'), for milestones also from the
progress data's comment; a deviation with none says "Forklaring mangler" and is a finding.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from .. import fmt, owneffort
from ..costsplit import Settlement, invoiced_by, municipal_part, settle
from ..models import (AFTER_REPORT_DATE_EXPLANATION, BEFORE_START_EXPLANATION, ECONOMY_EXPLANATION, OWN_EFFORT_EXPLANATION,
                      STATUS_EXPLANATION, Evaluation, category_explanation,
                      milestone_explanation, overspent_explanation)
from ..errors import UserError
from ..findings import Finding
from ..models import Project
from ..reporting import (ReportPeriod, amount_sum, booked_on, economy, hours_total, kr, ledger_until,
                          milestone_statuses, overall_rag, parse_period, progress_rag,
                          require_costs_before_credits, stale_export, unattributed_frame, ungranted_skjonnsmidler)
from .common import (HOURS_NOT_REGISTERED, Context, DocumentRequest, addressee, council_block, decided_on, disposition, doc_block,
                     exact_money, finding, lines,
                     no_ledger, project_block, split_basis)
from .status_report import charts_for, milestone_rows, sentence

DEVIATION_SHARE = Decimal("0.10")
MISSING = "Forklaring mangler."
# What happens to the municipalities' unused money (their share was invoiced by the cost split).
MUNICIPAL_SETTLED = "Avregnes med kommunene"
SETTLEMENT_TABLE = " Hver kommunes del står i avsnitt 6 under «Avregning med kommunene»."


def period(project: Project, period: str | None, as_of: date | None, today: date,
           previous_as_of: date | None = None) -> tuple[ReportPeriod, date]:
    """The whole project, reported at its end (or --as-of). A --period must hold the project's
    end (the final report has no other period); a date before the project starts is refused."""
    start, end = project.period.start, project.period.end
    if period:
        parsed = parse_period(period)
        if not parsed.start <= end <= parsed.end:
            raise UserError(f"the final report covers the whole project ({start.isoformat()} – {end.isoformat()}); "
                            f"--period {period} does not hold its end: leave --period out", field="--period")
    if as_of is not None and as_of < start:
        raise UserError(f"{as_of.isoformat()} is before the project starts ({start.isoformat()})",
                        field="--as-of")
    when = as_of or end
    return ReportPeriod(str(end.year), start, when), when


def options(period: str | None, dated: date | None) -> list[str]:
    """The options that make this report again: its date (its period is always the whole project)."""
    return ["--as-of", dated.isoformat()] if dated is not None else []


def hours_planned(project: Project, rate: Decimal | None = None) -> str:
    """The plan's own effort as the final report's "(plan: …)" says it."""
    hours = project.budget.own_effort_hours
    in_kind = kr(owneffort.in_kind_total(project))
    text = fmt.hours(hours) if hours else "ikke angitt i timer"
    if hours and not in_kind:
        text = fmt.hours(hours) + owneffort.at_rate(hours, rate)
    if in_kind:
        text += (f"; i budsjettet verdsatt til {fmt.money(in_kind)}, ført som kostnad og som finansiering, "
                 "ikke med i regnskapet over og ikke fakturert")
    return text


def _ledger_rows(req: DocumentRequest, select) -> tuple[int, Decimal] | None:
    """How many ledger rows ``select`` (a test on the day each row counts from) picks, and their
    exact sum in kroner (None: none)."""
    if req.data is None or req.data.ledger is None or req.data.ledger.frame.empty:
        return None
    frame = req.data.ledger.frame
    picked = frame[select(booked_on(frame))]
    return (len(picked), amount_sum(picked["Beløp"])) if len(picked) else None


def _stale_ledger(req: DocumentRequest, ledger_file: str, as_of) -> list:
    """A warning when the ledger's last row counted in the report lies long before the report date
    (``reporting.stale_export``): the final accounts were made from an export months old, and the
    report says "Regnskapet er kontrollert" (the demo's ERP final report of 31.12.2014 had the
    ledger of 30.06.2014: found by an outside tester). A warning: a project may have had no costs
    in its last months. The report says it too (``stale_text``). Counted to the project's end when
    the report is made later (``until_end``): no cost of the project is missing after it."""
    day = until_end(req.project, as_of)
    stale = stale_export(req.data, day)
    if stale is None:
        return []
    last, days = stale
    what = "the project's end" if day == req.project.period.end else "the report date"
    return [finding(ledger_file, "Dato", f"the ledger's last row is dated {last:%d.%m.%Y}, {days} days "
                                         f"before {what} {day:%d.%m.%Y}: if the export is old, the final "
                                         "accounts lack the last months' costs and the unused money to repay or "
                                         "settle is too high (the report and its mail say so); export the ledger "
                                         "again before sending")]


def until_end(project: Project, as_of: date) -> date:
    """The day an old export is measured against: the report date, or the project's end if earlier."""
    return min(as_of, project.period.end)


def stale_text(project: Project, last: date, days: int, as_of: date, unused: bool) -> str:
    """The report's own words for an old ledger export, beside the unused money and the accounts
    (the usage report's wording). The figures "tilbakebetales" and "avregnes med kommunene" were
    printed as fact from ledgers ending up to 456 days before the project's end, the warning only
    in the findings (found by the county governor's case officer)."""
    day = until_end(project, as_of)
    when = (f"prosjektslutt {fmt.long_date(day)}" if day == project.period.end
            else f"rapportdatoen {fmt.long_date(day)}")
    return (f"Regnskapet har siste postering {fmt.long_date(last)}, {fmt.days(days)} før {when}: er eksporten "
            "gammel, mangler sluttregnskapet kostnadene etter denne datoen"
            + (", og de ubrukte beløpene er for høye." if unused else "."))


def signed_accounts(old_export: tuple[date, int] | None) -> str:
    """What the finance officer signs to in section 10. "Kontrollert og stemmer" alone stood beside
    the report's own words that an old export lacks the costs after its last row: a signature
    confirming accounts the same report doubts (found by the county governor's case officer).
    From an old export it confirms the accounts as far as the ledger goes, and says so."""
    if old_export is None:
        return "Regnskapet for prosjektet er kontrollert og stemmer med kommunens/virksomhetens regnskap."
    return ("Regnskapet i rapporten er kontrollert og stemmer med kommunens/virksomhetens regnskap til og med "
            f"siste postering {fmt.long_date(old_export[0])}; kostnader ført etter denne datoen er ikke med.")


def funder_rows(req: DocumentRequest, evaluation: Evaluation) -> tuple[list[dict], list[str], dict]:
    """Granted, used and unused per funder (kroner), and one sentence per funder with money left.
    Used counts the ledger to the report date, as the accounts beside it do."""
    project, unit = req.project, req.project.budget.unit
    data = ledger_until(req.data, req.as_of)
    ledger = data.ledger.frame if data is not None and data.ledger is not None else None
    rows, sentences, left = [], [], []          # left: (funder, unused kroner) of each funder with money left
    over = []                                   # (funder's name, funder id, granted, used) of each overspent grant
    settled = None                              # the municipalities' unused part or overspend, per municipality
    unknown = None                              # (count, sum) of rows with no source that leave the settlement open
    totals = {"planned": Decimal(0), "granted": Decimal(0), "used": Decimal(0), "unused": Decimal(0),
              "overspent": Decimal(0)}
    what = evaluation.unused or "tilbakebetales"
    # One row per funder: a funder's lines (one per application round, say) share its award
    # letters and its ledger rows, so they are counted once. A line without a funder is its own row.
    groups: dict[str, list] = {}
    for line in project.budget.financing:
        if line.kind != "egeninnsats":
            groups.setdefault(f"funder:{line.funder}" if line.funder else f"line:{id(line)}", []).append(line)
    funders = [project.funder(group[0].funder) if group[0].funder else None for group in groups.values()]
    spent, picked = [], []
    sources = ledger["Finansieringskilde"].astype(str).str.casefold() if ledger is not None else None
    for group, funder in zip(groups.values(), funders):
        names = {l.source.casefold() for l in group} | ({funder.id.casefold()} if funder else set())
        if funder is not None and funder.grants:
            require_costs_before_credits(data, names, funder.id, req.as_of)
        picked.append(ledger[sources.isin(names)] if ledger is not None else None)
        spent.append(amount_sum(picked[-1]["Beløp"]) if ledger is not None else 0)
    # Rows that name no source of the plan are in the accounts too: their own row, so the table
    # adds up to the accounts (it was short by them).
    loose = unattributed_frame(project, ledger) if ledger is not None else None
    unattributed = (len(loose), amount_sum(loose["Beløp"])) if loose is not None and len(loose) else None
    # Exact, to the øre (``fmt.ore_decimals``): the funders' "Brukt" adds up to the ledger, and
    # Brukt + Ubrukt to the Tilsagn as printed. Rounded to kroner (once across the funders), a
    # grant's Brukt and Ubrukt were each up to a krone off, and differed from the usage report's.
    used_all = [Decimal(v) for v in spent + ([unattributed[1]] if unattributed else [])]
    if unattributed:
        totals["used"] += used_all[-1]
        unattributed_row = {"source": "Uten finansieringskilde i regnskapet", "reference": "–", "planned": "–",
                            "granted": "–", "used": used_all[-1], "unused": "–", "disposition": "–"}
    for group, funder, used in zip(groups.values(), funders, used_all):
        line = group[0]
        amounts = [a for l in group for a in l.amounts.values()]
        planned = sum(amounts, Decimal(0)) * unit if amounts else None
        if line.kind == "kommunene":
            # what the cost split bills them: the plan's line in whole kroner, rounded once over the
            # period (575 750,75 kr in the plan is 575 751 kr billed), or the rest (costs minus
            # external financing) when the line has no amounts. The plan's øre said "Kommunenes andel
            # etter kostnadsfordelingen: 575 750,75 kr" beside a cost split that billed 575 751 kr.
            # A year whose cost split went out counts as it was sent (``municipal_billed``).
            billed, head, gap_text = municipal_billed(req, project)
            planned = Decimal(billed)
        granted = sum((g.amount for g in funder.grants), Decimal(0)) if funder and funder.grants else None
        refs = ", ".join(dict.fromkeys(g.reference for g in funder.grants if g.reference)) if funder else ""
        unused = granted - used if granted is not None else None
        dispose = ""
        if line.kind == "kommunene" and granted is None and planned is not None:
            # the municipalities paid their planned part by the cost split: what is not used of it
            # is theirs, settled by the same key ("ingen ubrukte midler" beside 670 500 kr unspent
            # of their 5 450 000 kr: found by an outside tester)
            unused = planned - used
            if unattributed:
                # rows with no source may be the municipalities' spending or a funder's: what is left
                # of their part is not known, and is not printed as fact. With the source blank on
                # their rows the report said "brukt 0 kr … 2 400 000 kr avregnes med kommunene"
                # beside accounts 530 000 kr under budget (found by a member municipality)
                count, loose_sum = unattributed
                high, low = unused, unused - loose_sum
                span = (f"mellom {exact_money(low)} og {exact_money(high)} tilbake til kommunene" if low >= 0 else
                        f"et merforbruk på mellom {exact_money(-high)} og {exact_money(-low)}" if high <= 0 else
                        f"fra et merforbruk på {exact_money(-low)} til {exact_money(high)} tilbake til kommunene")
                sentences.append(f"{head}, brukt {exact_money(used)} på regnskapsrader ført på kommunene.{gap_text} "
                                 f"{count_rows(count)} i regnskapet ({exact_money(loose_sum)}) har ingen "
                                 "finansieringskilde, så det er ikke fastslått hva som avregnes med kommunene: "
                                 f"etter regnskapet er det {span}. Beløpet fastsettes når radene er ført på sin kilde.")
                dispose, unused, unknown = "Ikke fastslått", None, (count, loose_sum, span)
            elif unused > 0:
                dispose = MUNICIPAL_SETTLED
                sentences.append(f"{head}, brukt {exact_money(used)}.{gap_text} Det ubrukte beløpet, "
                                 f"{exact_money(unused)}, avregnes med "
                                 "kommunene etter fordelingsnøkkelen i kostnadsfordelingen." + SETTLEMENT_TABLE)
                left.append((line.source, unused, MUNICIPAL_SETTLED))
            elif unused < 0:
                dispose = disposition([("Merforbruk", -unused)])
                sentences.append(f"{head}, brukt {exact_money(used)}.{gap_text} Merforbruket, "
                                 f"{exact_money(-unused)}, fordeles på kommunene "
                                 "etter fordelingsnøkkelen i kostnadsfordelingen." + SETTLEMENT_TABLE)
            elif gap_text:
                sentences.append(f"{head}, brukt {exact_money(used)}.{gap_text}")
            if unused:
                # each municipality's part, by the cost split's key and rounding: the report gave
                # the total only, and the secretariat split it by hand (the county governor's case officer)
                settled = settle(req.council, project, unused, req.council_where, req.project_where)
        elif unused and unused > 0:
            dispose = "Søkes overført" if what == "søkes overført" else "Tilbakebetales"
            name = req.council.office_name(funder.name if funder else line.source, req.as_of)
            ref = f", saksnr. {refs}" if refs else ""
            sentences.append(
                f"{name}{ref}: tilsagn {exact_money(granted)}, brukt {exact_money(used)}. "
                f"Ubrukt beløp, {exact_money(unused)}, "
                + ("søkes overført til videreføringen." if what == "søkes overført" else "tilbakebetales."))
        elif unused is not None and unused < 0:
            dispose = disposition([("Merforbruk", -unused)])
            # the funder pays no more than its award: said on page 1, in the mail and among the
            # deviations, not only in the p.3 table (found by a county governor's accountant)
            name = req.council.office_name(funder.name, req.as_of)
            ref = f", saksnr. {refs}" if refs else ""
            sentences.append(f"{name}{ref}: tilsagn {exact_money(granted)}, brukt {exact_money(used)}. "
                             f"Merforbruket, {exact_money(-unused)}, dekkes ikke av tilskuddet, men av prosjekteier "
                             f"{project.owner}.")
            over.append((name, funder.id, granted, used))
        if unused and unused > 0 and line.kind != "kommunene":
            left.append((req.council.office_name(funder.name if funder else line.source, req.as_of), unused,
                         dispose))
        # a funder's row by its entry's name, as the sentences and the mail name it (the table said
        # 'KS digitaliseringsmidlar', the line's source, beside 'KS digitaliseringsfond' on page 1)
        named = [funder.name] if funder else [l.source for l in group]
        named = (req.council.office_name(n, req.as_of) for n in named)
        rows.append({"source": " / ".join(dict.fromkeys(named)),
                     "reference": refs or "–",
                     "planned": planned if planned is not None else "resten",
                     "granted": granted if granted is not None else "–",
                     "used": used,
                     "unused": max(unused, Decimal(0)) if unused is not None else "–",
                     "disposition": dispose or "–"})
        totals["planned"] += planned or 0
        totals["granted"] += granted or 0
        totals["used"] += used
        totals["unused"] += max(unused or 0, 0)
        totals["overspent"] += max(-(unused or 0), 0)
    if unattributed:
        rows.append(unattributed_row)
        picked.append(loose)
    # every amount of the table with the øre when one has them, else whole kroner as before
    decimals = fmt.ore_decimals([v for r in rows for v in r.values() if isinstance(v, Decimal)])
    for r in rows:
        r.update({k: fmt.number(v, decimals) for k, v in r.items() if isinstance(v, Decimal)})
    total = {k: fmt.number(v, decimals) for k, v in totals.items()}
    # the Sum of several funders' unused money is returned to each, not in one sum to anyone
    # ("Tilbakebetales 344 739 kr" read as owed to the county governor, whose part is 79 739)
    total["disposition"] = disposition([(left[0][2] if left else "Tilbakebetales",
                                         totals["unused"]), ("merforbruk", totals["overspent"])]) \
        if len(left) < 2 else ("Hver kilde for seg, se radene" if not totals["overspent"] else
                               "Hver kilde for seg, se radene; merforbruk " + exact_money(totals["overspent"]))
    used_for = _used_for(project, [r["source"] for r in rows], picked, decimals)
    return rows, sentences, {**total, "raw": totals, "unattributed": unattributed, "used_for": used_for,
                             "left": [(name, amount) for name, amount, _ in left], "over": over,
                             "decimals": decimals, "settlement": settlement_block(project, settled, decimals),
                             "municipal_unknown": unknown}


def settlement_block(project: Project, settled: Settlement | None, decimals: int) -> dict | None:
    """The table of what each municipality gets back (or pays) at the end, and the sentence above
    it saying the key and the rounding; None when nothing is settled."""
    if settled is None:
        return None
    amount = abs(settled.amount)
    back = settled.amount > 0
    what = (f"Kommunenes ubrukte andel, {exact_money(amount)}, avregnes med kommunene: hver kommune får tilbake "
            "beløpet i tabellen." if back else
            f"Kommunenes merforbruk, {exact_money(amount)}, fordeles på kommunene: hver kommune betaler beløpet i "
            "tabellen.")
    years = settled.years
    span = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    if settled.key == "split":
        key = (f" Fordelingsnøkkelen er den samme som i kostnadsfordelingen. {split_basis(project)} Andel er "
               "kommunens andel etter nøkkelen.")
    else:
        key = (f" Nøkkelen i kostnadsfordelingen endret seg fra år til år ({split_basis(project).rstrip('.')}), "
               f"så beløpet fordeles i forhold til det hver kommune ble fakturert etter kostnadsfordelingene "
               f"{span}. Andel er kommunens del av det fakturerte.")
    unit = "hele øre" if settled.ore else "hele kroner"
    rounding = (f" Beløpene er avrundet til {unit} med største rest, som i kostnadsfordelingen, og summerer til "
                f"{exact_money(amount)}.")
    # rounded to whole kroner, printed as whole kroner ("222 696,00" beside "avrundet til hele kroner")
    places = decimals if settled.ore else 0
    rows = [{"name": name, "share": fmt.percent(Decimal(share.numerator) / share.denominator, 1),
             "amount": fmt.number(abs(part), places)} for name, share, part in settled.rows]
    return {"text": what + key + rounding, "column": "Får tilbake" if back else "Betaler", "rows": rows,
            "total": fmt.number(amount, places)}


def settlement_mail(block: dict) -> dict:
    """What each municipality's own mail says first (``delivery.message.settlement_line``): whether
    they get money back, the municipalities' total, and per municipality with a part (not 0 kr) its
    amount and share, as the table prints them; kept per version in the record (not in the values: an
    unchanged report keeps its content hash), so that a later version's mail names each one's change."""
    return {"back": block["column"] == "Får tilbake", "total": f"{block['total']} kr",
            "parts": {r["name"]: [f"{r['amount']} kr", r["share"]] for r in block["rows"]
                      if r["amount"].strip("0,")}}


def count_rows(count: int) -> str:
    return "Én rad" if count == 1 else f"{count} rader"


def municipal_billed(req: DocumentRequest, project: Project) -> tuple[int, str, str]:
    """What the municipalities were billed over the period, the sentence's head saying from what,
    and a sentence on how it differs from the plan ('' when it does not). A year whose cost split
    reached its readers counts as invoiced (``costsplit.invoiced_by``); a year with none on
    record counts as the plan says, and the report says so. The report refunded what the plan said
    today: 3 000 000 kr where the invoices sent added up to 2 966 667 kr (found by a member
    municipality's finance officer)."""
    sent = {y: invoiced_by(h) for y, h in req.invoiced.items() if h}
    part = municipal_part(project, {y: inv.total for y, inv in sent.items()})
    years = sorted(set(part.by_year) | set(sent))
    billed = {y: sent[y].total if y in sent else part.by_year.get(y, 0) for y in years}
    total = sum(billed.values())
    from_plan = [y for y in years if y not in sent and billed[y]]
    from_sent = [y for y in years if y in sent]
    if not from_sent:
        head = (f"Kommunenes andel etter finansieringsplanen: {exact_money(total)} (ingen kostnadsfordeling er "
                "registrert sendt, så det er lagt til grunn at planens beløp er fakturert)")
    elif not from_plan:
        head = (f"Kommunenes andel etter kostnadsfordelingene som er sendt ("
                + ", ".join(f"{y}: {fmt.money(billed[y])}" for y in from_sent) + f"): {exact_money(total)}")
    else:
        head = (f"Kommunenes andel: {exact_money(total)}, etter kostnadsfordelingene som er sendt for "
                + ", ".join(f"{y} ({fmt.money(billed[y])})" for y in from_sent)
                + " og etter finansieringsplanen for "
                + ", ".join(f"{y} ({fmt.money(billed[y])})" for y in from_plan)
                + ", der ingen kostnadsfordeling er registrert sendt")
    plan = municipal_part(project)
    plan_total = plan.rest if plan.source == "rest" else plan.total
    gap = plan_total - total
    gap_text = ""
    if from_sent and gap > 0:
        gap_text = (f" Finansieringsplanen setter kommunenes andel til {fmt.money(plan_total)}; {fmt.money(gap)} av "
                    "den er ikke fakturert og er ikke med i avregningen.")
    elif from_sent and gap < 0:
        gap_text = (f" Finansieringsplanen setter kommunenes andel til {fmt.money(plan_total)}; {fmt.money(-gap)} "
                    "mer enn det er fakturert og er med i avregningen.")
    return total, head, gap_text


def plan_balance(rows: list[dict], raw: dict, budget_total: int) -> str:
    """One sentence when the financing plan's total (the grant table's "Planlagt") differs from the
    budget (the accounts table's "Budsjett"), else ''. Haugaland's plan is 585 kr over its budget
    (seed 000's own figures): the report printed the budget's unused part and the sources' unused
    money, 585 kr apart, with no word of why. The consequence is said only where it holds for the
    printed figures (each source's Ubrukt is its Planlagt less its Brukt, nothing booked beside them)."""
    if any(r["planned"] == "resten" for r in rows):
        return ""                   # a line with no amounts: the plan's total is not printed
    gap = raw["planned"] - budget_total
    if not gap:
        return ""
    more = gap > 0
    text = (f"Finansieringsplanen er {exact_money(abs(gap))} {'høyere' if more else 'lavere'} enn budsjettet "
            f"({exact_money(raw['planned'])} mot {exact_money(budget_total)})")
    if raw["unused"] - raw["overspent"] == raw["planned"] - raw["used"]:
        # no figure here: the budget table prints whole kroner, so its Avvik and the sources'
        # Ubrukt (with øre) stood 585,50 apart beside "585 kr" (found by a reviewer)
        text += (f"; derfor er ubrukte midler per kilde til sammen tilsvarende {'mer' if more else 'mindre'} "
                 "enn det som er ubrukt av budsjettet")
    return text + "."


def _used_for(project: Project, sources: list[str], frames: list, decimals: int) -> list[dict]:
    """What each source's money was used for: its "Brukt" split by budget category, exactly (to
    the øre with ``decimals`` 2), so the parts add up to the "Brukt" printed for it."""
    spelling = {c.casefold(): c for c in project.budget.categories()}
    order = list(spelling)
    out = []
    for source, frame in zip(sources, frames):
        if frame is None or frame.empty:
            continue
        keys = frame["Kategori"].astype(str).str.casefold()
        sums = {key: amount_sum(values) for key, values in frame["Beløp"].groupby(keys, sort=False)}
        for key, values in frame.groupby(keys, sort=False)["Kategori"]:
            spelling.setdefault(key, str(values.iloc[0]))
        keys = sorted(sums, key=lambda k: (order.index(k) if k in order else len(order), spelling[k]))
        for key in keys:
            out.append({"source": source, "category": spelling[key], "used": fmt.number(sums[key], decimals)})
    return out


def not_ended(req: DocumentRequest, project: Project) -> list[Finding]:
    """A final report made before its project's end: what is still to come reads as "ikke levert",
    the accounts stop short. An error finding, as a data error is: rendering says it, and sending
    it to anyone outside needs an approver and an override reason (a project that ended early, by
    decision), or period.end corrected. It was made, approved and sent with no word (outside
    tester: 28.11.2026, a project ending 31.12.2026, milestone 04 "ikke levert")."""
    end = project.period.end
    if req.today is None or req.today >= end:
        return []
    source = req.project_sources.get(project.id)
    return [Finding("error", req.project_file(project), source.line_of(("period", "end")) if source else None,
                    "period.end", f"the project has not ended: it ends {end:%d.%m.%Y}, and this final report is made "
                                  f"{req.today:%d.%m.%Y} (as of {req.as_of:%d.%m.%Y}); what is still to come reads as "
                                  "not delivered. Make it after the end, correct period.end if the project ended "
                                  "early, or send it with --override-reason saying why")]


def build(req: DocumentRequest) -> Context:
    project, council, as_of = req.project, req.council, req.as_of
    unit = project.budget.unit
    statuses = milestone_statuses(project, req.data, as_of, closing=True, final_report=True)
    econ = economy(project, req.data, as_of)
    evaluation = (req.data.notes.evaluation if req.data is not None else None) or Evaluation()
    findings = no_ledger(req, project) + not_ended(req, project)
    cats = econ.by_category()
    budget_r, actual_r, places = econ.category_figures(unit)     # to the øre where the accounts have øre
    by_category = []
    for line, b, a in zip(cats, budget_r, actual_r):
        share = line.deviation_share
        by_category.append({"category": line.category, "budget": fmt.number(b, places), "actual": fmt.number(a, places),
                            "deviation": fmt.number(a - b, places),
                            "share": fmt.percent(share, 1) if share is not None else "–"})
    total_share = (Decimal(econ.actual_total - econ.budget_total) / econ.budget_total) if econ.budget_total else None
    total = {"budget": fmt.number(sum(budget_r), places), "actual": fmt.number(sum(actual_r), places),
             "deviation": fmt.number(sum(actual_r) - sum(budget_r), places),
             "share": fmt.percent(total_share, 1) if total_share is not None else "–"}

    # Deviations, each with its explanation.
    deviations = []

    def deviation(title: str, key: str, fallback: str = "", said: tuple[str, ...] = ()):
        # ``said``: status words the title says, not repeated at the explanation's start (under
        # "… ble avlyst." stood "Avlyst: erstattet av e-læring.": found by an outside tester)
        given = evaluation.explanation(key) or fallback.strip()
        text = fmt.after_said(given, said).strip()
        text = text[:1].upper() + text[1:] if text != given else text
        # a milestone's comment as the explanation ended without a full stop ("Venter på Hjartdal
        # kommune"): each explanation is a paragraph of its own, written as a sentence (a reviewer)
        text = sentence(text)
        if not text:
            findings.append(finding(req.notes_file(project), f"evaluation.explanations.{key}",
                                    f"no explanation for the deviation: {title}"))
        deviations.append({"title": title, "explanation": text or MISSING, "missing": not text})

    # Milestones not delivered, cancelled or delivered late: deviations, and problems on the way
    # ("Problemer underveis" said "Ingen problemer er registrert." beside them).
    milestone_problems = []
    for s in statuses:
        if s.status == "not_done":
            # postponed by decision: said here too, as the table says it (an outside reviewer found
            # section 4 and "Problemer underveis" dropped the steering group's decision)
            title = (f"Milepæl {s.milestone.number:02d} «{s.milestone.event}» "
                     + (f"ble utsatt{decided_on(s)} og er ikke levert" if s.postponed else "er ikke levert")
                     + (f" ({fmt.days(s.days_late)} etter planlagt dato)." if s.days_late else "."))
        elif s.status == "cancelled":
            title = f"Milepæl {s.milestone.number:02d} «{s.milestone.event}» ble avlyst{decided_on(s)}."
        elif s.delayed:
            title = (f"Milepæl {s.milestone.number:02d} «{s.milestone.event}» ble levert {fmt.days(s.days_late)} "
                     "etter planen.")
        else:
            continue
        said = (("avlyst",) if s.status == "cancelled" else ("utsatt",) if s.postponed else ()) + (
            ("forsinket",) if s.delayed else ())
        deviation(title, milestone_explanation(s.milestone.number), s.comment, said)
        milestone_problems.append(title)
    for line in cats:
        share = line.deviation_share
        if line.budget == 0 and line.actual != 0:
            # Money spent on a category with no budget is overspent in full; no percentage of a
            # zero budget exists, and the line was left out of the deviations.
            what = f"{fmt.money(line.actual)} " + ("overforbruk" if line.actual > 0 else "i regnskapet")
            deviation(f"{line.category}: {what} (ingen budsjett for kategorien).", category_explanation(line.category))
        elif share is not None and abs(share) > DEVIATION_SHARE:
            word = "ubrukt" if line.deviation < 0 else "overforbruk"
            deviation(f"{line.category}: {fmt.money(abs(line.deviation))} {word} "
                      f"({fmt.percent_beside(abs(share), [DEVIATION_SHARE])} av budsjettet på "
                      f"{fmt.money(line.budget)}).",
                      category_explanation(line.category))
    hours = hours_total(req.data, as_of)
    _, rate, _ = owneffort.hours_value(project, req.options.own_effort_hourly_rate)
    in_kind = kr(owneffort.in_kind_total(project))
    planned = project.budget.own_effort_hours
    if planned and project.data.hours is not None and hours < planned:
        # fewer own-effort hours than the application promised, beyond the categories' threshold:
        # a deviation like theirs ("500 timer registrert … (plan: 800 timer …)" stood in section 5
        # with no word in section 4: found by an outside tester)
        short = Decimal(str(planned)) - hours
        share = short / Decimal(str(planned))
        if share > DEVIATION_SHARE:
            valued = ""
            if rate is not None and not in_kind:
                less = int((short * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
                valued = f"; verdsatt til {fmt.money(rate, decimals=0 if rate == int(rate) else 2)} timen er det " \
                         f"{fmt.money(less)} mindre enn planlagt"
            deviation(f"Egeninnsats: {fmt.hours(hours)} registrert mot {fmt.hours(planned)} i planen, "
                      f"{fmt.hours(short)} færre ({fmt.percent_beside(share, [DEVIATION_SHARE])}){valued}.",
                      OWN_EFFORT_EXPLANATION)
    if total_share is not None and abs(total_share) > DEVIATION_SHARE and len(cats) > 1:
        word = "ubrukt" if total_share < 0 else "overforbruk"
        deviation(f"Prosjektet samlet: {fmt.money(abs(econ.actual_total - econ.budget_total))} {word} "
                  f"({fmt.percent_beside(abs(total_share), [DEVIATION_SHARE])} av budsjettet).", ECONOMY_EXPLANATION)
    ledger_file = req.data_file(project, project.data.ledger)
    start = project.period.start
    early_rows = _ledger_rows(req, lambda day: day < pd.Timestamp(start))
    if early_rows is not None:
        # Counted (the project's account has them), but said: costs before the period are a deviation.
        count, amount = early_rows
        deviation(f"{count} {'post' if count == 1 else 'poster'} datert før prosjektstart {fmt.long_date(start)} "
                  f"({exact_money(amount)}) er med i regnskapet.", BEFORE_START_EXPLANATION)
        findings.append(finding(ledger_file, "Dato",
                                f"{count} ledger row(s) dated before the project start {start} ({fmt.money(amount, decimals=None)}) are "
                                "counted in the final accounts; the report says so"))
    late_rows = _ledger_rows(req, lambda day: day > pd.Timestamp(as_of))
    if late_rows is not None:
        count, amount = late_rows
        deviation(f"Regnskapet er tatt med til {fmt.long_date(as_of)}; {count} "
                  f"{'post' if count == 1 else 'poster'} datert etter denne datoen ({exact_money(amount)}) er ikke med.",
                  AFTER_REPORT_DATE_EXPLANATION)
        findings.append(finding(ledger_file, "Dato",
                                f"{count} ledger row(s) dated after the report date {as_of} ({fmt.money(amount, decimals=None)}) are "
                                "left out of the final accounts: render with a later --as-of to include them"))
    findings += _stale_ledger(req, ledger_file, as_of)
    state = overall_rag(progress_rag(statuses), econ.rag)
    if state == "red":
        deviation("Samlet status ved prosjektslutt er rød (fremdrift eller økonomi).", STATUS_EXPLANATION)

    funders, unused_sentences, funder_total = funder_rows(req, evaluation)
    old_export = stale_export(req.data, until_end(project, as_of))
    stale = stale_text(project, *old_export, as_of, bool(funder_total["left"])) if old_export else ""
    balance = plan_balance(funders, funder_total["raw"], econ.budget_total)
    for name, funder_id, granted, used in funder_total["over"]:
        deviation(f"{name}: {exact_money(used - granted)} merforbruk (brukt {exact_money(used)} av tilsagnet på "
                  f"{exact_money(granted)}); merforbruket dekkes av prosjekteier.", overspent_explanation(funder_id))
    if funder_total["municipal_unknown"]:
        count, amount, _ = funder_total["municipal_unknown"]
        findings.append(Finding("error", ledger_file, None, "Finansieringskilde",
                                f"{count} ledger row(s) ({fmt.money(amount, decimals=None)}) name no financing source: "
                                "they may be the municipalities' spending or a funder's, so what is settled with the "
                                "municipalities cannot be computed (the report says so and gives the range); write "
                                "the source on every row, or send it with --override-reason"))
    if funder_total["unattributed"]:
        count, amount = funder_total["unattributed"]
        findings.append(finding(ledger_file, "Finansieringskilde",
                                f"{count} ledger row(s) ({fmt.money(amount, decimals=None)}) name no financing source of the plan: "
                                "the final report shows them as 'Uten finansieringskilde i regnskapet'"))
    for index, line in ungranted_skjonnsmidler(project, project.period.end.year):
        # the county governor's money with no award on record: what is unused of it cannot be said,
        # and "no grants, nothing unused" would be false (found by an outside auditor)
        findings.append(Finding("error", req.project_file(project), None, f"budget.financing[{index}].funder",
                                f"'{line.source}' has skjønnsmidler in the financing plan but no award letter "
                                "(funders[].grants) on record: the final report cannot say what is unused of "
                                "it; add the award (amount, year, reference) to the funder"))
        funder = project.funder(line.funder) if line.funder else None
        said = (f"{req.council.office_name(funder.name if funder else line.source, as_of)}: tilsagnet er ikke "
                "registrert; ubrukt beløp er ikke beregnet.")
        if said not in unused_sentences:        # a funder's two lines (two rounds): said once
            unused_sentences.append(said)
    references = sorted({g.reference for f in project.funders for g in f.grants if g.reference})
    goals = [{"goal": g.goal, "achievement": g.achievement} for g in evaluation.goal_achievement]
    if not goals:
        goals = [{"goal": g, "achievement": "Ikke vurdert."} for g in project.goals.main + project.goals.result]
    snapshot = {"as_of": as_of.isoformat(), "as_of_text": fmt.long_date(as_of),
                "milestones": {f"{s.milestone.number:02d}": s.label for s in statuses},
                "actual_total": econ.actual_total}
    if funder_total["settlement"]:
        snapshot["settlement"] = settlement_mail(funder_total["settlement"])
    values = {
        "doc": doc_block("Sluttrapport", project.name, str(project.period.end.year), council, as_of),
        "project": project_block(project),
        "council": council_block(council),
        "addressee": addressee(council, as_of, req.addressees, project),
        "references": ", ".join(references) or "Ikke oppgitt",
        "text": {"summary": lines(evaluation.summary or project.summary),
                 "organisation": lines(project.organisation)},
        "goals": goals,
        "milestones": milestone_rows(statuses),
        "deviations": deviations,
        "economy": {"unit_label": fmt.unit_label(unit), "by_category": by_category, "total": total,
                    "hours": fmt.number(hours, 1),
                    "hours_text": (f"{fmt.hours(hours)} registrert"
                                   + ("" if in_kind else owneffort.at_rate(hours, rate))
                                   if project.data.hours is not None else HOURS_NOT_REGISTERED),
                    "hours_planned": hours_planned(project, rate),
                    "stale": stale},
        "financing": funders,
        "financing_total": funder_total,
        "financing_balance": balance,
        "settlement": funder_total["settlement"],
        "used_for": funder_total["used_for"],
        # the old export said right after the amounts it makes too high
        "unused_sentences": (unused_sentences or ["Alle tilsagn er brukt opp; det er ingen ubrukte midler."
                                                  if funder_total["raw"]["granted"] else
                                                  "Prosjektet har ikke fått tilsagn om tilskudd; det er ingen "
                                                  "ubrukte midler."]) + ([stale] if stale else []),
        "evaluation": {"results": evaluation.results, "lessons": evaluation.lessons,
                       "success_factors": evaluation.success_factors or project.success_factors,
                       # the project's own words first, then what the milestone table shows
                       "problems": [*evaluation.problems, *milestone_problems],
                       "conclusion": lines(evaluation.conclusion),
                       "differently": evaluation.differently, "further_work": lines(evaluation.further_work)},
        "signature": {"owner": project.owner, "responsible": project.responsible,
                      "accounts": signed_accounts(old_export)},
    }
    raw = funder_total["raw"]
    # a report made after the end (--as-of for the accounts): the delays end at the project's end
    ended = as_of > project.period.end
    charts = charts_for(project, statuses, econ, project.period.end if ended else as_of,
                        marker="Prosjektslutt" if ended else "Rapportdato")
    return Context(values, charts=charts, snapshot=snapshot, findings=findings, addressed=as_of,
                   # the municipalities with a part in the settlement (one that left the project too):
                   # each gets the report at its contact address, as a cost split's payers do; it went
                   # to the county governor and the steering group's leader alone (an outside tester)
                   payers=tuple(snapshot.get("settlement", {}).get("parts", {})),
                   # the accounts as exact as the grant tables print them (to the øre when they have
                   # øre): "Regnskap: 1 349 296 kr" stood beside tables' 1 349 296,27
                   key_figures={"Regnskap": exact_money(raw["used"]) if funder_total["decimals"] else
                                fmt.money(econ.actual_total),
                                # the mail's reader sees the figures below with what makes them doubtful
                                **({"Regnskapets siste postering": f"{fmt.long_date(old_export[0])}, "
                                    f"{fmt.days(old_export[1])} før "
                                    + ("prosjektslutt" if until_end(project, as_of) == project.period.end
                                       else "rapportdatoen")
                                    + ": er eksporten gammel, mangler kostnadene etter denne datoen"
                                    + (", og de ubrukte beløpene er for høye" if funder_total["left"] else "")}
                                   if old_export else {}),
                                "Budsjett": fmt.money(econ.budget_total),
                                # each funder's unused money by its name: one sum to the county governor
                                # added up the regional fund's and Helsedirektoratet's money as well
                                **({f"Ubrukt, {name}": exact_money(amount) for name, amount in funder_total["left"]}
                                   if funder_total["left"] else
                                   {"Ubrukte midler": fmt.money(0)} if raw["granted"] and
                                   not funder_total["municipal_unknown"] else {}),
                                # the mail said "Ubrukte midler: 0 kr" beside a settlement not established
                                **({"Avregning med kommunene": "ikke fastslått, "
                                    f"{count_rows(funder_total['municipal_unknown'][0]).lower()} uten finansieringskilde "
                                    f"({exact_money(funder_total['municipal_unknown'][1])}); etter regnskapet "
                                    f"{funder_total['municipal_unknown'][2]}"}
                                   if funder_total["municipal_unknown"] else {}),
                                **{f"Merforbruk, {name}": exact_money(used - granted)
                                   for name, _, granted, used in funder_total["over"]},
                                "Milepæler ferdig": f"{sum(s.status in ('done', 'with_report') for s in statuses)} "
                                                    f"av {len(statuses)}"
                                                    # the table shows it "Leveres med denne rapporten"
                                                    + (" (medregnet sluttrapporten)"
                                                       if any(s.status == "with_report" for s in statuses) else "")})
