"""Rapportering om bruk av skjønnsmidler: the yearly report per 31.12 to the county governor.

Every red status and every project without reported results carries its explanation (the
status note's ``explanation`` or deviations); where there is none the report says so and the
builder returns a finding, so the secretariat sees it before approving the report. Unused money
of a running project is a request to carry it over ("søkes overført"), with the amount.
"""

from __future__ import annotations

import re

from datetime import date
from decimal import Decimal

from .. import fmt
from ..errors import UserError
from ..findings import Finding
from ..reporting import (RAG_COLOR, ReportPeriod, delivered_late, economy, grant_usage, ledger_until,
                         milestone_statuses, overall_rag, parse_period, progress_rag, stale_export,
                         unattributed_rows, ungranted_skjonnsmidler, unlinked_grants)
from .common import (Context, DocumentRequest, addressee, council_block, disposition, doc_block, exact_money,
                     finding, no_ledger)
from .status_report import sentence, stale_since

MISSING = "Forklaring mangler."
UNDECIDED = "Avgjøres etter årsskiftet"
NUMBER_WORDS = {2: "to", 3: "tre", 4: "fire", 5: "fem", 6: "seks"}


def period(project: None, period: str | None, as_of: date | None, today: date,
           previous_as_of: date | None = None) -> tuple[ReportPeriod, date]:
    """A calendar year (default: last year), and the day the report is made (``as_of``, default
    today), which it is dated by. Its figures are per 31 December; the year still running is a
    draft counted to the day it is made (``build``). A year that has not begun is refused."""
    made = as_of or today
    year = parse_period(period).end.year if period else made.year - 1
    if year > made.year:
        raise UserError(f"{year} has not begun: the usage report is made per 31.12 of a year that has",
                        field="--year" if period and period.isdigit() else "--period")
    return ReportPeriod(str(year), date(year, 1, 1), date(year, 12, 31)), made


def options(period: str | None, dated: date | None) -> list[str]:
    """The options that make this report again: its year and the day it is dated (made)."""
    return (["--year", period] if period else []) + (["--as-of", dated.isoformat()] if dated is not None else [])


def not_ended(req: DocumentRequest, year: int, made: date) -> Finding:
    """The year reported on is still running: the spending and delays are to date, the unused money
    is not yet unused. An error finding, as a final report before its project's end is: rendering
    says it, and sending it to anyone outside needs an override reason (a batch holds it). It went
    to the county governor dated 31.12 with no word (outside tester, 28.11.2026)."""
    return Finding("error", req.council_file(), None, "--year",
                   f"{year} has not ended: this usage report is made {made:%d.%m.%Y} and counts spending and "
                   f"delays to that day, not to 31.12.{year}; the document says it is a draft (UTKAST). Make it "
                   "after the year's end, or send it with --override-reason saying why")


def latest_with(notes, until: date, has, since: date | None = None):
    """The latest status note dated by ``until`` (and on or after ``since``) for which ``has(note)``:
    each field from the latest note that has it (a note of 25.11 with only a summary and an
    explanation made the report say no results were reported, beside the 20.11 note's results:
    found by an outside tester)."""
    eligible = [n for n in (notes.status if notes is not None else [])
                if n.as_of <= until and (since is None or n.as_of >= since) and has(n)]
    return max(eligible, key=lambda n: n.as_of, default=None)


def build(req: DocumentRequest) -> Context:
    council, year = req.council, req.period.end.year
    made = req.as_of                  # the day it is made: its Dato
    draft = made <= date(year, 12, 31)
    # the figures' day: 31.12, or the day it is made while the year runs (spending and delays to date)
    until = made if draft else date(year, 12, 31)
    rows, notes, findings = [], [], []
    if draft:
        findings.append(not_ended(req, year, made))
    granted = spent = unused = carried = undecided = overspent = Decimal(0)
    for project, data in req.projects:
        if project.period.end.year < year:
            continue            # ended (and reported, unused money with it) in an earlier year
        usages = grant_usage(project, data, year, until=until)
        begun = project.period.start <= until
        if not begun and not usages:
            continue            # not begun, and nothing granted yet
        # Not begun but granted (an award for the year before the start): the county governor's
        # money for this year is reported, unspent, rather than left out of the report.
        reported = {u.funder_id for u in usages}
        loose = unattributed_rows(project, ledger_until(data, until)) if usages else None
        if loose:
            # Spending that names no source is no grant's: the report would show it as unused.
            findings.append(finding(req.data_file(project, project.data.ledger),
                                    "Finansieringskilde",
                                    f"{project.name}: {loose[0]} ledger row(s) ({fmt.money(loose[1], decimals=None)}) until {until} "
                                    "name no financing source: they count as spending of no grant, and the usage "
                                    "report shows that money as unused"))
        unlinked = unlinked_grants(project, year)
        for index, line in ungranted_skjonnsmidler(project, year):
            if line.funder in reported:
                continue
            if line.funder is None and unlinked:
                # the line names no funder, and a funder's award no line names: the link is missing,
                # said once (not as a missing award and an unplaced one)
                f_index, funder, granted = unlinked.pop(0)
                findings.append(Finding("error", req.project_file(project), None, f"budget.financing[{index}].funder",
                                        f"{project.name}: '{line.source}' names no funder, and the award letters "
                                        f"of {funder.name} ({fmt.money(granted, decimals=None)}) are linked to no "
                                        "line: the project is not in the usage report; link the line "
                                        f"(funder: {funder.id})"))
                notes.append(f"{project.name}: tilsagn fra {funder.name} er registrert, men finansieringsplanens "
                             f"linje «{line.source}» er ikke knyttet til det; prosjektet er derfor ikke med i "
                             "tabellen.")
                continue
            # Skjønnsmidler in the plan without an award letter on record cannot be reported: an
            # error (it blocks sending until fixed, or overridden with a reason), and the document
            # says so rather than "no projects" (found by an outside auditor)
            findings.append(Finding("error", req.project_file(project), None, f"budget.financing[{index}].funder",
                                    f"{project.name}: '{line.source}' has skjønnsmidler in the financing "
                                    f"plan up to {year} but no award letter (funders[].grants) on record: "
                                    "the project is not in the usage report; add the award (amount, year, "
                                    "reference) to the funder"))
            named = "" if line.source.casefold() == "skjønnsmidler" else f" ({line.source})"
            notes.append(f"{project.name}: finansieringsplanen har skjønnsmidler{named} til og med "
                         f"{year}, men tilsagnet er ikke registrert; prosjektet er derfor ikke med i tabellen.")
        for index, funder, granted in unlinked:
            # an award no line of the plan is linked to: the table would say nothing was granted
            findings.append(Finding("error", req.project_file(project), None, f"funders[{index}].grants",
                                    f"{project.name}: {funder.name} has award letters up to {year} on record "
                                    f"({fmt.money(granted, decimals=None)}), but no line of the financing plan is "
                                    f"linked to it (funder: {funder.id}): the project's grant is not in the usage "
                                    "report; add or link the line"))
            notes.append(f"{project.name}: tilsagn fra {funder.name} er registrert, men finansieringsplanen har "
                         "ingen linje for det; prosjektet er derfor ikke med i tabellen.")
        if usages:
            findings += no_ledger(req, project)
            # an old ledger export: the unused money to carry over or repay lacks the last months'
            # costs (170 000 kr asked carried over on a ledger ending 31.08: found by an outside
            # tester); the status and final reports' rule (``stale_export``), counted to the
            # project's end if earlier. A row after that day shows the export was made after it:
            # quiet months at the year's end are no old export ("siste postering 30. september 2015"
            # was said of a ledger running into 2016; found by a reviewer), nor is a late invoice
            # after the project's end (the final report and validate said nothing of the ledger
            # this report called an old export)
            old = stale_export(data, min(until, project.period.end))
            if old is not None:
                last, days = old
                notes.append(f"{project.name}: regnskapet har siste postering {fmt.long_date(last)}, {fmt.days(days)} "
                             f"før {fmt.long_date(min(until, project.period.end))}: er eksporten gammel, mangler "
                             "forbruket etter denne datoen, og ubrukt beløp er for høyt.")
                findings.append(finding(req.data_file(project, project.data.ledger), "Dato",
                                        f"{project.name}: the ledger's last row is dated {last:%d.%m.%Y}, {days} days "
                                        f"before {min(until, project.period.end):%d.%m.%Y}: if the export is old, "
                                        "the usage report's spending lacks the last months' costs and its unused "
                                        "money is too high; export the ledger again before sending"))
        all_notes = data.notes if data is not None else None
        for usage in usages:
            finished = project.period.end <= until
            note = latest_with(all_notes, until, lambda n: n.explanation or n.deviations)
            explanation = ""
            if note:
                explanation = note.explanation or fmt.in_one(note.deviations)
            if finished:
                status, color, state = "Avsluttet", RAG_COLOR["none"], "none"
                # ended with milestones not delivered: said, as the final report says it (the row
                # read "Avsluttet" beside a final report listing them: found by an outside auditor)
                # a milestone cancelled after the end but by 31.12 is said cancelled (known=until)
                undone = [s for s in milestone_statuses(project, data, project.period.end, closing=True,
                                                        known=until)
                          if s.status != "done"]
                # the final report's own milestone (final_report: true) goes with the final report:
                # once that is made (its record in the outputs) or the year is past the project's
                # end, it is said so, not "ikke levert" beside a final report saying "Leveres med
                # denne rapporten" (found by a reviewer); without either it is not delivered, as before
                sent = req.final_reports.get(project.id)
                if project.id in req.final_reports or year > project.period.end.year:
                    for s in undone:
                        if s.milestone.final_report and s.status == "not_done":
                            s.status, s.actual = "with_report", sent
                if undone:
                    status += ": " + undelivered(undone)
            elif not begun:
                status, color, state = "Ikke startet", RAG_COLOR["none"], "none"
            else:
                statuses = milestone_statuses(project, data, until)
                econ = economy(project, data, until)
                state = overall_rag(progress_rag(statuses, date(year, 1, 1)), econ.rag)
                status = {"green": "I rute", "amber": "Avvik", "red": "Alvorlig avvik"}.get(state, "Pågår")
                color = RAG_COLOR[state]
                if state in ("amber", "red"):
                    # what makes it amber or red per 31.12, computed; the project leader's words after
                    # it, said to be old when they are (a note from March explained a milestone done
                    # long since: found by an outside auditor)
                    status += ": " + causes(statuses, econ, date(year, 1, 1), start=project.period.start)
                    stale = stale_since(project, note, date(year, 1, 1), until, req.options.stale_note_days)
                    if stale and note is not None and not note.explanation:
                        # an old note's deviations were about what was off then: only those naming a
                        # milestone late now explain it (the report per 31.12.2020 quoted March's
                        # "Kartleggingen ble levert en måned etter plan", milestone 02, for the delays
                        # of 03-05: found by an outside tester)
                        late = {s.milestone.number for s in statuses if s.status == "late"}
                        explanation = fmt.in_one(d for d in note.deviations if late & milestones_named(d))
                    if explanation:
                        status += f" Prosjektleder: «{explanation.rstrip('.')}»" + (
                            f" (fra statusnotatet {fmt.long_date(stale)}, ikke oppdatert)." if stale else ".")
            if state == "red" and not explanation:
                status += " " + MISSING
                findings.append(finding(req.notes_file(project), "status.explanation",
                                        f"{project.name} is red per {until} without an explanation: write it in "
                                        f"a status note dated on or before {until} (status[].explanation); the "
                                        "final evaluation's explanations, written at the project's end, are not "
                                        "quoted in a report dated before it"))
            # the results of the year: from its latest note that has them, dated when a later note
            # of the year has none; never "not reported" when a note says them
            said = latest_with(all_notes, until, lambda n: n.results, since=date(year, 1, 1))
            results = said.results if said else ""
            newest = latest_with(all_notes, until, lambda n: True, since=date(year, 1, 1))
            if said and newest is not None and newest.as_of > said.as_of:
                results = f"{sentence(results)} (Fra statusnotatet {fmt.long_date(said.as_of)}.)"
            if finished and data is not None and data.notes.evaluation and data.notes.evaluation.results:
                results = fmt.in_one(data.notes.evaluation.results)
            if not results and not begun:
                results = f"Prosjektet starter {fmt.long_date(project.period.start)}."
            if not results:
                earlier = latest_with(all_notes, until, lambda n: n.results)
                # not "har ikke levert resultater": read as "produced nothing" (found by an outside tester)
                results = f"Ikke rapportert: prosjektleder har ikke meldt inn resultater for {year}." \
                    if earlier is None else (f"Ingen nye resultater meldt inn for {year}. Sist meldt (statusnotatet "
                                             f"{fmt.long_date(earlier.as_of)}): {sentence(earlier.results)}")
                findings.append(finding(req.notes_file(project), "status.results",
                                        f"{project.name} has reported no results for {year}"))
            # unused money of a project running past the day it is made: not yet unused
            open_ = draft and usage.unused and project.period.end > until
            rows.append({"project": project.name, "reference": usage.reference or "–",
                         "granted": usage.granted, "spent": usage.spent, "unused": usage.unused,
                         "disposition": disposition([("Merforbruk", usage.overspent)]) if usage.overspent
                         else UNDECIDED if open_ else usage.disposition,
                         "status": status, "color": color, "results": results})
            if usage.after_end:
                count, amount = usage.after_end
                posts = "post" if count == 1 else "poster"
                notes.append(f"{project.name}: brukt per 31.12 omfatter {count} {posts} ({exact_money(amount)}) "
                             f"datert etter prosjektslutt {fmt.long_date(project.period.end)}; sluttrapporten, "
                             f"laget per prosjektslutt, har {'den' if count == 1 else 'dem'} ikke med.")
                findings.append(finding(req.data_file(project, project.data.ledger), "Dato",
                                        f"{project.name}: {count} ledger row(s) of the grant ({fmt.money(amount, decimals=None)}) "
                                        f"dated after the project end {project.period.end} are counted in the usage "
                                        f"report per {until}; the report says so (the final report per the end "
                                        "leaves them out)"))
            letters = [g for g in project.funder(usage.funder_id).grants if g.year <= year and g.amount]
            if len(letters) > 1:
                # the Tildelt figure adds the award letters up: each is named, with its case number
                each = [f"{exact_money(g.amount)} for {g.year}" + (f" (saksnr. {g.reference})" if g.reference else "")
                        for g in letters]
                notes.append(f"{project.name}: tildelt {exact_money(usage.granted)} er {NUMBER_WORDS.get(len(letters), len(letters))} "
                             f"tilsagn: {fmt.listing(each)}.")
            if open_:
                notes.append(f"{project.name}: ubrukt per {fmt.long_date(until)} er {exact_money(usage.unused)}; "
                             f"hva som søkes overført til {year + 1}, avgjøres når året er avsluttet.")
            elif usage.carried_over:
                notes.append(f"{project.name}: ubrukte midler på {exact_money(usage.unused)} søkes overført "
                             f"til {year + 1}, da prosjektet varer til {fmt.long_date(project.period.end)}.")
            elif usage.unused:
                notes.append(f"{project.name}: ubrukte midler på {exact_money(usage.unused)} tilbakebetales.")
            if usage.overspent:
                notes.append(f"{project.name}: forbruket er {exact_money(usage.overspent)} høyere enn tildelingen; "
                             # who covers it, as the final report says it (a funder pays no more than
                             # its award); "andre kilder" said it another way (found by a reviewer)
                             f"merforbruket dekkes ikke av tilskuddet, men av prosjekteier {project.owner}.")
            granted, spent, unused = granted + usage.granted, spent + usage.spent, unused + usage.unused
            carried += usage.unused if usage.carried_over and not open_ else 0
            undecided += usage.unused if open_ else 0
            overspent += usage.overspent
    # every amount of the table with the øre when one has them (exactly: Brukt + Ubrukt = Tildelt
    # as printed, and the same figures as the final report's), else whole kroner as before
    decimals = fmt.ore_decimals([v for r in rows for v in (r["granted"], r["spent"], r["unused"])])
    for r in rows:
        r.update({k: fmt.number(r[k], decimals) for k in ("granted", "spent", "unused")})
    # the office is named as on the day the report is addressed: 1 January after the year it is
    # about (the demo's reports for 2015 and 2019 go to Fylkesmannen, whenever they are made), a
    # draft of the running year the day it is made
    addressed = made if draft else date(year + 1, 1, 1)
    values = {
        "doc": doc_block("Rapportering om bruk av skjønnsmidler", f"{council.name} {year}", str(year),
                         council, made),      # dated the day it is made, as the status report
        "council": council_block(council),
        "addressee": addressee(council, addressed),
        "year": year,
        "per": fmt.long_date(until),
        # the fixed sentence said unused money is asked carried over beside rows reading "Avgjøres
        # etter årsskiftet" (found by a reviewer)
        "intro": (f"Tabellen viser tildelte skjønnsmidler per prosjekt, forbruk per {fmt.long_date(until)} og hva "
                  "som er ubrukt så langt. Hva som søkes overført eller tilbakebetales, avgjøres når året er "
                  "avsluttet. Beløp i kr." if draft else
                  f"Tabellen viser tildelte skjønnsmidler per prosjekt, forbruk per {fmt.long_date(until)} og "
                  "ubrukte midler. For prosjekter som fortsetter etter årsskiftet søkes ubrukte midler overført; "
                  "for avsluttede prosjekter tilbakebetales de. Beløp i kr."),
        "draft": f"UTKAST – året er ikke avsluttet; tall per {fmt.long_date(until)}." if draft else "",
        "rows": rows,
        # The Sum says what its "Ubrukt" is and what was spent beyond the grants, so granted − used
        # = unused − overspent can be read off the row.
        "total": {"granted": fmt.number(granted, decimals), "spent": fmt.number(spent, decimals),
                  "unused": fmt.number(unused, decimals),
                  "disposition": disposition([("Søkes overført", carried), (UNDECIDED.lower(), undecided),
                                              ("tilbakebetales", unused - carried - undecided),
                                              ("merforbruk", overspent)])},
        "notes": notes,
    }
    snapshot = {"period": str(year), "totals": {k: int(v) if v == v.to_integral_value() else str(v)
                                                for k, v in (("granted", granted), ("spent", spent),
                                                             ("unused", unused))},
                # each project's Status as the table states it, and what a key figure left out
                # means, for the mail of a later version (``documents.service.version_changes``)
                "statuses": {r["project"]: r["status"] for r in rows},
                "absent": {"Merforbruk": exact_money(Decimal(0))}}
    return Context(values, snapshot=snapshot, findings=findings, addressed=addressed,
                   draft=f"UTKAST per {until:%d.%m.%Y}" if draft else "",
                   # the mail said "Ubrukt: 0 kr" of an overspent grant and no word of the overspending
                   key_figures={"Tildelt": exact_money(granted),
                                f"Brukt per {until:%d.%m.%Y}" if draft else "Brukt per 31.12": exact_money(spent),
                                "Ubrukt": exact_money(unused),
                                **({"Merforbruk": exact_money(overspent)} if overspent else {}),
                                "Prosjekter": str(len(rows))})


_MILESTONE_NAMED = re.compile(r"\bmilep(?:æ|ae)l(?:en|ene)?\s+0*(\d{1,3})\b", re.IGNORECASE)


def milestones_named(text: str) -> set[int]:
    """The milestone numbers a text names ('Milepæl 05 forskyves …' -> {5})."""
    return {int(n) for n in _MILESTONE_NAMED.findall(text)}


def undelivered(statuses) -> str:
    """What an ended project left undone: its milestones postponed (by decision) and not
    delivered, those not delivered, and those cancelled."""
    parts = []
    for words, which in (("ble utsatt og er ikke levert", lambda s: s.status == "not_done" and s.postponed),
                         ("er ikke levert", lambda s: s.status == "not_done" and not s.postponed),
                         ("ble avlyst", lambda s: s.status == "cancelled")):
        numbers = [f"{s.milestone.number:02d}" for s in statuses if which(s)]
        if numbers:
            parts.append(f"milepæl {numbers[0]} {words}" if len(numbers) == 1 else
                         f"milepælene {fmt.listing(numbers)} {words}")
    for s in statuses:
        if s.status == "with_report":
            parts.append(f"milepæl {s.milestone.number:02d} " + (
                f"ble levert med sluttrapporten {fmt.long_date(s.actual)}" if s.actual else
                "leveres med sluttrapporten"))
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def causes(statuses, econ, since: date | None = None, start: date | None = None) -> str:
    """Why a project is amber or red at the year's end, from the figures: its late milestones
    and days, those delivered late since ``since`` (the year), those of them the plan dates
    before the project's ``start`` (their delay counts from before it), and the forecast against
    the budget when that is off."""
    parts = []
    late = [s for s in statuses if s.status == "late"]
    # one postponed by decision is said so, as the status report says it ('ble utsatt og er 212 dager
    # forsinket'); it read as merely late (found by an outside tester)
    postponed = [s for s in late if s.postponed]
    if len(postponed) == 1:
        parts.append(f"milepæl {postponed[0].milestone.number:02d} ble utsatt og er "
                     f"{fmt.days(postponed[0].days_late)} forsinket")
    elif postponed:
        which = fmt.listing(f"{s.milestone.number:02d} ({fmt.days(s.days_late)})" for s in postponed)
        parts.append(f"milepælene {which} ble utsatt og er forsinket")
    merely = [s for s in late if not s.postponed]
    if merely:
        which = fmt.listing(f"{s.milestone.number:02d} ({fmt.days(s.days_late)})" for s in merely)
        parts.append(f"milepæl {which} er forsinket" if len(merely) == 1 else f"milepælene {which} er forsinket")
    if not late:
        # progress is amber for them (reporting.progress_rag): said, not "se statusrapporten"
        done_late = delivered_late(statuses, since)
        if done_late:
            which = fmt.listing(f"{s.milestone.number:02d} ({fmt.days(s.days_late)})" for s in done_late)
            parts.append(f"milepæl {which} ble levert etter planlagt dato" if len(done_late) == 1 else
                         f"milepælene {which} ble levert etter planlagt dato")
    if start is not None:
        # a project begun 101 days before 31.12 read "Alvorlig avvik: Milepælene 02 (275 dager) og
        # 03 (122 dager) er forsinket" without a word that the plan dates them before its start
        # (found by an outside tester)
        counted = late or delivered_late(statuses, since)
        early = [s.milestone for s in counted if s.milestone.date < start]
        if early:
            planned = fmt.listing(fmt.long_date(m.date, m.month_only) for m in early)
            which = ("den" if len(early) == 1 else "de") if len(early) == len(counted) else \
                f"{'milepæl' if len(early) == 1 else 'milepælene'} {fmt.listing(f'{m.number:02d}' for m in early)}"
            parts.append(f"{which} er planlagt før prosjektstart {fmt.long_date(start)} ({planned})")
    cancelled = [f"{s.milestone.number:02d}" for s in statuses if s.status == "cancelled"]
    if cancelled:
        parts.append(f"milepæl {cancelled[0]} er avlyst" if len(cancelled) == 1 else
                     f"milepælene {fmt.listing(cancelled)} er avlyst")
    if econ.rag in ("amber", "red") and econ.budget_total:
        share = Decimal(econ.forecast_total - econ.budget_total) / Decimal(econ.budget_total)
        parts.append(f"prognosen er {fmt.money(econ.forecast_total)} mot budsjettet på {fmt.money(econ.budget_total)} "
                     f"({'+' if share > 0 else ''}{fmt.percent(share, 1)})")
    text = "; ".join(parts) or "se statusrapporten"
    return text[0].upper() + text[1:] + "."
