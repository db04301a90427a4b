"""Every delivery attempt keeps the Message-ID its mail carried and the sha256 of its attachments."""

import hashlib
import sqlite3

from grantflow.cli import main
from grantflow.delivery.ledger import SentLedger

from ..smtp_server import SmtpServer, free_port, use_smtp

SEND = ["send", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29", "--yes"]
DOCUMENT = "kongsbergregionen/kongsbergregionen-erp/status-2014-08-29"


def test_a_resend_keeps_the_first_mails_message_id_and_bytes(scratch_config, tmp_path, monkeypatch, capsys):
    """A report went to the steering group over SMTP, then once more to one member (`--resend
    --recipient`). The ledger kept one row per document, version and recipient, so the resend's
    Message-ID replaced the first mail's; its history kept neither Message-ID nor the attachment's
    hash, and `grantflow sent` showed no Message-ID: which mail carried which bytes to whom could
    not be told (found by an outside auditor). Each attempt is now a history row of its own with
    the Message-ID and the attachment's sha256 the server received, and `grantflow sent --detail`
    lists them; the everyday table stays as it was."""
    port = free_port()
    use_smtp(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    ledger = tmp_path / "sent.db"
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{ledger}")
    base = ["--config", str(scratch_config)]
    with SmtpServer(port=port) as server:
        assert main([*base, *SEND]) == 0
        first = server.recorder.messages()
        member = first[0]["To"].addresses[0].addr_spec
        assert main([*base, *SEND, "--resend", "--recipient", member]) == 0
        arrived = server.recorder.messages()
    assert len(arrived) == len(first) + 1
    # what the server received for that member: two mails, their Message-IDs and attachments' bytes
    got = [(m["Message-ID"], [hashlib.sha256(a.get_content()).hexdigest() for a in m.iter_attachments()])
           for m in arrived if member in [a.addr_spec for a in m["To"].addresses]]
    assert len(got) == 2 and got[0][0] != got[1][0] and all(len(h) == 1 for _, h in got), got

    with sqlite3.connect(ledger) as conn:
        rows = conn.execute("SELECT message_id, attachment_sha256, status FROM delivery_events WHERE document = ? "
                            "AND recipient = ? ORDER BY id", (DOCUMENT, member)).fetchall()
    assert rows == [(mid, hashes[0], "sent") for mid, hashes in got]

    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "200")
    assert main([*base, "sent", "kongsbergregionen-erp"]) == 0
    table = capsys.readouterr().out
    assert got[0][0] not in table and got[1][0] not in table      # the everyday table: as before
    assert main([*base, "sent", "kongsbergregionen-erp", "--detail"]) == 0
    out = capsys.readouterr().out
    for mid, hashes in got:
        assert mid in out and hashes[0][:12] in out, (mid, hashes[0][:12], out)
    # the first mail is listed before the resend, each with its own Message-ID and attachment hash
    assert out.index(got[0][0]) < out.index(got[1][0])
    assert out.index(got[0][1][0][:12], out.index(got[0][0])) < out.index(got[1][0])


def test_a_ledger_from_before_is_read_and_gains_the_columns(scratch_config, tmp_path, monkeypatch, capsys):
    """A sent.db written by an earlier grantflow (its history without Message-ID and hash) is read
    as it is: the columns are added, its attempts listed with both 'ukjent'."""
    db = tmp_path / "sent.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE delivery_events (id INTEGER PRIMARY KEY, document VARCHAR(300) NOT NULL, "
                     "version INTEGER NOT NULL, recipient VARCHAR(320) NOT NULL, transport VARCHAR(20), "
                     "status VARCHAR(10) NOT NULL, attempts INTEGER NOT NULL, detail TEXT, at DATETIME NOT NULL)")
        conn.execute("INSERT INTO delivery_events (document, version, recipient, transport, status, attempts, at) "
                     f"VALUES ('{DOCUMENT}', 1, 'a@example.no', 'smtp', 'sent', 1, '2026-01-02 10:00:00')")
    SentLedger(f"sqlite:///{db}").close()          # opened by this grantflow: the rest of the tables
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO deliveries (document, kind, project, council, version, document_hash, recipient, "
                     "role, message_id, transport, status, attempts, created_at, updated_at) VALUES (?, 'status', "
                     "'kongsbergregionen-erp', 'kongsbergregionen', 1, 'abc', 'a@example.no', 'to', '<old@x.no>', "
                     "'smtp', 'sent', 1, '2026-01-02 10:00:00', '2026-01-02 10:00:00')", (DOCUMENT,))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{db}")
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["--config", str(scratch_config), "sent", "--detail"]) == 0
    out = capsys.readouterr().out
    assert "v1 sendt a@example.no" in out and "Message-ID ukjent" in out and "vedlegg sha256 ukjent" in out, out
    with sqlite3.connect(db) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(delivery_events)")}
    assert {"message_id", "attachment_sha256"} <= columns
