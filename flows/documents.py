"""The document flows: collect → validate → build context → render (+PDF) → approve → deliver → record.

Each flow is a thin story over the domain package; the steps are tasks, retries sit on the steps
that touch the outside (rendering to PDF, sending mail). Configuration a person chooses is a
pydantic model (``DeliveryOptions``), so the Prefect UI shows it as a form.
"""

# No `from __future__ import annotations` here: `grantflow serve` hands Prefect's runner the flow
# objects, which pickles the flow functions by value; their parameter annotations must be real
# types, not names (tests/flows/test_served_flows.py).

import re
from datetime import date
from typing import Annotated, Any, Callable

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.states import Cancelled, Completed, Failed
from prefect.runtime import deployment, flow_run
from pydantic import Field

from grantflow.delivery.ledger import SentLedger
from grantflow.delivery.recipients import funders_named
from grantflow.delivery.service import (ContentConflict, DeliveryReport, by_reason, clearance, document_from, issue,
                                       plan, rejection, send_produced, unreached_text)
from grantflow.documents import kind as get_kind
from grantflow.documents.service import Produced, build_context, place, prepare, render
from grantflow.errors import UserError
from grantflow.fileio import system_problem
from grantflow.findings import condense
from grantflow.register import open_project_register, open_register
from grantflow.settings import load_settings
from grantflow.text import md_code, md_text

from flows.approval import (Decision, ResumedAnswer, await_approval, can_suspend, record_late_answer,
                            record_superseded_answers, resumed_answer, send_command, shown_name, tell_answer_kept,
                            tell_not_sent,
                            sent_meanwhile as approval_sent_meanwhile)
from flows.options import DeliveryOptions  # noqa: F401 - the flows' form, importable without Prefect
from flows.runtime import deployment_run, mistake_ends_run, smtp_password, worth_retrying


def _register_choices() -> tuple[list[str], list[str]]:
    """Project and council ids in the register ($GRANTFLOW_CONFIG or ./config), for the forms."""
    try:
        register = open_register(None)
    except Exception:  # noqa: BLE001 - no readable register here: free text in the form
        return [], []
    return sorted(register.projects), sorted(register.councils)


_PROJECTS, _COUNCILS = _register_choices()
# A choice in the Prefect UI (the deployment's parameter schema lists the register's ids; a server
# refuses other values). Read when the deployments are registered: after adding a project,
# restart `grantflow serve` or run `prefect deploy --all` again. Local calls accept any id: the
# register gives the clear error.
ProjectId = Annotated[str, Field(description="Prosjekt i registeret",
                                 json_schema_extra={"enum": _PROJECTS} if _PROJECTS else None)]
CouncilId = Annotated[str, Field(description="Regionråd i registeret",
                                 json_schema_extra={"enum": _COUNCILS} if _COUNCILS else None)]


def run_name() -> str:
    """'status-haugaland-velferdsteknologi-2016-10-07': kind, project (or council), period."""
    params = flow_run.parameters or {}
    subject = params.get("project") or params.get("council") or "alle"
    period = params.get("as_of") or params.get("period") or params.get("year") or ""
    return "-".join(str(p) for p in (flow_run.flow_name, subject, period) if p not in ("", None))


def _key(*parts) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(str(p) for p in parts if p).lower()).strip("-")[:120]


def register_for(options: DeliveryOptions, project: str | None):
    """The register a project's document needs: its own file and its council's, so a typo in
    another project's file does not stop it (the watch made no document at all on such a
    morning); a council-wide document (usage) reads every file."""
    return open_project_register(options.config, project) if project else open_register(options.config)


# A data file a person broke is one line (UserError), never retried (``worth_retrying``), and so
# never logged by Prefect with a traceback; any other failure is read again once.
@task(name="collect-and-check", cache_policy=NONE, retries=1, retry_delay_seconds=[5],
      retry_condition_fn=worth_retrying)
def collect_and_check(kind: str, project: str | None, council: str | None, period: str | None,
                      as_of: date | None, options: DeliveryOptions, today: date | None = None):
    """Read the register and the project's data files; stop on unreadable data."""
    settings = load_settings(options.config)
    register = register_for(options, project)
    # a folder inside the outputs folder gets the files only: the records there are the outputs folder's
    out = settings.records_dir(options.out)
    request, folder, notes = prepare(register, kind, project, council, period, as_of, today, out,
                                     settings.include_personal_data)
    if notes:
        # The findings are listed in the run's artifact; one log line says they exist.
        errors = sum(n.severity == "error" for n in notes)
        get_run_logger().info(f"{len(notes)} finding(s) in the data ({errors} error(s)); see the artifact")
    return request, folder, notes


@task(name="build-context", cache_policy=NONE, retries=1, retry_delay_seconds=[5],
      retry_condition_fn=worth_retrying)
def build(request):
    """Compute the figures and texts the template needs."""
    return build_context(request)


@task(name="render", cache_policy=NONE, retries=1, retry_delay_seconds=[5],
      retry_condition_fn=worth_retrying)
def render_document(request, context, folder, pdf: bool, notes) -> Produced:
    """Write the .docx (and PDF) atomically and record the version."""
    return render(request, context, folder, pdf=pdf, notes=notes)


def place_files(produced: Produced, options: DeliveryOptions):
    """The run's own folder inside the outputs folder (``options.out``) gets a copy of the files
    (``grantflow.documents.service.place``); None when the run writes to the outputs folder itself."""
    folder = load_settings(options.config).placed_in(options.out)
    return place(produced, folder) if folder is not None else None


@task(name="plan-delivery", cache_policy=NONE)
def plan_delivery(produced: Produced, options: DeliveryOptions) -> dict:
    """Who would get it now: preview, new recipients, those who have it, approval needed, transport."""
    settings = load_settings(options.config)
    register = register_for(options, produced.project)
    document = document_from(produced, register)
    project = register.project(produced.project) if produced.project else None
    council = register.council(produced.council)
    funders = funders_named(options.funders, register, project, council, produced.kind, produced.period,
                            settings.deadline_shift, unknown_ok=True)
    gone = sorted(set(options.funders) - {f.id for f in funders})
    if gone:
        # the watch started this run for a funder removed from config since: the others still get it
        get_run_logger().warning("funder(s) no longer in config, not sent to: %s", ", ".join(map(repr, gone)))
    ledger = SentLedger(settings.ledger_url())
    try:
        the_plan = plan(document, project, council, settings, ledger, options.resend, options.transport, funders)
        refused = rejection(ledger, document, norwegian=True)
    finally:
        ledger.close()
    return {"preview": the_plan.preview(), "new": len(the_plan.messages), "key": document.key,
            "already": [r.email for r in the_plan.already], "approval": the_plan.approval_required,
            "recipients": [m.recipient.email for m in the_plan.messages], "rejected": refused,
            "attachment_names": the_plan.attachment_names,
            "transport": options.transport or settings.delivery.transport}


def record_advance_approval(produced: Produced, planned: dict, options: DeliveryOptions) -> None:
    """Approval given in advance (``grantflow run --yes``, the run's ``approved``) recorded in the
    ledger like ``grantflow send --yes``: who gave it (the name given, else the login of whoever ran
    `grantflow run`, said so), their comment, and why despite errors in the data. A run started
    approved without a name (ticked in the Prefect UI) is recorded as approved by nobody known."""
    ledger = SentLedger(load_settings(options.config).ledger_url())
    try:
        issue(produced)
        # for the addresses the run is about to send to: a later unattended send to another address
        # is asked anew (``covers``)
        shown = planned.get("recipients", [])
        ledger.approval_requested(planned["key"], produced.version, None, None, produced.content_hash,
                                  recipients=shown)
        by, how = advance_approver(options, "grantflow run --yes")
        ledger.approval_decided(planned["key"], produced.version, True, by, how,
                                options.override_reason, produced.content_hash, recipients=shown)
    finally:
        ledger.close()


def advance_approver(options: DeliveryOptions, started: str) -> tuple[str, str]:
    """Who gave the approval in advance in ``options`` and how, as the ledger records it (name,
    how: the command or flow ``started``, the login marked as such, their comment). Without a name
    (``approved`` ticked in the Prefect UI, a scheduled batch) nobody known: "ukjent", never the
    run or the batch as if it were a person."""
    if options.approved_by:
        by = options.approved_by
        how = started + (" (navn fra innloggingen)" if options.approved_by_login else "")
    else:
        by, how = "ukjent", ("godkjent på forhånd (approved) uten navn" if started == "grantflow run --yes"
                             else f"{started} godkjent på forhånd (approved) uten navn")
    return by, how + (f": {options.approval_comment}" if options.approval_comment else "")


@task(name="deliver", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def deliver_document(produced: Produced, options: DeliveryOptions) -> DeliveryReport:
    """Send to everyone who does not have this version yet and record it in the ledger."""
    settings = load_settings(options.config)
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    report = send_produced(produced, register_for(options, produced.project), settings, transport_name, password,
                           options.resend, funders=options.funders, unknown_funders_ok=True)
    unsure = dict(report.uncertain)
    if len(report.failed) > len(unsure):
        get_run_logger().error("not delivered: " + "; ".join(by_reason([f for f in report.failed if f[0] not in unsure])))
    if unsure:
        get_run_logger().warning("may have arrived (check with the recipient before grantflow send --resend): "
                                 + "; ".join(by_reason(report.uncertain)))
    if report.pending:
        get_run_logger().error("pending: " + "; ".join(by_reason(report.pending)))
    if report.doubtful:
        get_run_logger().warning("possibly twice: " + "; ".join(by_reason(report.doubtful)))
    if report.unreached:
        get_run_logger().warning(unreached_text(report.unreached))
    return report


@task(name="tell-refused", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def tell_refused(produced: Produced, report: DeliveryReport, options: DeliveryOptions) -> list[str]:
    """A run on the server (a scheduled one: nobody watches it) had recipients refused by the mail
    server: the council's secretariat is told the same day, each address with the server's words
    and the config line it is written on, and what to do (found by an outside tester: they heard
    "Statusrapport uten prosjektleders rapportering" that day, and a day later only "det skyldes
    ikke dataene … se kjøringen i Prefect", the address not named). Once a day per document version."""
    from grantflow import clock
    from grantflow.delivery.service import make_transport, notify, refused_lines, uncertain_advice

    settings = load_settings(options.config)
    register = register_for(options, produced.project)
    council = register.council(produced.council)
    project = register.project(produced.project) if produced.project else None
    if not council.secretariat.email:
        return []
    title = _title(produced, register)
    total = len(report.failed) + len(report.pending) + len(report.sent) + len(report.skipped)
    # a mail the server took whole without a reply was not refused: it may have arrived
    unsure = dict(report.uncertain)
    refused = [f for f in report.failed if f[0] not in unsure]
    lines = [f"{title}, versjon {produced.version}, ble ikke levert til {len(refused)} av {total} mottakere; "
             "e-postserveren avviste dem:", *refused_lines(refused, register.root)] if refused else []
    if unsure:
        lines += [f"{title}, versjon {produced.version}: e-postserveren tok imot hele meldingen til {len(unsure)} av "
                  f"{total} mottakere, men svarte aldri:", *[f"- {email}: {uncertain_advice(email)}" for email in unsure]]
    name = options.transport or settings.delivery.transport
    ledger = SentLedger(settings.ledger_url())
    try:
        told = notify(f"refused/{report.document}/v{produced.version}",
                      clock.today().isoformat(),
                      (f"Ikke levert til {len(refused)} mottaker(e): {title}" if refused else
                       f"Kan ha kommet fram til {len(unsure)} mottaker(e): {title}"), lines, council.secretariat.name,
                      council.secretariat.email, project, council, settings, ledger,
                      make_transport(settings, name, smtp_password(settings) if name == "smtp" else None),
                      settings.delivery.retry)
    finally:
        ledger.close()
    return told.sent


def _cell(value):
    """A table artifact's cell: the Prefect UI renders every string cell as Markdown (its
    ArtifactDataTable hands a string to p-markdown-renderer), so text is literal there too."""
    return md_text(value) if isinstance(value, str) else value


def publish(produced: Produced, context, report: DeliveryReport | None, note: str) -> None:
    """Artifacts: a markdown summary, the milestone/budget tables and links to the files."""
    kind = get_kind(produced.kind)
    lines = [f"# {kind.title}: {produced.project or produced.council} ({produced.period})", "",
             f"- Dokument: [{produced.docx.name}]({produced.docx.resolve().as_uri()}) – versjon {produced.version}"
             + (" (uendret)" if produced.reused else "")]
    if produced.pdf:
        lines.append(f"- PDF: [{produced.pdf.name}]({produced.pdf.resolve().as_uri()})")
    if produced.pdf_message:
        lines.append(f"- {produced.pdf_message}")
    # text from people and from outside (names, data files, a mail server's answer) is literal
    # Markdown: never a link or an image the UI would fetch when the secretariat opens the run
    for key, value in produced.key_figures.items():
        lines.append(f"- {md_text(key)}: {md_text(value)}")
    if report is not None:
        lines.append(f"- Levering: {md_text(report.summary())}")
        unsure = dict(report.uncertain)
        lines += [f"  - ikke levert til {md_text(email)}: {md_code(reason)}" for email, reason in report.failed
                  if email not in unsure]
        lines += [f"  - kan ha kommet fram til {md_text(email)}: {md_code(reason)}; spør mottakeren før "
                  f"{md_code('grantflow send --resend')}" for email, reason in report.uncertain]
        lines += [f"  - venter (pending) for {md_text(email)}: {md_code(reason)}" for email, reason in report.pending]
        lines += [f"  - kanskje to ganger til {md_text(email)}: {md_code(reason)}" for email, reason in report.doubtful]
    if note:
        lines.append(f"- {md_text(note)}")
    if produced.findings:
        lines += ["", "## Funn i dataene", ""] + [f"- {md_code(f)}" for f in condense(produced.findings)]
    key = _key(produced.kind, produced.project or produced.council)
    create_markdown_artifact(markdown="\n".join(lines), key=key, description=f"{kind.title} {produced.period}")
    values = context.values
    if values.get("milestones") and isinstance(values["milestones"], list) and produced.kind in ("status", "final"):
        create_table_artifact(table=[{k: _cell(r.get(k, "")) for k in ("number", "event", "planned", "status", "actual")}
                                     for r in values["milestones"]], key=key + "-milestones",
                              description="Milepæler")
    economy = values.get("economy") or {}
    if economy.get("rows"):
        create_table_artifact(table=[{k: _cell(r[k]) for k in ("year", "category", "budget", "actual", "deviation")}
                                     for r in economy["rows"]], key=key + "-budget",
                              description=f"Budsjett og regnskap ({economy.get('unit_label', '')})")


def document_flow(kind: str, project: str | None = None, council: str | None = None, period: str | None = None,
                  as_of: date | None = None, options: DeliveryOptions | None = None,
                  today: date | None = None) -> dict:
    """The shared story of every document flow, its answer recorded first (``answer_first``)."""
    options = options or DeliveryOptions()
    return answer_first(options, lambda: document_steps(kind, project, council, period, as_of, options, today))


def answer_first(options: DeliveryOptions, steps: Callable[[], Any]):
    """A run's ``steps`` (a document flow's, the status cycle's), the answer it was resumed with
    recorded before them. A resumed run starts from the top: the inbox, the data, the render come
    again before the approval is reached, and a failure there (the inbox's work folder unusable, the
    .docx edited in Word meanwhile, a broken data file) ended the run with the approver's decision in
    Prefect only, the ledger saying "forespurt", and nobody told. Now it is in the ledger first;
    approved, and then stopped by any failure, the approver and the secretariat are told that nothing
    was sent and the run ends Failed with the one line (an exception other than UserError named by
    its type). The flow logs no traceback; Prefect logs one for a failing task unless its retry
    condition said no (``worth_retrying`` does for a UserError). A user's mistake that stops a run
    started from a deployment, the form's options refused first of all, is its one line
    (``mistake_ends_run``)."""
    return mistake_ends_run(lambda: _answer_first(options, steps))


def _answer_first(options: DeliveryOptions, steps: Callable[[], Any]):
    """``answer_first``'s work."""
    deployment_run(options)           # the form's options checked before anything is read
    answer = None
    if can_suspend():
        settings = load_settings(options.config)
        answer = resumed_answer(settings, settings.records_dir(options.out))
    try:
        out = steps()
    except Exception as exc:  # noqa: BLE001 - what was approved is told, whatever stopped it
        problem = None if isinstance(exc, UserError) else system_problem(exc)
        if answer is None:
            if problem:       # a full disk, a read-only folder: the line the command line gives, not a raw OSError
                raise UserError(problem) from None
            raise
        reason = " ".join((str(exc) if isinstance(exc, UserError) else problem or f"{type(exc).__name__}: {exc}").split())
        if not answer.decision.approved:
            # a "no" (or a yes without the reason the errors need): kept in the ledger, and the
            # secretariat told why the run stopped and where the answer is, in one line here
            told = answer_kept(answer, reason, options)
            what = "approved without the reason the errors need" if answer.decision.reason_missing else "rejected"
            line = (f"{reason} ({what} by {shown_name(answer.decision.approver) or 'unknown'}: kept in the sent "
                    "ledger (grantflow sent)" + (", not in the document's record" if answer.unrecorded else "")
                    + "; nothing sent; " + (told or "the secretariat is told by mail") + ")")
            get_run_logger().error(line)
            return Failed(message=line)
        told = approved_not_sent(answer, reason, options)
        line = (f"{reason} (approved by {shown_name(answer.decision.approver) or 'unknown'}; nothing sent; "
                + (told or "the approver and the secretariat are told by mail") + ")")
        get_run_logger().error(line)
        return Failed(message=line)          # the one line: no traceback in serve's log
    result = getattr(out, "data", None) if getattr(out, "is_failed", lambda: False)() else None
    if answer is not None and answer.decision.approved and isinstance(result, dict) and \
            (result.get("failed") or result.get("pending")):
        # approved, and the mail server refused recipients: the approver is told too (the
        # secretariat has tell_refused's mail of the addresses, or this one when none was refused)
        told = approved_not_sent(answer, out.message or "", options, result)
        if told:
            get_run_logger().error(told)
    return out


def _answered_document(answer: ResumedAnswer, options: DeliveryOptions) -> tuple:
    """(project or None, council, the mail's title) of the document ``answer`` is about."""
    council_id, project_id, name = answer.document_key.split("/", 2)
    kind, _, period = name.partition("-")
    register = register_for(options, None if project_id == "-" else project_id)
    project = register.project(project_id) if project_id != "-" else None
    council = register.council(council_id)
    return project, council, f"{get_kind(kind).title}: {project.name if project else council.name} ({period})"


def answer_kept(answer: ResumedAnswer, reason: str, options: DeliveryOptions) -> str:
    """The secretariat (and the approver, when another) told that the run given this "no" stopped
    (``reason``) and that the answer is kept in the sent ledger; see ``flows.approval.tell_answer_kept``.
    Whom it could not tell, and why ("" none)."""
    settings = load_settings(options.config)
    try:
        project, council, title = _answered_document(answer, options)
        return tell_answer_kept(answer, reason, title, project, council, settings,
                                options.transport or settings.delivery.transport)
    except UserError as exc:       # the register itself is what is broken: the run's message says it
        return f"nobody told: {exc}"


def approved_not_sent(answer: ResumedAnswer, reason: str, options: DeliveryOptions, result: dict | None = None) -> str:
    """The approver and the secretariat told that the document approved in this run was not sent
    (``reason``: the one line that stopped it) or not to everyone (``result``'s failed and pending
    recipients); see ``flows.approval.tell_not_sent``. Whom it could not tell, and why ("" none)."""
    settings = load_settings(options.config)
    try:
        project, council, title = _answered_document(answer, options)
        # of "failed", those whose whole message the server took without a reply may have it: apart
        unsure = [e for e, _ in result.get("uncertain") or []] if result else []
        missing = [*[f for f in result.get("failed", []) if f[0] not in unsure], *result.get("pending", [])] \
            if result else []
        return tell_not_sent(answer, reason, title, project, council, settings,
                             options.transport or settings.delivery.transport,
                             sent=result.get("sent", []) if result else None, missing=len(missing),
                             secretariat_told=bool(result and result.get("failed")), unsure=unsure)
    except UserError as exc:       # the register itself is what is broken: the run's message says it
        return f"nobody told: {exc}"


def document_steps(kind: str, project: str | None, council: str | None, period: str | None, as_of: date | None,
                   options: DeliveryOptions, today: date | None) -> dict:
    """Collect, check, render, approve, deliver, record: a document flow's steps (``answer_first``
    around them)."""
    request, folder, notes = collect_and_check(kind, project, council, period, as_of, options, today)
    context = build(request)
    produced = render_document(request, context, folder, options.pdf, notes)
    placed = place_files(produced, options)
    report, note, decision, rejected, conflict = None, "", None, False, None
    late_rejection = held_for_errors = told = reason_missing = False
    planned = None
    if options.send:
        try:
            planned = plan_delivery(produced, options)
        except ContentConflict as exc:   # this document's error: nothing sent, the run fails with it
            conflict = exc
            note = f"Ikke sendt: {exc}"
    superseded = ""
    if planned is not None and can_suspend():
        # an answer this run was given for content it no longer sends (the data changed meanwhile)
        superseded = superseded_answers(produced, planned, options)
    if planned is not None:
        gate = clearance(produced.findings, planned["approval"], planned["transport"])
        errors, needs_approval = gate.errors, gate.needs_person
        # approval given in advance does not undo an approver's rejection of this content
        given = gate.given(options.approved, options.override_reason) and not planned.get("rejected")
        if planned["new"] == 0:
            note = "Ingen nye mottakere: alle har allerede denne versjonen."
            report = DeliveryReport(planned["key"], produced.version, planned["transport"],
                                    skipped=planned["already"])
            if needs_approval:
                # this run may have asked an approver, and the document went out meanwhile (sent by
                # hand): the answer is recorded and shown, a "no" told to the secretariat
                late = late_answer(produced, planned, options)
                if late:
                    # this run asked, and the document went out by another run or by hand before
                    # the answer came: which one, and that nobody got it twice
                    note = (f"Ikke sendt på nytt: {planned['key']} versjon {produced.version} var sendt før svaret "
                            "kom; alle mottakerne har den, ingen fikk den to ganger. " + late)
                    late_rejection = late.startswith("Avvist")
                    told = True
        elif needs_approval and not given:
            if can_suspend():
                decision = approve(produced, planned, options)
                if decision.reason_missing:
                    # approved, but not for sending despite the errors: nobody rejected it
                    reason_missing = True
                    note = (f"Ikke sendt: {decision.text()}. Dataene har {len(errors)} feil, og utsending krever en "
                            "begrunnelse for å overstyre dem (feltet «override_reason»; spurt tre ganger). Kjør "
                            "flyten på nytt og gi en begrunnelse, rett dataene, eller send med: "
                            f"{send_command(planned['key'], load_settings(options.config), options.out)} --yes "
                            "--override-reason \"begrunnelse\"")
                elif not decision.approved:
                    rejected = True
                    note = f"{decision.text()}; ikke sendt."
            elif planned.get("rejected"):
                rejected = True
                note = f"Ikke sendt: {planned['rejected'][:1].upper()}{planned['rejected'][1:]}"
            else:
                held_for_errors = bool(errors and options.approved)
                note = ("Ikke sendt: dataene har feil; send med --yes og en begrunnelse "
                        "(--override-reason \"begrunnelse\"), eller rett dataene."
                        if errors and options.approved else
                        "Ikke sendt: venter på godkjenning. Kjør via Prefect-serveren (grantflow serve) for "
                        "godkjenning i grensesnittet, eller godkjenn på forhånd med --yes.")
        if report is None and not note:
            if needs_approval and decision is None:       # given in advance: recorded as such
                record_advance_approval(produced, planned, options)
            report = deliver_document(produced, options)
            if decision is not None:
                note = decision.text()
                # recipients this run was approved for and found served: another run sent it meanwhile
                raced = sent_meanwhile(produced, planned, report, options) if decision.approved else ""
                if raced:
                    get_run_logger().warning(raced)
                    note = f"{raced} Svaret til denne kjøringen: {note}."
                    told = True
            elif errors and given:
                note = f"Sendt tross feil i dataene: {options.override_reason}"
    if superseded:
        note = f"{note} {superseded}".strip()
    if options._ignored:
        # the run's parameters claimed approval nobody on the machine gave: the record says so
        note = f"{options._ignored}. {note}".strip()
    publish(produced, context, report, note)
    result = {
        "kind": kind, "project": produced.project, "council": produced.council, "period": produced.period,
        "docx": str(placed or produced.docx), "pdf": str(produced.pdf) if produced.pdf else None,
        "version": produced.version, "reused": produced.reused,
        "sent": report.sent if report else [], "skipped": report.skipped if report else [],
        "failed": report.failed if report else [], "pending": report.pending if report else [], "note": note,
        # of "failed": the server took the whole message and never replied (it may have arrived)
        "uncertain": report.uncertain if report else [],
        # a cost split's paying municipalities without a contact address: not sent to
        "unreached": report.unreached if report else [],
        "findings": [str(f) for f in produced.findings],
        "approval": decision.text() if decision else None, "rejected": rejected,
        "held_for_errors": held_for_errors,
    }
    if conflict is not None:
        raise conflict   # after the artifact: the run is Failed with this one line
    if rejected:
        # not green: a rejected document is not "done"
        return Cancelled(message=note, data=result)
    if reason_missing:
        # not sent and not rejected: someone has to act (give the reason), so not done -- the
        # deadline watch runs it again, `grantflow run` exits 1 with this line
        return Failed(message=note, data=result)
    if late_rejection or told:
        # done (everyone has it), with the objection, or what another run sent meanwhile, in the
        # run's final message for whoever looks
        return Completed(message=note, data=result)
    if report is not None and (report.failed or report.pending) and deployment.id:
        # On a server the run's state is what the deadline watch and `grantflow run` go by: a run
        # that left a recipient without the document is not done. Failed, naming who lacks it, so
        # the watch runs it again (reaching only them); run here, the caller reads failed/pending.
        # each reason once, its recipients grouped as `grantflow send` says them (`grantflow run`
        # printed this as one line of ~900 characters, one reason repeated per recipient)
        # a mail the server took whole without a reply is said as "may have arrived", as `grantflow
        # sent` says it: "not delivered to" only for the refused and the pending (a run whose one
        # unanswered mail had arrived read "not delivered to 1 of 5", and the recipient was sent it again)
        if report.failed:
            try:
                tell_refused(produced, report, options)
            except Exception as exc:  # noqa: BLE001 - the run's own message still names them
                get_run_logger().error(f"the secretariat could not be told of the refused addresses: {exc}")
        return Failed(message=report.undelivered_line(), data=result)
    return result


def _title(produced: Produced, register) -> str:
    # the approver reads the project's (or council's) name, as the recipients will, not its id
    named = register.project(produced.project).name if produced.project else register.council(produced.council).name
    return f"{get_kind(produced.kind).title}: {named} ({produced.period})"


def late_answer(produced: Produced, planned: dict, options: DeliveryOptions) -> str:
    """This run's approval form answered after the document went out: recorded and told (see
    ``flows.approval.record_late_answer``); "" when there is none."""
    if not can_suspend():
        return ""
    settings = load_settings(options.config)
    register = register_for(options, produced.project)
    project = register.project(produced.project) if produced.project else None
    return record_late_answer(planned["key"], produced.version, _title(produced, register), produced.content_hash,
                              project, register.council(produced.council), settings, planned["transport"])


def sent_meanwhile(produced: Produced, planned: dict, report: DeliveryReport, options: DeliveryOptions) -> str:
    """Whom this approved run meant to send to and found served by another run meanwhile, said in
    one line (see ``flows.approval.sent_meanwhile``); "" when it sent to them itself."""
    planned_to = {r.casefold() for r in planned.get("recipients", [])}
    served = [email for email in report.skipped if email.casefold() in planned_to]
    if not served:
        return ""
    register = register_for(options, produced.project)
    return approval_sent_meanwhile(planned["key"], produced.version, _title(produced, register),
                                   produced.content_hash, served, load_settings(options.config))


def superseded_answers(produced: Produced, planned: dict, options: DeliveryOptions) -> str:
    """This run's form answered for content it no longer sends: recorded (see
    ``flows.approval.record_superseded_answers``); "" when there is none."""
    return record_superseded_answers(planned["key"], produced.version, produced.content_hash,
                                     load_settings(options.config))


def approve(produced: Produced, planned: dict, options: DeliveryOptions) -> Decision:
    """Ask the approver and wait (suspended) for the decision."""
    settings = load_settings(options.config)
    register = register_for(options, produced.project)
    project = register.project(produced.project) if produced.project else None
    findings = [str(f) for f in condense(produced.findings)]
    errors = sum(f.severity == "error" for f in produced.findings)
    title = _title(produced, register)
    # named as the recipients' copies are ("soknad-….docx"), not by the file's own name
    paths = [p for p in (produced.docx, produced.pdf) if p]
    names = planned.get("attachment_names") or [p.name for p in paths]
    attachments = tuple(zip(paths, names)) if len(names) == len(paths) else tuple(paths)
    issue(produced)     # put before an approver: this number is no longer free for other content
    # told to the approver: the run's parameters claimed an approval nobody on the machine gave
    preview = planned["preview"] + (f"\n\n{options._ignored}." if options._ignored else "")
    return await_approval(planned["key"], produced.version, title, preview, findings, errors, project,
                          register.council(produced.council), settings, planned["transport"], attachments,
                          options.approval_timeout_seconds, produced.content_hash,
                          tuple(planned.get("recipients", ())), docx=produced.docx)


@flow(name="application", flow_run_name=run_name)
def application(project: ProjectId, year: int | None = None, as_of: date | None = None,
                options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Søknad om skjønnsmidler for a project, to the county governor (dated ``as_of``, default today)."""
    return document_flow("application", project=project, period=str(year) if year else None, as_of=as_of,
                         options=options)


# retried once, never for a UserError (``worth_retrying``): Prefect logs a failing step's
# traceback unless its retry condition said no
@task(name="take-returned-workbooks", cache_policy=NONE, retries=1, retry_delay_seconds=[5],
      retry_condition_fn=worth_retrying)
def take_returned_workbooks(project: str | None, config: str | None) -> list[str]:
    """Import the workbooks saved in config/inbox/ (this project's, or all) before the data is read;
    a status cycle waiting for one of these projects' leaders is resumed (the answer is in the files)."""
    import os
    from pathlib import Path

    from grantflow.intake import process_inbox
    from grantflow.register import display_path

    from flows.status_cycle import resume_answered

    try:
        items = process_inbox(config, project)
    except OSError as exc:
        if exc.filename is None:
            raise
        # the inbox or its work folder cannot be used (inbox/.arbeid a file, no right to write): as
        # `grantflow inbox` says it, one line naming the path
        raise UserError(f"returned workbooks not taken in: {exc.strerror or type(exc).__name__}",
                        file=display_path(Path(os.fsdecode(exc.filename2 or exc.filename)))) from exc
    logger = get_run_logger()
    for item in items:
        errors = [str(f) for f in item.findings if f.severity == "error"]
        (logger.warning if errors else logger.info)(
            f"inbox: {item.file} {item.outcome} → {item.moved_to}" + (f" ({errors[0]})" if errors else ""))
    resumed = resume_answered(items) if items else []
    for line in resumed:
        logger.info(f"inbox: {line}")
    return [f"{item.outcome}: {item.file}" for item in items] + resumed


@flow(name="status_report", flow_run_name=run_name)
def status_report(project: ProjectId, as_of: date | None = None, period: str | None = None,
                  options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Statusrapport to the steering group (returned workbooks in config/inbox/ are taken in first)."""
    def steps():
        take_returned_workbooks(project, options.config)
        return document_steps("status", project, None, period, as_of, options, None)

    # the form's config checked before the inbox (refused untouched), the answer recorded before it
    return answer_first(options, steps)


@flow(name="final_report", flow_run_name=run_name)
def final_report(project: ProjectId, as_of: date | None = None, options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Sluttrapport to the county governor and the steering group leader."""
    return document_flow("final", project=project, as_of=as_of, options=options)


@flow(name="grant_usage_report", flow_run_name=run_name)
def grant_usage_report(council: CouncilId, year: int, as_of: date | None = None,
                       options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Rapportering om bruk av skjønnsmidler per 31.12 for a council (dated ``as_of``, default today)."""
    return document_flow("usage", council=council, period=str(year), as_of=as_of, options=options)


@flow(name="cost_split", flow_run_name=run_name)
def cost_split(project: ProjectId, year: int | None = None, as_of: date | None = None,
               options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Kostnadsfordeling per municipality, the basis for invoicing (dated ``as_of``, default today)."""
    return document_flow("costsplit", project=project, period=str(year) if year else None, as_of=as_of,
                         options=options)


FLOWS = {"application": application, "status": status_report, "final": final_report,
         "usage": grant_usage_report, "costsplit": cost_split}


if __name__ == "__main__":
    # Serve every document flow from this process (see `grantflow serve` for scheduled mode).
    from prefect import serve

    serve(*(f.to_deployment(name=name) for name, f in FLOWS.items()))
