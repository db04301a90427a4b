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
