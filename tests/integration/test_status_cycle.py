"""The status cycle against a real Prefect server (`grantflow serve`): request mail with link and
workbook → the run suspends → input submitted through the run's input API (as the UI form does)
→ data files updated → the status report rendered and sent once. A finding in the answer comes
back in the form's next round instead of being written."""

from __future__ import annotations

import io
import json
import subprocess
import time
from datetime import date

import openpyxl
import pytest

from grantflow.data import read_milestones, read_notes

from ..conftest import ROOT
from ..docx_text import all_text
from .conftest import BIN
from .conftest import api_get, api_post, serving_over_smtp

pytestmark = pytest.mark.integration
HAUG = "haugaland-velferdsteknologi"
LEADER = "prosjektleder@haugalandvekst.example.no"


@pytest.fixture(scope="module")
def served(server, tmp_path_factory):
    """SMTP on 127.0.0.1, a config that sends through it, and `grantflow serve` on the server."""
    with serving_over_smtp(server, tmp_path_factory, "cycle", "status_cycle/status-cycle") as served:
        yield served


def wait_for(served, run_id: str, *state_types: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = api_get(served["api"], f"/flow_runs/{run_id}")
        if run["state"] and run["state"]["type"] in state_types:
            return run
        assert run["state"]["type"] not in ("FAILED", "CRASHED"), \
            f"{run['state']}\n{served['log'].read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{run['state']}\n{served['log'].read_text()[-3000:]}"
        time.sleep(1)


def resume(served, run_id: str, answer: dict) -> None:
    body = api_post(served["api"], f"/flow_runs/{run_id}/resume", json.loads(json.dumps({"run_input": answer}, default=str)))
    assert body["status"] == "ACCEPT", body


def mails(served, subject_part: str) -> list:
    """The mails whose subject has ``subject_part``; an approval request (whose subject names the
    document too) only when asked for."""
    asked = "Til godkjenning" in subject_part
    return [m for m in served["smtp"].recorder.messages() if subject_part in str(m["Subject"])
            and (asked or "Til godkjenning" not in str(m["Subject"]))]


def test_one_full_status_cycle(served):
    dep = api_get(served["api"], "/deployments/name/status_cycle/status-cycle")
    run = api_post(served["api"], f"/deployments/{dep['id']}/create_flow_run",
                   {"parameters": {"project": HAUG, "as_of": "2016-10-07"}})
    run_id = run["id"]
    run = wait_for(served, run_id, "PAUSED")
    assert run["state"]["name"] == "Suspended"
    (request,) = mails(served, "Statusrapportering")
    assert request["To"].addresses[0].addr_spec == LEADER
    body = request.get_body(("plain",)).get_content()
    assert f"/runs/flow-run/{run_id}" in body
    (attachment,) = [p for p in request.iter_attachments() if p.get_filename().endswith(".xlsx")]
    workbook = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert "Milepælstatus" in workbook.sheetnames
    assert not mails(served, "Statusrapport: Velferdsteknologi")      # nothing sent before the answer

    # First answer: who is answering is missing -> asked again, nothing written.
    from grantflow.register import open_register
    from grantflow.statusform import initial_form

    form = initial_form(open_register(served["config"]), HAUG, date(2016, 10, 7)).model_dump(mode="json")
    form.update(summary="Responssenteret er utredet; anbefaling til styringsgruppen i november.", reported_by="")
    resume(served, run_id, form)
    run = wait_for(served, run_id, "PAUSED")
    notes_file = served["config"] / f"data/{HAUG}/notater.yaml"
    assert "Responssenteret er utredet" not in notes_file.read_text(encoding="utf-8")

    form.update(reported_by="Sturle J. Monstad")
    form["milestones"][4].update(status="ferdig", actual="2016-10-03", comment="Vurdert i styringsgruppen")
    resume(served, run_id, form)
    # The seed's data has an error (financing vs costs), so sending waits for the secretariat's approval.
    wait_for(served, run_id, "PAUSED")
    (approval,) = mails(served, "Til godkjenning")
    assert not mails(served, "Statusrapport: Velferdsteknologi")
    resume(served, run_id, {"approver": "Sekretariatet", "decision": "godkjenn", "comment": "",
                            "override_reason": "Avviket på 585 kr er kjent fra prosjektplanen"})
    wait_for(served, run_id, "COMPLETED")

    notes, _ = read_notes(notes_file)
    note = notes.note_for(date(2016, 10, 7))
    assert note.summary.startswith("Responssenteret er utredet") and note.reported_by == "Sturle J. Monstad"
    assert note.reported_at is not None
    row = read_milestones(served["config"] / f"data/{HAUG}/milepaeler.csv").frame.set_index("Milepæl").loc[5]
    assert (row["Status"], row["Faktisk dato"].date()) == ("ferdig", date(2016, 10, 3))
    reports = mails(served, "Statusrapport: Velferdsteknologi")
    assert len(reports) == 7                                          # the steering group, once each
    assert len({m["To"].addresses[0].addr_spec for m in reports}) == 7
    (docx,) = [p for p in reports[0].iter_attachments() if p.get_filename().endswith(".docx")]
    path = served["config"].parent / "report.docx"
    path.write_bytes(docx.get_content())
    assert "Responssenteret er utredet" in all_text(str(path))
    assert len(mails(served, "Statusrapportering")) == 1              # resumed runs did not ask again


# ---------------------------------------------------------------------------------------------
# The answer through the drop folder, and no answer at all (the deadline watch acts on the waiting run)

APPROVE = {"approver": "Sekretariatet", "decision": "godkjenn", "comment": "",
           "override_reason": "Avviket på 585 kr er kjent fra prosjektplanen"}


def start_cycle(served, as_of: str) -> str:
    dep = api_get(served["api"], "/deployments/name/status_cycle/status-cycle")
    return api_post(served["api"], f"/deployments/{dep['id']}/create_flow_run",
                    {"parameters": {"project": HAUG, "as_of": as_of}})["id"]


def run_watch(served, as_of: str) -> None:
    deadline = time.monotonic() + 120
    while True:                  # serve registers the watch last: a test run alone may be quicker
        try:
            dep = api_get(served["api"], "/deployments/name/deadline_watch/deadline-watch")
            break
        except OSError:
            assert time.monotonic() < deadline, served["log"].read_text()[-3000:]
            time.sleep(1)
    run = api_post(served["api"], f"/deployments/{dep['id']}/create_flow_run", {"parameters": {"as_of": as_of}})
    wait_for(served, run["id"], "COMPLETED")


def cycle_runs(served, as_of: str) -> list[dict]:
    runs = api_post(served["api"], "/flow_runs/filter", {"flows": {"name": {"any_": ["status_cycle"]}}})
    return [r for r in runs if r["parameters"].get("as_of") == as_of and r["parameters"].get("project") == HAUG]


def waiting_for(served, run_id: str, what: str) -> dict:
    """The run suspended on the leader's form (what='leader') or on the approval (what='approval')."""
    deadline = time.monotonic() + 300
    while True:
        run = wait_for(served, run_id, "PAUSED")
        pause_key = run["state"]["state_details"].get("pause_key") or ""
        if pause_key.startswith("status-input-") == (what == "leader"):
            return run
        assert time.monotonic() < deadline, run["state"]
        time.sleep(1)


def reports_with(served, text: str, reports_only: bool = False) -> list:
    """Status report mails whose attached document contains ``text``; ``reports_only``: the reports
    themselves, not the notices whose subject names one."""
    out = []
    for i, mail in enumerate(m for m in mails(served, "Statusrapport: Velferdsteknologi")
                             if not reports_only or str(m["Subject"]).startswith("Statusrapport:")):
        (docx,) = [p for p in mail.iter_attachments() if p.get_filename().endswith(".docx")]
        path = served["config"].parent / f"check-{i}.docx"
        path.write_bytes(docx.get_content())
        if text in all_text(str(path)):
            out.append(mail)
    return out


def test_a_workbook_in_the_drop_folder_resumes_the_waiting_run(served):
    run_id = start_cycle(served, "2016-04-04")
    waiting_for(served, run_id, "leader")
    (request,) = [m for m in mails(served, "Statusrapportering")
                  if run_id in m.get_body(("plain",)).get_content()]
    (attachment,) = [p for p in request.iter_attachments() if p.get_filename().endswith(".xlsx")]
    workbook = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    note = workbook["Statusnotat"]
    rows = {note.cell(r, 1).value: r for r in range(2, note.max_row + 1)}
    note.cell(rows["summary"], 3).value = "Svar levert som arbeidsbok i innboksen."
    note.cell(rows["reported_by"], 3).value = "Sturle J. Monstad"
    inbox = served["config"] / "inbox"
    inbox.mkdir(exist_ok=True)
    workbook.save(inbox / "svar-fra-prosjektleder.xlsx")

    done = subprocess.run([str(BIN / "grantflow"), "inbox"], env=served["env"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"flow run {run_id} resumed" in done.stdout and "Traceback" not in done.stderr
    waiting_for(served, run_id, "approval")          # the seed's data error: the secretariat approves
    resume(served, run_id, APPROVE)
    wait_for(served, run_id, "COMPLETED")
    assert len(reports_with(served, "Svar levert som arbeidsbok i innboksen.")) == 7   # the steering group, once
    again = subprocess.run([str(BIN / "grantflow"), "inbox"], env=served["env"], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert "the inbox is empty" in again.stdout
    assert len(reports_with(served, "Svar levert som arbeidsbok i innboksen.")) == 7


def test_no_answer_one_reminder_then_sent_with_ikke_rapportert(served):
    # The watch starts the cycle itself, start_days (5) working days or less before the send date 3 June.
    run_watch(served, "2016-05-31")
    (run,) = cycle_runs(served, "2016-06-03")
    waiting_for(served, run["id"], "leader")
    reminders = lambda: mails(served, "Påminnelse: statusrapportering")          # noqa: E731
    assert not reminders()
    # one mail per day to the leader for this report: the cycle's request, not also the deadline
    # reminder 3 working days before (it said the same; four mails in two days with the reminders)
    deadline_reminders = lambda: [m for m in mails(served, "Frist om")             # noqa: E731
                                  if "10.06.2016" in m.get_body(("plain",)).get_content()]
    assert not deadline_reminders(), [m["Subject"] for m in deadline_reminders()]
    run_watch(served, "2016-06-02")                    # reminder_days (2) before the send date
    run_watch(served, "2016-06-02")                    # a second morning run sends nothing new
    assert len(cycle_runs(served, "2016-06-03")) == 1
    (reminder,) = reminders()
    assert reminder["To"].addresses[0].addr_spec == LEADER
    assert f"/runs/flow-run/{run['id']}" in reminder.get_body(("plain",)).get_content()
    assert not mails(served, "uten prosjektleders rapportering")

    run_watch(served, "2016-06-03")                    # the send date: the run goes on without the answer
    waiting_for(served, run["id"], "approval")
    resume(served, run["id"], APPROVE)
    wait_for(served, run["id"], "COMPLETED")
    sent = reports_with(served, "Ikke rapportert: prosjektleder svarte ikke innen fristen.")
    assert len(sent) == 7
    (notice,) = mails(served, "Statusrapport uten prosjektleders rapportering")
    assert notice["To"].addresses[0].addr_spec != LEADER
    assert "(også etter påminnelse)" in notice.get_body(("plain",)).get_content()   # the reminder above
    assert len(reminders()) == 1
    assert not deadline_reminders()


def watch_summary(served, as_of: str) -> str:
    """Run the watch for ``as_of`` and return its summary (the artifact the secretariat reads)."""
    dep = api_get(served["api"], "/deployments/name/deadline_watch/deadline-watch")
    run = api_post(served["api"], f"/deployments/{dep['id']}/create_flow_run", {"parameters": {"as_of": as_of}})
    wait_for(served, run["id"], "COMPLETED")
    arts = api_post(served["api"], "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    return "\n".join(str(a["data"]) for a in arts)


def test_a_refused_steering_group_address_is_named_to_the_secretariat_on_the_send_date(served):
    """One steering-group address refused (550) by the mail server in a scheduled run: the run ended
    Failed, the secretariat heard nothing that day, and a day later only "1 ble ikke laget eller sendt
    … det skyldes ikke dataene … Se kjøringen i Prefect" (the address not named), with "Feilet: 0" in
    the watch's summary. Now the secretariat is told on the send date which address, what the server
    said and where the address is written; the next morning's summary counts it as failed."""
    erp, refused, secretariat = "kongsbergregionen-erp", "radmann@tinn.example.no", "post@kongsbergregionen.example.no"
    served["smtp"].recorder.refuse.add(refused)
    try:
        watch_summary(served, "2014-11-21")      # the send date of the meeting of 27.11.2014 (lead 5 days)
        deadline = time.monotonic() + 300
        while True:                              # the watch triggered the status report and moved on
            runs = [r for r in api_post(served["api"], "/flow_runs/filter",
                                        {"flows": {"name": {"any_": ["status_report"]}}})
                    if r["parameters"].get("project") == erp and r["parameters"].get("as_of") == "2014-11-21"]
            if runs and all(r["state"]["type"] in ("FAILED", "COMPLETED", "CRASHED") for r in runs):
                break
            assert time.monotonic() < deadline, runs and runs[0]["state"]
            time.sleep(1)
        assert [r["state"]["type"] for r in runs] == ["FAILED"]
        (told,) = [m for m in served["smtp"].recorder.messages()
                   if secretariat in str(m["To"]) and "Ikke levert" in str(m["Subject"])]
        text = told.get_body(("plain",)).get_content()
        assert refused in text and "550 5.1.1 Mailbox unavailable" in text, text
        assert f"projects/{erp}.yaml:22" in text, text     # the line with radmann@tinn in the project file
        assert "adresseproblem" in text and "Rett adressen" in text, text
        assert "ERP-prosjektet for 4 kommuner" in str(told["Subject"])
        nxt = watch_summary(served, "2014-11-24")
        assert "- Feilet: 0" not in nxt and "550 5.1.1" in nxt, nxt
    finally:
        served["smtp"].recorder.refuse.discard(refused)


def test_a_meeting_removed_while_its_cycle_waits_sends_nothing(served):
    """The steering group cancels its meeting of 10 February 2017 after the watch has asked the
    project leader for the status report due 3 February. The waiting cycle used to go on as if
    nothing had happened: a reminder to the leader, and on the send date the report for a meeting
    that would not be held. Now the next morning's watch cancels the run and tells the leader, once."""
    run_watch(served, "2017-01-30")               # 4 working days before the send date: the cycle starts
    (run,) = cycle_runs(served, "2017-02-03")
    waiting_for(served, run["id"], "leader")
    assert [m for m in mails(served, "Statusrapportering") if run["id"] in m.get_body(("plain",)).get_content()]

    reports, approvals = len(mails(served, "Statusrapport: Velferdsteknologi")), len(mails(served, "Til godkjenning"))
    project_file = served["config"] / "projects" / f"{HAUG}.yaml"
    text = project_file.read_text(encoding="utf-8")
    assert "2017-02-10, " in text
    project_file.write_text(text.replace("2017-02-10, ", ""), encoding="utf-8")

    run_watch(served, "2017-02-01")               # the reminder day (2 working days before)
    assert api_get(served["api"], f"/flow_runs/{run['id']}")["state"]["type"] == "CANCELLED"
    (withdrawn,) = mails(served, "Statusrapportering trengs ikke likevel")
    assert withdrawn["To"].addresses[0].addr_spec == LEADER
    assert "statusrapporten per 03.02.2017" in withdrawn.get_body(("plain",)).get_content()
    assert not [m for m in mails(served, "Påminnelse: statusrapportering")
                if run["id"] in m.get_body(("plain",)).get_content()]

    run_watch(served, "2017-02-02")               # a second morning: nothing new
    run_watch(served, "2017-02-03")               # the send date: nothing for the cancelled meeting
    assert len(mails(served, "Statusrapportering trengs ikke likevel")) == 1
    assert len(mails(served, "Statusrapport: Velferdsteknologi")) == reports
    assert len(mails(served, "Til godkjenning")) == approvals
    assert len(cycle_runs(served, "2017-02-03")) == 1
    assert api_get(served["api"], f"/flow_runs/{run['id']}")["state"]["type"] == "CANCELLED"


def test_a_report_sent_by_hand_is_the_meetings_report(served):
    """The secretariat sends the status report for the meeting of 9 June 2017 by hand, early. The
    watch used to start a status cycle anyway: it asked the leader (form, workbook, "Frist om"
    reminders), marked the period not reported on the send date and made version 2 "ikke
    rapportert", and after the meeting told the secretariat it was not sent. Now the report sent by
    hand is the meeting's: nobody is asked, nothing is made again, and the summary says so."""
    run = subprocess.run([str(BIN / "grantflow"), "run", "status", HAUG, "--as-of", "2017-06-02", "--yes",
                          "--override-reason", "Avviket på 585 kr er kjent fra prosjektplanen"],
                         env=served["env"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    reports = lambda: mails(served, "Statusrapport: Velferdsteknologi Haugaland – 2. juni 2017")  # noqa: E731
    assert len(reports()) == 7, [m["Subject"] for m in mails(served, "Statusrapport")]  # steering group, leader (cc)
    notes = served["config"] / "data" / HAUG / "notater.yaml"
    notes_before = notes.read_text(encoding="utf-8")
    to_leader = lambda: [m for m in served["smtp"].recorder.messages()        # noqa: E731
                         if LEADER in str(m["To"]) and not str(m["Subject"]).startswith("Statusrapport:")
                         and ("02.06.2017" in m.get_body(("plain",)).get_content()
                                                        or "2. juni 2017" in m.get_body(("plain",)).get_content())]
    assert not to_leader()

    summary = watch_summary(served, "2017-05-26")     # start_days (5) before the send date 2 June
    assert not cycle_runs(served, "2017-06-02")
    watch_summary(served, "2017-05-30")               # the deadline reminder's day (3 working days before)
    sent_day = watch_summary(served, "2017-06-02")    # the send date
    assert not cycle_runs(served, "2017-06-02")
    assert not to_leader(), [m["Subject"] for m in to_leader()]
    assert "- Allerede sendt: 1" in sent_day, sent_day
    assert "sendt for hånd" in sent_day and "statusrapporten per 02.06.2017, versjon 1, til alle 7 mottakere" \
        in sent_day, sent_day
    after = watch_summary(served, "2017-06-12")       # after the meeting
    assert not [m for m in mails(served, "Ikke sendt") if "09.06.2017" in str(m["Subject"])]
    assert not [m for m in mails(served, "uten prosjektleders rapportering")
                if "2. juni 2017" in m.get_body(("plain",)).get_content()]
    assert len(reports()) == 7                                      # no version 2, no second copy
    assert not [m for m in reports() if "versjon" in str(m["Subject"])]
    assert notes.read_text(encoding="utf-8") == notes_before          # no "not_reported" for the period
    assert "Ikke sendt" not in after or "09.06.2017" not in after
    del summary


def test_a_report_sent_by_hand_to_some_is_completed_not_made_again(served):
    """A report sent by hand (status per 06.09.2017, meeting 15.09.2017) that one steering-group
    address did not get (the mail server refused it that day): the watch asks nobody and makes no
    report for its own send date; it sends that same document to the one who lacks it."""
    refused = "radmann@karmoy.example.no"
    served["smtp"].recorder.refuse.add(refused)
    try:
        run = subprocess.run([str(BIN / "grantflow"), "run", "status", HAUG, "--as-of", "2017-09-06", "--yes",
                              "--override-reason", "Avviket på 585 kr er kjent fra prosjektplanen"],
                             env=served["env"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        served["smtp"].recorder.refuse.discard(refused)
    by_hand = lambda: mails(served, "Statusrapport: Velferdsteknologi Haugaland – 6. september 2017")  # noqa: E731
    assert len(by_hand()) == 6 and refused not in str([m["To"] for m in by_hand()]), run.stdout + run.stderr

    status_runs = lambda: [r for r in api_post(served["api"], "/flow_runs/filter",                # noqa: E731
                                               {"flows": {"name": {"any_": ["status_report"]}}})
                           if r["parameters"].get("project") == HAUG]
    before = {r["id"] for r in status_runs()}         # `grantflow run` ran it on the server too
    watch_summary(served, "2017-09-01")               # start_days before the send date 8 September
    assert not cycle_runs(served, "2017-09-08")
    watch_summary(served, "2017-09-08")               # the send date: the document is completed
    assert not cycle_runs(served, "2017-09-08")
    deadline = time.monotonic() + 300
    while True:
        runs = [r for r in status_runs() if r["id"] not in before]
        assert all(r["parameters"].get("as_of") == "2017-09-06" for r in runs), [r["parameters"] for r in runs]
        if runs and runs[0]["state"]["type"] == "PAUSED":
            resume(served, runs[0]["id"], APPROVE)
        elif runs and runs[0]["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED"):
            break
        assert time.monotonic() < deadline, runs and runs[0]["state"]
        time.sleep(1)
    assert runs[0]["state"]["type"] == "COMPLETED", runs[0]["state"]
    assert len(by_hand()) == 7                        # the one who lacked it, once; nobody twice
    assert not [m for m in mails(served, "Statusrapport: Velferdsteknologi") if "8. september 2017" in str(m["Subject"])
                or "versjon" in str(m["Subject"]) and "6. september 2017" in str(m["Subject"])]
    assert not mails(served, "Statusrapportering: Velferdsteknologi") or all(
        "06.09.2017" not in m.get_body(("plain",)).get_content() and "08.09.2017" not in m.get_body(("plain",)).get_content()
        for m in mails(served, "Statusrapportering: Velferdsteknologi"))


def test_an_approval_is_recorded_and_told_when_the_step_after_it_fails(served):
    # The status cycle for 26.08.2016: the leader answers, the report waits for the secretariat's
    # approval (the seed's data error). While it waits, the inbox's work folder becomes unusable
    # (inbox/.arbeid is a file, a workbook lies in the inbox). Kari Revisor approves in the form with
    # a comment and an override reason. The resumed run starts from the top, and its first step (the
    # returned workbooks) failed: the run ended Failed with a traceback in serve's log, the ledger
    # kept "forespurt", the answer lived in Prefect alone, and nobody was told. Now the answer is in
    # the ledger before any step runs, the approver and the secretariat are told by mail that the
    # approved report was NOT sent, and the run fails with one line.
    from grantflow.delivery.ledger import SentLedger

    as_of = "2016-08-26"
    run_id = start_cycle(served, as_of)
    waiting_for(served, run_id, "leader")
    from grantflow.register import open_register
    from grantflow.statusform import initial_form

    form = initial_form(open_register(served["config"]), HAUG, date(2016, 8, 26)).model_dump(mode="json")
    form.update(summary="Anskaffelsen er forberedt.", reported_by="Sturle J. Monstad")
    resume(served, run_id, form)
    waiting_for(served, run_id, "approval")
    (asked,) = [m for m in mails(served, "Til godkjenning") if run_id in m.get_body(("plain",)).get_content()]
    secretariat = asked["To"].addresses[0].addr_spec
    inbox = served["config"] / "inbox"
    inbox.mkdir(exist_ok=True)
    logged = served["log"].stat().st_size
    before = len(served["smtp"].recorder.arrived)
    if (inbox / ".arbeid").is_dir():
        (inbox / ".arbeid").rmdir()          # left empty by the drop-folder test's import
    (inbox / ".arbeid").write_text("not a folder", encoding="utf-8")
    (inbox / "svar.xlsx").write_bytes(b"")
    try:
        resume(served, run_id, {"approver": "Kari Revisor", "decision": "godkjenn", "comment": "Tallene stemmer",
                                "override_reason": "Avviket på 585 kr er kjent fra prosjektplanen"})
        deadline = time.monotonic() + 300
        while True:
            run = api_get(served["api"], f"/flow_runs/{run_id}")
            if run["state"]["type"] in ("FAILED", "CRASHED", "COMPLETED", "CANCELLED"):
                break
            assert time.monotonic() < deadline, run["state"]
            time.sleep(1)
    finally:
        (inbox / ".arbeid").unlink()
        (inbox / "svar.xlsx").unlink(missing_ok=True)
    # the decision, in grantflow's own ledger and in `grantflow sent`
    ledger = SentLedger(served["env"]["GRANTFLOW_LEDGER_URL"])
    try:
        (row,) = [a for a in ledger.approvals(council="haugaland-vekst") if a["document"].endswith(f"/status-{as_of}")]
    finally:
        ledger.close()
    assert (row["status"], row["decided_by"], row["comment"], row["override_reason"]) == \
        ("approved", "Kari Revisor", "Tallene stemmer", "Avviket på 585 kr er kjent fra prosjektplanen"), row
    shown = subprocess.run([str(BIN / "grantflow"), "sent", HAUG, "--detail"], env=served["env"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Kari Revisor" in shown.stdout and "Tallene stemmer" in shown.stdout, shown.stdout
    assert run["state"]["type"] == "FAILED", run["state"]
    message = run["state"]["message"] or ""
    assert ".arbeid" in message and "Kari Revisor" in message and "\n" not in message, message
    # the approver (here the secretariat) told once that it was not sent; nothing to the steering group
    arrived = [m for m in served["smtp"].recorder.messages()[before:]]
    (told,) = [m for m in arrived if "Ikke sendt etter godkjenning" in str(m["Subject"])]
    assert [a.addr_spec for a in told["To"].addresses] == [secretariat], str(told["To"])
    body = told.get_body(("plain",)).get_content()
    assert "Kari Revisor" in body and "ble IKKE sendt" in body and ".arbeid" in body, body
    assert f"grantflow send status {HAUG} --as-of {as_of}" in body and "Traceback" not in body, body
    assert not [m for m in arrived if str(m["Subject"]).startswith("Statusrapport:")], [str(m["Subject"]) for m in arrived]
    log = served["log"].read_bytes()[logged:].decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]


# ---------------------------------------------------------------------------------------------
# What a form answer may do (outside tester, session 23): no progress lost or moved, progress changed
# while the form waited kept, the leader's answer shown again after a finding, `via` not anyone's.

def wait_round(served, run_id: str, as_of: str, attempt: int) -> dict:
    """The run suspended on the leader's form, round ``attempt`` (0 = the first)."""
    deadline = time.monotonic() + 300
    while True:
        run = wait_for(served, run_id, "PAUSED", "COMPLETED")
        key = run["state"]["state_details"].get("pause_key") or ""
        assert run["state"]["type"] == "PAUSED", (run["state"], served["log"].read_text()[-3000:])
        if key == f"status-input-{as_of}-{attempt}":
            return run
        # the answer taken (the run waits for the approval, or asks a later round): not asked again
        assert key.startswith("status-input-") and int(key.rsplit("-", 1)[1]) < attempt, (key, attempt)
        assert time.monotonic() < deadline, run["state"]
        time.sleep(1)


def shown(served, run_id: str, as_of: str, attempt: int) -> tuple[str, dict]:
    """What round ``attempt`` of the form shows: its description and its pre-filled values."""
    base = f"/flow_runs/{run_id}/input/suspended-status-input-{as_of}-{attempt}"
    description = api_get(served["api"], f"{base}-description")
    schema = api_get(served["api"], f"{base}-schema")
    return description, {name: prop.get("default") for name, prop in schema["properties"].items()}


def reports_saying(served, text: str) -> list:
    """The status reports sent whose document contains ``text`` (not the notices naming one)."""
    return reports_with(served, text, reports_only=True)


def data_files(served) -> dict:
    """The project's data files as they are; the record of workbooks issued (arbeidsboker.csv) is
    left out: a resumed run makes its attached workbook again, and each is recorded."""
    folder = served["config"] / "data" / HAUG
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != "arbeidsboker.csv"}


def test_form_answers_that_drop_or_renumber_milestones_are_refused_and_progress_changed_meanwhile_kept(served):
    """An answer listing one milestone deleted the others' progress, a row given another milestone's
    number moved its progress there, and a value the secretariat changed while the form waited was
    overwritten by the form's stale one (the resumed run re-read what it offered); after a finding the
    form came back with last period's values, not the answer just sent. Now the first two are
    findings in the next round (files byte-identical), the leader's answer is shown again, and the
    secretariat's change is kept."""
    from grantflow.register import open_register
    from grantflow.statusform import initial_form

    as_of = "2016-11-18"
    offered = initial_form(open_register(served["config"]), HAUG, date(2016, 11, 18)).model_dump(mode="json")
    run_id = start_cycle(served, as_of)
    wait_round(served, run_id, as_of, 0)
    # the secretariat records progress on milestone 6 while the form waits
    progress = served["config"] / f"data/{HAUG}/milepaeler.csv"
    lines = progress.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = "6;pågår;;Anskaffelse forberedt av sekretariatet\n"
    progress.write_text("".join(changed if line.startswith("6;") else line for line in lines), encoding="utf-8")
    before = data_files(served)

    dropped = json.loads(json.dumps(offered))
    dropped["milestones"] = [m for m in dropped["milestones"] if m["number"] == 5]
    dropped.update(summary="Første svar: bare milepæl 5.", reported_by="Sturle J. Monstad")
    resume(served, run_id, dropped)
    wait_round(served, run_id, as_of, 1)
    assert data_files(served) == before
    description, values = shown(served, run_id, as_of, 1)
    assert "milestones 1, 2, 3, 4, 6 and 7 are missing from the answer; their progress in the data file would " \
           "be lost" in description, description
    assert values["summary"] == "Første svar: bare milepæl 5." and len(values["milestones"]) == 1   # the answer, again

    swapped = json.loads(json.dumps(offered))
    swapped["milestones"][2]["number"], swapped["milestones"][3]["number"] = 4, 3    # same event, 'Vurdere om …'
    swapped.update(summary="Andre svar: rekkefølgen byttet.", reported_by="Sturle J. Monstad")
    resume(served, run_id, swapped)
    wait_round(served, run_id, as_of, 2)
    assert data_files(served) == before
    description, values = shown(served, run_id, as_of, 2)
    assert "the number was changed from 3 to 4" in description and "the number was changed from 4 to 3" in description
    assert values["summary"] == "Andre svar: rekkefølgen byttet."

    answer = json.loads(json.dumps(offered))            # milestone 6 as it was offered: untouched
    answer.update(summary="Responssenteret er evaluert; anskaffelsen forberedes.", reported_by="Sturle J. Monstad")
    resume(served, run_id, answer)
    waiting_for(served, run_id, "approval")
    resume(served, run_id, APPROVE)
    wait_for(served, run_id, "COMPLETED")
    assert changed in progress.read_text(encoding="utf-8")
    assert len(reports_saying(served, "Responssenteret er evaluert; anskaffelsen forberedes.")) == 7
    assert not reports_saying(served, "Første svar") and not reports_saying(served, "Andre svar")
    assert len([m for m in mails(served, "Statusrapportering") if run_id in m.get_body(("plain",)).get_content()]) == 1


def test_an_answer_claiming_no_answer_or_a_workbook_is_not_believed_and_a_second_cycle_stops(served):
    """`{"via": "ingen svar"}` 15 s after the request recorded 'not reported' and told the secretariat
    the leader 'svarte ikke … (også etter påminnelse)'; `{"via": "arbeidsbok"}` sent the report with
    no answer at all; a second cycle for the same date sent a second request. Now both claims are
    findings in the next round (nothing written, nobody told), and the second cycle stops."""
    as_of = "2016-12-09"
    no_answer_notices = len(mails(served, "uten prosjektleders rapportering"))      # earlier tests' periods
    run_id = start_cycle(served, as_of)
    wait_round(served, run_id, as_of, 0)
    before = data_files(served)
    _, offered = shown(served, run_id, as_of, 0)

    resume(served, run_id, {"via": "ingen svar"})
    wait_round(served, run_id, as_of, 1)
    assert data_files(served) == before
    description, values = shown(served, run_id, as_of, 1)
    assert "the answer says the project leader did not answer ('ingen svar'), but the status for 09.12.2016 is " \
           "not recorded as unanswered: only the deadline watch resumes a run so" in description, description
    assert values == offered                               # the claim's empty answer is not shown as the leader's

    resume(served, run_id, {"via": "arbeidsbok"})
    wait_round(served, run_id, as_of, 2)
    assert data_files(served) == before
    description, _ = shown(served, run_id, as_of, 2)
    assert "no workbook with the status for 09.12.2016 has been taken in" in description, description
    assert len(mails(served, "uten prosjektleders rapportering")) == no_answer_notices

    second = start_cycle(served, as_of)
    run = wait_for(served, second, "COMPLETED")
    assert f"already under way (flow run {run_id})" in run["state"]["message"], run["state"]
    requests = [m for m in mails(served, "Statusrapportering") if "09.12.2016" in m.get_body(("plain",)).get_content()]
    assert len(requests) == 1 and run_id in requests[0].get_body(("plain",)).get_content()

    offered.update(summary="Desember: evalueringen er sendt på høring.", reported_by="Sturle J. Monstad")
    resume(served, run_id, offered)
    waiting_for(served, run_id, "approval")
    resume(served, run_id, APPROVE)
    wait_for(served, run_id, "COMPLETED")
    assert len(reports_saying(served, "Desember: evalueringen er sendt på høring.")) == 7
    assert len(mails(served, "uten prosjektleders rapportering")) == no_answer_notices
