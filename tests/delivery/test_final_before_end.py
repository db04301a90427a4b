"""A final report made before its project has ended (outside tester, session 18): `run final
kb-test` on 28.11.2026 for a project ending 31.12.2026 made, had approved and sent a
«Sluttrapport» saying milestone 04 was "ikke levert", with no warning. Now rendering says it
as an error finding, and sending it needs the override reason (and approval) data errors need."""

from __future__ import annotations

from datetime import date, timedelta

from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import SmtpServer, free_port, use_smtp

ERP = "kongsbergregionen-erp"


def test_a_final_report_before_the_project_ends_is_said_and_needs_a_reason_to_go_out(scratch_config, tmp_path,
                                                                                     monkeypatch, capsys):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    end = date.today() + timedelta(days=200)          # the project is under way today
    replace_in(scratch_config / "projects" / f"{ERP}.yaml", "end: 2014-12-31", f"end: {end.isoformat()}")
    config = ["--config", str(scratch_config)]

    assert main([*config, "render", "final", ERP]) == 0
    out, err = capsys.readouterr()
    (note,) = [line for line in err.splitlines() if "has not ended" in line]
    assert "ERROR" in note and "period.end" in note and f"{end:%d.%m.%Y}" in note, note
    assert f"{date.today():%d.%m.%Y}" in note and "--override-reason" in note, note

    port = free_port()
    use_smtp(scratch_config, port)
    with SmtpServer(port=port) as server:
        assert main([*config, "send", "final", ERP, "--yes", "--transport", "smtp"]) == 1
        out, err = capsys.readouterr()
        assert "has not ended" in err and "--override-reason" in err and "Traceback" not in err, err
        assert server.recorder.messages() == []
        assert main([*config, "send", "final", ERP, "--yes", "--transport", "smtp",
                     "--override-reason", "Prosjektet ble avsluttet tidlig (styrevedtak 20.11.2026)"]) == 0
        assert server.recorder.messages()


def test_a_final_report_after_the_project_ended_has_no_such_finding(scratch_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(scratch_config), "render", "final", ERP]) == 0      # ended 31.12.2014
    assert "has not ended" not in capsys.readouterr().err
