"""deadline_watch: every working-day morning, run whatever is due, once per due item.

For the as-of date (default today in Europe/Oslo) it reads every project's deadlines, decides
what is due (``grantflow.deadlines``), runs the matching document flow for each due item that has
not run yet, records the item in the ledger database and, when an item cannot be made because of
the data, reminds the project leader (once per item and day). One project's bad data never stops
the others; a second run on the same day sends nothing new. On a weekend or public holiday (the
schedule runs Monday to Friday, 17 May included) it does nothing; the next working day catches up.
What can no longer be made (a status report whose meeting passed while the watch was down, or that
failed until it; a deadline whose catch-up ended) is not sent late: the council's secretariat is
told once, with the command that sends it now (``tell_missed``); a mail the server did not take is
tried again every later morning until it goes.

On a server (the watch itself runs from a deployment) each due item *triggers its document's
deployment* and the watch moves on: a document waiting days for approval never blocks the others.
The next morning the watch looks at each triggered run: Completed → done, Cancelled (rejected) →
done without sending, still waiting → left alone, Failed/Crashed → triggered again; Running for
``watch.dead_run_minutes`` with its process gone (a worker killed, a reboot), or Pending that long (its
worker killed before the process started) → ended as Crashed and triggered again (``settled_state``). Approvers of
requests unanswered for ``delivery.approval_reminder_days`` working days get a reminder. What fails for a
reason that is nobody's data (a crash, a bug, a delivery the mail server refused) is mailed to the
council's secretariat, once a day while it fails: the project leader is reminded of data only.

Status cycles (on a server, ``status_cycle.start_days`` > 0): ``start_days`` working days before a status
report's send date the watch triggers the ``status-cycle`` deployment for the project (once per
meeting); the cycle asks the project leader and suspends. Each morning the watch reminds a leader who
has not answered ``status_cycle.reminder_days`` working days before the send date (once) and, on the
send date, resumes the run with "no answer": it sends the report with "ikke rapportert" and tells the
secretariat. A status report whose cycle is under way is the cycle's; the plain status deployment runs
only when there is no cycle or it failed. A cycle whose meeting has been removed from (or moved in) the
project file is cancelled the next morning and the leader told: nothing is reminded or sent for it.
"""

# No `from __future__ import annotations` here: `grantflow serve` hands Prefect's runner the flow
# objects, which pickles the flow functions by value; their parameter annotations must be real
# types, not names (tests/flows/test_served_flows.py).

from dataclasses import replace
from datetime import date, datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.runtime import deployment

from grantflow.clock import OSLO
from grantflow import clock, fmt
from grantflow.deadlines import (GRACE_DAYS, KIND_TITLES, DueItem, SentStatus, calendar, due_on, holiday_name,
                                 is_working_day, is_document_of, last_day, late_by, missed, moved_words,
                                 reminder_message, send_command, status_sent, window_passed, working_days_until)
from grantflow.delivery.ledger import SentLedger
from grantflow.delivery.service import MAY_HAVE_ARRIVED, ContentConflict, make_transport, notify, remind
from grantflow.delivery.transports import OUTBOX_FIELD
from grantflow.errors import UserError
from grantflow.register import Register, apply_settings_limits, config_root, load_register
from grantflow.settings import load_settings
from grantflow.text import md_code

from flows.approval import remind_pending
from flows.deployments import KIND_DEPLOYMENT
from flows.documents import (DeliveryOptions, application, cost_split, final_report, grant_usage_report,
                             status_report, take_returned_workbooks)
from flows.remote import user_mistake
from flows.runtime import deployment_run, mistake_ends_run, smtp_password, worth_retrying



def unreadable_projects(config: str | None) -> tuple[Register, list[str]]:
    """The register without the project files that cannot be read, and one line per such file.

    One project file with a typo (a bracket left open) stopped the whole watch: no project's
    document went out and nobody was told. The watch now goes on without that project and the
    secretariat hears of the file. Settings or council files that cannot be read still stop it."""
    register, findings = load_register(config)
    errors = [f for f in findings if f.severity == "error"]
    fatal = [f for f in errors if not register.unreadable or not any(
        kind == "project" and f.file.endswith((f"{stem}.yaml", f"{stem}.yml")) for kind, stem in register.unreadable)]
    if fatal:
        first = fatal[0]
        more = f" (and {len(fatal) - 1} more; run 'grantflow validate')" if len(fatal) > 1 else ""
        raise UserError(first.message + more, file=first.file, line=first.line, field=first.field)
    return register, [str(f) for f in errors]


def watch_register(config: str | None) -> Register:
    """The register the watch works with: every project that can be read (see unreadable_projects)."""
    return unreadable_projects(config)[0]


def sent_by_hand(config: str | None) -> dict[str, SentStatus]:
    """Status item key -> the report for its meeting that already reached recipients (``status_sent``):
    sent by hand before the watch came to it. Such a report is the meeting's: no status cycle, no
    request or reminder to the leader, no "ikke rapportert" version; a partly delivered one is
    completed, not made anew (found by an outside tester: a report sent by hand on 03.06 was followed
    by a cycle that mailed the leader, marked the period not reported and sent version 2)."""
    from grantflow.delivery.recipients import funders_named, resolve

    settings = load_settings(config)
    register = watch_register(config)
    items = calendar(register, settings.deadline_shift)
    out, rows = {}, {}
    ledger = SentLedger(settings.ledger_url())

    def expected(item: DueItem):
        """Who a report dated ``as_of`` goes to now, as `grantflow send status` addresses it, with the
        funders whose deadline ``item`` is: complete means each of them has it."""
        project = register.project(item.project)
        council = register.council(item.council)

        def emails(as_of: date) -> list[str] | None:
            try:
                funders = funders_named(list(item.funders), register, project, council, "status",
                                        as_of.isoformat(), settings.deadline_shift, unknown_ok=True)
                return [r.email for r in resolve("status", project, council, settings, funders)]
            except UserError:
                return None     # no one to address it to now: the ledger's rows of that version decide
        return emails

    try:
        for item in items:
            if item.kind != "status" or not item.project:
                continue
            if item.project not in rows:
                rows[item.project] = ledger.rows(project=item.project)
            sent = status_sent(item, items, rows[item.project], expected(item))
            if sent is not None:
                out[item.key] = sent
    finally:
        ledger.close()
    return out


def sent_line(sent: SentStatus) -> str:
    """How the secretariat's summary says a report was sent by hand."""
    whom = (f"til alle {len(sent.have)} mottakere" if sent.complete else
            f"til {len(sent.have)} av {len(sent.have) + len(sent.missing)} mottakere; resten sendes nå")
    return (f"sendt for hånd {fmt.long_date(sent.first)}: statusrapporten per {sent.as_of:%d.%m.%Y}, "
            f"versjon {sent.version}, {whom}")


@task(name="find-due-items", cache_policy=NONE)
def find_due(as_of: date, config: str | None) -> tuple[list[DueItem], set[str], list[str]]:
    """What is due at ``as_of``, which of it has already run, and the project files left out."""
    settings = load_settings(config)
    register, unreadable = unreadable_projects(config)
    items = due_on(calendar(register, settings.deadline_shift), as_of)
    ledger = SentLedger(settings.ledger_url())
    try:
        done = ledger.watch_done()
    finally:
        ledger.close()
    return items, done, unreadable


@task(name="check-templates", cache_policy=NONE, retries=1, retry_delay_seconds=[30],
      retry_condition_fn=worth_retrying)
def check_templates_first(today: date, options: DeliveryOptions) -> dict[str, list[str]]:
    """``templates check`` before anything is made: broken kinds -> problems, reported to every
    council's secretariat (once a day), never to project leaders as a data error."""
    from grantflow.documents import KINDS
    from grantflow.documents.lint import check_templates

    problems = check_templates()
    if not problems:
        return {}
    broken = {name: [p for p in problems if kind.template in p] for name, kind in KINDS.items()}
    broken = {name: found for name, found in broken.items() if found} or {name: problems for name in KINDS}
    settings = load_settings(options.config)
    register = watch_register(options.config)
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    ledger = SentLedger(settings.ledger_url())
    try:
        for council in register.councils.values():
            notify("templates", today.isoformat(), "grantflow: dokumentmaler har feil", [
                "Fristvakten kontrollerte malene før dagens kjøring og fant feil. Dokumenter av disse "
                "typene lages ikke før malene er rettet (grantflow templates check):", "\n".join(problems)],
                council.secretariat.name, council.secretariat.email, None, council, settings, ledger,
                make_transport(settings, transport_name, password), settings.delivery.retry)
    finally:
        ledger.close()
    return broken


@task(name="deadline-reminders", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def deadline_reminders(today: date, options: DeliveryOptions) -> list[str]:
    """Remind whoever is responsible ``deadline_reminders`` working days before each document is
    made (once per deadline and lead; an ``other`` deadline: before the deadline itself): the
    project leader, or the secretariat for council-wide items."""
    from grantflow.deadlines import reminders_due

    settings = load_settings(options.config)
    register = watch_register(options.config)
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    sent = []
    by_hand = sent_by_hand(options.config)
    ledger = SentLedger(settings.ledger_url())
    try:
        # a status cycle under way asks the leader itself (its request, its reminder): a deadline
        # reminder for the same report on top made four mails in two days to one leader
        cycling = {r["key"] for r in ledger.watch_rows() if r["key"].startswith("cycle:") and r["status"] == "triggered"}
        for item, lead in reminders_due(calendar(register, settings.deadline_shift), today,
                                        settings.deadline_reminders):
            if item.key in by_hand or (item.kind == "status" and cycle_key(item) in cycling):
                continue
            council = register.council(item.council)
            project = register.project(item.project) if item.project else None
            person = project.leader if project else council.secretariat
            if not person.email:
                continue
            # the days actually left: more than one lead may have passed while the watch was not running
            subject, lines = reminder_message(item, today, project.name if project else council.name)
            report = notify(f"deadline/{item.key}/{lead}", "-", subject, lines, person.name, person.email,
                            project, council, settings, ledger, make_transport(settings, transport_name, password), settings.delivery.retry)
            sent += [f"{item.key} ({lead} d) -> {email}" for email in report.sent]
    finally:
        ledger.close()
    return sent


@task(name="triggered-runs", cache_policy=NONE)
def triggered_runs(config: str | None) -> dict[str, str]:
    """Due items triggered on the server and not finished yet: key -> flow run id."""
    settings = load_settings(config)
    ledger = SentLedger(settings.ledger_url())
    try:
        return {r["key"]: r["detail"] for r in ledger.watch_rows() if r["status"] == "triggered"}
    finally:
        ledger.close()


@task(name="watch-since", cache_policy=NONE)
def watch_since(today: date, config: str | None) -> tuple[date, date | None]:
    """(the first day the watch was not running before ``today``, the last day it ran), read before
    this morning's items are recorded. A ledger from before this record: as far back as catch-up
    reaches; a new ledger (a new installation): nothing before today was the watch's to send."""
    settings = load_settings(config)
    ledger = SentLedger(settings.ledger_url())
    try:
        rows = ledger.watch_rows()
    finally:
        ledger.close()
    row = next((r for r in rows if r["key"] == LAST_RUN), None)
    if row is not None:
        last = date.fromisoformat(row["detail"])
        return last + timedelta(days=1), last
    # a batch's mark of an approver not reached (flows.batch.untold_key) is not the watch's own record
    ours = [r for r in rows if not r["key"].startswith("approval-untold:")]
    return (today - timedelta(days=GRACE_DAYS) if ours else today), None


def undelivered(result: dict) -> str:
    """Whom a document flow's result did not reach, and why, in one line for the secretariat."""
    def who(entry) -> str:
        return f"{entry[0]} ({entry[1]})" if isinstance(entry, (list, tuple)) and len(entry) > 1 else str(
            entry[0] if isinstance(entry, (list, tuple)) else entry)
    parts = []
    unsure = {e[0] if isinstance(e, (list, tuple)) else e for e in result.get("uncertain") or []}
    failed = [e for e in result.get("failed") or [] if (e[0] if isinstance(e, (list, tuple)) else e) not in unsure]
    if failed:
        parts.append("ikke levert til " + ", ".join(who(e) for e in failed))
    if unsure:
        # not "ikke levert": a resend would be a second mail
        parts.append("kan ha kommet fram til " + ", ".join(sorted(unsure)) + " (e-postserveren tok imot hele "
                     "meldingen, men svarte aldri): spør mottakeren før grantflow send --resend")
    if result.get("pending"):
        parts.append("uavklart for " + ", ".join(who(e) for e in result["pending"]))
    if result.get("note"):
        parts.append(result["note"])
    return "; ".join(parts) or "ikke levert"


RESTARTED = "; startet på nytt nå"      # an item whose run stopped and was started again this morning


def ended_why(run_id: str) -> str:
    """Why a run ended, for the secretariat's mail: the serve that stopped under it said in
    Norwegian (the English state message stood inside the Norwegian mail, found by an outside operator)."""
    from flows.deployments import SERVE_STOPPED

    ended = run_message(run_id)
    return ("grantflow serve som kjørte den, stoppet (drept eller krasjet), og prosessen er borte"
            if ended == SERVE_STOPPED else ended)


@task(name="tell-secretariat", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def tell_secretariat(today: date, alerts: list[tuple[str, str]], options: DeliveryOptions,
                     unsure: list[tuple[str, str]] = ()) -> list[str]:
    """Mail each council's secretariat the due items that failed this morning for a reason that is
    nobody's data (a crash, a bug, a refused delivery), once per council and day: a deadline is not
    missed in silence. An item that cannot be named to a council goes to every secretariat.
    ``unsure``: items whose only unreached mails may have arrived (the server took the whole
    message and never replied), said apart in the subject and the body: not "ble ikke sendt"."""
    settings = load_settings(options.config)
    register = watch_register(options.config)
    per_council: dict[str, tuple[list[str], list[str], list[str]]] = {}
    again = [(key, why.removesuffix(RESTARTED)) for key, why in alerts if why.endswith(RESTARTED)]
    alerts = [(key, why) for key, why in alerts if not why.endswith(RESTARTED)]
    for part, items in ((0, alerts), (1, unsure), (2, again)):
        for key, why in items:
            parts = key.split(":")
            who = parts[1] if len(parts) >= 3 else ""
            project = register.projects.get(who)
            councils = [project.council] if project else [who] if who in register.councils else list(register.councils)
            for council_id in councils:
                per_council.setdefault(council_id, ([], [], []))[part].append(f"- {key}: {why}")
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    sent = []
    ledger = SentLedger(settings.ledger_url())
    try:
        for council_id, (lines, maybe, restarted) in per_council.items():
            council = register.councils[council_id]
            if not council.secretariat.email:
                continue
            counted = ([f"{len(lines)} ble ikke laget eller sendt"] if lines else []) + \
                ([f"{len(maybe)} kan ha kommet fram"] if maybe else []) + \
                ([f"{len(restarted)} stoppet underveis og er startet på nytt"] if restarted else [])
            body = ([f"Fristvakten {fmt.long_date(today)} fikk ikke gjort dette, og det skyldes ikke "
                     "dataene (prosjektlederen har ikke fått beskjed):", "\n".join(lines)] if lines else []) + \
                (["Dette kan ha kommet fram: e-postserveren tok imot hele meldingen, men svarte aldri. Spør "
                  "mottakeren før grantflow send --resend (da får mottakeren en ny e-post):", "\n".join(maybe)]
                 if maybe else []) + \
                ([f"Dette stoppet underveis og er startet på nytt nå (de som alt hadde fått dokumentet, får det "
                  "ikke igjen); du får ny beskjed bare hvis det feiler igjen:", "\n".join(restarted)] if restarted else [])
            report = notify("watch-failed", today.isoformat(),
                            f"Fristvakten {fmt.short_date(today)}: {', '.join(counted[:-1]) + ' og ' if len(counted) > 1 else ''}"
                            f"{counted[-1]} – {council.name}",
                            [*body, ("Fristvakten prøver igjen neste virkedag så lenge fristen tillater det. "
                                     if lines or maybe else "") + "Se kjøringen i Prefect for detaljer."],
                            council.secretariat.name, council.secretariat.email, None, council, settings, ledger,
                            make_transport(settings, transport_name, password), settings.delivery.retry)
            sent += [f"watch-failed/{council_id} -> {email}" for email in report.sent]
    finally:
        ledger.close()
    return sent


# The ledger row that holds the last working day the watch ran (its detail: the ISO date).
LAST_RUN = "watch:last-run"
# A due item's status when the secretariat was to be told it was missed and the mail did not go (its
# detail: why it was missed): told on a later morning, however long ago its window closed.
UNTOLD = "untold"


@task(name="tell-missed", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def tell_missed(today: date, since: date, options: DeliveryOptions) -> tuple[list[str], list[tuple[str, str]]]:
    """Mail the council's secretariat, once per document, what the watch will no longer make and
    was not sent: a status report whose meeting passed while serve was down (or that failed until
    the meeting), a deadline whose catch-up ended. It is not sent automatically after its meeting or
    deadline; the mail names the command that makes and sends it now. ``since``: see watch_since.
    A mail that did not reach the secretariat is recorded ``untold`` and tried again every morning
    until it does, however long ago the item's window closed. (The keys told, the mails that failed:
    (``missed/<key>``, why).)"""
    settings = load_settings(options.config)
    register = watch_register(options.config)
    ledger = SentLedger(settings.ledger_url())
    try:
        rows = {r["key"]: r for r in ledger.watch_rows()}
        # held by a batch: no run waits for the answer (a run's own requests are its run's, below)
        held = [(r["document"], r["version"]) for r in ledger.approvals(status="requested") if not r["flow_run_id"]]
    finally:
        ledger.close()
    status = {key: r["status"] for key, r in rows.items()}
    items = [i for i in calendar(register, settings.deadline_shift)
             if ("project", i.project) not in register.unreadable]     # a typo is told on its own
    settled = {key for key, st in status.items() if st in ("done", "rejected", "triggered", "missed")}
    settled |= {i.key for i in items if i.kind == "status" and status.get(cycle_key(i)) == "triggered"}
    settled |= {key for key, sent in sent_by_hand(options.config).items() if sent.complete}   # sent by hand
    failed = {key for key, st in status.items() if st == "failed"}
    untold = {key for key, st in status.items() if st == UNTOLD}     # its mail did not go: again now
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    told, unsent = [], []
    for item in items:
        # a document still waiting for approval when the watch's last day for it has passed (a status
        # report's meeting, another document's deadline and catch-up) -- in a run (or status cycle)
        # the watch triggered, or held by a batch: nobody was told, the approver was still reminded,
        # and an answer could still send it after that day
        if not item.makes_document or last_day(item) >= today or status.get(item.key) == "missed":
            continue
        run_key = item.key if status.get(item.key) == "triggered" else \
            cycle_key(item) if status.get(cycle_key(item)) == "triggered" else None
        if run_key is not None:
            if expire_waiting(item, run_key, rows[run_key]["detail"], today, register, settings, options,
                              transport_name, password, unsent):
                told.append(item.key)
            continue
        if status.get(item.key) in ("done", "rejected"):
            continue                             # made and sent (or turned down) in its window
        mine = [(document, version) for document, version in held if is_document_of(item, document)]
        if mine and withdraw_and_tell(item, today, register, settings, options, transport_name, password,
                                      held=mine, unsent=unsent):
            told.append(item.key)
            settled.add(item.key)                # told now: not told again below as never made
    for item in missed(items, today, since, failed, settled, untold):
        council = register.council(item.council)
        project = register.projects.get(item.project) if item.project else None
        name = project.name if project else council.name
        why = (rows[item.key]["detail"] if item.key in untold      # the why of the mail that did not go
               else f"den kunne ikke lages eller sendes ({rows[item.key]['detail']})" if item.key in failed
               else "fristvakten kjørte ikke de dagene den skulle lages og sendes")
        if item.meeting is not None:
            lines = [f"{KIND_TITLES[item.kind]} for {name} skulle sendes til styringsgruppen "
                     f"{fmt.long_date(item.make_day)}, før møtet {fmt.long_date(item.meeting)}, men er ikke sendt: "
                     f"{why}.",
                     "Fristvakten sender ikke en statusrapport etter møtet av seg selv."]
        else:
            lines = [f"{KIND_TITLES[item.kind]} for {name} hadde frist {fmt.long_date(item.due)}, men er ikke "
                     f"laget og sendt: {why}.",
                     f"Fristvakten lager den ikke av seg selv etter {fmt.long_date(last_day(item))}."]
        lines += ["Trengs den likevel, lag og send den nå med:", f"    {send_command(item)}"]
        ledger = SentLedger(settings.ledger_url())
        try:
            report = notify(f"missed/{item.key}", "-", f"Ikke sendt: {item.description}", lines,
                            council.secretariat.name, council.secretariat.email, project, council, settings,
                            ledger, make_transport(settings, transport_name, password), settings.delivery.retry)
            if report.failed or report.pending:
                # recorded: the next mornings try again, whatever the watch's window then (it looks back
                # from the day after its last run only, and this item's last day is before that)
                ledger.watch_record(item.key, UNTOLD, why)
                unsent.append((f"missed/{item.key}", not_told(council.secretariat.email, report)))
                continue
            ledger.watch_record(item.key, "missed", f"meldt til sekretariatet {today.isoformat()}: {why}")
        finally:
            ledger.close()
        told.append(item.key)
    return told, unsent


@task(name="tell-overdue", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def tell_overdue(today: date, options: DeliveryOptions) -> tuple[list[str], list[tuple[str, str]]]:
    """On a funder's deadline (the working day it was moved to), or the first watch after it, a
    document still waiting for approval is told to the council's secretariat -- not sent, and why:
    waiting for whom since when -- and to the approver, once each. Before, the first word came after
    the watch's catch-up for it had ended, two weeks after the deadline (``tell_missed``), and the
    approver's reminders never said there was a deadline. A status report for a steering-group
    meeting is left to its meeting (``tell_missed``). (The keys told, the mails that did not go.)"""
    from flows.approval import approver_of, deadline_words, document_title, ui_link

    settings = load_settings(options.config)
    register = watch_register(options.config)
    ledger = SentLedger(settings.ledger_url())
    try:
        status = {r["key"]: r["status"] for r in ledger.watch_rows()}
        asked = ledger.approvals(status="requested")
    finally:
        ledger.close()
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    told, unsent = [], []
    for item in calendar(register, settings.deadline_shift):
        if not item.makes_document or item.meeting is not None or not item.due <= today <= last_day(item) \
                or status.get(item.key) in ("done", "rejected", "missed", UNTOLD):
            continue
        if item.project and item.project not in register.projects:
            continue
        mine = sorted((r for r in asked if is_document_of(item, r["document"])), key=lambda r: r["requested_at"])
        if not mine:
            continue
        request = mine[-1]
        council = register.council(item.council)
        project = register.projects.get(item.project) if item.project else None
        name, email = approver_of(council, settings)
        who = name if name == email or not email else f"{name} ({email})"
        # the approver is the secretariat (the default): one mail, with the link, not two
        own = bool(email) and email.casefold() == (council.secretariat.email or "").casefold()
        # asked on the machine's clock: a watch run for a past as-of date dates it the day it was made
        asked_on = request["requested_at"].date()
        asked_on = asked_on if asked_on <= today else item.make_day
        title = document_title(request["document"], register)
        moved = [moved_words(item)] if item.moved else []
        link = ui_link(request["flow_run_id"]) if request["flow_run_id"] else None
        lines = [f"{title} er ikke sendt, og {deadline_words(item, 'var' if item.due < today else 'er')}"
                 + (" (i dag)" if item.due == today else "") + ".",
                 f"Den skulle sendes {fmt.long_date(item.make_day)}, men har ventet på godkjenning fra {who} siden "
                 f"{fmt.long_date(asked_on)}. Ingenting sendes før noen godkjenner den.", *moved,
                 ("" if own else "Godkjenneren har fått beskjed nå. ") + "Godkjennes den, sendes den straks"
                 + (" (etter fristen)" if item.due < today else "") + f"; er den ikke godkjent innen "
                 f"{fmt.long_date(last_day(item))}, sender fristvakten den ikke av seg selv.",
                 *([f"Godkjenn eller avvis her: {link}"] if own and link else [])]
        when = "Fristen er i dag" if item.due == today else "Fristen er passert"
        ledger = SentLedger(settings.ledger_url())
        try:
            report = notify(f"overdue/{item.key}", "-", f"{when}, ikke sendt: {item.description}", lines,
                            council.secretariat.name, council.secretariat.email, project, council, settings, ledger,
                            make_transport(settings, transport_name, password), settings.delivery.retry)
            if report.failed or report.pending:
                unsent.append((f"overdue/{item.key}", not_told(council.secretariat.email, report)))
            elif report.sent:
                told.append(item.key)
            if email and not own:
                to_approver = [f"{title} (versjon {request['version']}) venter fortsatt på din godkjenning, og "
                               f"{deadline_words(item, 'var' if item.due < today else 'er')}"
                               + (" (i dag)" if item.due == today else "") + ". Den er ikke sendt.",
                               "Godkjenner du den nå, sendes den straks"
                               + (", etter fristen" if item.due < today else "")
                               + "; avviser du den, sendes den ikke. Sekretariatet har fått beskjed.",
                               f"Godkjenn eller avvis her: {link}" if link else
                               "Ingen kjøring venter på svaret (dokumentet ble holdt tilbake av en bunkekjøring); "
                               "sekretariatet sender den for hånd."]
                answer = notify(f"overdue-approval/{item.key}", "-", f"{when}: {title} venter på din godkjenning",
                                to_approver, name, email, project, council, settings, ledger,
                                make_transport(settings, transport_name, password), settings.delivery.retry)
                if answer.failed or answer.pending:
                    unsent.append((f"overdue-approval/{item.key}", "varselet om passert frist nådde ikke godkjenneren "
                                   f"({email}); prøves igjen neste virkedag"))
        finally:
            ledger.close()
    return told, unsent


def late_line(item: DueItem, today: date, on_server: bool, reminded_before: bool) -> str:
    """One line for the secretariat about ``item``'s document made and sent (on a server: started)
    on ``today``, late (``late_by``): how many working days, and whether anyone was reminded."""
    days = late_by(item, today)
    when = (f"skulle sendes {fmt.long_date(item.make_day)} (møtet er {fmt.long_date(item.meeting)})"
            if item.meeting is not None else f"hadde frist {fmt.long_date(item.due)}")
    line = (f"- {item.description}: {when}, {'startet' if on_server else 'sendt'} {fmt.long_date(today)}, "
            f"{days} {'virkedag' if days == 1 else 'virkedager'} for sent")
    return line + ("." if reminded_before else "; ingen fikk påminnelse om den før sendedatoen.")


@task(name="tell-late", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def tell_late(today: date, late: list[DueItem], previous: date | None, on_server: bool,
              options: DeliveryOptions) -> list[str]:
    """Mail each council's secretariat, once a day, the documents the watch made and sent (on a
    server: started) late this morning (``late_by``), each with how many working days. Before, a
    catch-up report went out late without a word (watch on 24.4.2014, then 20.5.2014: the steering
    group got the report dated 16.5 on 20.5, the secretariat heard nothing).
    The readers' mail is left as it is: the document carries its own date; whether to say more to
    them is the secretariat's call."""
    if not late:
        return []
    settings = load_settings(options.config)
    register = watch_register(options.config)
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    sent = []
    ledger = SentLedger(settings.ledger_url())
    try:
        per_council: dict[str, list[str]] = {}
        for item in late:
            per_council.setdefault(item.council, []).append(
                late_line(item, today, on_server, reminded(ledger, item, settings.deadline_reminders, transport_name)))
        for council_id, lines in per_council.items():
            council = register.councils[council_id]
            if not council.secretariat.email:
                continue
            count = f"{len(lines)} {'dokument' if len(lines) == 1 else 'dokumenter'}"
            body = [(f"Fristvakten kjørte sist {fmt.long_date(previous)}. " if previous else "")
                    + f"I dag {'startet' if on_server else 'laget og sendte'} den dette for sent:", "\n".join(lines),
                    "Mottakerne får dokumentet som vanlig, uten noen merknad om at det kommer for sent; gi dem "
                    "beskjed selv om det trengs."]
            report = notify(f"watch-late/{council_id}", today.isoformat(),
                            f"Fristvakten {fmt.short_date(today)}: {count} sendt for sent – {council.name}", body,
                            council.secretariat.name, council.secretariat.email, None, council, settings, ledger,
                            make_transport(settings, transport_name, password), settings.delivery.retry)
            sent += [f"watch-late/{council_id} -> {email}" for email in report.sent]
    finally:
        ledger.close()
    return sent


def reminded(ledger: SentLedger, item: DueItem, leads: list[int], transport_name: str) -> bool:
    """Whether a deadline reminder for ``item`` (any lead) reached the one it was for."""
    return any(ledger.sent_to(f"deadline/{item.key}/{lead}/-", 1, transport_name) for lead in leads)


@task(name="tell-passed", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def tell_passed(today: date, since: date, previous: date | None,
                options: DeliveryOptions) -> tuple[list[str], list[tuple[str, str]]]:
    """An ``other`` deadline (reminded only, no document) whose day fell while the watch was not
    running (``since``: see watch_since) and whose reminder never went: the council's secretariat is
    told once at the next watch. Before, such deadlines passed in silence (a watch down from 2.6.2014
    to 5.1.2015 told the missed status reports, nothing of the funder's deadlines of 24.12 and 31.12).
    A mail that did not go is recorded ``untold`` and tried again on later mornings. (The keys told,
    the mails that did not go.)"""
    from flows.approval import deadline_words

    settings = load_settings(options.config)
    register = watch_register(options.config)
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    ledger = SentLedger(settings.ledger_url())
    told, unsent = [], []
    try:
        status = {r["key"]: r["status"] for r in ledger.watch_rows()}
        for item in calendar(register, settings.deadline_shift):
            if item.makes_document or item.due >= today or status.get(item.key) == "missed":
                continue
            if not (since <= item.due or status.get(item.key) == UNTOLD):
                continue
            if ("project", item.project) in register.unreadable or (
                    item.project and item.project not in register.projects):
                continue
            if reminded(ledger, item, settings.deadline_reminders, transport_name):
                continue
            council = register.council(item.council)
            project = register.projects.get(item.project) if item.project else None
            person = project.leader if project else council.secretariat
            title = item.label or KIND_TITLES[item.kind]
            lines = [f"Fristen «{title}» for {project.name if project else council.name} passerte mens fristvakten "
                     f"ikke kjørte ({deadline_words(item, 'var')}), og ingen fikk påminnelse om den"
                     + (f" ({person.name} skulle hatt den)" if person.name and person is not council.secretariat
                        else "") + ".",
                     *([moved_words(item)] if item.moved else []),
                     *([f"Fristvakten kjørte sist {fmt.long_date(previous)} og nå igjen {fmt.long_date(today)}."]
                       if previous else []),
                     "grantflow lager ikke noe dokument for denne fristen: sjekk at den er fulgt opp."]
            report = notify(f"passed/{item.key}", "-", f"Frist passert uten påminnelse: {item.description}", lines,
                            council.secretariat.name, council.secretariat.email, project, council, settings, ledger,
                            make_transport(settings, transport_name, password), settings.delivery.retry)
            if report.failed or report.pending:
                ledger.watch_record(item.key, UNTOLD, "fristen passerte uten påminnelse")
                unsent.append((f"passed/{item.key}", not_told(council.secretariat.email, report)))
                continue
            ledger.watch_record(item.key, "missed", f"meldt til sekretariatet {today.isoformat()}: fristen passerte "
                                "uten påminnelse")
            told.append(item.key)
    finally:
        ledger.close()
    return told, unsent


def not_told(email: str, report) -> str:
    """Why a mail to the secretariat about a missed document did not go, for the watch's summary."""
    reasons = "; ".join(why for _, why in report.failed + report.pending) or "ikke levert"
    return f"«Ikke sendt»-varselet nådde ikke sekretariatet ({email}: {reasons}); prøves igjen neste virkedag"


def expire_waiting(item: DueItem, run_key: str, run_id: str, today: date, register: Register, settings,
                   options: DeliveryOptions, transport_name: str, password: str | None,
                   unsent: list[tuple[str, str]]) -> bool:
    """``item``'s triggered run (``run_key``: the item's or its status cycle's) still waits for an
    approver (Suspended) after the watch's last day for it (``window_passed``): it is cancelled -- the
    watch never sends a document after that day by itself, and an answer in the form must not do it
    for it either --, and ``withdraw_and_tell``. True when told."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    if triggered_state(run_id) != "PAUSED":
        return False                 # finished, running or gone: the morning's other checks handle it
    if item.project and item.project not in register.projects:
        return False
    why, _ = window_passed(item, "")
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(UUID(run_id), Cancelled(message=why), force=True)
    return withdraw_and_tell(item, today, register, settings, options, transport_name, password,
                             run_key=run_key, run_id=run_id, unsent=unsent)


def withdraw_and_tell(item: DueItem, today: date, register: Register, settings, options: DeliveryOptions,
                      transport_name: str, password: str | None, run_key: str | None = None,
                      run_id: str | None = None, held: list[tuple[str, int]] = (),
                      unsent: list[tuple[str, str]] | None = None) -> bool:
    """``item`` still waited for approval after the watch's last day for it: the approval request is
    withdrawn -- the request of the run ``run_id`` (cancelled by ``expire_waiting``), or the
    ``held`` (document, version) a batch held with no run waiting: no more reminders, and a decision
    given later lets no batch send it (``delivery.service.withdrawal``) --, and the council's
    secretariat is told once, with the command that shows the preview, asks for approval and sends
    it now. Recorded ``missed``. True when told; a mail that did not go is added to ``unsent`` and
    recorded ``untold``: the next mornings tell it (``tell_missed``)."""
    project = register.projects.get(item.project) if item.project else None
    if item.project and project is None:
        return False
    council = register.council(item.council)
    why, lines = window_passed(item, project.name if project else council.name)
    ledger = SentLedger(settings.ledger_url())
    try:
        never = never_reached(ledger, run_id, held)
        if never:
            # not "ventet fortsatt på godkjenning" alone: nobody could have answered
            lines += [f"Godkjenneren ble aldri nådd: forespørselen om godkjenning kom ikke fram {never}, og "
                      "ingen påminnelse kom fram før møtet eller fristen var passert."]
        if run_id is not None:
            withdrawn = ledger.approval_withdrawn(run_id, why)
            lines += ["Kjøringen som ventet på godkjenning er derfor avsluttet, og forespørselen om godkjenning er "
                      "trukket tilbake: et svar i skjemaet sender den ikke lenger, og godkjenneren får ingen flere "
                      "påminnelser."]
            detail = f"flow run {run_id} avsluttet {today.isoformat()}: {why}"
        else:
            withdrawn = [w for document, version in held
                         for w in ledger.approval_withdrawn(None, why, document, version)]
            lines += ["Bunkekjøringen holdt den tilbake for godkjenning. Forespørselen om godkjenning er derfor "
                      "trukket tilbake: en godkjenning nå får ikke bunkekjøringen til å sende den, og godkjenneren "
                      "får ingen flere påminnelser."]
            detail = f"holdt tilbake av bunkekjøringen, {today.isoformat()}: {why}"
        from grantflow.documents.service import held_command

        # the held document as the batch made it (its record's date), the watch's own as the watch dates it
        command = held_command(held[0][0], settings.records_dir(options.out)) if held else send_command(item)
        lines += ["Trengs den likevel, se forhåndsvisningen, godkjenn og send den nå med:",
                  f"    {command} --transport {transport_name}",
                  "Skal den ikke sendes (avvist), trenger du ikke gjøre noe mer."]
        report = notify(f"missed/{item.key}", "-", f"Ikke sendt: {item.description}", lines,
                        council.secretariat.name, council.secretariat.email, project, council, settings,
                        ledger, make_transport(settings, transport_name, password), settings.delivery.retry)
        if withdrawn:
            detail += f" (forespørsel trukket tilbake: {', '.join(withdrawn)})"
        if run_key is not None:
            ledger.watch_record(run_key, "cancelled", detail)
        if report.failed or report.pending:
            ledger.watch_record(item.key, UNTOLD, f"den ventet fortsatt på godkjenning ({detail})")
            if unsent is not None:
                unsent.append((f"missed/{item.key}", not_told(council.secretariat.email, report)))
            return False
        ledger.watch_record(item.key, "missed", f"meldt til sekretariatet {today.isoformat()}: {detail}")
    finally:
        ledger.close()
    return True


def never_reached(ledger: SentLedger, run_id: str | None, held: list[tuple[str, int]] = ()) -> str:
    """Whom and why the approver was never reached for the request of the run ``run_id`` (or the
    ``held`` (document, version) of a batch) -- "til <approver> (<why>)" --, from the batch's mark
    (``flows.batch.untold_key``) that a request whose mail did not go keeps until a request or
    reminder reaches the approver; "" when the approver was reached."""
    from flows.approval import unreached_why
    from flows.batch import untold_key

    asked = [(r["document"], r["version"]) for r in ledger.approvals() if r["status"] == "requested"
             and (r["flow_run_id"] == run_id if run_id is not None else (r["document"], r["version"]) in held)]
    marks = {r["key"]: r for r in ledger.watch_rows()}
    whys = [f"til {m['detail'].partition(': ')[0]} ({unreached_why(m['detail'])})" for document, version in asked
            if (m := marks.get(untold_key(document, version))) is not None and m["status"] == "failed"]
    return "; ".join(dict.fromkeys(whys))


@task(name="record-item", cache_policy=NONE)
def record(key: str, status: str, detail: str, config: str | None) -> None:
    settings = load_settings(config)
    ledger = SentLedger(settings.ledger_url())
    try:
        ledger.watch_record(key, status, detail)
    finally:
        ledger.close()


@task(name="remind-project-leader", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def remind_leader(item: DueItem, problem: str, as_of: date, options: DeliveryOptions) -> str:
    """Mail the project leader what is missing (at most once per item and day); for a council-wide
    item (the usage report) the council's secretariat, who assembles it."""
    settings = load_settings(options.config)
    register = watch_register(options.config)
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    transport = make_transport(settings, transport_name, password)
    ledger = SentLedger(settings.ledger_url())
    try:
        if item.project is None:
            council, title = register.council(item.council), KIND_TITLES[item.kind]
            lines = [f"{title} for {council.name} skal sendes innen {fmt.long_date(item.due)}, men grantflow "
                     "kunne ikke lage den:", problem,
                     "Rett opp i dataene og kjør på nytt, eller vent til neste automatiske kjøring."]
            report = notify(f"reminder/{item.key}", as_of.isoformat(), f"Påminnelse: {title} for {council.name} "
                            "trenger data", lines, council.secretariat.name, council.secretariat.email, None,
                            council, settings, ledger, transport, settings.delivery.retry)
        else:
            project = register.project(item.project)
            report = remind(item.key, as_of.isoformat(), KIND_TITLES[item.kind], project,
                            register.council_of(project), problem, fmt.long_date(item.due), settings, ledger,
                            transport, settings.delivery.retry)
    finally:
        ledger.close()
    return report.summary()


def item_parameters(item: DueItem) -> dict:
    """The flow parameters of ``item``'s document, dated ``item.dated`` (the day the watch makes it,
    not the day the flow happens to run: an application the watch caught up on was dated the day
    its flow ran), as ``send_command(item)`` names it."""
    if item.kind == "status":
        return {"project": item.project, "as_of": item.dated}
    if item.kind in ("costsplit", "application"):
        return {"project": item.project, "year": int(item.period) if item.period else None, "as_of": item.dated}
    if item.kind == "final":
        return {"project": item.project}
    if item.kind == "usage":
        # a day in the year still running makes it a draft
        return {"council": item.council, "year": int(item.period), "as_of": item.dated}
    raise ValueError(f"no document is made for a deadline of kind {item.kind!r}")


def item_options(item: DueItem, options: DeliveryOptions) -> DeliveryOptions:
    """The watch's options for one item: the funders whose deadline asks for it get it too."""
    return options.model_copy(update={"funders": list(item.funders)})


@task(name="trigger-document", cache_policy=NONE)
def trigger(item: DueItem, options: DeliveryOptions) -> str:
    """Start the item's document deployment without waiting for it; the flow run id."""
    from prefect.deployments import run_deployment

    from flows.deployments import DEPLOYMENTS, KIND_DEPLOYMENT

    name = KIND_DEPLOYMENT[item.kind]
    params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in item_parameters(item).items()
              if v is not None}
    given = item_options(item, options)
    if given.claims_approval():
        # the watch's own approval (given on the machine, or checked as signed): its runs' too
        given = given.signed(DEPLOYMENTS[name][1], params)
    params["options"] = given.model_dump(mode="json")
    run = run_deployment(f"{DEPLOYMENTS[name][1]}/{name}", parameters=params, timeout=0, as_subflow=False)
    return str(run.id)


@task(name="check-triggered", cache_policy=NONE)
def triggered_state(run_id: str) -> str:
    """The state type of a triggered run (COMPLETED, PAUSED, FAILED, ...), or MISSING."""
    run = _read_run(run_id)
    return run.state.type.value if run and run.state else "MISSING"


@task(name="check-running", cache_policy=NONE)
def settled_state(run_id: str, config: str | None) -> tuple[str, str | None]:
    """The state type of a triggered run (as ``triggered_state``) and, for the secretariat, a line
    about a run left Running by a process that is gone, or None.

    Without heartbeats Prefect never learns that a run's process died (a worker killed with -9, a
    reboot, out of memory): the run stays Running for good and was waited for until its meeting had
    passed. The rule: a run Running for at least ``watch.dead_run_minutes`` whose process is known to
    be gone -- its run lock (``flows.runtime.hold_run_lock``, taken by every deployment run, on a
    worker as under ``grantflow serve``) is there and held by nobody -- is ended as Crashed (proposed,
    not forced: a run that ended meanwhile keeps its end) and reported as CRASHED, so the watch starts
    it again; the delivery ledger then sends only to whom the first run did not reach. A run whose
    lock a process holds is left alone however long it takes (a slow mail server); one with no lock
    here (another machine without this outputs folder) is left alone but reported once that long.
    A run waiting for an approver is Paused, not Running, and is never looked at here.

    A run left Pending (a worker, or a serve, moved it there and was killed before its process
    started: no run lock was ever taken) was counted as waiting for good. Pending for
    ``watch.dead_run_minutes`` it is ended as Crashed and started again the same way, unless a process
    holds its run lock (it started after all). It never started, so it sent nothing; and should a
    late process start it anyway, the delivery ledger's claims give each recipient the document once."""
    from flows.runtime import run_lock_gone

    run = _read_run(run_id)
    state = run.state.type.value if run and run.state else "MISSING"
    if state not in ("RUNNING", "PENDING"):
        return state, None
    settings = load_settings(config)
    since = run.state.timestamp
    if datetime.now(since.tzinfo) - since < timedelta(minutes=settings.watch.dead_run_minutes):
        return state, None
    when = f"{since.astimezone(OSLO):%d.%m.%Y kl. %H.%M}"
    gone = run_lock_gone(settings.outputs_dir(), run_id)
    if state == "PENDING":
        # never started: the engine makes a run Running before its first step, and a deployment run
        # takes its run lock after that; a lock held here means it started after all
        if gone is False:
            return state, None
        return _end_dead_run(run, since, "Pending", (
            f"kjøringen {run_id} stod som «venter på å starte» (Pending) siden {when}, men ble aldri startet "
            "(arbeideren eller grantflow serve som tok den, ble stoppet før den startet); den er avsluttet som "
            "Crashed og startet på nytt, og ingen hadde fått dokumentet fra den"))
    if gone is None:
        return state, (f"kjøringen {run_id} har stått som «kjører» siden {when}, og fristvakten kan ikke se om "
                       "prosessen som kjører den, lever (den kjører på en annen maskin, eller kom aldri i gang); se "
                       "kjøringen i Prefect, og står den fast, sett den til Crashed der: da starter fristvakten "
                       "dokumentet på nytt neste virkedag")
    if not gone:
        return state, None
    return _end_dead_run(run, since, "Running", (
        f"kjøringen {run_id} stod som «kjører» siden {when}, men prosessen som kjørte den, er borte "
        "(stoppet eller krasjet, for eksempel ved omstart eller tomt minne); den er avsluttet som "
        "Crashed og startet på nytt, og de som alt hadde fått dokumentet, får det ikke igjen"))


def _end_dead_run(run, since: datetime, was: str, told: str) -> tuple[str, str | None]:
    """End ``run`` (left ``was``, Running or Pending, by a process that is gone) as Crashed: proposed,
    not forced, and only if it is still in the state that was looked at. ("CRASHED", ``told``), or
    the state it moved on to and None."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.responses import SetStateStatus
    from prefect.states import Crashed

    why = ("The process running this flow run is gone (killed or crashed: a reboot, out of memory)"
           if was == "Running" else "This flow run never started: the worker that took it stopped before starting it")
    message = f"{why}; {was} since {since.isoformat()}. deadline_watch ended it and started the document again."
    with get_client(sync_client=True) as client:
        now = client.read_flow_run(run.id).state
        if now is None or now.id != run.state.id:
            return (now.type.value if now else "MISSING"), None      # it moved on meanwhile
        answer = client.set_flow_run_state(run.id, Crashed(message=message))
    if answer.status != SetStateStatus.ACCEPT:
        return triggered_state.fn(str(run.id)), None
    return "CRASHED", told


def refused_trigger(exc: Exception, name: str, parameters: dict) -> str | None:
    """The server's refusal to start deployment ``name`` for a project (or council) it does not list,
    as one line for the secretariat, or None for any other failure.

    The deployments' forms list the register's ids as they were when the deployments were
    registered (``flows.documents.ProjectId``); a project added later was refused with a raw
    ``PrefectHTTPStatusError: Client error '409 Conflict' …`` in the secretariat's mail."""
    import re

    from prefect.exceptions import PrefectHTTPStatusError

    if not isinstance(exc, PrefectHTTPStatusError) or exc.response.status_code != 409:
        return None
    found = re.search(r"Validation failed for field '(project|council)'\. Failure reason: '.*' is not one of",
                      str(exc))
    if found is None or not parameters.get(found.group(1)):
        return None
    what = "prosjektet" if found.group(1) == "project" else "regionrådet"
    return (f"{what} «{parameters[found.group(1)]}» er ikke med i deployment-en {name} slik den ble registrert "
            f"({what} er lagt til etterpå): start grantflow serve på nytt, eller kjør prefect deploy --all der "
            "arbeidere (prefect worker) kjører dokumentene")


@task(name="data-problem-of-failed-run", cache_policy=NONE)
def data_problem(run_id: str) -> str | None:
    """The user mistake (the flow's one-line UserError) a failed run stopped on, or None (a bug,
    a crash, another sender's content: not the project leader's to fix)."""
    run = _read_run(run_id)
    return leaders_problem(run.state.message or "") if run and run.state else None


def leaders_problem(message: str) -> str | None:
    """A failed run's state message as the project leader's data problem, or None: as for an item
    run in the watch itself, a content conflict (the ledger has this version with other content)
    and an outbox that cannot be written are not theirs to fix."""
    problem = user_mistake(message, kinds=("UserError",))
    return None if problem is None or problem.startswith(f"{OUTBOX_FIELD}: ") else problem


def may_have_arrived(run_id: str, message: str) -> str:
    """A run that ended Failed with every mail it did not deliver for sure maybe arrived
    (``MAY_HAVE_ARRIVED``), for the secretariat: whom, and that it is started again (the same
    Message-ID: the run sends no copy to whom it reached, nor a third unanswered one)."""
    return (f"kjøringen {run_id} endte uten svar fra e-postserveren for noen mottakere ({message}); "
            "startet på nytt")


def run_message(run_id: str) -> str:
    """A run's final state message (a refusal: "not delivered to 1 of 6 recipient(s): x: 550 …"), or ""."""
    run = _read_run(run_id)
    return (run.state.message or "") if run and run.state else ""


def _read_run(run_id: str):
    from uuid import UUID

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        try:
            return client.read_flow_run(UUID(run_id))
        except Exception:  # noqa: BLE001 - deleted or unknown: trigger again
            return None


@task(name="remind-approvers", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def remind_approvers(as_of: date, options: DeliveryOptions) -> list[str]:
    settings = load_settings(options.config)
    return remind_pending(as_of, settings, watch_register(options.config),
                          options.transport or settings.delivery.transport)


def cycle_key(item: DueItem) -> str:
    return f"cycle:{item.project}:{item.due.isoformat()}"


@task(name="status-cycles", cache_policy=NONE)
def status_cycles(today: date, options: DeliveryOptions) -> dict:
    """Start the status cycles that are due (once per meeting), remind leaders who have not answered
    (once) and, on the send date, let the unanswered runs go on without the answer."""
    from prefect.deployments import run_deployment

    from flows.deployments import DEPLOYMENTS
    from flows.status_cycle import remind_waiting, resume_unanswered, waiting_for_leaders

    logger = get_run_logger()
    settings = load_settings(options.config)
    cycle = settings.status_cycle
    out = {"started": [], "reminded": [], "no_answer": [], "failed": []}
    if cycle.start_days <= 0:
        return out
    register = watch_register(options.config)
    ledger = SentLedger(settings.ledger_url())
    try:
        rows = ledger.watch_rows()
    finally:
        ledger.close()
    known = {r["key"] for r in rows}
    items = calendar(register, settings.deadline_shift)
    by_hand = sent_by_hand(options.config)
    # A meeting removed from (or moved in) the project file after its cycle was started: the cycle
    # must not remind the leader nor send a report for a meeting that will not be held.
    current = {cycle_key(item) for item in items if item.kind == "status"}
    out["withdrawn"] = []
    for row in rows:
        if row["key"].startswith("cycle:") and row["status"] == "triggered" and row["key"] not in current \
                and ("project", row["key"].split(":")[1]) not in register.unreadable:   # a typo is no cancellation
            try:
                if withdraw_cycle(row["key"], row["detail"], today, options):
                    out["withdrawn"].append(row["key"])
            except Exception as exc:  # noqa: BLE001 - one project's failure must not stop the others
                logger.exception("could not withdraw the status cycle %s", row["key"])
                out["failed"].append((row["key"], f"{type(exc).__name__}: {exc}"))
    for item in items:
        # counted from the day the report is made: a funder's status deadline has it made a week before
        # its due date, a steering-group meeting's on its send date
        made = item.as_of or item.due
        if item.kind != "status" or made <= today or working_days_until(today, made) > cycle.start_days:
            continue
        if cycle_key(item) in known or item.key in known:
            continue                          # started before (or the report already handled)
        if item.key in by_hand:
            continue                          # already sent by hand: the meeting's report, nobody is asked
        params = {"project": item.project, "as_of": made.isoformat(),
                  "options": item_options(item, options).model_dump(mode="json")}
        try:
            run = run_deployment(f"{DEPLOYMENTS['status-cycle'][1]}/status-cycle", parameters=params,
                                 timeout=0, as_subflow=False)
        except Exception as exc:  # noqa: BLE001 - one project's failure must not stop the others
            logger.exception("could not start the status cycle for %s", item.key)
            out["failed"].append((cycle_key(item), refused_trigger(exc, "status-cycle", params)
                                  or f"{type(exc).__name__}: {exc}"))
            continue
        record(cycle_key(item), "triggered", str(run.id), options.config)
        out["started"].append(cycle_key(item))
    for waiting in waiting_for_leaders():
        mine = next((i for i in items if i.kind == "status" and i.project == waiting.project
                     and (i.as_of or i.due) == waiting.as_of), None)
        sent = by_hand.get(mine.key) if mine is not None else None
        if sent is not None and sent.complete:
            # sent by hand while the cycle waited: the leader is not reminded, and no "ikke rapportert"
            try:
                why = (f"Statusrapporten per {sent.as_of:%d.%m.%Y} er allerede sendt til styringsgruppen "
                       f"({fmt.long_date(sent.first)})")
                if withdraw_cycle(cycle_key(mine), waiting.run_id, today, options, why=why):
                    out["withdrawn"].append(cycle_key(mine))
            except Exception as exc:  # noqa: BLE001 - one project's failure must not stop the others
                logger.exception("could not withdraw the status cycle %s", waiting.run_id)
                out["failed"].append((cycle_key(mine), f"{type(exc).__name__}: {exc}"))
            continue
        try:
            if today >= waiting.as_of:
                if resume_unanswered(waiting, options):        # recorded as not reported, then resumed
                    out["no_answer"].append(f"{waiting.project}:{waiting.as_of.isoformat()}")
            elif working_days_until(today, waiting.as_of) <= cycle.reminder_days:
                out["reminded"] += [f"{waiting.project} -> {email}" for email in remind_waiting(waiting, options)]
        except UserError as exc:
            out["failed"].append((f"cycle:{waiting.project}:{waiting.as_of.isoformat()}", str(exc)))
        except Exception as exc:  # noqa: BLE001 - one project's failure must not stop the others
            logger.exception("status cycle %s", waiting.run_id)
            out["failed"].append((f"cycle:{waiting.project}:{waiting.as_of.isoformat()}",
                                  f"{type(exc).__name__}: {exc}"))
    return out


def withdraw_cycle(key: str, run_id: str, today: date, options: DeliveryOptions, why: str | None = None) -> bool:
    """Cancel the status cycle ``run_id`` the watch started for ``key`` (``cycle:<project>:<send
    date>``) whose meeting is no longer in the project file, and tell the project leader the request
    is withdrawn. False (and recorded as finished) when the run has ended already."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled, Cancelling

    _, project_id, send = key.split(":", 2)
    run = _read_run(run_id)
    state = run.state.type.value if run and run.state else "MISSING"
    if state in ("COMPLETED", "CANCELLED", "FAILED", "CRASHED", "MISSING"):
        record(key, "done" if state == "COMPLETED" else state.lower(), f"flow run {run_id}", options.config)
        return False
    sent = why is not None
    why = why or (f"Styringsgruppemøtet som statusrapporten per {date.fromisoformat(send):%d.%m.%Y} skulle til, "
                  "står ikke lenger i prosjektfilen")
    with get_client(sync_client=True) as client:
        # a run still working is stopped by its runner (Cancelling); a waiting one has no process
        client.set_flow_run_state(UUID(run_id), Cancelling(message=why) if state in ("RUNNING", "PENDING")
                                  else Cancelled(message=why), force=True)
    record(key, "withdrawn", f"flow run {run_id}: {why}", options.config)
    settings = load_settings(options.config)
    register = watch_register(options.config)
    project = register.projects.get(project_id)
    if project is not None and project.leader.email:
        transport_name = options.transport or settings.delivery.transport
        password = smtp_password(settings) if transport_name == "smtp" else None
        ledger = SentLedger(settings.ledger_url())
        try:
            notify(f"withdrawn/{key}", "-", f"Statusrapportering trengs ikke likevel: {project.name}",
                   [f"{why}.", "Forespørselen om statusrapportering er trukket tilbake; du trenger ikke svare"
                    + (", og det sendes ingen ny versjon for dette møtet." if sent else
                       ", og ingen statusrapport sendes for dette møtet.")],
                   project.leader.name, project.leader.email, project, register.council_of(project), settings,
                   ledger, make_transport(settings, transport_name, password), settings.delivery.retry)
        finally:
            ledger.close()
    return True


ITEM_FLOWS = {"status": status_report, "application": application, "final": final_report,
              "usage": grant_usage_report, "costsplit": cost_split}


def run_item(item: DueItem, options: DeliveryOptions) -> dict:
    """The item's document flow, here, with the same parameters a deployment run gets."""
    return ITEM_FLOWS[item.kind](**item_parameters(item), options=item_options(item, options))


@flow(name="deadline_watch", flow_run_name=lambda: "deadline_watch")
def deadline_watch(as_of: date | None = None, options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Run every due item once; remind project leaders where data is missing. A user's mistake that
    stops the watch itself (its options, the config) is one line (``mistake_ends_run``)."""
    return mistake_ends_run(lambda: _watch(as_of, options))


def _watch(as_of: date | None, options: DeliveryOptions) -> dict:
    """``deadline_watch``'s work."""
    deployment_run(options)
    logger = get_run_logger()
    today = as_of or clock.today()
    # this installation's closed days (``closed_days``), before asking whether today is a working day
    apply_settings_limits(config_root(options.config))
    if not is_working_day(today):
        # nobody is at work: nothing is made, sent, asked or reminded; the next working day catches up
        closed = holiday_name(today) or "helg"
        create_markdown_artifact(markdown=f"# Fristvakt {fmt.long_date(today)}\n\nIkke en virkedag ({closed}): "
                                 "ingenting gjøres i dag; det som forfaller, tas neste virkedag.",
                                 key="deadline-watch", description="Fristvakt")
        return {"as_of": today.isoformat(), "due": [], "ran": [], "skipped": [], "waiting": [], "failed": [],
                "uncertain": [], "reminders": [], "missed": [], "cycles": {}, "closed": closed}
    take_returned_workbooks(None, options.config)       # what project leaders sent back, before anything is due
    broken = check_templates_first(today, options)
    items, done, unreadable = find_due(today, options.config)
    since, previous = watch_since(today, options.config)
    on_server = bool(deployment.id)
    cycles = status_cycles(today, options) if on_server else {}
    triggered = triggered_runs(options.config) if on_server else {}
    by_hand = sent_by_hand(options.config)
    ran, skipped, failed, reminders, waiting = [], [], [], [], []
    late: list[DueItem] = []                 # made (or started) this morning after the day it was to be sent
    uncertain: list[tuple[str, str]] = []    # delivered but for mails that may have arrived (``undelivered``)
    already: list[tuple[str, str]] = []      # sent by hand before the watch came to it
    # what went wrong that is nobody's data to fix (a crash, a bug, a refused delivery, a trigger that
    # did not reach the server): the project leader is not told of these, so the secretariat is
    alerts: list[tuple[str, str]] = list(cycles.get("failed", []))
    unsure_alerts: list[tuple[str, str]] = []    # of ``uncertain``: told apart (``tell_secretariat``)
    # a project file that cannot be read: that project is left out until it is fixed (every secretariat:
    # the file does not say whose it is)
    failed += [("prosjektfil", f"{line} (prosjektet er utelatt fra fristvakten til filen er rettet)")
               for line in unreadable]
    alerts += failed[-len(unreadable):] if unreadable else []
    failed += cycles.get("failed", [])
    reminders += cycles.get("reminded", [])
    for item in items:
        if item.key in done:
            skipped.append(item.key)
            continue
        sent = by_hand.get(item.key)
        if sent is not None and sent.complete and not (
                on_server and (cycle_key(item) in triggered or item.key in triggered)):
            record(item.key, "done", sent_line(sent), options.config)
            already.append((item.key, sent_line(sent)))
            continue
        if sent is not None and not sent.complete:
            # partly delivered: that document is completed (the delivery ledger sends it only to whom
            # it did not reach), not made anew for the send date -- also when its run is triggered again
            item = replace(item, as_of=sent.as_of)
        if on_server and item.kind == "status" and cycle_key(item) in triggered:
            # the cycle makes and sends this report; the plain report only if the cycle failed
            run_id = triggered[cycle_key(item)]
            state, note = settled_state(run_id, options.config)
            if note:
                alerts.append((cycle_key(item), note))
            if state == "COMPLETED":
                record(cycle_key(item), "done", f"flow run {run_id}", options.config)
                record(item.key, "done", f"status cycle {run_id}", options.config)
                skipped.append(item.key)
                continue
            if state == "CANCELLED":
                record(cycle_key(item), "rejected", f"flow run {run_id}", options.config)
                record(item.key, "rejected", f"status cycle {run_id}", options.config)
                skipped.append(item.key)
                continue
            if state not in ("FAILED", "CRASHED", "MISSING"):
                waiting.append(item.key)
                continue
            record(cycle_key(item), "failed", f"flow run {run_id} {state}", options.config)
            if state == "FAILED" and (ended := run_message(run_id)).startswith(MAY_HAVE_ARRIVED):
                # its only unreached mails may have arrived: counted apart, and made again below
                unsure_alerts.append((cycle_key(item), may_have_arrived(run_id, ended)))
                uncertain.append(unsure_alerts[-1])
            elif state in ("FAILED", "CRASHED") and not data_problem(run_id):
                # the cycle's report was refused or crashed: said, counted, and made again below
                alerts.append((cycle_key(item), f"kjøringen {run_id} endte som {state}"
                               + (f" ({ended})" if (ended := ended_why(run_id)) else "") + RESTARTED))
                failed.append(alerts[-1])
        if item.kind in broken:
            # the secretariat has been told; the item runs on the first morning the template works
            failed.append((item.key, "malen har feil (meldt til sekretariatet): " + "; ".join(broken[item.kind])))
            if not (on_server and item.key in triggered):     # a run under way keeps its record
                # recorded as failed, so that if the template is still broken on the item's last day,
                # the secretariat is told once that it was not sent (tell_missed)
                record(item.key, "failed", failed[-1][1], options.config)
            continue
        if on_server:
            run_id = triggered.get(item.key)
            state, note = settled_state(run_id, options.config) if run_id else ("MISSING", None)
            if state == "COMPLETED":
                record(item.key, "done", f"flow run {run_id}", options.config)
                skipped.append(item.key)
            elif state == "CANCELLED":
                record(item.key, "rejected", f"flow run {run_id}", options.config)
                skipped.append(item.key)
            elif state in ("SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING"):
                waiting.append(item.key)
                if note:               # Running for long, and whether its process lives cannot be seen here
                    alerts.append((item.key, note))
            else:                      # never triggered, failed or crashed: (again) now
                problem = data_problem(run_id) if state == "FAILED" else None
                if problem:            # the data stopped it: the leader is told, as without a server
                    failed.append((item.key, problem))
                    reminders.append(remind_leader(item, problem, today, options))
                elif state == "FAILED" and not note and (ended := run_message(run_id)).startswith(MAY_HAVE_ARRIVED):
                    # every mail it did not deliver for sure may have arrived: counted apart, as
                    # without a server (it read "Feilet" and "not delivered to 1 of 5")
                    unsure_alerts.append((item.key, may_have_arrived(run_id, ended)))
                    uncertain.append(unsure_alerts[-1])
                elif state in ("FAILED", "CRASHED"):   # a bug, a crash, a refusal: triggered again, and said so
                    alerts.append((item.key, (note + RESTARTED) if note else
                                   f"kjøringen {run_id} endte som {state}"
                                   + (f" ({ended})" if (ended := ended_why(run_id)) else "") + RESTARTED))
                    failed.append(alerts[-1])     # not done: counted as failed in the summary
                try:
                    run_id = trigger(item, options)
                except Exception as exc:  # noqa: BLE001 - one item's failure must not stop the others
                    refused = refused_trigger(exc, KIND_DEPLOYMENT[item.kind], item_parameters(item))
                    if refused:
                        logger.error("could not trigger %s: %s", item.key, refused)
                    else:
                        logger.exception("could not trigger %s", item.key)
                    failed.append((item.key, refused or f"{type(exc).__name__}: {exc}"))
                    alerts.append(failed[-1])
                    continue
                record(item.key, "triggered", run_id, options.config)
                ran.append(item.key)
                if late_by(item, today) and item.key not in triggered:     # its first start, late
                    late.append(item)
            continue
        try:
            result = run_item(item, options)
        except UserError as exc:
            failed.append((item.key, str(exc)))
            record(item.key, "failed", str(exc), options.config)
            # the ledger has this version with other content, or the outbox folder cannot be
            # written: not the leader's data, no reminder to them
            if not isinstance(exc, ContentConflict) and exc.field != OUTBOX_FIELD:
                reminders.append(remind_leader(item, str(exc), today, options))
            else:
                alerts.append(failed[-1])
            continue
        except Exception as exc:  # noqa: BLE001 - one item's failure must not stop the others
            logger.exception("due item %s failed", item.key)
            failed.append((item.key, f"{type(exc).__name__}: {exc}"))
            alerts.append(failed[-1])
            record(item.key, "failed", f"{type(exc).__name__}: {exc}", options.config)
            continue
        # a recipient still pending (another sender's claim, maybe interrupted) is not done either
        if result.get("failed") or result.get("pending") or result.get("note", "").startswith("Ikke sendt"):
            # a mail that may have arrived is counted apart: not a failure someone should resend
            only_unsure = len(result.get("uncertain") or []) == len(result.get("failed") or []) and \
                not result.get("pending") and not result.get("note", "").startswith("Ikke sendt")
            (uncertain if only_unsure else failed).append((item.key, undelivered(result) if only_unsure
                                                           else result.get("note") or "delivery incomplete"))
            (unsure_alerts if only_unsure else alerts).append((item.key, undelivered(result)))
            record(item.key, "failed", result.get("note") or "delivery incomplete", options.config)
        else:
            ran.append(item.key)
            record(item.key, "done", result.get("docx", ""), options.config)
            if late_by(item, today) and result.get("sent") and not result.get("skipped"):
                # a catch-up: the secretariat hears how late (tell_late); not a delivery completed for
                # the one it failed for (the others had it in time, and the secretariat was told then)
                late.append(item)
    told: list[str] = []
    try:
        # before the approvers' reminders: a request withdrawn this morning is not reminded of first
        told, unsent = tell_missed(today, since, options)
        failed += unsent                   # the secretariat was not reached: the summary says so
    except UserError as exc:               # no secretariat address, SMTP login: the run says so
        failed.append(("ikke-sendt-varsel", str(exc)))
    overdue: list[str] = []
    passed: list[str] = []
    try:
        passed, unsent = tell_passed(today, since, previous, options)
        failed += unsent
    except UserError as exc:
        failed.append(("frist-uten-påminnelse-varsel", str(exc)))
    try:
        overdue, unsent = tell_overdue(today, options)
        failed += unsent
    except UserError as exc:
        failed.append(("frist-passert-varsel", str(exc)))
    for what, remind_task in (("godkjenning-påminnelse", remind_approvers), ("frist-påminnelse", deadline_reminders)):
        try:
            reminders += remind_task(today, options)
        except UserError as exc:
            failed.append((what, str(exc)))
    record(LAST_RUN, "ran", max(today, previous or today).isoformat(), options.config)
    if alerts or unsure_alerts:
        try:
            reminders += tell_secretariat(today, alerts, options, unsure_alerts)
        except UserError as exc:           # the mail itself cannot go (SMTP login, outbox): the run says so
            failed.append(("sekretariat-varsel", str(exc)))
    try:
        reminders += tell_late(today, late, previous, on_server, options)
    except UserError as exc:
        failed.append(("for-sent-varsel", str(exc)))
    lines = [f"# Fristvakt {fmt.long_date(today)}", "", f"- Forfalt: {len(items)}",
             f"- {'Startet' if on_server else 'Kjørt'} nå: {len(ran)}",
             f"- Allerede kjørt: {len(skipped)}", f"- Allerede sendt: {len(already)}", f"- Venter (godkjenning eller kjører): {len(waiting)}",
             f"- Feilet: {len(failed)}",
             f"- Kan ha kommet fram (spør mottakeren før grantflow send --resend): {len(uncertain)}",
             f"- Påminnelser sendt: {len(reminders)}"]
    lines += [f"- Ikke sendt, meldt til sekretariatet (fristen eller møtet er passert): `{key}`" for key in told]
    lines += [f"- Fristen er passert mens dokumentet venter på godkjenning, meldt til sekretariatet og godkjenneren: "
              f"`{key}`" for key in overdue]
    lines += [f"- {'Startet' if on_server else 'Sendt'} for sent: `{item.key}` "
              f"({late_by(item, today)} virkedager)" for item in late]
    lines += [f"- Frist passert uten påminnelse (fristvakten kjørte ikke), meldt til sekretariatet: `{key}`"
              for key in passed]
    if cycles:
        lines += [f"- Statusrunder startet: {len(cycles['started'])}",
                  f"- Statusrunder uten svar ved sendedato (sendes med «ikke rapportert»): {len(cycles['no_answer'])}"]
        lines += [f"- Statusrunde trukket tilbake (møtet står ikke lenger i prosjektfilen): `{key}`"
                  for key in cycles.get("withdrawn", [])]
    lines += [f"  - {md_code(key)}: {md_code(why)}" for key, why in failed]
    lines += [f"- Kan ha kommet fram: {md_code(key)}: {md_code(why)}" for key, why in uncertain]
    lines += [f"- Allerede sendt: {md_code(key)}: {md_code(why)}" for key, why in already]
    create_markdown_artifact(markdown="\n".join(lines), key="deadline-watch", description="Fristvakt")
    return {"as_of": today.isoformat(), "due": [i.key for i in items], "ran": ran, "skipped": skipped,
            "waiting": waiting, "failed": failed, "uncertain": uncertain, "reminders": reminders, "missed": told,
            "overdue": overdue, "passed": passed,
            "late": {item.key: late_by(item, today) for item in late},
            "already_sent": already, "cycles": {k: v for k, v in cycles.items() if k != "failed"}}
