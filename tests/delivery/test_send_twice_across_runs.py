"""What one run learns about a delivery must reach the next run: found by an outside tester in
session 13, each seen failing on the old code with a real aiosmtpd server and `grantflow send`.

* A failed ``--resend`` overwrote the record of the earlier delivery: the next plain send mailed
  those recipients the same version again, and `grantflow sent` said they never had it.
* "It may have arrived" (the whole message went and no reply came) was forgotten when the row
  ended failed (a 451 on the retries, Ctrl-C while waiting for the reply): the next run sent again
  and said "7 sent", nothing about twice; after two silent copies the next run sent a third.
* A sender killed after the whole message went and taken over after the 30-minute limit sent
  again and recorded a clean "sent".
* A full disk after the server's 250 was "internal error ... a bug in grantflow"."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import pytest
from sqlalchemy import update

from grantflow.cli import main
from grantflow.delivery.ledger import SentLedger, deliveries

from ..smtp_server import Recorder, free_port
from .test_ledger_integrity import env, ledger_rows, send_args  # noqa: F401 - fixture
from .test_smtp_faults import serve

KARMOY, HSH, HAUGESUND = "radmann@karmoy.example.no", "kontakt@hsh.example.no", "radmann@haugesund.example.no"


def _smtp(config, port: int) -> list[str]:
    from .test_concurrent_send import smtp_config

    smtp_config(config, port)
    return ["--transport", "smtp", "--yes", "--override-reason", "test"]


class RefusesTwo(Recorder):
    """450 (try later) to Karmøy, 550 to HSH; the rest accepted."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == KARMOY:
            return "450 4.2.1 Mailbox busy, try later"
        if address == HSH:
            return "550 5.1.1 Mailbox unavailable"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_a_resend_that_fails_leaves_the_earlier_delivery_recorded(scratch_config, env, capsys):
    port = free_port()
    args = send_args(scratch_config, env / "o1", *_smtp(scratch_config, port))
    with serve(Recorder(), port) as first:
        assert main(args) == 0
    assert len(first.recorder.recipients()) == 7
    with serve(RefusesTwo(), port) as again:
        assert main([*args, "--resend"]) == 1
        assert sorted(again.recorder.recipients()) == sorted(set(first.recorder.recipients()) - {KARMOY, HSH})
    rows = {r.recipient: r for r in ledger_rows(env)}
    for who in (KARMOY, HSH):
        assert rows[who].status == "sent", rows[who]
        assert rows[who].delivered_at is not None and "the resend failed, the recipient had it delivered before" \
            in rows[who].detail
    capsys.readouterr()
    with serve(Recorder(), port) as third:
        assert main(args) == 0
        assert third.recorder.recipients() == []                     # nobody gets version 1 a third time
    assert "nothing to send: all 7 recipient(s) already have" in capsys.readouterr().out


class TakesFirstMessageThenBusy(Recorder):
    """Takes the first whole message for Haugesund and closes without its 250 (it has arrived);
    from then on 451 to Haugesund's RCPT."""

    def __init__(self):
        super().__init__()
        self.swallowed = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == HAUGESUND and self.swallowed:
            return "451 4.3.0 try later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if envelope.rcpt_tos == [HAUGESUND] and not self.swallowed:
            self.swallowed = True
            server.transport.close()
        return answer


def test_a_copy_that_may_have_arrived_is_remembered_when_the_row_ends_failed(scratch_config, env, capsys):
    port = free_port()
    args = send_args(scratch_config, env / "o1", *_smtp(scratch_config, port))
    with serve(TakesFirstMessageThenBusy(), port) as server:
        assert main(args) == 1
    first = capsys.readouterr()
    assert "it may have arrived" in first.err, first.err
    (row,) = [r for r in ledger_rows(env) if r.recipient == HAUGESUND]
    assert row.status == "uncertain" and row.unanswered == 1      # "failed" before it had its own status
    with serve(Recorder(), port) as again:
        assert main(args) == 0
    second = capsys.readouterr()
    assert "1 sent (1 of these possibly twice), 6 already had version 1" in second.out, second.out
    assert f"possibly twice to {HAUGESUND}" in second.err, second.err
    arrived = Counter(server.recorder.recipients() + again.recorder.recipients())
    assert arrived[HAUGESUND] == 2 and set(arrived.values()) == {1, 2} and len(arrived) == 7


class NeverRepliesToHaugesund(Recorder):
    """Takes every whole message for Haugesund and closes without a reply."""

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if envelope.rcpt_tos == [HAUGESUND]:
            server.transport.close()
        return answer


def test_after_two_silent_copies_no_run_sends_a_third_unasked(scratch_config, env, capsys):
    port = free_port()
    args = send_args(scratch_config, env / "o1", *_smtp(scratch_config, port))
    with serve(NeverRepliesToHaugesund(), port) as server:
        assert main(args) == 1
        assert Counter(server.recorder.recipients())[HAUGESUND] == 2
        capsys.readouterr()
        assert main(args) == 1                                            # the old code: exit 0, a third copy
        assert Counter(server.recorder.recipients())[HAUGESUND] == 2
    err = capsys.readouterr().err
    assert f"{HAUGESUND}: not sent again: 2 copies went to the server without a reply before" in err, err
    assert f"grantflow send --resend --recipient {HAUGESUND} sends it to this recipient again" in err, err
    with serve(Recorder(), port) as asked:
        # the secretariat asked the recipient, and sends to that one only (--resend alone: to all seven)
        assert main([*args, "--resend", "--recipient", HAUGESUND.upper()]) == 0
        assert asked.recorder.recipients() == [HAUGESUND]
        capsys.readouterr()
        assert main([*args, "--resend", "--recipient", "someone@else.example.no"]) == 1
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert "--recipient: 'someone@else.example.no' is not a recipient of" in line, line
        assert asked.recorder.recipients() == [HAUGESUND]
        # as copied from a mail program: with spaces, or with the name; a list with a stranger in it: none
        assert main([*args, "--resend", "--recipient", f" {HAUGESUND} "]) == 0
        assert main([*args, "--resend", "--recipient", f'"Haugesund kommune" <{HAUGESUND}>']) == 0
        assert asked.recorder.recipients() == [HAUGESUND] * 3
        capsys.readouterr()
        assert main([*args, "--resend", "--recipient", f"{HAUGESUND}, someone@else.example.no"]) == 1
        assert "is not a recipient of" in capsys.readouterr().err
        assert asked.recorder.recipients() == [HAUGESUND] * 3


class HoldsTheReplyToHaugesund(Recorder):
    """Takes Haugesund's whole message and holds its 250 until released."""

    def __init__(self):
        super().__init__()
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if envelope.rcpt_tos == [HAUGESUND]:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return answer


@pytest.mark.parametrize("stop", ["ctrl-c", "kill -9, taken over after 30 minutes"])
def test_a_sender_stopped_while_waiting_for_the_reply_makes_the_next_copy_possibly_twice(scratch_config, env,
                                                                                        capsys, stop):
    import os
    import signal
    import subprocess
    import sys

    from ..conftest import ROOT, ctrl_c_reaches_child

    port = free_port()
    args = send_args(scratch_config, env / "o1", *_smtp(scratch_config, port))
    handler = HoldsTheReplyToHaugesund()
    with serve(handler, port):
        sender = subprocess.Popen([sys.executable, "-m", "grantflow.cli", *args], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  preexec_fn=ctrl_c_reaches_child)
        try:
            assert handler.holding.wait(120), "the sender never sent Haugesund's message"
            sender.send_signal(signal.SIGINT if stop == "ctrl-c" else signal.SIGKILL)
            sender.wait(60)
        finally:
            handler.release.set()
            if sender.poll() is None:
                os.kill(sender.pid, signal.SIGKILL)
    if stop == "ctrl-c":
        assert sender.returncode == 130, sender.stderr
        (row,) = [r for r in ledger_rows(env) if r.recipient == HAUGESUND]
        assert row.status == "uncertain" and row.unanswered == 1 and "it may have arrived" in row.detail, row
    else:
        # as if it had happened on another host more than 30 minutes ago: only the limit frees it
        ledger = SentLedger(f"sqlite:///{env / 'sent.db'}")
        try:
            from datetime import datetime, timedelta, timezone

            with ledger.engine.begin() as conn:
                conn.execute(update(deliveries).where(deliveries.c.status == "sending").values(
                    claim=f"other-host:{sender.pid}:abcdef123456",
                    updated_at=datetime.now(timezone.utc) - timedelta(minutes=31)))
        finally:
            ledger.close()
    first = Counter(handler.recipients())
    with serve(Recorder(), port) as again:
        assert main(args) == 0
    out = capsys.readouterr()
    assert "sent (1 of these possibly twice)" in out.out, out.out
    assert f"possibly twice to {HAUGESUND}" in out.err, out.err
    arrived = first + Counter(again.recorder.recipients())
    assert arrived[HAUGESUND] == 2
    (row,) = [r for r in ledger_rows(env) if r.recipient == HAUGESUND]
    assert row.status == "sent" and "twice" in row.detail


def test_a_full_ledger_after_the_servers_yes_is_one_line_saying_so(scratch_config, env, capsys, monkeypatch):
    from sqlalchemy.exc import OperationalError

    port = free_port()
    args = send_args(scratch_config, env / "o1", *_smtp(scratch_config, port))
    real = SentLedger.finish

    def full(self, *a, **k):
        if a[3] == "sent" and a[2] == HAUGESUND:
            raise OperationalError("UPDATE deliveries", {}, Exception("database or disk is full"))
        return real(self, *a, **k)

    monkeypatch.setattr(SentLedger, "finish", full)
    with serve(Recorder(), port) as server:
        assert main(args) == 1
    assert HAUGESUND in server.recorder.recipients()
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert "internal error" not in err and "Traceback" not in err
    assert f"the mail to {HAUGESUND} was accepted by the mail server, but the sent ledger could not record it" \
        in line and "database or disk is full" in line, line
