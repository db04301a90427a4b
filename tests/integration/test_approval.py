"""Approval that waits, against a real Prefect server: `grantflow serve` runs the document
deployments; external sending suspends the run (the process exits), the approver is mailed a
preview with a link to the run, and the run resumes when the form is submitted.

- approve -> every recipient gets the document exactly once, the decision is in the ledger;
- reject  -> nothing sent, the run ends Cancelled (not Completed);
- no answer -> deadline_watch reminds the approver after the configured working days, nothing sent.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from ..conftest import ROOT
from ..docx_text import all_text
from .conftest import BIN, api_get, api_post, serving_over_smtp

pytestmark = pytest.mark.integration

SECRETARIAT = "post@kongsbergregionen.example.no"


@pytest.fixture(scope="module")
def served(server, tmp_path_factory):
    """SMTP on 127.0.0.1, a config that sends through it, and `grantflow serve` on the server."""
    # the watch is added last: once it is registered, every deployment is
    with serving_over_smtp(server, tmp_path_factory, "approval", "deadline_watch/deadline-watch") as served:
        yield served


def week_later() -> date:
    """A working day at least a week from today: the watch does nothing on weekends and holidays."""
    from grantflow.deadlines import shift_to_working_day

    return shift_to_working_day(date.today() + timedelta(days=7), "after")


def start(served, deployment: str, parameters: dict) -> str:
    dep = api_get(served["api"], f"/deployments/name/{deployment}")
    run = api_post(served["api"], f"/deployments/{dep['id']}/create_flow_run", {"parameters": parameters})
    return run["id"]


def wait_for(served, run_id: str, *state_types: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api_get(served["api"], f"/flow_runs/{run_id}")
        if run["state_type"] in state_types:
            return run
        assert run["state_type"] not in ("FAILED", "CRASHED"), run["state"]
        time.sleep(1.5)
    pytest.fail(f"run {run_id} not {state_types} after {timeout:.0f} s: {run['state_type']}\n"
                f"{served['log'].read_text()[-3000:]}")


def mails(served, subject_part: str) -> list:
    return [m for m in served["smtp"].recorder.messages() if subject_part in str(m["Subject"])]


def document_recipients(served, title: str) -> Counter:
    return Counter(str(m["To"].addresses[0].addr_spec).casefold() for m in mails(served, title)
                   if "godkjenning" not in str(m["Subject"]).casefold())


def resume(served, run_id: str, **answer) -> None:
    body = api_post(served["api"], f"/flow_runs/{run_id}/resume", {"run_input": answer})
    assert body["status"] == "ACCEPT", body


def test_approve_sends_exactly_once(served):
    run_id = start(served, "application/application", {"project": "kongsbergregionen-erp", "year": 2014})
    run = wait_for(served, run_id, "PAUSED")
    assert run["state"]["name"] == "Suspended"
    (request,) = mails(served, "Til godkjenning")
    assert request["To"].addresses[0].addr_spec == SECRETARIAT
    body = request.get_body(("plain",)).get_content()
    assert f"/runs/flow-run/{run_id}" in body and "Mottakere:" in body
    assert not document_recipients(served, "Søknad")          # nothing sent before the decision
    resume(served, run_id, approver="Kari Nordmann", decision="godkjenn", comment="Ser bra ut",
           override_reason="")
    wait_for(served, run_id, "COMPLETED")
    sent = document_recipients(served, "Søknad")
    assert sent and set(sent.values()) == {1}, sent
    assert "fmbupost@fylkesmannen.example.no" in sent
    assert len(mails(served, "Til godkjenning")) == 1           # the resumed run does not ask again
    out = subprocess.run([str(BIN / "grantflow"), "sent", "kongsbergregionen-erp"], env=served["env"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Kari Nordmann" in out.stdout and "godkjent" in out.stdout.casefold(), out.stdout


def test_reject_sends_nothing_and_is_not_completed(served):
    run_id = start(served, "final_report/final-report", {"project": "kongsbergregionen-erp"})
    wait_for(served, run_id, "PAUSED")
    before = len(served["smtp"].recorder.arrived)
    # who decided is recorded as one line: a name with a line break, no name, or a comment of
    # megabytes is refused when submitted and the run keeps waiting for a proper answer
    for odd in ({"approver": "Per Hansen\nBcc: alle@example.no"}, {"approver": " "},
                {"approver": "Per Hansen", "comment": "x\r\n" * 400_000}):
        body = api_post(served["api"], f"/flow_runs/{run_id}/resume",
                        {"run_input": {"decision": "avvis", "comment": "", "override_reason": "", **odd}})
        assert body["status"] == "REJECT", (odd["approver"], body)
        assert api_get(served["api"], f"/flow_runs/{run_id}")["state_type"] == "PAUSED"
    resume(served, run_id, approver="Per Hansen", decision="avvis", comment="Tallene må sjekkes",
           override_reason="")
    run = wait_for(served, run_id, "CANCELLED", "COMPLETED")
    assert run["state_type"] == "CANCELLED", run["state"]
    assert "Avvist av Per Hansen" in run["state"]["message"] and "Tallene må sjekkes" in run["state"]["message"]
    assert len(served["smtp"].recorder.arrived) == before
    assert not document_recipients(served, "Sluttrapport")


def test_no_answer_reminds_and_sends_nothing(served):
    run_id = start(served, "grant_usage_report/grant-usage-report", {"council": "kongsbergregionen", "year": 2014})
    wait_for(served, run_id, "PAUSED")
    assert len(mails(served, "Til godkjenning")) >= 1
    later = week_later()                                       # > 2 working days without an answer
    watch = start(served, "deadline_watch/deadline-watch", {"as_of": later.isoformat()})
    wait_for(served, watch, "COMPLETED")
    reminders = mails(served, "venter på godkjenning")
    assert reminders and all(m["To"].addresses[0].addr_spec == SECRETARIAT for m in reminders)
    # named as the request names it (h24-late): the document's title and year, not its key usage-2014
    assert any("Rapportering om bruk av skjønnsmidler" in body and "(2014)" in body
               for body in (" ".join(m.get_body(("plain",)).get_content().split()) for m in reminders))
    assert api_get(served["api"], f"/flow_runs/{run_id}")["state_type"] == "PAUSED"
    assert not document_recipients(served, "Rapportering")


def test_an_answer_is_for_the_document_it_was_asked_for(served):
    # The approver is shown the final report for the period ending 2021; before they answer, the
    # project is extended. The resumed run renders the report to 2022: the answer given for the
    # other document must not send this one, which nobody has seen -- it is asked for anew.
    path = served["config"] / "projects" / "smart-velferdsregion-nord-gudbrandsdal.yaml"
    original = path.read_text(encoding="utf-8")
    governor = "fminpost@fylkesmannen.example.no"
    try:
        run_id = start(served, "final_report/final-report", {"project": "smart-velferdsregion-nord-gudbrandsdal"})
        wait_for(served, run_id, "PAUSED")
        assert len(mails(served, "(2021)")) == 1
        path.write_text(original.replace("end: 2021-06-30", "end: 2022-06-30"), encoding="utf-8")
        resume(served, run_id, approver="Kari Nordmann", decision="godkjenn", comment="",
               override_reason="RF rettes i neste versjon")
        run = wait_for(served, run_id, "PAUSED", "COMPLETED", "CANCELLED")
        sent = [m for m in mails(served, "Sluttrapport") if m["To"].addresses[0].addr_spec == governor]
        assert not sent, [str(m["Subject"]) for m in sent]
        assert run["state_type"] == "PAUSED", run["state"]
        (request,) = mails(served, "Til godkjenning: Sluttrapport: Smart velferdsregion Nord-Gudbrandsdal (2022)")
        resume(served, run_id, approver="Kari Nordmann", decision="godkjenn", comment="",
               override_reason="RF rettes i neste versjon")
        wait_for(served, run_id, "COMPLETED")
        (sent,) = [m for m in mails(served, "Sluttrapport") if m["To"].addresses[0].addr_spec == governor]
        assert [a.get_filename() for a in sent.iter_attachments()] == ["sluttrapport-smart-velferdsregion-nord-gudbrandsdal-2022.docx"]
        # the request for the 2021 report can no longer be answered: nobody is reminded of it
        watch = start(served, "deadline_watch/deadline-watch", {"as_of": week_later().isoformat()})
        wait_for(served, watch, "COMPLETED")
        stale = [m for m in mails(served, "venter på godkjenning") if "final-2021" in str(m["Subject"])]
        assert not stale, [str(m["Subject"]) for m in stale]
    finally:
        path.write_text(original, encoding="utf-8")


def wait_settled(served, run_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api_get(served["api"], f"/flow_runs/{run_id}")
        if run["state_type"] in ("PAUSED", "COMPLETED", "CANCELLED", "FAILED", "CRASHED"):
            return run
        time.sleep(1.5)
    pytest.fail(f"run {run_id} not settled after {timeout:.0f} s")


def final_2017(served) -> list:
    """The final report of Velferdsteknologi Haugaland as sent to its recipients (not the approver's preview)."""
    return [m for m in served["smtp"].recorder.messages() if "godkjenning" not in str(m["Subject"]).casefold()
            and "sluttrapport-haugaland-velferdsteknologi-2017.docx" in [a.get_filename() for a in m.iter_attachments()]]


def test_a_decision_is_for_the_content_it_was_given_for(served, tmp_path):
    # Rejected in one outputs folder; the data change and the report is made in another folder,
    # whose record knows no version. The old rejection must neither stop nor cover this content
    # (before: the run ended at once "Avvist av Per Hansen", nobody was asked). The sent ledger
    # numbers it: it has version 1 (rejected) with other content, so this is version 2, and the
    # approver is asked for it.
    project, governor = "haugaland-velferdsteknologi", "fmropost@fylkesmannen.example.no"
    path = served["config"] / "projects" / f"{project}.yaml"
    original = path.read_text(encoding="utf-8")
    # a served run writes only to the installation's outputs folder itself (flows.runtime.deployment_run):
    # the rejected version's files and record are moved out of it, so the record knows no version
    outputs = Path(served["env"]["GRANTFLOW_OUTPUTS"])
    folder = outputs / "haugaland-vekst" / project
    try:
        first = start(served, "final_report/final-report", {"project": project})
        wait_for(served, first, "PAUSED")
        resume(served, first, approver="Per Hansen", decision="avvis", comment="Tallene må sjekkes", override_reason="")
        assert wait_for(served, first, "CANCELLED", "COMPLETED")["state_type"] == "CANCELLED"
        asked = len(mails(served, "Til godkjenning"))

        assert "Sturle J. Monstad" in original
        path.write_text(original.replace("Sturle J. Monstad", "Sturle J. Monstadt"), encoding="utf-8")
        (tmp_path / "o1").mkdir()
        for made in folder.glob("final-2017*"):
            made.rename(tmp_path / "o1" / made.name)
        second = start(served, "final_report/final-report", {"project": project})
        wait_for(served, second, "PAUSED")                         # asked anew, for this content
        assert len(mails(served, "Til godkjenning")) == asked + 1
        assert not final_2017(served)
        resume(served, second, approver="Kari Nordmann", decision="godkjenn", comment="",
               override_reason="Kontrollert")
        wait_for(served, second, "COMPLETED")
        sent = [m for m in final_2017(served) if m["To"].addresses[0].addr_spec == governor]
        assert len(sent) == 1 and "· versjon 2 ·" in all_text(folder / "final-2017.docx")
        docx = (folder / "final-2017.docx").read_bytes()
        assert next(sent[0].iter_attachments()).get_content() == docx
    finally:
        path.write_text(original, encoding="utf-8")


def test_an_approval_covers_the_addresses_it_showed(served):
    # The approver is shown the application going to the county governor's mailbox; before they
    # answer, the council file gets the office's new address. The old code sent it there on the
    # answer given for the old one: an address nobody approved. Now the approver is asked anew,
    # with the new address in the preview, and it goes out once after that answer.
    path = served["config"] / "councils" / "kongsbergregionen.yaml"
    original = path.read_text(encoding="utf-8")
    old, new = "fmbupost@fylkesmannen.example.no", "postmottak@statsforvalteren.example.no"
    try:
        run_id = start(served, "application/application", {"project": "kongsbergregionen-erp", "year": 2013})
        wait_for(served, run_id, "PAUSED")
        (first,) = mails(served, "Til godkjenning: Søknad om skjønnsmidler: ERP-prosjektet for 4 kommuner (2013)")
        assert old in first.get_body(("plain",)).get_content()
        path.write_text(original.replace(old, new), encoding="utf-8")
        resume(served, run_id, approver="Kari Nordmann", decision="godkjenn", comment="", override_reason="")
        run = wait_for(served, run_id, "PAUSED", "COMPLETED")
        assert not [m for m in document_recipients(served, "ERP-prosjektet for 4 kommuner – 2013") if m in (old, new)], \
            document_recipients(served, "ERP-prosjektet for 4 kommuner – 2013")
        assert run["state_type"] == "PAUSED", run["state"]
        requests = mails(served, "Til godkjenning: Søknad om skjønnsmidler: ERP-prosjektet for 4 kommuner (2013)")
        assert len(requests) == 2 and new in requests[1].get_body(("plain",)).get_content()
        resume(served, run_id, approver="Kari Nordmann", decision="godkjenn", comment="ny adresse sett",
               override_reason="")
        wait_for(served, run_id, "COMPLETED")
        sent = document_recipients(served, "ERP-prosjektet for 4 kommuner – 2013")
        assert sent[new] == 1 and old not in sent, sent
    finally:
        path.write_text(original, encoding="utf-8")


def application_by_hand(served, project: str, year: int, reason: str, title: str) -> dict:
    """`grantflow send application PROJECT --year YEAR --yes --override-reason REASON` by SMTP, as
    the secretariat sends it while a run waits: everyone got version 1 of it (their versions)."""
    by_hand = subprocess.run([str(BIN / "grantflow"), "send", "application", project, "--year", str(year), "--yes",
                              "--override-reason", reason, "--transport", "smtp"],
                             env=served["env"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert by_hand.returncode == 0, by_hand.stdout + by_hand.stderr
    sent = document_recipients(served, title)
    assert sent and set(sent.values()) == {1}, sent
    return sent


def test_a_form_answered_after_the_document_went_out_by_hand_does_not_rewrite_the_record(served):
    # The approver is asked in the form; meanwhile the secretariat approves and sends the document by
    # hand (grantflow send --yes). A "no" given afterwards in the form must not write "rejected" over
    # the approval of a document that has gone, nor send anything again. The resumed run plans again
    # and finds that everyone has this version; the late "no" is recorded beside the approval, shown
    # by `grantflow sent` and in the run's final message, and the secretariat is told by mail (the
    # document is out: someone must decide whether to follow it up).
    from grantflow.delivery.ledger import SentLedger

    project, title = "haugaland-velferdsteknologi", "Haugaland – 2016"
    # an application for 0 kr is not sent (544bfea): this one applies for money in 2016 too
    path = served["config"] / "projects" / f"{project}.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("applied_for: true, amounts: {2015: 400000}",
                                     "applied_for: true, amounts: {2015: 400000, 2016: 200000}"), encoding="utf-8")
    try:
        _answered_after_sent_by_hand(served, project, title)
    finally:
        path.write_text(original, encoding="utf-8")


def _answered_after_sent_by_hand(served, project: str, title: str) -> None:
    from grantflow.delivery.ledger import SentLedger

    run_id = start(served, "application/application", {"project": project, "year": 2016})
    wait_for(served, run_id, "PAUSED")
    assert not document_recipients(served, title)
    sent = application_by_hand(served, project, 2016, "avviket på 585 kr er avklart", title)
    resume(served, run_id, approver="Per Hansen", decision="avvis", comment="Tallene må sjekkes",
           override_reason="")
    run = wait_for(served, run_id, "CANCELLED", "COMPLETED")
    assert document_recipients(served, title) == sent            # nothing twice
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        (row,) = [a for a in ledger.approvals(project=project) if "application-2016" in a["document"]]
    finally:
        ledger.close()
    assert row["status"] == "approved" and "grantflow send --yes" in (row["comment"] or ""), row
    assert run["state_type"] == "COMPLETED", run["state"]          # everyone has it: nothing left to do
    message = run["state"]["message"] or ""
    assert "Avvist av Per Hansen" in message and "etter at dokumentet var sendt" in message, message
    listed = subprocess.run([str(BIN / "grantflow"), "sent", project], env=served["env"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "avvist etter utsending" in listed.stdout and "Tallene må sjekkes" in listed.stdout, listed.stdout
    (told,) = mails(served, "Avvist etter utsending")
    assert told["To"].addresses[0].addr_spec == "post@haugalandvekst.example.no"
    body = told.get_body(("plain",)).get_content()
    assert "Per Hansen" in body and "Tallene må sjekkes" in body and f"/runs/flow-run/{run_id}" in body, body
    # the late "no" is kept beside the approval, not over it
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        (late,) = [a for a in ledger.late_answers(project=project) if "application-2016" in a["document"]]
    finally:
        ledger.close()
    assert (late["decision"], late["decided_by"], late["comment"], late["flow_run_id"]) == \
        ("avvis", "Per Hansen", "Tallene må sjekkes", run_id), late


def test_an_answer_for_content_changed_meanwhile_is_kept_beside_the_approval(served):
    # The approver is asked about Haugaland's application for 2015 (version 1). Before they answer,
    # the contact's name is corrected and the secretariat sends the corrected application (version 2)
    # by hand. The "no" then given in the form was for version 1, which nobody received: the resumed
    # run found version 2 sent, had no answer for it and said nothing -- the "no" was nowhere. Now it
    # is recorded in late_answers with version 1's content hash, beside (not over) the approval of
    # version 2, shown by `grantflow sent`, and nothing is sent twice.
    from grantflow.delivery.ledger import SentLedger

    project, title = "haugaland-velferdsteknologi", "Haugaland – 2015"
    path = served["config"] / "projects" / f"{project}.yaml"
    original = path.read_text(encoding="utf-8")
    try:
        run_id = start(served, "application/application", {"project": project, "year": 2015})
        wait_for(served, run_id, "PAUSED")
        path.write_text(original.replace("Sturle J. Monstad", "Sturle J. Monstadt"), encoding="utf-8")
        sent = application_by_hand(served, project, 2015, "avviket er avklart", title)
        resume(served, run_id, approver="Per Hansen", decision="avvis", comment="Feil kontaktperson",
               override_reason="")
        run = wait_for(served, run_id, "CANCELLED", "COMPLETED")
        assert document_recipients(served, title) == sent            # nothing twice
        assert run["state_type"] == "COMPLETED", run["state"]
        ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
        try:
            rows = {a["version"]: a for a in ledger.approvals(project=project) if "application-2015" in a["document"]}
            late = [a for a in ledger.late_answers(project=project) if "application-2015" in a["document"]]
            delivered = {r.document_hash for r in ledger.rows(project=project) if "application-2015" in r.document}
        finally:
            ledger.close()
        assert rows[2]["status"] == "approved", rows                  # the real approval is untouched
        (answer,) = late
        assert (answer["version"], answer["decision"], answer["decided_by"], answer["comment"],
                answer["flow_run_id"]) == (1, "avvis", "Per Hansen", "Feil kontaktperson", run_id), answer
        assert answer["document_hash"] == rows[1]["document_hash"] and answer["document_hash"] not in delivered
        listed = subprocess.run([str(BIN / "grantflow"), "sent", project], env=served["env"], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert listed.returncode == 0, listed.stderr
        # the table wraps the status cell: "avvist for endret | innhold (ikke sendt)"
        assert "avvist for endret" in listed.stdout and "Feil kontaktperson" in listed.stdout, listed.stdout
        assert answer["document_hash"][:12] in listed.stdout
        # version 1's request is answered, for content the application no longer is: it said "venter"
        # in `grantflow sent` for ever (and its approver was reminded of it); it is superseded by version 2
        assert (rows[1]["status"], rows[1]["comment"]) == ("superseded", "erstattet av versjon 2"), rows[1]
        (first,) = [line for line in listed.stdout.splitlines() if "application-2015" in line and (
                    "venter" in line or f" {answer['document_hash'][:12]} " in line and "erstattet" in line)]
        assert "erstattet av versjon 2" in first and "venter" not in first, listed.stdout
    finally:
        path.write_text(original, encoding="utf-8")


def test_a_status_report_still_waiting_for_approval_when_its_meeting_passes_is_told_once(served):
    # The watch of 7.10.2016 triggers Haugaland's status report (meeting 14.10); its data have
    # errors, so the run waits for the approver. Nobody answers before the meeting. The run kept
    # waiting: nobody heard that the steering group never got the report, the approver was
    # reminded of a report for a meeting already held, and a "godkjenn" in the form days later
    # would have sent it after the meeting. Now the morning after the meeting the run is ended
    # (Cancelled), the request withdrawn, and the secretariat gets one "Ikke sendt" mail with the
    # command that sends it now; the steering group gets nothing, and the next morning nothing new.
    from grantflow.delivery.ledger import SentLedger

    project, key = "haugaland-velferdsteknologi", "status:haugaland-velferdsteknologi:2016-10-07"
    before = len(served["smtp"].recorder.messages())      # the module's earlier tests mailed the group too
    watch = start(served, "deadline_watch/deadline-watch", {"as_of": "2016-10-07"})
    wait_for(served, watch, "COMPLETED")
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        rows = {r["key"]: r for r in ledger.watch_rows()}
    finally:
        ledger.close()
    assert rows[key]["status"] == "triggered", rows
    run_id = rows[key]["detail"]
    wait_for(served, run_id, "PAUSED")
    asked = mails(served, "Til godkjenning: Statusrapport")
    assert len(asked) == 1
    watch = start(served, "deadline_watch/deadline-watch", {"as_of": "2016-10-17"})
    wait_for(served, watch, "COMPLETED")
    run = api_get(served["api"], f"/flow_runs/{run_id}")
    assert run["state_type"] == "CANCELLED", run["state"]
    (notice,) = mails(served, "Ikke sendt: Statusrapport før styringsgruppemøtet 14.10.2016")
    assert [a.addr_spec for a in notice["To"].addresses] == ["post@haugalandvekst.example.no"]
    body = notice.get_body(("plain",)).get_content()
    assert "ventet fortsatt på godkjenning" in body and "14. oktober 2016" in body, body
    assert "grantflow send status haugaland-velferdsteknologi --as-of 2016-10-07 --transport smtp" in body, body
    steering = {"radmann@haugesund.example.no", "radmann@karmoy.example.no"}
    assert not [m for m in served["smtp"].recorder.messages()[before:]
                if {a.addr_spec for a in m["To"].addresses} & steering]
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        rows = {r["key"]: r for r in ledger.watch_rows()}
        (request,) = [a for a in ledger.approvals(project=project) if a["flow_run_id"] == run_id]
    finally:
        ledger.close()
    assert rows[key]["status"] == "missed" and request["status"] == "withdrawn", (rows[key], request)
    count = len(served["smtp"].recorder.messages())
    watch = start(served, "deadline_watch/deadline-watch", {"as_of": "2016-10-18"})
    wait_for(served, watch, "COMPLETED")
    assert len(served["smtp"].recorder.messages()) == count          # once; no reminder for the request
    listed = subprocess.run([str(BIN / "grantflow"), "sent", project], env=served["env"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert "trukket tilbake" in listed.stdout, listed.stdout


APPROVER, HAUGALAND_SECRETARIAT = "godkjenner@haugalandvekst.example.no", "post@haugalandvekst.example.no"
HAUGALAND_GOVERNOR = "fmropost@fylkesmannen.example.no"


@contextlib.contextmanager
def own_approver(served):
    """delivery.approver_email set while the test runs: the approver is not the secretariat."""
    import yaml

    path = served["config"] / "grantflow.yaml"
    original = path.read_text(encoding="utf-8")
    settings = yaml.safe_load(original)
    settings["delivery"]["approver_email"] = APPROVER
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    try:
        yield
    finally:
        path.write_text(original, encoding="utf-8")


def edit_docx(path: Path, old: str, new: str) -> None:
    """``old`` replaced by ``new`` in the document's text, as Word saves it (zip rewritten)."""
    import zipfile

    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                assert old.encode() in data, old
                data = data.replace(old.encode(), new.encode())
            zout.writestr(item, data)
    tmp.replace(path)


def test_an_approval_the_run_cannot_act_on_is_recorded_and_told(served):
    # The secretariat starts the usage report for 2015 (it goes to the county governor: approved
    # first). While the approver looks at it, someone opens usage-2015.docx in Word and saves it.
    # Kari Revisor approves in the form (comment, override reason). The resumed run found the edited
    # file and Failed ("changed after grantflow made it") with a traceback in serve's log; the
    # ledger kept only "forespurt", the answer lived in Prefect alone, and nobody was told: the
    # approver believed the report had gone to the county governor. Now the answer is in the ledger
    # as soon as the run resumes, the approver and the secretariat each get one mail saying the
    # approved report was NOT sent, why and what to do, and the run fails with that one line.
    from grantflow.delivery.ledger import SentLedger

    logged = served["log"].stat().st_size
    with own_approver(served):
        run_id = start(served, "grant_usage_report/grant-usage-report",
                       {"council": "haugaland-vekst", "year": 2015, "as_of": "2016-01-12"})
        wait_for(served, run_id, "PAUSED")
        (request,) = mails(served, "Til godkjenning: Rapportering om bruk av skjønnsmidler: Haugaland Vekst (2015)")
        assert request["To"].addresses[0].addr_spec == APPROVER
        before = len(served["smtp"].recorder.arrived)
        docx = Path(served["env"]["GRANTFLOW_OUTPUTS"]) / "haugaland-vekst" / "usage-2015.docx"
        edit_docx(docx, "Haugaland Vekst", "Haugaland Vekst IKS")
        resume(served, run_id, approver="Kari Revisor", decision="godkjenn", comment="Tallene stemmer",
               override_reason="Avviket er avklart med revisor")
        run = wait_settled(served, run_id)
    assert run["state_type"] == "FAILED", run["state"]
    message = run["state"]["message"] or ""
    assert "usage-2015.docx was changed after grantflow made it" in message and "\n" not in message, message
    log = served["log"].read_bytes()[logged:].decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    # the decision, in grantflow's own ledger
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        (row,) = [a for a in ledger.approvals(council="haugaland-vekst") if a["document"].endswith("/usage-2015")]
        sent = [r for r in ledger.rows(council="haugaland-vekst") if r.document.endswith("/usage-2015")]
    finally:
        ledger.close()
    assert (row["status"], row["decided_by"], row["comment"], row["override_reason"]) == \
        ("approved", "Kari Revisor", "Tallene stemmer", "Avviket er avklart med revisor"), row
    assert not sent, sent
    # one mail each to the approver and the secretariat; nothing to the county governor
    told = [message_from(content) for _, _, content in served["smtp"].recorder.arrived[before:]]
    assert sorted(a.addr_spec for m in told for a in m["To"].addresses) == sorted([APPROVER, HAUGALAND_SECRETARIAT]), \
        [(str(m["To"]), str(m["Subject"])) for m in told]
    # (the module's server has what its other tests sent: only what came since this run asked counts)
    assert HAUGALAND_GOVERNOR not in [r for _, rcpts, _ in served["smtp"].recorder.arrived[before:] for r in rcpts]
    for mail in told:
        assert "Ikke sendt" in str(mail["Subject"]), str(mail["Subject"])
        body = mail.get_body(("plain",)).get_content()
        assert "Kari Revisor" in body and "ble IKKE sendt" in body, body
        assert "usage-2015.docx was changed after grantflow made it" in body and "Traceback" not in body, body
        assert "grantflow send usage --council haugaland-vekst --year 2015" in body, body
        assert not list(mail.iter_attachments())


def message_from(content: bytes):
    from email import message_from_bytes, policy

    return message_from_bytes(content, policy=policy.default)


def test_an_approved_report_the_mail_server_refuses_is_told_to_the_approver(served):
    # Approved in the form, the usage report for 2016 went out, but the county governor's mail
    # server refused the address (550). The secretariat was told of the refused address; the
    # approver heard nothing and believed the report was with the county governor. Now the
    # approver gets one mail saying it was NOT sent to them, and the secretariat only its own one.
    from grantflow.delivery.ledger import SentLedger

    refuse = served["smtp"].recorder.refuse
    with own_approver(served):
        run_id = start(served, "grant_usage_report/grant-usage-report",
                       {"council": "haugaland-vekst", "year": 2016, "as_of": "2017-01-12"})
        wait_for(served, run_id, "PAUSED")
        before = len(served["smtp"].recorder.arrived)
        refuse.add(HAUGALAND_GOVERNOR)
        try:
            resume(served, run_id, approver="Kari Revisor", decision="godkjenn", comment="Greit",
                   override_reason="Avviket er avklart med revisor")
            run = wait_settled(served, run_id)
        finally:
            refuse.discard(HAUGALAND_GOVERNOR)
    assert run["state_type"] == "FAILED", run["state"]
    assert HAUGALAND_GOVERNOR in run["state"]["message"] and "\n" not in run["state"]["message"], run["state"]
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        (row,) = [a for a in ledger.approvals(council="haugaland-vekst") if a["document"].endswith("/usage-2016")]
    finally:
        ledger.close()
    assert (row["status"], row["decided_by"], row["comment"]) == ("approved", "Kari Revisor", "Greit"), row
    arrived = [message_from(content) for _, _, content in served["smtp"].recorder.arrived[before:]]
    to_approver = [m for m in arrived if APPROVER in [a.addr_spec for a in m["To"].addresses]]
    (told,) = to_approver
    assert "Ikke sendt etter godkjenning" in str(told["Subject"]), str(told["Subject"])
    body = told.get_body(("plain",)).get_content()
    assert "Kari Revisor" in body and "ble IKKE sendt til 1 av 2 mottakere" in body, body
    assert HAUGALAND_GOVERNOR in body and "Traceback" not in body, body
    # the secretariat: the report (its copy) and the one mail of the refused address, not a second
    notices = [str(m["Subject"]) for m in arrived if HAUGALAND_SECRETARIAT in [a.addr_spec for a in m["To"].addresses]
               and not list(m.iter_attachments())]
    assert len(notices) == 1 and notices[0].startswith("Ikke levert til 1 mottaker"), notices


def test_an_approved_report_stopped_by_a_data_file_broken_meanwhile_is_told_in_one_line(served):
    # Haugaland's status report per 20.05.2016 waits for approval (its data have errors). Meanwhile
    # someone saves the project's notes with a YAML mistake; then the approver says "godkjenn". The
    # resumed run stops reading the data: the approval is kept, the secretariat (the approver here)
    # is told it was NOT sent, and the run fails with the one line naming the file. Serve's log had
    # Prefect's traceback of the failing step around that line.
    from grantflow.delivery.ledger import SentLedger

    project = "haugaland-velferdsteknologi"
    run_id = start(served, "status_report/status-report", {"project": project, "as_of": "2016-05-20"})
    wait_for(served, run_id, "PAUSED")
    logged = served["log"].stat().st_size
    before = len(served["smtp"].recorder.arrived)
    notes = served["config"] / "data" / project / "notater.yaml"
    original = notes.read_text(encoding="utf-8")
    notes.write_text(original + "summary: [unclosed\n", encoding="utf-8")
    try:
        resume(served, run_id, approver="Kari Revisor", decision="godkjenn", comment="Greit",
               override_reason="Avviket er kjent")
        run = wait_settled(served, run_id)
    finally:
        notes.write_text(original, encoding="utf-8")
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        (row,) = [a for a in ledger.approvals(project=project) if a["flow_run_id"] == run_id]
    finally:
        ledger.close()
    assert (row["status"], row["decided_by"], row["comment"], row["override_reason"]) == \
        ("approved", "Kari Revisor", "Greit", "Avviket er kjent"), row
    assert run["state_type"] == "FAILED", run["state"]
    message = run["state"]["message"] or ""
    assert "notater.yaml:" in message and "invalid YAML" in message and "Kari Revisor" in message, message
    assert "\n" not in message, message
    arrived = [message_from(content) for _, _, content in served["smtp"].recorder.arrived[before:]]
    (told,) = arrived
    assert [a.addr_spec for a in told["To"].addresses] == [HAUGALAND_SECRETARIAT], str(told["To"])
    assert "Ikke sendt etter godkjenning" in str(told["Subject"]), str(told["Subject"])
    body = told.get_body(("plain",)).get_content()
    assert "Kari Revisor" in body and "ble IKKE sendt" in body and "notater.yaml:" in body, body
    log = served["log"].read_bytes()[logged:].decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def _record_entry(path: Path) -> dict:
    import json

    record = json.loads(path.read_text(encoding="utf-8"))
    (entry,) = [v for v in record["versions"] if v["version"] == record["version"]]
    return entry


def test_a_rejection_is_in_the_record_even_when_the_record_was_deleted_meanwhile(served):
    # Nord-Gudbrandsdal's usage report for 2019 waits for approval. Meanwhile someone deletes its
    # record usage-2019.json; then Per Hansen says "avvis" in the form. The resumed run found no
    # record, recorded nothing when it resumed, made the document again, and its record said nothing
    # of the rejection (only a delivery copied decisions into it). Now the answer is in the sent
    # ledger as the run resumes, and in the record made again: who rejected version 1, when, why.
    from grantflow.delivery.ledger import SentLedger

    logged = served["log"].stat().st_size
    docx = Path(served["env"]["GRANTFLOW_OUTPUTS"]) / "nord-gudbrandsdal" / "usage-2019.docx"
    run_id = start(served, "grant_usage_report/grant-usage-report",
                   {"council": "nord-gudbrandsdal", "year": 2019, "as_of": "2020-01-15"})
    wait_for(served, run_id, "PAUSED")
    docx.with_suffix(".json").unlink()
    resume(served, run_id, approver="Per Hansen", decision="avvis", comment="RF-tallet må rettes",
           override_reason="")
    run = wait_settled(served, run_id)
    assert run["state_type"] == "CANCELLED", run["state"]
    (decision,) = _record_entry(docx.with_suffix(".json"))["approvals"]
    assert (decision["decision"], decision["by"], decision["comment"]) == ("avvist", "Per Hansen", "RF-tallet må rettes"), \
        decision
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        (row,) = [a for a in ledger.approvals(council="nord-gudbrandsdal") if a["document"].endswith("/usage-2019")]
    finally:
        ledger.close()
    assert (row["status"], row["decided_by"], row["comment"], row["version"]) == \
        ("rejected", "Per Hansen", "RF-tallet må rettes", 1), row
    log = served["log"].read_bytes()[logged:].decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def test_a_rejection_given_while_the_record_was_damaged_is_recorded_and_said_in_one_line(served):
    # Kongsbergregionen's usage report for 2013 waits for approval. Meanwhile its record
    # usage-2013.json is edited by hand into something that is not a record; then Per Hansen says
    # "avvis". The resumed run gave up on the answer (the record unreadable), failed on the damaged
    # record with a traceback in serve's log, and the ledger said "forespurt": the "no" was in
    # Prefect only. Now the ledger has it as the run resumes, and the run fails with one line that
    # names the damaged record and says the rejection is kept in the sent ledger.
    from grantflow.delivery.ledger import SentLedger

    logged = served["log"].stat().st_size
    docx = Path(served["env"]["GRANTFLOW_OUTPUTS"]) / "kongsbergregionen" / "usage-2013.docx"
    run_id = start(served, "grant_usage_report/grant-usage-report",
                   {"council": "kongsbergregionen", "year": 2013, "as_of": "2014-01-15"})
    wait_for(served, run_id, "PAUSED")
    docx.with_suffix(".json").write_text('{"versions": "se regnearket"}', encoding="utf-8")
    before = len(served["smtp"].recorder.arrived)
    resume(served, run_id, approver="Per Hansen", decision="avvis", comment="Feil år", override_reason="")
    run = wait_settled(served, run_id)
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        (row,) = [a for a in ledger.approvals(council="kongsbergregionen") if a["document"].endswith("/usage-2013")]
    finally:
        ledger.close()
    assert (row["status"], row["decided_by"], row["comment"]) == ("rejected", "Per Hansen", "Feil år"), row
    assert run["state_type"] == "FAILED", run["state"]
    message = run["state"]["message"] or ""
    assert "usage-2013.json" in message and "record is damaged" in message and "Per Hansen" in message, message
    assert "sent ledger" in message and "\n" not in message, message
    log = served["log"].read_bytes()[logged:].decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    # the secretariat is told: the record must be restored, the rejection is kept
    told = [message_from(content) for _, _, content in served["smtp"].recorder.arrived[before:]]
    assert [a.addr_spec for m in told for a in m["To"].addresses] == [SECRETARIAT], [str(m["To"]) for m in told]
    body = told[0].get_body(("plain",)).get_content()
    assert "Per Hansen" in body and "Feil år" in body and "usage-2013.json" in body, body
