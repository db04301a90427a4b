"""A ledger row beyond the project's whole cost budget (outside tester, session 21: a status
report's forecast of 3 016 667 263 901 kr went out as any other) is an error the document is
made with: sending it to the steering group needs an override reason, as every data error does."""

from __future__ import annotations

from grantflow.cli import main

from ..smtp_server import SmtpServer, free_port, use_smtp

HAUG = "haugaland-velferdsteknologi"


def test_a_status_report_with_a_row_beyond_the_budget_goes_out_only_with_a_reason(clean, tmp_path, monkeypatch,
                                                                                   capsys):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    ledger = clean / "data" / HAUG / "regnskap.csv"
    row = len(ledger.read_text(encoding="utf-8").splitlines()) + 1
    with ledger.open("a", encoding="utf-8") as out:
        out.write("15.02.2016;2016;Prosjektkostnader;Stor faktura;999 999 999 999,99;hv-fond;\n")
    config = ["--config", str(clean)]
    when = ["--as-of", "2016-03-01"]

    assert main([*config, "render", "status", HAUG, *when]) == 0
    err = capsys.readouterr().err
    assert [l for l in err.splitlines() if "ERROR" in l and f"regnskap.csv:{row} Beløp" in l], err

    port = free_port()
    use_smtp(clean, port)
    with SmtpServer(port=port) as server:
        assert main([*config, "send", "status", HAUG, *when, "--yes", "--transport", "smtp"]) == 1
        err = capsys.readouterr().err
        assert f"regnskap.csv:{row} Beløp" in err and "--override-reason" in err and "Traceback" not in err, err
        assert server.recorder.messages() == []
        assert main([*config, "send", "status", HAUG, *when, "--yes", "--transport", "smtp",
                     "--override-reason", "Beløpet er kontrollert mot fakturaen"]) == 0
        assert server.recorder.messages()
