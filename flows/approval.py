"""Approval that waits as long as people do: ``suspend_flow_run`` + a form in the Prefect UI.

``await_approval`` records the request in the ledger, mails the approver (preview, the document,
a link to the run in the UI), then *suspends* the flow run: the process exits and holds no worker.
When someone submits the form (UI, or ``resume_flow_run(id, run_input=...)``) the run is scheduled
again, the flow starts from the top, and ``suspend_flow_run`` returns the submitted answer at once.
The decision (who, when, comment, override reason) is written to the ledger and returned.

``deadline_watch`` reminds approvers of requests left unanswered for
``delivery.approval_reminder_days`` working days. Reusable for any flow that needs a person's
yes/no (``ask``); document flows use ``await_approval``.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

from prefect import get_run_logger
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import deployment, flow_run
from pydantic import Field, field_validator

from grantflow.delivery.ledger import SentLedger, covers, recipients_text
from grantflow.deadlines import working_days_until
from grantflow.delivery.service import make_transport, notify
from grantflow.models import Council, Project
from grantflow.settings import Settings
from grantflow.errors import UserError
from grantflow.text import BIDI_CHARACTERS, _ENCODED_WORD, md_code, md_fence, md_text, one_line, url_without_credentials

from flows.runtime import smtp_password


# The approver's name: one visible line (no line break, control or invisible formatting character).
# In the form's JSON schema, so the server refuses another answer when it is submitted
# (the form stays open with the message) and nothing is recorded.
_NOT_IN_NAME = r"\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff"
NAME_PATTERN = rf"^[^{_NOT_IN_NAME}]*[^\s{_NOT_IN_NAME}][^{_NOT_IN_NAME}]*$"
TEXT_MAX = 2000


class ApprovalForm(RunInput):
    """The approver's answer (a form in the Prefect UI)."""

    # an RFC 2047 encoded word is refused as in config names (``grantflow.text.one_line``): by the
    # server against the schema ("not"), and again by ``ask`` for an answer that got past it
    approver: str = Field("", description="Navnet ditt: hvem som tar avgjørelsen (påkrevd, én linje, "
                                          "skrevet som vanlig tekst).",
                          max_length=200, pattern=NAME_PATTERN,
                          json_schema_extra={"not": {"pattern": _ENCODED_WORD.pattern}})
    decision: Literal["godkjenn", "avvis"] = Field("avvis", description="Godkjenn utsending, eller avvis.")
    comment: str = Field("", description="Kommentar (lagres i sendeloggen).", max_length=TEXT_MAX)
    override_reason: str = Field("", description="Begrunnelse for å sende selv om dataene har feil "
                                                 "(påkrevd når forhåndsvisningen viser feil).", max_length=TEXT_MAX)

    @field_validator("comment", "override_reason")
    @classmethod
    def _one_line(cls, value: str) -> str:
        """Kept as one line: a line break in a comment became a line of its own in serve's log
        ("Bcc: y@evil.example" under the warning) and in the secretariat's mail."""
        return " / ".join(part.strip() for part in _BREAKS.split(value) if part.strip())


# line breaks and other control characters (tab aside) in a comment: the parts are joined by " / ";
# bidirectional controls and marks too (grantflow.text.BIDI_CHARACTERS), which make a line of `grantflow sent`
# or of the log read otherwise on screen (found by a reviewer)
_BREAKS = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029{BIDI_CHARACTERS}]+")
NAME_TRIES = 5      # a form answered this many times with a name that is no plain name: the run stops


def name_problem(name: str) -> str | None:
    """Why the approver's name is not taken (Norwegian, for the form), or None: the check config
    names and "Rapportert av" get (``grantflow.text.one_line``)."""
    try:
        one_line(name)
    except ValueError as exc:
        if _ENCODED_WORD.search(name):
            return (f"Navnet {md_code(repr(name))} ble ikke godtatt: det inneholder et kodet ord (=?…?=). "
                    "Skriv navnet ditt som vanlig tekst.")
        return f"Navnet {md_code(repr(name))} ble ikke godtatt ({exc}). Skriv navnet ditt på én linje."
    return None


def shown_name(name: str) -> str:
    """The approver's name as logged, mailed and recorded: as given when it is a plain name, else
    said to be refused (an answer recorded without asking again: given after the document went out)."""
    if not name:
        return ""
    return name if name_problem(name) is None else "ukjent (navnet i skjemaet ble ikke godtatt)"


@dataclass(frozen=True)
class Decision:
    approved: bool
    approver: str
    comment: str
    override_reason: str
    decided_at: datetime | None
    earlier: bool = False            # decided in an earlier run of the same document version
    # "godkjenn" without the override reason the data's errors need (asked three times): not
    # approved, and not a rejection either -- nobody said no
    reason_missing: bool = False

    def text(self) -> str:
        verb = "Godkjent" if self.approved or self.reason_missing else "Avvist"
        when = f" {self.decided_at:%Y-%m-%d %H:%M} UTC" if self.decided_at else ""
        out = f"{verb} av {self.approver or 'ukjent'}{when}"
        if self.reason_missing:
            out += " uten begrunnelse"
        if self.comment:
            out += f": {self.comment}"
        if self.override_reason:
            out += f" (sendt tross feil i dataene: {self.override_reason})"
        return out


def ui_link(run_id: str | None = None) -> str | None:
    """The run's page in the Prefect UI (``PREFECT_UI_URL``), or None when it is unknown."""
    run_id = run_id or flow_run.id
    base = os.environ.get("PREFECT_UI_URL")
    if not base:
        try:
            from prefect.settings import PREFECT_UI_URL

            base = PREFECT_UI_URL.value()
        except Exception:  # noqa: BLE001 - no UI configured
            base = None
    if not (base and run_id):
        return None
    # Prefect derives the UI's address from PREFECT_API_URL, login and all (http://admin:…@host):
    # the link goes into mails and onto screens, so it never carries it; the browser asks
    return f"{url_without_credentials(base).rstrip('/')}/runs/flow-run/{run_id}"


def can_suspend() -> bool:
    """Suspending needs a deployment to resume the run later (a local one-shot run has none)."""
    return bool(deployment.id)


def ask(key: str, description: str, errors: int = 0, timeout_seconds: int | None = None,
        suspend=None) -> ApprovalForm:
    """Suspend the current flow run until a person answers; the answer. An approval despite
    ``errors`` without an override reason is asked again (three times in all); the last answer is
    returned as given (the caller records it as an approval without a reason, never as a "no":
    it was turned into "avvis", a rejection nobody made). ``suspend``: in place of
    ``suspend_flow_run`` (``resumed_answer`` replays the answers given)."""
    form, note, reasonless, bad_names = None, description, 0, 0
    attempt = 0
    suspend = suspend or suspend_flow_run
    while True:
        form = suspend(wait_for_input=ApprovalForm.with_initial_data(description=note, decision="avvis"),
                       key=f"{key}-{attempt}", timeout=timeout_seconds)
        attempt += 1
        problem = name_problem(form.approver)
        if problem:
            # an encoded word (=?utf-8?q?…?=) was stored and shown as the approver's name: asked again
            bad_names += 1
            if bad_names >= NAME_TRIES:
                raise UserError(f"the approval form was answered {bad_names} times with a name that is not a plain "
                                f"name ({form.approver!r}): nothing decided, nothing sent", field="approver")
            note = description + f"\n\n**{problem}**"
            continue
        if form.decision != "godkjenn" or not errors or form.override_reason.strip():
            return form
        reasonless += 1
        if reasonless >= 3:
            return form
        note = description + ("\n\n**Dataene har feil: godkjenning krever en begrunnelse i «override_reason».** "
                              f"Forrige svar fra {form.approver or 'ukjent'} manglet begrunnelse.")


def await_approval(document_key: str, version: int, title: str, preview: str, findings: list[str], errors: int,
                   project: Project | None, council: Council, settings: Settings, transport_name: str,
                   attachments: tuple[Path | tuple[Path, str], ...] = (), timeout_seconds: int | None = None,
                   content_hash: str = "", recipients: tuple[str, ...] = (), docx: Path | None = None) -> Decision:
    """Ask the approver (mail + suspended run) and return the decision; see the module docstring.

    The form's key names the content (``content_hash``): a resumed run starts from the top and renders
    again, and an answer given for one document must never come back for another (the period moved
    with the date or the project end, the data changed) -- that one is asked for anew.

    Likewise ``recipients`` (the addresses it goes to now): an approval covers the addresses its
    preview showed. When the config changed while the approver was asked (a county governor's or
    funder's new mailbox, a member added), the document is not sent to an address nobody saw: the
    approver is asked anew with the new preview. Addresses removed need no new answer.

    ``docx``: the document's file; the answer is written into its record .json as it is recorded
    (``note_answer``)."""
    ledger = SentLedger(settings.ledger_url())
    replace = False
    try:
        earlier = ledger.approval(document_key, version)
        if earlier and content_hash and earlier["document_hash"] not in (None, content_hash):
            earlier = None      # decided for other content (a --resend from another outputs folder): ask anew
        if earlier and earlier["status"] == "approved" and not covers(earlier, recipients):
            earlier, replace = None, True     # approved for other addresses than it goes to now: ask anew
        if earlier and earlier["status"] in ("approved", "rejected"):
            if docx is not None and content_hash:
                # in the record too (made again after it was deleted: the decision still holds)
                note_answer(ledger, document_key, docx, version, content_hash)
            return Decision(earlier["status"] == "approved", earlier["decided_by"] or "", earlier["comment"] or "",
                            earlier["override_reason"] or "", earlier["decided_at"], earlier=True)
        run_id = str(flow_run.id) if flow_run.id else None
        if earlier and earlier["status"] == "unreasoned" and earlier["flow_run_id"] == run_id and run_id \
                and covers(earlier, recipients):
            # this run's answer, recorded when the run resumed with it (``resumed_answer``)
            return Decision(False, earlier["decided_by"] or "", earlier["comment"] or "", "", earlier["decided_at"],
                            earlier=True, reason_missing=True)
        approver = approver_of(council, settings)
        shown = recipients_text(recipients) or ""
        if not (earlier and earlier["flow_run_id"] == run_id and covers(earlier, recipients)):
            # first time in this run (a resumed run starts from the top: no second mail), or the
            # addresses changed since the approver was asked
            ledger.approval_requested(document_key, version, run_id, approver[1], content_hash or None,
                                      recipients=recipients, replace=replace)
            link = ui_link(run_id)
            lines = [f"{title} venter på din godkjenning før den sendes.", preview]
            if findings:
                lines.append(f"Funn i dataene ({errors} feil):\n" + "\n".join(f"- {f}" for f in findings))
                if errors:
                    lines.append("Dataene har feil: utsending krever at du overstyrer med en begrunnelse.")
            lines.append(f"Godkjenn eller avvis her: {link}" if link else
                         "Godkjenn eller avvis i Prefect-grensesnittet (flow-kjøringen står som «Suspended»).")
            password = smtp_password(settings) if transport_name == "smtp" else None
            report = notify(f"approval/{document_key}/v{version}", f"{run_id or 'local'}{_digest(shown)}",
                            f"Til godkjenning: {title}", lines,
                            approver[0], approver[1], project, council, settings, ledger,
                            make_transport(settings, transport_name, password), settings.delivery.retry,
                            attachments=attachments)
            if report.failed or report.pending:
                # the approver never heard of it (server down, address refused): the batch's mark, so
                # the morning watch asks again at once and the final "Ikke sendt" says so; the
                # secretariat is told now. Before, the run waited in silence for the usual reminder days.
                from flows.batch import tell_secretariat_unreached

                why = (report.failed or report.pending)[0][1]
                get_run_logger().error(f"approver {approver[1]} not told of {document_key} v{version}: {why}")
                tell_secretariat_unreached(approver[1], why, [{"key": document_key, "version": version,
                                                               "council": council.id, "data_errors": errors}],
                                           {council.id: council}, settings, ledger, transport_name, password,
                                           run_id=run_id)
    finally:
        ledger.close()
    # the project's name, the preview and the findings are people's text: shown literally in the
    # form, never a link or an image the UI fetches when the approver opens it
    md = [f"**Godkjenn utsending: {md_text(title)}**", "", md_fence(preview)]
    if findings:
        md += ["", f"**Funn i dataene ({errors} feil)**", ""] + [f"- {md_code(f)}" for f in findings]
    form = ask(form_key(version, content_hash) + _digest(shown), "\n".join(md), errors,
               timeout_seconds)
    ledger = SentLedger(settings.ledger_url())
    try:
        decision = _record(ledger, document_key, version, form, errors, content_hash)
        if docx is not None and content_hash:
            note_answer(ledger, document_key, docx, version, content_hash)
        return decision
    finally:
        ledger.close()


def note_answer(ledger: SentLedger, document_key: str, docx: Path, version: int, content_hash: str) -> str:
    """The decisions the ledger holds on this version and content written into the document's record
    .json (``approvals``) now: a rejection is never delivered, and only a delivery wrote them there,
    so the record never said who rejected the version, when or why. "" when the record holds them;
    else the one line saying why not (the record deleted or made again from other content, or
    damaged), logged as a warning: the answer stays in the sent ledger, and a record made again for
    this version and content gets it when the run reaches the approval."""
    from grantflow.delivery.service import note_decisions
    from grantflow.register import display_path

    record = Path(docx).with_suffix(".json")
    try:
        if note_decisions(ledger, document_key, Path(docx), version, content_hash):
            return ""
        line = (f"the answer is in the sent ledger (grantflow sent), not yet in the document's record "
                f"{display_path(record)}: it has no version {version} with this content (deleted, or made again); "
                "it is written there when this run makes that version again")
    except UserError as exc:
        line = f"the answer is in the sent ledger (grantflow sent), not in the document's record: {exc}"
    get_run_logger().warning(line)
    return line


def _record(ledger: SentLedger, document_key: str, version: int, form: ApprovalForm, errors: int,
            content_hash: str) -> Decision:
    """The approver's answer ``ask`` returned, recorded in the ledger and logged; the decision."""
    missing = form.decision == "godkjenn" and bool(errors) and not form.override_reason.strip()
    approved = form.decision == "godkjenn" and not missing
    if missing:      # not a decision: recorded as what it was, and it holds nothing back
        ledger.approval_without_reason(document_key, version, form.approver, form.comment, content_hash or None)
    else:
        ledger.approval_decided(document_key, version, approved, form.approver, form.comment,
                                form.override_reason, content_hash or None)
    what = "approved without the reason the errors need" if missing else "approved" if approved else "rejected"
    get_run_logger().info(f"{what} by {form.approver or 'unknown'}")
    return Decision(approved, form.approver, form.comment, "" if missing else form.override_reason,
                    datetime.now(timezone.utc), reason_missing=missing)


@dataclass(frozen=True)
class ResumedAnswer:
    """The answer a run resumed with, as recorded (``resumed_answer``)."""

    document_key: str
    version: int
    approver_email: str
    decision: Decision
    unrecorded: str = ""      # why the document's record .json does not hold it ("" it does)


class _NotAnswered(Exception):
    """``ask`` replayed reached a form nobody has answered yet."""


def resumed_answer(settings: Settings, outputs: Path) -> ResumedAnswer | None:
    """The answer this run was resumed with, recorded in the ledger at once (None when there is
    none, or it is no decision yet: asked again for a name or an override reason).

    A resumed run starts from the top: it read the data and rendered again before it reached
    ``await_approval``, which recorded the answer. A step failing on the way (the .docx edited in
    Word while the approver looked at it) left the approver's "godkjenn", comment and reason in
    Prefect's run input only, the ledger saying "forespurt". So before anything else: this run's
    open request, the answers stored for its form, read as ``ask`` reads them, and the errors the
    approver was shown (the document's record, while it still holds the content asked about --
    otherwise the run finds the answer for other content and keeps it beside the decision,
    ``record_superseded_answers``)."""
    from prefect.input.actions import filter_flow_run_input

    from grantflow.documents.service import recorded_errors, rendered_now

    run_id = str(flow_run.id) if flow_run.id else None
    if not run_id or not can_suspend():
        return None
    ledger = SentLedger(settings.ledger_url())
    try:
        asked = [r for r in ledger.approvals(status="requested") if r["flow_run_id"] == run_id]
        if not asked:
            return None
        row = asked[-1]                # a run waits for its latest request
        council, project, name = row["document"].split("/", 2)
        docx = Path(outputs) / council / ("" if project == "-" else project) / f"{name}.docx"
        content_hash = row["document_hash"] or ""
        if not content_hash:
            return None
        try:
            now = rendered_now(docx)
        except UserError:
            now = None                 # damaged: as if deleted (the render says so in one line)
        if now is not None and now != (row["version"], content_hash):
            return None                # made again from other content: record_superseded_answers
        key = form_key(row["version"], content_hash) + _digest(row["recipients"] or "")
        stored_inputs = {i.key: i.decoded_value for i in filter_flow_run_input(f"suspended-{key}-", limit=50,
                                                                                flow_run_id=flow_run.id)}
        given = {k: v for k, v in stored_inputs.items() if k.endswith("-response")}
        # the errors the approver was shown: the record's, or, with the record deleted or damaged
        # meanwhile, what the form itself said ("Funn i dataene (N feil)"); never a guess
        errors = recorded_errors(docx) if now is not None else shown_errors(stored_inputs.get(f"suspended-{key}-0-description"))
        if errors is None:
            return None

        def stored(wait_for_input, key: str, timeout):
            if f"suspended-{key}-response" not in given:
                raise _NotAnswered
            return ApprovalForm(**given[f"suspended-{key}-response"])

        try:
            form = ask(key, "", errors, suspend=stored)
        except (_NotAnswered, UserError, ValueError):
            return None                # asked again when the run gets there (or stops there: a name)
        decision = _record(ledger, row["document"], row["version"], form, errors, content_hash)
        unrecorded = note_answer(ledger, row["document"], docx, row["version"], content_hash)
        return ResumedAnswer(row["document"], row["version"], row["approver_email"] or "", decision, unrecorded)
    finally:
        ledger.close()


# The line of the approval form's text that says how many of the findings shown are errors
_SHOWN_ERRORS = re.compile(r"^\*\*Funn i dataene \((\d+) feil\)\*\*$", re.MULTILINE)


def shown_errors(description) -> int | None:
    """How many errors the approval form (its stored text, ``await_approval``'s) showed the
    approver: 0 when it listed no findings; None when there is no such text."""
    if not isinstance(description, str) or not description.startswith("**Godkjenn utsending:"):
        return None
    found = _SHOWN_ERRORS.findall(description)
    return int(found[-1]) if found else 0


def tell_not_sent(answer: ResumedAnswer, reason: str, title: str, project: Project | None, council: Council,
                  settings: Settings, transport_name: str, sent: list[str] | None = None,
                  missing: int = 0, secretariat_told: bool = False, unsure: list[str] = ()) -> str:
    """The approver and the council's secretariat told, one mail each, that the document approved
    in this run was NOT sent: why (``reason``, the one line of the error that stopped the run) and
    what to do. ``missing``: recipients the mail server refused (or left pending), ``sent`` those
    who got it; ``secretariat_told``: the secretariat has its own mail of the refused addresses
    (``tell_refused``), only the approver is told. ``unsure``: recipients whose whole message the
    server took without a reply: it may have arrived, said so, never counted as not sent. Once per
    run and address. What the run's message adds ("" when they were told)."""
    from grantflow.documents.service import EDITED_HINT

    run_id = str(flow_run.id) if flow_run.id else "local"
    decision = answer.decision
    when = f" {decision.decided_at:%d.%m.%Y %H:%M} UTC" if decision.decided_at else ""
    command = send_command(answer.document_key, settings) + (' --override-reason "begrunnelse"'
                                                             if decision.override_reason else "")
    what = "men ble IKKE sendt. Ingen mottakere har fått den."
    total = missing + len(unsure) + len(sent or [])
    maybe = (f" Til {', '.join(unsure)} ({len(unsure)} av {total} mottakere) kan den ha kommet fram: "
             "e-postserveren tok imot hele meldingen, men svarte aldri; spør mottakeren før grantflow send "
             "--resend (da får mottakeren en ny e-post).") if unsure else ""
    if missing:
        what = (f"men ble IKKE sendt til {missing} av {total} mottakere"
                + (f" (sendt til {', '.join(sent)})." if sent else "." if unsure
                   else ". Ingen mottakere har fått den.")
                + maybe)
        todo = ("Rett adressen i konfigurasjonen (sekretariatet har fått en egen e-post om adressene) eller vent til "
                "e-postserveren tar imot igjen: fristvakten sender da dokumentet neste virkedag til dem som ikke har "
                "fått det (de andre får det ikke to ganger), eller send det med:")
    elif unsure:
        what = (f"og ble sendt til {', '.join(sent)}." if sent
                else "men ingen mottaker har bekreftet at den kom fram.") + maybe
        todo = "Spør mottakeren om den har kommet fram før den sendes på nytt. Har den ikke det, send den med:"
    elif EDITED_HINT in reason:
        todo = ("Dokumentfilen ble endret etter at grantflow laget den (åpnet og lagret i Word?), og grantflow sender "
                "bare det den selv har laget og registrert. Flytt den endrede filen bort (grantflow lager den på nytt "
                "fra dataene), legg endringen inn i dataene eller notatene, og lag og send dokumentet på nytt med:")
    else:
        todo = "Rett det årsaken nevner, og lag og send dokumentet på nytt med:"
    link = ui_link(run_id)
    lines = [f"{title} (versjon {answer.version}) ble godkjent av {shown_name(decision.approver) or 'ukjent'}{when}, "
             + what,
             f"Årsak: {reason}",
             f"{todo}\n{command}\nKommandoen viser forhåndsvisningen og spør før noe sendes.",
             "Godkjenningen er lagret i sendeloggen (grantflow sent)"
             + (f"; kommentar: {decision.comment}" if decision.comment else "")
             + (f"; begrunnelse for å sende tross feil: {decision.override_reason}" if decision.override_reason
                else "") + ".",
             *([f"Kjøringen: {link}"] if link else [])]
    secretariat = council.secretariat
    people = {}
    # the names config gives (the form's name is the approver's text: never a mail header)
    approver = secretariat.name if answer.approver_email == secretariat.email else answer.approver_email
    for name, email in ((approver, answer.approver_email),
                        *(() if secretariat_told else ((secretariat.name, secretariat.email),))):
        if email and email.casefold() not in people:
            people[email.casefold()] = (name, email)
    subject = (f"Kan ha kommet fram etter godkjenning: {title}" if unsure and not missing else
               f"Ikke sendt etter godkjenning: {title}")
    return _tell_each(people, f"approved-not-sent/{answer.document_key}/v{answer.version}", run_id, subject, lines,
                      project, council, settings, transport_name)


def tell_answer_kept(answer: ResumedAnswer, reason: str, title: str, project: Project | None, council: Council,
                     settings: Settings, transport_name: str) -> str:
    """The council's secretariat (and the approver, when another) told, one mail each, that the run
    resumed with this "no" (or a "yes" without the reason the errors need) stopped on ``reason``:
    the answer is kept in the sent ledger, and what the run could not do. Before, such a run
    failed with a traceback, the answer in Prefect only. Once per run and address. What the run's
    message adds ("" when they were told)."""
    run_id = str(flow_run.id) if flow_run.id else "local"
    decision = answer.decision
    when = f" {decision.decided_at:%d.%m.%Y %H:%M} UTC" if decision.decided_at else ""
    who = shown_name(decision.approver) or "ukjent"
    what = ("godkjent uten begrunnelsen feilene i dataene krever (ikke sendt)" if decision.reason_missing
            else "avvist")
    link = ui_link(run_id)
    lines = [f"{title} (versjon {answer.version}) ble {what} av {who}{when}"
             + (f": {decision.comment}" if decision.comment else "") + ". Ingenting er sendt.",
             "Svaret er lagret i sendeloggen (grantflow sent)"
             + (", men ikke i dokumentets logg (.json)" if answer.unrecorded else "") + ".",
             f"Kjøringen stoppet etterpå: {reason}",
             "Rett det årsaken nevner (en skadet .json-logg: gjenopprett den, f.eks. fra sikkerhetskopi). "
             "Dokumentet sendes ikke før noen godkjenner det.",
             *([f"Kjøringen: {link}"] if link else [])]
    secretariat = council.secretariat
    approver = secretariat.name if answer.approver_email == secretariat.email else answer.approver_email
    people = {}
    for name, email in ((secretariat.name, secretariat.email), (approver, answer.approver_email)):
        if email and email.casefold() not in people:
            people[email.casefold()] = (name, email)
    return _tell_each(people, f"answer-kept/{answer.document_key}/v{answer.version}", run_id,
                      f"Svar lagret, kjøringen stoppet: {title}", lines, project, council, settings, transport_name)


def _tell_each(people: dict, key: str, run_id: str, subject: str, lines: list[str], project: Project | None,
               council: Council, settings: Settings, transport_name: str) -> str:
    """One mail to each of ``people`` ({casefolded address: (name, address)}), once per run and
    address (``notify``'s ``key``); whom it could not tell, and why ("not told: …", "" none)."""
    ledger = SentLedger(settings.ledger_url())
    untold = []
    try:
        for name, email in people.values():
            try:
                password = smtp_password(settings) if transport_name == "smtp" else None
                report = notify(key, run_id, subject, lines, name, email, project, council, settings, ledger,
                                make_transport(settings, transport_name, password), settings.delivery.retry)
                missed = report.failed or report.pending
                why = missed[0][1] if missed else ""
            except UserError as exc:
                why = str(exc)
            if why:
                untold.append(f"{email} ({why})")
    finally:
        ledger.close()
    return ("not told: " + "; ".join(untold)) if untold else ""


def form_key(version: int, content_hash: str) -> str:
    """The start of the key of every approval form asked for this version and content (``ask``
    adds the addresses' digest and the attempt)."""
    return f"approval-v{version}-{content_hash[:16]}".rstrip("-")


def submitted_answer(version: int, content_hash: str) -> ApprovalForm | None:
    """The answer submitted to this run's approval form for this content, if the run asked and
    someone answered (read without suspending; None otherwise). The latest, when it was asked
    again for a missing override reason."""
    from prefect.input.actions import filter_flow_run_input

    if not flow_run.id:
        return None
    # suspend_flow_run keeps the answer under "suspended-<key>-response" (prefect.input.run_input)
    prefix = f"suspended-{form_key(version, content_hash)}"
    found = [i for i in filter_flow_run_input(prefix, limit=50, flow_run_id=flow_run.id)
             if i.key.endswith("-response")]
    if not found:
        return None
    latest = max(found, key=lambda i: (i.created or datetime.min.replace(tzinfo=timezone.utc), i.key))
    try:
        return ApprovalForm(**latest.decoded_value)
    except Exception:  # noqa: BLE001 - the server checked it against the form's schema; anything else is not an answer
        return None


def record_late_answer(document_key: str, version: int, title: str, content_hash: str, project: Project | None,
                       council: Council, settings: Settings, transport_name: str) -> str:
    """A run that asked the approver resumed to find the document had gone out meanwhile (approved and
    sent by hand): its form's answer is recorded beside the approval (never over it) and, when it
    is a "no", the secretariat is told by mail -- someone objected to a document its readers already
    have. The Norwegian line saying so ("" when this run has no such answer)."""
    run_id = str(flow_run.id) if flow_run.id else None
    if not run_id or not can_suspend():
        return ""
    form = submitted_answer(version, content_hash)
    if form is None:
        return ""
    ledger = SentLedger(settings.ledger_url())
    try:
        decided = ledger.approval(document_key, version)
        if decided and decided["flow_run_id"] == run_id and decided["status"] in ("approved", "rejected", "unreasoned"):
            return ""         # this answer is the decision (recorded when it came): not a late one
        # recorded once per run (a run started again finds it there); mailed once per run alike
        ledger.late_answer(document_key, version, run_id, form.decision, shown_name(form.approver), form.comment,
                           content_hash or None, form.override_reason)
        went = ""
        if decided and decided["status"] == "approved":
            went = f" (godkjent av {decided['decided_by'] or 'ukjent'}" + \
                (f" {decided['decided_at']:%Y-%m-%d %H:%M} UTC)" if decided["decided_at"] else ")")
        rejected = form.decision != "godkjenn"
        who = shown_name(form.approver) or "ukjent"
        line = (f"{'Avvist' if rejected else 'Godkjent'} av {who} etter at dokumentet var sendt{went}"
                + (f": {form.comment}" if form.comment else "") + ".")
        logger = get_run_logger()
        if not rejected:       # a late "yes" to what went out: recorded and logged, nobody need act
            logger.info(line)
            return line
        logger.warning(line)
        secretariat = council.secretariat
        link = ui_link(run_id)
        lines = [f"{title} (versjon {version}) ble avvist av {who} i godkjenningsskjemaet etter at den "
                 f"var sendt{went}.",
                 f"Kommentar: {form.comment}" if form.comment else "Ingen kommentar.",
                 "Mottakerne har dokumentet. Vurder om det skal følges opp (rettelse, ny versjon eller "
                 "beskjed til mottakerne). Godkjenningen står uendret i sendeloggen; avvisningen er lagret "
                 "ved siden av den (grantflow sent).",
                 *([f"Kjøringen: {link}"] if link else [])]
        password = smtp_password(settings) if transport_name == "smtp" else None
        report = notify(f"late-rejection/{document_key}/v{version}", run_id, f"Avvist etter utsending: {title}",
                        lines, secretariat.name, secretariat.email, project, council, settings, ledger,
                        make_transport(settings, transport_name, password), settings.delivery.retry)
        if report.failed or report.pending:
            why = (report.failed or report.pending)[0][1]
            logger.error(f"the secretariat ({secretariat.email}) was not told of the late rejection: {why}")
            return line + f" Sekretariatet ble ikke varslet: {why}"
        return line + f" Sekretariatet er varslet ({secretariat.email})."
    finally:
        ledger.close()


def sent_meanwhile(document_key: str, version: int, title: str, content_hash: str, recipients: list[str],
                   settings: Settings) -> str:
    """This run was approved and found ``recipients`` (whom it meant to send to) had the document
    already: another run (or ``grantflow send``) approved and sent it while this one waited for its
    answer, and the claims in the ledger kept anyone from getting it twice. The Norwegian line that
    says so for the run's state and log ("" when the ledger has none of them sent): which document
    and version, who approved what went out, when, and that nobody got it twice. Before, such a run
    ended Completed with no message and its own approver's "Godkjent av …" in its note, as if it had
    sent the document."""
    from grantflow.delivery.ledger import aware

    wanted = {r.casefold() for r in recipients}
    run_id = str(flow_run.id) if flow_run.id else None
    ledger = SentLedger(settings.ledger_url())
    try:
        rows = [r for r in ledger.rows(document=document_key) if r.version == version and r.status == "sent"
                and r.recipient.casefold() in wanted]
        history = ledger.approval_history(document=document_key)
    finally:
        ledger.close()
    if not rows:
        return ""
    first = min(aware(r.delivered_at or r.updated_at) for r in rows)
    # the approval in force when it went out: the latest given for this content before the first mail
    given = [e for e in history if e["version"] == version and e["event"] == "approved"
             and e["document_hash"] in (None, content_hash) and aware(e["at"]) <= first]
    by = f"godkjent av {given[-1]['by'] or 'ukjent'} og " if given else ""
    where = "sendt av en annen kjøring" if not given or given[-1]["flow_run_id"] != run_id else "sendt"
    return (f"Ikke sendt på nytt: {title}, versjon {version} ({document_key}), ble {by}{where} mens denne "
            f"ventet på godkjenning ({len(rows)} av {len(wanted)} mottaker(e), fra {first:%Y-%m-%d %H:%M} UTC); "
            "ingen fikk den to ganger.")


# The key under which suspend_flow_run keeps an answer to ``ask``'s form: form_key, the addresses'
# digest (optional), the attempt, "-response" (prefect.input.run_input)
_ANSWER_KEY = re.compile(r"^suspended-approval-v(\d+)(?:-([0-9a-f]{16}))?(?:-[0-9a-f]{8})?-\d+-response$")


def record_superseded_answers(document_key: str, version: int, content_hash: str, settings: Settings) -> str:
    """Answers given in this run's form for content the run no longer sends (the data changed while
    the approver was asked: another version, or another document when the period moved), recorded in
    ``late_answers`` with the version and content hash they were given for -- never over an approval
    -- once per document version and run. Before, such an answer was lost: the resumed run rendered
    the new content, found no answer for it and asked anew (or found it sent by hand already), and
    nowhere said that someone had said yes or no to the earlier content. The Norwegian line saying so
    ("" when there is none). ``version``/``content_hash``: what the run makes now (its own answer for
    that is ``record_late_answer``'s or the decision)."""
    from prefect.input.actions import filter_flow_run_input

    run_id = str(flow_run.id) if flow_run.id else None
    if not run_id or not can_suspend():
        return ""
    answers: dict[tuple[int, str], tuple] = {}
    for item in filter_flow_run_input("suspended-approval-v", limit=200, flow_run_id=flow_run.id):
        found = _ANSWER_KEY.match(item.key)
        if not found:
            continue
        asked = (int(found[1]), found[2] or "")
        if asked == (version, content_hash[:16]):
            continue                           # this content's answer: the decision or a late answer
        try:
            form = ApprovalForm(**item.decoded_value)
        except Exception:  # noqa: BLE001 - checked by the server against the form; anything else is no answer
            continue
        created = item.created or datetime.min.replace(tzinfo=timezone.utc)
        if asked not in answers or created >= answers[asked][0]:
            answers[asked] = (created, form)   # asked again (no override reason): the latest counts
    if not answers:
        return ""
    lines = []
    ledger = SentLedger(settings.ledger_url())
    try:
        rows = ledger.approvals()
        for (asked_version, prefix), (_, form) in sorted(answers.items()):
            # the request this answer was for: this run's (a request another process replaced keeps
            # its document and content), else this document's own version
            fits = [r for r in rows if r["version"] == asked_version and (r["document_hash"] or "").startswith(prefix)
                    and (r["flow_run_id"] == run_id or r["document"] == document_key)]
            fits.sort(key=lambda r: r["flow_run_id"] != run_id)
            row = fits[0] if fits else None
            document = row["document"] if row else document_key
            full = (row["document_hash"] if row else None) or prefix or None
            if row and row["flow_run_id"] == run_id and row["status"] in ("approved", "rejected", "unreasoned") \
                    and row["document_hash"] == full:
                continue                       # this run's decision for that content (recorded when it came)
            if not ledger.late_answer(document, asked_version, run_id, form.decision, shown_name(form.approver),
                                      form.comment,
                                      full, form.override_reason):
                continue                       # recorded before (a run started again)
            if document == document_key and asked_version != version:
                # the request this answer was for is answered, for content the document no longer is
                ledger.approval_superseded(document, asked_version, full, version)
            verb = "Godkjent" if form.decision == "godkjenn" else "Avvist"
            lines.append(f"{verb} av {shown_name(form.approver) or 'ukjent'} for {document} versjon {asked_version} "
                         f"(innhold {(full or '')[:12]}), som ikke lenger er det som sendes: innholdet er endret "
                         "siden. Svaret er lagret i sendeloggen (grantflow sent), ikke som godkjenning.")
    finally:
        ledger.close()
    for line in lines:
        get_run_logger().warning(line)
    return " ".join(lines)


def _digest(shown: str) -> str:
    """A short mark of the addresses a request showed, for its form's and mail's keys ("" for none:
    the keys of requests made before addresses were recorded stay as they were)."""
    return f"-{hashlib.sha256(shown.encode()).hexdigest()[:8]}" if shown else ""


def approver_of(council: Council, settings: Settings) -> tuple[str, str]:
    """(name, e-mail) of who approves: ``delivery.approver_email`` or the council's secretariat."""
    email = settings.delivery.approver_email or council.secretariat.email
    name = settings.delivery.approver_name or (council.secretariat.name if email == council.secretariat.email
                                               else email)
    return name, email


def document_title(document_key: str, register) -> str:
    """A ledger document key (``<council>/<project or ->/<kind>-<period>``) named as its approval
    request's subject names it ("Til godkjenning: <title>"): the kind's title, the project's (or
    council's) name and the period -- not the internal key."""
    from grantflow.documents import KINDS

    council_id, project_id, rest = (document_key.split("/") + ["", ""])[:3]
    kind, _, period = rest.partition("-")
    project = register.projects.get(project_id) if project_id != "-" else None
    council = register.councils.get(council_id)
    named = project.name if project else council.name if council else council_id
    title = KINDS[kind].title if kind in KINDS else kind
    return f"{title}: {named} ({period})" if period else f"{title}: {named}"


def deadline_of(document_key: str, register, settings: Settings):
    """The deadline (``DueItem``) the watch made ``document_key`` for, or None (a document sent by
    hand for no deadline, or one for a steering-group meeting)."""
    from grantflow.deadlines import calendar, is_document_of

    return next((item for item in calendar(register, settings.deadline_shift)
                 if item.makes_document and item.meeting is None and is_document_of(item, document_key)), None)


def deadline_words(item, verb: str = "er") -> str:
    """"fristen til Fylkesmannen i Buskerud (skjønnsmidler) er 15. januar 2015": whose deadline and
    when, for the approver's mails; one per funder when the document serves several."""
    from grantflow import fmt

    if not item.funder_words:
        return f"fristen {verb} {fmt.long_date(item.due)}"
    return " og ".join(f"fristen til {funder} {verb} {fmt.long_date(day)}" for funder, _, day in item.funder_words)


def send_command(document_key: str, settings: Settings, out: str | None = None) -> str:
    """The command that shows a held document's preview, asks for approval and sends it, dated as
    the held version is (``held_command``: the kind's own options)
    ("haugaland-vekst/haugaland-velferdsteknologi/status-2016-10-07" -> ``grantflow send status ...``)."""
    from grantflow.documents.service import held_command

    return f"{held_command(document_key, settings.records_dir(out))} --transport smtp"


def unreached_why(detail: str | None) -> str:
    """Why the approver's request did not go, from the batch's mark (``flows.batch.untold_key``:
    "<approver>: <why>")."""
    return (detail or "").partition(": ")[2] or (detail or "ukjent grunn")


def withdraw_ended(ledger: SentLedger) -> list[str]:
    """The open requests of runs that ended without an answer (Failed: their approval timeout
    passed, "paused and never resumed"; Crashed; Cancelled) withdrawn: an answer can no longer send
    them, and ``grantflow sent`` kept them "forespurt" and the approver was reminded of a dead link.
    The documents withdrawn; a run Prefect cannot tell about is left as it is."""
    from uuid import UUID

    from prefect.client.orchestration import get_client

    waiting = {row["flow_run_id"] for row in ledger.approvals("requested") if row["flow_run_id"]}
    done: list[str] = []
    if not waiting:
        return done
    with get_client(sync_client=True) as client:
        for run_id in sorted(waiting):
            try:
                state = client.read_flow_run(UUID(run_id)).state
            except Exception:  # noqa: BLE001 - unknown here: left open, as before
                continue
            if state is not None and state.type.value in ("FAILED", "CRASHED", "CANCELLED"):
                why = f"kjøringen endte ({state.name}) uten svar: {' '.join((state.message or '').split())}"
                done += ledger.approval_withdrawn(run_id, why.rstrip(": ")[:500])
    return done


def remind_pending(as_of: date, settings: Settings, register, transport_name: str) -> list[str]:
    """Remind approvers of requests unanswered for ``approval_reminder_days`` working days
    (again every as many working days); what was sent."""
    lead = settings.delivery.approval_reminder_days
    sent: list[str] = []
    ledger = SentLedger(settings.ledger_url())
    try:
        withdraw_ended(ledger)
        every = ledger.approvals()
        untold = {r["key"]: r for r in ledger.watch_rows() if r["key"].startswith("approval-untold:")}
        # A run waits for one answer: its latest request. An earlier one was for content the run
        # no longer sends (it rendered other content after resuming) and can never be answered.
        latest = {row["flow_run_id"]: row for row in every if row["flow_run_id"]}
        for row in every:
            if row["status"] != "requested" or (row["flow_run_id"] and latest[row["flow_run_id"]] is not row):
                continue
            last = (row["reminded_at"] or row["requested_at"]).date()
            # a request (a batch's or a waiting run's) whose mail never reached the approver (server
            # down, address refused) is due now: the approver has not heard of it at all
            mark = untold.get(f"approval-untold:{row['document']}:v{row['version']}")
            unreached = mark is not None and mark["status"] == "failed"
            if working_days_until(last, as_of) < lead and not unreached:
                continue
            council_id, project_id = row["document"].split("/")[:2]
            council = register.council(council_id)
            project = register.project(project_id) if project_id != "-" else None
            name, email = approver_of(council, settings)
            link = ui_link(row["flow_run_id"]) if row["flow_run_id"] else None
            # named as the request's subject named it, with whose deadline it is and when (it read
            # "kongsbergregionen/-/usage-2014 versjon 1 har ventet ...": an internal key, no deadline)
            title = document_title(row["document"], register)
            item = deadline_of(row["document"], register, settings)
            deadline = [] if item is None else [
                f"Den skal sendes innen fristen: {deadline_words(item)}." if item.due >= as_of else
                f"Fristen er passert ({deadline_words(item, 'var')}), og den er ikke sendt."]
            lines = [f"{title} (versjon {row['version']}) har ventet på din godkjenning siden "
                     f"{row['requested_at']:%d.%m.%Y}. Ingenting sendes før noen godkjenner.", *deadline,
                     *([f"Forespørselen om godkjenning nådde deg ikke da ({unreached_why(mark['detail'])}); "
                        "dette er første gang du får den."] if unreached else []),
                     f"Godkjenn eller avvis her: {link}" if link else
                     "Ingen kjøring venter på svaret (dokumentet ble holdt tilbake av en bunkekjøring). Se "
                     f"forhåndsvisningen, godkjenn og send med: {send_command(row['document'], settings)}"]
            password = smtp_password(settings) if transport_name == "smtp" else None
            report = notify(f"approval-reminder/{row['document']}/v{row['version']}", as_of.isoformat(),
                            f"Påminnelse: venter på godkjenning – {title}", lines, name, email, project,
                            council, settings, ledger, make_transport(settings, transport_name, password),
                            settings.delivery.retry)
            if report.sent:
                ledger.approval_reminded(row["document"], row["version"])
                if unreached:
                    ledger.watch_record(f"approval-untold:{row['document']}:v{row['version']}", "done",
                                        f"påminnelse sendt {email}")
                sent.append(f"{row['document']} v{row['version']} -> {email}")
            elif unreached and row["flow_run_id"] and (report.failed or report.pending):
                # still not reached: the secretariat is told once for the run (skipped when the run
                # told it already), also when the mail server was down for it too that day
                from flows.batch import tell_secretariat_unreached

                tell_secretariat_unreached(email, (report.failed or report.pending)[0][1],
                                           [{"key": row["document"], "version": row["version"],
                                             "council": council_id}], {council_id: council}, settings, ledger,
                                           transport_name, password, run_id=row["flow_run_id"])
    finally:
        ledger.close()
    return sent
