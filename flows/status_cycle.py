"""The status cycle as one flow: ask the project leader, wait (suspended) for the answer, then report.

1. Returned workbooks in ``config/inbox/`` are taken in first (an answer by e-mail counts).
2. The project leader is mailed once per run: a link to this run's form in the Prefect UI and,
   attached, the pre-filled workbook (same content) for those who prefer Excel.
3. The run *suspends* (no process held) on a form pre-filled with the last values (``StatusForm``).
4. The answer is checked like a returned workbook; findings go back to the leader in the form's
   next round (up to three), not as a traceback. A clean answer is written to the data files (who
   and when kept), then the status report is rendered, approved where needed (data errors) and sent.

5. No answer: ``deadline_watch`` (every morning) reminds the leader once ``status_cycle.reminder_days``
   working days before the send date and, on the send date, records the period's note as not
   reported and resumes the run with ``via="ingen svar"``: the report goes out saying "ikke
   rapportert" and the secretariat is told. A workbook returned to ``config/inbox/`` resumes it with
   ``via="arbeidsbok"`` (the data is already imported). Anyone who reaches the form can send a
   ``via``: it is believed only when the notes file bears it out (``statusform.unbacked_claim``).

The wait and the UI link are the approval machinery's (``flows.approval``): one mechanism.
"""

# No `from __future__ import annotations` here: `grantflow serve` hands Prefect's runner the flow
# objects, which pickles the flow functions by value; their parameter annotations must be real
# types, not names (tests/flows/test_served_flows.py).

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from prefect.states import Completed
from pydantic import Field, create_model

from grantflow.clock import OSLO
from grantflow import clock
from grantflow.errors import UserError
from grantflow.fileio import atomic_write
from grantflow.findings import condense
from grantflow import fmt
from grantflow.intake import apply, issue_workbook, record_no_answer, register_lock
from grantflow.register import open_register
from grantflow.settings import load_settings
from grantflow.statusform import VIA_NONE, VIA_WORKBOOK, StatusForm, initial_form, period_note, plan_form, unbacked_claim
from grantflow.text import md_code

from flows.approval import can_suspend, ui_link
from flows.documents import DeliveryOptions, answer_first, document_steps, run_name, take_returned_workbooks
from flows.runtime import smtp_password, worth_retrying

ROUNDS = 3
KEY = "status-input"                      # the suspension key's prefix: a run waiting for the leader
OFFERED = "status-offered"                # the run input holding the form as first offered
VIA_FORM = "skjema"

# The form the UI renders: StatusForm's fields on Prefect's RunInput, and how the answer came.
StatusInput = create_model(
    "StatusInput", __base__=RunInput, __doc__=StatusForm.__doc__,
    **{name: (info.annotation, info) for name, info in StatusForm.model_fields.items()},
    via=(Literal[VIA_FORM, VIA_WORKBOOK, VIA_NONE],
         Field(VIA_FORM, description="Hvordan svaret kom. Settes av grantflow; la stå som «skjema».")))


@task(name="request-status-input", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def request_input(project_id: str, as_of: date, options: DeliveryOptions) -> str:
    """Mail the project leader the form link and the pre-filled workbook (once per run)."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import make_transport, notify

    settings = load_settings(options.config)
    register = open_register(options.config)
    project = register.project(project_id)
    workbook = Path(options.out or settings.outputs_dir()) / "arbeidsboker" / f"{project_id}-{as_of.isoformat()}.xlsx"
    atomic_write(workbook, issue_workbook(options.config, project_id, as_of,
                                          how=f"statusrunde {flow_run.id or 'lokal'}: e-post med arbeidsbok"))
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


# A user-caused failure (a UserError: the data folder cannot be written to, the register broken)
# is never retried, and so never logged by Prefect with a traceback (``worth_retrying``)
@task(name="write-status-input", cache_policy=NONE, retries=1, retry_delay_seconds=[5],
      retry_condition_fn=worth_retrying)
def write_input(project_id: str, as_of: date, answer: dict, offered: dict, options: DeliveryOptions,
                offered_at: datetime | None = None) -> list[str]:
    """Check the answer; write it when clean. The findings (empty when written)."""
    try:
        with register_lock(options.config):      # as an import does: never interleaved with another
            register = open_register(options.config)
            result = plan_form(register, project_id, StatusForm.model_validate(answer), as_of,
                               base=StatusForm.model_validate(offered), now=datetime.now(OSLO).replace(microsecond=0),
                               offered_at=offered_at)
            if result.ok:
                apply(result)
    except OSError as exc:
        raise UserError(_unwritable(exc)) from None
    if result.ok:
        return []
    return [str(f) for f in condense([f for f in result.findings if f.severity == "error"])]


def _unwritable(exc: OSError) -> str:
    """One line for a file or folder the answer could not be written to: the folder is named (an
    atomic write fails on its temp file, a name nobody knows), with the system's reason."""
    import errno
    import os

    from grantflow.register import display_path

    name = exc.filename2 or exc.filename
    why = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        why = f"no room on the disk ({why})"
    if name is None:
        return f"cannot write the data files: {why}"
    path = Path(os.fsdecode(name))
    where = path.parent if path.name.startswith(".") and path.name.endswith(".tmp") else path
    return f"cannot write in {display_path(where)}: {why}"


def _transport(settings, options: DeliveryOptions):
    from grantflow.delivery.service import make_transport

    name = options.transport or settings.delivery.transport
    return make_transport(settings, name, smtp_password(settings) if name == "smtp" else None)


@task(name="status-no-answer", cache_policy=NONE, retries=2, retry_delay_seconds=[10, 60],
      retry_condition_fn=worth_retrying)
def no_answer(project_id: str, as_of: date, options: DeliveryOptions) -> str:
    """The send date came without an answer: record the period as not reported and tell the
    secretariat (once); the report then goes out saying "ikke rapportert"."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import notify

    record_no_answer(options.config, project_id, as_of)
    settings = load_settings(options.config)
    register = open_register(options.config)
    project = register.project(project_id)
    council = register.council_of(project)
    ledger = SentLedger(settings.ledger_url())
    try:
        transport = _transport(settings, options)
        # said only when a reminder went out (a cycle started late, or resumed early, had none)
        reminded = ledger.sent_to(f"status-reminder/{project_id}/{as_of.isoformat()}/{flow_run.id}", 1,
                                  transport.name)             # remind_waiting's key: once per run
        report = notify(f"status-no-answer/{project_id}/{as_of.isoformat()}", "-",
                        f"Statusrapport uten prosjektleders rapportering: {project.name}",
                        [f"{project.leader.name} svarte ikke på statusrapporteringen for {project.name} innen "
                         f"sendedatoen {fmt.long_date(as_of)}" + (" (også etter påminnelse)." if reminded else "."),
                         "Statusrapporten sendes til styringsgruppen med «ikke rapportert» for det prosjektlederen "
                         "skulle melde (kvalitet, gevinster, vurdering, avvik, beslutninger og neste periode); "
                         "fremdrift og økonomi er beregnet fra datafilene."],
                        council.secretariat.name, council.secretariat.email, project, council, settings, ledger,
                        transport, settings.delivery.retry)
    finally:
        ledger.close()
    return report.summary()


@flow(name="status_cycle", flow_run_name=run_name)
def status_cycle(project: str, as_of: date | None = None, options: DeliveryOptions = DeliveryOptions()) -> dict:
    """Ask the project leader for this period's status, wait for the answer, then send the report."""
    # a run resumed with the approver's answer records it before the inbox, the form and the data
    # are read again: a failure there tells the approver instead of losing the answer
    return answer_first(options, lambda: _cycle(project, as_of or datetime.now(OSLO).date(), options))


def _cycle(project: str, as_of: date, options: DeliveryOptions):
    """The cycle's steps (see the module docstring)."""
    take_returned_workbooks(project, options.config)
    if not can_suspend():
        raise UserError("the status cycle waits for people: run it as a deployment ('grantflow serve')",
                        field="status_cycle")
    earlier = _earlier_cycle(project, as_of)
    if earlier is not None:
        # two cycles for one report: two requests to the leader, and the one left waiting was later
        # resumed "ingen svar" and the secretariat told the leader had not answered
        line = (f"a status cycle for {project} per {as_of:%d.%m.%Y} is already under way (flow run {earlier}); "
                f"this one stops without asking the project leader")
        get_run_logger().warning(line)
        return Completed(message=line)
    register = open_register(options.config)
    offered, offered_at = _offered(register, project, as_of)
    request_input(project, as_of, options)           # a resumed run starts from the top: notify() sends once
    note, shown = "", offered
    for attempt in range(ROUNDS):
        description = ("**Statusrapportering** – fyll inn og send. "
                       + ("Feltene viser det som ble rapportert sist." if shown is offered else
                          "Feltene viser svaret du sendte.")
                       + (f"\n\n**Rett dette og send igjen:**\n\n" + "\n".join(f"- {md_code(f)}" for f in note.splitlines())
                          if note else ""))
        answer = suspend_flow_run(wait_for_input=StatusInput.with_initial_data(description=description,
                                                                                **shown.model_dump()),
                                  key=f"{KEY}-{as_of.isoformat()}-{attempt}")
        claim = None
        if answer.via in (VIA_WORKBOOK, VIA_NONE):
            claim = unbacked_claim(open_register(options.config), project, as_of, answer.via,
                                   datetime.now(OSLO).date())
            if claim is None:
                period = period_note(open_register(options.config), project, as_of)
                if answer.via == VIA_NONE and (period is None or period.not_reported):
                    no_answer(project, as_of, options)
                # else: imported from config/inbox/ already (findings went back there), or an answer
                # came in after all: the report is made from it
                break
            # refused, nothing written (its fields are the form's defaults, not anyone's answer)
            get_run_logger().warning(f"an answer claiming {answer.via!r} was refused: {claim}")
            note = claim
            continue
        values = {name: getattr(answer, name) for name in StatusForm.model_fields}
        try:
            problems = write_input(project, as_of, StatusForm.model_validate(values).model_dump(),
                                   offered.model_dump(), options, offered_at)
        except UserError as exc:
            return answer_not_written(project, as_of, values, str(exc), options)
        if not problems:
            break
        note = "\n".join(problems)
        shown = StatusForm.model_validate(values)     # the next round shows the answer to correct, not last period's
        get_run_logger().warning(f"the answer has {len(problems)} finding(s); asking again")
    else:
        raise UserError(f"no clean answer after {ROUNDS} rounds: {note.splitlines()[0]}", field="status_cycle")
    # Rendered, approved where the data or the kind needs it, and sent, inside this run: an approval
    # suspends this (deployment) run, which a subflow could not.
    return document_steps("status", project, None, None, as_of, options, None)


def _offered(register, project: str, as_of: date) -> tuple[StatusForm, datetime]:
    """The form as first offered to the leader, and when: kept with the run. A resumed run starts
    from the top, and the data read then is not what the leader saw: progress the secretariat
    changed while the form waited was overwritten by the form's stale value."""
    from prefect.input import create_flow_run_input, read_flow_run_input

    kept = read_flow_run_input(OFFERED)
    if kept is not None:
        return StatusForm.model_validate(kept["form"]), datetime.fromisoformat(kept["at"])
    form, at = initial_form(register, project, as_of), datetime.now(OSLO).replace(microsecond=0)
    create_flow_run_input(OFFERED, {"form": form.model_dump(mode="json"), "at": at.isoformat()})
    return form, at


def _earlier_cycle(project: str, as_of: date) -> str | None:
    """Another status cycle for the same project and date, started before this one and not ended
    (its id), or None."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType

    mine = flow_run.id
    with get_client(sync_client=True) as client:
        me = client.read_flow_run(mine)
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["status_cycle"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.PAUSED, StateType.RUNNING, StateType.PENDING]))))
    for run in runs:
        params = run.parameters or {}
        if str(run.id) == str(mine) or params.get("project") != project or \
                str(params.get("as_of") or "")[:10] != as_of.isoformat():
            continue
        if (run.created, str(run.id)) < (me.created, str(mine)):
            return str(run.id)
    return None


def answer_not_written(project_id: str, as_of: date, values: dict, reason: str, options: DeliveryOptions):
    """The leader's answer could not be written (``reason``, one line): the run ends Failed with one
    line (no report is made without it), and the secretariat is told by mail, the answer as given
    in it, so nothing of it is lost. Before, write-status-input failed with Prefect's traceback in
    the log, and nobody heard of it."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import notify
    from prefect.states import Failed

    try:
        register = open_register(options.config)
        project = register.project(project_id)
        council = register.council_of(project)
    except UserError as exc:        # the register itself broken meanwhile: nobody to tell from it
        line = f"the status answer was not written: {reason}; no report made; nobody told: {exc}"
        get_run_logger().error(line)
        return Failed(message=line)
    # the leader's own text in the run's one line: its line breaks are spaces there
    who = " ".join(str(values.get("reported_by") or "").split()) or project.leader.name
    link = ui_link()
    lines = [f"{who} svarte på statusrapporteringen for {project.name} (status per {as_of:%d.%m.%Y}) i skjemaet, "
             "men svaret kunne ikke skrives til datafilene. Statusrapporten er ikke laget eller sendt.",
             f"Årsak: {reason}",
             "Rett det årsaken nevner og start statussyklusen på nytt (prosjektlederen får skjemaet igjen); "
             "svaret slik det ble gitt står under, så det kan legges inn igjen.",
             "\n".join(["Svaret:", *_answer_lines(values)]),
             *([f"Kjøringen: {link}"] if link else [])]
    settings = load_settings(options.config)
    told = ""
    ledger = SentLedger(settings.ledger_url())
    try:
        report = notify(f"status-not-written/{project_id}/{as_of.isoformat()}", str(flow_run.id or "local"),
                        f"Statussvar ikke lagret: {project.name}", lines, council.secretariat.name,
                        council.secretariat.email, project, council, settings, ledger,
                        _transport(settings, options), settings.delivery.retry)
        missed = report.failed or report.pending
        if missed:
            told = f"the secretariat could not be told: {missed[0][1]}"
    except UserError as exc:
        told = f"the secretariat could not be told: {exc}"
    finally:
        ledger.close()
    line = (f"the status answer from {who} was not written: {reason}; no report made; "
            + (told or f"the secretariat ({council.secretariat.email}) is told by mail, with the answer"))
    get_run_logger().error(line)
    return Failed(message=line)


_KEYS = {"number": "nr.", "event": "hendelse", "planned": "planlagt", "actual": "faktisk", "comment": "kommentar",
         "status": "status", "text": "tekst", "explanation": "forklaring", "proposal": "forslag"}


def _answer_lines(values: dict) -> list[str]:
    """The form's answer as text, one line per field given (its label from the form)."""
    out = []
    for name, info in StatusForm.model_fields.items():
        value = values.get(name)
        if value in (None, "", []):
            continue
        label = (info.description or name).split(":")[0].rstrip(".")
        items = value if isinstance(value, list) else [value]
        for item in items:
            if hasattr(item, "model_dump"):
                item = item.model_dump()
            if isinstance(item, dict):
                item = "; ".join(f"{_KEYS.get(k, k)}: {getattr(v, 'value', v)}" for k, v in item.items()
                                 if v not in (None, "", []))
            out.append(f"- {label}: {getattr(item, 'value', item)}")
    return out


# ---------------------------------------------------------------------------------------------
# For deadline_watch and 'grantflow inbox': the runs waiting for a project leader, and acting on them


@dataclass(frozen=True)
class Waiting:
    """A status-cycle run suspended on the project leader's form."""

    run_id: str
    project: str
    as_of: date            # the report date = the send date


def waiting_for_leaders(project: str | None = None) -> list[Waiting]:
    """Status-cycle runs suspended on the leader's form (not on an approval), oldest first."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["status_cycle"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))))
    out = []
    for run in runs:
        pause_key = str(run.state.state_details.pause_key or "") if run.state else ""
        params = run.parameters or {}
        if not pause_key.startswith(f"{KEY}-") or not params.get("project"):
            continue
        if project is not None and params["project"] != project:
            continue
        try:
            as_of = date.fromisoformat(str(params.get("as_of") or "")[:10])
        except ValueError:
            as_of = run.expected_start_time.astimezone(OSLO).date() if run.expected_start_time else clock.today()
        out.append(Waiting(str(run.id), params["project"], as_of))
    return sorted(out, key=lambda w: (w.as_of, w.project))


def resume_unanswered(run: Waiting, options: DeliveryOptions) -> bool:
    """The send date came without an answer: the period is recorded as not reported first (what
    the run checks an "ingen svar" against), then the run resumed."""
    record_no_answer(options.config, run.project, run.as_of)
    return resume_waiting(run, VIA_NONE)


def resume_waiting(run: Waiting, via: str) -> bool:
    """Resume a waiting run with ``via`` (no form values: the answer is in the files or missing).
    False when it is no longer waiting (answered meanwhile)."""
    from uuid import UUID

    from prefect.exceptions import FlowPauseTimeout, NotPausedError
    from prefect.flow_runs import resume_flow_run

    try:
        resume_flow_run(UUID(run.run_id), run_input={"via": via})
    except (NotPausedError, FlowPauseTimeout):
        return False
    return True


def remind_waiting(run: Waiting, options: DeliveryOptions) -> list[str]:
    """Remind the project leader of an unanswered request (at most once per run)."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import notify

    settings = load_settings(options.config)
    register = open_register(options.config)
    project = register.project(run.project)
    link = ui_link(run.run_id)
    lines = [f"Vi har ikke mottatt statusrapporteringen for {project.name} (status per {run.as_of:%d.%m.%Y}).",
             f"Rapporten sendes til styringsgruppen {fmt.long_date(run.as_of)}. Kommer det ikke svar innen da, "
             "sendes den med «ikke rapportert» for det du skulle melde, og sekretariatet får beskjed.",
             f"Svar i skjemaet her: {link}" if link else "Svar i Prefect-grensesnittet (kjøringen står som «Suspended»),",
             "eller send den utfylte arbeidsboken fra forrige e-post tilbake til sekretariatet."]
    ledger = SentLedger(settings.ledger_url())
    try:
        report = notify(f"status-reminder/{run.project}/{run.as_of.isoformat()}", run.run_id,
                        f"Påminnelse: statusrapportering for {project.name}", lines, project.leader.name,
                        project.leader.email or "", project, register.council_of(project), settings, ledger,
                        _transport(settings, options), settings.delivery.retry)
    finally:
        ledger.close()
    return report.sent


def resume_answered(items) -> list[str]:
    """Resume the runs waiting for the leaders whose workbooks were just taken in from the inbox
    (imported, or returned unchanged: an answer either way). The resumed run's summaries."""
    done = []
    for project in sorted({i.project for i in items if i.project and i.outcome in ("imported", "unchanged")}):
        for run in waiting_for_leaders(project):
            try:
                if resume_waiting(run, VIA_WORKBOOK):
                    done.append(f"{project}: flow run {run.run_id} resumed (arbeidsbok)")
            except Exception as exc:  # noqa: BLE001 - the import stands; the run can be resumed in the UI
                done.append(f"{project}: flow run {run.run_id} not resumed ({type(exc).__name__}: {exc})")
    return done
