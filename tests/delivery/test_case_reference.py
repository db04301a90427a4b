"""The county governor's case number is where the case officer files by it, and copies say who they are.

The county governor's case officer (outside tester, session 23) got the final report and the yearly
usage reports of a project with two award letters, 2024/0101 and 2025/0202, with no case reference
in the mail's subject or body, and read "Kopi til: Per Rådmann." with no word of who that is. Now
the mail to the county governor says "Deres ref." in its subject and its first lines (the awards the
document reports on: the usage report per 31.12.2024 has 2024/0101 only, as its Saksnr. column), a
copy says whose case number it is, and a project with no number on record says nothing of one.

The project (tests/documents/fjord): Fjordregionen, skjønnsmidler from sf-vestland
(sfvlpost@statsforvalteren.example.no, the council's county governor): 500 000 kr for 2024, case
"2024/0101", and 400 000 kr for 2025, case "2025/0202"; the steering group's leader Per Rådmann
(role "leder", Elvik kommune); the secretariat "Sekretariatet i Fjordregionen" (daglig leder,
Fjordregionen interkommunale samarbeid).
"""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path

import pytest

from grantflow.cli import main

from ..conftest import add_project, replace_in
from ..docx_text import all_text, find_table
from ..smtp_server import SmtpServer, free_port, smtp_sender, use_smtp

FIXTURE = Path(__file__).resolve().parent.parent / "documents" / "fjord"
PROJECT = "fjord-digital"
NAME = "Digital hjemmeoppfølging i Fjordregionen"
GOVERNOR = "sfvlpost@statsforvalteren.example.no"
CHAIR = "kd@elvik.example.no"
SECRETARIAT = "post@fjordregionen.example.no"
NBSP = "\u00a0"


@pytest.fixture
def config(scratch_config):
    return add_project(scratch_config, FIXTURE, PROJECT, "fjordregionen")


@pytest.fixture
def send(config, tmp_path, monkeypatch):
    return smtp_sender(config, tmp_path, monkeypatch, "--override-reason", "kjent differanse")


def _to(mails, address):
    (mail,) = [m for m in mails if parseaddr(str(m["To"]))[1] == address]
    return str(mail["Subject"]), mail.get_body(("plain",)).get_content().replace(NBSP, " ").replace("\r\n", "\n")


def test_final_report_mail_carries_the_governors_case_numbers(send, tmp_path):
    mails = send("final", PROJECT, "--as-of", "2026-01-20")
    subject, body = _to(mails, GOVERNOR)
    assert subject == f"Sluttrapport: {NAME} – 2025 – Deres ref. 2024/0101, 2025/0202", subject
    assert body.startswith("Til Statsforvalteren i Vestland\nDeres ref.: 2024/0101, 2025/0202\n\nVedlagt følger "
                           "sluttrapport"), body
    # who the copy is: role in the steering group and organisation, as the project file gives them
    assert "Kopi til: Per Rådmann (leder av styringsgruppen, Elvik kommune).\n" in body, body
    # the document names the same case numbers on its first page
    (docx,) = (tmp_path / "outputs").rglob("final-2025.docx")
    assert "Saksnummer (tilsagn)\n2024/0101, 2025/0202" in all_text(docx)
    # the copy: the numbers are the county governor's, not the reader's own
    subject, body = _to(mails, CHAIR)
    assert subject == f"Sluttrapport: {NAME} – 2025", subject
    assert "Deres ref" not in body
    # the municipalities with a part in the settlement get it too (their contacts, session 24)
    assert "Du får den i kopi; den er sendt til Statsforvalteren i Vestland, Elvik kommune, Fjellbu kommune og " \
           "Strandli kommune.\n\n" \
           "Saksnr. hos Statsforvalteren i Vestland: 2024/0101, 2025/0202.\n" in body, body


def test_usage_report_mail_names_the_cases_of_its_year(send, tmp_path):
    mails = send("usage", "--council", "fjordregionen", "--year", "2024", "--as-of", "2025-01-10")
    subject, body = _to(mails, GOVERNOR)
    # per 31.12.2024: the 2024 award only (the 2025 one, decided 14.02.2025, is not in the report)
    assert subject == "Rapportering om bruk av skjønnsmidler: Fjordregionen interkommunale samarbeid – 2024 – " \
                      "Deres ref. 2024/0101", subject
    assert body.startswith("Til Statsforvalteren i Vestland\nDeres ref.: 2024/0101\n\n"), body
    assert "2025/0202" not in body
    assert "Kopi til: Sekretariatet i Fjordregionen (daglig leder, Fjordregionen interkommunale samarbeid).\n" \
           in body, body
    (docx,) = (tmp_path / "outputs").rglob("usage-2024.docx")
    table = find_table(docx, "Prosjekt")
    assert [row[1] for row in table[1:] if row[0] == NAME] == ["2024/0101"], table
    # the secretariat's own copy files it by the same number
    subject, body = _to(mails, SECRETARIAT)
    assert "Deres ref" not in subject + body
    assert body.startswith("Sekretariatets kopi.\n\nVedlagt følger rapportering om bruk av skjønnsmidler for "
                           "Fjordregionen interkommunale samarbeid (2024).\n\nDen er sendt til Statsforvalteren i "
                           "Vestland.\n\nSaksnr. hos Statsforvalteren i Vestland: 2024/0101.\n"), body


def test_two_projects_in_one_usage_report_are_named_by_their_numbers(config, send):
    # a second project of the council with its own award letter, case 2024/0303
    second = config / "projects" / "fjord-kompetanse.yaml"
    text = (config / "projects" / f"{PROJECT}.yaml").read_text(encoding="utf-8")
    text = text.replace(f"id: {PROJECT}", "id: fjord-kompetanse").replace(f"name: {NAME}", "name: Fjord kompetanse")
    text = text.replace('reference: "2024/0101"', 'reference: "2024/0303"').replace(f"data/{PROJECT}/",
                                                                                  "data/fjord-kompetanse/")
    second.write_text(text, encoding="utf-8")
    import shutil
    shutil.copytree(config / "data" / PROJECT, config / "data" / "fjord-kompetanse")
    mails = send("usage", "--council", "fjordregionen", "--year", "2024", "--as-of", "2025-01-10")
    subject, body = _to(mails, GOVERNOR)
    assert subject.endswith(" – 2024 – Deres ref. 2024/0101, 2024/0303"), subject
    assert body.startswith("Til Statsforvalteren i Vestland\nDeres ref.: 2024/0101 (Digital hjemmeoppfølging i "
                           "Fjordregionen), 2024/0303 (Fjord kompetanse)\n\n"), body


def test_no_case_number_on_record_is_not_mentioned(config, send):
    project = config / "projects" / f"{PROJECT}.yaml"
    replace_in(project, ', reference: "2024/0101"', "")
    replace_in(project, ', reference: "2025/0202"', "")
    mails = send("final", PROJECT, "--as-of", "2026-01-20")
    for address in (GOVERNOR, CHAIR, SECRETARIAT):
        if not [m for m in mails if parseaddr(str(m["To"]))[1] == address]:
            continue
        subject, body = _to(mails, address)
        assert "ref" not in subject.casefold() and "Deres ref" not in body and "Saksnr." not in body, body
        assert "None" not in subject + body
    subject, body = _to(mails, GOVERNOR)
    assert subject == f"Sluttrapport: {NAME} – 2025" and body.startswith("Til Statsforvalteren i Vestland\n\n"), body


def test_an_application_before_its_award_has_no_reference(send):
    # the 2024 application (15.09.2023) comes before the award of 15.02.2024: no case number yet
    subject, body = _to(send("application", PROJECT, "--year", "2024", "--as-of", "2023-09-15"), GOVERNOR)
    assert "ref" not in subject.casefold() and "Deres ref" not in body and "2024/0101" not in body, body
    assert "Kopi til: Per Rådmann (leder av styringsgruppen, Elvik kommune).\n" in body, body


def test_a_reference_that_would_break_the_header_is_refused(config, tmp_path, monkeypatch, capsys):
    """The reference goes into the subject: one line, checked as every name is, also inside an RFC
    2047 encoded word, with the file, line and field; nothing reaches the server."""
    project = config / "projects" / f"{PROJECT}.yaml"
    replace_in(project, 'reference: "2024/0101"', 'reference: "2024/0101 =?utf-8?q?=0D=0ABcc:_x@evil.example?="')
    line = next(n for n, text in enumerate(project.read_text(encoding="utf-8").splitlines(), 1) if "evil" in text)
    port = free_port()
    use_smtp(config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    with SmtpServer(port=port) as server:
        assert main(["--config", str(config), "send", "final", PROJECT, "--as-of", "2026-01-20", "--yes",
                     "--transport", "smtp", "--override-reason", "test"]) == 1
        assert server.recorder.messages() == []
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"{project}:{line}" in err and "funders[0].grants[0].reference" in err, err
