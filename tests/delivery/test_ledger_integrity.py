"""The sent ledger tells the truth: a changed document is not taken for one already sent, an
interrupted send is not reported as done, and no exception leaves a recipient in ``sending``."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from grantflow.cli import main
from grantflow.delivery.ledger import SentLedger, deliveries
from grantflow.delivery.service import deliver, document_from, make_transport, plan
from grantflow.documents.service import produce
from grantflow.register import open_register
from grantflow.settings import RetrySettings

from ..conftest import CONFIG, replace_in
from ..smtp_server import SmtpServer, free_port
from .test_delivery import TODAY, smtp_settings

PROJECT = "haugaland-velferdsteknologi"
KEY = f"haugaland-vekst/{PROJECT}/status-2016-10-07"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """One ledger and one outbox for every outputs folder of the test."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    return tmp_path


def outbox(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "outputs" / "outbox").glob("*.eml"))


def ledger_rows(tmp_path: Path):
    ledger = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}")
    try:
        return ledger.rows()
    finally:
        ledger.close()


def send_args(config: Path, out: Path, *extra: str) -> list[str]:
    return ["--config", str(config), "send", "status", PROJECT, "--as-of", "2016-10-07", "--out", str(out),
            *extra]


def test_changed_document_from_another_outputs_folder_is_numbered_by_the_ledger(scratch_config, env, capsys):
    assert main(send_args(scratch_config, env / "o1")) == 0
    assert len(outbox(env)) == 7
    before = {p.name: p.read_bytes() for p in outbox(env)}
    first = {(r.recipient, r.document_hash, r.message_id) for r in ledger_rows(env)}
    capsys.readouterr()

    # the same content rendered in another folder: already sent, as before
    assert main(send_args(scratch_config, env / "o2")) == 0
    assert "nothing to send: all 7 recipient(s) already have" in capsys.readouterr().out

    # changed content in a third folder, whose record knows no version: the ledger has version 1
    # with other content, so this is version 2 (it was refused as "made in another outputs folder",
    # and with --resend went out as "version 1" over the ledger's version-1 rows)
    replace_in(scratch_config / f"projects/{PROJECT}.yaml", "name: Sturle J. Monstad", "name: Sturle J. Monstadt")
    assert main(send_args(scratch_config, env / "o3")) == 0
    assert "v2 via outbox: 7 sent" in capsys.readouterr().out
    from email import message_from_bytes, policy

    mails = {p.name: p.read_bytes() for p in outbox(env)}
    new = [message_from_bytes(data, policy=policy.default) for name, data in mails.items() if name not in before]
    assert len(new) == 7 and all(mails[name] == data for name, data in before.items())
    assert all("(versjon 2, erstatter versjon 1)" in str(m["Subject"]) for m in new)
    docx = (env / "o3" / KEY).with_suffix(".docx").read_bytes()
    assert all(next(m.iter_attachments()).get_content() == docx for m in new)   # the new content
    assert {(r.recipient, r.document_hash, r.message_id) for r in ledger_rows(env) if r.version == 1} == first


def test_a_copy_numbered_without_the_ledger_is_refused_also_with_resend(scratch_config, env, capsys, monkeypatch):
    """A render that did not see the ledger (another send recorded between it and this one): its
    version 1 is not the ledger's version 1; --resend does not write it over the ledger's rows."""
    from grantflow.documents import service

    assert main(send_args(scratch_config, env / "o1")) == 0
    first = {(r.recipient, r.document_hash, r.message_id) for r in ledger_rows(env)}
    before = {p.name for p in outbox(env)}
    capsys.readouterr()
    monkeypatch.setattr(service, "_ledger_versions", lambda root, key: {}, raising=False)
    replace_in(scratch_config / f"projects/{PROJECT}.yaml", "name: Sturle J. Monstad", "name: Sturle J. Monstadt")
    for extra in ((), ("--resend",)):
        assert main(send_args(scratch_config, env / "o3", *extra)) == 1
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in captured.err and "already have" not in captured.out
        assert f"the ledger has version 1 of {KEY} with other content, sent " in lines[0]
        assert "to 7 recipient(s)" in lines[0] and "another outputs folder" not in lines[0]
        assert (f"status-2016-10-07.docx was numbered without the ledger (the document's record "
                in lines[0] and "is missing or older than the ledger, which knows version 1 of it): nothing sent; "
                "render it again and grantflow numbers it by the ledger" in lines[0]), lines[0]
        assert {p.name for p in outbox(env)} == before
        assert {(r.recipient, r.document_hash, r.message_id) for r in ledger_rows(env)} == first


def test_batch_reports_the_conflict_as_that_documents_error(scratch_config, env, monkeypatch):
    from flows.batch import produce_document
    from flows.options import DeliveryOptions

    from grantflow.documents import service

    assert main(send_args(scratch_config, env / "o1")) == 0
    # a render that did not see the ledger (another send recorded between it and this one's plan)
    monkeypatch.setattr(service, "_ledger_versions", lambda root, key: {})
    replace_in(scratch_config / f"projects/{PROJECT}.yaml", "name: Sturle J. Monstad", "name: Sturle J. Monstadt")
    result = produce_document("status", PROJECT, None, None, date(2016, 10, 7),
                              DeliveryOptions(config=str(scratch_config), out=str(env / "o2")))
    assert "with other content" in result["error"] and not result.get("internal")
    assert not result.get("sent")
    assert len(outbox(env)) == 7


KILL_ON_THIRD = """
import os, signal, sys
from grantflow.delivery import transports
real, calls = transports.OutboxTransport.send, []
def send(self, msg):
    calls.append(msg)
    if len(calls) == 3:               # killed while writing the 3rd outbox file
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, msg)
transports.OutboxTransport.send = send
from grantflow.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_an_interrupted_send_is_not_taken_as_done_and_the_next_send_finishes_it(scratch_config, env, capsys):
    """Killed while writing the 3rd copy: that recipient is not "already had" — the next send,
    on this machine where the killed process is known to be gone, takes it over at once and
    says so in the ledger."""
    args = send_args(scratch_config, env / "o1")
    killed = subprocess.run([sys.executable, "-c", KILL_ON_THIRD, *args], capture_output=True, text=True,
                            timeout=180)
    assert killed.returncode == -9, killed.stderr
    assert len(outbox(env)) == 2
    stuck = [r.recipient for r in ledger_rows(env) if r.status == "sending"]
    assert len(stuck) == 1

    assert main(args) == 0
    captured = capsys.readouterr()
    assert "5 sent, 2 already had version 1" in captured.out and "pending" not in captured.out
    assert "Traceback" not in captured.err
    assert len(outbox(env)) == 7
    rows = {r.recipient: r for r in ledger_rows(env)}
    assert Counter(r.status for r in rows.values()) == {"sent": 7}
    assert "taken over from process" in rows[stuck[0]].detail


def _send_while_held(env, claim: str):
    """Send the status report while the first recipient's row is claimed with ``claim`` (host:pid:
    nonce of another sender): (the report, the held recipient's address, the addresses that
    arrived, how many messages the plan has)."""
    register = open_register(CONFIG)
    produced = produce(register, "status", PROJECT, as_of=date(2016, 10, 7), out=env / "o1", today=TODAY)
    document = document_from(produced, register)
    settings = smtp_settings(env, free_port())
    project = register.project(PROJECT)
    council = register.council_of(project)
    ledger = SentLedger(settings.ledger_url())
    try:
        the_plan = plan(document, project, council, settings, ledger)
        held = the_plan.messages[0]
        ledger.claim(document=document.key, kind="status", project=PROJECT, council=council.id,
                     version=document.version, document_hash=document.sha256(),
                     recipient=held.recipient.email, role=held.recipient.role,
                     message_id=held.message["Message-ID"], transport="smtp")
        with ledger.engine.begin() as conn:
            conn.execute(deliveries.update().values(claim=claim))
        with SmtpServer(port=settings.delivery.smtp.port) as server:
            report = deliver(the_plan, make_transport(settings), ledger, RetrySettings(attempts=1),
                             wait_for_others=0.5)
        arrived = {r.casefold() for r in server.recorder.recipients()}
        return report, held.recipient.email, arrived, len(the_plan.messages), len(server.recorder.arrived)
    finally:
        ledger.close()


def test_a_recipient_held_by_a_sender_elsewhere_is_pending_and_not_sent_twice(env):
    # another host's process is sending to the first recipient right now
    report, held, arrived, planned, count = _send_while_held(env, "elsewhere:4242:0123456789ab")
    assert [e for e, _ in report.pending] == [held]
    assert "being sent by process" in report.pending[0][1] and "elsewhere" in report.pending[0][1]
    assert held.casefold() not in arrived and count == planned - 1


def test_a_recipient_held_by_a_live_sender_here_is_pending_without_a_takeover_time(env):
    """A sender still running on this machine is never taken over (README), but its pending line
    said 'a send from 13:44 UTC on takes it over' (outside tester, a sender stopped with SIGSTOP)."""
    import subprocess
    import sys

    from grantflow.delivery.ledger import this_host

    sender = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:   # another process on this machine, alive, holds the first recipient
        report, held, arrived, planned, count = _send_while_held(env, f"{this_host()}:{sender.pid}:0123456789ab")
    finally:
        sender.kill()
        sender.wait()
    assert [e for e, _ in report.pending] == [held]
    text = report.pending[0][1]
    assert f"being sent by process {sender.pid} on this machine since" in text, text
    assert "not taken over while it runs" in text and "takes it over" not in text, text
    assert held.casefold() not in arrived and count == planned - 1


def test_negative_backoff_is_refused_at_load(scratch_config, env, capsys):
    from .test_concurrent_send import smtp_config

    smtp_config(scratch_config, free_port())     # nobody listens there: the retry would sleep
    replace_in(scratch_config / "grantflow.yaml", "backoff_seconds: [0.2, 0.2, 0.2]", "backoff_seconds: [-1]")
    assert main(send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes",
                          "--override-reason", "test")) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "grantflow.yaml" in lines[0] and "delivery.retry.backoff_seconds" in lines[0]
    assert "internal error" not in err
    assert ledger_rows(env) == []


def test_an_exception_during_backoff_leaves_no_recipient_sending(env):
    register = open_register(CONFIG)
    produced = produce(register, "status", PROJECT, as_of=date(2016, 10, 7), out=env / "o1", today=TODAY)
    document = document_from(produced, register)
    settings = smtp_settings(env, free_port())          # nobody listens: every attempt fails
    project = register.project(PROJECT)
    council = register.council_of(project)

    def interrupted(seconds):
        raise KeyboardInterrupt

    ledger = SentLedger(settings.ledger_url())
    try:
        the_plan = plan(document, project, council, settings, ledger)
        with pytest.raises(KeyboardInterrupt):
            deliver(the_plan, make_transport(settings), ledger, RetrySettings(attempts=3), sleep=interrupted)
        rows = ledger.rows()
        assert [r.status for r in rows] == ["failed"] and "interrupted" in rows[0].detail
        # a re-run sends to everyone at once, that recipient included
        with SmtpServer(port=settings.delivery.smtp.port) as server:
            report = deliver(plan(document, project, council, settings, ledger), make_transport(settings), ledger,
                             RetrySettings(attempts=1))
        assert len(report.sent) == len(the_plan.messages) and not report.pending
        assert len(server.recorder.arrived) == len(the_plan.messages)
    finally:
        ledger.close()


def test_a_ledger_from_before_content_hashes_on_approvals_keeps_its_decisions(scratch_config, env, capsys):
    # A ledger written by the previous release: approvals without document_hash, deliveries
    # without claim. It opens, its decision still stands for the document it was made for, and a
    # decision recorded now carries the content it was given for.
    import sqlite3

    url = f"sqlite:///{env / 'sent.db'}"
    SentLedger(url).close()
    with sqlite3.connect(env / "sent.db") as db:
        db.execute("ALTER TABLE approvals DROP COLUMN document_hash")
        db.execute("ALTER TABLE deliveries DROP COLUMN claim")
        db.execute("INSERT INTO approvals (document, version, status, requested_at, decided_by, decided_at) "
                   "VALUES (?, 1, 'approved', '2026-11-01 08:00:00', 'Kari Nordmann', '2026-11-01 09:00:00')", (KEY,))
    assert main(send_args(scratch_config, env / "o1")) == 0
    assert "v1 via outbox: 7 sent" in capsys.readouterr().out
    ledger = SentLedger(url)
    try:
        (old,) = ledger.approvals()
        assert old["decided_by"] == "Kari Nordmann" and old["document_hash"] is None
        register = open_register(scratch_config)
        produced = produce(register, "status", PROJECT, as_of=date(2016, 10, 7), out=env / "o1", today=TODAY)
        digest = document_from(produced, register).ledger_hash()
        ledger.approval_requested("other/doc", 1, None, None, digest)
        ledger.approval_decided("other/doc", 1, False, "Per Hansen", "", "", digest)
        assert ledger.approval("other/doc", 1)["document_hash"] == digest
        assert ledger.other_decision("other/doc", 1, {digest}) is None
        assert ledger.other_decision("other/doc", 1, {"0" * 64})["decided_by"] == "Per Hansen"
    finally:
        ledger.close()


def test_a_request_withdrawn_by_the_deadline_watch_is_asked_anew_for_the_same_content(env):
    # The deadline watch withdrew a run's request (its last day passed); the secretariat or the
    # batch asks again for the very same version and content. The row stayed 'withdrawn' (shown
    # 'trukket tilbake', never reminded) and the batch was told the request was not new, so its
    # approver was never mailed. Now a withdrawn row is asked anew, by anyone who asks.
    ledger = SentLedger(f"sqlite:///{env / 'sent.db'}")
    try:
        for keep_open in (False, True):
            document = f"haugaland-vekst/{PROJECT}/final-{keep_open}"
            assert ledger.approval_requested(document, 1, "run-a", "godkjenner@example.no", "ab" * 32,
                                             recipients=["a@example.no"])
            assert ledger.approval_withdrawn("run-a", "fristen gikk ut") == [f"{document} v1"]
            assert ledger.approval(document, 1)["status"] == "withdrawn"
            assert ledger.approval_requested(document, 1, None, None, "ab" * 32, keep_open=keep_open)
            row = ledger.approval(document, 1)
            assert (row["status"], row["flow_run_id"], row["comment"], row["decided_at"], row["recipients"]) == \
                ("requested", None, None, None, None), row
            # once open again, the batch leaves it as it is (no second mail)
            assert not ledger.approval_requested(document, 1, None, None, "ab" * 32, keep_open=True)
    finally:
        ledger.close()
