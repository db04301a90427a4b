"""Commands that send nothing work while the SMTP settings are being fixed (outside tester,
session 18): `grantflow sent` and `grantflow deadlines` exited 1 with the SMTP error."""

from __future__ import annotations

from grantflow.cli import main

from ..conftest import replace_in

ERP = "kongsbergregionen-erp"


def test_sent_and_deadlines_read_while_the_smtp_settings_are_wrong(tmp_path, scratch_config, monkeypatch, capsys):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    config = ["--config", str(scratch_config)]
    # one document sent (to the outbox) before the mail settings went wrong
    assert main([*config, "send", "status", ERP, "--as-of", "2014-08-29", "--transport", "outbox"]) == 0
    replace_in(scratch_config / "grantflow.yaml", "security: starttls", "security: none")   # host smtp.example.no
    capsys.readouterr()

    assert main([*config, "sent", ERP]) == 0
    out, err = capsys.readouterr()
    assert "status-2014-08-29" in out and "Traceback" not in err, (out, err)
    # the problem is still said (one line, file and field), as a warning
    assert "grantflow.yaml" in err and "delivery.smtp" in err and "security: none" in err, err
    assert len(err.strip().splitlines()) == 1, err

    assert main([*config, "deadlines", "--from", "2014-08-01", "--days", "60"]) == 0
    out, err = capsys.readouterr()
    assert "Frister" in out and "security: none" in err, (out, err)

    # what sends still refuses, with the error
    assert main([*config, "send", "status", ERP, "--as-of", "2014-08-29", "--transport", "smtp"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error:") and "security: none" in err and "Traceback" not in err, err
