"""`grantflow run … --yes` records who approved, as `grantflow send --yes` does: it recorded
"grantflow run --yes" as the approver, nobody (found by an auditor)."""

from __future__ import annotations

import getpass
import json

from grantflow.cli import main

from ..delivery.test_prompt_record import RECIPIENTS, prompt_config
from ..smtp_server import SmtpServer, free_port

RUN = ["run", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29", "--transport", "smtp", "--yes"]
RECORD = "kongsbergregionen/kongsbergregionen-erp/status-2014-08-29.json"


def _approved(config, isolated, capsys, monkeypatch) -> tuple[str, dict]:
    """The 'godkjent' line of `grantflow sent --detail`, and the approval in the record .json."""
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["--config", str(config), "sent", "kongsbergregionen-erp", "--detail"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if "│ godkjent " in x]
    record = json.loads((isolated / "outputs" / RECORD).read_text(encoding="utf-8"))
    (approval,) = record["versions"][-1]["approvals"]
    return line, approval


def test_run_yes_records_the_name_and_comment_given(isolated, scratch_config, capsys, monkeypatch):
    port = free_port()
    prompt_config(scratch_config, port)
    with SmtpServer(port=port) as server:
        assert main(["--config", str(scratch_config), *RUN, "--approved-by", "Kari Nordmann",
                     "--comment", "Sjekket mot regnskapet"]) == 0
        assert len(server.recorder.messages()) == 5
    line, approval = _approved(scratch_config, isolated, capsys, monkeypatch)
    assert "│ Kari Nordmann " in line and "grantflow run --yes: Sjekket mot regnskapet" in line, line
    assert (approval["decision"], approval["by"], approval["comment"]) == (
        "godkjent", "Kari Nordmann", "grantflow run --yes: Sjekket mot regnskapet"), approval
    assert sorted(approval["recipients"]) == sorted(RECIPIENTS), approval


def test_run_yes_without_a_name_records_the_login_and_says_so(isolated, scratch_config, capsys, monkeypatch):
    port = free_port()
    prompt_config(scratch_config, port)
    with SmtpServer(port=port):
        assert main(["--config", str(scratch_config), *RUN]) == 0
    line, approval = _approved(scratch_config, isolated, capsys, monkeypatch)
    assert f"│ {getpass.getuser()} " in line and "grantflow run --yes (navn fra innloggingen)" in line, line
    assert (approval["by"], approval["comment"]) == (getpass.getuser(), "grantflow run --yes (navn fra innloggingen)")


def test_run_refuses_a_hostile_name_in_one_line(isolated, scratch_config, capsys):
    port = free_port()
    prompt_config(scratch_config, port)
    with SmtpServer(port=port) as server:
        for value, found in (("Kari\r\nBcc: innsyn@evil.example", "CR"),
                             ("=?utf-8?q?Kari=0D=0ABcc:_innsyn@evil.example?=", "CR (inside an RFC 2047 encoded word)")):
            capsys.readouterr()
            assert main(["--config", str(scratch_config), *RUN, "--approved-by", value]) == 1
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and err.startswith("error: --approved-by: ") and found in err, err
            assert "Bcc" not in err and "Traceback" not in err, err
        assert server.recorder.messages() == []


def test_run_without_yes_refuses_a_name(isolated, scratch_config, capsys):
    """Without --yes the approver answers in the Prefect form, with their own name: a name given
    here would be dropped without a word."""
    assert main(["--config", str(scratch_config), *RUN[:-1], "--approved-by", "Kari Nordmann"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --approved-by: ") and "--yes" in err, err
