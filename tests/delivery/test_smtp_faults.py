"""Delivery attacked the way a real mail server, a real crash and a real secretariat would:
custom aiosmtpd handlers on 127.0.0.1, the `grantflow send` CLI's one line and exit code, the
mails as the server received them and the ledger's rows."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter

import pytest

from grantflow.cli import main
from grantflow.delivery.ledger import SentLedger
from grantflow.models import RecipientRule
from grantflow.settings import RetrySettings

from ..conftest import ROOT, replace_in
from ..smtp_server import Recorder, SmtpServer, free_port, self_signed
from .test_delivery import register, send, smtp_settings, status_doc  # noqa: F401 - fixtures
from .test_ledger_integrity import env, ledger_rows, outbox, send_args  # noqa: F401 - fixture

QUICK = RetrySettings(attempts=3, backoff_seconds=[0.05])

PROJECT = "haugaland-velferdsteknologi"


def recipients_rule(config, body: str) -> None:
    replace_in(config / "grantflow.yaml", "  approval:", f"  recipients:\n    status: {body}\n  approval:")


@pytest.mark.parametrize("entry, why", [
    ("Ola Nordmann <ola@kommune.example.no>", "not an e-mail address"),     # a display name, as in a mail client
    ("ola@@kommune", "not an e-mail address"),
    ("styringsgruppa", "unknown recipient 'styringsgruppa'"),
    (None, "needs at least one 'to'"),                                       # to: []
])
def test_a_recipient_entry_that_is_no_plain_address_is_one_line_naming_file_and_field(scratch_config, env, capsys,
                                                                                       entry, why):
    recipients_rule(scratch_config, f'{{to: ["{entry}"]}}' if entry else "{to: [], cc: [leader]}")
    assert main(send_args(scratch_config, env / "o1")) == 1
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    field = "delivery.recipients.status.to[0]" if entry else "delivery.recipients.status"
    assert "grantflow.yaml:" in line and field in line and why in line, line
    assert "internal error" not in err and outbox(env) == [] and ledger_rows(env) == []


# ---- a real mail server misbehaving (aiosmtpd handlers) ------------------------------------------

class DropsAfterFirstMessage(Recorder):
    """Takes the whole first message and closes the connection before answering: the classic
    "maybe delivered" (the server has it, the sender never hears so)."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        if len(self.arrived) == 1:
            server.transport.close()
        return "250 OK"


class Says421ToFirstRecipient(Recorder):
    """'421 too busy, closing' to the first recipient of the session (limits per connection)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("a@"):
            return "421 4.7.0 Too many connections, closing transmission channel"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


class HangsOnRecipient(Recorder):
    """Accepts the connection and then says nothing more (a hung server), counting RCPTs."""

    def __init__(self):
        super().__init__()
        self.asked, self.release = [], threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.asked.append(address)
        while not self.release.is_set():
            await asyncio.sleep(0.05)
        return "451 4.3.0 gone"


def serve(handler, port=None) -> SmtpServer:
    server = SmtpServer(port=port)
    server.recorder = server.controller.handler = handler
    return server


def test_no_reply_after_the_whole_message_is_retried_and_recorded_as_possibly_twice(register, status_doc, tmp_path):
    """The server got a@'s message and dropped the line before its 250. Nothing may be lost, so a@
    gets it again with the same Message-ID; the ledger and the report say it may be there twice."""
    settings = smtp_settings(tmp_path, free_port())
    settings.delivery.recipients["status"] = RecipientRule(to=["a@kommune.example.no", "b@kommune.example.no"])
    with serve(DropsAfterFirstMessage(), settings.delivery.smtp.port) as server:
        _, report = send(register, status_doc, settings, retry=QUICK)
    got = [(m["To"].addresses[0].addr_spec, m["Message-ID"]) for m in server.recorder.messages()]
    assert [to for to, _ in got] == ["a@kommune.example.no", "a@kommune.example.no", "b@kommune.example.no"]
    assert got[0][1] == got[1][1]                                   # the same Message-ID: one message to a reader
    assert sorted(report.sent) == ["a@kommune.example.no", "b@kommune.example.no"] and not report.failed
    assert "2 sent (1 of these possibly twice)" in report.summary()
    rows = {r.recipient: r for r in SentLedger(settings.ledger_url()).rows()}
    assert rows["a@kommune.example.no"].status == "sent" and "may have it twice" in rows["a@kommune.example.no"].detail
    assert "twice" not in rows["b@kommune.example.no"].detail


def test_a_421_closing_the_connection_does_not_fail_the_next_recipient(register, status_doc, tmp_path):
    """After a 421 on RCPT smtplib closes the connection; the next recipient must get a new one,
    not 'please run connect() first' recorded as its failure."""
    settings = smtp_settings(tmp_path, free_port())
    settings.delivery.recipients["status"] = RecipientRule(to=["a@kommune.example.no", "b@kommune.example.no"])
    with serve(Says421ToFirstRecipient(), settings.delivery.smtp.port) as server:
        _, report = send(register, status_doc, settings, retry=RetrySettings(attempts=1))
    assert server.recorder.recipients() == ["b@kommune.example.no"]
    assert report.sent == ["b@kommune.example.no"]
    assert [(e, "421" in why) for e, why in report.failed] == [("a@kommune.example.no", True)]
    rows = {r.recipient: r.status for r in SentLedger(settings.ledger_url()).rows()}
    assert rows == {"a@kommune.example.no": "failed", "b@kommune.example.no": "sent"}


def tls_config(config, port: int, cert) -> None:
    """STARTTLS with login against the test server's self-signed certificate (TLS as configured by default)."""
    path = config / "grantflow.yaml"
    replace_in(path, "host: smtp.example.no", "host: 127.0.0.1")
    replace_in(path, "port: 587", f"port: {port}\n    ca_file: {cert}")
    replace_in(path, "username: grantflow@regionrad.example.no", "username: sekretariat")
    replace_in(path, "backoff_seconds: [2, 5, 15]", "backoff_seconds: [0.05]")


def test_a_password_with_norwegian_letters_is_one_line_and_never_shown(scratch_config, env, capsys, monkeypatch):
    cert, key = self_signed(env)
    port = free_port()
    tls_config(scratch_config, port, cert)
    password = "Blåbærsyltetøy-2026"
    monkeypatch.setenv("GRANTFLOW_SMTP_PASSWORD", password)
    with SmtpServer(port=port, auth=("sekretariat", password), tls=(cert, key)) as server:
        code = main(send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes",
                              "--override-reason", "test"))
    err = capsys.readouterr().err
    assert code == 1 and server.recorder.arrived == []
    (line,) = err.strip().splitlines()
    assert line.startswith("error: ") and "SMTP login for 'sekretariat'" in line and "ASCII" in line, line
    assert "internal error" not in err
    for secret in (password, "å", "æ", "ø"):
        assert secret not in line.split("(such as")[0]
    rows = ledger_rows(env)
    assert [r.status for r in rows] == ["failed"]          # the recipient it was for can be sent again
    written = b"".join(p.read_bytes() for p in env.rglob("*") if p.is_file())
    assert password.encode() not in written and password.encode("utf-8") not in written


def test_a_hung_server_costs_one_recipients_retries_not_everyones(scratch_config, env, capsys):
    """A server that accepts the connection and never answers: the send gives up after the first
    recipient's retries instead of waiting out every recipient's; nobody is lost (a re-run
    reaches all) and nobody gets it twice."""
    from .test_concurrent_send import smtp_config

    port = free_port()
    smtp_config(scratch_config, port)
    replace_in(scratch_config / "grantflow.yaml", f"port: {port}", f"port: {port}\n    timeout: 0.5")
    replace_in(scratch_config / "grantflow.yaml", "attempts: 4", "attempts: 2")
    args = send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "test")
    hung = HangsOnRecipient()
    with serve(hung, port):
        try:
            assert main(args) == 1
        finally:
            hung.release.set()
    captured = capsys.readouterr()
    assert "0 sent, 7 failed" in captured.out
    assert len(hung.asked) == 2 and len(set(hung.asked)) == 1       # one recipient, tried twice
    rows = ledger_rows(env)
    assert sorted(r.attempts for r in rows) == [0] * 6 + [2] and {r.status for r in rows} == {"failed"}
    assert all("not tried: the server gave no answer" in r.detail for r in rows if r.attempts == 0)
    assert "Traceback" not in captured.err
    with serve(Recorder(), port) as server:
        assert main(args) == 0
    assert "7 sent" in capsys.readouterr().out
    assert sorted(server.recorder.recipients()) == sorted(r.recipient for r in rows)
    assert {r.status for r in ledger_rows(env)} == {"sent"}


class BlocksOnThirdRecipient(Recorder):
    """Holds the 3rd RCPT of the run until released (the sender is killed meanwhile)."""

    def __init__(self):
        super().__init__()
        self.count, self.third, self.release = 0, threading.Event(), threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.count += 1
        if self.count == 3:
            self.third.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 sender went away"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def kill_9_at_the_third(args, handler, what: str) -> int:
    """Start `grantflow send` in its own process, SIGKILL it when ``handler`` holds the third
    recipient (``handler.third``), then let the server go on; the killed process's pid."""
    sender = subprocess.Popen([sys.executable, "-m", "grantflow.cli", *args], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert handler.third.wait(120), f"the sender never {what}"
    finally:
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait()
        handler.release.set()
    return sender.pid


def test_kill_9_in_the_middle_of_a_send_then_send_again_reaches_everyone_once(scratch_config, env, capsys):
    from .test_concurrent_send import smtp_config

    port = free_port()
    smtp_config(scratch_config, port)
    args = send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "test")
    handler = BlocksOnThirdRecipient()
    with serve(handler, port):
        pid = kill_9_at_the_third(args, handler, "reached the 3rd recipient")
        first = handler.recipients()
        assert len(first) == 2
        (stuck,) = [r.recipient for r in ledger_rows(env) if r.status == "sending"]

        assert main(args) == 0
    captured = capsys.readouterr()
    assert "5 sent, 2 already had version 1" in captured.out and "Traceback" not in captured.err
    arrived = Counter(r.casefold() for r in handler.recipients())
    rows = {r.recipient: r for r in ledger_rows(env)}
    assert len(rows) == 7 and set(arrived) == {r.casefold() for r in rows} and set(arrived.values()) == {1}
    assert {r.status for r in rows.values()} == {"sent"}
    assert "taken over from process" in rows[stuck].detail and str(pid) in rows[stuck].detail


class ScansBeforeReplying(Recorder):
    """Keeps the whole message a while before its 250 (a virus/spam scan), longer than the
    per-command timeout: RFC 5321 gives the reply to the final dot 10 minutes."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(1.0)
        return await super().handle_DATA(server, session, envelope)


class NeverRepliesToTheMessage(Recorder):
    """Takes every whole message and closes without a reply."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        server.transport.close()
        return "250 OK"


def test_a_server_that_scans_before_replying_gets_the_message_once(register, status_doc, tmp_path):
    settings = smtp_settings(tmp_path, free_port(), timeout=0.3)       # data_timeout: its default
    settings.delivery.recipients["status"] = RecipientRule(to=["a@kommune.example.no"])
    with serve(ScansBeforeReplying(), settings.delivery.smtp.port) as server:
        _, report = send(register, status_doc, settings, retry=QUICK)
    assert server.recorder.recipients() == ["a@kommune.example.no"]            # once, not once per timeout
    assert report.sent == ["a@kommune.example.no"] and not report.doubtful
    (row,) = SentLedger(settings.ledger_url()).rows()
    assert row.status == "sent" and row.attempts == 1


def test_a_server_that_never_replies_to_a_whole_message_gets_at_most_two_copies(register, status_doc, tmp_path):
    settings = smtp_settings(tmp_path, free_port())
    settings.delivery.recipients["status"] = RecipientRule(to=["a@kommune.example.no", "b@kommune.example.no"])
    with serve(NeverRepliesToTheMessage(), settings.delivery.smtp.port) as server:
        _, report = send(register, status_doc, settings, retry=RetrySettings(attempts=6, backoff_seconds=[0.05]))
    assert server.recorder.recipients() == ["a@kommune.example.no"] * 2          # b@ is not sprayed too
    failed = dict(report.failed)
    assert "it may have arrived" in failed["a@kommune.example.no"]
    assert "ask the recipient" in failed["a@kommune.example.no"]
    assert failed["b@kommune.example.no"].startswith("not tried")
    rows = {r.recipient: r for r in SentLedger(settings.ledger_url()).rows()}
    assert rows["a@kommune.example.no"].attempts == 2 and rows["b@kommune.example.no"].attempts == 0


def test_a_message_too_large_for_the_server_is_refused_once_and_said_in_two_lines(scratch_config, env, capsys):
    """The server takes at most 20 kB (it says SIZE 20000, and 552 to MAIL FROM with SIZE=...):
    every copy of the document has that size, so one refusal stands for all seven; the
    secretariat reads the size and the limit, not seven times the same 552."""
    from aiosmtpd.controller import Controller

    from .test_concurrent_send import smtp_config

    port = free_port()
    smtp_config(scratch_config, port)
    args = send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "test")
    server = SmtpServer(port=port)
    server.controller = Controller(server.recorder, hostname="127.0.0.1", port=port, data_size_limit=20_000)
    with server:
        assert main(args) == 1
    captured = capsys.readouterr()
    assert server.recorder.arrived == []
    assert "0 sent, 7 failed" in captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 2, lines
    assert "refused: 552" in lines[0] and "the server takes at most 20 kB)" in lines[0]
    size = int(lines[0].split("attachments is ")[1].split(" kB")[0])
    assert size > 20
    assert "and 3 more: not tried: the server refused the same message as too large" in lines[1]
    rows = ledger_rows(env)
    assert {r.status for r in rows} == {"failed"} and sorted(r.attempts for r in rows) == [0] * 6 + [1]


class SeesEverything(Recorder):
    """Notes every MAIL FROM (the envelope of a message)."""

    def __init__(self):
        super().__init__()
        self.commands = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.commands.append("MAIL")
        envelope.mail_from = address
        return "250 OK"


def test_tls_by_default_never_falls_back_to_plain_text(scratch_config, env, capsys, monkeypatch):
    """A server that offers no STARTTLS, but would take a login in plain text, while TLS is on
    (the default): one line, non-zero, and neither the password nor the document went over the
    wire (a guard: this held before)."""
    port = free_port()
    path = scratch_config / "grantflow.yaml"
    replace_in(path, "host: smtp.example.no", "host: 127.0.0.1")
    replace_in(path, "port: 587", f"port: {port}")
    monkeypatch.setenv("GRANTFLOW_SMTP_PASSWORD", "Hemmelig-123")
    server = SmtpServer(port=port, auth=("grantflow@regionrad.example.no", "Hemmelig-123"))   # AUTH in plain text
    server.recorder = server.controller.handler = SeesEverything()
    with server:
        code = main(send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "t"))
    captured = capsys.readouterr()
    assert code == 1 and server.authenticator.attempts == [] and server.recorder.commands == [] and server.recorder.arrived == []
    (line,) = captured.err.strip().splitlines()
    assert "STARTTLS" in line and "smtp.security" in line and "Hemmelig-123" not in captured.out + captured.err


class Greeter:
    """Not an SMTP server, or one that refuses at once: answers every connection with one line
    and closes (a raw socket on 127.0.0.1: what sits behind a wrong port). Counts connections."""

    def __init__(self, greeting: bytes):
        self.greeting, self.connections = greeting, 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.sendall(self.greeting)
                conn.settimeout(1)
                try:
                    conn.recv(1024)
                except OSError:
                    pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.close()


@pytest.mark.parametrize("greeting, said", [
    (b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", "does not answer as an SMTP server"),   # the IMAP port
    (b"554 5.7.1 This host is not allowed to send here\r\n", "refuses the session: 554 5.7.1"),
])
def test_a_wrong_port_or_a_refusing_server_is_one_line_without_retries(scratch_config, env, capsys, greeting, said):
    from .test_concurrent_send import smtp_config

    with Greeter(greeting) as server:
        smtp_config(scratch_config, server.port)
        code = main(send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "t"))
    err = capsys.readouterr().err
    assert code == 1 and server.connections == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("error: ") and said in line and "b'" not in line, line


def test_a_port_where_nothing_greets_is_one_line_without_retries(scratch_config, env, capsys):
    """smtp.port set to a web server's port (Prefect's 4200): the connection is taken and nothing is
    said, as a web server waits to be spoken to. It was retried as silence, four times, and after
    2 min 24 s said 'temporary failure: … timed out'; the README promises 'does not answer as an
    SMTP server' (found by an outside tester)."""
    from .test_concurrent_send import smtp_config

    with Greeter(b"") as server:
        smtp_config(scratch_config, server.port)
        replace_in(scratch_config / "grantflow.yaml", f"port: {server.port}", f"port: {server.port}\n    timeout: 0.3")
        code = main(send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "t"))
    err = capsys.readouterr().err
    assert code == 1 and server.connections == 1, err
    (line,) = err.strip().splitlines()
    assert line == (f"error: delivery.smtp: 127.0.0.1:{server.port} took the connection but sent no SMTP greeting "
                    "in 0.3 s: it does not answer as an SMTP server (a web server on that port?); check smtp.host "
                    "and smtp.port"), line


def test_a_server_not_available_421_costs_one_recipients_retries(scratch_config, env, capsys):
    from .test_concurrent_send import smtp_config

    with Greeter(b"421 4.3.2 Service not available, try later\r\n") as server:
        smtp_config(scratch_config, server.port)
        code = main(send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "t"))
    captured = capsys.readouterr()
    assert code == 1 and "0 sent, 7 failed" in captured.out
    assert server.connections == 4                                 # the configured attempts, once
    lines = captured.err.strip().splitlines()
    assert len(lines) == 2 and "421 4.3.2 Service not available" in lines[0] and "and 3 more: not tried" in lines[1]


class RefusesSome(Recorder):
    """550 for one mailbox, 451 (try later) for another, the rest accepted."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "radmann@karmoy.example.no":
            return "550 5.1.1 Mailbox unavailable"
        if address == "kontakt@hsh.example.no":
            return "451 4.2.1 Mailbox busy, try later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_one_refused_one_busy_then_a_new_send_reaches_exactly_those_two(scratch_config, env, capsys):
    """What the secretariat reads after a 550 and a 451, and that the next send reaches exactly
    the two missing, nobody twice (a guard: this held before)."""
    from .test_concurrent_send import smtp_config

    port = free_port()
    smtp_config(scratch_config, port)
    args = send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "t")
    with serve(RefusesSome(), port) as server:
        assert main(args) == 1
        first = list(server.recorder.recipients())
    captured = capsys.readouterr()
    assert "5 sent, 2 failed" in captured.out
    lines = sorted(captured.err.strip().splitlines())
    assert len(lines) == 2
    assert "kontakt@hsh.example.no: temporary failure: 451 4.2.1 Mailbox busy" in lines[0]
    assert "radmann@karmoy.example.no: refused: 550 5.1.1 Mailbox unavailable" in lines[1]
    rows = {r.recipient: r for r in ledger_rows(env)}
    assert (rows["kontakt@hsh.example.no"].status, rows["kontakt@hsh.example.no"].attempts) == ("failed", 4)
    assert (rows["radmann@karmoy.example.no"].status, rows["radmann@karmoy.example.no"].attempts) == ("failed", 1)
    with serve(Recorder(), port) as server:
        assert main(args) == 0
    assert "2 sent, 5 already had version 1" in capsys.readouterr().out
    assert sorted(server.recorder.recipients()) == ["kontakt@hsh.example.no", "radmann@karmoy.example.no"]
    assert len(first) == 5 and not set(first) & set(server.recorder.recipients())
    assert {r.status for r in ledger_rows(env)} == {"sent"}


class TakesThirdMessageThenHangs(Recorder):
    """Takes the 3rd whole message (it has arrived) and holds its 250 until released: the sender
    is killed between the server's acceptance and its own ledger write."""

    def __init__(self):
        super().__init__()
        self.count, self.third, self.release = 0, threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        answer = await super().handle_DATA(server, session, envelope)
        if self.count == 3:
            self.third.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return answer


def test_kill_9_after_the_server_took_the_message_is_recorded_and_reported_as_possibly_twice(scratch_config, env,
                                                                                             capsys):
    """Killed after the 3rd message had arrived but before the ledger knew: the next send takes
    the recipient over and sends again with the same Message-ID (nothing lost). It said "5 sent"
    as if nothing had happened; the recipient has it twice (one in mail programs), and the
    summary, the warning line and the ledger row now say "possibly twice". Killed before the
    message went (the test above), nothing says so: that recipient has it once."""
    from .test_concurrent_send import smtp_config

    port = free_port()
    smtp_config(scratch_config, port)
    args = send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "test")
    handler = TakesThirdMessageThenHangs()
    with serve(handler, port):
        kill_9_at_the_third(args, handler, "sent a 3rd message")
        (stuck,) = [r.recipient for r in ledger_rows(env) if r.status == "sending"]
        assert main(args) == 0
    captured = capsys.readouterr()
    assert "5 sent (1 of these possibly twice), 2 already had version 1" in captured.out, captured.out
    assert f"possibly twice to {stuck}" in captured.err and "Traceback" not in captured.err
    arrived = Counter(r.casefold() for r in handler.recipients())
    assert arrived.pop(stuck.casefold()) == 2 and set(arrived.values()) == {1} and len(arrived) == 6
    ids = [m["Message-ID"] for m in handler.messages() if m["To"].addresses[0].addr_spec == stuck]
    assert len(ids) == 2 and len(set(ids)) == 1                   # mail programs show one
    rows = {r.recipient: r for r in ledger_rows(env)}
    assert {r.status for r in rows.values()} == {"sent"} and "possibly twice" in rows[stuck].detail
    assert not any("possibly twice" in (r.detail or "") for e, r in rows.items() if e != stuck)


def test_a_server_that_is_down_is_said_to_refuse_the_connection(scratch_config, env, capsys):
    """With the mail server down (Connection refused) the first recipient's line said so, and the
    six others 'not tried: the server gave no answer', which describes a hung server, not one that
    is not there (found by an outside tester). They now say the server refused the connection."""
    from .test_concurrent_send import smtp_config

    port = free_port()                                     # nothing listens there
    smtp_config(scratch_config, port)
    replace_in(scratch_config / "grantflow.yaml", "attempts: 4", "attempts: 1")
    args = send_args(scratch_config, env / "o1", "--transport", "smtp", "--yes", "--override-reason", "test")
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "0 sent, 7 failed" in captured.out
    rows = ledger_rows(env)
    untried = [r.detail for r in rows if r.attempts == 0]
    assert len(untried) == 6 and all(d.startswith("not tried: the server refused the connection (127.0.0.1:")
                                     and "gave no answer" not in d for d in untried), untried
    assert "gave no answer" not in captured.err and "refused the connection" in captured.err, captured.err
