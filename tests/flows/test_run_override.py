"""`grantflow run KIND P --yes` by SMTP for a document whose data have errors: the run told the
user to give a reason, `run` had no option for it, and it exited 0 having sent nothing."""

from __future__ import annotations

from grantflow.cli import main

from ..smtp_server import SmtpServer, free_port, use_smtp

HAUG = "haugaland-velferdsteknologi"      # its data have errors (validation finds them: README)


def test_run_with_yes_sends_a_document_with_data_errors_only_with_a_reason(isolated, scratch_config, capsys):
    port = free_port()
    use_smtp(scratch_config, port)
    run = ["--config", str(scratch_config), "run", "final", HAUG, "--yes"]
    with SmtpServer(port=port) as server:
        assert main(run) == 1                           # asked to send, nothing sent: not a success
        out, err = capsys.readouterr()
        assert "--override-reason" in err and "Traceback" not in err, (out, err)
        assert server.recorder.messages() == []
        reason = "Styret har godkjent tallene 14.03.2017"
        assert main([*run, "--override-reason", reason]) == 0
        out = capsys.readouterr().out
        assert f"Sendt tross feil i dataene: {reason}" in out, out
        subjects = [m["Subject"] for m in server.recorder.messages()]
        assert subjects and all(s.startswith("Sluttrapport") for s in subjects), subjects
    from grantflow.delivery.ledger import SentLedger

    ledger = SentLedger(f"sqlite:///{isolated / 'sent.db'}")
    approval = ledger.approval(f"haugaland-vekst/{HAUG}/final-2017", 1)     # who and why, as `send --yes` records
    ledger.close()
    assert approval["status"] == "approved" and approval["override_reason"] == reason, approval
    # for the addresses it went to: a later unattended send to another address asks anew
    assert approval["recipients"] and sorted(approval["recipients"].split(",")) == sorted(
        r.casefold() for r in server.recorder.recipients()), approval
