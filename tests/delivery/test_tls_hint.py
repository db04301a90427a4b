"""`security: ssl` against a port that speaks plain SMTP (outside tester, session 18): the error
said "TLS failed with 127.0.0.1:8026: WRONG_VERSION_NUMBER" and nothing of what to change."""

from __future__ import annotations

import yaml

from grantflow.cli import main

from ..smtp_server import SmtpServer, free_port


def test_ssl_against_a_plain_port_says_what_to_change(scratch_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    port = free_port()
    path = scratch_config / "grantflow.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["delivery"].update(transport="smtp", smtp={"host": "127.0.0.1", "port": port, "security": "ssl"},
                                retry={"attempts": 1, "backoff_seconds": [0]})
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    with SmtpServer(port=port) as server:        # plain SMTP: no TLS from the first byte
        rc = main(["--config", str(scratch_config), "send", "status", "kongsbergregionen-erp",
                   "--as-of", "2014-08-29", "--transport", "smtp"])
        assert server.recorder.messages() == []
    out, err = capsys.readouterr()
    assert rc == 1 and "Traceback" not in err, (out, err)
    (line,) = [x for x in err.splitlines() if x.startswith("error:")]
    assert f"127.0.0.1:{port}" in line and "WRONG_VERSION_NUMBER" in line, line
    assert "does not speak TLS" in line and "security: starttls" in line and "security: none" in line, line
