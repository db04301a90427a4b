"""The sent ledger is the authority on a document's versions (an outside auditor: after version 2 of
a final report went out, its record and .docx were moved out of outputs/; the next send was refused
as "made in another outputs folder", and with --resend version 2's content went again as "version
1", plain subject, to readers who had both, and the ledger's version-1 rows got version 2's hash
and the new Message-ID)."""

import json
import sqlite3

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from ..docx_text import all_text
from ..smtp_server import SmtpServer, free_port, use_smtp

PROJECT = "kongsbergregionen-erp"
KEY = f"kongsbergregionen/{PROJECT}/final-2014"
MILESTONES = "data/kongsbergregionen-erp/milepaeler.csv"
OLD, NEW = "Lønn i drift i tre av fire kommuner", "Lønn i drift i alle fire kommuner"


def ledger_rows(db, version: int) -> set[tuple]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT recipient, document_hash, message_id FROM deliveries "
                                "WHERE version = ? AND status = 'sent'", (version,)))


@pytest.fixture
def after_correction(scratch_config, tmp_path, monkeypatch, capsys):
    """Version 1 and version 2 sent by SMTP, then the record and the .docx moved out of outputs/."""
    port = free_port()
    use_smtp(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    db = tmp_path / "sent.db"
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{db}")
    send = ["--config", str(scratch_config), "send", "final", PROJECT, "--yes", "--transport", "smtp",
            "--override-reason", "kjent differanse"]
    server = SmtpServer(port=port)
    with server:
        assert main(send) == 0
        first = len(server.recorder.messages())
        replace_in(scratch_config / MILESTONES, OLD, NEW)
        assert main(send) == 0
        second = server.recorder.messages()[first:]
    assert first and len(second) == first
    assert all("(versjon 2, erstatter versjon 1)" in str(m["Subject"]) for m in second)
    docx = next((tmp_path / "outputs").rglob("final-2014.docx"))
    away = tmp_path / "away"
    away.mkdir()
    for path in (docx, docx.with_suffix(".json")):
        path.rename(away / path.name)
    capsys.readouterr()
    return send, port, docx, db, first, {1: ledger_rows(db, 1), 2: ledger_rows(db, 2)}


def test_the_same_content_again_is_version_2_and_nobody_gets_it_again(after_correction, capsys):
    send, port, docx, db, count, rows = after_correction
    with SmtpServer(port=port) as server:
        assert main(send) == 0
        assert server.recorder.messages() == []
    out = capsys.readouterr().out
    assert f"nothing to send: all {count} recipient(s) already have {KEY} version 2" in out
    assert "· versjon 2 ·" in all_text(docx)              # the page footer the reader sees
    assert json.loads(docx.with_suffix(".json").read_text(encoding="utf-8"))["version"] == 2
    assert {1: ledger_rows(db, 1), 2: ledger_rows(db, 2)} == rows


def test_resend_sends_version_2_as_version_2_and_keeps_version_1_in_the_ledger(after_correction, capsys):
    send, port, docx, db, count, rows = after_correction
    with SmtpServer(port=port) as server:
        assert main([*send, "--resend"]) == 0
        mails = server.recorder.messages()
    assert len(mails) == count
    subjects = [str(m["Subject"]) for m in mails]
    assert all("versjon 2" in s for s in subjects), subjects
    assert not any("versjon 1" in s and "erstatter versjon 1" not in s for s in subjects), subjects
    assert "· versjon 2 ·" in all_text(docx)
    assert ledger_rows(db, 1) == rows[1]           # version 1's hash and Message-IDs as they went out
    assert {(r, h) for r, h, _ in ledger_rows(db, 2)} == {(r, h) for r, h, _ in rows[2]}


def test_the_original_data_back_is_version_1_new_data_is_version_3(after_correction, scratch_config, capsys):
    send, port, docx, db, count, rows = after_correction
    replace_in(scratch_config / MILESTONES, NEW, OLD)
    with SmtpServer(port=port) as server:
        assert main(send) == 0
        assert server.recorder.messages() == []
    assert f"nothing to send: all {count} recipient(s) already have {KEY} version 1" in capsys.readouterr().out
    assert "· versjon 1 ·" in all_text(docx)
    replace_in(scratch_config / MILESTONES, OLD, "Lønn i drift i tre av fire kommuner (Tinn i januar)")
    with SmtpServer(port=port) as server:
        assert main(send) == 0
        mails = server.recorder.messages()
    assert len(mails) == count and "· versjon 3 ·" in all_text(docx)
    assert all("(versjon 3, erstatter versjon 2)" in str(m["Subject"]) for m in mails), mails[0]["Subject"]
    assert {1: ledger_rows(db, 1), 2: ledger_rows(db, 2)} == rows
