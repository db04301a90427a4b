"""The mail as the recipient reads it in the outbox: subject and attachment name say what, for
which project and which period, in Norwegian."""

from email import message_from_bytes, policy

from grantflow.cli import main

from ..conftest import CONFIG


def _outbox(tmp_path):
    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((tmp_path / "outputs" / "outbox").glob("*.eml"))]


def test_cost_split_mail_names_project_and_years_in_norwegian(tmp_path, monkeypatch, capsys):
    # was: every member got "costsplit-2015-2016.docx" (English, and the same name for every
    # project's cost split) under the subject "Kostnadsfordeling: … – 2015-2016"
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(CONFIG), "send", "costsplit", "haugaland-velferdsteknologi"]) == 0
    mails = _outbox(tmp_path)
    assert mails
    for mail in mails:
        assert mail["From"].addresses[0].display_name == "Haugaland Vekst"     # was "grantflow", the tool
        assert str(mail["Subject"]) == "Kostnadsfordeling: Velferdsteknologi Haugaland – 2015\u20132016"
        assert "Vedlagt følger kostnadsfordeling for Velferdsteknologi Haugaland (2015\u20132016)." in \
            mail.get_body(("plain",)).get_content()
        assert [a.get_filename() for a in mail.iter_attachments()] == [
            "kostnadsfordeling-haugaland-velferdsteknologi-2015-2016.docx"]


def test_usage_report_attachment_names_the_council(tmp_path, monkeypatch):
    # was: "usage-2015.docx" to the county governor
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(CONFIG), "send", "usage", "--council", "haugaland-vekst", "--period", "2015",
                 "--yes"]) == 0
    names = {a.get_filename() for mail in _outbox(tmp_path) for a in mail.iter_attachments()}
    assert names == {"skjonnsmidler-bruk-haugaland-vekst-2015.docx"}
