"""Two approval flows for the same document: the one that finds it sent by the other says so."""

from __future__ import annotations

from ..smtp_server import SmtpServer, free_port, use_smtp

KEY = "kongsbergregionen/kongsbergregionen-erp/final-2014"


def run_logs(run_id) -> list[str]:
    """The run's log lines as the Prefect UI shows them (sent to the API)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        return [log.message for log in client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))]


def test_the_run_that_finds_its_document_sent_by_another_approval_run_says_so(isolated, scratch_config,
                                                                              monkeypatch):
    """Two final_report runs for the ERP project each asked the approver. While the first waited,
    the second was approved (by Ola Hansen) and sent; then the first was approved too (Kari
    Nordmann). It sent nothing (each recipient once: the claims), but ended Completed with no
    message and a note 'Godkjent av Kari Nordmann …' in its result, as if it had sent the report:
    nothing in the UI or the log said that another run had sent it, nor that nobody got it twice
    (found by the lead). Its state message and a warning in its log now say which document, that
    another run approved and sent it, and that nobody got it twice."""
    import flows.approval as approval
    import flows.documents as documents
    from flows.documents import final_report
    from flows.options import DeliveryOptions
    from tests.delivery.test_send_cli import governor_named

    governor_named(scratch_config)            # the final report goes to the county governor: approved first
    port = free_port()
    use_smtp(scratch_config, port)
    monkeypatch.setattr(documents, "can_suspend", lambda: True)
    monkeypatch.setattr(approval, "can_suspend", lambda: True)
    options = DeliveryOptions(config=str(scratch_config))
    winner = []

    def suspend(wait_for_input, key, timeout):
        # the form's answer, as a resumed run gets it; while the first run waits, the second runs whole
        if not winner:
            winner.append(None)
            winner[0] = final_report(project="kongsbergregionen-erp", options=options, return_state=True)
            return approval.ApprovalForm(approver="Kari Nordmann", decision="godkjenn", comment="ok")
        return approval.ApprovalForm(approver="Ola Hansen", decision="godkjenn", comment="")

    monkeypatch.setattr(approval, "suspend_flow_run", suspend)
    with SmtpServer(port=port) as server:
        state = final_report(project="kongsbergregionen-erp", options=options, return_state=True)
        reports = [m for m in server.recorder.messages() if not str(m["Subject"]).startswith("Til godkjenning")]
    # the county governor and the steering group's leader (the copy), once each
    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in reports) == [
        "fmbupost@fylkesmannen.example.no", "radmann@kongsberg.example.no"]
    assert winner[0].is_completed() and winner[0].result()["sent"]
    assert state.is_completed() and state.result()["sent"] == []
    message = state.message or ""
    assert KEY in message and "versjon 1" in message, message
    assert "godkjent av Ola Hansen og sendt av en annen kjøring" in message, message
    assert "ingen fikk den to ganger" in message, message
    assert any(KEY in line and "en annen kjøring" in line and "ingen fikk den to ganger" in line
               for line in run_logs(state.state_details.flow_run_id)), run_logs(state.state_details.flow_run_id)


def test_the_run_resumed_after_another_sent_its_document_says_so(isolated, scratch_config, monkeypatch):
    """On a server the waiting run is resumed by the answer and starts from the top: it finds every
    recipient has the version (the other run sent it) and records its answer as a late one. Its
    message said "Ingen nye mottakere: alle har allerede denne versjonen." only when the answer was
    a "no", and named neither the document nor that nobody got it twice; a "yes" ended Completed
    with no message at all."""
    import flows.approval as approval
    import flows.documents as documents
    from flows.documents import final_report
    from flows.options import DeliveryOptions
    from tests.delivery.test_send_cli import governor_named

    governor_named(scratch_config)
    port = free_port()
    use_smtp(scratch_config, port)
    options = DeliveryOptions(config=str(scratch_config))
    monkeypatch.setattr(documents, "can_suspend", lambda: True)
    monkeypatch.setattr(approval, "can_suspend", lambda: True)
    monkeypatch.setattr(approval, "suspend_flow_run", lambda wait_for_input, key, timeout: approval.ApprovalForm(
        approver="Ola Hansen", decision="godkjenn", comment=""))
    # the answer Prefect gives the resumed run (its form was answered while the other run sent)
    monkeypatch.setattr(approval, "submitted_answer", lambda version, content_hash: approval.ApprovalForm(
        approver="Kari Nordmann", decision="godkjenn", comment="ok"))
    with SmtpServer(port=port) as server:
        assert final_report(project="kongsbergregionen-erp", options=options, return_state=True).is_completed()
        state = final_report(project="kongsbergregionen-erp", options=options, return_state=True)
        reports = [m for m in server.recorder.messages() if not str(m["Subject"]).startswith("Til godkjenning")]
    assert len(reports) == 2
    message = state.message or ""
    assert state.is_completed() and KEY in message and "versjon 1" in message, message
    assert "ingen fikk den to ganger" in message and "Godkjent av Kari Nordmann etter at dokumentet var sendt" \
        in message, message
