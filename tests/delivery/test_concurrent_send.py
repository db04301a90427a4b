"""Two `grantflow send` processes for the same document at the same moment, against a real SMTP
server (aiosmtpd on 127.0.0.1): every recipient gets the document exactly once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from grantflow.delivery.ledger import SentLedger

from ..conftest import replace_in
from ..smtp_server import Recorder, SmtpServer, free_port

GRANTFLOW = Path(sys.executable).parent / "grantflow"


class SlowRecorder(Recorder):
    """Takes a moment per message so that the two senders really overlap."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.15)
        return await super().handle_DATA(server, session, envelope)


def smtp_config(scratch_config: Path, port: int) -> None:
    path = scratch_config / "grantflow.yaml"
    replace_in(path, "host: smtp.example.no", "host: 127.0.0.1")
    replace_in(path, "port: 587", f"port: {port}")
    replace_in(path, "security: starttls ", "security: none\n    allow_insecure_localhost: true ")
    replace_in(path, "username: grantflow@regionrad.example.no", "username: null")
    replace_in(path, "backoff_seconds: [2, 5, 15]", "backoff_seconds: [0.2, 0.2, 0.2]")


def race(config: Path, tmp_path: Path, ledger_url: str) -> Counter:
    """Render once, then start two `grantflow send` at the same moment; what arrived per recipient."""
    port = free_port()
    smtp_config(config, port)
    env = dict(os.environ, GRANTFLOW_OUTPUTS=str(tmp_path / "outputs"), GRANTFLOW_LEDGER_URL=ledger_url)
    command = [str(GRANTFLOW), "--config", str(config), "send", "status", "haugaland-velferdsteknologi",
               "--as-of", "2016-10-07", "--transport", "smtp",
               # Haugaland's financing differs from its costs (an error finding): sending needs a reason
               "--override-reason", "race test", "--yes"]
    # the document exists before the race: both senders deliver the same version
    made = subprocess.run([str(GRANTFLOW), "--config", str(config), "render", "status",
                           "haugaland-velferdsteknologi", "--as-of", "2016-10-07"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    server = SmtpServer(port=port)
    server.recorder = SlowRecorder()
    server.controller.handler = server.recorder
    with server:
        procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, out + err
    # together they sent each recipient once; the second skipped whom the first had claimed
    assert sum(int(o.split(": ", 1)[1].split(" sent")[0]) for o, _ in outs) == 7, outs
    ledger = SentLedger(ledger_url)
    try:
        assert sorted(r.status for r in ledger.rows()) == ["sent"] * 7
    finally:
        ledger.close()
    return Counter(r.casefold() for r in server.recorder.recipients())


def test_two_processes_send_each_recipient_once(scratch_config, tmp_path):
    arrived = race(scratch_config, tmp_path, f"sqlite:///{tmp_path / 'sent.db'}")
    assert len(arrived) == 7, arrived
    assert set(arrived.values()) == {1}, arrived            # nobody twice


def test_a_stale_claim_is_taken_over(tmp_path):
    """A sender on another host that crashed after claiming leaves 'sending'; after STALE_CLAIM the
    next takes it. One on this host whose process still runs is never taken over, however long it
    takes (a slow server, long retries): it was, after 30 minutes, and both sent (found by an
    outside tester: 8 arrivals for 7 recipients)."""
    from datetime import timedelta

    from sqlalchemy import update

    from grantflow.delivery.ledger import deliveries

    ledger = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}")
    row = dict(document="c/p/status-1", kind="status", project="p", council="c", version=1, document_hash="h",
               recipient="a@example.no", role="to", message_id="<m@x>", transport="smtp")
    try:
        first = ledger.claim(**row)
        assert first and ledger.claim(**row) is None                     # held: a second sender skips
        assert ledger.claim(**row, stale_after=timedelta(0)) is None     # alive here: never stale
        elsewhere = "other-host:4242:abcdef123456"
        with ledger.engine.begin() as conn:
            conn.execute(update(deliveries).values(claim=elsewhere))
        taken = ledger.claim(**row, stale_after=timedelta(0))            # crashed long ago, elsewhere
        assert taken not in (None, first, elsewhere) and taken.before["claim"] == elsewhere
        assert not ledger.finish("c/p/status-1", 1, "a@example.no", "sent", 1, "250 OK", elsewhere)   # void
        assert [r.status for r in ledger.rows()] == ["sending"]
    finally:
        ledger.close()


def test_a_claim_renewed_by_its_next_attempt_is_not_stale(tmp_path):
    """A sender elsewhere whose retries go on past 30 minutes renews its claim at each attempt: it
    is not taken over while it still tries (its row's time is the last attempt's)."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from grantflow.delivery.ledger import deliveries

    ledger = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}")
    row = dict(document="c/p/status-1", kind="status", project="p", council="c", version=1, document_hash="h",
               recipient="a@example.no", role="to", message_id="<m@x>", transport="smtp")
    elsewhere = "other-host:4242:abcdef123456"
    try:
        assert ledger.claim(**row)
        with ledger.engine.begin() as conn:
            conn.execute(update(deliveries).values(claim=elsewhere,
                                                   updated_at=datetime.now(timezone.utc) - timedelta(minutes=31)))
        ledger.touch("c/p/status-1", 1, "a@example.no", elsewhere)      # its next attempt begins
        assert ledger.claim(**row) is None
        with ledger.engine.begin() as conn:
            conn.execute(update(deliveries).values(updated_at=datetime.now(timezone.utc) - timedelta(minutes=31)))
        assert ledger.claim(**row) is not None                          # silent for 31 minutes: taken over
    finally:
        ledger.close()
