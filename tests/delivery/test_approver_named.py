"""Who approved a document, when and why is recorded the same way on every path: `send --yes`,
the `Send? [j/N]` prompt, `run --yes` (tests/flows/test_run_approver.py) and the Prefect form
(found by an auditor: the CLI recorded only the login, `run --yes` nobody, and took no comment)."""

from __future__ import annotations

import getpass
import json

from grantflow.cli import main

from .test_prompt_record import RECIPIENTS, SEND, prompt_config, send_on_a_terminal
from ..smtp_server import SmtpServer, free_port

RECORD = "kongsbergregionen/kongsbergregionen-erp/status-2014-08-29.json"


def _setup(config, tmp_path, monkeypatch) -> int:
    port = free_port()
    prompt_config(config, port)          # status reports need approval; SMTP on 127.0.0.1
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    return port


def _approved_line(config, capsys, monkeypatch) -> str:
    """The one 'godkjent' line of `grantflow sent kongsbergregionen-erp --detail` (a wide terminal)."""
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["--config", str(config), "sent", "kongsbergregionen-erp", "--detail"]) == 0
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if "│ godkjent " in x]
    return line


def _recorded(tmp_path) -> list[dict]:
    """What the document's record .json says of the approvals of version 1."""
    record = json.loads((tmp_path / "outputs" / RECORD).read_text(encoding="utf-8"))
    (entry,) = [v for v in record["versions"] if v["version"] == 1]
    return entry.get("approvals")


def test_send_yes_records_the_name_and_comment_given(scratch_config, tmp_path, monkeypatch, capsys):
    port = _setup(scratch_config, tmp_path, monkeypatch)
    with SmtpServer(port=port) as server:
        assert main(["--config", str(scratch_config), *SEND, "--yes", "--approved-by", "Kari Nordmann",
                     "--comment", "Sjekket mot regnskapet 28.08"]) == 0
        assert len(server.recorder.messages()) == 5
    line = _approved_line(scratch_config, capsys, monkeypatch)
    assert "│ Kari Nordmann " in line and "grantflow send --yes: Sjekket mot regnskapet 28.08" in line, line
    assert getpass.getuser() not in line.replace("Kari Nordmann", ""), line
    (approval,) = _recorded(tmp_path)
    assert (approval["decision"], approval["by"], approval["comment"]) == (
        "godkjent", "Kari Nordmann", "grantflow send --yes: Sjekket mot regnskapet 28.08"), approval
    assert sorted(approval["recipients"]) == sorted(RECIPIENTS) and approval["at"].endswith("+00:00"), approval


def test_send_yes_without_a_name_records_the_login_and_says_so(scratch_config, tmp_path, monkeypatch, capsys):
    port = _setup(scratch_config, tmp_path, monkeypatch)
    with SmtpServer(port=port):
        assert main(["--config", str(scratch_config), *SEND, "--yes"]) == 0
    line = _approved_line(scratch_config, capsys, monkeypatch)
    assert f"│ {getpass.getuser()} " in line and "grantflow send --yes (navn fra innloggingen)" in line, line
    (approval,) = _recorded(tmp_path)
    assert (approval["by"], approval["comment"]) == (getpass.getuser(),
                                                     "grantflow send --yes (navn fra innloggingen)"), approval


def test_yes_at_the_prompt_records_the_name_and_comment_given(scratch_config, tmp_path, monkeypatch, capsys):
    port = _setup(scratch_config, tmp_path, monkeypatch)
    with SmtpServer(port=port) as server:
        code, shown = send_on_a_terminal(scratch_config, "j", extra=("--approved-by", "Ola Åsen", "--comment",
                                                                     "Styreleder har lest den"))
        assert code == 0 and len(server.recorder.messages()) == 5, shown
    line = _approved_line(scratch_config, capsys, monkeypatch)
    assert "│ Ola Åsen " in line and "grantflow send (interactive): Styreleder har lest den" in line, line
    (approval,) = _recorded(tmp_path)
    assert (approval["by"], approval["comment"]) == ("Ola Åsen",
                                                     "grantflow send (interactive): Styreleder har lest den")


def test_yes_at_the_prompt_without_a_name_records_the_login_and_says_so(scratch_config, tmp_path, monkeypatch,
                                                                         capsys):
    port = _setup(scratch_config, tmp_path, monkeypatch)
    with SmtpServer(port=port):
        code, shown = send_on_a_terminal(scratch_config, "j")
        assert code == 0, shown
    line = _approved_line(scratch_config, capsys, monkeypatch)
    assert f"│ {getpass.getuser()} " in line and "grantflow send (interactive) (navn fra innloggingen)" in line, line
    (approval,) = _recorded(tmp_path)
    assert approval["by"] == getpass.getuser(), approval


def test_a_form_decision_is_recorded_in_the_document_the_same_way(scratch_config, tmp_path, monkeypatch, capsys):
    """An approver's answer in the Prefect form (name, comment: ``flows.approval._record`` writes
    them so), then sent by the batch: the record .json holds it as it holds a CLI approval."""
    from grantflow.delivery.ledger import SentLedger
    from grantflow.delivery.service import document_from, send_produced
    from grantflow.documents.service import produce
    from grantflow.register import open_register
    from grantflow.settings import load_settings
    from datetime import date

    port = _setup(scratch_config, tmp_path, monkeypatch)
    settings = load_settings(str(scratch_config))
    register = open_register(str(scratch_config))
    produced = produce(register, "status", project_id="kongsbergregionen-erp", as_of=date(2014, 8, 29),
                       out=settings.outputs_dir())
    key = document_from(produced, register).key
    ledger = SentLedger(settings.ledger_url())
    ledger.approval_requested(key, 1, "run-1", "post@kongsbergregionen.example.no", produced.content_hash,
                              recipients=RECIPIENTS)
    assert ledger.approval_decided(key, 1, True, "Per Hansen", "Ser bra ut", "", produced.content_hash)
    ledger.close()
    with SmtpServer(port=port) as server:
        report = send_produced(produced, register, settings, "smtp", unattended=True)
        assert len(report.sent) == 5 == len(server.recorder.messages()), report
    line = _approved_line(scratch_config, capsys, monkeypatch)
    assert "│ Per Hansen " in line and "Ser bra ut" in line, line
    (approval,) = _recorded(tmp_path)
    assert (approval["decision"], approval["by"], approval["comment"]) == ("godkjent", "Per Hansen", "Ser bra ut")
    assert sorted(approval["recipients"]) == sorted(RECIPIENTS), approval


HOSTILE = [
    ("--approved-by", "Kari\r\nBcc: innsyn@evil.example", "CR"),
    ("--approved-by", "=?utf-8?q?Kari=0D=0ABcc:_innsyn@evil.example?=", "CR (inside an RFC 2047 encoded word)"),
    ("--comment", "Sjekket\nBcc: innsyn@evil.example", "LF"),
    ("--comment", "=?utf-8?b?U2pla2tldA0KQmNjOiB4QGV2aWwuZXhhbXBsZQ==?=", "CR (inside an RFC 2047 encoded word)"),
    ("--approved-by", "Kari\x1b[2J", "control character U+001B"),
    ("--override-reason", "Tallene er sjekket\r\nBcc: innsyn@evil.example", "CR"),
]


def test_a_hostile_name_or_comment_is_one_line_and_exit_1(scratch_config, tmp_path, monkeypatch, capsys):
    port = _setup(scratch_config, tmp_path, monkeypatch)
    with SmtpServer(port=port) as server:
        for option, value, found in HOSTILE:
            capsys.readouterr()
            assert main(["--config", str(scratch_config), *SEND, "--yes", option, value]) == 1, (option, value)
            out, err = capsys.readouterr()
            assert err.count("\n") == 1 and err.startswith(f"error: {option}: "), (value, err)
            assert found in err and "Traceback" not in err and "Bcc" not in err, err
        assert server.recorder.messages() == []
    assert main(["--config", str(scratch_config), "sent"]) == 0
    assert "the ledger is empty" in capsys.readouterr().out


def test_without_a_login_name_send_yes_asks_for_the_name_in_one_line(scratch_config, tmp_path, monkeypatch, capsys):
    """A service account whose login getpass cannot find (no $USER, a uid without a passwd entry):
    the approver would be nobody. `send --yes` asks for --approved-by in one line and sends
    nothing; with it, it sends; a send that needs no approval (the outbox) is not held up."""
    import getpass as getpass_module

    def no_login():
        raise OSError("No username set in the environment")

    port = _setup(scratch_config, tmp_path, monkeypatch)
    monkeypatch.setattr(getpass_module, "getuser", no_login)
    with SmtpServer(port=port) as server:
        assert main(["--config", str(scratch_config), *SEND, "--yes"]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: --approved-by: ") and "Traceback" not in err, err
        assert server.recorder.messages() == []
        assert main(["--config", str(scratch_config), *SEND, "--yes", "--approved-by", "Kari Nordmann"]) == 0
        assert len(server.recorder.messages()) == 5
    assert main(["--config", str(scratch_config), "send", "status", "kongsbergregionen-erp", "--as-of",
                 "2014-09-30", "--transport", "outbox"]) == 0
