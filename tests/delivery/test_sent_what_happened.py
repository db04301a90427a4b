"""`grantflow sent` says what really happened to each mail: a copy kept in the local outbox is
no delivery and no attempt at the mail server, and a mail the server took whole without ever
answering "may have arrived" -- its own status, not "failed" (the secretariat resent those, and
the county governor got them twice). Real CLI, real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import sqlite3

from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import Recorder, SmtpServer, use_smtp
from .test_ledger_integrity import env  # noqa: F401 - fixture

PROJECT = "haugaland-velferdsteknologi"
TO = "radmann@karmoy.example.no"        # one of the status report's recipients (config/projects/...)


class NeverRepliesToTheMessage(Recorder):
    """Takes every whole message and closes the connection without a reply."""

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        server.transport.close()
        return "250 OK"


def send(config, *extra) -> int:
    return main(["--config", str(config), "send", "status", PROJECT, "--as-of", "2016-10-07", "--yes",
                 "--override-reason", "kjent avvik i finansieringen", "--recipient", TO, *extra])


def sent(config, capsys, monkeypatch, columns: int, *extra) -> list[str]:
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["--config", str(config), "sent", PROJECT, *extra]) == 0
    return capsys.readouterr().out.splitlines()


def cells(lines: list[str], recipient: str) -> list[list[str]]:
    """The table's rows for ``recipient``, each as its cells, with the detail lines under it."""
    out, mine = [], False
    for line in lines:
        if not line.startswith("│"):
            continue
        parts = [p.strip() for p in line.strip()[1:-1].split("│")]
        if parts[3]:
            mine = parts[3] == recipient
            if mine:
                out.append(parts)
        elif mine:
            out[-1][8] += "\n" + parts[8]
    return out


def test_an_smtp_delivery_after_an_outbox_copy_is_one_attempt_and_the_copy_is_said_apart(
        scratch_config, env, capsys, monkeypatch):
    with SmtpServer() as server:
        use_smtp(scratch_config, server.port)
        assert send(scratch_config, "--transport", "outbox") == 0
        # only a copy on this machine so far: it must not read as delivered to the recipient
        ((_, _, _, _, _, via, status, tries, detail),) = cells(sent(scratch_config, capsys, monkeypatch, 300), TO)
        assert (via, status, tries) == ("outbox", "local copy", "0")
        assert detail.startswith("kun lokal kopi i utboksen, ikke sendt til mottakeren: ") and detail.endswith(".eml")
        blocks = sent(scratch_config, capsys, monkeypatch, 80)
        assert f"  v1 local copy {TO}" in blocks
        assert "      to · outbox · 0 forsøk · " in "\n".join(blocks)
        assert "      kun lokal kopi i utboksen, ikke sendt til mottakeren: " in "\n".join(blocks)

        assert send(scratch_config, "--transport", "smtp") == 0
    assert server.recorder.recipients() == [TO]                  # one mail reached the server, once
    ((_, _, _, _, _, via, status, tries, detail),) = cells(sent(scratch_config, capsys, monkeypatch, 300), TO)
    assert (via, status, tries) == ("smtp", "sent", "1")         # it said "2": the outbox copy counted
    first, copy = detail.split("\n")
    assert first == f"127.0.0.1:{server.port}"
    assert copy.startswith("lokal kopi i utboksen ") and copy.endswith(".eml") and "sent" not in copy
    detail_lines = sent(scratch_config, capsys, monkeypatch, 80, "--detail")
    assert f"  v1 lokal kopi (ikke sendt) {TO}" in detail_lines
    assert f"  v1 sendt {TO}" in detail_lines
    assert detail_lines.count(f"  v1 sendt {TO}") == 1


def test_a_mail_the_server_took_without_a_reply_is_uncertain_not_failed(scratch_config, env, capsys, monkeypatch):
    server = SmtpServer()
    server.recorder = server.controller.handler = NeverRepliesToTheMessage()
    with server:
        use_smtp(scratch_config, server.port, retry={"attempts": 1, "backoff_seconds": [0.05]})
        capsys.readouterr()
        assert send(scratch_config) == 1
    out, err = capsys.readouterr()
    assert server.recorder.recipients() == [TO]
    assert out.strip().endswith("v1 via smtp: 0 sent, 1 uncertain (may have arrived)"), out
    (line,) = err.splitlines()
    assert line.startswith(f"  may have arrived at {TO}: temporary failure: no reply after the whole message was "
                           "sent (it may have arrived"), line
    assert line.endswith(f"; check with the recipient before grantflow send --resend --recipient {TO}"), line
    assert "not delivered to" not in err

    ((_, _, _, _, _, via, status, tries, detail),) = cells(sent(scratch_config, capsys, monkeypatch, 300), TO)
    assert (via, status, tries) == ("smtp", "uncertain", "1")       # it said "failed"
    assert "it may have arrived" in detail
    assert detail.splitlines()[-1] == f"kan ha kommet fram: spør mottakeren før grantflow send --resend " \
                                      f"--recipient {TO} (da får mottakeren en ny e-post)", detail
    assert f"  v1 uncertain {TO}" in sent(scratch_config, capsys, monkeypatch, 80)
    assert f"  v1 usikker (kan ha kommet fram) {TO}" in sent(scratch_config, capsys, monkeypatch, 80, "--detail")


def test_a_ledger_from_before_shows_a_failed_unanswered_row_as_uncertain(scratch_config, env, capsys, monkeypatch):
    """An old sent.db recorded such a mail as 'failed' with its unanswered copies counted."""
    assert send(scratch_config, "--transport", "outbox") == 0
    with sqlite3.connect(env / "sent.db") as db:
        db.execute("UPDATE deliveries SET transport='smtp', status='failed', unanswered=1, attempts=1, "
                   "detail='temporary failure: no reply; it may have arrived' WHERE recipient=?", (TO,))
        db.execute("DELETE FROM delivery_events")
    ((_, _, _, _, _, via, status, tries, _),) = cells(sent(scratch_config, capsys, monkeypatch, 300), TO)
    assert (via, status, tries) == ("smtp", "uncertain", "1")
