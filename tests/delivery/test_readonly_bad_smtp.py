"""Commands that send nothing work while the SMTP settings are being fixed (outside tester,
session 18): `grantflow sent` and `grantflow deadlines` exited 1 with the SMTP error."""

from __future__ import annotations

import pytest

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


# The reviewer's four other delivery mistakes (/tmp/r18c_s_bad-*): 'sent' and 'deadlines' still
# exited 1 with them, though neither names the transport, the sender, the retries or approvals.
DELIVERY_MISTAKES = [
    ("transport: outbox ", "transport: smpt ", "delivery.transport"),
    ("from_address: grantflow@regionrad.example.no", "from_address: grantflow-at-regionrad", "delivery.from_address"),
    ("attempts: 4,", "attempts: four,", "delivery.retry.attempts"),
    ("approval: {application: true,", "approval: {aplication: true,", "delivery.approval"),
]


@pytest.mark.parametrize("old, new, field", DELIVERY_MISTAKES, ids=[f for _, _, f in DELIVERY_MISTAKES])
def test_sent_and_deadlines_read_while_another_delivery_setting_is_wrong(tmp_path, scratch_config, monkeypatch,
                                                                         capsys, old, new, field):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    config = ["--config", str(scratch_config)]
    assert main([*config, "send", "status", ERP, "--as-of", "2014-08-29", "--transport", "outbox"]) == 0
    replace_in(scratch_config / "grantflow.yaml", old, new)
    line = next(n for n, text in enumerate((scratch_config / "grantflow.yaml").read_text(encoding="utf-8")
                                           .splitlines(), start=1) if new in text)
    capsys.readouterr()

    assert main([*config, "sent", ERP]) == 0
    out, err = capsys.readouterr()
    assert "status-2014-08-29" in out and "Traceback" not in err, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("warning:") and f"grantflow.yaml:{line}: {field}" in err, err
    assert "passed over here: this command sends nothing" in err, err

    assert main([*config, "deadlines", "--from", "2014-08-01", "--days", "60"]) == 0
    out, err = capsys.readouterr()
    assert "Frister" in out and f"{field}" in err and err.startswith("warning:"), (out, err)

    # what sends still refuses, with the error
    assert main([*config, "send", "status", ERP, "--as-of", "2014-08-29", "--transport", "outbox"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error:") and field in err and "Traceback" not in err, err


def test_a_wrong_ledger_url_still_stops_sent(tmp_path, scratch_config, monkeypatch, capsys):
    """The ledger is what 'sent' reads: a mistake there is not passed over."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    replace_in(scratch_config / "grantflow.yaml", "delivery:\n", "delivery:\n  ledger_url: postgres-ish\n")
    assert main(["--config", str(scratch_config), "sent", ERP]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error:") and "delivery.ledger_url" in err and "Traceback" not in err, err
