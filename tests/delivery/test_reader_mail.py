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


def test_copies_say_whom_the_document_is_for_and_the_secretariat_does_not_greet_itself(tmp_path, monkeypatch):
    """The secretariat's copy of the usage report read "Hei Sekretariatet i Haugaland Vekst, … Spørsmål
    kan rettes til Sekretariatet i Haugaland Vekst", and a copy never said whom the document was for."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(CONFIG), "send", "usage", "--council", "haugaland-vekst", "--period", "2015",
                 "--yes"]) == 0
    assert main(["--config", str(CONFIG), "send", "status", "haugaland-velferdsteknologi",
                 "--as-of", "2016-10-07"]) == 0
    bodies = {(m["X-Grantflow-Document"].split()[0].rsplit("/", 1)[1], m["To"].addresses[0].addr_spec):
              m.get_body(("plain",)).get_content().replace("\u00a0", " ") for m in _outbox(tmp_path)}
    own = bodies[("usage-2015", "post@haugalandvekst.example.no")]
    assert own.startswith("Sekretariatets kopi.\n\nVedlagt følger rapportering om bruk av skjønnsmidler for "
                          "Haugaland Vekst (2015).\n\nDen er sendt til Fylkesmannen i Rogaland.\n"), own
    assert "Hei " not in own and "Spørsmål kan rettes" not in own and "Tildelt: 400 000 kr" in own
    governor = bodies[("usage-2015", "fmropost@fylkesmannen.example.no")]
    # an office is not greeted as a person ("Hei Statsforvalteren i Rogaland," read oddly); the report
    # per 31.12.2015 names the office as in January 2016, and so does its mail
    # with its case number under it (tests/delivery/test_case_reference.py)
    assert governor.startswith("Til Fylkesmannen i Rogaland\nDeres ref.: 2015/4711 (eksempel)\n\nVedlagt følger") \
        and "Hei " not in governor
    assert "Spørsmål kan rettes til Sekretariatet" in governor
    assert "Kopi til: Sekretariatet i Haugaland Vekst (daglig leder, Haugaland Vekst IKS)." in governor
    leader = bodies[("status-2016-10-07", "prosjektleder@haugalandvekst.example.no")]
    assert leader.startswith("Hei Sturle J. Monstad,") and (
        "Du får den i kopi; den er sendt til Rådmannen i Haugesund, Rådmannen i Karmøy, Rådmannen i Tysvær, "
        "Høgskolen Stord/Haugesund, Helse Fonna HF og Daglig leder Haugaland Vekst.") in leader
    # a steering-group member at the secretariat's address is a reader like the others, greeted
    member = bodies[("status-2016-10-07", "post@haugalandvekst.example.no")]
    assert member.startswith("Hei Daglig leder Haugaland Vekst,") and "Spørsmål kan rettes" in member
