"""`grantflow sent` on a narrow terminal lists documents as documents; the notices grantflow mails
to people who must act (deadline notices, reminders, approval requests) are named in words, not
listed as a document's "v1 sent" (an outside tester saw "deadline/status:…/10/-" among them)."""

from grantflow.cli import main
from grantflow.delivery.ledger import SentLedger
from grantflow.delivery.service import make_transport, notify
from grantflow.register import open_register
from grantflow.settings import load_settings

PROJECT = "kongsbergregionen-erp"


def test_a_deadline_notice_is_named_in_words_in_the_narrow_view(scratch_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    base = ["--config", str(scratch_config)]
    assert main([*base, "send", "status", PROJECT, "--as-of", "2014-08-29"]) == 0
    settings, register = load_settings(scratch_config), open_register(scratch_config)
    project = register.project(PROJECT)
    council = register.council_of(project)
    ledger = SentLedger(settings.ledger_url())
    try:
        notify(f"deadline/status:{PROJECT}/2014-10-24/10", "-", "Frist om 10 virkedager", ["Statusrapport."],
               project.leader.name, project.leader.email, project, council, settings, ledger,
               make_transport(settings, "outbox"), settings.delivery.retry)
    finally:
        ledger.close()
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "60")
    assert main([*base, "sent", PROJECT]) == 0
    out = capsys.readouterr().out
    lines = [line.strip() for line in out.splitlines()]
    assert "deadline/" not in out and "/-" not in out, out
    assert "Varsler og påminnelser (ikke dokumenter)" in lines, out
    # written to the outbox only: it reached nobody (it read "sendt til")
    assert f"Fristvarsel (status:{PROJECT}/2014-10-24/10) lokal kopi (ikke sendt) til" in out.replace("\n      ", " "), out
    assert any(line.startswith("status-2014-08-29") for line in lines), out     # the document still listed
