"""An answer given in the approval form is in the document's record .json as soon as it arrives,
whatever happens next (the run that resumes with it is in tests/integration/test_approval.py)."""

from __future__ import annotations

import json

from ..smtp_server import SmtpServer, free_port, use_smtp

HAUG = "haugaland-velferdsteknologi"      # its data have errors
RECORD = f"outputs/haugaland-vekst/{HAUG}/application-2015.json"


def _run_application(scratch_config, monkeypatch, answer: dict):
    import flows.approval as approval
    import flows.documents as documents
    from flows.documents import application
    from flows.options import DeliveryOptions

    monkeypatch.setattr(documents, "can_suspend", lambda: True)
    monkeypatch.setattr(approval, "can_suspend", lambda: True)

    def suspend(wait_for_input, key, timeout):
        return approval.ApprovalForm(**answer)

    monkeypatch.setattr(approval, "suspend_flow_run", suspend)
    return application(project=HAUG, options=DeliveryOptions(config=str(scratch_config)), return_state=True)


def test_a_rejection_in_the_form_is_in_the_record_at_once(isolated, scratch_config, monkeypatch):
    """Per Hansen rejected the application in the form: the run ended Cancelled, the sent ledger
    said "avvist", and the record .json said nothing of it (only a delivery copied decisions there)."""
    port = free_port()
    use_smtp(scratch_config, port)
    with SmtpServer(port=port):
        state = _run_application(scratch_config, monkeypatch, dict(
            approver="Per Hansen", decision="avvis", comment="Tallene må sjekkes", override_reason=""))
    assert state.is_cancelled(), state
    record = json.loads((isolated / RECORD).read_text(encoding="utf-8"))
    (entry,) = [v for v in record["versions"] if v["version"] == record["version"]]
    (decision,) = entry["approvals"]
    assert (decision["decision"], decision["by"], decision["comment"], decision["override_reason"]) == (
        "avvist", "Per Hansen", "Tallene må sjekkes", ""), decision
    assert decision["at"] and decision["at"].endswith("+00:00"), decision
    # the addresses the approver was shown: the county governor, cc the steering group leader
    assert "fmropost@fylkesmannen.example.no" in decision["recipients"], decision
