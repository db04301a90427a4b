"""Text from people and mail servers in the CLI's tables is shown as written: rich reads '[…]' in
a plain string as markup."""

from __future__ import annotations

from grantflow.cli import main
from grantflow.delivery.ledger import SentLedger


def test_grantflow_sent_shows_an_approvers_brackets_as_written(tmp_path, monkeypatch, capsys):
    """An approver's name 'Kari [/bold]' (typed in the Prefect form) stopped `grantflow sent` with
    'internal error (MarkupError …)', exit 2; '[link=…]' in a comment became a link in the
    secretariat's terminal and '[red]' colour; a mail server's '[AM1PEPF…]' vanished."""
    url = f"sqlite:///{tmp_path / 'sent.db'}"
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", url)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    monkeypatch.setenv("COLUMNS", "400")
    document = "kongsbergregionen/kongsbergregionen-erp/final-2014"
    ledger = SentLedger(url)
    ledger.approval_requested(document, 1, "run-1", "sekretariat@example.no", "abc")
    ledger.approval_decided(document, 1, False, "Kari [/bold]", "Se [link=http://evil.example/]her[/link] [red]R[/red]",
                            "", "abc")
    ledger.close()
    assert main(["sent"]) == 0
    out = capsys.readouterr().out
    assert "Kari [/bold]" in out and "[link=http://evil.example/]her[/link] [red]R[/red]" in out, out
    assert "\x1b]8;" not in out
