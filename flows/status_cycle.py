"""The status cycle as one flow: ask the project leader, wait (suspended) for the answer, then report.

1. Returned workbooks in ``config/inbox/`` are taken in first (an answer by e-mail counts).
2. The project leader is mailed once per run: a link to this run's form in the Prefect UI and,
   attached, the pre-filled workbook (same content) for those who prefer Excel.
3. The run *suspends* (no process held) on a form pre-filled with the last values (``StatusForm``).
4. The answer is checked like a returned workbook; findings go back to the leader in the form's
   next round (up to three), not as a traceback. A clean answer is written to the data files (who
   and when kept), then the status report is rendered, approved where needed (data errors) and sent.

The wait and the UI link are the approval machinery's (``flows.approval``): one mechanism.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from pydantic import create_model

from grantflow.errors import UserError
from grantflow.fileio import atomic_write
from grantflow.intake import apply, make_workbook
from grantflow.register import open_register
from grantflow.settings import load_settings
from grantflow.statusform import StatusForm, initial_form, plan_form

from flows.approval import can_suspend, ui_link
from flows.documents import DeliveryOptions, document_flow, run_name, take_returned_workbooks
from flows.runtime import smtp_password

OSLO = ZoneInfo("Europe/Oslo")
ROUNDS = 3

# The form the UI renders: StatusForm's fields on Prefect's RunInput.
StatusInput = create_model("StatusInput", __base__=RunInput, __doc__=StatusForm.__doc__,
                           **{name: (info.annotation, info) for name, info in StatusForm.model_fields.items()})


@task(name="request-status-input", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60])
def request_input(project_id: str, as_of: date, options: DeliveryOptions) -> str:
    """Mail the project leader the form link and the pre-filled workbook (once per run)."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import make_transport, notify

    settings = load_settings(options.config)
    register = open_register(options.config)
    project = register.project(project_id)
    workbook = Path(options.out or settings.outputs_dir()) / "arbeidsboker" / f"{project_id}-{as_of.isoformat()}.xlsx"
    atomic_write(workbook, make_workbook(register, project_id, as_of))
    link = ui_link()
    lines = [f"Statusrapporten for {project.name} skal snart til styringsgruppen. Vi trenger din rapportering "
             f"for perioden (status per {as_of:%d.%m.%Y}).",
             f"Svar i skjemaet her: {link}" if link else "Svar i Prefect-grensesnittet (kjøringen står som «Suspended»).",
             "Foretrekker du Excel: fyll inn vedlagte arbeidsbok og send den tilbake til sekretariatet.",
             "Feltene er fylt ut med det du rapporterte sist; endre det som er nytt."]
    transport_name = options.transport or settings.delivery.transport
    password = smtp_password(settings) if transport_name == "smtp" else None
    ledger = SentLedger(settings.ledger_url())
    try:
        report = notify(f"status-input/{project_id}/{as_of.isoformat()}", str(flow_run.id or "local"),
                        f"Statusrapportering: {project.name}", lines, project.leader.name, project.leader.email or "",
                        project, register.council_of(project), settings, ledger,
                        make_transport(settings, transport_name, password), settings.delivery.retry,
                        attachments=(workbook,))
    finally:
        ledger.close()
    return report.summary()


@task(name="write-status-input", cache_policy=NONE)
def write_input(project_id: str, as_of: date, answer: dict, offered: dict, options: DeliveryOptions) -> list[str]:
    """Check the answer; write it when clean. The findings (empty when written)."""
    register = open_register(options.config)
    result = plan_form(register, project_id, StatusForm.model_validate(answer), as_of,
                       base=StatusForm.model_validate(offered), now=datetime.now(OSLO).replace(microsecond=0))
    if result.ok:
        apply(result)
        return []
    return [str(f) for f in result.findings if f.severity == "error"]


@flow(name="status_cycle", flow_run_name=run_name)
def status_cycle(project: str, as_of: date | None = None, options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Ask the project leader for this period's status, wait for the answer, then send the report."""
    as_of = as_of or datetime.now(OSLO).date()
    take_returned_workbooks(project, options.config)
    if not can_suspend():
        raise UserError("the status cycle waits for people: run it as a deployment ('grantflow serve')",
                        field="status_cycle")
    register = open_register(options.config)
    offered = initial_form(register, project, as_of)
    request_input(project, as_of, options)           # a resumed run starts from the top: notify() sends once
    note = ""
    for attempt in range(ROUNDS):
        description = ("**Statusrapportering** – fyll inn og send. Feltene viser det som ble rapportert sist."
                       + (f"\n\n**Rett dette og send igjen:**\n\n" + "\n".join(f"- `{f}`" for f in note.splitlines())
                          if note else ""))
        answer = suspend_flow_run(wait_for_input=StatusInput.with_initial_data(description=description,
                                                                                **offered.model_dump()),
                                  key=f"status-input-{as_of.isoformat()}-{attempt}")
        values = {name: getattr(answer, name) for name in StatusForm.model_fields}
        problems = write_input(project, as_of, StatusForm.model_validate(values).model_dump(),
                               offered.model_dump(), options)
        if not problems:
            break
        note = "\n".join(problems)
        get_run_logger().warning(f"the answer has {len(problems)} finding(s); asking again")
    else:
        raise UserError(f"no clean answer after {ROUNDS} rounds: {note.splitlines()[0]}", field="status_cycle")
    # Rendered, approved where the data or the kind needs it, and sent, inside this run: an approval
    # suspends this (deployment) run, which a subflow could not.
    return document_flow("status", project=project, as_of=as_of, options=options)
