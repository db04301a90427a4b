"""An approval in the form without the override reason the data's errors need (outside tester,
session 18): it is not a rejection by the approver."""

from __future__ import annotations

from grantflow.cli import main

from ..smtp_server import SmtpServer, free_port, use_smtp

HAUG = "haugaland-velferdsteknologi"      # its data have errors (validation finds them: README)


def test_an_approval_without_the_needed_reason_is_not_recorded_as_a_rejection(isolated, scratch_config,
                                                                                monkeypatch, capsys):
    """`run application haugaland-velferdsteknologi` on a server; the approver (Kari Nordmann)
    answered "godkjenn", "ser bra ut", no override reason, three times. The run ended Cancelled
    with 'Avvist av Kari Nordmann …: ser bra ut; ikke sendt.', `grantflow sent` showed an
    "avvist" by her, and `grantflow send … --yes --override-reason` was then refused ("was
    rejected by Kari Nordmann"): a decision nobody made, blocking the secretariat. Now the run
    fails saying a reason is needed, the ledger says "godkjent uten begrunnelse: ikke sendt", and
    a later send with a reason goes out."""
    import flows.approval as approval
    import flows.documents as documents
    from flows.documents import application
    from flows.options import DeliveryOptions

    port = free_port()
    use_smtp(scratch_config, port)
    monkeypatch.setattr(documents, "can_suspend", lambda: True)
    monkeypatch.setattr(approval, "can_suspend", lambda: True)
    asked = []

    def suspend(wait_for_input, key, timeout):
        asked.append(key)
        return approval.ApprovalForm(approver="Kari Nordmann", decision="godkjenn", comment="ser bra ut",
                                     override_reason="")

    monkeypatch.setattr(approval, "suspend_flow_run", suspend)
    options = DeliveryOptions(config=str(scratch_config))
    with SmtpServer(port=port) as server:
        state = application(project=HAUG, options=options, return_state=True)
        sent = [m for m in server.recorder.messages() if not str(m["Subject"]).startswith("Til godkjenning")]
        assert len(asked) == 3 and sent == [], (asked, sent)
        message = state.message or ""
        assert not state.is_cancelled(), (state.type, message)
        assert state.is_failed(), (state.type, message)
        assert "Avvist" not in message and "avvist" not in message, message
        assert "Kari Nordmann" in message and "uten begrunnelse" in message, message
        assert "--override-reason" in message and "ikke sendt" in message.casefold(), message

        capsys.readouterr()
        assert main(["--config", str(scratch_config), "sent", HAUG]) == 0
        out = capsys.readouterr().out
        assert "godkjent uten begrunnelse" in out and "avvist" not in out, out

        reason = "Styret har godkjent tallene 28.11.2026"
        rc = main(["--config", str(scratch_config), "send", "application", HAUG, "--transport", "smtp",
                   "--yes", "--override-reason", reason])
        out, err = capsys.readouterr()
        assert rc == 0 and "rejected" not in err, (out, err)
        sent = [m for m in server.recorder.messages() if not str(m["Subject"]).startswith("Til godkjenning")]
        assert sent and all(str(m["Subject"]).startswith("Søknad") for m in sent), [m["Subject"] for m in sent]
