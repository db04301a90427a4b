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
    assert row["decided_by"] == "batch" and sorted(row["recipients"].split(",")) == sorted(
        r.casefold() for r in report.sent)
