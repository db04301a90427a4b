"""A document run on a server with the mail server down: its state message (what `grantflow run`
prints after "error:") names the recipients grouped by reason, as `grantflow send` does."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from ..smtp_server import free_port, use_smtp

ERP = "kongsbergregionen-erp"      # its status report goes to 5 recipients


def test_a_run_that_reached_nobody_says_each_reason_once(isolated, scratch_config, monkeypatch):
    """Outside tester: `grantflow run status P --as-of …` on a server with SMTP down printed one
    ~900-character line, "not tried: the server refused the connection (…) when sending to …; a
    new send reaches this recipient" repeated for each of 4 recipients. Now: the first recipient
    with its reason, then "b, c, d and 1 more: not tried: …" once."""
    import flows.documents as documents
    from flows.documents import status_report
    from flows.options import DeliveryOptions

    use_smtp(scratch_config, free_port(), retry={"attempts": 1, "backoff_seconds": [0]})   # nobody listens
    monkeypatch.setattr(documents, "deployment", SimpleNamespace(id="a-deployment"))      # as on a server
    state = status_report(project=ERP, as_of=date(2014, 8, 29),
                          options=DeliveryOptions(config=str(scratch_config)), return_state=True)
    message = state.message or ""
    assert state.is_failed(), (state.type, message)
    assert message.startswith("not delivered to 5 of 5 recipient(s): "), message
    assert message.count("not tried") == 1 and message.count("a new send reaches") == 1, message
    assert " and 1 more: not tried" in message, message
    # every recipient is still named or counted: the first by itself, three more named, one counted
    assert message.count("@") - message.count("when sending to") == 4, message


def test_grantflow_run_here_names_whom_it_did_not_reach(isolated, scratch_config, capsys):
    """Run without a server, `grantflow run` said "failed 5" and exited 1 without a word on whom
    or why; now the lines `grantflow send` prints, each reason once."""
    from grantflow.cli import main

    use_smtp(scratch_config, free_port(), retry={"attempts": 1, "backoff_seconds": [0]})
    assert main(["--config", str(scratch_config), "run", "status", ERP, "--as-of", "2014-08-29"]) == 1
    out, err = capsys.readouterr()
    assert "failed 5" in out, out
    assert "not delivered to radmann@kongsberg.example.no: temporary failure" in err, err
    assert err.count("not tried") == 1 and " and 1 more: not tried" in err and "Traceback" not in err, err
