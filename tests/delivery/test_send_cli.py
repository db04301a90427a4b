import os

from grantflow.cli import main

from ..conftest import CONFIG, ROOT


def test_send_to_outbox_then_nothing_then_ledger(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    args = ["--config", str(CONFIG), "send", "status", "smart-velferdsregion-nord-gudbrandsdal",
            "--as-of", "2020-04-16"]
    assert main(args) == 0
    assert "v1 via outbox: 7 sent" in capsys.readouterr().out
    assert len(list((tmp_path / "outputs" / "outbox").glob("*.eml"))) == 7
    assert main(args) == 0
    assert "nothing to send: all 7 recipient(s) already have" in capsys.readouterr().out
    assert main(["--config", str(CONFIG), "sent", "smart-velferdsregion-nord-gudbrandsdal"]) == 0
    out = capsys.readouterr().out
    assert out.count("radmann@") == 6 and "prosjektleder@nord-gudbrandsdal.example.no" in out


def test_external_send_needs_approval(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert main(["--config", str(CONFIG), "send", "application", "kongsbergregionen-erp",
                 "--transport", "smtp"]) == 1
    captured = capsys.readouterr()
    assert "Mottakere: Fylkesmannen i Buskerud <fmbupost@fylkesmannen.example.no> (to)" in captured.out
    assert "needs approval" in captured.err and "--yes" in captured.err


def test_errors_in_the_data_block_external_sending_without_a_reason(scratch_config, tmp_path, monkeypatch,
                                                                     capsys):
    """A risk factor that disagrees with S x K is an error finding."""
    from grantflow.delivery.ledger import SentLedger

    from ..conftest import replace_in

    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml",
               "probability: 2, consequence: 5, rf: 10", "probability: 2, consequence: 5, rf: 11")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    args = ["--config", str(scratch_config), "send", "status", "smart-velferdsregion-nord-gudbrandsdal",
            "--as-of", "2020-04-16", "--transport", "smtp", "--yes"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "rf: RF 11" in err and "--override-reason" in err
    assert SentLedger(f"sqlite:///{tmp_path / 'sent.db'}").rows() == []


def test_the_same_send_from_two_folders_reaches_each_recipient_once(scratch_config, tmp_path):
    """The outputs folder (and with it the outbox and the sent ledger) was taken from wherever the
    command ran: the same send from two folders made two ledgers and mailed everyone twice. A
    relative `outputs:` is now the installation's (beside the config folder)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("GRANTFLOW_OUTPUTS", "GRANTFLOW_LEDGER_URL")}
    env["PYTHONPATH"] = str(ROOT)
    runs = []
    for name in ("one", "two"):
        cwd = tmp_path / name
        cwd.mkdir()
        runs.append(subprocess.run([sys.executable, "-m", "grantflow.cli", "--config", str(scratch_config), "send",
                                    "status", "haugaland-velferdsteknologi", "--as-of", "2016-10-07"],
                                   capture_output=True, text=True, cwd=cwd, env=env))
    assert runs[0].returncode == 0, runs[0].stderr
    assert "7 sent" in runs[0].stdout and "nothing to send: all 7 recipient(s) already have" in runs[1].stdout
    outbox = scratch_config.parent / "outputs" / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 7
    assert not list((tmp_path / "one").rglob("*.eml")) and not list((tmp_path / "two").rglob("*.eml"))


def test_the_demo_then_smtp_reaches_everyone(scratch_config, tmp_path, monkeypatch, capsys):
    """`grantflow demo` (or any send with the default transport) writes the mails to the local
    outbox. Sending the same report over SMTP afterwards must deliver it, not answer "nothing to
    send: all 7 recipient(s) already have" while nobody got a mail."""
    from ..conftest import replace_in
    from ..smtp_server import SmtpServer, free_port

    port = free_port()
    replace_in(scratch_config / "grantflow.yaml", "    host: smtp.example.no\n    port: 587\n    security: starttls",
               f"    host: 127.0.0.1\n    port: {port}\n    security: none\n    allow_insecure_localhost: true")
    replace_in(scratch_config / "grantflow.yaml", "    username: grantflow@regionrad.example.no\n", "")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_SMTP_PASSWORD", "not-used-without-auth")
    args = ["--config", str(scratch_config), "send", "status", "smart-velferdsregion-nord-gudbrandsdal",
            "--as-of", "2020-04-16"]
    assert main(args) == 0
    assert "v1 via outbox: 7 sent" in capsys.readouterr().out
    smtp = ["--transport", "smtp", "--override-reason", "RF i kilden", "--yes"]   # the seed's own RF error
    with SmtpServer(port=port) as server:
        assert main(args + smtp) == 0
        assert "v1 via smtp: 7 sent" in capsys.readouterr().out
        assert len(server.recorder.recipients()) == 7
        assert main(args + smtp) == 0
        assert "nothing to send: all 7 recipient(s) already have" in capsys.readouterr().out
        assert main(args) == 0          # delivered: no second copy in the outbox either
        assert "nothing to send" in capsys.readouterr().out
        assert len(server.recorder.arrived) == 7
    assert len(list((tmp_path / "outputs" / "outbox").glob("*.eml"))) == 7
    assert main(["--config", str(scratch_config), "sent", "smart-velferdsregion-nord-gudbrandsdal"]) == 0
    out = capsys.readouterr().out
    assert out.count(" smtp ") == 7 and " outbox " not in out
