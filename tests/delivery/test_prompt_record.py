"""What is answered at `grantflow send`'s prompt is recorded, also when nothing is sent."""

from __future__ import annotations

import getpass
import os
import pty
import select
import subprocess
import sys

from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import SmtpServer, free_port

SEND = ["send", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29", "--transport", "smtp"]
# the steering group and, in copy, the project leader (config/projects/kongsbergregionen-erp.yaml)
RECIPIENTS = ["radmann@kongsberg.example.no", "radmann@notodden.example.no", "radmann@tinn.example.no",
              "radmann@hjartdal.example.no", "erp@kongsbergregionen.example.no"]


def prompt_config(config, port: int) -> None:
    """The real SMTP server on 127.0.0.1, and status reports approved at the prompt."""
    replace_in(config / "grantflow.yaml", "    host: smtp.example.no\n    port: 587\n    security: starttls",
               f"    host: 127.0.0.1\n    port: {port}\n    security: none\n    allow_insecure_localhost: true")
    replace_in(config / "grantflow.yaml", "    username: grantflow@regionrad.example.no\n", "")
    replace_in(config / "grantflow.yaml", "status: false", "status: true")


def send_on_a_terminal(config, answer: str, meanwhile=None, extra: tuple[str, ...] = ()) -> tuple[int, str]:
    """`grantflow send` (with ``extra`` options) as a person runs it: a terminal (pty) on stdin and
    stdout; waits for the prompt, does ``meanwhile`` and types ``answer``. (exit code, what the
    terminal showed)."""
    main_fd, side_fd = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "grantflow.cli", "--config", str(config), *SEND, *extra],
                            stdin=side_fd, stdout=side_fd, stderr=side_fd, env=os.environ.copy())
    os.close(side_fd)
    shown = b""
    try:
        while b"Send? [j/N]" not in shown:
            ready, _, _ = select.select([main_fd], [], [], 300)
            assert ready, shown.decode(errors="replace")          # no prompt within 5 minutes: stuck
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                chunk = b""
            assert chunk, shown.decode(errors="replace")          # ended without asking
            shown += chunk
        if meanwhile:
            meanwhile()
        os.write(main_fd, answer.encode() + b"\n")
        code = proc.wait(timeout=300)
        while True:
            ready, _, _ = select.select([main_fd], [], [], 1)
            if not ready:
                break
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main_fd)
    return code, shown.decode(errors="replace").replace("\r\n", "\n")


def approvals_listed(config, capsys, monkeypatch) -> str:
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["--config", str(config), "sent", "kongsbergregionen-erp"]) == 0
    return capsys.readouterr().out


def test_no_at_the_prompt_is_recorded_and_shown(scratch_config, tmp_path, monkeypatch, capsys):
    """Answered 'n' at 'Send? [j/N]', `grantflow send` printed "not sent" and the ledger held
    nothing: `grantflow sent` said "the ledger is empty", as if nobody had seen the preview (found
    by the lead). The answer is kept in the approval history (who: the login; when; version 1; the
    addresses the preview showed) as "avslått", and `grantflow sent` lists it for that version,
    which has no approval row; nothing reaches the server."""
    port = free_port()
    prompt_config(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    with SmtpServer(port=port) as server:
        code, shown = send_on_a_terminal(scratch_config, "n")
        assert code == 1 and "not sent" in shown and "versjon 1" in shown, shown
        assert server.recorder.messages() == []
    out = approvals_listed(scratch_config, capsys, monkeypatch)
    (line,) = [x for x in out.splitlines() if "avslått" in x]
    assert "status-2014-08-29" in line and getpass.getuser() in line and "grantflow send (interactive)" in line
    assert "│ 1 " in line or " 1 │" in line, line                      # version 1
    for address in RECIPIENTS:
        assert address in out, out
    from grantflow.delivery.ledger import SentLedger

    ledger = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}")
    (event,) = ledger.approval_history("kongsbergregionen-erp")
    assert (event["version"], event["event"], event["by"]) == (1, "declined", getpass.getuser())
    assert sorted(event["recipients"].split(",")) == sorted(RECIPIENTS)
    assert ledger.approvals() == [] and ledger.rows() == []


def test_yes_to_a_file_rendered_again_meanwhile_is_recorded_and_shown(scratch_config, tmp_path, monkeypatch,
                                                                     capsys):
    """Answered 'j' after the report had been rendered again with new figures while the prompt
    waited, `grantflow send` sent nothing and said so in one line, but left no
    trace: `grantflow sent` said "the ledger is empty". The answer is kept as "refused: document
    changed" with who, when, version 1, the content the preview showed and its addresses."""
    port = free_port()
    prompt_config(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    milestones = scratch_config / "data/kongsbergregionen-erp/milepaeler.csv"

    def render_new_figures():
        replace_in(milestones, "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;25.08.2014;Lønn i drift")
        assert main(["--config", str(scratch_config), "render", *SEND[1:5]]) == 0

    with SmtpServer(port=port) as server:
        code, shown = send_on_a_terminal(scratch_config, "j", render_new_figures)
        assert code == 1 and "was rendered again with other content" in shown and "nothing sent" in shown, shown
        assert server.recorder.messages() == []
    out = approvals_listed(scratch_config, capsys, monkeypatch)
    (line,) = [x for x in out.splitlines() if "stoppet: endret fil" in x]
    assert "status-2014-08-29" in line and getpass.getuser() in line, line
    for address in RECIPIENTS:
        assert address in out, out
    from grantflow.delivery.ledger import SentLedger

    ledger = SentLedger(f"sqlite:///{tmp_path / 'sent.db'}")
    (event,) = ledger.approval_history("kongsbergregionen-erp")
    assert (event["version"], event["event"], event["by"]) == (1, "refused", getpass.getuser())
    assert "rendered again" in event["comment"]
    assert ledger.approvals() == [] and ledger.rows() == []
