"""What the approver gets and gives: the document attached by the name its recipients see, a name
that is a name, and a comment that stays one line in logs and in `grantflow sent`."""

from __future__ import annotations

from grantflow.cli import main

from ..smtp_server import SmtpServer, free_port, use_smtp

HAUG = "haugaland-velferdsteknologi"      # its data have errors: an approval gives a reason


def _run_application(scratch_config, monkeypatch, answers):
    import flows.approval as approval
    import flows.documents as documents
    from flows.documents import application
    from flows.options import DeliveryOptions

    monkeypatch.setattr(documents, "can_suspend", lambda: True)
    monkeypatch.setattr(approval, "can_suspend", lambda: True)
    asked = []

    def suspend(wait_for_input, key, timeout):
        asked.append((key, wait_for_input._description))
        return approval.ApprovalForm(**answers[min(len(asked), len(answers)) - 1])

    monkeypatch.setattr(approval, "suspend_flow_run", suspend)
    return application(project=HAUG, options=DeliveryOptions(config=str(scratch_config)), return_state=True), asked


def test_the_approver_gets_the_attachment_by_the_name_the_recipients_get(isolated, scratch_config, monkeypatch):
    """The approver got 'application-2015.docx' (the file's own name), the county governor
    'soknad-haugaland-velferdsteknologi-2015.docx' (outside tester): the same document by two names."""
    port = free_port()
    use_smtp(scratch_config, port)
    with SmtpServer(port=port) as server:
        state, asked = _run_application(scratch_config, monkeypatch,
                                         [dict(approver="Kari Nordmann", decision="godkjenn", comment="ok", override_reason="kjent differanse")])
        mails = server.recorder.messages()
    assert state.is_completed(), state.message
    names = {str(m["Subject"]).startswith("Til godkjenning"): [a.get_filename() for a in m.iter_attachments()]
             for m in mails}
    assert names[True] == names[False] and names[True][0].startswith("soknad-"), names


def test_an_encoded_word_as_the_approvers_name_is_asked_again_and_a_comment_stays_one_line(
        isolated, scratch_config, monkeypatch, capsys):
    """An approver '=?utf-8?q?Ola=0D=0ABcc:_x@evil.example?=' was stored and shown as given, and a
    comment's CR LF made a line of its own in serve's log. The name is refused the way config names
    are (the form is asked again, saying why); the comment is kept and shown as one line."""
    from prefect.utilities import schema_tools

    import flows.approval as approval

    encoded = "=?utf-8?q?Ola=0D=0ABcc:_x@evil.example?="
    schema = approval.ApprovalForm.model_json_schema()
    try:
        schema_tools.validate({"approver": encoded, "decision": "avvis"}, schema, raise_on_error=True)
        refused_by_server = False
    except schema_tools.ValidationError:
        refused_by_server = True
    assert refused_by_server      # what the Prefect server checks an answer against before it resumes the run
    port = free_port()
    use_smtp(scratch_config, port)
    with SmtpServer(port=port):
        state, asked = _run_application(scratch_config, monkeypatch, [
            dict(approver=encoded, decision="godkjenn", comment="ok", override_reason="kjent differanse"),
            dict(approver="Ola Nordmann", decision="godkjenn", comment="Feil tall\r\nBcc: y@evil.example",
                 override_reason="kjent differanse")])
    assert state.is_completed(), state.message
    assert len(asked) == 2 and "kodet ord" in asked[1][1], asked
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["--config", str(scratch_config), "sent", HAUG]) == 0
    out = capsys.readouterr().out
    assert encoded not in out and "Ola Nordmann" in out, out
    assert "Feil tall / Bcc: y@evil.example" in out and "\nBcc: y@evil" not in out, out


def test_a_comment_keeps_no_bidirectional_control():
    """A right-to-left override in a comment made its line in `grantflow sent` and the log read
    otherwise on screen (found by a reviewer); it is folded as a line break is."""
    from flows.approval import ApprovalForm

    assert ApprovalForm(comment="Godkjent \u202etxet\u202c nå").comment == "Godkjent / txet / nå"
    assert ApprovalForm(override_reason="Kjent\u2067 feil").override_reason == "Kjent / feil"
    assert ApprovalForm(comment="Beløp 1\u200f2\u061c0 000").comment == "Beløp 1 / 2 / 0 000"   # the marks too
