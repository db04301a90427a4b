"""What an approval covers and what the ledger keeps of it: the addresses an approver saw, and
every request, decision and failed attempt in order (found by an outside tester auditing the record)."""

from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import SmtpServer, free_port, use_smtp

GOVERNOR = "fmropost@fylkesmannen.example.no"
NEW_GOVERNOR = "postmottak@statsforvalteren.example.no"
APPLICATION = ["send", "application", "haugaland-velferdsteknologi", "--transport", "smtp"]


def _setup(scratch_config, tmp_path, monkeypatch):
    port = free_port()
    use_smtp(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    return port


def _batch_send(scratch_config):
    """What the batch does for the application (``flows.batch.deliver``): unattended, no advance approval."""
    from grantflow.delivery.service import send_produced
    from grantflow.documents.service import produce
    from grantflow.register import open_register
    from grantflow.settings import load_settings

    settings = load_settings(str(scratch_config))
    register = open_register(str(scratch_config))
    produced = produce(register, "application", project_id="haugaland-velferdsteknologi", out=settings.outputs_dir())
    return send_produced(produced, register, settings, "smtp", unattended=True)


def test_a_batch_does_not_send_to_an_address_no_approver_saw(scratch_config, tmp_path, monkeypatch, capsys):
    """`send --yes` approved the application for the county governor's address (refused by the
    server, 550) and the steering group leader; the county governor's address was then changed in
    the council's config. The batch, without an approval in advance, sent the application to the
    new address, which no approver had seen. Now it holds it for an approver."""
    port = _setup(scratch_config, tmp_path, monkeypatch)
    with SmtpServer(port=port, refuse=[GOVERNOR]) as server:
        assert main(["--config", str(scratch_config), *APPLICATION, "--yes", "--override-reason", "Tallene er sjekket"]) == 1
        out = capsys.readouterr().out
        assert "1 sent, 1 failed" in out, out
        replace_in(scratch_config / "councils/haugaland-vekst.yaml", f"email: {GOVERNOR}", f"email: {NEW_GOVERNOR}")
        report = _batch_send(scratch_config)
        assert NEW_GOVERNOR not in server.recorder.recipients()
    assert report.sent == [] and report.held.startswith("venter på godkjenning"), report
    from grantflow.delivery.ledger import SentLedger

    ledger = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}")
    (row,) = ledger.approvals()
    # the approver is asked for the new address (the request is new: the batch tells them once)
    assert report.asked and row["status"] == "requested" and NEW_GOVERNOR in row["recipients"]
    assert _batch_send(scratch_config).asked is False                 # asked once, not every night


def test_an_approval_covers_the_addresses_it_was_given_for(scratch_config, tmp_path, monkeypatch, capsys):
    """The approval `send --yes` recorded covers the address the server refused: once the server
    takes it, the batch delivers to it without asking anyone again. An approval from before the
    addresses were recorded (NULL) covers nobody: the batch holds the document for an approver."""
    from grantflow.delivery.ledger import SentLedger, approvals

    port = _setup(scratch_config, tmp_path, monkeypatch)
    with SmtpServer(port=port, refuse=[GOVERNOR]):
        assert main(["--config", str(scratch_config), *APPLICATION, "--yes", "--override-reason", "Sjekket"]) == 1
    ledger = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}")
    (row,) = ledger.approvals()
    assert row["recipients"] == f"{GOVERNOR},radmann@haugesund.example.no", row
    import shutil

    shutil.copy(tmp_path / "sent.db", tmp_path / "before.db")
    before = SentLedger(f"sqlite:///{tmp_path / 'before.db'}")
    with before.engine.begin() as conn:                # as a row written before addresses were recorded
        conn.execute(approvals.update().values(recipients=None))
    with SmtpServer(port=port) as server:
        monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'before.db'}")
        held = _batch_send(scratch_config)
        assert held.sent == [] and held.held and not server.recorder.arrived
        monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
        report = _batch_send(scratch_config)
        assert report.sent == [GOVERNOR] and server.recorder.recipients() == [GOVERNOR]


def test_an_approval_in_advance_records_its_addresses(scratch_config, tmp_path, monkeypatch):
    """The batch's approval in advance (``approved``) is recorded with the addresses it sent to."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import send_produced
    from grantflow.documents.service import produce
    from grantflow.register import open_register
    from grantflow.settings import load_settings

    port = _setup(scratch_config, tmp_path, monkeypatch)
    replace_in(scratch_config / "grantflow.yaml", "status: false", "status: true")
    settings = load_settings(str(scratch_config))
    register = open_register(str(scratch_config))
    produced = produce(register, "status", project_id="kongsbergregionen-erp", as_of=__import__("datetime").date(2014, 8, 29),
                       out=settings.outputs_dir())
    with SmtpServer(port=port) as server:
        report = send_produced(produced, register, settings, "smtp", unattended=True, approved=True)
        assert len(report.sent) == 5 == len(server.recorder.arrived)
    (row,) = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}").approvals()
    # nobody named with the approval: nobody known, not "batch" (tests/flows/test_batch.py)
    assert row["decided_by"] == "ukjent" and sorted(row["recipients"].split(",")) == sorted(
        r.casefold() for r in report.sent)


def test_every_approval_and_failed_attempt_is_kept_in_order(scratch_config, tmp_path, monkeypatch, capsys):
    """A second `send --yes` with reason B after a partial first send with reason A left only B in
    the ledger (and a decided_at after the copies sent under A), and the county governor's 550 was
    written over by the later delivery. Both decisions, with their reasons and addresses, and the
    refusal are kept, in order, and `grantflow sent` shows them."""
    from grantflow.delivery.ledger import SentLedger

    port = _setup(scratch_config, tmp_path, monkeypatch)
    send = ["--config", str(scratch_config), *APPLICATION, "--yes", "--override-reason"]
    with SmtpServer(port=port, refuse=[GOVERNOR]):
        assert main([*send, "Budsjettet er kontrollert"]) == 1
    with SmtpServer(port=port) as server:
        assert main([*send, "Fylkesmannen har bedt om den"]) == 0
        assert server.recorder.recipients() == [GOVERNOR]
    ledger = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}")
    history = [(e["event"], e["override_reason"], e["recipients"]) for e in ledger.approval_history()]
    assert history == [("requested", None, f"{GOVERNOR},radmann@haugesund.example.no"),
                       ("approved", "Budsjettet er kontrollert", f"{GOVERNOR},radmann@haugesund.example.no"),
                       ("approved", "Fylkesmannen har bedt om den", GOVERNOR)], history
    tried = [(e["recipient"], e["status"], e["detail"][:17]) for e in ledger.attempts() if e["recipient"] == GOVERNOR]
    assert tried == [(GOVERNOR, "failed", "refused: 550 5.1."), (GOVERNOR, "sent", tried[1][2])], tried
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["--config", str(scratch_config), "sent", "haugaland-velferdsteknologi"]) == 0
    out = capsys.readouterr().out
    assert "Budsjettet er kontrollert" in out and "Fylkesmannen har bedt om den" in out, out
    assert out.index("Budsjettet er kontrollert") < out.index("Fylkesmannen har bedt om den")
    assert "failed, refused: 550 5.1.1" in out, out


def _narrow_sent(scratch_config, monkeypatch, capsys, columns: int) -> str:
    """`grantflow sent kongsbergregionen-erp` on a terminal ``columns`` wide (no colours)."""
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert main(["--config", str(scratch_config), "sent", "kongsbergregionen-erp"]) == 0
    monkeypatch.setattr("sys.stdout.isatty", lambda: False, raising=False)
    return capsys.readouterr().out


def test_sent_on_a_narrow_terminal_shows_version_recipient_and_status(scratch_config, tmp_path, monkeypatch,
                                                                        capsys):
    """On an 80- or 120-column terminal the table's header read '┃ Tid (UTC) ┃ Dokument ┃┃ Mottaker
    ┃┃┃┃┃┃': version and status had no width at all (found by an outside tester). Every recipient's
    line now says the version and the status, the recipient whole, and no line is wider than the
    terminal; an approval's history too."""
    import re

    port = _setup(scratch_config, tmp_path, monkeypatch)
    replace_in(scratch_config / "grantflow.yaml", "status: false", "status: true")
    with SmtpServer(port=port, refuse=["radmann@kongsberg.example.no"]):
        assert main(["--config", str(scratch_config), "send", "status", "kongsbergregionen-erp", "--as-of",
                     "2014-08-29", "--transport", "smtp", "--yes"]) == 1
    for columns in (80, 120):
        out = _narrow_sent(scratch_config, monkeypatch, capsys, columns)
        assert max(len(line) for line in out.splitlines()) <= columns, out
        assert "┃┃" not in out, out
        lines = out.splitlines()
        for recipient, status in (("radmann@kongsberg.example.no", "failed"), ("radmann@notodden.example.no", "sent")):
            (line, *_) = [x for x in lines if recipient in x]
            assert status in line and re.search(r"\bv?1\b", line), (columns, line, out)
        assert "550 5.1.1" in out and "godkjent" in out, out


def test_a_form_answer_for_changed_content_keeps_its_override_reason(tmp_path, monkeypatch, capsys):
    """An approver's "godkjenn" given in the form for content that changed meanwhile is kept as
    "godkjent for endret innhold (ikke sendt)", but the override reason typed in the form was
    dropped (found by an outside tester): it is kept and shown."""
    from grantflow.delivery.ledger import SentLedger

    url = f"sqlite:///{tmp_path / 'sent.db'}"
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", url)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    monkeypatch.setenv("COLUMNS", "250")
    document = "kongsbergregionen/kongsbergregionen-erp/final-2014"
    ledger = SentLedger(url)
    ledger.approval_requested(document, 1, "run-1", "sekretariat@example.no", "ab" * 32, recipients=["a@example.no"])
    assert ledger.late_answer(document, 1, "run-1", "godkjenn", "Per Hansen", "Ser bra ut", "cd" * 32,
                              "Regnskapet er avstemt")
    ledger.close()
    assert main(["sent"]) == 0
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if "godkjent for endret" in x]
    assert "Regnskapet er avstemt" in line and "Per Hansen" in line, out


def test_the_record_says_a_version_went_to_some_recipients_only(scratch_config, tmp_path, monkeypatch, capsys):
    """The document's record listed version 1 as delivered when the county governor's server had
    refused it and only the steering group leader had it (found by an outside tester). It says
    how many of how many recipients have it, 'partly' until all do."""
    import json

    port = _setup(scratch_config, tmp_path, monkeypatch)
    send = ["--config", str(scratch_config), *APPLICATION, "--yes", "--override-reason", "Sjekket"]
    with SmtpServer(port=port, refuse=[GOVERNOR]):
        assert main(send) == 1
    (record,) = [p for p in (tmp_path / "outputs").rglob("application-2015.json")]
    (entry,) = json.loads(record.read_text(encoding="utf-8"))["delivered"]
    assert (entry["version"], entry["recipients"], entry["of"], entry["partly"]) == (1, 1, 2, True), entry
    with SmtpServer(port=port):
        assert main(send) == 0
    (entry,) = json.loads(record.read_text(encoding="utf-8"))["delivered"]
    assert (entry["recipients"], entry["of"], "partly" in entry) == (2, 2, False), entry


def test_a_request_on_a_narrow_terminal_reads_to_whom_it_went(tmp_path, monkeypatch, capsys):
    """An approval request in `grantflow sent`'s narrow view read "forespurt av til
    sekretariat@…" (an outside auditor): the address is whom it asked, not who asked."""
    from grantflow.delivery.ledger import SentLedger

    url = f"sqlite:///{tmp_path / 'sent.db'}"
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", url)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    document = "kongsbergregionen/kongsbergregionen-erp/final-2014"
    ledger = SentLedger(url)
    ledger.approval_requested(document, 1, "run-1", "sekretariat@example.no", "ab" * 32, recipients=["a@example.no"])
    ledger.close()
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert main(["sent"]) == 0
    monkeypatch.setattr("sys.stdout.isatty", lambda: False, raising=False)
    out = capsys.readouterr().out
    assert "forespurt til sekretariat@example.no" in " ".join(out.split()), out
    assert "av til" not in out, out
