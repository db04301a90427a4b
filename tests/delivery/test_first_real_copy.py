"""A reader's first copy over SMTP is not called a later version of one that reached only the
outbox (an outside tester: every member's first real mail was "(versjon 2)" with a
'…-versjon-2.docx', after a trial send to the outbox and a corrected milestone comment)."""

from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import SmtpServer, free_port, use_smtp

ERP = "kongsbergregionen-erp"


def test_the_first_delivered_copy_names_no_version_after_an_outbox_trial(scratch_config, tmp_path, monkeypatch,
                                                                          capsys):
    port = free_port()
    use_smtp(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    send = ["--config", str(scratch_config), "send", "status", ERP, "--as-of", "2014-08-29", "--yes"]
    assert main([*send, "--transport", "outbox"]) == 0
    replace_in(scratch_config / f"data/{ERP}/milepaeler.csv", "Lønn i drift i tre av fire kommuner",
               "Lønn i drift i tre av fire kommuner (Tinn i september)")
    with SmtpServer(port=port) as server:
        assert main([*send, "--transport", "smtp"]) == 0
        mails = server.recorder.messages()
    assert len(mails) == 5
    for mail in mails:
        body = mail.get_body(("plain",)).get_content()
        (name,) = [a.get_filename() for a in mail.iter_attachments()]
        assert "versjon" not in str(mail["Subject"]) and "versjon" not in body and "erstatter" not in body, \
            (mail["Subject"], body)
        assert name == "statusrapport-kongsbergregionen-erp-2014-08-29.docx", name
