"""The document flows: collect → validate → build context → render (+PDF) → approve → deliver → record.

Each flow is a thin story over the domain package; the steps are tasks, retries sit on the steps
that touch the outside (rendering to PDF, sending mail). Configuration a person chooses is a
pydantic model (``DeliveryOptions``), so the Prefect UI shows it as a form.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from prefect import flow, get_run_logger, pause_flow_run, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.input import RunInput
from prefect.runtime import flow_run
from pydantic import BaseModel, Field

from grantflow.delivery.ledger import SentLedger
from grantflow.delivery.service import DeliveryReport, document_from, plan, send_produced
from grantflow.documents import kind as get_kind
from grantflow.documents.service import Produced, build_context, prepare, render
from grantflow.register import open_register
from grantflow.settings import load_settings

from flows.runtime import smtp_password


class DeliveryOptions(BaseModel):
    """How a document flow delivers (a form in the Prefect UI)."""

    send: bool = Field(True, description="Send the document; off = only produce it.")
    transport: Literal["outbox", "smtp"] | None = Field(None, description="Default: from config/grantflow.yaml.")
    pdf: bool = Field(False, description="Also make a PDF (needs LibreOffice on the worker).")
    resend: bool = Field(False, description="Send even to recipients who already have this version.")
    approved: bool = Field(False, description="Approval given in advance (otherwise external sending pauses).")
    approval_timeout_seconds: int = Field(3600, description="How long to wait for approval in the UI.")
    config: str | None = Field(None, description="Config folder; default $GRANTFLOW_CONFIG or ./config.")
    out: str | None = Field(None, description="Outputs folder; default from config.")


class Approval(RunInput):
    """The approver's answer in the Prefect UI."""

    approve: bool = False
    comment: str = ""


def run_name() -> str:
    """'status-haugaland-velferdsteknologi-2016-10-07': kind, project (or council), period."""
    params = flow_run.parameters or {}
    subject = params.get("project") or params.get("council") or "alle"
    period = params.get("as_of") or params.get("period") or params.get("year") or ""
    return "-".join(str(p) for p in (flow_run.flow_name, subject, period) if p not in ("", None))


def _key(*parts) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(str(p) for p in parts if p).lower()).strip("-")[:120]


@task(name="collect-and-check", cache_policy=NONE)
def collect_and_check(kind: str, project: str | None, council: str | None, period: str | None,
                      as_of: date | None, options: DeliveryOptions, today: date | None = None):
    """Read the register and the project's data files; stop on unreadable data."""
    settings = load_settings(options.config)
    register = open_register(options.config)
    out = options.out or settings.outputs_dir()
    request, folder, notes = prepare(register, kind, project, council, period, as_of, today, out,
                                     settings.include_personal_data)
    if notes:
        # The findings are listed in the run's artifact; one log line says they exist.
        errors = sum(n.severity == "error" for n in notes)
        get_run_logger().info(f"{len(notes)} finding(s) in the data ({errors} error(s)); see the artifact")
    return request, folder, notes


@task(name="build-context", cache_policy=NONE)
def build(request):
    """Compute the figures and texts the template needs."""
    return build_context(request)


@task(name="render", cache_policy=NONE, retries=1, retry_delay_seconds=[5])
def render_document(request, context, folder, pdf: bool, notes) -> Produced:
    """Write the .docx (and PDF) atomically and record the version."""
    return render(request, context, folder, pdf=pdf, notes=notes)


@task(name="plan-delivery", cache_policy=NONE)
def plan_delivery(produced: Produced, options: DeliveryOptions) -> dict:
    """Who would get it now: preview, new recipients, those who have it, approval needed, transport."""
    settings = load_settings(options.config)
    register = open_register(options.config)
    document = document_from(produced, register)
    project = register.project(produced.project) if produced.project else None
    ledger = SentLedger(settings.ledger_url())
    try:
        the_plan = plan(document, project, register.council(produced.council), settings, ledger, options.resend)
    finally:
        ledger.close()
    return {"preview": the_plan.preview(), "new": len(the_plan.messages), "key": document.key,
            "already": [r.email for r in the_plan.already], "approval": the_plan.approval_required,
            "transport": options.transport or settings.delivery.transport}


@task(name="deliver", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60])
def deliver_document(produced: Produced, options: DeliveryOptions) -> DeliveryReport:
    """Send to everyone who does not have this version yet and record it in the ledger."""
    settings = load_settings(options.config)
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    report = send_produced(produced, open_register(options.config), settings, transport_name, password,
                           options.resend)
    if report.failed:
        get_run_logger().error("not delivered: " + "; ".join(f"{e}: {r}" for e, r in report.failed))
    return report


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
    for key, value in produced.key_figures.items():
        lines.append(f"- {key}: {value}")
    if report is not None:
        lines.append(f"- Levering: {report.summary()}")
        lines += [f"  - ikke levert til {email}: {reason}" for email, reason in report.failed]
    if note:
        lines.append(f"- {note}")
    if produced.findings:
        lines += ["", "## Funn i dataene", ""] + [f"- `{f}`" for f in produced.findings]
    key = _key(produced.kind, produced.project or produced.council)
    create_markdown_artifact(markdown="\n".join(lines), key=key, description=f"{kind.title} {produced.period}")
    values = context.values
    if values.get("milestones") and isinstance(values["milestones"], list) and produced.kind in ("status", "final"):
        create_table_artifact(table=[{k: r.get(k, "") for k in ("number", "event", "planned", "status", "actual")}
                                     for r in values["milestones"]], key=key + "-milestones",
                              description="Milepæler")
    economy = values.get("economy") or {}
    if economy.get("rows"):
        create_table_artifact(table=[{k: r[k] for k in ("year", "category", "budget", "actual", "deviation")}
                                     for r in economy["rows"]], key=key + "-budget",
                              description=f"Budsjett og regnskap ({economy.get('unit_label', '')})")


def document_flow(kind: str, project: str | None = None, council: str | None = None, period: str | None = None,
                  as_of: date | None = None, options: DeliveryOptions | None = None,
                  today: date | None = None) -> dict:
    """The shared story of every document flow."""
    options = options or DeliveryOptions()
    request, folder, notes = collect_and_check(kind, project, council, period, as_of, options, today)
    context = build(request)
    produced = render_document(request, context, folder, options.pdf, notes)
    report, note = None, ""
    if options.send:
        planned = plan_delivery(produced, options)
        if planned["new"] == 0:
            note = "Ingen nye mottakere: alle har allerede denne versjonen."
            report = DeliveryReport(planned["key"], produced.version, planned["transport"],
                                    skipped=planned["already"])
        elif planned["approval"] and planned["transport"] != "outbox" and not options.approved:
            answer = pause_flow_run(
                wait_for_input=Approval.with_initial_data(
                    description=f"**Godkjenn utsending**\n\n```\n{planned['preview']}\n```", approve=False),
                timeout=options.approval_timeout_seconds)
            if not answer.approve:
                note = "Ikke godkjent" + (f": {answer.comment}" if answer.comment else "") + "; ikke sendt."
        if report is None and not note:
            report = deliver_document(produced, options)
    publish(produced, context, report, note)
    return {
        "kind": kind, "project": produced.project, "council": produced.council, "period": produced.period,
        "docx": str(produced.docx), "pdf": str(produced.pdf) if produced.pdf else None,
        "version": produced.version, "reused": produced.reused,
        "sent": report.sent if report else [], "skipped": report.skipped if report else [],
        "failed": report.failed if report else [], "note": note,
        "findings": [str(f) for f in produced.findings],
    }


@flow(name="application", flow_run_name=run_name)
def application(project: str, year: int | None = None, options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Søknad om skjønnsmidler for a project, to the county governor."""
    return document_flow("application", project=project, period=str(year) if year else None, options=options)


@task(name="take-returned-workbooks", cache_policy=NONE)
def take_returned_workbooks(project: str | None, config: str | None) -> list[str]:
    """Import the workbooks saved in config/inbox/ (this project's, or all) before the data is read."""
    from grantflow.intake import process_inbox

    items = process_inbox(config, project)
    logger = get_run_logger()
    for item in items:
        errors = [str(f) for f in item.findings if f.severity == "error"]
        (logger.warning if errors else logger.info)(
            f"inbox: {item.file} {item.outcome} → {item.moved_to}" + (f" ({errors[0]})" if errors else ""))
    return [f"{item.outcome}: {item.file}" for item in items]


@flow(name="status_report", flow_run_name=run_name)
def status_report(project: str, as_of: date | None = None, period: str | None = None,
                  options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Statusrapport to the steering group (returned workbooks in config/inbox/ are taken in first)."""
    take_returned_workbooks(project, options.config)
    return document_flow("status", project=project, period=period, as_of=as_of, options=options)


@flow(name="final_report", flow_run_name=run_name)
def final_report(project: str, as_of: date | None = None, options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Sluttrapport to the county governor and the steering group leader."""
    return document_flow("final", project=project, as_of=as_of, options=options)


@flow(name="grant_usage_report", flow_run_name=run_name)
def grant_usage_report(council: str, year: int, options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Rapportering om bruk av skjønnsmidler per 31.12 for a council."""
    return document_flow("usage", council=council, period=str(year), options=options)


@flow(name="cost_split", flow_run_name=run_name)
def cost_split(project: str, year: int | None = None, options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Kostnadsfordeling per municipality, the basis for invoicing."""
    return document_flow("costsplit", project=project, period=str(year) if year else None, options=options)


FLOWS = {"application": application, "status": status_report, "final": final_report,
         "usage": grant_usage_report, "costsplit": cost_split}


if __name__ == "__main__":
    # Serve every document flow from this process (see `grantflow serve` for scheduled mode).
    from prefect import serve

    serve(*(f.to_deployment(name=name) for name, f in FLOWS.items()))
