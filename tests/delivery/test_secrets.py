"""Secrets never leave the place they were given: a password in the sent ledger's URL, the SMTP
password, credentials in the Prefect server's URL. Each test makes the setting fail the way it
does in real use and then reads everything the command printed and every file it produced."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import free_port
from .test_ledger_integrity import send_args

LEDGER_PASSWORD = "LedgerPass-Pp3q"


def written(folder: Path) -> bytes:
    """Every byte of every file under ``folder`` that grantflow wrote (not the config it read)."""
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and "config" not in p.parts)


@pytest.mark.parametrize("where", ["environment", "settings"])
def test_a_ledger_url_with_a_password_is_never_shown(scratch_config, tmp_path, monkeypatch, capsys, where):
    """A PostgreSQL ledger that does not answer: one line naming the ledger, its password as ***
    (it was printed as given, and on a server kept in the run's state and logs)."""
    url = f"postgresql+psycopg://grantflow:{LEDGER_PASSWORD}@127.0.0.1:{free_port()}/ledger"
    if where == "environment":
        monkeypatch.setenv("GRANTFLOW_LEDGER_URL", url)
    else:
        monkeypatch.delenv("GRANTFLOW_LEDGER_URL", raising=False)
        replace_in(scratch_config / "grantflow.yaml", "  approval:", f"  ledger_url: {url}\n  approval:")
    out = tmp_path / "out"
    assert main(send_args(scratch_config, out)) == 1
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert line.startswith("error: ") and "cannot open the sent ledger at postgresql+psycopg://grantflow:***@" in line
    # where it was set: the variable, or the settings file's key
    assert line.startswith("error: $GRANTFLOW_LEDGER_URL: " if where == "environment" else "error: delivery.ledger_url: ")
    assert LEDGER_PASSWORD not in err and LEDGER_PASSWORD.encode() not in written(tmp_path)


API_PASSWORD = "ApiPass-Uu8"


@pytest.mark.parametrize("command", [["run", "final", "kongsbergregionen-erp"], ["serve", "--port", "1"], ["inbox"]])
def test_a_prefect_server_address_with_a_login_is_refused_without_showing_it(scratch_config, tmp_path, monkeypatch,
                                                                             capsys, command):
    """``PREFECT_API_URL=http://admin:…@host/api``: `grantflow run` and `serve` printed the address
    password and all ("no Prefect server answers at http://admin:ApiPass…"); Prefect itself cannot
    log in that way (its event stream refuses it; `serve` ended in an internal error). Now one line
    says where the login goes, the password as ***."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    monkeypatch.setenv("PREFECT_API_URL", f"http://admin:{API_PASSWORD}@127.0.0.1:{free_port()}/api")
    assert main(["--config", str(scratch_config), *command]) == 1
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("error: PREFECT_API_URL: http://admin:***@127.0.0.1:") and "PREFECT_API_AUTH_STRING" in line
    assert API_PASSWORD not in captured.out + captured.err and API_PASSWORD.encode() not in written(tmp_path)


def test_the_approval_link_in_a_mail_never_carries_the_servers_login(scratch_config, tmp_path, monkeypatch):
    """Prefect derives the UI's address from PREFECT_API_URL (or it is set with a login): the link
    in the approver's mail carried ``admin:password@``. The reminder now links the page alone."""
    from datetime import date

    from grantflow.delivery.ledger import SentLedger
    from grantflow.register import open_register
    from grantflow.settings import load_settings

    from flows.approval import remind_pending

    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    monkeypatch.setenv("PREFECT_UI_URL", f"http://admin:{API_PASSWORD}@prefect.example.no:4200")
    run_id = "0b8c61d2-6c8e-4bb4-a0a6-5a4c1e0c1e55"
    ledger = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}")
    ledger.approval_requested("kongsbergregionen/kongsbergregionen-erp/final-2014", 1, run_id,
                              "sekretariat@example.no", "abc")
    ledger.close()
    settings, register = load_settings(str(scratch_config)), open_register(str(scratch_config))
    assert remind_pending(date(2099, 1, 5), settings, register, "outbox")
    (mail,) = (tmp_path / "out" / "outbox").glob("*.eml")
    body = message_from_bytes(mail.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert f"http://prefect.example.no:4200/runs/flow-run/{run_id}" in body, body
    assert API_PASSWORD.encode() not in written(tmp_path)


def test_the_password_written_where_its_variables_name_goes_is_an_error_that_never_shows_it(
        scratch_config, tmp_path, monkeypatch, capsys):
    """``password_env: <the password>`` (read as "the password for the environment"): every SMTP
    message said "set the environment variable S3cr3t-…", on the console and, on a server, in the
    run's state and the Prefect server's logs. Now the settings file is refused at that line."""
    secret = "S3cr3t-Passord-42"
    replace_in(scratch_config / "grantflow.yaml", "password_env: GRANTFLOW_SMTP_PASSWORD", f'password_env: "{secret}"')
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    assert main(["--config", str(scratch_config), "send", "status", "kongsbergregionen-erp", "--as-of", "2014-09-02",
                 "--transport", "smtp", "--yes"]) == 1
    sent = capsys.readouterr()
    (line,) = sent.err.strip().splitlines()
    assert "grantflow.yaml:" in line and "delivery.smtp.password_env: not the name of an environment variable" in line
    assert main(["--config", str(scratch_config), "validate"]) == 1
    validated = capsys.readouterr()
    assert "delivery.smtp.password_env: not the name" in validated.out
    shown = sent.out + sent.err + validated.out + validated.err
    assert secret not in shown and secret.encode() not in written(tmp_path)


@pytest.mark.parametrize("change, said", [
    ("security: starttls ", "security: none "),
    ("security: starttls ", "security: none\n    allow_insecure_localhost: true "),
    ("port: 587", "port: 465"),
    ("security: starttls ", "security: ssl "),
])
def test_smtp_without_tls_or_with_the_other_tls_is_a_settings_error_that_validate_names(scratch_config, tmp_path,
                                                                                        monkeypatch, capsys, change,
                                                                                        said):
    """Plain SMTP to a mail server elsewhere, or starttls on the SMTPS port (ssl on the submission
    port): `validate` said nothing, and the first send of a scheduled run failed (starttls on 465
    after a minute of timeouts, as a "temporary failure" to retry). Now validate names the file
    and line, and send stops there before anything is rendered or sent."""
    replace_in(scratch_config / "grantflow.yaml", change, said)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    monkeypatch.setenv("GRANTFLOW_SMTP_PASSWORD", "Hemmelig-123")
    assert main(["--config", str(scratch_config), "validate"]) == 1
    found = [line for line in capsys.readouterr().out.splitlines() if "delivery.smtp" in line]
    assert len(found) == 1 and found[0].startswith("ERROR") and "grantflow.yaml:15 delivery.smtp:" in found[0]
    assert main(["--config", str(scratch_config), "send", "costsplit", "kongsbergregionen-erp", "--transport", "smtp",
                 "--yes"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and "grantflow.yaml:15: delivery.smtp:" in line
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.docx"))


@pytest.mark.parametrize("host", ["grantflow:HostPass-1@smtp.example.no",
                                  "smtp://grantflow:HostPass-1@smtp.example.no:587"])
def test_a_login_written_into_the_smtp_host_is_an_error_that_never_shows_it(scratch_config, tmp_path, monkeypatch,
                                                                           capsys, host):
    """``host: smtp://user:password@smtp.example.no:587`` (a URL, as other programs take it): the
    error repeated the host as written, password and all, on the console and on a server in the
    run's state. The line now names the host alone."""
    replace_in(scratch_config / "grantflow.yaml", "host: smtp.example.no", f'host: "{host}"')
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    assert main(["--config", str(scratch_config), "validate"]) == 1
    validated = capsys.readouterr()
    (finding,) = [line for line in validated.out.splitlines() if "delivery.smtp.host" in line]
    assert "holds a login ('…@smtp.example.no'" in finding and "smtp.username" in finding, finding
    assert main(["--config", str(scratch_config), "send", "costsplit", "kongsbergregionen-erp", "--transport", "smtp",
                 "--yes"]) == 1
    sent = capsys.readouterr()
    assert "delivery.smtp.host: holds a login" in sent.err
    shown = validated.out + validated.err + sent.out + sent.err
    assert "HostPass-1" not in shown and b"HostPass-1" not in written(tmp_path)


def test_the_prefect_server_serve_starts_gets_none_of_grantflows_secrets(scratch_config, tmp_path, monkeypatch,
                                                                        capsys):
    """`grantflow serve` started `prefect server start` with its whole environment: the SMTP
    password and the ledger's URL (with its password) went to a process that needs neither, and
    whatever it logs or dumps lands in outputs/prefect-server.log."""
    import subprocess

    import grantflow.cli as cli

    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("GRANTFLOW_SMTP_PASSWORD", "SmtpPass-Ww2")
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"postgresql+psycopg://grantflow:{LEDGER_PASSWORD}@127.0.0.1:1/l")
    started = []

    class NoServer:
        def __init__(self, argv, **kwargs):
            started.append(kwargs["env"])

        def poll(self):
            return 1

        def terminate(self):
            pass

    monkeypatch.setattr(subprocess, "Popen", NoServer)
    monkeypatch.setattr(cli, "_healthy", lambda url: False)
    assert main(["--config", str(scratch_config), "serve", "--port", str(free_port())]) == 1
    assert "the Prefect server did not start" in capsys.readouterr().err
    (env,) = started
    assert "SmtpPass-Ww2" not in "".join(env.values()) and LEDGER_PASSWORD not in "".join(env.values())
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false" and env["PATH"] == __import__("os").environ["PATH"]


@pytest.mark.parametrize("bundle, said", [("missing.pem", "cannot read"), ("garbage.pem", "holds no certificate"),
                                          (".", "cannot read")])
def test_a_ca_file_that_is_no_certificate_is_a_settings_error_not_an_internal_error(scratch_config, tmp_path,
                                                                                   monkeypatch, capsys, bundle, said):
    """smtp.ca_file naming a missing file, a folder or a file without a certificate passed validate
    and ended the first send in 'internal error (FileNotFoundError …); this is a bug in grantflow'
    (exit 2)."""
    (tmp_path / "garbage.pem").write_text("not a certificate\n", encoding="utf-8")
    path = tmp_path / bundle
    replace_in(scratch_config / "grantflow.yaml", "port: 587", f"port: 587\n    ca_file: {path}")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    monkeypatch.setenv("GRANTFLOW_SMTP_PASSWORD", "Hemmelig-123")
    assert main(["--config", str(scratch_config), "validate"]) == 1
    (finding,) = [line for line in capsys.readouterr().out.splitlines() if "delivery.smtp.ca_file" in line]
    assert finding.startswith("ERROR") and "delivery.smtp.ca_file: " in finding and said in finding, finding
    assert main(["--config", str(scratch_config), "send", "costsplit", "kongsbergregionen-erp", "--transport", "smtp",
                 "--yes"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and "delivery.smtp.ca_file: " in line and "internal error" not in line


def test_a_ca_file_removed_after_the_settings_were_read_is_one_line_at_the_send(tmp_path):
    from grantflow.delivery.transports import SmtpTransport
    from grantflow.errors import UserError
    from grantflow.settings import SmtpSettings

    from ..smtp_server import self_signed

    cert, _ = self_signed(tmp_path)
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), ca_file=str(cert))
    cert.unlink()
    with pytest.raises(UserError, match="cannot read") as info:
        SmtpTransport(settings, None, "grantflow@example.no").send(None)
    assert info.value.field == "delivery.smtp.ca_file"
