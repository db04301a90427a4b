"""Every summary that counts failures says a mail the server took whole without replying as "may
have arrived", as `grantflow sent` does, and "not delivered" only for the recipients refused (or
pending). A run on a server that ended Failed read "not delivered to 2 of 5 recipient(s)" with the
project leader among them, whose mail `grantflow sent` listed as "usikker (kan ha kommet fram)".

The mail server is a real aiosmtpd: it refuses one steering-group member (550) and closes the line
after taking the whole message for the project leader, the last recipient (a silent server stops
the send to those after it), without a reply."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from ..smtp_server import Recorder, SmtpServer, free_port, use_smtp

ERP = "kongsbergregionen-erp"          # its status report per 29.08.2014 goes to 5 recipients
AS_OF = date(2014, 8, 29)
LEADER = "erp@kongsbergregionen.example.no"      # cc, the last one mailed
REFUSED = "radmann@tinn.example.no"
SECRETARIAT = "post@kongsbergregionen.example.no"


class NoReplyTo(Recorder):
    """Takes the whole message for ``silent`` and closes the line without a reply."""

    def __init__(self, silent: str, refuse=()):
        super().__init__(refuse=refuse)
        self.silent = silent

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if envelope.rcpt_tos == [self.silent]:
            server.transport.close()
        return answer


def _server(port: int, refuse=()) -> SmtpServer:
    server = SmtpServer(port=port)
    server.recorder = server.controller.handler = NoReplyTo(LEADER, refuse)
    return server


def _run_on_server(scratch_config, monkeypatch, refuse=()):
    """The ERP status report's run as on a server (a deployment run): its final state and what arrived."""
    import flows.documents as documents
    from flows.documents import status_report
    from flows.options import DeliveryOptions

    port = free_port()
    use_smtp(scratch_config, port, retry={"attempts": 2, "backoff_seconds": [0]})
    monkeypatch.setattr(documents, "deployment", SimpleNamespace(id="a-deployment"))
    with _server(port, refuse) as server:
        state = status_report(project=ERP, as_of=AS_OF, options=DeliveryOptions(config=str(scratch_config)),
                              return_state=True)
    return state, server.recorder


def _sent_says(scratch_config, monkeypatch, capsys) -> str:
    from grantflow.cli import main

    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["--config", str(scratch_config), "sent", ERP]) == 0
    return capsys.readouterr().out


def test_a_failed_run_says_may_have_arrived_apart_from_not_delivered(isolated, scratch_config, monkeypatch, capsys):
    state, recorder = _run_on_server(scratch_config, monkeypatch, refuse=[REFUSED])
    message = state.message or ""
    assert state.is_failed(), (state.type, message)
    assert LEADER in recorder.recipients()                      # the whole message did reach the server
    delivered_part, _, unsure_part = message.partition("may have arrived at ")
    assert delivered_part.startswith(f"not delivered to 1 of 5 recipient(s): {REFUSED}: refused: 550"), message
    assert LEADER not in delivered_part, message
    assert unsure_part.startswith(f"1 of 5 recipient(s)") and LEADER in unsure_part, message
    assert "grantflow send --resend" in unsure_part, message
    sent = _sent_says(scratch_config, monkeypatch, capsys)
    # `grantflow sent` says it so: the same words
    (leader_row,) = [line for line in sent.splitlines() if f"│ {LEADER}" in line]
    assert "│ uncertain │" in leader_row and "kan ha kommet fram" in sent, sent


def test_a_run_whose_only_unreached_mail_may_have_arrived_says_nothing_of_not_delivered(isolated, scratch_config,
                                                                                       monkeypatch):
    """The secretariat's mail of the run says the same: "Kan ha kommet fram", no "Ikke levert"."""
    state, recorder = _run_on_server(scratch_config, monkeypatch)
    message = state.message or ""
    assert state.is_failed(), (state.type, message)
    assert message.startswith(f"may have arrived at 1 of 5 recipient(s)") and LEADER in message, message
    assert "not delivered" not in message, message
    (told,) = [m for m in recorder.messages() if m["To"].addresses[0].addr_spec == SECRETARIAT]
    body = " ".join(told.get_body(("plain",)).get_content().split())
    assert told["Subject"].startswith("Kan ha kommet fram til 1 mottaker(e)"), told["Subject"]
    assert "ikke levert" not in (told["Subject"] + body).casefold(), body


HAUG_KEY = "status:haugaland-velferdsteknologi:2016-10-07"
HAUG_LEADER = "prosjektleder@haugalandvekst.example.no"


def _watch(config, day):
    from flows.deadline_watch import deadline_watch
    from flows.options import DeliveryOptions

    # the demo data have two seed errors: sent with a reason, as the secretariat would
    # signed as `grantflow run --yes` signs: a deployment run counts no other approval in advance
    options = DeliveryOptions(config=str(config), transport="smtp", approved=True,
                              override_reason="finansieringsavviket er kjent")
    return deadline_watch(as_of=day, options=options.signed("deadline_watch", {"as_of": day}))


def _watch_mail(recorder, day: str):
    (told,) = [m for m in recorder.messages() if str(m["Subject"]).startswith(f"Fristvakten {day}")]
    return told["Subject"], " ".join(told.get_body(("plain",)).get_content().split())


def test_the_watchs_mail_to_the_secretariat_counts_a_mail_that_may_have_arrived_apart(isolated, scratch_config):
    """Its subject read "Fristvakten 07.10.2016: 1 ble ikke laget eller sendt" above a body saying
    the report may have arrived."""
    from ..delivery.test_concurrent_send import smtp_config

    port = free_port()
    smtp_config(scratch_config, port)
    server = SmtpServer(port=port)
    server.recorder = server.controller.handler = NoReplyTo(HAUG_LEADER)
    with server:
        result = _watch(scratch_config, date(2016, 10, 7))
    assert [k for k, _ in result["uncertain"]] == [HAUG_KEY] and not result["failed"], result
    subject, body = _watch_mail(server.recorder, "07.10.2016")
    assert subject == "Fristvakten 07.10.2016: 1 kan ha kommet fram – Haugaland Vekst", subject
    assert "ikke laget eller sendt" not in subject and "fikk ikke gjort dette" not in body, body
    assert f"- {HAUG_KEY}: kan ha kommet fram til {HAUG_LEADER}" in body, body


def test_the_watch_on_a_server_counts_a_run_whose_mail_may_have_arrived_apart(isolated, scratch_config, monkeypatch):
    """On a server the watch read the run's Failed state and counted it under "Feilet", telling the
    secretariat "kjøringen … endte som FAILED (not delivered to 1 of 11 recipient(s): …)". Now the run
    says "may have arrived at 1 of 11 …", and the watch counts it apart and tells it so."""
    from .test_watch_triggered_runs import run_state, start_run, triggered

    from ..conftest import replace_in
    from ..delivery.test_concurrent_send import smtp_config
    from flows.documents import status_report

    port = free_port()
    smtp_config(scratch_config, port)
    replace_in(scratch_config / "grantflow.yaml", "start_days: 5", "start_days: 0")
    monkeypatch.setenv("GRANTFLOW_CONFIG", str(scratch_config))
    status_report.to_deployment(name="status-report").apply()
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "00000000-0000-0000-0000-00000000d3f1")
    server = SmtpServer(port=port)
    server.recorder = server.controller.handler = NoReplyTo(HAUG_LEADER)
    with server, (isolated / "run.err").open("w") as err:
        first = _watch(scratch_config, date(2016, 10, 7))
        assert first["ran"] == [HAUG_KEY], first
        run_id = triggered(isolated)[HAUG_KEY]["detail"]
        start_run(run_id, err).wait(300)
        assert run_state(run_id).type.value == "FAILED", (isolated / "run.err").read_text()[-3000:]
        after = _watch(scratch_config, date(2016, 10, 10))
        subject, body = _watch_mail(server.recorder, "10.10.2016")
    assert [k for k, _ in after["uncertain"]] == [HAUG_KEY], after
    assert not [k for k, _ in after["failed"] if k == HAUG_KEY], after["failed"]
    assert subject == "Fristvakten 10.10.2016: 1 kan ha kommet fram – Haugaland Vekst", subject
    assert f"may have arrived at 1 of" in body and HAUG_LEADER in body and "not delivered" not in body, body


def test_the_batch_says_a_mail_that_may_have_arrived_apart_from_not_delivered(isolated, scratch_config):
    """The batch's result and its summary in the Prefect UI listed the project leader, whose whole
    message the server took without a reply, under "Ikke levert" with the refused."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.batch import make_batch
    from flows.options import DeliveryOptions

    from .test_batch import CLEAN, _one_clean_one_broken

    leader = "prosjektleder@nord-gudbrandsdal.example.no"       # cc: the last one mailed
    port = free_port()
    use_smtp(scratch_config, port, retry={"attempts": 2, "backoff_seconds": [0]})
    _one_clean_one_broken(scratch_config)
    server = SmtpServer(port=port)
    server.recorder = server.controller.handler = NoReplyTo(leader)
    with server:
        result = make_batch(1, "threads")(kind="costsplit", projects=[CLEAN],
                                          options=DeliveryOptions(config=str(scratch_config), send=True))
    (made,) = result["results"]
    assert made["sent"] and leader in server.recorder.recipients(), made
    assert [e for e, _ in made["uncertain"]] == [leader] and not made["failed"], made

    from prefect.client.schemas.sorting import ArtifactSort

    async def read():      # this batch's summary: other tests' batches share the key
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["batch-costsplit"])),
                sort=ArtifactSort.CREATED_DESC, limit=1)
    (summary,) = [a.data for a in asyncio.run(read())]
    assert "## Ikke levert" not in summary, summary
    assert "## Kan ha kommet fram (spør mottakeren før grantflow send --resend)" in summary, summary
    assert f"- {CLEAN} → {leader}: " in summary, summary


def test_the_approvers_mail_after_a_run_says_may_have_arrived_not_ikke_sendt(isolated, scratch_config):
    """Approved in the run's form, the ERP status report reached 4 of 5 and the mail server left
    the project leader's whole message unanswered: the approver read "Ikke sendt etter godkjenning
    … ble IKKE sendt til 1 av 5 mottakere", as if it had not gone. The run's own result (a local
    run against a real aiosmtpd) is what the resumed run tells the approver of."""
    from datetime import datetime, timezone

    from flows.approval import Decision, ResumedAnswer
    from flows.documents import approved_not_sent, status_report
    from flows.options import DeliveryOptions

    approver = "godkjenner@kongsbergregionen.example.no"
    port = free_port()
    use_smtp(scratch_config, port, retry={"attempts": 2, "backoff_seconds": [0]})
    options = DeliveryOptions(config=str(scratch_config))
    server = _server(port)
    with server:
        result = status_report(project=ERP, as_of=AS_OF, options=options)
        assert [e for e, _ in result["uncertain"]] == [LEADER] and len(result["sent"]) == 4, result
        answer = ResumedAnswer(f"kongsbergregionen/{ERP}/status-{AS_OF.isoformat()}", result["version"], approver,
                               Decision(True, "Kari Nordmann", "", "", datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc)))
        assert approved_not_sent(answer, "may have arrived at 1 of 5 recipient(s) …", options, result) == ""
        (told,) = [m for m in server.recorder.messages() if m["To"].addresses[0].addr_spec == approver]
    subject, body = str(told["Subject"]), " ".join(told.get_body(("plain",)).get_content().split())
    assert subject.startswith("Kan ha kommet fram etter godkjenning: "), subject
    assert "IKKE sendt" not in body and "Ikke sendt" not in subject, body
    assert f"og ble sendt til {', '.join(result['sent'])}. Til {LEADER} (1 av 5 mottakere) kan den ha kommet " \
           "fram: e-postserveren tok imot hele meldingen, men svarte aldri" in body, body
